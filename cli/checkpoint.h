/* checkpoint.h - `onesample --checkpoint FILE`: resumable permutation runs (issue 7). */
#ifndef CPERM_CLI_CHECKPOINT_H
#define CPERM_CLI_CHECKPOINT_H

#include "cli.h"

#include <signal.h>

/* Options; path NULL = no checkpointing. */
typedef struct ckpt_opts {
    const char *path;
    double interval; /* seconds between periodic saves; 0 = after every chunk */
} ckpt_opts;
#define CKPT_DEFAULT_INTERVAL 30.0

void ckpt_opts_init(ckpt_opts *o);
/* Handles --checkpoint / --checkpoint-interval: 1 if `name` is one of them (then *rc is 0,
 * or -1 after printing an error for a bad value), 0 if it is not. */
int ckpt_parse_option(ckpt_opts *o, const char *name, const char *val, int *rc);

/* 64-bit FNV-1a style hash of the command's inputs and parameters. */
typedef struct ckpt_hash {
    uint64_t h;
} ckpt_hash;
void ckpt_hash_init(ckpt_hash *h);
void ckpt_hash_bytes(ckpt_hash *h, const void *p, size_t n);
void ckpt_hash_str(ckpt_hash *h, const char *s); /* NULL and "" differ */
void ckpt_hash_double(ckpt_hash *h, double v);
void ckpt_hash_long(ckpt_hash *h, long v);
/* The path, and whether it exists, its size and modification time (ns). */
void ckpt_hash_file(ckpt_hash *h, const char *path);

/* The checkpoint file: "CPRMCLI1", u64 inputs hash, u64 blob size, the library's blob
 * (cperm_run_checkpoint), u64 checksum of everything before it; little-endian. */
#define CKPT_OVERHEAD 32
/* Checks a checkpoint file's bytes; on success *blob and *blob_size point into data. Returns 0,
 * or -1 with a message in msg ("not a clusterperm checkpoint", "corrupt", "made for other
 * inputs or parameters"). */
int ckpt_parse(const unsigned char *data, size_t size, uint64_t inputs_hash,
               const unsigned char **blob, size_t *blob_size, char *msg, size_t msg_cap);

/* Hashes a subject's stem: the stem and the files a reader may take it from (STEM,
 * STEM-lh.stc, STEM-rh.stc, STEM-stc.h5) with ckpt_hash_file. */
void ckpt_hash_stem(ckpt_hash *h, const char *stem);

/* One checkpointed run. */
typedef struct ckpt_state {
    const ckpt_opts *opts;
    uint64_t inputs_hash;
    unsigned char *loaded;  /* the checkpoint file read by ckpt_load, or NULL */
    const unsigned char *blob;
    size_t blob_size;
    cperm_run *run;
    cli_progress *bar;      /* or NULL: no progress bar */
    double last_save;
    size_t done, total;     /* last progress seen */
    int save_failed;
    cperm_err err;          /* why a save failed */
    unsigned char *buf;
    size_t buf_cap;
    struct sigaction old_int, old_term;
    int handlers;
} ckpt_state;

void ckpt_init(ckpt_state *st);
/* If opts->path names an existing file, reads and checks it (magic, checksum, inputs hash).
 * Returns 0 (no file, or a valid one kept for ckpt_restore), or -1 after printing why the
 * checkpoint is refused. Does nothing without --checkpoint. */
int ckpt_load(ckpt_state *st, const ckpt_opts *opts, uint64_t inputs_hash);
/* Restores `run` from the loaded checkpoint, if any ("resuming ..." on stderr). 0 or -1. */
int ckpt_restore(ckpt_state *st, cperm_run *run);
/* Before execute: periodic saving through ckpt_progress_cb (with user = st; it draws `bar`
 * too, if not NULL) and SIGINT/SIGTERM handlers that make the next callback save and stop. */
void ckpt_begin(ckpt_state *st, cperm_run *run, cli_progress *bar);
int ckpt_progress_cb(void *user, size_t done, size_t total, int pass);
/* After execute: restores the signal handlers. If the run was cancelled by us, prints why
 * and returns the signal that stopped it, or -1 if a save failed; otherwise returns 0. */
int ckpt_end(ckpt_state *st, int execute_rc);
/* Deletes the checkpoint file (after a successful run). */
void ckpt_remove(const ckpt_state *st);
void ckpt_free(ckpt_state *st);

#endif
