/* unit_rng.c - numpy's legacy MT19937 stream and MNE's sign-flip orders against published
 * constants and hand-computed cases. */
#include "clusterperm.h"
#include "orders_internal.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void test_mt19937(void) {
    cperm_mt19937 s;
    uint32_t first, v = 0;
    /* C++11 [rand.predef]: std::mt19937 with the default seed 5489 */
    cperm_mt_seed(&s, 5489U);
    first = cperm_mt_next_u32(&s);
    CHECK("mt19937 seed 5489 first output", first == 3499211612U, "got %u", first);
    for (int i = 2; i <= 10000; i++) v = cperm_mt_next_u32(&s);
    CHECK("mt19937 seed 5489 10000th output", v == 4123659995U, "got %u", v);

    /* numpy: RandomState(0).random_sample() and RandomState(42).random_sample() */
    cperm_mt_seed(&s, 0U);
    CHECK_CLOSE("RandomState(0) first double", cperm_mt_next_double(&s), 0.5488135039273248, 0.0);
    CHECK_CLOSE("RandomState(0) second double", cperm_mt_next_double(&s), 0.7151893663724195, 0.0);
    cperm_mt_seed(&s, 42U);
    CHECK_CLOSE("RandomState(42) first double", cperm_mt_next_double(&s), 0.3745401188473625, 0.0);

    /* seeding keeps the key exactly as numpy's get_state()[1] starts: mt[0] = seed */
    cperm_mt_seed(&s, 0xffffffffU);
    CHECK("seed 2^32-1 key[0]", s.mt[0] == 0xffffffffU && s.pos == CPERM_MT_N, "key %u pos %d",
          s.mt[0], s.pos);
    CHECK("seed 2^32-1 key[1]",
          s.mt[1] == (uint32_t)(1812433253U * (0xffffffffU ^ (0xffffffffU >> 30)) + 1U),
          "key %u", s.mt[1]);
}

static void test_random_interval(void) {
    cperm_mt19937 a, b;
    uint64_t r;
    uint32_t u, want;
    int ok = 1;

    cperm_mt_seed(&a, 7U);
    b = a;
    r = cperm_mt_random_interval(&a, 0);
    CHECK("random_interval(0) is 0", r == 0, "got %llu", (unsigned long long)r);
    CHECK("random_interval(0) draws nothing",
          cperm_mt_next_u32(&a) == cperm_mt_next_u32(&b), "stream moved");

    /* max = 2^32-1: mask is all ones, never rejects, returns the raw output */
    cperm_mt_seed(&a, 11U);
    b = a;
    r = cperm_mt_random_interval(&a, 0xffffffffULL);
    u = cperm_mt_next_u32(&b);
    CHECK("random_interval(2^32-1) is one raw draw", r == u, "got %llu want %u",
          (unsigned long long)r, u);

    /* max = 5: mask 7, reject values 6 and 7 (replayed by hand on a copy of the stream) */
    cperm_mt_seed(&a, 3U);
    b = a;
    for (int i = 0; i < 1000 && ok; i++) {
        r = cperm_mt_random_interval(&a, 5);
        do want = cperm_mt_next_u32(&b) & 7U; while (want > 5U);
        ok = r == want;
    }
    CHECK("random_interval(5) = masked rejection", ok, "diverged");

    /* max = 2^32: 64-bit draws, high word first, mask 2^33-1 */
    cperm_mt_seed(&a, 5U);
    b = a;
    r = cperm_mt_random_interval(&a, 0x100000000ULL);
    for (;;) {
        uint64_t hi = cperm_mt_next_u32(&b), w = ((hi << 32) | cperm_mt_next_u32(&b)) & 0x1ffffffffULL;
        if (w <= 0x100000000ULL) {
            CHECK("random_interval(2^32) uses 64-bit draws", r == w, "got %llu want %llu",
                  (unsigned long long)r, (unsigned long long)w);
            break;
        }
    }
}

static void test_permutation(void) {
    static const uint32_t want[10] = {2, 8, 4, 9, 1, 6, 7, 3, 0, 5};
    uint32_t p[10], one = 77, sel[3];
    cperm_mt19937 a, b;
    cperm_err err = {0, ""};
    int rc;

    /* np.random.RandomState(0).permutation(10) */
    cperm_mt_seed(&a, 0U);
    cperm_mt_permutation_u32(&a, p, 10);
    CHECK("RandomState(0).permutation(10)", memcmp(p, want, sizeof want) == 0,
          "got %u %u %u %u %u ...", p[0], p[1], p[2], p[3], p[4]);

    /* shuffling 0 or 1 elements draws nothing */
    cperm_mt_seed(&a, 1U);
    b = a;
    cperm_mt_shuffle_u32(&a, &one, 1);
    cperm_mt_shuffle_u32(&a, NULL, 0);
    CHECK("shuffle of 1 element draws nothing",
          one == 77 && cperm_mt_next_u32(&a) == cperm_mt_next_u32(&b), "stream moved");

    /* choice(10, 3, replace=False) = permutation(10)[:3] */
    cperm_mt_seed(&a, 0U);
    rc = cperm_mt_choice_noreplace(&a, sel, 10, 3, &err);
    CHECK("choice(10, 3) = permutation(10)[:3]", rc == 0 && sel[0] == 2 && sel[1] == 8 && sel[2] == 4,
          "rc %d got %u %u %u", rc, sel[0], sel[1], sel[2]);
    rc = cperm_mt_choice_noreplace(&a, sel, 2, 3, &err);
    CHECK("choice(2, 3, replace=False) refused", rc == CPERM_EINVAL && strstr(err.msg, "rng:"),
          "rc %d msg '%s'", rc, err.msg);
}

/* Orders as 0/1 strings joined by ',' for compact comparisons. */
static int orders_are(const uint8_t *o, size_t k, size_t n, const char *want) {
    size_t len = strlen(want);
    if (len + 1 != k * (n + 1) && !(k == 0 && len == 0)) return 0;
    for (size_t r = 0; r < k; r++)
        for (size_t j = 0; j < n; j++)
            if (want[r * (n + 1) + j] != (char)('0' + o[r * n + j])) return 0;
    return 1;
}

static void test_orders_exact(void) {
    uint8_t *o = NULL;
    size_t k = 0;
    int exact = -1, rc;
    cperm_err err = {0, ""};

    /* n=3 tail 0: max_perms = 2^2-1 = 3 < 10, rows 1..3 of bin_perm_rep(3) */
    rc = cperm_orders_1samp(&o, &k, &exact, 3, 10, 0, 0U, &err);
    CHECK("exact n=3 tail 0", rc == 0 && exact == 1 && k == 3 && orders_are(o, k, 3, "001,010,011"),
          "rc %d exact %d k %zu", rc, exact, k);
    free(o);
    o = NULL;
    /* n=2 tail 1: max_perms = 3 < 4: rows 1..3, the identity 11 included */
    rc = cperm_orders_1samp(&o, &k, &exact, 2, 4, 1, 0U, &err);
    CHECK("exact n=2 tail 1", rc == 0 && exact == 1 && k == 3 && orders_are(o, k, 2, "01,10,11"),
          "rc %d exact %d k %zu", rc, exact, k);
    free(o);
    o = NULL;
    /* n=2 tail -1 n_perm=3: 3 < 3 is false, so the random branch with 2 draws out of 3 */
    rc = cperm_orders_1samp(&o, &k, &exact, 2, 3, -1, 0U, &err);
    CHECK("n_perm == max_perms is not exact", rc == 0 && exact == 0 && k == 2,
          "rc %d exact %d k %zu", rc, exact, k);
    free(o);
    o = NULL;
    /* n=2 tail 0, 'all': max_perms = 1, draw 0 of 1 */
    rc = cperm_orders_1samp(&o, &k, &exact, 2, CPERM_PERMUTATIONS_ALL, 0, 0U, &err);
    CHECK("'all' n=2 tail 0 gives no orders", rc == 0 && exact == 0 && k == 0,
          "rc %d exact %d k %zu", rc, exact, k);
    free(o);
    o = NULL;
    /* 'all' with n=2 tail 1: choice(3, 2) = permutation(3)[:2], rows binary_repr(s + 1, 2) */
    {
        cperm_mt19937 s;
        uint32_t p[3];
        char want[8];
        cperm_mt_seed(&s, 42U);
        cperm_mt_permutation_u32(&s, p, 3);
        snprintf(want, sizeof want, "%u%u,%u%u", ((p[0] + 1) >> 1) & 1, (p[0] + 1) & 1,
                 ((p[1] + 1) >> 1) & 1, (p[1] + 1) & 1);
        rc = cperm_orders_1samp(&o, &k, &exact, 2, CPERM_PERMUTATIONS_ALL, 1, 42U, &err);
        CHECK("'all' n=2 tail 1 = binary_repr(permutation(3)[:2] + 1)",
              rc == 0 && exact == 0 && k == 2 && orders_are(o, k, 2, want), "rc %d k %zu want %s",
              rc, k, want);
        free(o);
        o = NULL;
    }
}

static void test_orders_random(void) {
    uint8_t *o = NULL;
    size_t k = 0, n = 40;
    int exact = -1, rc, distinct = 1, flips_ok = 1;
    cperm_err err = {0, ""};
    double t0, dt;

    /* n > 20, tail 0: distinct pre-flip tuples; a flipped row has its last entry 1 */
    rc = cperm_orders_1samp(&o, &k, &exact, n, 500, 0, 3U, &err);
    CHECK("n=40 tail 0 draws 499 orders", rc == 0 && exact == 0 && k == 499, "rc %d k %zu", rc, k);
    if (rc == 0) {
        uint8_t *pre = malloc(k * n);
        for (size_t r = 0; pre && r < k; r++)
            for (size_t j = 0; j < n; j++)
                pre[r * n + j] = o[r * n + n - 1] ? (uint8_t)(1 - o[r * n + j]) : o[r * n + j];
        for (size_t r = 0; pre && r < k && distinct; r++) {
            flips_ok &= pre[r * n + n - 1] == 0;
            for (size_t s = 0; s < r && distinct; s++)
                distinct = memcmp(pre + r * n, pre + s * n, n - 1) != 0;
        }
        CHECK("n=40 tail 0 pre-flip sign tuples are distinct", pre && distinct && flips_ok,
              "distinct %d flips_ok %d", distinct, flips_ok);
        free(pre);
    }
    free(o);
    o = NULL;

    /* n=20 tail 1: choice over 2^20 - 1 patterns shuffles the whole population */
    t0 = now_s();
    rc = cperm_orders_1samp(&o, &k, &exact, 20, 1024, 1, 0U, &err);
    dt = now_s() - t0;
    CHECK("n=20 tail 1 1024 permutations", rc == 0 && exact == 0 && k == 1023, "rc %d k %zu", rc, k);
    CHECK("n=20 tail 1 population shuffle is fast", dt < 0.5, "took %.3f s", dt);
    free(o);
    o = NULL;
}

static void test_orders_errors(void) {
    uint8_t *o = (uint8_t *)"untouched";
    size_t k = 12345;
    int exact = 7, rc;
    cperm_err err = {0, ""};

    rc = cperm_orders_1samp(&o, &k, &exact, 1, 100, 0, 0U, &err);
    CHECK("one subject refused", rc == CPERM_EINVAL && strstr(err.msg, "at least 2"), "rc %d '%s'",
          rc, err.msg);
    rc = cperm_orders_1samp(&o, &k, &exact, 10, 100, 2, 0U, &err);
    CHECK("tail 2 refused", rc == CPERM_EINVAL && strstr(err.msg, "tail"), "rc %d '%s'", rc, err.msg);
    rc = cperm_orders_1samp(&o, &k, &exact, 10, 0, 1, 0U, &err);
    CHECK("0 permutations refused", rc == CPERM_EINVAL, "rc %d", rc);
    rc = cperm_orders_1samp(&o, &k, &exact, 10, -5, 1, 0U, &err);
    CHECK("negative permutations refused", rc == CPERM_EINVAL, "rc %d", rc);
    rc = cperm_orders_1samp(&o, &k, &exact, 30, CPERM_ORDERS_MAX_PERMUTATIONS + 1, 1, 0U, &err);
    CHECK("too many permutations refused", rc == CPERM_EINVAL && strstr(err.msg, "n_permutations"),
          "rc %d '%s'", rc, err.msg);
    rc = cperm_orders_1samp(&o, &k, &exact, 40, CPERM_PERMUTATIONS_ALL, 0, 0U, &err);
    CHECK("'all' with 2^39 patterns refused", rc == CPERM_EINVAL && strstr(err.msg, "'all'"),
          "rc %d '%s'", rc, err.msg);
    rc = cperm_orders_1samp(&o, &k, NULL, 10, 100, 1, 0U, &err);
    CHECK("NULL output refused", rc == CPERM_EINVAL, "rc %d", rc);
    CHECK("outputs untouched on failure", k == 12345 && exact == 7 && strcmp((char *)o, "untouched") == 0,
          "k %zu exact %d", k, exact);
    o = NULL;
    /* a few hundred subjects work (no 64-bit assumption in the random branch) */
    rc = cperm_orders_1samp(&o, &k, &exact, 300, 50, 0, 9U, &err);
    CHECK("300 subjects", rc == 0 && k == 49 && exact == 0, "rc %d k %zu '%s'", rc, k, err.msg);
    free(o);
}

int main(void) {
    test_mt19937();
    test_random_interval();
    test_permutation();
    test_orders_exact();
    test_orders_random();
    test_orders_errors();
    TU_EXIT();
}
