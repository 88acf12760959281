/* unit_annot.c - the atlas readers of issue 18 on files built byte by byte: an .annot in the
 * old colour-table format (ids from r + 256 g + 65536 b + 2^24 t, a vertex whose value is no
 * entry's, rows out of vertex order), truncations; .label files and MNE's naming rule; a
 * talairach.xfm; an MGH header whose surface RAS -> scanner RAS is a known translation. */
#include "clusterperm.h"
#include "testutil.h"

#include <string.h>

static size_t be(unsigned char *p, size_t off, int32_t v) {
    uint32_t u = (uint32_t)v;
    p[off] = (unsigned char)(u >> 24), p[off + 1] = (unsigned char)(u >> 16);
    p[off + 2] = (unsigned char)(u >> 8), p[off + 3] = (unsigned char)u;
    return off + 4;
}
static size_t bef(unsigned char *p, size_t off, float f) {
    int32_t v;
    memcpy(&v, &f, 4);
    return be(p, off, v);
}

static void annot_old_format(void) {
    unsigned char b[256];
    size_t o = 0;
    o = be(b, o, 3);
    /* rows (vno, value) given as vertex 2, 0, 1: annot = data[data[:, 0], 1] */
    o = be(b, o, 2), o = be(b, o, 7);             /* 7: no entry's id */
    o = be(b, o, 0), o = be(b, o, 1 + 2 * 256);   /* entry 0: r 1, g 2, b 0, t 0 */
    o = be(b, o, 1), o = be(b, o, 5 + 16777216);  /* entry 1: r 5, t 1 */
    o = be(b, o, 1);                              /* colour table present */
    o = be(b, o, 2);                              /* old format: 2 entries */
    o = be(b, o, 3), memcpy(b + o, "tab", 3), o += 3;
    o = be(b, o, 4), memcpy(b + o, "abc\0", 4), o += 4; /* NUL-padded, as numpy's |S4 */
    o = be(b, o, 1), o = be(b, o, 2), o = be(b, o, 0), o = be(b, o, 0);
    o = be(b, o, 2), memcpy(b + o, "de", 2), o += 2;
    o = be(b, o, 5), o = be(b, o, 0), o = be(b, o, 0), o = be(b, o, 1);
    cperm_annot *a = NULL;
    cperm_err err = {0};
    int rc = cperm_annot_read_mem(&a, b, o, "lh.t.annot", &err);
    CHECK("annot.old.rc", rc == 0, "%s", err.msg);
    if (rc) return;
    /* row i gives vertex i the value of row data[i, 0]: vertex 0 <- row 2's (entry 1),
     * vertex 1 <- row 0's (7: none), vertex 2 <- row 1's (entry 0) */
    CHECK("annot.old.regions", a->n_vertices == 3 && a->region[0] == 1 && a->region[1] == -1 &&
          a->region[2] == 0, "%d %d %d", a->region[0], a->region[1], a->region[2]);
    CHECK("annot.old.names", a->n_regions == 2 && !strcmp(a->names[0], "abc") &&
          !strcmp(a->names[1], "de"), "'%s' '%s'", a->names[0], a->names[1]);
    CHECK("annot.old.ids_alpha", a->ids[0] == 513 && a->ids[1] == 5 + 16777216 &&
          a->rgba[3] == 255 && a->rgba[7] == 254, "ids %lld %lld alpha %d %d",
          (long long)a->ids[0], (long long)a->ids[1], a->rgba[3], a->rgba[7]);
    cperm_annot_free(a);
    for (size_t cut = 1; cut < o; cut += 7) {
        cperm_err e2 = {0};
        a = NULL;
        rc = cperm_annot_read_mem(&a, b, o - cut, "lh.t.annot", &e2);
        if (rc == 0 || a || !strstr(e2.msg, "lh.t.annot")) {
            TU_FAIL("annot.old.truncations_refused", "cut %zu: rc %d '%s'", cut, rc, e2.msg);
            cperm_annot_free(a);
            return;
        }
    }
    TU_OK("annot.old.truncations_refused");
    b[4] = 0, b[5] = 0, b[6] = 0, b[7] = 9; /* a row names vertex 9 of 3 */
    cperm_err e3 = {0};
    rc = cperm_annot_read_mem(&a, b, o, "lh.t.annot", &e3);
    CHECK("annot.vertex_out_of_range", rc == CPERM_EFORMAT && strstr(e3.msg, "vertex 9"),
          "rc %d '%s'", rc, e3.msg);
}

static void labels(void) {
    const char *text = "#comment\n3\n7 1 2 3 0.5\n2 0 0 0 1\n40 1.5 -2 3 0\n";
    cperm_label *l = NULL;
    cperm_err err = {0};
    int rc = cperm_label_read_mem(&l, text, strlen(text), "/x/BA1-rh.label", &err);
    CHECK("label.read", rc == 0 && l->hemi == 1 && l->n_vertices == 3 && l->vertices[0] == 2 &&
          l->vertices[1] == 7 && l->vertices[2] == 40 && !strcmp(l->name, "BA1-rh"),
          "rc %d '%s' name '%s'", rc, err.msg, l ? l->name : "");
    cperm_label_free(l);
    rc = cperm_label_read_mem(&l, text, strlen(text), "lh.cortex.label", &err);
    CHECK("label.mne_name_quirk", rc == 0 && l->hemi == 0 && !strcmp(l->name, "lh.cortex-lh"),
          "rc %d name '%s'", rc, l ? l->name : "");
    cperm_label_free(l);
    const char *dup = "#c\n2\n3 0 0 0 0\n3 1 1 1 1\n";
    rc = cperm_label_read_mem(&l, dup, strlen(dup), "a-lh.label", &err);
    CHECK("label.duplicate_refused", rc == CPERM_EFORMAT && strstr(err.msg, "twice"), "rc %d '%s'",
          rc, err.msg);
    const char *shortl = "#c\n3\n3 0 0 0 0\n4 0 0 0 0\n";
    rc = cperm_label_read_mem(&l, shortl, strlen(shortl), "a-lh.label", &err);
    CHECK("label.short_refused", rc == CPERM_EFORMAT && strstr(err.msg, "says 3 vertices but holds 2"),
          "rc %d '%s'", rc, err.msg);
}

static void transforms(void) {
    const char *xfm = "MNI Transform File\n% c\n\nTransform_Type = Linear;\nLinear_Transform =\n"
                      " 1.5 0 0 10\n0 2 0 -20\n0 0 0.5 30 ;\n";
    cperm_affine x, m, t;
    cperm_err err = {0};
    int rc = cperm_xfm_read_mem(&x, xfm, strlen(xfm), "talairach.xfm", &err);
    CHECK("xfm.read", rc == 0 && x.m[0] == 1.5 && x.m[3] == 10 && x.m[7] == -20 &&
          x.m[10] == 0.5 && x.m[11] == 30, "rc %d '%s'", rc, err.msg);
    /* a conformed 256^3 1 mm volume (Mdc: x_ras = (-1, 0, 0), y_ras = (0, 0, -1), z_ras =
     * (0, 1, 0)) centred at c_ras = (2, -3, 4): vox2ras is vox2ras_tkr moved by c_ras, so
     * surface RAS -> scanner RAS is the translation by c_ras */
    unsigned char h[90] = {0};
    size_t o = be(h, 0, 1);
    o = be(h, o, 256), o = be(h, o, 256), o = be(h, o, 256), o = be(h, o, 1);
    o = be(h, o, 0), o = be(h, o, 0);
    h[o] = 0, h[o + 1] = 1, o += 2;
    for (int i = 0; i < 3; i++) o = bef(h, o, 1.0f);
    const float mdc[9] = {-1, 0, 0, 0, 0, -1, 0, 1, 0};
    for (int i = 0; i < 9; i++) o = bef(h, o, mdc[i]);
    o = bef(h, o, 2.0f), o = bef(h, o, -3.0f), o = bef(h, o, 4.0f);
    rc = cperm_mgh_mri_ras_mem(&m, h, o, "orig.mgz", &err);
    const double want[12] = {1, 0, 0, 2, 0, 1, 0, -3, 0, 0, 1, 4};
    int same = rc == 0 && o == 90;
    for (int i = 0; same && i < 12; i++) same = m.m[i] == want[i];
    CHECK("mgh.translation_by_c_ras", same, "rc %d '%s' %g %g %g %g", rc, err.msg, m.m[0], m.m[3],
          m.m[7], m.m[11]);
    cperm_affine_mul(&t, &x, &m); /* mri -> ras -> mni */
    double p[3] = {1, 1, 1}, q[3];
    cperm_affine_apply(q, &t, p);
    CHECK("affine.compose", q[0] == 1.5 * 3 + 10 && q[1] == 2 * -2 - 20 && q[2] == 0.5 * 5 + 30,
          "%g %g %g", q[0], q[1], q[2]);
    rc = cperm_mgh_mri_ras_mem(&m, h, 89, "orig.mgz", &err);
    CHECK("mgh.truncated", rc == CPERM_EFORMAT && strstr(err.msg, "89 of 90"), "rc %d '%s'", rc,
          err.msg);
    rc = cperm_xfm_read_mem(&x, "Linear_Transform =\n1 2 3\n", 24, "t.xfm", &err);
    CHECK("xfm.short_row", rc == CPERM_EFORMAT && strstr(err.msg, "row 1"), "rc %d '%s'", rc,
          err.msg);
}

int main(void) {
    annot_old_format();
    labels();
    transforms();
    TU_EXIT();
}
