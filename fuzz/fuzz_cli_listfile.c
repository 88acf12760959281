/* fuzz_cli_listfile.c - libFuzzer target: `clusterperm onesample --a @LISTFILE` list files
 * (cli_subjects_expand in cli/subjects.c). The input is the list file's content; every
 * accepted entry must be a trimmed, non-empty, non-comment line, and its subject its
 * position in the list. */
#include "../cli/subjects.h"

#include "fuzz.h"

#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cli_subjects list;
    char spec[600], pos[32];
    const char *path = fuzz_scratch_file("stems.txt", data, size);
    if (!path) return 0;
    snprintf(spec, sizeof spec, "@%s", path);
    int rc = cli_subjects_expand(&list, "--a", spec);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc == 0) {
        FUZZ_CHECK(list.stems.n > 0 && list.keys.n == list.stems.n && list.from_list);
        for (size_t i = 0; i < list.stems.n; i++) {
            const char *s = list.stems.items[i];
            size_t n = strlen(s);
            FUZZ_CHECK(n > 0 && s[0] != '#' && s[0] != ' ' && s[0] != '\t');
            FUZZ_CHECK(!strchr(s, '\n'));
            FUZZ_CHECK(s[n - 1] != ' ' && s[n - 1] != '\t' && s[n - 1] != '\r');
            snprintf(pos, sizeof pos, "%zu", i + 1);
            FUZZ_CHECK(!strcmp(list.keys.items[i], pos));
        }
        cli_subjects_free(&list);
    }
    return 0;
}
