/* tool_positions.c - driver for tests/xcheck_positions.py: channel positions files, the
 * topomap projection and Delaunay graphs (positions.c, montage.c).
 *   tool_positions topo < "N x0 y0 z0 ..."         -> N lines "x y" (%.17g)
 *   tool_positions graph DIM < "N v0 v1 ..."        -> "e E", then E lines "I J" (I < J)
 *   tool_positions paired DIM < "N_PAIRS v0 ..."     -> the same over 2 N_PAIRS channels, pair k
 *                                                      = channels (2k, 2k + 1)
 *   tool_positions read PATH                        -> "n N dim D", N lines "name NAME",
 *                                                      N lines "pos V ..." (%.17g)
 *   tool_positions adj PATH                         -> read PATH, project a 3-D one, graph:
 *                                                      "n N", N "name NAME" lines, then edges
 * On a library error: prints "error CODE: MESSAGE" on stderr and exits 3. */
#include "clusterperm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double *read_numbers(size_t per_row, size_t *n) {
    unsigned long long count;
    if (scanf("%llu", &count) != 1) return NULL;
    double *v = malloc((count * per_row + 1) * sizeof *v);
    if (!v) return NULL;
    for (size_t i = 0; i < count * per_row; i++)
        if (scanf("%lf", &v[i]) != 1) {
            free(v);
            return NULL;
        }
    *n = (size_t)count;
    return v;
}

static void print_edges(const cperm_graph *g) {
    size_t ne = 0;
    for (size_t v = 0; v < g->n_vertices; v++)
        for (size_t k = g->indptr[v]; k < g->indptr[v + 1]; k++)
            if ((size_t)g->indices[k] > v) ne++;
    printf("e %zu\n", ne);
    for (size_t v = 0; v < g->n_vertices; v++)
        for (size_t k = g->indptr[v]; k < g->indptr[v + 1]; k++)
            if ((size_t)g->indices[k] > v) printf("%zu %d\n", v, g->indices[k]);
}

static int fail(int rc, const cperm_err *err) {
    fprintf(stderr, "error %d: %s\n", rc, err->msg);
    return 3;
}

int main(int argc, char **argv) {
    cperm_err err = {0};
    cperm_graph *g = NULL;
    size_t n = 0;
    int rc;
    if (argc >= 2 && strcmp(argv[1], "topo") == 0) {
        double *pos = read_numbers(3, &n);
        if (!pos) return 2;
        double *xy = malloc((2 * n + 1) * sizeof *xy);
        if (!xy) return 4;
        rc = cperm_ch_topomap_coords(xy, pos, n, NULL, &err);
        if (rc) return fail(rc, &err);
        for (size_t i = 0; i < n; i++) printf("%.17g %.17g\n", xy[2 * i], xy[2 * i + 1]);
        free(xy);
        free(pos);
        return 0;
    }
    if (argc >= 3 && (strcmp(argv[1], "graph") == 0 || strcmp(argv[1], "paired") == 0)) {
        size_t dim = (size_t)strtoul(argv[2], NULL, 10);
        double *xy = read_numbers(dim, &n);
        if (!xy) return 2;
        if (argv[1][0] == 'g') {
            rc = cperm_graph_from_positions(&g, xy, n, dim, &err);
        } else {
            int64_t *pairs = malloc((2 * n + 1) * sizeof *pairs);
            if (!pairs) return 4;
            for (size_t k = 0; k < 2 * n; k++) pairs[k] = (int64_t)k;
            rc = cperm_graph_from_positions_paired(&g, xy, n, dim, pairs, &err);
            free(pairs);
        }
        free(xy);
        if (rc) return fail(rc, &err);
        print_edges(g);
        cperm_graph_free(g);
        return 0;
    }
    if (argc >= 3 && (strcmp(argv[1], "read") == 0 || strcmp(argv[1], "adj") == 0)) {
        cperm_ch_names *names = NULL;
        double *pos = NULL;
        size_t dim = 0;
        rc = cperm_ch_positions_read(&names, &pos, &n, &dim, argv[2], &err);
        if (rc) return fail(rc, &err);
        if (argv[1][0] == 'r') {
            printf("n %zu dim %zu\n", n, dim);
            for (size_t i = 0; i < n; i++) printf("name %s\n", names->names[i]);
            for (size_t i = 0; i < n; i++) {
                printf("pos");
                for (size_t c = 0; c < dim; c++) printf(" %.17g", pos[i * dim + c]);
                printf("\n");
            }
        } else {
            double *xy = pos;
            if (dim == 3) {
                xy = malloc((2 * n + 1) * sizeof *xy);
                if (!xy) return 4;
                rc = cperm_ch_topomap_coords(xy, pos, n, NULL, &err);
                if (rc) return fail(rc, &err);
            }
            rc = cperm_graph_from_positions(&g, xy, n, 2, &err);
            if (xy != pos) free(xy);
            if (rc) return fail(rc, &err);
            printf("n %zu\n", n);
            for (size_t i = 0; i < n; i++) printf("name %s\n", names->names[i]);
            print_edges(g);
            cperm_graph_free(g);
        }
        cperm_ch_names_free(names);
        free(pos);
        return 0;
    }
    fprintf(stderr, "usage: tool_positions topo | graph DIM | paired DIM | read PATH | adj PATH\n");
    return 2;
}
