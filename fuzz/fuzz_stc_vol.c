/* fuzz_stc_vol.c - libFuzzer target: one volume .stc file (-vl.stc) from memory
 * (cperm_stc_read_vol_mem), then the crop the CLI applies to what was read. */
#include "clusterperm.h"
#include "fuzz.h"

#include <math.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cperm_stc *stc = NULL;
    cperm_err err = {0};
    if (cperm_stc_read_vol_mem(&stc, data, size, "fuzz-vl.stc", &err) != 0) {
        /* a failure must leave a message and no object */
        FUZZ_CHECK(!stc && err.msg[0] && err.code < 0);
        return 0;
    }
    /* A VolSourceEstimate of one block, vertices strictly ascending as in the file (never
     * sorted), every value read. */
    FUZZ_CHECK(stc->kind == CPERM_STC_VOLUME && stc->n_hemis == 1 && stc->n_orient == 1);
    for (size_t i = 1; i < stc->n_vertices[0]; i++)
        FUZZ_CHECK(stc->vertices[0][i] > stc->vertices[0][i - 1]);
    volatile double sum = 0;
    for (size_t i = 0; i < stc->n_vertices[0] * stc->n_times; i++) sum += stc->data[i];
    (void)sum;
    if (stc->n_times > 0 && stc->tstep > 0 && isfinite(stc->tmin)) {
        cperm_stc_crop(stc, stc->tmin + stc->tstep, NAN, &err);
        FUZZ_CHECK(stc->kind == CPERM_STC_VOLUME && stc->n_hemis == 1);
    }
    cperm_stc_free(stc);
    return 0;
}
