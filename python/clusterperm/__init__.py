"""clusterperm - cluster-based permutation statistics for MEG/EEG on a C engine, with the
names, signatures, defaults and results of mne.stats.

    import clusterperm
    clusterperm.patch_mne()      # mne.stats' cluster functions are now clusterperm's
    ...                          # an existing MNE script, unchanged
    clusterperm.unpatch_mne()    # MNE's own again

or call clusterperm.spatio_temporal_cluster_1samp_test(...) etc. directly. Every function
takes the keyword compat=None (true connected components, MNE's current main) or 'mne1.3'
(MNE 1.3's clustering and stepped TFCE, bit for bit).
"""
from . import _cperm
from ._adjacency import combine_adjacency, spatial_src_adjacency, summarize_clusters_stc
from ._cluster import (DEFAULTS, permutation_cluster_1samp_test, permutation_cluster_test,
                       spatio_temporal_cluster_1samp_test, spatio_temporal_cluster_test)
from ._results import ClusterResults, cluster_results, read_clusters_tsv
from ._stats import (bonferroni_correction, f_mway_rm, f_oneway, f_threshold_mway_rm,
                     fdr_correction, permutation_t_test, ttest_1samp_no_p, ttest_ind_no_p)

__version__ = _cperm.version

# The names patch_mne replaces, and where MNE defines or re-exports them.
PATCHED = (
    'permutation_cluster_test', 'permutation_cluster_1samp_test',
    'spatio_temporal_cluster_test', 'spatio_temporal_cluster_1samp_test',
    'permutation_t_test', 'ttest_1samp_no_p', 'ttest_ind_no_p', 'f_oneway', 'f_mway_rm',
    'f_threshold_mway_rm', 'summarize_clusters_stc', 'combine_adjacency',
    'spatial_src_adjacency', 'fdr_correction', 'bonferroni_correction')
_MODULES = ('mne', 'mne.stats', 'mne.stats.cluster_level', 'mne.stats.parametric',
            'mne.stats.permutations', 'mne.stats.multi_comp', 'mne.stats._adjacency',
            'mne.source_estimate')
_saved = {}


def patch_mne(compat=None):
    """Replace MNE's cluster functions (in mne.stats, mne.stats.cluster_level and the
    modules that define or re-export them) with clusterperm's, so that an existing script,
    and code that looks the names up at call time, runs on the C engine. compat is the
    default of the patched functions' compat keyword: None (true connected components, as
    MNE's current main) or 'mne1.3' (MNE 1.3's results bit for bit, its split clusters and
    stepped TFCE included). Idempotent; unpatch_mne() restores MNE's. Returns the names
    patched."""
    import importlib
    if compat not in (None, 'mne1.3'):
        raise ValueError("compat must be None or 'mne1.3', got %r" % (compat,))
    DEFAULTS['compat'] = compat
    ours = globals()
    for mod_name in _MODULES:
        mod = importlib.import_module(mod_name)
        for name in PATCHED:
            if hasattr(mod, name):
                key = (mod_name, name)
                if key not in _saved:
                    _saved[key] = getattr(mod, name)
                setattr(mod, name, ours[name])
    return PATCHED


def unpatch_mne():
    """Undo patch_mne(): MNE's own functions everywhere they were."""
    import importlib
    DEFAULTS['compat'] = None
    for (mod_name, name), func in list(_saved.items()):
        setattr(importlib.import_module(mod_name), name, func)
    _saved.clear()


def mne_function(name):
    """MNE's own function `name` (also while patched), for comparisons."""
    import importlib
    for mod_name in _MODULES[1:] + _MODULES[:1]:
        if (mod_name, name) in _saved:
            return _saved[(mod_name, name)]
    for mod_name in _MODULES:
        mod = importlib.import_module(mod_name)
        if hasattr(mod, name):
            return getattr(mod, name)
    raise AttributeError(name)


__all__ = list(PATCHED) + ['patch_mne', 'unpatch_mne', 'mne_function', 'cluster_results',
                           'ClusterResults', 'read_clusters_tsv']
