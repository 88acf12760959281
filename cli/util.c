/* util.c - the CLI's small helpers: error printing, strict number parsing, string lists,
 * the simulation RNG and the terminal progress bar. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void cli_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs(CLI_NAME ": error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_parse_double(const char *s, double *out) {
    char *end = NULL;
    if (!s || !*s) return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int cli_parse_long(const char *s, long lo, long hi, long *out) {
    char *end = NULL;
    if (!s || !*s) return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int cli_strlist_push(cli_strlist *l, const char *s) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **items = realloc(l->items, cap * sizeof *items);
        if (!items) return -1;
        l->items = items;
        l->cap = cap;
    }
    char *copy = strdup(s);
    if (!copy) return -1;
    l->items[l->n++] = copy;
    return 0;
}

void cli_strlist_free(cli_strlist *l) {
    for (size_t i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void cli_rng_seed(cli_rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    r->has_spare = 0;
    r->spare = 0.0;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t cli_rng_next(cli_rng *r) {
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double cli_rng_uniform(cli_rng *r) { return (double)(cli_rng_next(r) >> 11) * 0x1.0p-53; }

double cli_rng_normal(cli_rng *r) {
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1, u2;
    do u1 = cli_rng_uniform(r); while (u1 <= 0.0);
    u2 = cli_rng_uniform(r);
    const double rad = sqrt(-2.0 * log(u1)), ang = 6.283185307179586 * u2;
    r->spare = rad * sin(ang);
    r->has_spare = 1;
    return rad * cos(ang);
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_init(cli_progress *p, const char *label) {
    p->start = 0.0;
    p->pass = -1;
    p->last_draw = 0.0;
    p->label = label;
}

static void fmt_secs(char *buf, size_t n, double s) {
    if (!(s >= 0) || s > 359999) {
        snprintf(buf, n, "?");
        return;
    }
    unsigned t = (unsigned)(s + 0.5) % 360000u;
    if (t >= 3600) snprintf(buf, n, "%u:%02u:%02u", t / 3600, (t / 60) % 60, t % 60);
    else snprintf(buf, n, "%02u:%02u", t / 60, t % 60);
}

/* Redraws at most 10 times a second, and always at 0 and at completion. */
int cli_progress_cb(void *user, size_t done, size_t total, int pass) {
    cli_progress *p = user;
    double now = cli_now();
    if (pass != p->pass) {
        if (p->pass >= 0) fputc('\n', stderr);
        p->pass = pass;
        p->start = now;
        p->last_draw = 0.0;
    }
    if (done != 0 && done != total && now - p->last_draw < 0.1) return 0;
    p->last_draw = now;
    const double frac = total ? (double)done / (double)total : 1.0;
    const double elapsed = now - p->start;
    const double remaining = done ? elapsed * (double)(total - done) / (double)done : -1.0;
    char bar[26], el[32], rem[32];
    const size_t width = sizeof bar - 1, filled = (size_t)(frac * (double)width);
    for (size_t i = 0; i < width; i++) bar[i] = i < filled ? '#' : ' ';
    bar[width] = '\0';
    fmt_secs(el, sizeof el, elapsed);
    fmt_secs(rem, sizeof rem, remaining);
    fprintf(stderr, "\r%3.0f%%|%s| %s : %zu/%zu [%s<%s]", 100.0 * frac, bar, p->label, done,
            total, el, rem);
    if (pass > 0) fprintf(stderr, " (step-down pass %d)", pass + 1);
    fflush(stderr);
    return 0;
}

void cli_progress_finish(cli_progress *p) {
    if (p->pass >= 0) fputc('\n', stderr);
    p->pass = -1;
}
