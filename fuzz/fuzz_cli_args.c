/* fuzz_cli_args.c - libFuzzer target: `clusterperm onesample` option parsing. The input is
 * split at NUL bytes into argv; parse_args must return (never exit or crash) and, when it
 * accepts, hand back a consistent option set. The parser is static in cli/onesample.c, so
 * that file is compiled into this target (cli/onesample.o is left out of the link). */
#include "../cli/onesample.c"

#include "fuzz.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = malloc(size + 1);
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    os_opts o;
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    /* the first byte picks the command: both share the parser */
    const char *command = size && (data[0] & 1) ? "independent" : "onesample";
    argv[argc++] = (char *)command;
    for (size_t i = 0; i < size && argc <= MAX_ARGS;) {
        argv[argc++] = buf + i;
        i += strlen(buf + i) + 1;
    }
    argv[argc] = NULL;
    int rc = parse_args(argc, argv, &o, command);
    FUZZ_CHECK(rc == -1 || rc == 0 || rc == 1);
    if (rc == 0) {
        FUZZ_CHECK(o.src && o.out);
        FUZZ_CHECK(os_independent(&o) ? o.n_groups >= 2 && !o.a && !o.b && !o.tfce.on : !!o.a);
        FUZZ_CHECK(!os_independent(&o) || o.statistic != CPERM_STAT_T_IND || o.n_groups == 2);
        FUZZ_CHECK(o.tail >= -1 && o.tail <= 1);
        FUZZ_CHECK(o.n_permutations > 0 || o.n_permutations == CPERM_PERMUTATIONS_ALL);
        FUZZ_CHECK(o.seed >= 0 && o.seed <= 4294967295L);
        FUZZ_CHECK(o.max_step >= 1);
        FUZZ_CHECK(o.sigma >= 0 && isfinite(o.sigma));
        FUZZ_CHECK(o.step_down_p >= 0 && o.step_down_p <= 1);
        FUZZ_CHECK(o.p_summary > 0 && o.p_summary <= 1);
        FUZZ_CHECK(isnan(o.p_threshold) || (o.p_threshold > 0 && o.p_threshold < 1));
        FUZZ_CHECK(isnan(o.p_threshold) || isnan(o.t_threshold));
        FUZZ_CHECK(isnan(o.tmin) || isnan(o.tmax) || o.tmin <= o.tmax);
    }
    free(buf);
    return 0;
}
