"""_adjacency.py - neighbourhoods and cluster summaries under MNE's names:
combine_adjacency (the neighbourhood over several dimensions, as scipy COO with MNE's
structure), spatial_src_adjacency (surface source spaces on the C library, other kinds
through MNE) and summarize_clusters_stc.
"""
import numbers

import numpy as np

from . import _cperm


def combine_adjacency(*structure):
    """The adjacency over the product of dimensions, as mne.stats.combine_adjacency: each
    argument an int (a lattice) or a square (sparse) matrix of 0/1 values. Returns a
    (n, n) scipy.sparse.coo_matrix with the diagonal set, MNE's structure."""
    from scipy import sparse
    mats = []
    for di, dim in enumerate(structure):
        name = 'structure[%d]' % di
        if isinstance(dim, (numbers.Integral, np.integer)):
            n = int(dim)
            dim = sparse.diags([1, 1], offsets=(-1, 1), shape=(n, n), dtype=float).tocoo()
        elif isinstance(dim, np.ndarray) or sparse.issparse(dim):
            if dim.ndim != 2:
                raise ValueError("Invalid value for the '%s.ndim' parameter. The only allowed "
                                 "value is 2, but got %d instead." % (name, dim.ndim))
            if dim.shape[0] != dim.shape[1]:
                raise ValueError('%s must be square, got shape %s' % (name, dim.shape))
            dim = sparse.coo_matrix(dim, copy=True)
        else:
            raise TypeError('%s must be an instance of int-like, ndarray, or spmatrix, got '
                            '%s instead.' % (name, type(dim)))
        dim.data[dim.row == dim.col] = 0.
        dim.eliminate_zeros()
        if not (dim.data == 1).all():
            raise ValueError('All adjacency values must be 0 or 1')
        mats.append(dim.tocsr())
    sizes = [m.shape[0] for m in mats]
    total = int(np.prod(sizes))
    out = sparse.csr_matrix((total, total))
    for di, m in enumerate(mats):
        before = int(np.prod(sizes[:di]))
        after = int(np.prod(sizes[di + 1:]))
        out = out + sparse.kron(sparse.kron(sparse.eye(before), m), sparse.eye(after))
    out = out.tocoo()
    out.data[:] = 1.
    diag = np.arange(total)
    return sparse.coo_matrix((np.concatenate([out.data, np.ones(total)]),
                              (np.concatenate([out.row, diag]),
                               np.concatenate([out.col, diag]))), shape=(total, total))


def spatial_src_adjacency(src, dist=None, verbose=None):
    """The adjacency of a surface source space's vertices, as mne.spatial_src_adjacency:
    the vertices of use_tris numbered hemisphere after hemisphere, each triangle's vertices
    neighbours, on the C library; a (n, n) COO of int64 ones with the diagonal, MNE's
    structure. With dist, for volume or mixed spaces, or without use_tris, MNE's own function
    is called."""
    from scipy import sparse
    surfaces = all(s.get('type', 'surf') == 'surf' and s.get('use_tris') is not None
                   for s in src)
    if dist is not None or not surfaces:
        from . import mne_function
        return mne_function('spatial_src_adjacency')(src, dist=dist, verbose=verbose)
    used = [np.unique(s['use_tris']) for s in src]
    offsets = np.cumsum([0] + [len(u) for u in used])[:-1]
    tris = np.concatenate([np.searchsorted(u, s['use_tris']) + off
                           for u, s, off in zip(used, src, offsets)])
    n = int(sum(len(u) for u in used))
    indptr, indices = _cperm.graph_from_tris(tris.astype(np.int32), n, False)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    diag = np.arange(n)
    adjacency = sparse.coo_matrix(
        (np.ones(len(rows) + n, np.int64),
         (np.concatenate([rows, diag]), np.concatenate([indices.astype(np.int64), diag]))),
        shape=(n, n))
    masks = [np.in1d(u, s['vertno']) for s, u in zip(src, used)]
    if [int(np.sum(m)) for m in masks] != [len(s['vertno']) for s in src]:
        raise ValueError('Vertex mask does not match number of vertices')
    masks = np.concatenate(masks)
    missing = 100 * float(len(masks) - np.sum(masks)) / len(masks)
    if missing:
        from ._util import warn
        warn('%0.1f%% of original source space vertices have been omitted, tri-based '
             'adjacency will have holes.\nConsider using distance-based adjacency or '
             'morphing data to all source space vertices.' % missing)
        keep = np.where(masks)[0]
        adjacency = adjacency.tocsr()[keep][:, keep].tocoo()
    return adjacency


def summarize_clusters_stc(clu, p_thresh=0.05, tstep=1.0, tmin=0, subject='fsaverage',
                           vertices=None):
    """A SourceEstimate summarising spatio-temporal clusters, as
    mne.stats.summarize_clusters_stc: time point 0 the sum over clusters with p < p_thresh,
    then one per cluster, each vertex's value its duration in the cluster (x tstep)."""
    from mne import SourceEstimate, VolSourceEstimate, MixedSourceEstimate, SourceSpaces
    if vertices is None:
        vertices = [np.arange(10242), np.arange(10242)]
        klass = SourceEstimate
    elif isinstance(vertices, SourceSpaces):
        klass = dict(surface=SourceEstimate, volume=VolSourceEstimate,
                     mixed=MixedSourceEstimate)[vertices.kind]
        vertices = [s['vertno'] for s in vertices]
    elif isinstance(vertices, list):
        klass = {1: VolSourceEstimate, 2: SourceEstimate}.get(len(vertices),
                                                              MixedSourceEstimate)
    else:
        raise TypeError('vertices must be an instance of None, list, or SourceSpaces, got '
                        '%s instead.' % type(vertices))
    n_need = sum(len(v) for v in vertices)
    t_obs, clusters, pvals, _ = clu
    n_times, n_vertices = t_obs.shape
    if n_vertices != n_need:
        raise ValueError('Number of cluster vertices (%d) did not match the provided '
                         'vertices (%d)' % (n_vertices, n_need))
    good = np.where(pvals < p_thresh)[0]
    if len(good) == 0:
        raise RuntimeError('No significant clusters available. Please adjust your threshold '
                           'or check your statistical analysis.')
    summary = np.zeros((n_vertices, len(good) + 1))
    data = np.zeros((n_vertices, n_times))
    for ii, k in enumerate(good):
        data.fill(0)
        t_inds, v_inds = clusters[k]
        data[v_inds, t_inds] = t_obs[t_inds, v_inds]
        # each vertex's signed duration in the cluster, summed over time as MNE sums it
        summary[:, ii + 1] = np.sum(np.sign(data) * np.logical_not(data == 0) * tstep, axis=1)
    summary[:, 0] = np.sum(summary, axis=1)
    return klass(summary, vertices, tmin, tstep, subject)
