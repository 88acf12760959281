/* atlas.c - a cluster run's anatomy and effect sizes (issue 18): --parc, --label,
 * --subjects-dir and --subject; the regions each cluster covers, its peak's coordinates and
 * MNI position (mne.vertex_to_mni), and cperm_cluster_effects, for clusters.json,
 * clusters.tsv and the report. */
#include "atlas.h"
#include "onesample.h"

#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void atlas_cli_init(atlas_cli *a) {
    memset(a, 0, sizeof *a);
    a->subject = "fsaverage";
}

int atlas_cli_any(const atlas_cli *a) {
    return a->parc || a->n_labels || a->subjects_dir;
}

int atlas_cli_option(atlas_cli *a, const char *command, const char *name, const char *val) {
    if (!strcmp(name, "--parc")) {
        if (!*val || strchr(val, '/')) {
            cli_error("%s: --parc '%s' must be a parcellation name such as aparc (the files "
                      "are SUBJECTS_DIR/SUBJECT/label/lh.NAME.annot and rh.NAME.annot)", command,
                      val);
            return -1;
        }
        a->parc = val;
    } else if (!strcmp(name, "--label")) {
        if (a->n_labels == ATLAS_MAX_LABELS) {
            cli_error("%s: more than %d --label files", command, ATLAS_MAX_LABELS);
            return -1;
        }
        a->labels[a->n_labels++] = val;
    } else if (!strcmp(name, "--subjects-dir")) {
        a->subjects_dir = val;
    } else if (!strcmp(name, "--subject")) {
        if (!*val || strchr(val, '/')) {
            cli_error("%s: --subject '%s' must be a subject's directory name", command, val);
            return -1;
        }
        a->subject = val;
    } else {
        return 0;
    }
    return 1;
}

void atlas_free(cli_atlas *atlas) {
    if (!atlas) return;
    for (int h = 0; h < 2; h++) {
        cperm_annot_free(atlas->annot[h]);
        cperm_surf_free(atlas->white[h]);
    }
    for (size_t i = 0; i < atlas->n_labels; i++) cperm_label_free(atlas->labels[i]);
    for (size_t g = 0; g < atlas->n_region_names; g++) free(atlas->region_names[g]);
    free(atlas->region_names);
    free(atlas);
}

const char *atlas_region_name(const cli_atlas *atlas, size_t g) {
    return g < atlas->n_region_names ? atlas->region_names[g] : "";
}

static int is_file(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The parcellations in DIR (lh.NAME.annot), listed for an unknown --parc. */
static void list_parcs(char *buf, size_t cap, const char *dir) {
    char pat[4500];
    glob_t g;
    buf[0] = '\0';
    snprintf(pat, sizeof pat, "%s/lh.*.annot", dir);
    if (glob(pat, 0, NULL, &g) == 0) {
        size_t len = 0;
        for (size_t i = 0; i < g.gl_pathc && len + 2 < cap; i++) {
            const char *b = strrchr(g.gl_pathv[i], '/');
            b = b ? b + 4 : g.gl_pathv[i] + 3;
            const size_t n = strlen(b) - 6; /* without ".annot" */
            int w = snprintf(buf + len, cap - len, "%s%.*s", len ? ", " : "", (int)n, b);
            if (w < 0) break;
            len += (size_t)w;
        }
    }
    globfree(&g);
}

int atlas_load(cli_atlas **out, const atlas_cli *a, const os_study *st, const char *command) {
    *out = NULL;
    if (!atlas_cli_any(a)) return 0;
    cperm_err err = {0};
    cli_atlas *at = calloc(1, sizeof *at);
    if (!at) {
        cli_error("%s: out of memory", command);
        return -1;
    }
    at->opts = a;
    const cperm_srcspace *src = st->src;
    const size_t n_surf = st->volume ? 0 : 2; /* a volume space has no hemispheres */
    if (a->parc || a->subjects_dir) {
        const char *dir = a->subjects_dir ? a->subjects_dir : getenv("SUBJECTS_DIR");
        if (!dir || !*dir) {
            cli_error("%s: --parc %s: give --subjects-dir DIR (or set SUBJECTS_DIR): the "
                      "parcellation is read from DIR/%s/label", command, a->parc, a->subject);
            goto fail;
        }
        snprintf(at->subjects_dir, sizeof at->subjects_dir, "%s", dir);
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, a->subject);
        struct stat sb;
        if (stat(path, &sb) || !S_ISDIR(sb.st_mode)) {
            cli_error("%s: --subject %s: no subject directory %s", command, a->subject, path);
            goto fail;
        }
        if (a->parc && n_surf == 0) {
            cli_error("%s: --parc %s: %s is a volume source space; a surface parcellation "
                      "(.annot) labels surface vertices only", command, a->parc,
                      st->src ? "--src" : "the data");
            goto fail;
        }
        for (size_t h = 0; a->parc && h < n_surf; h++) {
            snprintf(path, sizeof path, "%s/%s/label/%s.%s.annot", dir, a->subject,
                     h ? "rh" : "lh", a->parc);
            if (!is_file(path)) {
                char found[1024], ldir[4400];
                snprintf(ldir, sizeof ldir, "%s/%s/label", dir, a->subject);
                list_parcs(found, sizeof found, ldir);
                cli_error("%s: --parc %s: no such file %s (parcellations in %s: %s)", command,
                          a->parc, path, ldir, *found ? found : "none");
                goto fail;
            }
            if (cperm_annot_read(&at->annot[h], path, &err)) {
                cli_error("%s", err.msg);
                goto fail;
            }
            if (at->annot[h]->n_vertices != src->hemis[h].np) {
                cli_error("%s: %s: the parcellation has %zu vertices, the source space's %s "
                          "surface %zu: not the same subject's surface", command, path,
                          at->annot[h]->n_vertices, h ? "rh" : "lh", src->hemis[h].np);
                goto fail;
            }
        }
        if (a->parc) { /* MNE's label names, lh's regions then rh's */
            const size_t n0 = at->annot[0]->n_regions, n = n0 + at->annot[1]->n_regions;
            if (!(at->region_names = calloc(n ? n : 1, sizeof *at->region_names))) {
                cli_error("%s: out of memory", command);
                goto fail;
            }
            for (size_t g = 0; g < n; g++) {
                const int h = g >= n0;
                const char *base = at->annot[h]->names[h ? g - n0 : g];
                char *s = malloc(strlen(base) + 4);
                if (!s) {
                    cli_error("%s: out of memory", command);
                    goto fail;
                }
                sprintf(s, "%s-%s", base, h ? "rh" : "lh");
                at->region_names[g] = s;
                at->n_region_names = g + 1;
            }
        }
        /* MNI: as mne.vertex_to_mni (read_talxfm: talairach.xfm and orig.mgz or T1.mgz;
         * the surface's vertices from ?h.white) */
        cperm_affine ras_mni, mri_ras;
        snprintf(path, sizeof path, "%s/%s/mri/transforms/talairach.xfm", dir, a->subject);
        if (!is_file(path)) {
            cli_error("%s: %s: no such file: the MNI coordinates need the subject's "
                      "talairach.xfm (FreeSurfer's recon-all writes it)", command, path);
            goto fail;
        }
        if (cperm_xfm_read(&ras_mni, path, &err)) {
            cli_error("%s", err.msg);
            goto fail;
        }
        snprintf(path, sizeof path, "%s/%s/mri/orig.mgz", dir, a->subject);
        if (!is_file(path)) snprintf(path, sizeof path, "%s/%s/mri/T1.mgz", dir, a->subject);
        if (!is_file(path)) {
            cli_error("%s: %s/%s/mri: neither orig.mgz nor T1.mgz: the MNI coordinates need "
                      "the MRI's header (as mne.read_talxfm)", command, dir, a->subject);
            goto fail;
        }
        if (cperm_mgh_mri_ras(&mri_ras, path, &err)) {
            cli_error("%s", err.msg);
            goto fail;
        }
        cperm_affine_mul(&at->mri_mni, &ras_mni, &mri_ras);
        for (size_t h = 0; h < n_surf; h++) {
            snprintf(path, sizeof path, "%s/%s/surf/%s.white", dir, a->subject, h ? "rh" : "lh");
            if (cperm_surf_read(&at->white[h], path, &err)) {
                cli_error("%s (the MNI coordinates of surface vertices are those of ?h.white, "
                          "as mne.vertex_to_mni)", err.msg);
                goto fail;
            }
            if (at->white[h]->n_vertices != src->hemis[h].np) {
                cli_error("%s: %s: %zu vertices, the source space's %s surface %zu: not the "
                          "same subject's surface", command, path, at->white[h]->n_vertices,
                          h ? "rh" : "lh", src->hemis[h].np);
                goto fail;
            }
        }
        at->mni = 1;
    }
    for (size_t i = 0; i < a->n_labels; i++) {
        if (n_surf == 0) {
            cli_error("%s: --label %s: a volume source space has no surface vertices to "
                      "label", command, a->labels[i]);
            goto fail;
        }
        if (cperm_label_read(&at->labels[i], a->labels[i], &err)) {
            cli_error("%s", err.msg);
            goto fail;
        }
        at->n_labels = i + 1;
        const cperm_label *l = at->labels[i];
        const size_t np = src->hemis[l->hemi].np;
        if (l->n_vertices && (size_t)l->vertices[l->n_vertices - 1] >= np) {
            cli_error("%s: %s: vertex %d, but the source space's %s surface has %zu vertices",
                      command, a->labels[i], (int)l->vertices[l->n_vertices - 1],
                      l->hemi ? "rh" : "lh", np);
            goto fail;
        }
    }
    *out = at;
    return 0;
fail:
    atlas_free(at);
    return -1;
}

/* ------------------------------------------------------------- per cluster */

void cluster_info_free(cluster_info *info, size_t n) {
    for (size_t k = 0; info && k < n; k++) {
        free(info[k].regions);
        free(info[k].labels);
    }
    free(info);
}

static int cmp_hits(const void *a, const void *b) {
    const atlas_hit *x = a, *y = b;
    if (x->n_vertices != y->n_vertices) return x->n_vertices > y->n_vertices ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int in_sorted(const int32_t *v, size_t n, int32_t x) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && v[lo] == x;
}

/* The block of the stacked row v and its row there. */
static size_t block_of(const cperm_stc *L, size_t v, size_t *row) {
    size_t h = 0;
    while (h + 1 < L->n_hemis && v >= L->n_vertices[h]) v -= L->n_vertices[h++];
    *row = v;
    return h;
}

static void effect_design(cperm_effect_design *d, const os_opts *o, const os_study *st) {
    memset(d, 0, sizeof *d);
    if (os_rm(o)) {
        d->kind = CPERM_EFFECT_RM;
        d->n_groups = st->n_groups;
        d->factor_levels = o->rm_levels;
        d->n_factors = o->rm_n_factors;
        d->effect = o->rm_effect;
    } else if (os_independent(o)) {
        d->kind = o->statistic == CPERM_STAT_T_IND ? CPERM_EFFECT_TWO_GROUPS
                                                   : CPERM_EFFECT_GROUPS_F;
        d->n_groups = st->n_groups;
        d->group_sizes = st->group_sizes;
        d->equal_var = o->equal_var;
    } else {
        d->kind = CPERM_EFFECT_ONESAMPLE;
    }
}

/* A region's MNE label name: "NAME-lh". names points into buf (n_regions x 2 x 256). */
/* The records of n_clusters clusters whose members come from members(run, k, &n): the
 * run's clusters (run_clusters: cperm_run_cluster, effects of every design at once) or exact
 * TFCE's threshold clusters (--also, issue 17: one-sample effects one cluster at a time). */
static int info_compute(cluster_info **out, const os_result *r, const cli_atlas *atlas,
                        size_t n_clusters, int run_clusters,
                        const int64_t *(*members)(const cperm_run *, size_t, size_t *)) {
    const os_study *st = r->study;
    const cperm_stc *L = st->layout;
    const size_t nv = cli_stc_rows(L);
    const double *tobs = cperm_run_tobs(r->run);
    cperm_err err = {0};
    *out = NULL;
    cluster_info *info = calloc(n_clusters ? n_clusters : 1, sizeof *info);
    uint8_t *seen = calloc(nv ? nv : 1, 1);
    size_t *counts = NULL, n_regions_all = 0;
    if (atlas && atlas->annot[0])
        n_regions_all = atlas->annot[0]->n_regions + atlas->annot[1]->n_regions;
    cperm_effect *eff = calloc(n_clusters ? n_clusters : 1, sizeof *eff);
    counts = calloc(n_regions_all + 1, sizeof *counts);
    if (!info || !seen || !eff || !counts) {
        cli_error("out of memory for the clusters' records");
        goto fail;
    }
    /* effect sizes of every cluster at once (one workspace) */
    cperm_effect_design d;
    effect_design(&d, r->opts, st);
    if (run_clusters) {
        if (cperm_cluster_effects(eff, n_clusters, r->run, st->X, st->a.stems.n,
                                  nv * L->n_times, &d, &err)) {
            cli_error("effect sizes: %s", err.msg);
            goto fail;
        }
    } else {
        double *work = malloc((st->a.stems.n ? st->a.stems.n : 1) * sizeof *work);
        if (!work) {
            cli_error("out of memory for the clusters' records");
            goto fail;
        }
        for (size_t k = 0; k < n_clusters; k++) {
            size_t n_m = 0;
            const int64_t *m = members(r->run, k, &n_m);
            if (cperm_effect_compute(&eff[k], st->X, st->a.stems.n, nv * L->n_times, m, n_m,
                                     &d, work, &err)) {
                free(work);
                cli_error("effect sizes: %s", err.msg);
                goto fail;
            }
        }
        free(work);
    }
    for (size_t k = 0; k < n_clusters; k++) {
        cluster_info *ci = &info[k];
        size_t n_m = 0;
        const int64_t *m = members(r->run, k, &n_m);
        ci->n_points = n_m;
        ci->effect = eff[k];
        ci->t_first = SIZE_MAX;
        ci->peak = SIZE_MAX;
        for (size_t i = 0; i < n_m; i++) {
            const size_t idx = (size_t)m[i], t = idx / nv;
            if (t < ci->t_first) ci->t_first = t;
            if (t > ci->t_last) ci->t_last = t;
            if (ci->peak == SIZE_MAX || fabs(tobs[idx]) > fabs(tobs[ci->peak]) ||
                (fabs(tobs[idx]) == fabs(tobs[ci->peak]) && idx < ci->peak))
                ci->peak = idx;
        }
        if (n_m == 0) continue;
        ci->peak_block = block_of(L, ci->peak % nv, &ci->peak_row);
        ci->peak_vertex = L->vertices[ci->peak_block][ci->peak_row];
        const size_t pb = ci->peak_block;
        const int in_volume = st->volume || (st->mixed && pb == 2);
        const cperm_src_hemi *sh = st->src ? &st->src->hemis[pb] : NULL;
        if (sh && ci->peak_vertex < sh->np) {
            ci->has_pos = 1;
            for (int c = 0; c < 3; c++)
                ci->pos_mm[c] = (double)sh->rr[3 * (size_t)ci->peak_vertex + (size_t)c] * 1000.0;
        }
        if (atlas && atlas->mni && sh && ci->peak_vertex < sh->np) {
            double x[3];
            for (int c = 0; c < 3; c++)
                x[c] = in_volume ? ci->pos_mm[c]
                                 : (double)atlas->white[pb]->rr[3 * (size_t)ci->peak_vertex +
                                                                (size_t)c];
            cperm_affine_apply(ci->mni, &atlas->mri_mni, x);
            ci->has_mni = 1;
        }
        /* distinct vertices, and the regions and labels they fall in */
        memset(counts, 0, (n_regions_all + 1) * sizeof *counts);
        if (atlas && atlas->n_labels &&
            !(ci->labels = calloc(atlas->n_labels, sizeof *ci->labels))) {
            cli_error("out of memory for the clusters' records");
            goto fail;
        }
        ci->n_labels = atlas ? atlas->n_labels : 0;
        for (size_t i = 0; i < n_m; i++) {
            const size_t v = (size_t)m[i] % nv;
            if (seen[v]) continue;
            seen[v] = 1;
            ci->n_vertices++;
            size_t row;
            const size_t h = block_of(L, v, &row);
            const int surf = !st->volume && h < 2;
            if (!atlas || !surf) continue;
            const uint32_t vert = L->vertices[h][row];
            if (atlas->annot[0]) {
                const int32_t reg = atlas->annot[h]->region[vert];
                if (reg < 0) ci->n_unlabelled++;
                else counts[(h ? atlas->annot[0]->n_regions : 0) + (size_t)reg]++;
            }
            for (size_t l = 0; l < atlas->n_labels; l++) {
                const cperm_label *lab = atlas->labels[l];
                if ((size_t)lab->hemi == h &&
                    in_sorted(lab->vertices, lab->n_vertices, (int32_t)vert))
                    ci->labels[l].n_vertices++;
            }
        }
        for (size_t i = 0; i < n_m; i++) seen[(size_t)m[i] % nv] = 0;
        for (size_t l = 0; l < ci->n_labels; l++) {
            ci->labels[l].name = atlas->labels[l]->name;
            ci->labels[l].fraction = (double)ci->labels[l].n_vertices / (double)ci->n_vertices;
        }
        if (atlas && atlas->annot[0]) {
            size_t n_hit = 0;
            for (size_t g = 0; g < n_regions_all; g++) n_hit += counts[g] > 0;
            if (!(ci->regions = calloc(n_hit ? n_hit : 1, sizeof *ci->regions))) {
                cli_error("out of memory for the clusters' records");
                goto fail;
            }
            for (size_t g = 0; g < n_regions_all; g++) {
                if (!counts[g]) continue;
                atlas_hit *hit = &ci->regions[ci->n_regions++];
                hit->name = atlas_region_name(atlas, g);
                hit->n_vertices = counts[g];
                hit->fraction = (double)counts[g] / (double)ci->n_vertices;
            }
            qsort(ci->regions, ci->n_regions, sizeof *ci->regions, cmp_hits);
            if (!in_volume && pb < 2) {
                const int32_t reg = atlas->annot[pb]->region[ci->peak_vertex];
                if (reg >= 0)
                    ci->peak_region =
                        atlas_region_name(atlas, (pb ? atlas->annot[0]->n_regions : 0) + (size_t)reg);
            }
        }
    }
    free(seen);
    free(counts);
    free(eff);
    *out = info;
    return 0;
fail:
    free(seen);
    free(counts);
    free(eff);
    cluster_info_free(info, n_clusters);
    return -1;
}

int cluster_info_compute(cluster_info **out, const os_result *r, const cli_atlas *atlas) {
    return info_compute(out, r, atlas, cperm_run_n_clusters(r->run), 1, cperm_run_cluster);
}

int cluster_info_compute_also(cluster_info **out, const os_result *r) {
    return info_compute(out, r, NULL, cperm_run_tfce_also_n_clusters(r->run), 0,
                        cperm_run_tfce_also_cluster);
}
