/* fuzz_stc_h5_raw.c - libFuzzer target: raw bytes as a -stc.h5 file through
 * cperm_stc_read_h5 and cperm_stc_read_any in-process (libhdf5's parser, then our layout
 * checks for surface estimates, then for every kind; the default child
 * process would hide libhdf5's crashes and hangs from the fuzzer). libhdf5 is not
 * instrumented, so coverage guidance covers our code only; crashes inside libhdf5 itself are
 * reported upstream-style in fuzz/README.md, not fixed here. The structured target
 * fuzz_stc_h5 reaches the layout checks far better. */
#include "clusterperm.h"
#include "fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cperm_stc *stc = NULL;
    cperm_err err = {0};
    cperm_h5_options opts = CPERM_H5_OPTIONS_INIT;
    const char *path = fuzz_scratch_file("fuzz-stc.h5", data, size);
    if (!path) return 0;
    opts.isolate = CPERM_H5_ISOLATE_NONE;
    if (cperm_stc_read_h5(&stc, path, &opts, &err) != 0) {
        FUZZ_CHECK(!stc && err.msg[0] && err.code < 0);
    } else {
        FUZZ_CHECK(stc->n_hemis == 2 && (stc->n_orient == 1 || stc->n_orient == 3) &&
                   stc->kind == CPERM_STC_SURFACE);
        cperm_stc_free(stc);
        stc = NULL;
    }
    /* Every kind (volume, mixed): any number of blocks, each ascending. */
    memset(&err, 0, sizeof err);
    if (cperm_stc_read_any(&stc, path, &opts, &err) != 0) {
        FUZZ_CHECK(!stc && err.msg[0] && err.code < 0);
        return 0;
    }
    FUZZ_CHECK(stc->n_hemis >= 1 && stc->n_hemis <= CPERM_STC_MAX_BLOCKS &&
               (stc->kind != CPERM_STC_SURFACE || stc->n_hemis == 2) &&
               (stc->n_orient == 1 || stc->n_orient == 3));
    for (size_t h = 0; h < stc->n_hemis; h++)
        for (size_t i = 1; i < stc->n_vertices[h]; i++)
            FUZZ_CHECK(stc->vertices[h][i] > stc->vertices[h][i - 1]);
    cperm_stc_free(stc);
    return 0;
}
