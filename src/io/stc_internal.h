/* stc_internal.h - private declarations shared by the source-estimate modules (stc.c for
 * the .stc format and the object, stc_h5.c for MNE's -stc.h5 files). Not installed. */
#ifndef CPERM_STC_INTERNAL_H
#define CPERM_STC_INTERNAL_H

#include "common_internal.h"

/* Vertex numbers index surfaces; MNE keeps them in int64, we in uint32 below 2^31. */
#define STC_MAX_VERTEX 0x7fffffffu

/* The number of data rows: the vertices of all blocks. */
size_t cperm_stc_rows(const cperm_stc *stc);

/* CPERM_EFORMAT ("Vertices must be ordered in increasing order", naming `name` and the block)
 * unless every block's vertices strictly ascend: volume and mixed estimates, which MNE does
 * not sort. */
int cperm_stc_check_ascending(const cperm_stc *stc, const char *name, cperm_err *err);

/* Allocate an stc with zeroed vertices and data: n_hemis (1..CPERM_STC_MAX_BLOCKS) blocks of n_vertices[h]
 * rows of n_orient x n_times doubles. tmin = tstep = 0, subject "".
 * Errors: CPERM_EINVAL (bad layout), CPERM_ENOMEM (including size overflow). */
int cperm_stc_alloc(cperm_stc **out, size_t n_hemis, const size_t *n_vertices,
                    size_t n_orient, size_t n_times, cperm_err *err);

/* As read_source_estimate does: if any hemisphere's vertices are not strictly increasing,
 * sort every hemisphere's vertices together with their data rows (argsort). Afterwards a
 * repeated vertex is an error (MNE: "Vertices must be ordered in increasing order"):
 * CPERM_EFORMAT naming `name`. CPERM_ENOMEM if the sort buffers cannot be allocated. */
int cperm_stc_sort_vertices(cperm_stc *stc, const char *name, cperm_err *err);

/* Read the surface pair lh_path, rh_path as read_source_estimate reads stem-lh.stc and
 * stem-rh.stc (the paths as given, no lookup): lh rows first, each file's vertices sorted.
 * Errors: those of the files (see cperm_stc_read), CPERM_EMISMATCH when their times differ. */
int cperm_stc_read_pair(cperm_stc **out, const char *lh_path, const char *rh_path,
                        cperm_err *err);

/* Read an h5io "-stc.h5" file (title "mnepython") with opts (NULL: defaults): any_kind 0
 * as a surface SourceEstimate or VectorSourceEstimate only (cperm_stc_read_h5), any_kind 1
 * also volume, discrete and mixed ones (cperm_stc_read_any). Errors: CPERM_EFORMAT (not
 * HDF5, missing/ill-typed members, shapes that disagree), CPERM_EUNSUPPORTED (a src_type not
 * read, complex data), CPERM_EIO, CPERM_ENOMEM, CPERM_EINVAL (options). Surface vertices are
 * sorted as by cperm_stc_sort_vertices; others checked by cperm_stc_check_ascending. */
int cperm_stc_h5_read(cperm_stc **out, const char *path, const cperm_h5_options *opts,
                      int any_kind, cperm_err *err);

#endif
