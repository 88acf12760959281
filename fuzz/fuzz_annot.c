/* fuzz_annot.c - libFuzzer target: the atlas files of issue 18 from memory, each parser on
 * the same bytes: a FreeSurfer parcellation (cperm_annot_read_mem), a .label file
 * (cperm_label_read_mem), a talairach.xfm (cperm_xfm_read_mem) and an MGH header
 * (cperm_mgh_mri_ras_mem). */
#include "clusterperm.h"
#include "fuzz.h"

#include <math.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cperm_err err = {0};
    cperm_annot *a = NULL;
    if (cperm_annot_read_mem(&a, data, size, "lh.fuzz.annot", &err) != 0) {
        FUZZ_CHECK(!a && err.msg[0] && err.code < 0);
    } else {
        FUZZ_CHECK(a->n_vertices <= size / 8); /* every vertex takes 8 bytes of the file */
        for (size_t v = 0; v < a->n_vertices; v++)
            FUZZ_CHECK(a->region[v] >= -1 && a->region[v] < (int32_t)a->n_regions);
        for (size_t i = 0; i < a->n_regions; i++) FUZZ_CHECK(a->names[i] != NULL);
        cperm_annot_free(a);
    }
    cperm_err e2 = {0};
    cperm_label *l = NULL;
    if (cperm_label_read_mem(&l, data, size, "fuzz-lh.label", &e2) != 0) {
        FUZZ_CHECK(!l && e2.msg[0] && e2.code < 0);
    } else {
        FUZZ_CHECK(l->hemi == 0 && l->n_vertices <= size);
        for (size_t i = 1; i < l->n_vertices; i++) FUZZ_CHECK(l->vertices[i - 1] < l->vertices[i]);
        for (size_t i = 0; i < l->n_vertices; i++) FUZZ_CHECK(l->vertices[i] >= 0);
        cperm_label_free(l);
    }
    cperm_affine x;
    cperm_err e3 = {0};
    if (cperm_xfm_read_mem(&x, data, size, "talairach.xfm", &e3) != 0)
        FUZZ_CHECK(e3.msg[0] && e3.code < 0);
    cperm_err e4 = {0};
    if (cperm_mgh_mri_ras_mem(&x, data, size, "orig.mgz", &e4) != 0) {
        FUZZ_CHECK(e4.msg[0] && e4.code < 0);
    } else {
        volatile double s = 0;
        for (int i = 0; i < 12; i++) s += x.m[i];
        (void)s;
    }
    return 0;
}
