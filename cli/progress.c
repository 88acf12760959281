/* progress.c - the permutation progress shown on stderr: a redrawn tqdm-like bar on a
 * terminal, occasional plain lines when stderr is a file (batch jobs), nothing with --quiet. */
#include "cli.h"

#include <stdio.h>
#include <unistd.h>

/* A batch log gets a line when another tenth of the pass is done or this long has passed. */
#define LINE_EVERY_S 30.0

void cli_progress_init(cli_progress *p, const char *label, int quiet) {
    p->start = cli_now(); /* reset by cli_progress_start */
    p->pass = -1;
    p->last_draw = 0.0;
    p->last_tenth = 0;
    p->label = label;
    p->mode = quiet ? CLI_PROGRESS_QUIET
                    : isatty(STDERR_FILENO) ? CLI_PROGRESS_BAR : CLI_PROGRESS_LINES;
}

static void fmt_clock(char *buf, size_t n, double s) {
    if (!(s >= 0) || s > 359999) {
        snprintf(buf, n, "?");
        return;
    }
    unsigned t = (unsigned)(s + 0.5) % 360000u;
    if (t >= 3600) snprintf(buf, n, "%u:%02u:%02u", t / 3600, (t / 60) % 60, t % 60);
    else snprintf(buf, n, "%02u:%02u", t / 60, t % 60);
}

static void draw_bar(const cli_progress *p, size_t done, size_t total, int pass, double now) {
    const double frac = total ? (double)done / (double)total : 1.0;
    const double elapsed = now - p->start;
    const double remaining = done ? elapsed * (double)(total - done) / (double)done : -1.0;
    char bar[26], el[32], rem[32];
    const size_t width = sizeof bar - 1, filled = (size_t)(frac * (double)width);
    for (size_t i = 0; i < width; i++) bar[i] = i < filled ? '#' : ' ';
    bar[width] = '\0';
    fmt_clock(el, sizeof el, elapsed);
    fmt_clock(rem, sizeof rem, remaining);
    fprintf(stderr, "\r%3.0f%%|%s| %s : %zu/%zu [%s<%s]", 100.0 * frac, bar, p->label, done,
            total, el, rem);
    if (pass > 0) fprintf(stderr, " (step-down pass %d)", pass + 1);
    fflush(stderr);
}

/* "Permuting: 40% (409/1023), 2.1 s left": one line, so that `tail -f` of a job log shows it. */
static void print_line(const cli_progress *p, size_t done, size_t total, int pass, double now) {
    const double elapsed = now - p->start;
    fprintf(stderr, "%s: %.0f%% (%zu/%zu)", p->label,
            total ? 100.0 * (double)done / (double)total : 100.0, done, total);
    if (done > 0 && done < total)
        fprintf(stderr, ", %.1f s left", elapsed * (double)(total - done) / (double)done);
    else if (done == total)
        fprintf(stderr, ", %.1f s", elapsed);
    if (pass > 0) fprintf(stderr, " (step-down pass %d)", pass + 1);
    fputc('\n', stderr);
    fflush(stderr);
}

int cli_progress_cb(void *user, size_t done, size_t total, int pass) {
    cli_progress *p = user;
    if (p->mode == CLI_PROGRESS_QUIET) return 0;
    double now = cli_now();
    if (pass != p->pass) {
        if (p->pass >= 0 && p->mode == CLI_PROGRESS_BAR) fputc('\n', stderr);
        /* The first pass runs from cli_progress_start (its first call may come only after a
         * chunk of permutations), step-down passes from their first call. */
        if (p->pass >= 0) p->start = now;
        p->pass = pass;
        p->last_draw = now;
        p->last_tenth = 0;
        if (p->mode == CLI_PROGRESS_BAR) draw_bar(p, done, total, pass, now);
        return 0;
    }
    if (p->mode == CLI_PROGRESS_BAR) {
        /* Redraws at most 10 times a second, and always at completion. */
        if (done != total && now - p->last_draw < 0.1) return 0;
        p->last_draw = now;
        draw_bar(p, done, total, pass, now);
        return 0;
    }
    /* A run that ends within a second gets no line: nobody waits for it. */
    const unsigned tenth = total ? (unsigned)(10 * done / total) : 10;
    if (now - p->start >= 1.0 && (tenth > p->last_tenth || now - p->last_draw >= LINE_EVERY_S)) {
        p->last_tenth = tenth;
        p->last_draw = now;
        print_line(p, done, total, pass, now);
    }
    return 0;
}

void cli_progress_start(cli_progress *p) { p->start = cli_now(); }

void cli_progress_finish(cli_progress *p) {
    if (p->pass >= 0 && p->mode == CLI_PROGRESS_BAR) fputc('\n', stderr);
    p->pass = -1;
}
