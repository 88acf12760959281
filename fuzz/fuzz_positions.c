/* fuzz_positions.c - libFuzzer target: a channel positions file from memory
 * (cperm_ch_positions_read_mem), then, for what it accepts, the topomap projection and the
 * Delaunay graph through Qhull. The first byte picks the format ('s' .sfp, 'e' .elc, else a
 * "name x y [z]" table); the rest is the file. What is read must be self-consistent, and a
 * graph must be a valid symmetric CSR over exactly the channels read. */
#include "clusterperm.h"
#include "fuzz.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Triangulations beyond this many points only slow the fuzzer down. */
#define MAX_TRIANGULATED 4096

static void check_graph(const cperm_graph *g, size_t n) {
    FUZZ_CHECK(g && g->n_vertices == n && g->indptr[0] == 0);
    for (size_t v = 0; v < n; v++) {
        FUZZ_CHECK(g->indptr[v] <= g->indptr[v + 1]);
        for (size_t k = g->indptr[v]; k < g->indptr[v + 1]; k++) {
            int32_t u = g->indices[k];
            FUZZ_CHECK(u >= 0 && (size_t)u < n && (size_t)u != v);
            FUZZ_CHECK(k == g->indptr[v] || g->indices[k - 1] < u);
            int found = 0; /* symmetric */
            for (size_t j = g->indptr[u]; j < g->indptr[u + 1]; j++) found |= (size_t)g->indices[j] == v;
            FUZZ_CHECK(found);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cperm_ch_names *names = NULL;
    double *pos = NULL;
    size_t n = 0, dim = 0;
    cperm_err err = {0};
    if (size == 0) return 0;
    const char *name = data[0] == 's' ? "fuzz.sfp" : data[0] == 'e' ? "fuzz.elc" : "fuzz.tsv";
    if (cperm_ch_positions_read_mem(&names, &pos, &n, &dim, data + 1, size - 1, name, &err) != 0) {
        /* a failure must leave a message and no outputs */
        FUZZ_CHECK(!names && !pos && n == 0 && dim == 0 && err.msg[0] && err.code < 0);
        return 0;
    }
    FUZZ_CHECK(names && pos && n > 0 && names->n_channels == n && (dim == 2 || dim == 3));
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(names->names[i] != NULL);
        for (size_t j = 0; j < i; j++) FUZZ_CHECK(strcmp(names->names[i], names->names[j]) != 0);
    }
    for (size_t k = 0; k < n * dim; k++) FUZZ_CHECK(isfinite(pos[k]));
    if (n <= MAX_TRIANGULATED) {
        double *xy = pos;
        int ok = 1;
        if (dim == 3) {
            xy = malloc(2 * n * sizeof *xy);
            FUZZ_CHECK(xy != NULL);
            ok = cperm_ch_topomap_coords(xy, pos, n, NULL, &err) == 0;
            if (ok)
                for (size_t k = 0; k < 2 * n; k++) FUZZ_CHECK(isfinite(xy[k]));
            else
                FUZZ_CHECK(err.msg[0] && err.code < 0);
        }
        if (ok) {
            cperm_graph *g = NULL;
            if (cperm_graph_from_positions(&g, xy, n, 2, &err) == 0) check_graph(g, n);
            else FUZZ_CHECK(!g && err.msg[0] && err.code < 0);
            cperm_graph_free(g);
            if (dim == 3 && n <= 512) { /* the 3-D triangulation of the positions themselves */
                g = NULL;
                if (cperm_graph_from_positions(&g, pos, n, 3, &err) == 0) check_graph(g, n);
                else FUZZ_CHECK(!g && err.msg[0] && err.code < 0);
                cperm_graph_free(g);
            }
        }
        if (xy != pos) free(xy);
    }
    cperm_ch_names_free(names);
    free(pos);
    return 0;
}
