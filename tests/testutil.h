/* testutil.h - a minimal test harness: CHECK macros that print "ok NAME" / "FAIL NAME: why"
 * lines which tests/run_all.sh counts into the closing "N passed, N failed" line. */
#ifndef CPERM_TESTUTIL_H
#define CPERM_TESTUTIL_H
#include <math.h>
#include <stdio.h>

static int tu_failed;

#define TU_OK(name) printf("ok %s\n", (name))
#define TU_FAIL(name, ...)                                         \
    do {                                                           \
        printf("FAIL %s: ", (name));                               \
        printf(__VA_ARGS__);                                       \
        printf(" (%s:%d)\n", __FILE__, __LINE__);                  \
        tu_failed++;                                               \
    } while (0)
/* One named assertion: prints exactly one ok/FAIL line. */
#define CHECK(name, cond, ...)                                     \
    do {                                                           \
        if (cond) TU_OK(name); else TU_FAIL(name, __VA_ARGS__);    \
    } while (0)
#define CHECK_CLOSE(name, got, want, rtol)                                              \
    do {                                                                                \
        double g_ = (got), w_ = (want);                                                 \
        CHECK(name, fabs(g_ - w_) <= (rtol) * fmax(1.0, fabs(w_)), "got %.17g want %.17g", g_, w_); \
    } while (0)
#define TU_EXIT() return tu_failed ? 1 : 0
#endif
