/* fuzz_fif_gz.c - libFuzzer target: a -src.fif.gz file through the file reader
 * (cperm_src_read: zlib's gzip layer, then the FIF parser). cperm_src_read_mem takes plain
 * FIF only, so the input goes through a scratch file. */
#include "clusterperm.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cperm_srcspace *src = NULL;
    cperm_err err = {0};
    const char *path = fuzz_scratch_file("fuzz-src.fif.gz", data, size);
    if (!path) return 0;
    if (cperm_src_read(&src, path, &err) != 0) {
        FUZZ_CHECK(!src && err.msg[0] && err.code < 0);
        return 0;
    }
    cperm_src_free(src);
    return 0;
}
