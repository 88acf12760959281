/* util.c - the CLI's small helpers: error printing, strict number parsing, string lists,
 * the simulation RNG and a monotonic clock. */
#include "cli.h"
#include "mpi.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* This thread's held error (cli_error_hold): the first message, kept instead of printed. */
static _Thread_local char *held_error;
static _Thread_local size_t held_cap;

void cli_error_hold(char *buf, size_t cap) {
    held_error = cap ? buf : NULL;
    held_cap = cap;
    if (held_error) held_error[0] = '\0';
}

void cli_error(const char *fmt, ...) {
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (held_error) { /* a worker thread: its caller says it, in input order */
        if (!held_error[0]) snprintf(held_error, held_cap, "%s", msg);
        return;
    }
    if (cli_mpi_hold_error(msg)) return; /* clusterperm-mpi: said once, by one rank */
    fprintf(stderr, CLI_NAME ": error: %s%s\n", cli_mpi_error_prefix(), msg);
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


int cli_check_file_dir(const char *file, const char *opt) {
    const char *slash = strrchr(file, '/');
    char dir[4096];
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == file) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - file), file);
    struct stat st;
    if (stat(dir, &st) != 0) {
        cli_error("%s %s: directory %s does not exist", opt, file, dir);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        cli_error("%s %s: %s is not a directory", opt, file, dir);
        return -1;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        cli_error("%s %s: directory %s is not writable: %s", opt, file, dir, strerror(errno));
        return -1;
    }
    return 0;
}
