/* fuzz_curv.c - libFuzzer target: a FreeSurfer curvature/morphometry file from memory
 * (cperm_curv_read_mem): the new 0xFFFFFF format and the old int16 format. */
#include "clusterperm.h"
#include "fuzz.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    float *v = NULL;
    size_t n = 0;
    cperm_err err = {0};
    if (cperm_curv_read_mem(&v, &n, data, size, "lh.curv", &err) != 0) {
        FUZZ_CHECK(!v && err.msg[0] && err.code < 0);
        return 0;
    }
    FUZZ_CHECK(n <= size); /* every value takes at least two bytes of the file */
    volatile float sum = 0;
    for (size_t i = 0; i < n; i++) sum += v[i];
    (void)sum;
    free(v);
    return 0;
}
