/* graph_internal.h - private declarations shared by the neighbourhood modules (adjacency.c:
 * surfaces; volume.c: volume grids and mixed source spaces). Not installed. */
#ifndef CPERM_GRAPH_INTERNAL_H
#define CPERM_GRAPH_INTERNAL_H

#include "common_internal.h"

/* MNE 1.3's _spatio_temporal_src_adjacency_surf over n_hemis surface spaces (stacked in that
 * order); first_index is the index of hemis[0] in its source space, for messages. Errors as
 * cperm_graph_from_src. */
int cperm_graph_from_surfaces(cperm_graph **out, const cperm_src_hemi *hemis, size_t n_hemis,
                              size_t first_index, cperm_err *err);

/* cperm_graph_from_src for a source space holding at least one volume: one volume alone as
 * MNE, several spaces as the block-diagonal of each space's graph (volume.c). */
int cperm_graph_from_spaces(cperm_graph **out, const cperm_srcspace *src, cperm_err *err);

#endif
