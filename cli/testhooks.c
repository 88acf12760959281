/* testhooks.c - CLUSTERPERM_TEST_FAIL_WRITE in the test build of the program: the library's
 * write steps and the CLI's own, numbered as one sequence (testhooks.h). */
#include "testhooks.h"

#ifdef CPERM_TEST_HOOKS
#include <errno.h>
#include <stdlib.h>

static long fail_at;   /* the step that fails; 0 = none */
static long cli_steps; /* the CLI's own steps so far */

void cli_test_hooks_init(void) {
    const char *s = getenv("CLUSTERPERM_TEST_FAIL_WRITE");
    long n;
    if (!s || !*s || cli_parse_long(s, 1, 1000000, &n)) return;
    cperm_fileio_fail_after(n);
    fail_at = n;
    cli_steps = 0;
}

int cli_test_step_fails(void) {
    if (!fail_at) return 0;
    /* the CLI's steps follow the library's (cperm_fileio_steps counts those done so far) */
    if (cperm_fileio_steps() + ++cli_steps != fail_at) return 0;
    errno = EIO;
    return 1;
}
#else
/* ISO C wants a translation unit to declare something. */
typedef int cli_testhooks_none;
#endif
