/* fuzz_neighbors.c - libFuzzer target: a FieldTrip neighbour .mat file through
 * cperm_ch_adjacency_read (our MAT header check, libmatio's MAT v5 reader and zlib, then the
 * loadmat/_recursive_flatten unpacking), then cperm_ch_adjacency_pick. libmatio reads only
 * from a path, so the input goes through a scratch file. */
#include "clusterperm.h"
#include "fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cperm_ch_names *names = NULL, *picked = NULL;
    cperm_graph *graph = NULL, *pgraph = NULL;
    cperm_err err = {0};
    const char *path = fuzz_scratch_file("fuzz_neighb.mat", data, size);
    if (!path) return 0;
    if (cperm_ch_adjacency_read(&names, &graph, path, &err) != 0) {
        FUZZ_CHECK(!names && !graph && err.msg[0] && err.code < 0);
        return 0;
    }
    FUZZ_CHECK(names && graph && names->n_channels == graph->n_vertices && names->n_channels > 0);
    for (size_t i = 0; i < names->n_channels; i++) {
        FUZZ_CHECK(names->names[i] != NULL);
        /* MNE's rename: a name starting with "MEG" has a space after it */
        if (!strncmp(names->names[i], "MEG", 3)) FUZZ_CHECK(names->names[i][3] == ' ');
    }
    for (size_t v = 0; v < graph->n_vertices; v++)
        for (size_t k = graph->indptr[v]; k < graph->indptr[v + 1]; k++) {
            FUZZ_CHECK(graph->indices[k] >= 0 && (size_t)graph->indices[k] < graph->n_vertices);
            FUZZ_CHECK((size_t)graph->indices[k] != v);
            if (k > graph->indptr[v]) FUZZ_CHECK(graph->indices[k] > graph->indices[k - 1]);
        }
    /* picks: the last channel, the first twice (negative) */
    int64_t picks[3] = {(int64_t)names->n_channels - 1, 0, -(int64_t)names->n_channels};
    if (cperm_ch_adjacency_pick(&picked, &pgraph, names, graph, picks, 3, &err) == 0) {
        FUZZ_CHECK(picked->n_channels == 3 && pgraph->n_vertices == 3);
        FUZZ_CHECK(!strcmp(picked->names[1], picked->names[2]));
        /* the same channel picked twice: neighbours, as in MNE's adjacency[picks][:, picks] */
        FUZZ_CHECK(pgraph->indptr[2] - pgraph->indptr[1] >= 1);
    } else {
        FUZZ_CHECK(!picked && !pgraph && err.msg[0]);
    }
    cperm_ch_names_free(picked);
    cperm_graph_free(pgraph);
    cperm_ch_names_free(names);
    cperm_graph_free(graph);
    return 0;
}
