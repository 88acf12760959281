/* fuzz_stc.c - libFuzzer target: one .stc file from memory (cperm_stc_read_mem), then the
 * operations the CLI applies to what was read (crop, absolute value via magnitude's twin). */
#include "clusterperm.h"
#include "fuzz.h"

#include <math.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cperm_stc *stc = NULL;
    cperm_err err = {0};
    if (cperm_stc_read_mem(&stc, data, size, "fuzz-lh.stc", &err) != 0) {
        /* a failure must leave a message and no object */
        FUZZ_CHECK(!stc && err.msg[0] && err.code < 0);
        return 0;
    }
    /* Every value was read, the layout is consistent, vertices ascending and unique. */
    FUZZ_CHECK(stc->n_hemis == 1 && stc->n_orient == 1);
    for (size_t i = 1; i < stc->n_vertices[0]; i++)
        FUZZ_CHECK(stc->vertices[0][i] > stc->vertices[0][i - 1]);
    volatile double sum = 0;
    for (size_t i = 0; i < stc->n_vertices[0] * stc->n_times; i++) sum += stc->data[i];
    (void)sum;
    /* crop with limits taken from the header itself, then with none */
    if (stc->n_times > 0 && stc->tstep > 0 && isfinite(stc->tmin)) {
        cperm_stc_crop(stc, stc->tmin + stc->tstep, NAN, &err);
        cperm_stc_crop(stc, NAN, stc->tmin + 2.5 * stc->tstep, &err);
    }
    cperm_stc_magnitude(stc, &err); /* scalar: refused with CPERM_EINVAL */
    cperm_stc_free(stc);
    return 0;
}
