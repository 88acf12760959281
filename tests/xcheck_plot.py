"""xcheck_plot.py - brain figures against MNE 1.3 (and VTK's camera).

1. The overlay lookup table equals np.round(calculate_lut(...) * 255) of MNE's Brain for
   several lims, and the colour index equals matplotlib's ListedColormap lookup of MNE's
   _Overlay normalisation.
2. Spreading values from a vertex subset equals MNE's _hemi_morph (smoothing_steps) and,
   where the nearest used vertex is unique, _surf_nearest.
3. Views: for each MNE view of lh, rh and both, a cap of data placed up and to the right of
   the view direction (camera frame from MNE's views_dicts through VTK's vtkCamera) shows up
   at its projected pixel, and the mirrored pixels stay grey.
   With --subjects-dir, ?h.inflated/?h.curv give binarised curvature greys and the
   inflated hemispheres are moved apart as MNE does. The camera fits the brain viewport
   that the renderer reports (tool_render layout): the band for the colour bar and the
   strip for the hemisphere labels take room off the figure.
4. The demo (simulate + onesample as tools/demo.sh runs them) leaves summary.png, h0.png and
   report.html; summary.png's background and colorbar are right, and the injected patch's
   vertices (truth.json) that are visible in a view are drawn in overlay colours there (the
   seed's ventral view, and lateral/dorsal/caudal views through `clusterperm plot`).
Prints "ok NAME" / "FAIL NAME: why"; exits non-zero on failure.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

BUILD = os.environ.get("CPERM_BUILD", "build")
CP = os.path.join(BUILD, "clusterperm")
TOOL = os.path.join(BUILD, "tests", "tool_render")
failed = 0


def check(name, cond, why=""):
    global failed
    if cond:
        print("ok " + name)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why))


def run(args):
    return subprocess.run(args, capture_output=True, text=True)


def brain_viewport(stem, src, args):
    """The first subplot's brain viewport (x, y, w, h) in pixels from the renderer's layout,
    for a figure drawn with the same figure options (tool_render layout)."""
    r = run([TOOL, "layout", stem, src] + args)
    b = json.loads(r.stdout)["panels"][0]["brain"]
    return b[0], b[1], b[2] - b[0], b[3] - b[1]


def load_png(path):
    from PIL import Image
    return np.asarray(Image.open(path).convert("RGB")).astype(int)


# ------------------------------------------------------------------ 1. lookup table

def check_lut():
    from matplotlib.colors import ListedColormap
    from mne.viz._brain.colormap import calculate_lut
    cases = [(0, 0.1, 40, True), (2, 5, 10, True), (0, 0, 10, True), (1, 9, 10, False),
             (-5, 0, 5, True), (3.5, 3.6, 1000, True), (0, 40, 40, True), (1e-3, 2e-3, 7e-3, False)]
    bad = []
    for fmin, fmid, fmax, tr in cases:
        want = np.round(calculate_lut("hot", alpha=1., fmin=fmin, fmid=fmid, fmax=fmax,
                                      transparent=tr) * 255).astype(np.uint8)
        r = run([TOOL, "lut", repr(fmin), repr(fmid), repr(fmax), str(int(tr))])
        got = np.array([[int(x) for x in line.split()] for line in r.stdout.split("\n") if line])
        if got.shape != want.shape or not np.array_equal(got, want):
            bad.append(((fmin, fmid, fmax, tr), int(np.argmax(np.any(got != want, axis=1)))
                        if got.shape == want.shape else got.shape))
    check("lut_equals_mne_calculate_lut", not bad, "differs for %s" % bad)

    # pos_lims: the 'mne' colormap mirrored around 0, with fill colours and resampling
    cases = [(0, 1, 2, True), (2, 5, 10, True), (3, 4, 5, True), (0.5, 0.6, 0.7, False),
             (5, 5, 5, True), (1, 1, 1.0000001, True), (0, 0, 3, True), (4.2, 6.1, 6.5, True),
             (1e-4, 3e-3, 0.1, False)]
    bad = []
    for fmin, fmid, fmax, tr in cases:
        want = np.round(calculate_lut("mne", alpha=1., fmin=fmin, fmid=fmid, fmax=fmax,
                                      center=0., transparent=tr) * 255).astype(np.uint8)
        r = run([TOOL, "dlut", repr(fmin), repr(fmid), repr(fmax), str(int(tr))])
        got = np.array([[int(x) for x in line.split()] for line in r.stdout.split("\n") if line])
        if got.shape != want.shape or not np.array_equal(got, want):
            bad.append(((fmin, fmid, fmax, tr), int(np.argmax(np.any(got != want, axis=1)))
                        if got.shape == want.shape else got.shape))
    check("diverging_lut_equals_mne_calculate_lut", not bad, "differs for %s" % bad)

    # index: a ListedColormap whose red channel encodes the entry number
    cmap = ListedColormap(np.c_[np.arange(256) / 255., np.zeros((256, 2)), np.ones(256)])
    lo, hi = 0.0, 40.0
    vals = [-1e9, -1, 0, 1e-12, 40 / 256. - 1e-9, 40 / 256., 0.1, 1, 5, 19.999, 20, 20.0001,
            39.84375, 39.9, 40 - 1e-12, 40, 40.5, 1e9]
    bad = []
    for v in vals:
        want = int(round(cmap((v - lo) / (hi - lo))[0] * 255))
        got = int(run([TOOL, "index", repr(v), repr(lo), repr(hi)]).stdout)
        if got != want:
            bad.append((v, got, want))
    want_nan = cmap(np.nan)
    got_nan = int(run([TOOL, "index", "nan", "0", "40"]).stdout)
    check("cmap_index_equals_matplotlib", not bad and want_nan[3] == 0 and got_nan == -1,
          "value, ours, matplotlib: %s; nan -> %d" % (bad, got_nan))


# ------------------------------------------------------------------ 2. spreading

def check_spread(tmp):
    import mne
    from mne.morph import _hemi_morph
    from scipy.sparse.csgraph import dijkstra
    ico = mne.surface._get_ico_surface(4)
    rr, tris = ico["rr"] * 50, ico["tris"]
    n = len(rr)
    surf = os.path.join(tmp, "lh.ico4")
    mne.write_surface(surf, rr, tris, overwrite=True)
    rng = np.random.RandomState(3)
    # a non-nested, unevenly spread subset, and a small one that needs many steps
    subsets = {"dense": np.sort(rng.choice(n, 400, replace=False)),
               "sparse": np.sort(rng.choice(n, 12, replace=False))}
    for name, verts in subsets.items():
        vals = rng.randn(len(verts)) * 10
        fromtxt = os.path.join(tmp, "from.txt")
        np.savetxt(fromtxt, np.c_[verts, vals], fmt=["%d", "%.17g"])
        for steps in (1, 3, 10):
            out = os.path.join(tmp, "out.txt")
            r = run([TOOL, "spread", surf, str(steps), fromtxt, out])
            if r.returncode:
                check("spread_%s_%d_steps" % (name, steps), False, r.stderr)
                continue
            got = np.loadtxt(out)
            mm = _hemi_morph(tris, np.arange(n), verts, steps, None, False)
            want = mm @ vals
            err = np.abs(got - want).max()
            check("spread_%s_%d_steps_vs_mne_hemi_morph" % (name, steps),
                  err <= 1e-12 * max(1, np.abs(want).max()), "max diff %g" % err)
        # nearest: compare where the nearest used vertex is unique
        r = run([TOOL, "spread", surf, "-1", fromtxt, os.path.join(tmp, "near.txt")])
        got = np.loadtxt(os.path.join(tmp, "near.txt"))
        mm = _hemi_morph(tris, np.arange(n), verts, "nearest", None, False)
        want = np.asarray(mm @ vals).ravel()
        e = mne.surface.mesh_edges(tris).tocsr()
        dist = dijkstra(e, False, indices=verts, unweighted=True)
        dmin = dist.min(axis=0)
        unique = (dist == dmin).sum(axis=0) == 1
        check("spread_%s_nearest_vs_mne" % name,
              unique.sum() > n // 2 and np.array_equal(got[unique], want[unique]),
              "%d unique, %d differ" % (unique.sum(), int((got[unique] != want[unique]).sum())))


# ------------------------------------------------------------------ 3. views

def camera(view_params):
    """MNE's _set_3d_view direction and view-up, orthogonalised by VTK's vtkCamera."""
    az, el = np.deg2rad(view_params["azimuth"]), np.deg2rad(view_params["elevation"])
    d = np.array([np.cos(az) * np.sin(el), np.sin(az) * np.sin(el), np.cos(el)])
    up = [0, 0, 1] if 5. <= abs(view_params["elevation"]) <= 175. else [0, 1, 0]
    try:
        import vtk
        c = vtk.vtkCamera()
        c.SetFocalPoint(0, 0, 0)
        c.SetPosition(*(10 * d))
        c.SetViewUp(*up)
        m = c.GetViewTransformMatrix()
        rows = np.array([[m.GetElement(i, j) for j in range(3)] for i in range(3)])
        return rows[0], rows[1], rows[2]  # right, up, towards the camera
    except ImportError:  # textbook VTK convention: right = up x n, up' = n x right
        right = np.cross(up, d)
        right /= np.linalg.norm(right)
        return right, np.cross(d, right), d


def check_views(tmp, study):
    import mne
    from mne.viz._brain.view import views_dicts
    src = mne.read_source_spaces(os.path.join(study, "fsaverage-ico4-src.fif"), verbose=False)
    rrs = [s["rr"] for s in src]
    centres = [r.mean(axis=0) for r in rrs]
    radius = np.linalg.norm(rrs[0] - centres[0], axis=1).mean()
    names = ["lateral", "medial", "ventral", "dorsal", "rostral", "caudal"]
    size = 300
    bad = []
    cases = [(h, v) for h in ("lh", "rh") for v in names] + [("both", "ventral"),
                                                               ("both", "dorsal")]
    for hemi, view in cases:
        right, up, d = camera(views_dicts[hemi][view])
        t = d * np.cos(np.deg2rad(35)) + np.sin(np.deg2rad(35)) * (
            right * np.cos(np.deg2rad(30)) + up * np.sin(np.deg2rad(30)))
        hi = 0 if hemi in ("lh", "both") else 1
        data = [np.zeros(len(rrs[0])), np.zeros(len(rrs[1]))]
        u = (rrs[hi] - centres[hi]) / np.linalg.norm(rrs[hi] - centres[hi], axis=1)[:, None]
        data[hi][u @ t > np.cos(np.deg2rad(12))] = 30.0
        stc = mne.SourceEstimate(np.concatenate(data)[:, None],
                                 [np.arange(len(rrs[0])), np.arange(len(rrs[1]))], 0, 1,
                                 subject="fsaverage")
        stem = os.path.join(tmp, "cap")
        stc.save(stem, ftype="stc", overwrite=True, verbose=False)
        out = os.path.join(tmp, "cap.png")
        src_path = os.path.join(study, "fsaverage-ico4-src.fif")
        fig = ["--hemi", hemi, "--views", view[:3], "--clim", "value:0,0.1,40",
               "--size", "%dx%d" % (size, size), "--background", "white", "--no-colorbar",
               "--time-label", ""]
        r = run([CP, "plot", stem, "--src", src_path, "-o", out] + fig)
        if r.returncode:
            bad.append((hemi, view, r.stderr.strip()))
            continue
        img = load_png(out)
        bx, by, bw, bh = brain_viewport(stem, src_path, fig)
        shown = rrs[0] if hemi == "lh" else rrs[1] if hemi == "rh" else np.r_[rrs[0], rrs[1]]
        lo, hi_b = shown.min(axis=0), shown.max(axis=0)
        focal, ext = (lo + hi_b) / 2, (hi_b - lo).max()
        scale = (bh / 2) / (2 * ext * np.tan(np.deg2rad(15)))
        cx, cy = bx + bw / 2, by + bh / 2
        p = centres[hi] + radius * t - focal
        px, py = cx + p @ right * scale, cy - p @ up * scale
        mx, my = cx - (p @ right) * scale, cy + (p @ up) * scale

        def hot(x, y):
            c = img[int(round(y)), int(round(x))]
            return c[0] - c[2] > 60

        def grey(x, y):
            c = img[int(round(y)), int(round(x))]
            return abs(c[0] - c[1]) <= 1 and abs(c[1] - c[2]) <= 1
        ok = hot(px, py) and grey(mx, py) and grey(px, my) and grey(mx, my)
        if not ok:
            bad.append((hemi, view, (round(px), round(py)), img[int(round(py)), int(round(px))].tolist()))
    check("views_match_mne_views_dicts", not bad, "%d of %d wrong: %s" % (len(bad), len(cases), bad[:4]))


# ------------------------------------------------------------------ 3b. FreeSurfer geometry

def check_subjects_dir(tmp):
    """A fake subject: ?h.inflated spheres both centred at the origin (MNE moves lh left of
    x = 0 and rh right of it for inflated surfaces with hemi 'both') and ?h.curv positive in
    the anterior half (binarised to Greys(2/3), dark) and negative behind (Greys(1/3))."""
    import mne
    import nibabel.freesurfer as nfs
    from mne.viz._brain.view import views_dicts
    ico = mne.surface._get_ico_surface(4)
    rr, tris = ico["rr"] * 60.0, ico["tris"]
    surf_dir = os.path.join(tmp, "subjects", "fake", "surf")
    os.makedirs(surf_dir)
    curv = np.where(rr[:, 1] > 10, 0.5, -0.5).astype(np.float32)
    for h in ("lh", "rh"):
        mne.write_surface(os.path.join(surf_dir, h + ".inflated"), rr, tris, overwrite=True)
        nfs.write_morph_data(os.path.join(surf_dir, h + ".curv"), curv)
    n = len(rr)
    stc = mne.SourceEstimate(np.zeros((2 * n, 1)), [np.arange(n), np.arange(n)], 0, 1,
                             subject="fake")
    stem = os.path.join(tmp, "fake")
    stc.save(stem, ftype="stc", overwrite=True, verbose=False)
    out = os.path.join(tmp, "fake.png")
    size = 400
    r = run([CP, "plot", stem, "--subjects-dir", os.path.join(tmp, "subjects"), "--subject",
             "fake", "--hemi", "both", "--views", "dor", "--clim", "value:1,2,3", "--size", "%dx%d" % (size, size),
             "--background", "white", "--no-colorbar", "-o", out])
    if r.returncode:
        check("subjects_dir_plot", False, r.stderr.strip())
        return
    img = load_png(out)
    # two hemispheres side by side from above leave room for their labels above them: the
    # brain viewport is the whole figure (no band: no colour bar, no time label)
    shifted = [rr - [rr[:, 0].max(), 0, 0], rr - [rr[:, 0].min(), 0, 0]]
    both = np.r_[shifted[0], shifted[1]]
    right, up, d = camera(views_dicts["both"]["dorsal"])
    lo, hi = both.min(axis=0), both.max(axis=0)
    focal, ext = (lo + hi) / 2, (hi - lo).max()
    scale = (size / 2) / (2 * ext * np.tan(np.deg2rad(15)))
    nrm = rr / np.linalg.norm(rr, axis=1)[:, None]
    facing = nrm @ d > 0.8
    dark_ok, light_ok, side_ok = [], [], []
    for h in range(2):
        q = shifted[h] - focal
        xs, ys = size / 2 + q @ right * scale, size / 2 - q @ up * scale
        for v in np.where(facing & (np.abs(rr[:, 1] - 10) > 8))[0]:
            g = img[int(ys[v]), int(xs[v])]
            grey = abs(g[0] - g[1]) <= 1 and abs(g[1] - g[2]) <= 1
            (dark_ok if curv[v] > 0 else light_ok).append(
                grey and (g[0] <= 120 if curv[v] > 0 else g[0] >= 145))
            side_ok.append(xs[v] < size / 2 if h == 0 else xs[v] > size / 2)
    check("subjects_dir_binarised_curvature_greys",
          len(dark_ok) > 50 and len(light_ok) > 50 and np.mean(dark_ok) > 0.97 and
          np.mean(light_ok) > 0.97,
          "%d sulcal (dark) vertices %.3f right, %d gyral (light) %.3f right" % (
              len(dark_ok), np.mean(dark_ok) if dark_ok else 0, len(light_ok),
              np.mean(light_ok) if light_ok else 0))
    check("subjects_dir_inflated_hemispheres_moved_apart", all(side_ok) and
          (img[:, :size // 2 - 5] != 255).any() and (img[:, size // 2 + 5:] != 255).any(),
          "lh/rh not on their sides")
    os.remove(os.path.join(surf_dir, "rh.curv"))
    r = run([CP, "plot", stem, "--subjects-dir", os.path.join(tmp, "subjects"), "--subject",
             "fake", "--hemi", "both", "-o", out])
    check("subjects_dir_missing_curv", r.returncode == 1 and "rh.curv" in r.stderr,
          "rc %d: %s" % (r.returncode, r.stderr.strip()))


# ------------------------------------------------------------------ 4. the demo

def check_demo(tmp):
    import mne
    from mne.viz._brain.colormap import calculate_lut
    from mne.viz._brain.view import views_dicts
    study, res = os.path.join(tmp, "study"), os.path.join(tmp, "results")
    r = run([CP, "simulate", study])
    if r.returncode:
        check("demo_simulate", False, r.stderr)
        return
    src_path = os.path.join(study, "fsaverage-ico5-src.fif")
    r = run([CP, "onesample", "--a", study + "/sub*/mne_dSPM_inverse_morph-faces_eq",
             "--b", study + "/sub*/mne_dSPM_inverse_morph-scrambled_eq", "--src", src_path,
             "--tmin", "0", "--magnitude", "--p-threshold", "0.001", "--sigma", "1e-3",
             "--n-permutations", "1024", "--seed", "0", "-j", "2", "--out", res])
    check("demo_onesample_runs", r.returncode == 0, r.stderr.strip())
    files = {f: os.path.join(res, f) for f in ("summary.png", "h0.png", "report.html")}
    check("demo_leaves_figures_and_report", all(os.path.getsize(p) > 1000 for p in files.values()
                                                 if os.path.exists(p))
          and all(os.path.exists(p) for p in files.values()),
          "missing: %s" % [f for f, p in files.items() if not os.path.exists(p)])
    if not os.path.exists(files["summary.png"]):
        return
    img = load_png(files["summary.png"])
    check("summary_png_size", img.shape == (1000, 1000, 3), str(img.shape))
    corners = [img[5, 5], img[5, 994], img[300, 5]]
    check("summary_png_white_background", all((c == 255).all() for c in corners),
          str([c.tolist() for c in corners]))
    # colorbar: MNE's table (blended over the brain grey) at 10%, 50%, 90% of x 0.15..0.85
    lut = np.round(calculate_lut("hot", 1., 0, 0.1, 40, transparent=True) * 255)
    found = []
    for f in (0.1, 0.5, 0.9):
        x = int(1000 * (0.15 + 0.7 * f))
        idx = min(255, int(f * 256))
        want = lut[idx, :3]
        col = img[800:1000, x]
        found.append(bool((np.abs(col - want).max(axis=1) <= 2).any()))
    check("summary_png_colorbar_mne_colours", all(found), "found at 10/50/90%%: %s" % found)

    truth = json.load(open(os.path.join(study, "truth.json")))
    summ = mne.read_source_estimate(os.path.join(res, "summary"))
    src = mne.read_source_spaces(src_path, verbose=False)
    rr = src[0]["rr"]
    centre = rr.mean(axis=0)
    nrm = (rr - centre) / np.linalg.norm(rr - centre, axis=1)[:, None]
    val = summ.data[:len(rr), 0]  # every vertex is used: vertex v is row v
    # interior of the significant region: the vertex and its mesh neighbours all > 0
    nb = mne.surface.mesh_edges(src[0]["tris"]).tocsr()
    deg = np.asarray(nb.sum(axis=1)).ravel()
    pos = (val > 0).astype(float)
    n_pos = nb @ pos
    interior = (val > 0) & (n_pos == deg)
    far = (val == 0) & (n_pos == 0)
    patch = np.zeros(len(rr), bool)
    patch[truth["vertices"]] = True
    check("demo_cluster_overlaps_patch", (interior & patch).sum() > 10,
          "%d interior significant patch vertices" % (interior & patch).sum())

    def project(img_, hemi_view_dict, shown_rr, viewport):
        right, up, d = camera(hemi_view_dict)
        bx, by, bw, bh = viewport
        lo, hi = shown_rr.min(axis=0), shown_rr.max(axis=0)
        focal, ext = (lo + hi) / 2, (hi - lo).max()
        scale = (bh / 2) / (2 * ext * np.tan(np.deg2rad(15)))
        q = rr - focal
        xs, ys = bx + bw / 2 + q @ right * scale, by + bh / 2 - q @ up * scale
        facing = nrm @ d > 0.5
        return xs, ys, facing

    both_rr = np.r_[src[0]["rr"], src[1]["rr"]]
    # a baseline: the same figure of an all-zero estimate (cortex only). The seed's figure
    # must equal it pixel for pixel away from the significant vertices and differ on them.
    zeros = mne.SourceEstimate(np.zeros_like(summ.data[:, :1]), summ.vertices, 0, 1,
                               subject="fsaverage")
    zstem = os.path.join(tmp, "zeros")
    zeros.save(zstem, ftype="stc", overwrite=True, verbose=False)

    def figure_args(hemi, view, size, label=None):
        args = ["--hemi", hemi, "--views", view[:3], "--clim", "value:0,0.1,40", "--size",
                "%dx%d" % (size, size), "--background", "white"]
        # no label: none at all (plot would label a multi-column estimate with its time)
        return args + (["--time-label", label] if label is not None else
                       ["--no-colorbar", "--time-label", ""])

    def render(stem, out, hemi, view, size, label=None):
        r = run([CP, "plot", stem, "--src", src_path, "-o", out] +
                figure_args(hemi, view, size, label))
        return load_png(out) if r.returncode == 0 else r.stderr.strip()

    def compare(name, im, base, hemi, view, shown_rr, viewport, need_patch):
        if isinstance(im, str) or isinstance(base, str):
            check(name, False, im if isinstance(im, str) else base)
            return 0
        xs, ys, facing = project(im, views_dicts[hemi][view], shown_rr, viewport)
        def differs(v):
            y, x = int(ys[v]), int(xs[v])
            return np.abs(im[y, x] - base[y, x]).max() > 12
        sel = np.where(facing & interior & patch)[0]
        far_sel = np.where(facing & far)[0]
        frac = np.mean([differs(v) for v in sel]) if len(sel) else 1.0
        same = 1 - np.mean([differs(v) for v in far_sel]) if len(far_sel) else 0.0
        if need_patch and len(sel) < 5:
            return 0
        check(name, frac >= 0.9 and same >= 0.99 and len(far_sel) > 100,
              "%d visible patch vertices, %.2f drawn in overlay colours; %d far vertices, "
              "%.3f as plain cortex" % (len(sel), frac, len(far_sel), same))
        return len(sel)

    base = render(zstem, os.path.join(tmp, "base.png"), "both", "ventral", 1000,
                  "Duration significant (ms)")
    if not isinstance(base, str):
        outside = np.abs(img - base).max(axis=2) > 0
        check("summary_png_equals_cortex_baseline_outside_overlay",
              outside[850:].sum() == 0 and outside[:, :20].sum() == 0,
              "%d pixels differ in the colorbar band or left margin" %
              (outside[850:].sum() + outside[:, :20].sum()))
    seed_viewport = brain_viewport(zstem, src_path,
                                   figure_args("both", "ventral", 1000, "Duration significant (ms)"))
    n_seen = compare("summary_png_ventral_patch_and_cortex", img, base, "both", "ventral",
                     both_rr, seed_viewport, False)
    print("# summary.png (ventral): %d of the patch's significant vertices face the camera"
          % n_seen)

    # the patch in views that show it, through `clusterperm plot` (lh alone: no occlusion)
    seen = 0
    for view in ("lateral", "dorsal", "caudal", "ventral"):
        im = render(os.path.join(res, "summary"), os.path.join(tmp, "v.png"), "lh", view, 500)
        b0 = render(zstem, os.path.join(tmp, "b.png"), "lh", view, 500)
        seen += compare("plot_patch_visible_%s" % view, im, b0, "lh", view, rr,
                        brain_viewport(zstem, src_path, figure_args("lh", view, 500)), True) > 0
    check("plot_patch_seen_in_some_view", seen >= 1, "no view shows the patch")


def main():
    for p in (CP, TOOL):
        if not os.access(p, os.X_OK):
            check("xcheck_plot_binaries", False, "%s not built" % p)
            return 1
    tmp = tempfile.mkdtemp(prefix="cperm-xplot-")
    check_lut()
    check_spread(tmp)
    study4 = os.path.join(tmp, "g4")
    r = run([CP, "simulate", study4, "--grade", "4", "--subjects", "2", "--n-times", "10"])
    if r.returncode:
        check("views_setup", False, r.stderr)
    else:
        check_views(tmp, study4)
    check_subjects_dir(tmp)
    check_demo(tmp)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
