/* unit_combine.c - neighbourhoods over several dimensions (combine.c) against hand-computed rows. */
#include "clusterperm.h"
#include "testutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Whether g's rows are exactly `rows` (n_rows rows; each row a list ending in -1). On a
 * difference, why says where. */
static int rows_are(const cperm_graph *g, const int *rows, size_t n_rows, char *why, size_t len) {
    const int *r = rows;
    if (!g) return snprintf(why, len, "no graph"), 0;
    if (g->n_vertices != n_rows)
        return snprintf(why, len, "%zu vertices, want %zu", g->n_vertices, n_rows), 0;
    for (size_t v = 0; v < n_rows; v++) {
        size_t k = g->indptr[v];
        for (; *r >= 0; r++, k++)
            if (k >= g->indptr[v + 1] || g->indices[k] != *r)
                return snprintf(why, len, "row %zu: entry %zu is %d, want %d", v, k - g->indptr[v],
                                k < g->indptr[v + 1] ? (int)g->indices[k] : -1, *r), 0;
        if (k != g->indptr[v + 1])
            return snprintf(why, len, "row %zu has %zu entries, want fewer", v, g->indptr[v + 1] - g->indptr[v]), 0;
        r++;
    }
    return 1;
}

#define CHECK_ROWS(name, g, rows, n_rows)                                  \
    do {                                                                   \
        char why_[200] = "";                                               \
        int ok_ = rows_are((g), (rows), (n_rows), why_, sizeof why_);      \
        CHECK(name, ok_, "%s", why_);                                      \
    } while (0)

static cperm_graph *from_edges(size_t n, const int64_t *e, size_t m) {
    cperm_graph *g = NULL;
    cperm_err err = {0};
    if (cperm_graph_from_edges(&g, n, e, m, &err)) printf("# from_edges: %s\n", err.msg);
    return g;
}

/* 3 x 4 grid, point r * 4 + c: face neighbours only, as ndimage.label's default. */
static const int lat34[] = {1, 4, -1, 0, 2, 5, -1, 1, 3, 6, -1, 2, 7, -1,
                            0, 5, 8, -1, 1, 4, 6, 9, -1, 2, 5, 7, 10, -1, 3, 6, 11, -1,
                            4, 9, -1, 5, 8, 10, -1, 6, 9, 11, -1, 7, 10, -1};

static void test_lattice(void) {
    cperm_err err = {0};
    cperm_graph *g = NULL;
    const size_t shape[2] = {3, 4};
    int rc = cperm_graph_lattice(&g, 2, shape, &err);
    CHECK("lattice_3x4_rc", rc == 0, "rc %d: %s", rc, err.msg);
    CHECK_ROWS("lattice_3x4_rows", g, lat34, 12);
    CHECK("lattice_3x4_entries", g && g->indptr[12] == 34, "%zu entries, want 2 x 17 edges",
          g ? g->indptr[12] : 0);
    cperm_graph_free(g);

    /* A 1-D lattice is a chain; a length-1 dimension adds nothing. */
    static const int chain5[] = {1, -1, 0, 2, -1, 1, 3, -1, 2, 4, -1, 3, -1};
    const size_t five = 5, one_five[3] = {1, 5, 1};
    g = NULL;
    rc = cperm_graph_lattice(&g, 1, &five, &err);
    CHECK("lattice_1d_rc", rc == 0, "rc %d: %s", rc, err.msg);
    CHECK_ROWS("lattice_1d_rows", g, chain5, 5);
    cperm_graph_free(g);
    g = NULL;
    rc = cperm_graph_lattice(&g, 3, one_five, &err);
    CHECK("lattice_1x5x1_rc", rc == 0, "rc %d: %s", rc, err.msg);
    CHECK_ROWS("lattice_1x5x1_rows", g, chain5, 5);
    cperm_graph_free(g);

    /* A single point has no neighbour. */
    static const int single[] = {-1};
    const size_t ones[2] = {1, 1};
    g = NULL;
    rc = cperm_graph_lattice(&g, 2, ones, &err);
    CHECK("lattice_single_point", rc == 0, "rc %d: %s", rc, err.msg);
    CHECK_ROWS("lattice_single_point_rows", g, single, 1);
    cperm_graph_free(g);
}

static void test_combine_chain_lattice(void) {
    cperm_err err = {0};
    const int64_t e3[] = {0, 1, 1, 2};
    cperm_graph *chain3 = from_edges(3, e3, 2), *g = NULL;

    /* (3-chain graph, lattice 2): point i * 2 + j. */
    static const int c3l2[] = {1, 2, -1, 0, 3, -1, 0, 3, 4, -1, 1, 2, 5, -1, 2, 5, -1, 3, 4, -1};
    const size_t len32[2] = {3, 2};
    const cperm_graph *gs32[2] = {chain3, NULL};
    int rc = cperm_graph_combine(&g, 2, len32, gs32, &err);
    CHECK("combine_chain3_lat2_rc", rc == 0, "rc %d: %s", rc, err.msg);
    CHECK_ROWS("combine_chain3_lat2_rows", g, c3l2, 6);
    cperm_graph_free(g);

    /* The same with the lattice first: point i * 3 + j. */
    static const int l2c3[] = {1, 3, -1, 0, 2, 4, -1, 1, 5, -1, 0, 4, -1, 1, 3, 5, -1, 2, 4, -1};
    const size_t len23[2] = {2, 3};
    const cperm_graph *gs23[2] = {NULL, chain3};
    g = NULL;
    rc = cperm_graph_combine(&g, 2, len23, gs23, &err);
    CHECK("combine_lat2_chain3_rc", rc == 0, "rc %d: %s", rc, err.msg);
    CHECK_ROWS("combine_lat2_chain3_rows", g, l2c3, 6);
    cperm_graph_free(g);

    /* The chain given as a graph or as a lattice gives the same result. */
    g = NULL;
    rc = cperm_graph_combine(&g, 2, len23, NULL, &err);
    CHECK("combine_all_lattices_rc", rc == 0, "rc %d: %s", rc, err.msg);
    CHECK_ROWS("combine_all_lattices_rows", g, l2c3, 6);
    cperm_graph_free(g);
    cperm_graph_free(chain3);
}

static void test_combine_graph(void) {
    cperm_err err = {0};
    /* 4 channels: 0-2, 0-3, 1-3 (irregular, as find_ch_adjacency gives). */
    const int64_t ech[] = {0, 2, 3, 0, 1, 3};
    cperm_graph *chans = from_edges(4, ech, 3), *g = NULL;
    /* (2 times, channels): point t * 4 + c. */
    static const int t2ch[] = {2, 3, 4, -1, 3, 5, -1, 0, 6, -1, 0, 1, 7, -1,
                               0, 6, 7, -1, 1, 7, -1, 2, 4, -1, 3, 4, 5, -1};
    const size_t len[2] = {2, 4};
    const cperm_graph *gs[2] = {NULL, chans};
    int rc = cperm_graph_combine(&g, 2, len, gs, &err);
    CHECK("combine_channels_rc", rc == 0, "rc %d: %s", rc, err.msg);
    CHECK_ROWS("combine_channels_rows", g, t2ch, 8);
    cperm_graph_free(g);

    /* A graph without edges (MNE's np.zeros matrix) cuts its dimension: 2 x 2 x 3, strides 6,
     * 3, 1; neighbours only along the first and last. */
    cperm_graph *none = from_edges(2, NULL, 0);
    const size_t len3[3] = {2, 2, 3};
    const cperm_graph *gs3[3] = {NULL, none, NULL};
    g = NULL;
    rc = cperm_graph_combine(&g, 3, len3, gs3, &err);
    CHECK("combine_zero_graph_rc", rc == 0, "rc %d: %s", rc, err.msg);
    if (g) {
        CHECK("combine_zero_graph_entries", g->indptr[12] == 28, "%zu entries, want 12 + 16",
              g->indptr[12]);
        CHECK("combine_zero_graph_row0", g->indptr[1] == 2 && g->indices[0] == 1 && g->indices[1] == 6,
              "row 0 wrong");
        size_t s4 = g->indptr[4];
        CHECK("combine_zero_graph_row4", g->indptr[5] - s4 == 3 && g->indices[s4] == 3 &&
              g->indices[s4 + 1] == 5 && g->indices[s4 + 2] == 10, "row 4 wrong");
        size_t s11 = g->indptr[11];
        CHECK("combine_zero_graph_row11", g->indptr[12] - s11 == 2 && g->indices[s11] == 5 &&
              g->indices[s11 + 1] == 10, "row 11 wrong");
    }
    cperm_graph_free(g);

    /* freq x time x channel (3 x 2 x 4), MNE's combine_adjacency(n_freq, n_times, chan_adj):
     * point f * 8 + t * 4 + c. Point 13 = (1, 1, 1): channel 3, times 0, freqs 0 and 2. */
    const size_t lftc[3] = {3, 2, 4};
    const cperm_graph *gftc[3] = {NULL, NULL, chans};
    g = NULL;
    rc = cperm_graph_combine(&g, 3, lftc, gftc, &err);
    CHECK("combine_ftc_rc", rc == 0, "rc %d: %s", rc, err.msg);
    if (g) {
        const int32_t want13[] = {5, 9, 15, 21};
        size_t s = g->indptr[13];
        CHECK("combine_ftc_row13", g->indptr[14] - s == 4 && !memcmp(g->indices + s, want13, sizeof want13),
              "row 13 has %zu entries", g->indptr[14] - s);
        /* entries: channels 6 x 6 + times 2 x 12 + freqs 4 x 8 */
        CHECK("combine_ftc_entries", g->indptr[24] == 36 + 24 + 32, "%zu entries", g->indptr[24]);
    }
    cperm_graph_free(g);
    cperm_graph_free(none);
    cperm_graph_free(chans);
}

/* Lattices of random shapes against the definition: neighbours iff the multi-indices differ
 * by one in exactly one coordinate. */
static void test_lattice_brute(void) {
    unsigned seed = 12345u;
    int bad = 0;
    for (int trial = 0; trial < 40 && !bad; trial++) {
        size_t nd = 1 + (size_t)(trial % 4), shape[4], n = 1;
        for (size_t d = 0; d < nd; d++) {
            seed = seed * 1103515245u + 12345u;
            shape[d] = 1 + (seed >> 16) % 5;
            n *= shape[d];
        }
        cperm_graph *g = NULL;
        cperm_err err = {0};
        if (cperm_graph_lattice(&g, nd, shape, &err)) { bad = 1; break; }
        for (size_t p = 0; p < n && !bad; p++) {
            size_t k = g->indptr[p];
            for (size_t q = 0; q < n; q++) {
                size_t a = p, b = q, diff = 0, far = 0;
                for (size_t d = nd; d-- > 0;) {
                    size_t ca = a % shape[d], cb = b % shape[d];
                    a /= shape[d];
                    b /= shape[d];
                    if (ca != cb) diff++;
                    if (ca > cb + 1 || cb > ca + 1) far = 1;
                }
                int want = diff == 1 && !far;
                int have = k < g->indptr[p + 1] && (size_t)g->indices[k] == q;
                if (want != have) bad = 1 + trial;
                if (have) k++;
            }
            if (k != g->indptr[p + 1]) bad = 1 + trial;
        }
        cperm_graph_free(g);
    }
    CHECK("lattice_matches_definition", !bad, "trial %d differs", bad - 1);
}

static void test_errors(void) {
    cperm_err err = {0};
    cperm_graph *g = (cperm_graph *)&err; /* must be reset to NULL on failure */
    const size_t len[2] = {3, 4};
    int rc;

    rc = cperm_graph_combine(NULL, 2, len, NULL, &err);
    CHECK("err_null_out", rc == CPERM_EINVAL, "rc %d", rc);
    rc = cperm_graph_combine(&g, 0, len, NULL, &err);
    CHECK("err_no_dims", rc == CPERM_EINVAL && g == NULL && strstr(err.msg, "no dimensions"),
          "rc %d: %s", rc, err.msg);
    rc = cperm_graph_combine(&g, 2, NULL, NULL, &err);
    CHECK("err_null_lengths", rc == CPERM_EINVAL, "rc %d", rc);
    const size_t zero[2] = {3, 0};
    rc = cperm_graph_combine(&g, 2, zero, NULL, &err);
    CHECK("err_zero_length", rc == CPERM_EINVAL && strstr(err.msg, "dimension 1 has length 0"),
          "rc %d: %s", rc, err.msg);
    rc = cperm_graph_lattice(&g, 2, zero, &err);
    CHECK("err_lattice_zero_length", rc == CPERM_EINVAL && strstr(err.msg, "dimension 1"),
          "rc %d: %s", rc, err.msg);
    rc = cperm_graph_lattice(&g, 0, len, &err);
    CHECK("err_lattice_no_dims", rc == CPERM_EINVAL, "rc %d", rc);
    rc = cperm_graph_lattice(&g, 1, NULL, &err);
    CHECK("err_lattice_null_shape", rc == CPERM_EINVAL, "rc %d", rc);

    /* Products beyond the int32 index range (2^31 points), and ones that overflow size_t. */
    const size_t big[2] = {65536, 32769}, huge[3] = {2, SIZE_MAX / 2 + 1, 4};
    rc = cperm_graph_lattice(&g, 2, big, &err);
    CHECK("err_product_over_2e31", rc == CPERM_EINVAL && g == NULL && strstr(err.msg, "2^31"),
          "rc %d: %s", rc, err.msg);
    rc = cperm_graph_lattice(&g, 3, huge, &err);
    CHECK("err_product_overflow", rc == CPERM_EINVAL && strstr(err.msg, "2^31"), "rc %d: %s", rc, err.msg);

    /* A graph whose size is not its dimension's length. */
    const int64_t e3[] = {0, 1, 1, 2};
    cperm_graph *chain3 = from_edges(3, e3, 2);
    const cperm_graph *gs[2] = {chain3, NULL};
    const size_t len44[2] = {4, 4};
    rc = cperm_graph_combine(&g, 2, len44, gs, &err);
    CHECK("err_length_mismatch", rc == CPERM_EMISMATCH && g == NULL &&
          strstr(err.msg, "dimension 0 has length 4 but its graph has 3 vertices"),
          "rc %d: %s", rc, err.msg);
    const size_t len43[2] = {4, 3};
    gs[0] = NULL;
    gs[1] = chain3;
    rc = cperm_graph_combine(&g, 2, len43, gs, &err);
    CHECK("err_length_ok_other_order", rc == 0, "rc %d: %s", rc, err.msg);
    cperm_graph_free(g);
    g = NULL;
    rc = cperm_graph_combine(&g, 2, len44, gs, &err);
    CHECK("err_length_mismatch_msg", rc == CPERM_EMISMATCH &&
          strstr(err.msg, "dimension 1 has length 4 but its graph has 3 vertices"), "rc %d: %s", rc, err.msg);

    /* Hand-made graphs that break the CSR invariants. */
    size_t ip[4] = {0, 1, 2, 2};
    int32_t asym[2] = {1, 2};  /* 0 -> 1, 1 -> 2, but 1 lists no 0 and 2 lists no 1 */
    cperm_graph bad = {3, ip, asym};
    const cperm_graph *gb[2] = {NULL, &bad};
    const size_t l23[2] = {2, 3};
    rc = cperm_graph_combine(&g, 2, l23, gb, &err);
    CHECK("err_asymmetric", rc == CPERM_EINVAL && strstr(err.msg, "not symmetric") &&
          strstr(err.msg, "dimension 1"), "rc %d: %s", rc, err.msg);
    size_t ip2[4] = {0, 2, 3, 4};
    int32_t self[4] = {0, 1, 0, 0}; /* vertex 0 lists itself */
    cperm_graph bself = {3, ip2, self};
    gb[1] = &bself;
    rc = cperm_graph_combine(&g, 2, l23, gb, &err);
    CHECK("err_self_loop", rc == CPERM_EINVAL && strstr(err.msg, "lists itself"), "rc %d: %s", rc, err.msg);
    int32_t unsorted[4] = {2, 1, 0, 0};
    cperm_graph bsort = {3, ip2, unsorted};
    gb[1] = &bsort;
    rc = cperm_graph_combine(&g, 2, l23, gb, &err);
    CHECK("err_unsorted", rc == CPERM_EINVAL && strstr(err.msg, "not strictly ascending"),
          "rc %d: %s", rc, err.msg);
    int32_t range[4] = {1, 3, 0, 0};
    cperm_graph brange = {3, ip2, range};
    gb[1] = &brange;
    rc = cperm_graph_combine(&g, 2, l23, gb, &err);
    CHECK("err_out_of_range", rc == CPERM_EINVAL && strstr(err.msg, "outside [0, 3)"),
          "rc %d: %s", rc, err.msg);
    size_t ipdec[4] = {0, 2, 1, 2};
    cperm_graph bdec = {3, ipdec, asym};
    gb[1] = &bdec;
    rc = cperm_graph_combine(&g, 2, l23, gb, &err);
    CHECK("err_indptr_decreases", rc == CPERM_EINVAL && strstr(err.msg, "decrease"), "rc %d: %s", rc, err.msg);
    cperm_graph bnull = {3, NULL, NULL};
    gb[1] = &bnull;
    rc = cperm_graph_combine(&g, 2, l23, gb, &err);
    CHECK("err_null_arrays", rc == CPERM_EINVAL && g == NULL, "rc %d: %s", rc, err.msg);
    rc = cperm_graph_combine(&g, 2, l23, gb, NULL);
    CHECK("err_null_err_ok", rc == CPERM_EINVAL, "rc %d", rc);
    cperm_graph_free(chain3);
    cperm_graph_free(NULL);
}

/* The engine accepts the product: a 3 x 4 lattice over all points as its spatial graph. */
static void test_plan_accepts(void) {
    cperm_err err = {0};
    cperm_graph *g = NULL;
    const size_t shape[2] = {3, 4};
    cperm_plan *plan = NULL;
    cperm_options o;
    cperm_options_init(&o, CPERM_OPTIONS_VERSION);
    o.threshold = 2.0;
    o.n_permutations = 8;
    int rc = cperm_graph_lattice(&g, 2, shape, &err);
    if (!rc) rc = cperm_plan_create(&plan, g, 4, 1, &o, &err);
    CHECK("plan_accepts_lattice", rc == 0, "rc %d: %s", rc, err.msg);
    cperm_plan_free(plan);
    cperm_graph_free(g);
}

/* A hand-made graph (the struct is public) that is not symmetric, or lists a vertex as its
 * own neighbour, is refused by the plan, naming the first bad vertex and its neighbour. */
static void test_plan_rejects(void) {
    cperm_err err = {0};
    cperm_plan *plan = NULL;
    cperm_options o;
    cperm_options_init(&o, CPERM_OPTIONS_VERSION);
    o.threshold = 2.0;
    o.n_permutations = 8;
    o.n_jobs = 2;
    /* 0-1 both ways; 2 lists 3 but 3 lists nothing; 4 lists 0, not listed back either */
    size_t ip[6] = {0, 1, 2, 3, 3, 4};
    int32_t idx[4] = {1, 0, 3, 0};
    cperm_graph asym = {5, ip, idx};
    int rc = 0;
    for (int jobs = 1; jobs <= 2; jobs++) {
        o.n_jobs = jobs;
        rc = cperm_plan_create(&plan, &asym, 4, 2, &o, &err);
        CHECK(jobs == 1 ? "plan_rejects_asymmetric_j1" : "plan_rejects_asymmetric_j2",
              rc == CPERM_EINVAL && plan == NULL &&
              strstr(err.msg, "not symmetric: edge 2-3 has no reverse"), "rc %d: %s", rc, err.msg);
    }
    size_t ip2[4] = {0, 1, 3, 4};
    int32_t self[4] = {1, 0, 1, 1}; /* vertex 1 lists itself */
    cperm_graph bself = {3, ip2, self};
    rc = cperm_plan_create(&plan, &bself, 4, 2, &o, &err);
    CHECK("plan_rejects_self_loop", rc == CPERM_EINVAL && plan == NULL &&
          strstr(err.msg, "self-loop at vertex 1"), "rc %d: %s", rc, err.msg);
}

int main(void) {
    test_lattice();
    test_combine_chain_lattice();
    test_combine_graph();
    test_lattice_brute();
    test_errors();
    test_plan_accepts();
    test_plan_rejects();
    TU_EXIT();
}
