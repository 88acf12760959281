/* cli.h - declarations shared by the clusterperm command-line program's files. */
#ifndef CPERM_CLI_H
#define CPERM_CLI_H

#include "clusterperm.h"

#include <stddef.h>
#include <stdint.h>

#define CLI_NAME "clusterperm"

/* Exit statuses: 0 success, 1 runtime error (bad input file, I/O), 2 usage error. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_ERROR = 1, CLI_EXIT_USAGE = 2 };

/* Subcommands; argv[0] is the subcommand name. Return an exit status. */
int cli_onesample(int argc, char **argv);
int cli_independent(int argc, char **argv);
int cli_rmanova(int argc, char **argv);
int cli_simulate(int argc, char **argv);
int cli_plot(int argc, char **argv);

/* Print "clusterperm: error: <msg>" on stderr. */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* From this thread on, cli_error keeps its first message in buf (cap bytes, emptied now)
 * instead of printing it, so that threads reading inputs in parallel can report the first
 * bad input in input order; cli_error_hold(NULL, 0) prints again. */
void cli_error_hold(char *buf, size_t cap);

/* Strict number parsing: the whole string must be a finite number / integer in range. */
int cli_parse_double(const char *s, double *out);
int cli_parse_long(const char *s, long lo, long hi, long *out);

/* Fails, printing "<opt> FILE: ...", unless the directory FILE would be created in exists
 * and is writable: checked before a long run, not when the first write is due. */
int cli_check_file_dir(const char *file, const char *opt);

/* A growable list of owned strings. */
typedef struct cli_strlist {
    char **items;
    size_t n, cap;
} cli_strlist;
int cli_strlist_push(cli_strlist *l, const char *s);
void cli_strlist_free(cli_strlist *l);

/* A small deterministic generator (xoshiro256** seeded by splitmix64) for `simulate`. */
typedef struct cli_rng {
    uint64_t s[4];
    int has_spare;
    double spare;
} cli_rng;
void cli_rng_seed(cli_rng *r, uint64_t seed);
uint64_t cli_rng_next(cli_rng *r);
double cli_rng_uniform(cli_rng *r);  /* [0, 1), 53 bits */
double cli_rng_normal(cli_rng *r);   /* standard normal, Box-Muller */

/* Permutation progress on stderr (cli/progress.c), a cperm_progress_fn: a redrawn bar on a
 * terminal, a line per tenth of a pass (or every 30 s) otherwise, nothing when quiet. */
enum { CLI_PROGRESS_QUIET = 0, CLI_PROGRESS_BAR = 1, CLI_PROGRESS_LINES = 2 };
typedef struct cli_progress {
    double start;        /* monotonic seconds at the first call of this pass */
    int pass;            /* pass being shown, -1 before the first call */
    double last_draw;    /* monotonic seconds of the last output */
    unsigned last_tenth; /* lines mode: tenths of the pass already reported */
    int mode;            /* CLI_PROGRESS_* */
    const char *label;
} cli_progress;
void cli_progress_init(cli_progress *p, const char *label, int quiet);
int cli_progress_cb(void *user, size_t done, size_t total, int pass);
void cli_progress_start(cli_progress *p); /* the first pass's clock starts now */
void cli_progress_finish(cli_progress *p);

double cli_now(void);

/* The rows of an estimate: its vertices over every block (lh + rh, a volume's, or a mixed
 * estimate's lh + rh + volume). */
static inline size_t cli_stc_rows(const cperm_stc *s) {
    size_t n = 0;
    for (size_t h = 0; h < s->n_hemis; h++) n += s->n_vertices[h];
    return n;
}

#endif
