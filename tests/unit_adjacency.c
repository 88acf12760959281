/* unit_adjacency.c - spatial graphs against hand-computed neighbour lists. */
#include "clusterperm.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* Compares g with the expected rows, written as "1,2|0,2,3|..." (rows separated by '|'). */
static int graph_is(const cperm_graph *g, const char *want, char *why, size_t why_len) {
    size_t row = 0, k = 0;
    const char *p = want;
    if (!g) {
        snprintf(why, why_len, "no graph");
        return 0;
    }
    while (1) {
        size_t start = g->indptr[row], end = g->indptr[row + 1];
        k = start;
        while (*p && *p != '|') {
            long v = strtol(p, (char **)&p, 10);
            if (k >= end || g->indices[k] != v) {
                snprintf(why, why_len, "row %zu: entry %zu is %d, want %ld", row, k - start,
                         k < end ? (int)g->indices[k] : -1, v);
                return 0;
            }
            k++;
            if (*p == ',') p++;
        }
        if (k != end) {
            snprintf(why, why_len, "row %zu has %zu entries, want %zu", row, end - start, k - start);
            return 0;
        }
        row++;
        if (!*p) break;
        p++;
    }
    if (row != g->n_vertices) {
        snprintf(why, why_len, "%zu vertices, want %zu", g->n_vertices, row);
        return 0;
    }
    return 1;
}

#define CHECK_GRAPH(name, g, want)                                \
    do {                                                          \
        char why_[256] = "";                                      \
        int ok_ = graph_is((g), (want), why_, sizeof why_);       \
        CHECK(name, ok_, "%s", why_);                             \
    } while (0)

static void test_tris(void) {
    cperm_err err = {0};
    cperm_graph *g = NULL;
    int rc;

    /* Two triangles sharing the edge 1-2. */
    const int32_t two[] = {0, 1, 2, 1, 2, 3};
    rc = cperm_graph_from_tris(&g, two, 2, 0, 0, &err);
    CHECK("tris_shared_edge_rc", rc == 0, "rc %d: %s", rc, err.msg);
    CHECK_GRAPH("tris_shared_edge_graph", g, "1,2|0,2,3|0,1,3|1,2");
    CHECK("tris_shared_edge_nnz", g && g->indptr[4] == 10, "nnz %zu", g ? g->indptr[4] : 0);
    cperm_graph_free(g);
    g = NULL;

    /* The same mesh on sparse labels, remapped by rank. */
    const int32_t far[] = {40, 10, 30, 10, 30, 20};
    rc = cperm_graph_from_tris(&g, far, 2, 0, 1, &err);
    CHECK("tris_remap_rc", rc == 0, "rc %d: %s", rc, err.msg);
    /* ranks: 10->0, 20->1, 30->2, 40->3; triangles (3,0,2) and (0,2,1). */
    CHECK_GRAPH("tris_remap_graph", g, "1,2,3|0,2|0,1,3|0,2");
    cperm_graph_free(g);
    g = NULL;

    /* Without remap MNE refuses a selection of triangles (40 > 4 distinct vertices). */
    memset(&err, 0, sizeof err);
    rc = cperm_graph_from_tris(&g, far, 2, 0, 0, &err);
    CHECK("tris_selection_refused", rc == CPERM_EINVAL && g == NULL, "rc %d", rc);
    CHECK("tris_selection_message", strstr(err.msg, "Cannot compute adjacency on a selection of triangles") != NULL,
          "msg '%s'", err.msg);

    /* ... but with an explicit vertex count the unused vertices are isolated. */
    rc = cperm_graph_from_tris(&g, far, 2, 42, 0, &err);
    CHECK("tris_explicit_n_rc", rc == 0, "rc %d: %s", rc, err.msg);
    CHECK("tris_explicit_n_size", g && g->n_vertices == 42 && g->indptr[42] == 10, "n %zu",
          g ? g->n_vertices : 0);
    if (g) {
        CHECK("tris_explicit_n_row10",
              g->indptr[11] - g->indptr[10] == 3 && g->indices[g->indptr[10]] == 20 &&
                  g->indices[g->indptr[10] + 1] == 30 && g->indices[g->indptr[10] + 2] == 40,
              "row 10 wrong");
        CHECK("tris_explicit_n_isolated", g->indptr[1] == 0 && g->indptr[10] == 0 && g->indptr[41] == g->indptr[42],
              "isolated rows not empty");
    }
    cperm_graph_free(g);
    g = NULL;

    /* MNE allows exactly one missing vertex: max 3 == 3 distinct -> vertex 2 isolated. */
    const int32_t gap1[] = {0, 1, 3};
    rc = cperm_graph_from_tris(&g, gap1, 1, 0, 0, &err);
    CHECK("tris_one_gap_rc", rc == 0, "rc %d: %s", rc, err.msg);
    CHECK_GRAPH("tris_one_gap_graph", g, "1,3|0,3||0,1");
    cperm_graph_free(g);
    g = NULL;
    const int32_t gap2[] = {0, 1, 4};
    rc = cperm_graph_from_tris(&g, gap2, 1, 0, 0, &err);
    CHECK("tris_two_gaps_refused", rc == CPERM_EINVAL && !g, "rc %d", rc);

    /* A degenerate triangle gives one edge and no self-loop; duplicates collapse. */
    const int32_t degen[] = {0, 0, 1, 1, 0, 1, 0, 1, 0};
    rc = cperm_graph_from_tris(&g, degen, 3, 0, 0, &err);
    CHECK("tris_degenerate_rc", rc == 0, "rc %d: %s", rc, err.msg);
    CHECK_GRAPH("tris_degenerate_graph", g, "1|0");
    cperm_graph_free(g);
    g = NULL;

    /* Errors. */
    const int32_t neg[] = {0, -1, 2};
    memset(&err, 0, sizeof err);
    rc = cperm_graph_from_tris(&g, neg, 1, 0, 0, &err);
    CHECK("tris_negative_refused", rc == CPERM_EINVAL && err.code == CPERM_EINVAL && strstr(err.msg, "negative"),
          "rc %d msg '%s'", rc, err.msg);
    rc = cperm_graph_from_tris(&g, two, 2, 3, 0, &err);
    CHECK("tris_index_ge_n_refused", rc == CPERM_EINVAL && strstr(err.msg, "vertex 3"), "rc %d msg '%s'", rc,
          err.msg);
    rc = cperm_graph_from_tris(&g, far, 2, 3, 1, &err);
    CHECK("tris_remap_n_too_small_refused", rc == CPERM_EINVAL, "rc %d", rc);
    rc = cperm_graph_from_tris(&g, NULL, 0, 0, 0, &err);
    CHECK("tris_empty_refused", rc == CPERM_EINVAL, "rc %d", rc);
    rc = cperm_graph_from_tris(&g, NULL, 0, 5, 0, &err);
    CHECK("tris_empty_with_n", rc == 0 && g && g->n_vertices == 5 && g->indptr[5] == 0, "rc %d", rc);
    cperm_graph_free(g);
}

static void test_edges(void) {
    cperm_err err = {0};
    cperm_graph *g = NULL;
    const int64_t e[] = {0, 1, 1, 0, 0, 1, 2, 2, 2, 1, 3, 1};
    int rc = cperm_graph_from_edges(&g, 5, e, 6, &err);
    CHECK("edges_rc", rc == 0, "rc %d: %s", rc, err.msg);
    CHECK_GRAPH("edges_duplicates_and_loops", g, "1|0,2,3|1|1|");
    cperm_graph_free(g);
    g = NULL;
    const int64_t bad[] = {0, 5};
    rc = cperm_graph_from_edges(&g, 5, bad, 1, &err);
    CHECK("edges_out_of_range_refused", rc == CPERM_EINVAL && !g && strstr(err.msg, "edge 0"), "rc %d '%s'", rc,
          err.msg);
    const int64_t neg[] = {-1, 0};
    rc = cperm_graph_from_edges(&g, 5, neg, 1, &err);
    CHECK("edges_negative_refused", rc == CPERM_EINVAL, "rc %d", rc);
}

static void test_csr(void) {
    cperm_err err = {0};
    cperm_graph *g = NULL;
    int rc;

    /* MNE-style: diagonal stored, a duplicate, unsorted rows. */
    const int64_t ip[] = {0, 3, 6, 8};
    const int32_t ix[] = {1, 0, 1, 2, 0, 1, 2, 1};
    rc = cperm_graph_from_csr(&g, 3, ip, ix, &err);
    CHECK("csr_rc", rc == 0, "rc %d: %s", rc, err.msg);
    CHECK_GRAPH("csr_diag_dup_unsorted", g, "1|0,2|1");
    cperm_graph_free(g);
    g = NULL;

    const int64_t ip2[] = {0, 1, 1, 1};
    const int32_t ix2[] = {1};
    memset(&err, 0, sizeof err);
    rc = cperm_graph_from_csr(&g, 3, ip2, ix2, &err);
    CHECK("csr_asymmetric_refused", rc == CPERM_EINVAL && !g, "rc %d", rc);
    CHECK("csr_asymmetric_names_row", strstr(err.msg, "row 0") && strstr(err.msg, "symmetric"), "msg '%s'", err.msg);

    const int32_t ix3[] = {3};
    memset(&err, 0, sizeof err);
    rc = cperm_graph_from_csr(&g, 3, ip2, ix3, &err);
    CHECK("csr_out_of_range_refused", rc == CPERM_EINVAL && strstr(err.msg, "row 0") && strstr(err.msg, "3"),
          "rc %d msg '%s'", rc, err.msg);
    const int32_t ix4[] = {-2};
    rc = cperm_graph_from_csr(&g, 3, ip2, ix4, &err);
    CHECK("csr_negative_refused", rc == CPERM_EINVAL, "rc %d", rc);
    const int64_t ip5[] = {0, 2, 1, 2};
    const int32_t ix5[] = {1, 0};
    rc = cperm_graph_from_csr(&g, 3, ip5, ix5, &err);
    CHECK("csr_decreasing_indptr_refused", rc == CPERM_EINVAL && strstr(err.msg, "row 1"), "rc %d msg '%s'", rc,
          err.msg);
    const int64_t ip6[] = {1, 2};
    rc = cperm_graph_from_csr(&g, 1, ip6, ix5, &err);
    CHECK("csr_nonzero_start_refused", rc == CPERM_EINVAL, "rc %d", rc);
    /* Only self-loops: symmetric, no stored neighbours. */
    const int64_t ip7[] = {0, 1, 2};
    const int32_t ix7[] = {0, 1};
    rc = cperm_graph_from_csr(&g, 2, ip7, ix7, &err);
    CHECK_GRAPH("csr_only_diagonal", rc == 0 ? g : NULL, "|");
    cperm_graph_free(g);
}

static void test_src(void) {
    cperm_err err = {0};
    cperm_graph *g = NULL;
    int rc;
    /* Hemisphere 0: 6 surface vertices, use_tris (0,2,4), (2,4,5); vertex 1 and 3 unused.
     * Hemisphere 1: 4 vertices, one triangle (3,1,0). */
    int32_t ut0[] = {0, 2, 4, 2, 4, 5}, ut1[] = {3, 1, 0};
    int32_t vn0[] = {0, 2, 4, 5}, vn1[] = {0, 1, 3};
    cperm_src_hemi h[2];
    cperm_srcspace src = {2, h};
    memset(h, 0, sizeof h);
    h[0].type = h[1].type = CPERM_SRC_SURFACE;
    h[0].np = 6;
    h[0].nuse = 4;
    h[0].vertno = vn0;
    h[0].nuse_tri = 2;
    h[0].use_tris = ut0;
    h[1].np = 4;
    h[1].nuse = 3;
    h[1].vertno = vn1;
    h[1].nuse_tri = 1;
    h[1].use_tris = ut1;
    rc = cperm_graph_from_src(&g, &src, &err);
    CHECK("src_rc", rc == 0, "rc %d: %s", rc, err.msg);
    /* lh: 0->0, 2->1, 4->2, 5->3; rh offset 4: 0->4, 1->5, 3->6. */
    CHECK_GRAPH("src_two_hemis", g, "1,2|0,2,3|0,1,3|1,2|5,6|4,6|4,5");
    cperm_graph_free(g);
    g = NULL;

    /* vertno drops vertex 2 of lh: the triangles through it lose their edges to it. */
    int32_t vn0_holes[] = {0, 4, 5};
    h[0].vertno = vn0_holes;
    h[0].nuse = 3;
    rc = cperm_graph_from_src(&g, &src, &err);
    CHECK("src_holes_rc", rc == 0, "rc %d: %s", rc, err.msg);
    CHECK_GRAPH("src_holes_graph", g, "1|0,2|1|4,5|3,5|3,4");
    cperm_graph_free(g);
    g = NULL;

    /* A vertno vertex that no used triangle touches: MNE's "Vertex mask" error. */
    int32_t vn0_bad[] = {0, 1, 2};
    h[0].vertno = vn0_bad;
    h[0].nuse = 3;
    memset(&err, 0, sizeof err);
    rc = cperm_graph_from_src(&g, &src, &err);
    CHECK("src_vertex_mask_refused", rc == CPERM_EINVAL && strstr(err.msg, "Vertex mask"), "rc %d msg '%s'", rc,
          err.msg);
    h[0].vertno = vn0;
    h[0].nuse = 4;
    h[1].use_tris = NULL;
    rc = cperm_graph_from_src(&g, &src, &err);
    CHECK("src_no_use_tris_refused", rc == CPERM_EUNSUPPORTED, "rc %d", rc);
    h[1].use_tris = ut1;
    ut1[0] = 4;
    rc = cperm_graph_from_src(&g, &src, &err);
    CHECK("src_use_tris_out_of_range_refused", rc == CPERM_EINVAL, "rc %d", rc);
    ut1[0] = 3;
    /* A volume without its grid shape (a struct not from the reader) is refused, naming it. */
    h[1].type = CPERM_SRC_VOLUME;
    rc = cperm_graph_from_src(&g, &src, &err);
    CHECK("src_volume_without_shape_refused",
          rc == CPERM_EINVAL && strstr(err.msg, "source space 1") && strstr(err.msg, "zero length"), "rc %d %s",
          rc, err.msg);
}

/* Volume grids (MNE's grid_to_graph on the in-use mask): a 3 x 2 x 2 grid, point
 * v = x + 3 (y + 2 z), points 6, 8 and 10 unused. Worked by hand: face neighbours only (0 and
 * 4 share an edge of the grid, not a face: no link), none across the x wrap (2 | 3, 5 | 6). */
static void test_volume(void) {
    const size_t shape[3] = {3, 2, 2};
    const int32_t vertno[9] = {0, 1, 2, 3, 4, 5, 7, 9, 11};
    /* ranks: 0 1 2 3 4 5 7->6 9->7 11->8 */
    const char *want = "1,3|0,2,4,6|1,5|0,4,7|1,3,5|2,4,8|1|3|5";
    cperm_graph *g = NULL;
    cperm_err err = {0};
    int rc = cperm_graph_from_volume(&g, shape, vertno, 9, &err);
    CHECK("volume_rc", rc == 0, "rc %d %s", rc, err.msg);
    CHECK_GRAPH("volume_face_neighbours", g, want);
    cperm_graph_free(g);
    g = NULL;

    /* A line of 4 with the middle two unused: no edges at all. */
    {
        const size_t line[3] = {4, 1, 1};
        const int32_t ends[2] = {0, 3};
        rc = cperm_graph_from_volume(&g, line, ends, 2, &err);
        CHECK_GRAPH("volume_gaps_disconnect", g, "|");
        cperm_graph_free(g);
        g = NULL;
    }
    {
        const int32_t bad[2] = {3, 1};
        const int32_t past[1] = {12};
        const size_t zero[3] = {3, 0, 2};
        rc = cperm_graph_from_volume(&g, shape, bad, 2, &err);
        CHECK("volume_unsorted_refused", rc == CPERM_EINVAL && strstr(err.msg, "vertno[1] = 1"), "rc %d %s", rc,
              err.msg);
        rc = cperm_graph_from_volume(&g, shape, past, 1, &err);
        CHECK("volume_out_of_grid_refused", rc == CPERM_EINVAL && strstr(err.msg, "12 points"), "rc %d %s", rc,
              err.msg);
        rc = cperm_graph_from_volume(&g, zero, vertno, 0, &err);
        CHECK("volume_zero_length_refused", rc == CPERM_EINVAL, "rc %d", rc);
    }

    /* Two volumes in one source space: the block diagonal, the second offset by 9. Two
     * spaces with an unused voxel between them would still be neighbours on one grid: here
     * no edge may cross between blocks. */
    {
        cperm_src_hemi h[2];
        cperm_srcspace src = {2, h};
        memset(h, 0, sizeof h);
        for (int k = 0; k < 2; k++) {
            h[k].type = CPERM_SRC_VOLUME;
            h[k].np = 12;
            memcpy(h[k].shape, shape, sizeof shape);
            h[k].nuse = 9;
            h[k].vertno = (int32_t *)vertno;
        }
        rc = cperm_graph_from_src(&g, &src, &err);
        CHECK("two_volumes_rc", rc == 0, "rc %d %s", rc, err.msg);
        CHECK_GRAPH("two_volumes_block_diagonal", g,
                    "1,3|0,2,4,6|1,5|0,4,7|1,3,5|2,4,8|1|3|5|"
                    "10,12|9,11,13,15|10,14|9,13,16|10,12,14|11,13,17|10|12|14");
        cperm_graph_free(g);
        g = NULL;
        /* A discrete space beside the volume: refused as MNE refuses discrete spaces. */
        h[1].type = CPERM_SRC_DISCRETE;
        rc = cperm_graph_from_src(&g, &src, &err);
        CHECK("volume_with_discrete_refused", rc == CPERM_EUNSUPPORTED && strstr(err.msg, "source space 1"),
              "rc %d %s", rc, err.msg);
    }
}

/* Random meshes: the CSR equals the naive dense adjacency built from every triangle. */
static void test_random(void) {
    enum { NV = 40, NT = 120 };
    uint32_t state = 12345u;
    int all_ok = 1;
    for (int round = 0; round < 20 && all_ok; round++) {
        int32_t tris[3 * NT];
        static unsigned char dense[NV][NV];
        cperm_graph *g = NULL;
        cperm_err err = {0};
        memset(dense, 0, sizeof dense);
        for (int k = 0; k < 3 * NT; k++) {
            state = state * 1664525u + 1013904223u;
            tris[k] = (int32_t)((state >> 8) % NV);
        }
        for (int t = 0; t < NT; t++)
            for (int c = 0; c < 3; c++) {
                int a = tris[3 * t + c], b = tris[3 * t + (c + 1) % 3];
                if (a != b) dense[a][b] = dense[b][a] = 1;
            }
        if (cperm_graph_from_tris(&g, tris, NT, NV, 0, &err) != 0) {
            all_ok = 0;
            break;
        }
        for (int i = 0; i < NV && all_ok; i++) {
            size_t k = g->indptr[i];
            for (int j = 0; j < NV; j++)
                if (dense[i][j]) {
                    if (k >= g->indptr[i + 1] || g->indices[k] != j) all_ok = 0;
                    k++;
                }
            if (k != g->indptr[i + 1]) all_ok = 0;
        }
        cperm_graph_free(g);
    }
    CHECK("random_meshes_match_dense", all_ok, "a random mesh differs from the dense reference");
}

int main(void) {
    test_tris();
    test_edges();
    test_csr();
    test_src();
    test_volume();
    test_random();
    cperm_graph_free(NULL);
    TU_EXIT();
}
