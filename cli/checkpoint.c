/* checkpoint.c - `onesample --checkpoint FILE` (issue 7): the checkpoint file (inputs hash +
 * the library's run blob + checksum, written atomically), periodic saves from the progress
 * callback, saving and stopping on SIGINT/SIGTERM, and resuming. */
#include "checkpoint.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CKPT_MAGIC "CPRMCLI1"
/* The library's blob is 48 bytes + 8 per permutation done, per removed cluster and per
 * earlier step-down pass; a file larger than this cannot be a checkpoint of any run we can
 * make. */
#define CKPT_MAX_FILE ((size_t)1 << 36)

/* ------------------------------------------------------------- options */

void ckpt_opts_init(ckpt_opts *o) {
    o->path = NULL;
    o->interval = CKPT_DEFAULT_INTERVAL;
}

int ckpt_parse_option(ckpt_opts *o, const char *name, const char *val, int *rc) {
    *rc = 0;
    if (!strcmp(name, "--checkpoint")) {
        if (!*val) {
            cli_error("onesample: --checkpoint needs a file name");
            *rc = -1;
        }
        o->path = val;
        return 1;
    }
    if (!strcmp(name, "--checkpoint-interval")) {
        double d;
        if (cli_parse_double(val, &d) || d < 0 || d > 1e9) {
            cli_error("onesample: --checkpoint-interval '%s' must be a number of seconds >= 0",
                      val);
            *rc = -1;
        } else {
            o->interval = d;
        }
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------- hashing */

static const uint64_t FNV_PRIME = 0x100000001b3ULL;

void ckpt_hash_init(ckpt_hash *h) { h->h = 0xcbf29ce484222325ULL; }

void ckpt_hash_bytes(ckpt_hash *h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h->h = (h->h ^ b[i]) * FNV_PRIME;
}

static void hash_u64(ckpt_hash *h, uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
    ckpt_hash_bytes(h, b, 8);
}

void ckpt_hash_str(ckpt_hash *h, const char *s) {
    if (!s) {
        hash_u64(h, UINT64_MAX);
        return;
    }
    size_t n = strlen(s);
    hash_u64(h, n);
    ckpt_hash_bytes(h, s, n);
}

void ckpt_hash_double(ckpt_hash *h, double v) {
    uint64_t u;
    if (isnan(v)) v = NAN; /* one NaN */
    memcpy(&u, &v, sizeof u);
    hash_u64(h, u);
}

void ckpt_hash_long(ckpt_hash *h, long v) { hash_u64(h, (uint64_t)(int64_t)v); }

void ckpt_hash_file(ckpt_hash *h, const char *path) {
    struct stat st;
    ckpt_hash_str(h, path);
    if (stat(path, &st) != 0) {
        hash_u64(h, 0);
        return;
    }
    hash_u64(h, 1);
    hash_u64(h, (uint64_t)st.st_size);
    hash_u64(h, (uint64_t)st.st_mtim.tv_sec);
    hash_u64(h, (uint64_t)st.st_mtim.tv_nsec);
}

/* ------------------------------------------------------------- file format */

static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint64_t checksum(const unsigned char *p, size_t n) {
    ckpt_hash h;
    ckpt_hash_init(&h);
    ckpt_hash_bytes(&h, p, n);
    return h.h;
}

int ckpt_parse(const unsigned char *data, size_t size, uint64_t inputs_hash,
               const unsigned char **blob, size_t *blob_size, char *msg, size_t msg_cap) {
    *blob = NULL;
    *blob_size = 0;
    if (size < CKPT_OVERHEAD || memcmp(data, CKPT_MAGIC, 8) != 0) {
        snprintf(msg, msg_cap, "not a clusterperm checkpoint (%zu bytes)", size);
        return -1;
    }
    const uint64_t n = get_u64(data + 16);
    if (n != (uint64_t)(size - CKPT_OVERHEAD) ||
        get_u64(data + size - 8) != checksum(data, size - 8)) {
        snprintf(msg, msg_cap, "corrupt checkpoint (%zu bytes; size field or checksum wrong)",
                 size);
        return -1;
    }
    if (get_u64(data + 8) != inputs_hash) {
        snprintf(msg, msg_cap, "it was saved by a run with other inputs or parameters "
                 "(input files, their sizes or times, or test options differ)");
        return -1;
    }
    *blob = data + 24;
    *blob_size = (size_t)n;
    return 0;
}

void ckpt_hash_stem(ckpt_hash *h, const char *stem) {
    static const char *const suffixes[] = {"", "-lh.stc", "-rh.stc", "-stc.h5"};
    size_t n = strlen(stem);
    char *path = malloc(n + 16);
    ckpt_hash_str(h, stem);
    if (!path) {
        ckpt_hash_str(h, NULL);
        return;
    }
    for (size_t k = 0; k < sizeof suffixes / sizeof suffixes[0]; k++) {
        memcpy(path, stem, n);
        strcpy(path + n, suffixes[k]);
        ckpt_hash_file(h, path);
    }
    /* a volume estimate's one file: hashed only where it exists, so that a surface study's
     * hash (and its checkpoints) stay as they were */
    static const char *const vol_suffixes[] = {"-vl.stc", "-vol.stc"};
    for (size_t k = 0; k < 2; k++) {
        memcpy(path, stem, n);
        strcpy(path + n, vol_suffixes[k]);
        if (access(path, F_OK) == 0) ckpt_hash_file(h, path);
    }
    free(path);
}

/* ------------------------------------------------------------- resuming */

void ckpt_init(ckpt_state *st) { memset(st, 0, sizeof *st); }

int ckpt_load(ckpt_state *st, const ckpt_opts *opts, uint64_t inputs_hash) {
    FILE *f;
    struct stat st_;
    char msg[CPERM_ERR_MSG_LEN];

    st->opts = opts;
    st->inputs_hash = inputs_hash;
    if (!opts->path) return 0;
    f = fopen(opts->path, "rb");
    if (!f) {
        if (errno == ENOENT) return 0; /* a fresh run */
        cli_error("--checkpoint %s: cannot open: %s", opts->path, strerror(errno));
        return -1;
    }
    if (fstat(fileno(f), &st_) != 0 || !S_ISREG(st_.st_mode) || st_.st_size < 0 ||
        (uint64_t)st_.st_size > CKPT_MAX_FILE) {
        cli_error("--checkpoint %s: not a regular file of a plausible size", opts->path);
        fclose(f);
        return -1;
    }
    const size_t size = (size_t)st_.st_size;
    st->loaded = malloc(size + 1);
    if (!st->loaded) {
        cli_error("--checkpoint %s: out of memory", opts->path);
        fclose(f);
        return -1;
    }
    const size_t got = fread(st->loaded, 1, size, f);
    fclose(f);
    if (got != size) {
        cli_error("--checkpoint %s: read failed", opts->path);
        return -1;
    }
    if (ckpt_parse(st->loaded, size, inputs_hash, &st->blob, &st->blob_size, msg, sizeof msg)) {
        cli_error("--checkpoint %s: %s; refusing to resume (delete the file to start over)",
                  opts->path, msg);
        return -1;
    }
    return 0;
}

int ckpt_restore(ckpt_state *st, cperm_run *run) {
    cperm_err err = {0};
    if (!st->blob) return 0;
    if (cperm_run_restore(run, st->blob, st->blob_size, &err)) {
        cli_error("--checkpoint %s: %s; refusing to resume (delete the file to start over)",
                  st->opts->path, err.msg);
        return -1;
    }
    fprintf(stderr, CLI_NAME ": resuming from checkpoint %s\n", st->opts->path);
    return 0;
}

/* ------------------------------------------------------------- saving */

static volatile sig_atomic_t got_signal;

/* The first SIGINT/SIGTERM asks the next progress callback to save and stop; a second one
 * kills the process at once (the last periodic checkpoint, written atomically, stays). */
static void on_signal(int sig) {
    if (got_signal) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    got_signal = sig;
}

/* Records a save failure in st->err (as the library's private cperm_fail does for its own
 * errors; the CLI uses the public header only). */
static void save_error(ckpt_state *st, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void save_error(ckpt_state *st, int code, const char *fmt, ...) {
    va_list ap;
    st->err.code = code;
    va_start(ap, fmt);
    vsnprintf(st->err.msg, sizeof st->err.msg, fmt, ap);
    va_end(ap);
}

static int save(ckpt_state *st) {
    size_t need = cperm_run_checkpoint(st->run, NULL, 0);
    if (need == 0) return 0; /* not started: nothing worth saving */
    if (need > SIZE_MAX - CKPT_OVERHEAD) {
        save_error(st, CPERM_ENOMEM, "checkpoint too large");
        return -1;
    }
    if (st->buf_cap < need + CKPT_OVERHEAD) {
        unsigned char *nb = realloc(st->buf, need + CKPT_OVERHEAD);
        if (!nb) {
            save_error(st, CPERM_ENOMEM, "out of memory for a %zu-byte checkpoint", need);
            return -1;
        }
        st->buf = nb;
        st->buf_cap = need + CKPT_OVERHEAD;
    }
    unsigned char *p = st->buf;
    memcpy(p, CKPT_MAGIC, 8);
    put_u64(p + 8, st->inputs_hash);
    put_u64(p + 16, need);
    if (cperm_run_checkpoint(st->run, p + 24, need) != need) {
        save_error(st, CPERM_EINVAL, "the run's state changed size while saving");
        return -1;
    }
    put_u64(p + 24 + need, checksum(p, 24 + need));
    if (cperm_write_file_atomic(st->opts->path, p, need + CKPT_OVERHEAD, &st->err)) return -1;
    st->last_save = cli_now();
    return 0;
}

void ckpt_begin(ckpt_state *st, cperm_run *run, cli_progress *bar) {
    struct sigaction sa;
    if (!st->opts || !st->opts->path) return;
    st->run = run;
    st->bar = bar;
    st->last_save = cli_now();
    got_signal = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    st->handlers = (sigaction(SIGINT, &sa, &st->old_int) == 0 ? 1 : 0) |
                   (sigaction(SIGTERM, &sa, &st->old_term) == 0 ? 2 : 0);
}

int ckpt_progress_cb(void *user, size_t done, size_t total, int pass) {
    ckpt_state *st = user;
    const int sig = got_signal;
    st->done = done;
    st->total = total;
    if (st->bar) cli_progress_cb(st->bar, done, total, pass);
    if (sig || cli_now() - st->last_save >= st->opts->interval) {
        if (save(st)) {
            st->save_failed = 1;
            return 1; /* the user asked for checkpoints: stop rather than run unprotected */
        }
    }
    return sig != 0;
}

/* After a resumed run completed: what the checkpoint carried and what this process computed,
 * both counted by the engine (not read from the file), so that a resume that silently
 * started over would show. Each step-down pass runs every permutation again. */
static void report_resume(const ckpt_state *st) {
    int pass = 0;
    size_t n_h0 = 0;
    const size_t restored = cperm_run_n_restored(st->run, &pass);
    const size_t computed = cperm_run_n_executed(st->run);
    const size_t passes = cperm_run_n_step_downs(st->run);
    cperm_run_h0(st->run, &n_h0);
    const size_t total = n_h0 ? n_h0 - 1 : 0;
    if (passes > 1 || pass > 0)
        fprintf(stderr, CLI_NAME ": resumed from checkpoint %s: %zu of %zu permutations of "
                "step-down pass %d of %zu done, computed %zu in this run\n", st->opts->path,
                restored, total, pass + 1, passes, computed);
    else
        fprintf(stderr, CLI_NAME ": resumed from checkpoint %s: %zu of %zu permutations done, "
                "computed %zu in this run\n", st->opts->path, restored, total, computed);
}

int ckpt_end(ckpt_state *st, int execute_rc) {
    const int sig = got_signal;
    if (!st->opts || !st->opts->path) return 0;
    if (st->handlers & 1) sigaction(SIGINT, &st->old_int, NULL);
    if (st->handlers & 2) sigaction(SIGTERM, &st->old_term, NULL);
    st->handlers = 0;
    if (execute_rc == 0 && st->blob && st->run) report_resume(st);
    if (execute_rc != CPERM_ECANCELLED) return 0;
    if (st->save_failed) {
        cli_error("--checkpoint %s: cannot save progress: %s%s", st->opts->path, st->err.msg,
                  sig ? " (while stopping on a signal)" : "");
        return sig ? sig : -1;
    }
    if (sig) {
        cli_error("interrupted by %s after %zu of %zu permutations; progress saved to %s: run "
                  "the same command again to resume", sig == SIGINT ? "SIGINT" : "SIGTERM",
                  st->done, st->total, st->opts->path);
        return sig;
    }
    return 0;
}

void ckpt_remove(const ckpt_state *st) {
    if (st->opts && st->opts->path && unlink(st->opts->path) != 0 && errno != ENOENT)
        fprintf(stderr, CLI_NAME ": warning: --checkpoint %s: cannot remove it after the "
                "successful run: %s\n", st->opts->path, strerror(errno));
}

void ckpt_free(ckpt_state *st) {
    free(st->loaded);
    free(st->buf);
    st->loaded = st->buf = NULL;
    st->blob = NULL;
}
