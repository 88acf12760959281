/* fuzz_surf.c - libFuzzer target: a FreeSurfer binary surface from memory
 * (cperm_surf_read_mem): triangle and quad formats, counts checked against the size. */
#include "clusterperm.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cperm_surf *s = NULL;
    cperm_err err = {0};
    if (cperm_surf_read_mem(&s, data, size, "lh.fuzz", &err) != 0) {
        FUZZ_CHECK(!s && err.msg[0] && err.code < 0);
        return 0;
    }
    volatile float sum = 0;
    for (size_t i = 0; i < 3 * s->n_vertices; i++) sum += s->rr[i];
    (void)sum;
    for (size_t i = 0; i < 3 * s->n_tris; i++)
        FUZZ_CHECK(s->tris[i] >= 0 && (size_t)s->tris[i] < s->n_vertices);
    cperm_surf_free(s);
    return 0;
}
