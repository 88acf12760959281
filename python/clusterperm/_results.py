"""_results.py - a cluster test's results as people report them (issue 18), from Python:
per cluster its p-value, statistic, extent, time span, peak, atlas regions (MNE Labels) and
effect sizes (the library's cperm_effect_compute: mean contrast and Cohen's d with 95%
intervals, partial eta^2 for F designs), as a table with the columns of the CLI's
clusters.tsv; to_dataframe() for pandas, to_tsv() writes the table atomically, and
read_clusters_tsv() reads the CLI's file (or ours) back.
"""
import os
import tempfile

import numpy as np

from . import _cperm

COLUMNS = ('cluster', 'p', 'significant', 'statistic', 'n_points', 'n_vertices',
           'time_first_ms', 'time_last_ms', 'peak_hemi', 'peak_vertex', 'peak_time_ms',
           'peak_stat', 'peak_region', 'regions', 'mean', 'mean_ci_low', 'mean_ci_high',
           'cohens_d', 'cohens_d_ci_low', 'cohens_d_ci_high', 'partial_eta2', 'effect_stat',
           'effect_df1', 'effect_df2')


def _flat(cluster, shape):
    """A cluster in any of MNE's forms (mask, index tuple, 1-D slice tuple) as flat indices."""
    if isinstance(cluster, np.ndarray) and cluster.dtype == bool:
        return np.flatnonzero(cluster.ravel())
    if isinstance(cluster, tuple):
        if len(cluster) == 1 and isinstance(cluster[0], slice):
            return np.arange(cluster[0].start, cluster[0].stop, dtype=np.int64)
        return np.ravel_multi_index(tuple(np.asarray(c) for c in cluster), shape)
    return np.asarray(cluster, np.int64).ravel()


class ClusterResults:
    """The clusters of one test with what a paper reports of each (see cluster_results).
    rows: one dict per cluster, keys COLUMNS (NaN or '' where a value does not apply)."""

    def __init__(self, rows, p_thresh):
        self.rows = rows
        self.p_thresh = p_thresh

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, k):
        return self.rows[k]

    def significant(self):
        return [r for r in self.rows if r['p'] < self.p_thresh]

    def to_dataframe(self):
        import pandas as pd
        return pd.DataFrame(self.rows, columns=list(COLUMNS))

    def to_tsv(self, path):
        """Writes the table as clusters.tsv (tab-separated, a header line; NaN as an empty
        field), atomically: a temporary file in the same directory, then a rename."""
        lines = ['\t'.join(COLUMNS)]
        for r in self.rows:
            cells = []
            for c in COLUMNS:
                v = r[c]
                if isinstance(v, (bool, np.bool_)):
                    cells.append('True' if v else 'False')
                elif isinstance(v, (float, np.floating)):
                    cells.append('' if np.isnan(v) else repr(float(v)))
                else:
                    cells.append(str(v).replace('\t', ' ').replace('\n', ' '))
            lines.append('\t'.join(cells))
        d = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=d, prefix='.clusters-', suffix='.tsv')
        try:
            with os.fdopen(fd, 'w') as f:
                f.write('\n'.join(lines) + '\n')
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise


def read_clusters_tsv(path):
    """The CLI's clusters.tsv (or ClusterResults.to_tsv's) as a pandas DataFrame."""
    import pandas as pd
    return pd.read_csv(path, sep='\t')


def cluster_results(X, result, p_thresh=0.05, design=None, tstep=1.0, tmin=0.0,
                    vertices=None, labels=None, factor_levels=None, effects='A',
                    equal_var=True):
    """Per-cluster summary of a test's (T_obs, clusters, cluster_pv, H0).

    X: the test's data (an array for one-sample tests, the list of groups or cells otherwise).
    design: 'onesample', 'two_groups' (two-sample t), 'groups_f' (one-way F) or 'rm'
    (repeated-measures cells: factor_levels, effects); None guesses from X (an array:
    onesample; two groups: two_groups; more: groups_f). The first sample dimension is time
    (in steps of tstep seconds from tmin) and the last space when T_obs is 2-D or more;
    vertices (e.g. [lh vertno, rh vertno]) name the space indices and labels (mne.Label
    objects, e.g. from mne.read_labels_from_annot) give each cluster its regions (vertex
    counts, largest first) and its peak's region.
    Effect sizes are the library's (cperm_effect_compute; formulas in clusterperm.h):
    c_s = observation s averaged over the cluster's points; mean contrast, Cohen's d
    (d_z for one sample, pooled-sd d for two groups) with 95% intervals; partial eta^2 for F
    designs (for 'rm' from the F of c computed by f_mway_rm, eta2_p = F df1 / (F df1 + df2))."""
    T_obs, clusters, pvals = result[0], result[1], np.asarray(result[2], float)
    shape = T_obs.shape
    groups = X if isinstance(X, (list, tuple)) else None
    if design is None:
        design = 'onesample' if groups is None else 'two_groups' if len(groups) == 2 \
            else 'groups_f'
    if groups is None:
        data = np.asarray(X, float).reshape(len(X), -1)
        sizes = []
    else:
        data = np.concatenate([np.asarray(g, float).reshape(len(g), -1) for g in groups])
        sizes = [len(g) for g in groups]
    kind = dict(onesample=_cperm.EFFECT_ONESAMPLE, two_groups=_cperm.EFFECT_TWO_GROUPS,
                groups_f=_cperm.EFFECT_GROUPS_F, rm=None)[design]
    flat = [_flat(c, shape) for c in clusters]
    if kind is not None:
        eff = _cperm.effects(np.ascontiguousarray(data), flat, kind, sizes, bool(equal_var),
                             [], 0)
    else:
        eff = np.full((len(flat), 11), np.nan)
        levels = [int(v) for v in factor_levels]
        mask = _cperm.mway_effects(len(levels), effects)
        if len(mask) != 1:
            raise ValueError('design rm takes one effect, got %r' % (effects,))
        S = sizes[0]
        df1 = float(np.prod([levels[k] - 1 for k in range(len(levels)) if mask[0] >> k & 1]))
        df2 = df1 * (S - 1)
        cells = np.stack([data[i * S:(i + 1) * S] for i in range(len(sizes))], axis=1)
        for k, f in enumerate(flat):
            c = cells[:, :, f].mean(axis=2)[:, :, None]
            F = _cperm.f_mway_rm(np.ascontiguousarray(c), levels, mask[0])[0]
            eff[k, 0] = len(f)
            eff[k, 7] = F * df1 / (F * df1 + df2)
            eff[k, 8:11] = F, df1, df2
    T = np.asarray(T_obs, float).ravel()
    n_space = shape[-1] if len(shape) >= 2 else (shape[0] if shape else 1)
    has_time = len(shape) >= 2
    hemi_of, vert_of = None, None
    if vertices is not None:
        hemi_of = np.concatenate([np.full(len(v), h) for h, v in enumerate(vertices)])
        vert_of = np.concatenate([np.asarray(v) for v in vertices])
    label_sets = []
    for lab in labels or []:
        h = 0 if lab.hemi == 'lh' else 1
        label_sets.append((lab.name, h, set(np.asarray(lab.vertices).tolist())))
    rows = []
    for k, f in enumerate(flat):
        space = f % n_space
        time = f // n_space
        peak = f[np.argmax(np.abs(T[f]))]
        row = dict(cluster=k, p=float(pvals[k]), significant=bool(pvals[k] < p_thresh),
                   statistic=float(np.sum(T[f])), n_points=int(len(f)),
                   n_vertices=int(len(np.unique(space))),
                   time_first_ms=1e3 * (tmin + tstep * time.min()) if has_time else np.nan,
                   time_last_ms=1e3 * (tmin + tstep * time.max()) if has_time else np.nan,
                   peak_hemi='', peak_vertex=int(peak % n_space),
                   peak_time_ms=1e3 * (tmin + tstep * (peak // n_space)) if has_time
                   else np.nan, peak_stat=float(T[peak]), peak_region='', regions='')
        if vert_of is not None:
            ps = int(peak % n_space)
            row['peak_hemi'] = ('lh', 'rh', 'vol')[min(int(hemi_of[ps]), 2)]
            row['peak_vertex'] = int(vert_of[ps])
            if label_sets:
                us = np.unique(space)
                counts = []
                for name, h, vs in label_sets:
                    n = sum(1 for s in us if hemi_of[s] == h and int(vert_of[s]) in vs)
                    if n:
                        counts.append((n, name))
                    if hemi_of[ps] == h and int(vert_of[ps]) in vs and not row['peak_region']:
                        row['peak_region'] = name
                counts.sort(key=lambda t: (-t[0], t[1]))
                row['regions'] = ';'.join('%s:%d' % (name, n) for n, name in counts)
        e = eff[k]
        row.update(mean=e[1], mean_ci_low=e[2], mean_ci_high=e[3], cohens_d=e[4],
                   cohens_d_ci_low=e[5], cohens_d_ci_high=e[6], partial_eta2=e[7],
                   effect_stat=e[8], effect_df1=e[9], effect_df2=e[10])
        rows.append(row)
    return ClusterResults(rows, p_thresh)
