/* fuzz_npz.c - libFuzzer target: one scipy save_npz file from memory
 * (cperm_graph_read_npz_mem); an accepted graph must be a valid one: sorted neighbour
 * lists without duplicates or self-loops, every edge present in both directions. */
#include "clusterperm.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cperm_graph *g = NULL;
    cperm_err err = {0};
    if (cperm_graph_read_npz_mem(&g, data, size, "fuzz.npz", &err) != 0) {
        FUZZ_CHECK(!g && err.msg[0] && err.code < 0);
        return 0;
    }
    FUZZ_CHECK(g && g->n_vertices >= 1 && g->indptr[0] == 0);
    for (size_t v = 0; v < g->n_vertices; v++) {
        FUZZ_CHECK(g->indptr[v + 1] >= g->indptr[v]);
        for (size_t k = g->indptr[v]; k < g->indptr[v + 1]; k++) {
            const int32_t w = g->indices[k];
            FUZZ_CHECK(w >= 0 && (size_t)w < g->n_vertices && (size_t)w != v);
            FUZZ_CHECK(k == g->indptr[v] || g->indices[k - 1] < w);
            int back = 0; /* the reverse edge */
            for (size_t j = g->indptr[w]; j < g->indptr[w + 1] && !back; j++)
                back = (size_t)g->indices[j] == v;
            FUZZ_CHECK(back);
        }
    }
    cperm_graph_free(g);
    return 0;
}
