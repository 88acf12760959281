/* unit_positions.c - channel adjacency from positions (positions.c) and positions files
 * (montage.c) on hand-computed cases: small Delaunay graphs, paired gradiometers, the topomap
 * projection of simple points, MNE's scaling of .sfp/.elc files, and every refusal. */
#include "clusterperm.h"
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Whether g's rows are exactly `rows` (each row a list ending in -1); why says where not. */
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
            return snprintf(why, len, "row %zu has %zu entries, want fewer", v,
                            g->indptr[v + 1] - g->indptr[v]), 0;
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

/* A failing call: the code, no object, and a message holding `words`. */
#define CHECK_REFUSED(name, rc, want_rc, obj, err, words)                                     \
    CHECK(name, (rc) == (want_rc) && !(obj) && strstr((err).msg, (words)) != NULL,            \
          "rc %d (want %d), message '%s' (want '%s')", (rc), (want_rc), (err).msg, (words))

static cperm_graph *graph_of(const double *xy, size_t n, size_t dim) {
    cperm_graph *g = NULL;
    cperm_err err = {0};
    if (cperm_graph_from_positions(&g, xy, n, dim, &err)) printf("# graph: %s\n", err.msg);
    return g;
}

static void test_delaunay(void) {
    /* A square and its centre: the centre joins all four corners, the sides are edges, and no
     * diagonal (each would cross the centre's edges). */
    const double square[] = {0, 0, 1, 0, 0, 1, 1, 1, 0.5, 0.5};
    const int square_rows[] = {1, 2, 4, -1, 0, 3, 4, -1, 0, 3, 4, -1, 1, 2, 4, -1, 0, 1, 2, 3, -1};
    cperm_graph *g = graph_of(square, 5, 2);
    CHECK_ROWS("square_and_centre", g, square_rows, 5);
    cperm_graph_free(g);

    /* Three points: one triangle. */
    const double tri[] = {0, 0, 3, 1, 1, 2};
    const int tri_rows[] = {1, 2, -1, 0, 2, -1, 0, 1, -1};
    g = graph_of(tri, 3, 2);
    CHECK_ROWS("triangle", g, tri_rows, 3);
    cperm_graph_free(g);

    /* A kite (0,0) (2,-1) (4,0) (2,3): the circle through the first three has centre (2, 1.5)
     * and radius 2.5; (2,3) lies 1.5 from its centre, inside, so the Delaunay diagonal is
     * (2,-1)-(2,3), not (0,0)-(4,0). */
    const double kite[] = {0, 0, 2, -1, 4, 0, 2, 3};
    const int kite_rows[] = {1, 3, -1, 0, 2, 3, -1, 1, 3, -1, 0, 1, 2, -1};
    g = graph_of(kite, 4, 2);
    CHECK_ROWS("kite_diagonal", g, kite_rows, 4);
    cperm_graph_free(g);

    /* The same kite translated and scaled: the same graph. */
    double kite2[8];
    for (int i = 0; i < 8; i++) kite2[i] = kite[i] * 0.037 + (i % 2 ? -0.2 : 0.11);
    g = graph_of(kite2, 4, 2);
    CHECK_ROWS("kite_scaled", g, kite_rows, 4);
    cperm_graph_free(g);

    /* A point inside a triangle: K4. */
    const double k4[] = {0, 0, 2, 0, 1, 3, 1, 0.5};
    const int k4_rows[] = {1, 2, 3, -1, 0, 2, 3, -1, 0, 1, 3, -1, 0, 1, 2, -1};
    g = graph_of(k4, 4, 2);
    CHECK_ROWS("inside_triangle", g, k4_rows, 4);
    cperm_graph_free(g);

    /* 3-D: a tetrahedron and a point inside it: all pairs adjacent (K5). */
    const double tet[] = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0.2, 0.2, 0.2};
    const int tet_rows[] = {1, 2, 3, 4, -1, 0, 2, 3, 4, -1, 0, 1, 3, 4, -1,
                            0, 1, 2, 4, -1, 0, 1, 2, 3, -1};
    g = graph_of(tet, 5, 3);
    CHECK_ROWS("tetrahedron_and_inside", g, tet_rows, 5);
    cperm_graph_free(g);
}

static void test_paired(void) {
    cperm_err err = {0};
    cperm_graph *g = NULL;
    /* The kite's four positions, pair k = channels (k, k + 4): channel 0 (pair 0) joins its
     * partner 4 and both channels of pairs 1 and 3. */
    const double kite[] = {0, 0, 2, -1, 4, 0, 2, 3};
    const int64_t pairs[] = {0, 4, 1, 5, 2, 6, 3, 7};
    const int rows[] = {1, 3, 4, 5, 7, -1,    0, 2, 3, 4, 5, 6, 7, -1, 1, 3, 5, 6, 7, -1,
                        0, 1, 2, 4, 5, 6, 7, -1, 0, 1, 3, 5, 7, -1,       0, 1, 2, 3, 4, 6, 7, -1,
                        1, 2, 3, 5, 7, -1,    0, 1, 2, 3, 4, 5, 6, -1};
    int rc = cperm_graph_from_positions_paired(&g, kite, 4, 2, pairs, &err);
    CHECK("paired_rc", rc == 0, "%s", err.msg);
    CHECK_ROWS("paired_kite", g, rows, 8);
    cperm_graph_free(g);
    g = NULL;

    const int64_t bad_range[] = {0, 4, 1, 5, 2, 6, 3, 8};
    rc = cperm_graph_from_positions_paired(&g, kite, 4, 2, bad_range, &err);
    CHECK_REFUSED("paired_out_of_range", rc, CPERM_EINVAL, g, err, "pair 3 names channel 8");
    const int64_t twice[] = {0, 4, 1, 5, 2, 6, 3, 0};
    rc = cperm_graph_from_positions_paired(&g, kite, 4, 2, twice, &err);
    CHECK_REFUSED("paired_twice", rc, CPERM_EINVAL, g, err, "channel 0 is in two pairs");
    rc = cperm_graph_from_positions_paired(&g, kite, 4, 2, NULL, &err);
    CHECK_REFUSED("paired_null", rc, CPERM_EINVAL, g, err, "NULL pairs");
}

static void test_refusals(void) {
    cperm_err err = {0};
    cperm_graph *g = NULL;
    const double two[] = {0, 0, 1, 1};
    int rc = cperm_graph_from_positions(&g, two, 2, 2, &err);
    CHECK_REFUSED("refuse_two_points", rc, CPERM_EINVAL, g, err, "needs at least 3");
    const double line[] = {0, 0, 1, 2, 2, 4, -1, -2};
    rc = cperm_graph_from_positions(&g, line, 4, 2, &err);
    CHECK_REFUSED("refuse_collinear", rc, CPERM_EINVAL, g, err, "all 4 points are collinear");
    const double dup[] = {0, 0, 1, 0, 0, 1, 1, 0};
    rc = cperm_graph_from_positions(&g, dup, 4, 2, &err);
    CHECK_REFUSED("refuse_duplicate", rc, CPERM_EINVAL, g, err, "points 1 and 3 are equal (1, 0)");
    double nan_pt[] = {0, 0, 1, 0, 0, 1};
    nan_pt[3] = NAN;
    rc = cperm_graph_from_positions(&g, nan_pt, 3, 2, &err);
    CHECK_REFUSED("refuse_nan", rc, CPERM_EINVAL, g, err, "point 1 (1, nan) is not finite");
    nan_pt[3] = INFINITY;
    rc = cperm_graph_from_positions(&g, nan_pt, 3, 2, &err);
    CHECK_REFUSED("refuse_inf", rc, CPERM_EINVAL, g, err, "point 1 (1, inf) is not finite");
    rc = cperm_graph_from_positions(&g, two, 1, 4, &err);
    CHECK_REFUSED("refuse_dim4", rc, CPERM_EINVAL, g, err, "dimension 4");
    const double plane[] = {0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0.3, 0.6, 1};
    rc = cperm_graph_from_positions(&g, plane, 5, 3, &err);
    CHECK_REFUSED("refuse_coplanar_3d", rc, CPERM_EINVAL, g, err, "coplanar");
    /* 1e-14 apart: different doubles, one point for Qhull (1e-13 apart it keeps both). */
    const double near[] = {0, 0, 1, 0, 0, 1, 1, 1, 0.5, 0.5, 0.5, 0.5 + 1e-14};
    rc = cperm_graph_from_positions(&g, near, 6, 2, &err);
    CHECK("refuse_nearly_equal", rc == CPERM_EINVAL && !g && strstr(err.msg, "merges it with point"),
          "rc %d, '%s'", rc, err.msg);
    rc = cperm_graph_from_positions(&g, NULL, 3, 2, &err);
    CHECK_REFUSED("refuse_null", rc, CPERM_EINVAL, g, err, "NULL");
    CHECK("refuse_no_out", cperm_graph_from_positions(NULL, line, 3, 2, &err) == CPERM_EINVAL,
          "accepted");
}

static void test_topomap(void) {
    cperm_err err = {0};
    double xy[12];
    /* (0,0,1): polar 0 -> the centre. (1,0,0): polar pi/2, r 1 -> (1, 0). (0,2,0): r 2,
     * azimuth pi/2 -> (cos(pi/2) 2, 2). (0,0,-1): polar pi -> radius pi / (pi/2) = 2 along
     * azimuth atan2(0, 0) = 0. (1,0,1): r sqrt 2, polar pi/4 -> sqrt(2)/2. (0,-3,-3): r 3 sqrt 2,
     * polar 3 pi/4, azimuth -pi/2 -> radius (3 pi/4) (3 sqrt 2) / (pi/2) = 4.5 sqrt 2, down. */
    const double pos[] = {0, 0, 1, 1, 0, 0, 0, 2, 0, 0, 0, -1, 1, 0, 1, 0, -3, -3};
    const double want[] = {0, 0, 1, 0, 0, 2, 2, 0, M_SQRT1_2, 0, 0, -4.5 * M_SQRT2};
    int rc = cperm_ch_topomap_coords(xy, pos, 6, NULL, &err);
    CHECK("topo_rc", rc == 0, "%s", err.msg);
    for (int i = 0; i < 12; i++) {
        char name[32];
        snprintf(name, sizeof name, "topo_point%d_%c", i / 2, i % 2 ? 'y' : 'x');
        CHECK(name, fabs(xy[i] - want[i]) <= 1e-15 * fmax(1, fabs(want[i])), "got %.17g want %.17g",
              xy[i], want[i]);
    }
    /* An origin: positions relative to it, its x and y added back. */
    const double origin[] = {1, 1, 0};
    const double p2[] = {2, 1, 0, 1, 1, 5};
    rc = cperm_ch_topomap_coords(xy, p2, 2, origin, &err);
    CHECK("topo_origin", rc == 0 && fabs(xy[0] - 2) < 1e-15 && fabs(xy[1] - 1) < 1e-15 &&
          xy[2] == 1 && xy[3] == 1, "rc %d: (%g, %g) (%g, %g)", rc, xy[0], xy[1], xy[2], xy[3]);

    const double overlap[] = {0.1, 0, 0, 0, 0.1, 0, 0.1, 0, 5e-11};
    rc = cperm_ch_topomap_coords(xy, overlap, 3, NULL, &err);
    CHECK("topo_refuse_overlap", rc == CPERM_EINVAL &&
          strstr(err.msg, "channels 0 and 2 have overlapping positions"), "rc %d '%s'", rc, err.msg);
    const double apart[] = {0.1, 0, 0, 0, 0.1, 0, 0.1, 0, 2e-10};
    rc = cperm_ch_topomap_coords(xy, apart, 3, NULL, &err);
    CHECK("topo_apart_2e-10", rc == 0, "%s", err.msg);
    double nanpos[] = {0, 0, 1, 1, 0, 0};
    nanpos[4] = NAN;
    rc = cperm_ch_topomap_coords(xy, nanpos, 2, NULL, &err);
    CHECK("topo_refuse_nan", rc == CPERM_EINVAL && strstr(err.msg, "channel 1 has no finite position"),
          "rc %d '%s'", rc, err.msg);
    rc = cperm_ch_topomap_coords(xy, pos, 0, NULL, &err);
    CHECK("topo_refuse_empty", rc == CPERM_EINVAL, "rc %d", rc);
}

/* ------------------------------------------------------------ positions files */

typedef struct read_result {
    int rc;
    cperm_ch_names *names;
    double *pos;
    size_t n, dim;
    cperm_err err;
} read_result;

static read_result read_text(const char *text, const char *name) {
    read_result r = {0};
    r.rc = cperm_ch_positions_read_mem(&r.names, &r.pos, &r.n, &r.dim, text, strlen(text), name,
                                       &r.err);
    return r;
}

static void result_free(read_result *r) {
    cperm_ch_names_free(r->names);
    free(r->pos);
}

static int names_are(const read_result *r, const char *const *want, size_t n) {
    if (!r->names || r->names->n_channels != n || r->n != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(r->names->names[i], want[i]) != 0) return 0;
    return 1;
}

static void test_sfp(void) {
    /* Rows other than headshape: FidNz (norm 10), A (5), B (10), B again (10): the median is
     * 10, so every value is scaled by 0.095 / 10 = 0.0095 (in float32). B keeps its first
     * place and its last position; FidNz is dropped after scaling. */
    const char *sfp = "# a comment\n"
                      "FidNz\t0\t10\t0\n"
                      "A  3 4 0   # trailing comment\n"
                      "\n"
                      "B 0 0 10\n"
                      "headshape 100 100 100\n"
                      "B 0 6 8\r\n";
    read_result r = read_text(sfp, "cap.sfp");
    const char *names[] = {"A", "B"};
    CHECK("sfp_rc", r.rc == 0, "%s", r.err.msg);
    CHECK("sfp_names", names_are(&r, names, 2) && r.dim == 3, "n %zu dim %zu", r.n, r.dim);
    if (r.rc == 0 && r.n == 2) {
        const double want[] = {0.0285, 0.038, 0, 0, 0.057, 0.076};
        for (int i = 0; i < 6; i++) {
            char name[32];
            snprintf(name, sizeof name, "sfp_value%d", i);
            CHECK_CLOSE(name, r.pos[i], want[i], 1e-7);
        }
        /* float32 values: the product of float32(3) and float32(0.0095), rounded to float32 */
        CHECK("sfp_float32", r.pos[0] == (double)(float)r.pos[0] && r.pos[0] != 0.0285,
              "%.17g", r.pos[0]);
    }
    result_free(&r);

    read_result bad = read_text("A 1 2\n", "x.sfp");
    CHECK_REFUSED("sfp_refuse_3_fields", bad.rc, CPERM_EFORMAT, bad.names, bad.err,
                  "x.sfp: line 1: 3 fields");
    bad = read_text("A 1 2 3\nB 1 2 zz\n", "x.sfp");
    CHECK_REFUSED("sfp_refuse_text_value", bad.rc, CPERM_EFORMAT, bad.names, bad.err,
                  "line 2: 'zz' is not a finite number");
    bad = read_text("A 1 2 nan\n", "x.sfp");
    CHECK_REFUSED("sfp_refuse_nan", bad.rc, CPERM_EFORMAT, bad.names, bad.err, "'nan'");
    bad = read_text("A 1 2 1e39\n", "x.sfp");
    CHECK_REFUSED("sfp_refuse_float32_overflow", bad.rc, CPERM_EFORMAT, bad.names, bad.err,
                  "overflows float32");
    bad = read_text("A 0 0 0\nB 0 0 0\nC 1 0 0\n", "x.sfp");
    CHECK_REFUSED("sfp_refuse_zero_median", bad.rc, CPERM_EFORMAT, bad.names, bad.err, "median");
    bad = read_text("# nothing\nheadshape 1 2 3\n", "x.sfp");
    CHECK_REFUSED("sfp_refuse_empty", bad.rc, CPERM_EFORMAT, bad.names, bad.err, "no channel positions");
    bad = read_text("FidNz 1 2 3\nFidT9 3 2 1\n", "x.sfp");
    CHECK_REFUSED("sfp_refuse_only_fiducials", bad.rc, CPERM_EFORMAT, bad.names, bad.err,
                  "no channel positions");
}

static void test_elc(void) {
    /* mm: Nz (0, 100, 0) -> 0.1 m, X 0.05 m, Y 0.2 m: median 0.1, scale 0.95. Nz dropped. */
    const char *elc = "# ASA\nReferenceLabel\tavg\nUnitPosition\tmm\nNumberPositions=\t3\n"
                      "Positions\n0 100 0\n50 0 0\n0 0 200\nLabels\nNz\nX\nY\n";
    read_result r = read_text(elc, "cap.elc");
    const char *names[] = {"X", "Y"};
    CHECK("elc_rc", r.rc == 0, "%s", r.err.msg);
    CHECK("elc_names", names_are(&r, names, 2) && r.dim == 3, "n %zu", r.n);
    if (r.rc == 0 && r.n == 2) {
        CHECK_CLOSE("elc_x", r.pos[0], 0.0475, 1e-15);
        CHECK_CLOSE("elc_y_z", r.pos[5], 0.19, 1e-15);
        CHECK("elc_zeros", r.pos[1] == 0 && r.pos[2] == 0 && r.pos[3] == 0 && r.pos[4] == 0, "nonzero");
    }
    result_free(&r);
    /* metres, and the labels ending at a blank line */
    r = read_text("UnitPosition m\nPositions\n1 0 0\n0 2 0\n0 0 3\nLabels\nA\nB\nC\n\nignored\n", "m.elc");
    CHECK("elc_metres", r.rc == 0 && r.n == 3 && fabs(r.pos[4] - 0.095) < 1e-15, "rc %d %s", r.rc,
          r.err.msg);
    result_free(&r);

    read_result bad = read_text("Positions\n1 2 3\nLabels\nA\n", "x.elc");
    CHECK_REFUSED("elc_refuse_no_units", bad.rc, CPERM_EFORMAT, bad.names, bad.err, "no UnitPosition");
    bad = read_text("UnitPosition cm\nPositions\n1 2 3\nLabels\nA\n", "x.elc");
    CHECK_REFUSED("elc_refuse_cm", bad.rc, CPERM_EFORMAT, bad.names, bad.err, "line 1: UnitPosition must be m or mm");
    bad = read_text("UnitPosition mm\n1 2 3\n", "x.elc");
    CHECK_REFUSED("elc_refuse_no_positions", bad.rc, CPERM_EFORMAT, bad.names, bad.err, "no Positions");
    bad = read_text("UnitPosition mm\nPositions\n1 2 3\n", "x.elc");
    CHECK_REFUSED("elc_refuse_no_labels", bad.rc, CPERM_EFORMAT, bad.names, bad.err, "no Labels");
    bad = read_text("UnitPosition mm\nPositions\n1 2 3\n4 5 6\nLabels\nA\n", "x.elc");
    CHECK_REFUSED("elc_refuse_count", bad.rc, CPERM_EFORMAT, bad.names, bad.err, "1 labels for 2 positions");
    bad = read_text("UnitPosition mm\nPositions\n1 2 3\nLabels\nA\nB\n", "x.elc");
    CHECK_REFUSED("elc_refuse_more_labels", bad.rc, CPERM_EFORMAT, bad.names, bad.err,
                  "line 6: more labels than the 1 positions");
    bad = read_text("UnitPosition mm\nPositions\n1 2\nLabels\nA\n", "x.elc");
    CHECK_REFUSED("elc_refuse_2_values", bad.rc, CPERM_EFORMAT, bad.names, bad.err, "line 3: 2 values");
}

static void test_table(void) {
    /* tabs (a name with a space), a header, comments; 2-D, unscaled */
    read_result r = read_text("name\tx\ty\n# comment\nEEG 001\t0.5\t-1.25\n\nEEG 002\t2\t3e-2\n",
                              "pos.tsv");
    const char *names[] = {"EEG 001", "EEG 002"};
    CHECK("table_tsv", r.rc == 0 && names_are(&r, names, 2) && r.dim == 2 && r.pos[0] == 0.5 &&
          r.pos[1] == -1.25 && r.pos[2] == 2 && r.pos[3] == 0.03, "rc %d %s", r.rc, r.err.msg);
    result_free(&r);
    /* commas, 3-D, no header */
    r = read_text("A, 1, 2, 3\nB,4,5,6\n", "pos.csv");
    CHECK("table_csv_3d", r.rc == 0 && r.n == 2 && r.dim == 3 && r.pos[5] == 6, "rc %d %s", r.rc,
          r.err.msg);
    result_free(&r);
    /* blanks; a duplicate keeps its first place and last value */
    r = read_text("A 1 2\nB 3 4\nA 5 6\n", "pos.txt");
    const char *ab[] = {"A", "B"};
    CHECK("table_duplicate", r.rc == 0 && names_are(&r, ab, 2) && r.pos[0] == 5 && r.pos[1] == 6,
          "rc %d %s", r.rc, r.err.msg);
    result_free(&r);

    read_result bad = read_text("A 1 2\nB 1 2 3\n", "p.txt");
    CHECK_REFUSED("table_refuse_mixed_dims", bad.rc, CPERM_EFORMAT, bad.names, bad.err,
                  "line 2: 3 coordinates after 2");
    bad = read_text("A 1\n", "p.txt");
    CHECK_REFUSED("table_refuse_one_value", bad.rc, CPERM_EFORMAT, bad.names, bad.err, "line 1: 2 fields");
    bad = read_text("name x y\nA 1 y\n", "p.txt");
    CHECK_REFUSED("table_refuse_text_value", bad.rc, CPERM_EFORMAT, bad.names, bad.err,
                  "line 2: 'y' is not a finite number");
    bad = read_text(",1,2\n", "p.csv");
    CHECK_REFUSED("table_refuse_empty_name", bad.rc, CPERM_EFORMAT, bad.names, bad.err, "empty channel name");
    bad = read_text("A 1 0x10\n", "p.txt");
    CHECK_REFUSED("table_refuse_hex", bad.rc, CPERM_EFORMAT, bad.names, bad.err, "'0x10'");
    bad = read_text("", "p.txt");
    CHECK_REFUSED("table_refuse_empty", bad.rc, CPERM_EFORMAT, bad.names, bad.err, "no channel positions");
    static const char nul[] = "A 1 2\0B 3 4\n";
    bad.rc = cperm_ch_positions_read_mem(&bad.names, &bad.pos, &bad.n, &bad.dim, nul, sizeof nul - 1,
                                         "p.txt", &bad.err);
    CHECK_REFUSED("refuse_nul_byte", bad.rc, CPERM_EFORMAT, bad.names, bad.err, "NUL byte");
    bad.rc = cperm_ch_positions_read(&bad.names, &bad.pos, &bad.n, &bad.dim,
                                     "/nonexistent/cap.sfp", &bad.err);
    CHECK_REFUSED("refuse_missing_file", bad.rc, CPERM_ENOTFOUND, bad.names, bad.err, "cap.sfp");
    CHECK("refuse_null_outputs", cperm_ch_positions_read_mem(NULL, NULL, NULL, NULL, "A 1 2\n", 6,
                                                             "p.txt", &bad.err) == CPERM_EINVAL, "accepted");
}

int main(void) {
    test_delaunay();
    test_paired();
    test_refusals();
    test_topomap();
    test_sfp();
    test_elc();
    test_table();
    TU_EXIT();
}
