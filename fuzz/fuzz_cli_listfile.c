/* fuzz_cli_listfile.c - libFuzzer target: `clusterperm onesample --a @LISTFILE` list files
 * (expand_stems, static in cli/onesample.c, which is compiled into this target). The input
 * is the list file's content; every accepted entry must be a trimmed, non-empty,
 * non-comment line. */
#include "../cli/onesample.c"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cli_strlist list = {0};
    char spec[600];
    const char *path = fuzz_scratch_file("stems.txt", data, size);
    if (!path) return 0;
    snprintf(spec, sizeof spec, "@%s", path);
    int rc = expand_stems("--a", spec, &list);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc == 0) {
        FUZZ_CHECK(list.n > 0);
        for (size_t i = 0; i < list.n; i++) {
            const char *s = list.items[i];
            size_t n = strlen(s);
            FUZZ_CHECK(n > 0 && s[0] != '#' && s[0] != ' ' && s[0] != '\t');
            FUZZ_CHECK(!strchr(s, '\n'));
            FUZZ_CHECK(s[n - 1] != ' ' && s[n - 1] != '\t' && s[n - 1] != '\r');
        }
    }
    cli_strlist_free(&list);
    return 0;
}
