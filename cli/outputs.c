/* outputs.c - onesample's output directory and its one transaction (the output set): the
 * files of a run gathered in memory, written into a staging directory inside DIR at the
 * commit and moved into place together, with every replaced or removed file kept until the
 * last step succeeded so that a failure can put DIR back as it was. */
#include "outputs.h"
#include "testhooks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------- the output directory */

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int outputs_check_dir(const char *dir) {
    char *path = strdup(dir);
    int rc = -1;
    if (!path) {
        cli_error("out of memory");
        return -1;
    }
    /* Walk up to the first existing ancestor: it must be a writable directory. */
    for (;;) {
        struct stat st;
        if (stat(path, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                cli_error("--out %s: %s is not a directory", dir, path);
            } else if (access(path, W_OK | X_OK) != 0) {
                cli_error("--out %s: directory %s is not writable", dir, path);
            } else {
                rc = 0;
            }
            break;
        }
        char *slash = strrchr(path, '/');
        while (slash && slash > path && slash[1] == '\0') { /* trailing slashes */
            *slash = '\0';
            slash = strrchr(path, '/');
        }
        if (!slash) {
            if (access(".", W_OK | X_OK) != 0) cli_error("--out %s: . is not writable", dir);
            else rc = 0;
            break;
        }
        if (slash == path) slash[1] = '\0';
        else *slash = '\0';
    }
    free(path);
    return rc;
}

/* mkdir -p; records created directories (deepest last) so that they can be removed. */
static int make_dirs(const char *dir, cli_strlist *created) {
    char *path = strdup(dir);
    if (!path) {
        cli_error("out of memory");
        return -1;
    }
    size_t n = strlen(path);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0') continue;
        char saved = path[i];
        path[i] = '\0';
        if (!is_dir(path)) {
            if (mkdir(path, 0777) != 0 && errno != EEXIST) {
                cli_error("--out: cannot create directory %s: %s", path, strerror(errno));
                free(path);
                return -1;
            }
            if (cli_strlist_push(created, path)) {
                cli_error("out of memory");
                free(path);
                return -1;
            }
        }
        path[i] = saved;
    }
    free(path);
    return 0;
}

static char *join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Best effort: make the renames durable (the files themselves were fsynced when staged). */
static void fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* ------------------------------------------------------------- the output set */

/* E_STC writes its stem's lh and rh files; E_VOL a volume estimate's one -vl.stc file */
enum { E_BYTES, E_STC, E_STC_RH, E_VOL, E_STALE };
enum { KEPT_NONE = 0, KEPT_LINK = 1, KEPT_MOVED = 2 };

typedef struct entry {
    int kind;               /* E_* */
    char *name;
    char *target;           /* DIR/name */
    unsigned char *data;    /* E_BYTES: a copy, freed once staged */
    size_t len;
    char *stem;             /* E_STC: the stem of the pair */
    cperm_stc *stc;         /* E_STC, E_VOL: owned, or NULL for a map of the run: */
    const double *map;      /*   n_times x n_vertices, the caller's */
    const cperm_stc *layout;
    const cperm_stc *mixed; /* E_VOL of a mixed estimate added with outset_add_stc: the
                               estimate, which its pair's entry owns */
    char *staged;           /* STAGE/name (set by the commit) */
    char *kept;             /* STAGE/.kept.name: the file DIR held before the commit */
    int present;            /* the staged file may exist */
    int kept_how;           /* KEPT_*: how the commit kept the previous DIR/name */
    int done;               /* the commit put the new file in place (or removed the stale one) */
} entry;

struct outset {
    char *dir, *stage;
    cli_strlist created; /* directories the commit made for dir, deepest last */
    entry *e;
    size_t n, cap;
    int failed;          /* a step failed: only outset_free is left */
    int committed;
};

int outset_create(outset **out, const char *dir) {
    outset *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s || !(s->dir = strdup(dir))) {
        free(s);
        cli_error("out of memory");
        return -1;
    }
    *out = s;
    return 0;
}

/* A new entry for `name`; NULL after printing why. */
static entry *new_entry(outset *s, const char *name, int kind) {
    if (s->failed || s->committed) {
        cli_error("internal: output set used after %s", s->failed ? "a failure" : "its commit");
        return NULL;
    }
    if (!*name || strchr(name, '/') || name[0] == '.') {
        cli_error("internal: '%s' is not an output file name", name);
        s->failed = 1;
        return NULL;
    }
    if (outset_has(s, name)) {
        cli_error("internal: output %s given twice", name);
        s->failed = 1;
        return NULL;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        entry *e = realloc(s->e, cap * sizeof *e);
        if (!e) goto oom;
        s->e = e;
        s->cap = cap;
    }
    entry *e = &s->e[s->n];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->name = strdup(name);
    e->target = join(s->dir, name);
    s->n++; /* from here on freed with the set */
    if (!e->name || !e->target) goto oom;
    return e;
oom:
    cli_error("out of memory");
    s->failed = 1;
    return NULL;
}

int outset_take(outset *s, const char *name, void *buffer, size_t len) {
    entry *e = buffer ? new_entry(s, name, E_BYTES) : NULL;
    if (!e) {
        free(buffer);
        return -1;
    }
    e->data = buffer;
    e->len = len;
    return 0;
}

int outset_add_json(outset *s, const char *name, const json_t *root) {
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    if (!text) {
        cli_error("out of memory while formatting %s", name);
        s->failed = 1;
        return -1;
    }
    return outset_take(s, name, text, strlen(text));
}

int outset_add(outset *s, const char *name, const void *data, size_t len) {
    entry *e = new_entry(s, name, E_BYTES);
    if (!e) return -1;
    if (!(e->data = malloc(len ? len : 1))) {
        cli_error("out of memory for %s", name);
        s->failed = 1;
        return -1;
    }
    memcpy(e->data, data, len);
    e->len = len;
    return 0;
}

/* The entries of stem-lh.stc and stem-rh.stc; the lh one (returned) writes both. */
static entry *new_pair(outset *s, const char *stem) {
    char names[2][512];
    for (int h = 0; h < 2; h++)
        if ((size_t)snprintf(names[h], sizeof names[h], "%s-%s.stc", stem, h ? "rh" : "lh") >=
            sizeof names[h]) {
            cli_error("internal: output stem %s is too long", stem);
            s->failed = 1;
            return NULL;
        }
    if (!new_entry(s, names[0], E_STC) || !new_entry(s, names[1], E_STC_RH)) return NULL;
    entry *lh = &s->e[s->n - 2]; /* new_entry may have moved the array */
    if (!(lh->stem = strdup(stem))) {
        cli_error("out of memory");
        s->failed = 1;
        return NULL;
    }
    return lh;
}

/* The entry of stem-vl.stc, a volume estimate's one file. */
static entry *new_vol(outset *s, const char *stem) {
    char name[512];
    if ((size_t)snprintf(name, sizeof name, "%s-vl.stc", stem) >= sizeof name) {
        cli_error("internal: output stem %s is too long", stem);
        s->failed = 1;
        return NULL;
    }
    return new_entry(s, name, E_VOL);
}

/* The entries an estimate of this kind is written to: a volume's -vl.stc, a surface's pair,
 * a mixed one's both (its surface part as the pair, its volume as -vl.stc: what MNE 1.3's
 * .surface().save() and .volume().save() write, which read_source_estimate reads back;
 * MixedSourceEstimate.save itself writes -stc.h5 through h5io only). Returns the first;
 * the volume entry of a mixed estimate is the one after the pair. */
static entry *new_estimate(outset *s, const char *stem, const cperm_stc *like) {
    if (like->kind == CPERM_STC_VOLUME) return new_vol(s, stem);
    if (!new_pair(s, stem)) return NULL;
    if (like->kind == CPERM_STC_MIXED && !new_vol(s, stem)) return NULL;
    return &s->e[s->n - (like->kind == CPERM_STC_MIXED ? 3 : 2)];
}

int outset_add_stc(outset *s, const char *stem, cperm_stc *stc) {
    entry *lh = new_estimate(s, stem, stc);
    if (!lh) {
        cperm_stc_free(stc);
        return -1;
    }
    lh->stc = stc;
    if (stc->kind == CPERM_STC_MIXED) lh[2].mixed = stc; /* the pair's lh entry owns it */
    return 0;
}

int outset_add_map(outset *s, const char *stem, const double *map, const cperm_stc *layout) {
    entry *lh = new_estimate(s, stem, layout);
    if (!lh) return -1;
    lh->map = map;
    lh->layout = layout;
    if (layout->kind == CPERM_STC_MIXED) {
        lh[2].map = map;
        lh[2].layout = layout;
    }
    return 0;
}

int outset_has(const outset *s, const char *name) {
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->e[i].name, name)) return 1;
    return 0;
}

int outset_remove_stale(outset *s, const char *name) {
    return new_entry(s, name, E_STALE) ? 0 : -1;
}

/* What one entry of an estimate writes: `stc` (or else `map` with `layout`) as an estimate,
 * and of a mixed one only its surface part (surface = 1: blocks lh, rh) or its volume. NULL
 * when out of memory (printed). */
static cperm_stc *split_mixed(const cperm_stc *stc, const double *map, const cperm_stc *layout,
                              int surface) {
    cperm_stc *whole = stc ? NULL : outputs_map_stc(map, layout);
    const cperm_stc *src = stc ? stc : whole;
    if (!src) return NULL;
    if (src->kind != CPERM_STC_MIXED) return whole;
    cperm_stc *part = surface ? outputs_part(src, 0, 2, CPERM_STC_SURFACE)
                              : outputs_part(src, 2, src->n_hemis - 2, CPERM_STC_VOLUME);
    cperm_stc_free(whole);
    return part;
}

/* Writes entry i (and, for a pair, i + 1) into the staging directory. 0 or -1 (printed). */
static int stage_entry(outset *s, size_t i) {
    entry *e = &s->e[i];
    cperm_err err = {0};
    if (e->kind == E_BYTES) {
        e->present = 1; /* cperm_write_file_atomic leaves nothing behind on failure; harmless */
        if (cperm_write_file_atomic(e->staged, e->data, e->len, &err)) {
            cli_error("%s", err.msg);
            return -1;
        }
        free(e->data); /* no longer needed: the file holds it */
        e->data = NULL;
        return 0;
    }
    if (e->kind == E_VOL) {
        e->present = 1; /* written atomically: nothing is left behind on failure; harmless */
        cperm_stc *conv = e->stc ? NULL : split_mixed(e->mixed, e->map, e->layout, 0);
        int w = e->stc || conv ? cperm_stc_write_vol(e->stc ? e->stc : conv, e->staged, &err)
                               : CPERM_ENOMEM;
        cperm_stc_free(conv);
        if (w) {
            cli_error("%s", err.msg[0] ? err.msg : "out of memory");
            return -1;
        }
        return 0;
    }
    if (e->kind != E_STC) return 0;
    /* both marked before writing: if rh fails, the lh file already there is removed too */
    e->present = s->e[i + 1].present = 1;
    const int mixed = e->stc ? e->stc->kind == CPERM_STC_MIXED
                             : e->layout->kind == CPERM_STC_MIXED;
    cperm_stc *conv = e->stc && !mixed ? NULL /* one at a time */
                                       : split_mixed(e->stc, e->map, e->layout, 1);
    char *path = join(s->stage, e->stem);
    int w = (conv || (e->stc && !mixed)) && path
                ? cperm_stc_write(conv ? conv : e->stc, path, &err)
                : CPERM_ENOMEM;
    cperm_stc_free(conv);
    free(path);
    if (w) {
        cli_error("%s", err.msg[0] ? err.msg : "out of memory");
        return -1;
    }
    return 0;
}

/* Staging directories are named .clusterperm-HOST-PID-XXXXXX, so that a later run on the
 * same host can tell one left by a process that died (kill -9, power loss) from one in use. */
#define STAGE_PREFIX ".clusterperm-"

/* This host's name with anything but letters and digits replaced by '_'. */
static void host_tag(char *buf, size_t cap) {
    if (gethostname(buf, cap) != 0) buf[0] = '\0';
    buf[cap - 1] = '\0';
    for (char *c = buf; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
            *c = '_';
    if (!buf[0]) snprintf(buf, cap, "host");
}

/* Removes the staging directories in dir that processes of this host which no longer run
 * left behind. Called after a successful commit (whatever such a directory held, the files
 * of a complete run are now in place). Best effort: errors are ignored. */
static void remove_dead_stages(const char *dir) {
    char host[65], prefix[96];
    host_tag(host, sizeof host);
    snprintf(prefix, sizeof prefix, STAGE_PREFIX "%s-", host);
    const size_t np = strlen(prefix);
    DIR *d = opendir(dir);
    if (!d) return;
    for (struct dirent *de; (de = readdir(d));) {
        if (strncmp(de->d_name, prefix, np)) continue;
        char *end = NULL;
        errno = 0;
        const long pid = strtol(de->d_name + np, &end, 10);
        if (errno || end == de->d_name + np || *end != '-' || pid <= 0 || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive (or not ours) */
        char *sub = join(dir, de->d_name);
        DIR *sd = sub ? opendir(sub) : NULL;
        for (struct dirent *f; sd && (f = readdir(sd));) {
            if (!strcmp(f->d_name, ".") || !strcmp(f->d_name, "..")) continue;
            char *path = join(sub, f->d_name);
            if (path) unlink(path);
            free(path);
        }
        if (sd) closedir(sd);
        if (sub) rmdir(sub);
        free(sub);
    }
    closedir(d);
}

/* Creates DIR (recording what it made) and the staging directory, and writes every new file
 * into it. 0 or -1 (printed). */
static int stage_all(outset *s) {
    if (make_dirs(s->dir, &s->created)) return -1;
    char host[65], name[128];
    host_tag(host, sizeof host);
    snprintf(name, sizeof name, STAGE_PREFIX "%s-%ld-XXXXXX", host, (long)getpid());
    s->stage = join(s->dir, name);
    if (!s->stage) {
        cli_error("out of memory");
        return -1;
    }
    if (!mkdtemp(s->stage)) {
        cli_error("--out %s: cannot create a staging directory: %s", s->dir, strerror(errno));
        free(s->stage);
        s->stage = NULL;
        return -1;
    }
    for (size_t i = 0; i < s->n; i++) {
        entry *e = &s->e[i];
        const size_t kn = strlen(e->name) + 7;
        char *kept_name = malloc(kn);
        if (kept_name) snprintf(kept_name, kn, ".kept.%s", e->name);
        e->kept = kept_name ? join(s->stage, kept_name) : NULL;
        free(kept_name);
        if (e->kind != E_STALE) e->staged = join(s->stage, e->name);
        if (!e->kept || (e->kind != E_STALE && !e->staged)) {
            cli_error("out of memory");
            return -1;
        }
    }
    for (size_t i = 0; i < s->n; i++)
        if (stage_entry(s, i)) return -1;
    return 0;
}

/* Puts DIR back as it was before the commit began. Returns 0, or -1 (after printing where
 * the previous file is) when a kept file could not be put back. */
static int roll_back(outset *s) {
    int rc = 0;
    for (size_t i = s->n; i-- > 0;) {
        entry *e = &s->e[i];
        if (e->kept_how == KEPT_LINK && !e->done) {
            unlink(e->kept); /* DIR still holds the file itself */
        } else if (e->kept_how != KEPT_NONE) {
            /* over the new file, or where the stale file was */
            if (rename(e->kept, e->target) != 0) {
                cli_error("--out %s: cannot put the previous %s back (%s); it is %s", s->dir,
                          e->name, strerror(errno), e->kept);
                rc = -1;
                continue;
            }
        } else if (e->done && e->kind != E_STALE) {
            unlink(e->target); /* new, and DIR had no such file */
        }
        e->kept_how = KEPT_NONE;
        e->done = 0;
    }
    fsync_dir(s->dir);
    return rc;
}

/* One step of the commit; fails (errno set) when the system call does, or in test builds
 * when CLUSTERPERM_TEST_FAIL_WRITE names this step (cli/testhooks.h). */
static int step_rename(const char *from, const char *to) {
    return cli_test_step_fails() ? -1 : rename(from, to);
}
static int step_link(const char *from, const char *to) {
    return cli_test_step_fails() ? -1 : link(from, to);
}
static int step_unlink(const char *path) {
    return cli_test_step_fails() ? -1 : unlink(path);
}

int outset_commit(outset *s) {
    const char *what = NULL;
    entry *bad = NULL;
    if (s->failed || s->committed) {
        cli_error("internal: output set committed after %s",
                  s->failed ? "a failure" : "its commit");
        return -1;
    }
    /* 1. Every new file into the staging directory inside DIR. */
    if (stage_all(s)) {
        s->failed = 1;
        return -1;
    }
    /* 2. Keep every file the commit replaces or removes: a hard link when the filesystem
     * has them (DIR keeps the file meanwhile), else the file itself, moved. */
    for (size_t i = 0; i < s->n && !bad; i++) {
        entry *e = &s->e[i];
        struct stat st;
        if (lstat(e->target, &st) != 0) {
            if (errno == ENOENT) continue;
            bad = e, what = "cannot look at the previous file";
        } else if (S_ISDIR(st.st_mode)) {
            if (e->kind == E_STALE) continue; /* never remove a directory of the user's */
            errno = EISDIR;
            bad = e, what = "cannot replace it";
        } else if (step_link(e->target, e->kept) == 0) {
            e->kept_how = KEPT_LINK;
        } else if (errno != EIO && step_rename(e->target, e->kept) == 0) {
            e->kept_how = KEPT_MOVED;
            e->done = e->kind == E_STALE; /* a stale file moved away is removed */
        } else {
            bad = e, what = "cannot keep the previous file";
        }
    }
    /* 3. The new files into place, 4. the stale ones out. */
    for (size_t i = 0; i < s->n && !bad; i++) {
        entry *e = &s->e[i];
        if (e->kind == E_STALE) continue;
        if (step_rename(e->staged, e->target) != 0) bad = e, what = "cannot move it into place";
        else e->present = 0, e->done = 1;
    }
    for (size_t i = 0; i < s->n && !bad; i++) {
        entry *e = &s->e[i];
        if (e->kind != E_STALE || e->kept_how != KEPT_LINK) continue;
        if (step_unlink(e->target) != 0) bad = e, what = "cannot remove the stale file";
        else e->done = 1;
    }
    if (bad) {
        cli_error("--out %s: %s: %s: %s", s->dir, bad->name, what, strerror(errno));
        roll_back(s);
        s->failed = 1;
        return -1;
    }
    fsync_dir(s->dir);
    s->committed = 1;
    remove_dead_stages(s->dir);
    /* 5. The previous files are no longer needed. */
    for (size_t i = 0; i < s->n; i++) {
        if (s->e[i].kept_how != KEPT_NONE) unlink(s->e[i].kept);
        s->e[i].kept_how = KEPT_NONE;
    }
    return 0;
}

void outset_free(outset *s) {
    if (!s) return;
    int keep_stage = 0;
    for (size_t i = 0; i < s->n; i++) {
        entry *e = &s->e[i];
        if (e->present && e->staged) unlink(e->staged);
        if (e->kept_how != KEPT_NONE) keep_stage = 1; /* a previous file that could not go back */
    }
    if (s->stage && !keep_stage) rmdir(s->stage);
    if (!s->committed)
        for (size_t i = s->created.n; i-- > 0;) rmdir(s->created.items[i]);
    for (size_t i = 0; i < s->n; i++) {
        entry *e = &s->e[i];
        free(e->name);
        free(e->target);
        free(e->data);
        free(e->stem);
        cperm_stc_free(e->stc);
        free(e->staged);
        free(e->kept);
    }
    free(s->e);
    cli_strlist_free(&s->created);
    free(s->stage);
    free(s->dir);
    free(s);
}

/* ------------------------------------------------------------- shared pieces */

cperm_stc *outputs_like(const cperm_stc *L, size_t n_times) {
    cperm_stc *s = NULL;
    cperm_err err = {0};
    if (cperm_stc_create(&s, L->n_hemis, L->n_vertices, n_times, &err)) {
        cli_error("%s", err.msg);
        return NULL;
    }
    for (size_t h = 0; h < L->n_hemis; h++)
        memcpy(s->vertices[h], L->vertices[h], L->n_vertices[h] * sizeof *L->vertices[h]);
    s->kind = L->kind;
    return s;
}

cperm_stc *outputs_map_stc(const double *map, const cperm_stc *L) {
    const size_t nv = cli_stc_rows(L), nt = L->n_times;
    cperm_stc *s = outputs_like(L, nt);
    if (!s) return NULL;
    s->tmin = L->tmin;
    s->tstep = L->tstep;
    for (size_t v = 0; v < nv; v++)
        for (size_t t = 0; t < nt; t++) s->data[v * nt + t] = map[t * nv + v];
    return s;
}

cperm_stc *outputs_part(const cperm_stc *stc, size_t first, size_t n_blocks, int kind) {
    size_t row0 = 0, n_rows = 0;
    cperm_stc *s = NULL;
    cperm_err err = {0};
    for (size_t h = 0; h < first; h++) row0 += stc->n_vertices[h];
    for (size_t h = first; h < first + n_blocks; h++) n_rows += stc->n_vertices[h];
    if (cperm_stc_create(&s, n_blocks, stc->n_vertices + first, stc->n_times, &err)) {
        cli_error("%s", err.msg);
        return NULL;
    }
    for (size_t h = 0; h < n_blocks; h++)
        memcpy(s->vertices[h], stc->vertices[first + h],
               stc->n_vertices[first + h] * sizeof *stc->vertices[h]);
    memcpy(s->data, stc->data + row0 * stc->n_times, n_rows * stc->n_times * sizeof *s->data);
    s->kind = kind;
    s->tmin = stc->tmin;
    s->tstep = stc->tstep;
    memcpy(s->subject, stc->subject, sizeof s->subject);
    return s;
}

cperm_stc *outputs_as_stored(const cperm_stc *stc) {
    const size_t n = cli_stc_rows(stc) * stc->n_times;
    cperm_stc *s = outputs_like(stc, stc->n_times);
    if (!s) return NULL;
    /* as cperm_stc_write stores them (float32; times in ms) and cperm_stc_read reads them */
    s->tmin = (double)(float)(1000.0 * stc->tmin) / 1000.0;
    s->tstep = (double)(float)(1000.0 * stc->tstep) / 1000.0;
    for (size_t i = 0; i < n; i++) s->data[i] = (double)(float)stc->data[i];
    return s;
}

char *outputs_h0_text(const cperm_run *run, size_t *len) {
    size_t n = 0;
    const double *h0 = cperm_run_h0(run, &n);
    return outputs_values_text(h0, n, len);
}

char *outputs_values_text(const double *values, size_t n, size_t *len) {
    char *buf = malloc(n * 32 + 1), *p = buf;
    if (!buf) {
        cli_error("out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) p += snprintf(p, 32, "%.17g\n", values[i]);
    *p = '\0';
    *len = (size_t)(p - buf);
    char *fit = realloc(buf, *len + 1); /* a third of the worst case, typically */
    return fit ? fit : buf;
}
