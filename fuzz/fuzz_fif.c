/* fuzz_fif.c - libFuzzer target: a -src.fif source space from memory (cperm_src_read_mem),
 * then the adjacency graph the CLI builds from it (cperm_graph_from_src). */
#include "clusterperm.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cperm_srcspace *src = NULL;
    cperm_graph *g = NULL;
    cperm_err err = {0};
    if (cperm_src_read_mem(&src, data, size, "fuzz-src.fif", &err) != 0) {
        FUZZ_CHECK(!src && err.msg[0] && err.code < 0);
        return 0;
    }
    if (cperm_graph_from_src(&g, src, &err) == 0) {
        /* CSR invariants: sorted, no self loops, in range */
        for (size_t v = 0; v < g->n_vertices; v++)
            for (size_t k = g->indptr[v]; k < g->indptr[v + 1]; k++) {
                FUZZ_CHECK(g->indices[k] >= 0 && (size_t)g->indices[k] < g->n_vertices &&
                           (size_t)g->indices[k] != v);
                FUZZ_CHECK(k == g->indptr[v] || g->indices[k] > g->indices[k - 1]);
            }
    }
    cperm_graph_free(g);
    cperm_src_free(src);
    return 0;
}
