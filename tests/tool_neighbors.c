/* tool_neighbors.c - driver for tests/xcheck_neighbors.py: reads a FieldTrip neighbour .mat
 * file with cperm_ch_adjacency_read (and, given picks, cperm_ch_adjacency_pick) and prints
 *   tool_neighbors FILE [PICK ...]
 *   -> "n N", then N lines "name NAME", then "e E", then E lines "I J" (each edge once, I < J)
 * On a library error: prints "error CODE: MESSAGE" on stderr and exits 3. */
#include "clusterperm.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    cperm_ch_names *names = NULL, *picked = NULL;
    cperm_graph *graph = NULL, *pgraph = NULL;
    cperm_err err = {0};
    int64_t *picks = NULL;
    int rc;
    if (argc < 2) {
        fprintf(stderr, "usage: tool_neighbors FILE [PICK ...]\n");
        return 2;
    }
    rc = cperm_ch_adjacency_read(&names, &graph, argv[1], &err);
    if (rc) {
        fprintf(stderr, "error %d: %s\n", rc, err.msg);
        return 3;
    }
    if (argc > 2) {
        size_t n = (size_t)(argc - 2);
        picks = malloc(n * sizeof *picks);
        if (!picks) return 4;
        for (size_t i = 0; i < n; i++) picks[i] = strtoll(argv[i + 2], NULL, 10);
        /* the argument "none" alone means an empty pick list */
        rc = cperm_ch_adjacency_pick(&picked, &pgraph, names, graph, picks,
                                     argv[2][0] == 'n' ? 0 : n, &err);
        free(picks);
        if (rc) {
            fprintf(stderr, "error %d: %s\n", rc, err.msg);
            cperm_ch_names_free(names);
            cperm_graph_free(graph);
            return 3;
        }
        cperm_ch_names_free(names);
        cperm_graph_free(graph);
        names = picked;
        graph = pgraph;
    }
    printf("n %zu\n", names->n_channels);
    for (size_t i = 0; i < names->n_channels; i++) printf("name %s\n", names->names[i]);
    size_t ne = 0;
    for (size_t v = 0; v < graph->n_vertices; v++)
        for (size_t k = graph->indptr[v]; k < graph->indptr[v + 1]; k++)
            if ((size_t)graph->indices[k] > v) ne++;
    printf("e %zu\n", ne);
    for (size_t v = 0; v < graph->n_vertices; v++)
        for (size_t k = graph->indptr[v]; k < graph->indptr[v + 1]; k++)
            if ((size_t)graph->indices[k] > v) printf("%zu %d\n", v, graph->indices[k]);
    cperm_ch_names_free(names);
    cperm_graph_free(graph);
    return 0;
}
