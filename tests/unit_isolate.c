/* unit_isolate.c - the child-process reader of -stc.h5 files: the generic child runner
 * (isolate.c: exit statuses, crashes, hangs killed at the deadline, EINTR, signals, the
 * memory cap, no zombie or fd left) and cperm_stc_read_h5 (stc_h5.c): bit-identical to the
 * in-process read on h5io files of every layout, one clear error naming the file for every
 * libhdf5 crash/hang input in fuzz/known/, options and environment, threads. */
#include "clusterperm.h"
#include "isolate_internal.h"
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#define WATCHDOG_S 120u

/* ---------------------------------------------------------------- helpers */

static int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;
    if (!d) return -1;
    while ((e = readdir(d))) n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory's own fd */
}

/* No child of ours is left, running or zombie. */
static int no_children(void) {
    int st;
    return waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng_next(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
/* High-entropy doubles: full-precision values of mixed sign and magnitude. */
static double rng_double(void) {
    double m = (double)(rng_next() >> 11) / 9007199254740992.0 - 0.5;
    int e = (int)(rng_next() % 40) - 20;
    return ldexp(m, e);
}

/* ------------------------------------------------------ the generic child */

static int fn_exit7(void *ctx, cperm_child_io *io) {
    (void)ctx;
    (void)io;
    return 7;
}

/* Writes `n` bytes of a pattern (more than a pipe holds), then exits 0. */
static int fn_pattern(void *ctx, cperm_child_io *io) {
    size_t n = *(const size_t *)ctx, i;
    unsigned char *b = malloc(n);
    if (!b) return 9;
    for (i = 0; i < n; i++) b[i] = (unsigned char)(i * 131u + (i >> 12));
    return cperm_child_write(io, b, n) ? 3 : 0;
}

static int fn_segv(void *ctx, cperm_child_io *io) {
    (void)ctx;
    (void)io;
    raise(SIGSEGV);
    return 0;
}

static int fn_abort(void *ctx, cperm_child_io *io) {
    (void)ctx;
    (void)io;
    abort();
}

static int fn_hang(void *ctx, cperm_child_io *io) {
    volatile unsigned long spin = 0;
    (void)ctx;
    (void)io;
    for (;;) spin++;
    return 0;
}

/* Sleeps 150 ms, then sends 2 MiB: the parent's poll and read are interrupted meanwhile. */
static int fn_slow(void *ctx, cperm_child_io *io) {
    struct timespec ts = {0, 150000000};
    size_t n = (size_t)2 << 20;
    nanosleep(&ts, NULL);
    return fn_pattern(&n, io);
}

/* Allocates and touches 1 MiB blocks until malloc fails: status 0 if that happened before
 * 2 GiB (the cap held), 1 otherwise. */
static int fn_greedy(void *ctx, cperm_child_io *io) {
    size_t i;
    (void)ctx;
    (void)io;
    for (i = 0; i < 2048; i++) {
        char *p = malloc((size_t)1 << 20);
        if (!p) return 0;
        memset(p, 1, (size_t)1 << 20);
    }
    return 1;
}

static int fn_noise(void *ctx, cperm_child_io *io) {
    (void)ctx;
    (void)io;
    fprintf(stderr, "noise on stderr\n");
    fprintf(stdout, "noise on stdout\n");
    fflush(NULL);
    if (write(STDERR_FILENO, "raw\n", 4) < 0) return 2;
    return 0;
}

static int fn_raise_int(void *ctx, cperm_child_io *io) {
    (void)ctx;
    (void)io;
    raise(SIGINT);
    return 5;
}

static volatile sig_atomic_t caught;
static void on_signal(int sig) { caught = sig; }

static int check_pattern(const unsigned char *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        if (b[i] != (unsigned char)(i * 131u + (i >> 12))) return 0;
    return 1;
}

static void test_child_basics(void) {
    cperm_child c;
    size_t n = (size_t)3 << 20; /* 3 MiB: three pipe fills at least */
    unsigned char *buf = malloc(n), one;
    double t0, dt;
    int rd, fds0 = count_fds(), i;
    pid_t pid;

    CHECK("child_start", cperm_child_start(&c, fn_exit7, NULL, 0) == 0 && c.pid > 0 && c.fd >= 0,
          "errno %d", errno);
    rd = cperm_child_read(&c, &one, 1, cperm_monotonic_s() + 5);
    pid = c.pid;
    cperm_child_finish(&c, cperm_monotonic_s() + 5);
    CHECK("child_exit_status", rd == CPERM_CHILD_READ_EOF && c.how == CPERM_CHILD_EXITED &&
          c.code == 7 && !c.killed && c.pid == 0 && c.fd == -1,
          "rd %d how %d code %d killed %d", rd, c.how, c.code, c.killed);
    CHECK("child_reaped", waitpid(pid, NULL, WNOHANG) < 0 && errno == ECHILD, "pid %d", (int)pid);

    cperm_child_start(&c, fn_pattern, &n, 0);
    rd = cperm_child_read(&c, buf, n, cperm_monotonic_s() + 10);
    cperm_child_finish(&c, cperm_monotonic_s() + 5);
    CHECK("child_stream_3mib", rd == CPERM_CHILD_READ_OK && check_pattern(buf, n) &&
          c.how == CPERM_CHILD_EXITED && c.code == 0, "rd %d how %d code %d", rd, c.how, c.code);

    cperm_child_start(&c, fn_segv, NULL, 0);
    rd = cperm_child_read(&c, &one, 1, cperm_monotonic_s() + 5);
    cperm_child_finish(&c, cperm_monotonic_s() + 5);
    CHECK("child_crash_sigsegv", rd == CPERM_CHILD_READ_EOF && c.how == CPERM_CHILD_SIGNALED &&
          c.code == SIGSEGV && !c.killed && cperm_signal_is_crash(c.code) &&
          strcmp(cperm_signal_name(c.code), "SIGSEGV") == 0, "how %d code %d", c.how, c.code);

    cperm_child_start(&c, fn_abort, NULL, 0);
    cperm_child_read(&c, &one, 1, cperm_monotonic_s() + 5);
    cperm_child_finish(&c, cperm_monotonic_s() + 5);
    CHECK("child_crash_sigabrt", c.how == CPERM_CHILD_SIGNALED && c.code == SIGABRT,
          "how %d code %d", c.how, c.code);

    /* A hang: the read gives up at the deadline, finish kills and reaps at once. */
    cperm_child_start(&c, fn_hang, NULL, 0);
    pid = c.pid;
    t0 = cperm_monotonic_s();
    rd = cperm_child_read(&c, &one, 1, t0 + 0.3);
    dt = cperm_monotonic_s() - t0;
    cperm_child_finish(&c, cperm_monotonic_s());
    CHECK("child_hang_timeout", rd == CPERM_CHILD_READ_TIMEOUT && dt >= 0.29 && dt < 1.5,
          "rd %d after %.3f s", rd, dt);
    CHECK("child_hang_killed", c.how == CPERM_CHILD_SIGNALED && c.code == SIGKILL && c.killed &&
          waitpid(pid, NULL, WNOHANG) < 0 && errno == ECHILD,
          "how %d code %d killed %d", c.how, c.code, c.killed);
    cperm_child_finish(&c, cperm_monotonic_s()); /* idempotent */
    CHECK("child_finish_twice", c.pid == 0 && c.fd == -1, "pid %d fd %d", (int)c.pid, c.fd);

    /* Finish without reading: a running child past its deadline is killed; one still
     * sending is drained until it exits. */
    for (i = 0; i < 20; i++) {
        cperm_child_start(&c, i % 2 ? fn_hang : fn_pattern, &n, 0);
        cperm_child_finish(&c, cperm_monotonic_s() + (i % 2 ? 0.0 : 5.0));
    }
    CHECK("child_no_fd_leak", count_fds() == fds0, "%d fds, %d before", count_fds(), fds0);
    CHECK("child_no_zombie", no_children(), "a child is left");
    free(buf);
}

static void test_child_eintr(void) {
    struct sigaction sa, old;
    struct itimerval it = {{0, 5000}, {0, 5000}}, off = {{0, 0}, {0, 0}};
    cperm_child c;
    size_t n = (size_t)2 << 20;
    unsigned char *buf = malloc(n);
    unsigned watchdog = alarm(0); /* the interval timer below is the same timer */
    int rd;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: poll and read fail with EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, &old);
    caught = 0;
    cperm_child_start(&c, fn_slow, NULL, 0);
    setitimer(ITIMER_REAL, &it, NULL);
    rd = cperm_child_read(&c, buf, n, cperm_monotonic_s() + 10);
    cperm_child_finish(&c, cperm_monotonic_s() + 5);
    setitimer(ITIMER_REAL, &off, NULL);
    sigaction(SIGALRM, &old, NULL);
    alarm(watchdog ? watchdog : 1);
    CHECK("child_eintr", rd == CPERM_CHILD_READ_OK && check_pattern(buf, n) && caught == SIGALRM &&
          c.how == CPERM_CHILD_EXITED && c.code == 0,
          "rd %d caught %d how %d code %d", rd, (int)caught, c.how, c.code);
    free(buf);
}

static void test_child_signals(void) {
    struct sigaction sa, old_int, old_segv;
    cperm_child c;
    unsigned char one;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* The caller handles SIGINT: the child ignores it (Ctrl-C is the caller's to handle). */
    sigaction(SIGINT, &sa, &old_int);
    cperm_child_start(&c, fn_raise_int, NULL, 0);
    cperm_child_read(&c, &one, 1, cperm_monotonic_s() + 5);
    cperm_child_finish(&c, cperm_monotonic_s() + 5);
    sigaction(SIGINT, &old_int, NULL);
    CHECK("child_ignores_caught_sigint", c.how == CPERM_CHILD_EXITED && c.code == 5,
          "how %d code %d", c.how, c.code);
    /* The caller catches SIGSEGV: in the child a crash is still a crash. */
    sigaction(SIGSEGV, &sa, &old_segv);
    cperm_child_start(&c, fn_segv, NULL, 0);
    cperm_child_read(&c, &one, 1, cperm_monotonic_s() + 5);
    cperm_child_finish(&c, cperm_monotonic_s() + 5);
    sigaction(SIGSEGV, &old_segv, NULL);
    CHECK("child_segv_default_action", c.how == CPERM_CHILD_SIGNALED && c.code == SIGSEGV,
          "how %d code %d", c.how, c.code);
}

static void test_child_quiet(const char *dir) {
    char path[512];
    int fd, save_out, save_err;
    cperm_child c;
    unsigned char one;
    struct stat st;

    snprintf(path, sizeof path, "%s/noise.txt", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    fflush(NULL);
    save_out = dup(STDOUT_FILENO);
    save_err = dup(STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    cperm_child_start(&c, fn_noise, NULL, 0);
    cperm_child_read(&c, &one, 1, cperm_monotonic_s() + 5);
    cperm_child_finish(&c, cperm_monotonic_s() + 5);
    dup2(save_out, STDOUT_FILENO);
    dup2(save_err, STDERR_FILENO);
    close(save_out);
    close(save_err);
    close(fd);
    CHECK("child_output_silenced", stat(path, &st) == 0 && st.st_size == 0 &&
          c.how == CPERM_CHILD_EXITED && c.code == 0, "%lld bytes written, how %d code %d",
          (long long)st.st_size, c.how, c.code);
}

static void test_child_memcap(void) {
    cperm_child c;
    unsigned char one;
    /* ASan's allocator cannot live under RLIMIT_AS: a failed mmap makes it report, exit, or
     * deadlock in its report; then the deadline ends the child. Either way the cap ends the
     * runaway allocation. */
    double t0 = cperm_monotonic_s(), limit = UNDER_ASAN ? 3.0 : 20.0, dt;
    cperm_child_start(&c, fn_greedy, NULL, (uint64_t)64 << 20);
    cperm_child_read(&c, &one, 1, t0 + limit);
    cperm_child_finish(&c, cperm_monotonic_s());
    dt = cperm_monotonic_s() - t0;
    CHECK("child_memory_cap", dt < limit + 1 &&
          ((c.how == CPERM_CHILD_EXITED && c.code == 0) ||
           (UNDER_ASAN && !(c.how == CPERM_CHILD_EXITED && c.code == 1))),
          "how %d code %d after %.2f s", c.how, c.code, dt);
}

/* The reading thread dies (SIGKILL, no cleanup): its child must not outlive it. */
static void test_child_parent_death(void) {
    int p[2];
    pid_t mid, grandchild = 0;
    int gone = 0, i;
    if (pipe(p) != 0) return;
    mid = fork();
    if (mid == 0) {
        cperm_child c;
        close(p[0]);
        if (cperm_child_start(&c, fn_hang, NULL, 0) == 0 &&
            write(p[1], &c.pid, sizeof c.pid) == (ssize_t)sizeof c.pid)
            pause(); /* killed below */
        _exit(1);
    }
    close(p[1]);
    if (mid > 0 && read(p[0], &grandchild, sizeof grandchild) == (ssize_t)sizeof grandchild) {
        kill(mid, SIGKILL);
        waitpid(mid, NULL, 0);
        for (i = 0; i < 200 && !gone; i++) {
            char path[64], state = '?';
            FILE *f;
            struct timespec ts = {0, 10000000};
            snprintf(path, sizeof path, "/proc/%d/stat", (int)grandchild);
            f = fopen(path, "r");
            /* Gone, or a zombie waiting for init (which some containers never reap). */
            if (!f || fscanf(f, "%*d %*s %c", &state) != 1 || state == 'Z') gone = 1;
            if (f) fclose(f);
            if (!gone) nanosleep(&ts, NULL);
        }
    }
    close(p[0]);
    CHECK("child_dies_with_parent", gone, "pid %d still running 2 s after its parent died",
          (int)grandchild);
}

/* ------------------------------------------------------- h5io files, in C */

static void set_title(hid_t obj, const char *t) {
    hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate(H5S_SCALAR), a;
    H5Tset_size(type, H5T_VARIABLE); /* h5io's (and h5py's) variable-length str */
    a = H5Acreate2(obj, "TITLE", type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, type, &t);
    H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
}

static void put(hid_t g, const char *name, const char *title, hid_t ftype, hid_t mtype,
                int rank, const hsize_t *dims, const void *buf, int chunked) {
    hid_t space = H5Screate_simple(rank, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE), d;
    if (chunked) {
        hsize_t chunk[3];
        int k;
        for (k = 0; k < rank; k++) chunk[k] = dims[k] > 7 ? (dims[k] + 6) / 7 : (dims[k] ? dims[k] : 1);
        H5Pset_chunk(dcpl, rank, chunk);
        H5Pset_deflate(dcpl, 4);
    }
    d = H5Dcreate2(g, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (buf) H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    set_title(d, title);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(space);
}

typedef struct spec {
    size_t nv[2];
    const int64_t *verts[2];
    size_t n_orient, n_times;
    int rank;         /* of key_data: 1, 2 or 3 */
    const double *data;
    int float32;      /* stored as float32 (converted back by the reader) */
    int chunked;      /* chunked + gzip */
    double tmin, tstep;
    const char *subject;
} spec;

/* The layout of tests/h5io_write.py (MNE 1.3 through h5io). */
static int write_h5io(const char *path, const spec *s) {
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), root, vl;
    hsize_t dims[3], one = 1, len;
    size_t rows = s->nv[0] + s->nv[1];
    if (f < 0) return -1;
    root = H5Gcreate2(f, "mnepython", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    set_title(root, "dict");
    dims[0] = rows;
    if (s->rank == 3) {
        dims[1] = 3;
        dims[2] = s->n_times;
    } else {
        dims[1] = s->n_times;
    }
    put(root, "key_data", "ndarray", s->float32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE,
        H5T_NATIVE_DOUBLE, s->rank, dims, s->data, s->chunked);
    len = 7;
    put(root, "key_src_type", "unicode", H5T_STD_U8LE, H5T_NATIVE_UCHAR, 1, &len, "surface",
        1);
    len = strlen(s->subject);
    put(root, "key_subject", "unicode", H5T_STD_U8LE, H5T_NATIVE_UCHAR, 1, &len, s->subject,
        1);
    put(root, "key_tmin", "float", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &one, &s->tmin, 0);
    put(root, "key_tstep", "float", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &one, &s->tstep, 0);
    vl = H5Gcreate2(root, "key_vertices", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    set_title(vl, "list");
    len = s->nv[0];
    put(vl, "idx_0", "ndarray", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &len, s->verts[0], 0);
    len = s->nv[1];
    put(vl, "idx_1", "ndarray", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &len, s->verts[1], 0);
    H5Gclose(vl);
    H5Gclose(root);
    return H5Fclose(f) < 0 ? -1 : 0;
}

static int same_stc(const cperm_stc *a, const cperm_stc *b) {
    size_t n = (a->n_vertices[0] + a->n_vertices[1]) * a->n_orient * a->n_times;
    return a && b && a->n_hemis == b->n_hemis && a->n_vertices[0] == b->n_vertices[0] &&
           a->n_vertices[1] == b->n_vertices[1] && a->n_orient == b->n_orient &&
           a->n_times == b->n_times && memcmp(&a->tmin, &b->tmin, sizeof a->tmin) == 0 &&
           memcmp(&a->tstep, &b->tstep, sizeof a->tstep) == 0 &&
           strcmp(a->subject, b->subject) == 0 &&
           memcmp(a->vertices[0], b->vertices[0], a->n_vertices[0] * sizeof(uint32_t)) == 0 &&
           memcmp(a->vertices[1], b->vertices[1], a->n_vertices[1] * sizeof(uint32_t)) == 0 &&
           memcmp(a->data, b->data, n * sizeof(double)) == 0;
}

static int read_mode(cperm_stc **out, const char *path, int isolate, cperm_err *err) {
    cperm_h5_options o = CPERM_H5_OPTIONS_INIT;
    o.isolate = isolate;
    return cperm_stc_read_h5(out, path, &o, err);
}

/* One layout: written, read in a child and in-process; both must equal the values written
 * (rows in ascending vertex order, float32 rounding where stored so). */
static void check_layout(const char *dir, const char *name, size_t nv0, size_t nv1,
                         size_t n_orient, size_t n_times, int rank, int float32, int chunked,
                         int shuffle) {
    char path[600], label[128];
    size_t rows = nv0 + nv1, row = n_orient * n_times, i, h;
    int64_t *v[2];
    double *data = malloc((rows * row + 1) * sizeof *data);
    cperm_stc *a = NULL, *b = NULL;
    cperm_err ea = {0, ""}, eb = {0, ""};
    int ra, rb, values_ok = 1;
    spec s;

    v[0] = malloc((nv0 + 1) * sizeof(int64_t));
    v[1] = malloc((nv1 + 1) * sizeof(int64_t));
    for (h = 0; h < 2; h++) {
        size_t n = h ? nv1 : nv0;
        for (i = 0; i < n; i++) v[h][i] = (int64_t)(3 * i + h);
        if (shuffle) /* reversed: the reader sorts rows by vertex, as MNE */
            for (i = 0; i < n / 2; i++) {
                int64_t t = v[h][i];
                v[h][i] = v[h][n - 1 - i];
                v[h][n - 1 - i] = t;
            }
    }
    for (i = 0; i < rows * row; i++) {
        data[i] = rng_double();
        if (float32) data[i] = (double)(float)data[i];
    }
    if (rows * row > 3) {
        data[0] = -0.0;
        data[1] = NAN;
        data[2] = 1e-300 * (float32 ? 0 : 1);
    }
    memset(&s, 0, sizeof s);
    s.nv[0] = nv0;
    s.nv[1] = nv1;
    s.verts[0] = v[0];
    s.verts[1] = v[1];
    s.n_orient = n_orient;
    s.n_times = n_times;
    s.rank = rank;
    s.data = data;
    s.float32 = float32;
    s.chunked = chunked;
    s.tmin = -0.123456789;
    s.tstep = 1.0 / 600.615;
    s.subject = "sub-07";
    snprintf(path, sizeof path, "%s/%s-stc.h5", dir, name);
    if (write_h5io(path, &s)) {
        TU_FAIL(name, "cannot write %s", path);
        goto cleanup;
    }
    ra = read_mode(&a, path, CPERM_H5_ISOLATE_CHILD, &ea);
    rb = read_mode(&b, path, CPERM_H5_ISOLATE_NONE, &eb);
    /* Expected: sorted row i of hemisphere h is vertex 3i + h, from file row i (or n-1-i
     * when the file lists the vertices in reverse). */
    if (!ra) {
        values_ok = a->n_orient == n_orient && a->n_times == n_times &&
                    a->n_vertices[0] == nv0 && a->n_vertices[1] == nv1 &&
                    a->tmin == s.tmin && a->tstep == s.tstep && strcmp(a->subject, "sub-07") == 0;
        for (h = 0; h < 2 && values_ok; h++) {
            size_t n = h ? nv1 : nv0, base = h ? nv0 : 0;
            for (i = 0; i < n && values_ok; i++) {
                size_t file_row = base + (shuffle ? n - 1 - i : i);
                values_ok = a->vertices[h][i] == (uint32_t)(3 * i + h) &&
                            memcmp(a->data + (base + i) * row, data + file_row * row,
                                   row * sizeof(double)) == 0;
            }
        }
    }
    snprintf(label, sizeof label, "h5_%s_values", name);
    CHECK(label, ra == 0 && values_ok, "rc %d: %s", ra, ea.msg);
    snprintf(label, sizeof label, "h5_%s_child_equals_inprocess", name);
    CHECK(label, ra == 0 && rb == 0 && same_stc(a, b), "rc %d/%d: %s / %s", ra, rb, ea.msg,
          eb.msg);
cleanup:
    cperm_stc_free(a);
    cperm_stc_free(b);
    free(v[0]);
    free(v[1]);
    free(data);
}

static void test_stc_layouts(const char *dir) {
    /* ico-5 vector, 40 times: the seed's files (19.7 MB: many blocks, and the buffer
     * prepared before the fork). */
    check_layout(dir, "vector_ico5", 10242, 10242, 3, 40, 3, 0, 0, 0);
    check_layout(dir, "scalar_ico5", 10242, 10242, 1, 40, 2, 0, 0, 0);
    /* float32 on disk: the data are twice the file (a buffer allocated after the fork). */
    check_layout(dir, "vector_float32", 2562, 2562, 3, 30, 3, 1, 0, 0);
    /* chunked + gzip (compressible: zeros) - smaller than its data as well. */
    check_layout(dir, "vector_chunked_gzip", 642, 642, 3, 25, 3, 0, 1, 0);
    check_layout(dir, "unsorted_vertices", 1000, 777, 3, 7, 3, 0, 0, 1);
    check_layout(dir, "one_row_per_block", 5, 3, 3, 50000, 3, 0, 0, 0); /* 1.2 MB rows */
    check_layout(dir, "data_1d", 20, 11, 1, 1, 1, 0, 0, 0);
    check_layout(dir, "small", 4, 3, 1, 5, 2, 0, 0, 0);
    check_layout(dir, "no_times", 4, 3, 1, 0, 2, 0, 0, 0);
}

/* Files MNE 1.3 wrote (tests/data/mne-h5): the same in both modes. */
static void test_stc_mne_files(void) {
    static const char *const files[] = {"tests/data/mne-h5/vec_small-stc.h5",
                                        "tests/data/mne-h5/scalar_small-stc.h5"};
    size_t k;
    for (k = 0; k < 2; k++) {
        cperm_stc *a = NULL, *b = NULL;
        cperm_err e = {0, ""};
        char label[64];
        int ra = read_mode(&a, files[k], CPERM_H5_ISOLATE_CHILD, &e);
        int rb = read_mode(&b, files[k], CPERM_H5_ISOLATE_NONE, &e);
        snprintf(label, sizeof label, "h5_mne_written_%s", k ? "scalar" : "vector");
        CHECK(label, ra == 0 && rb == 0 && same_stc(a, b) && a->n_vertices[0] == 642 &&
              a->n_vertices[1] == 642 && a->n_orient == (k ? 1u : 3u) &&
              a->n_times == (k ? 7u : 10u), "rc %d/%d: %s", ra, rb, e.msg);
        cperm_stc_free(a);
        cperm_stc_free(b);
    }
}

/* Every input in fuzz/known/ (all subfolders): an error naming the file, within seconds. */
static void test_stc_known(void) {
    int n = 0, fds0 = count_fds();
    DIR *top = opendir("fuzz/known"), *sub;
    struct dirent *e, *f;
    if (!top) {
        TU_FAIL("h5_known_inputs", "fuzz/known not found (run from the repository root)");
        return;
    }
    while ((e = readdir(top))) {
        char dpath[300];
        if (e->d_name[0] == '.') continue;
        snprintf(dpath, sizeof dpath, "fuzz/known/%s", e->d_name);
        if (!(sub = opendir(dpath))) continue;
        while ((f = readdir(sub))) {
            char path[600], stem[600], label[300];
            size_t len = strlen(f->d_name);
            cperm_stc *stc = NULL;
            cperm_err err = {0, ""};
            double t0, dt, limit;
            int rc, hang, crash, ok;
            if (len < 7 || strcmp(f->d_name + len - 7, "-stc.h5") != 0) continue;
            snprintf(path, sizeof path, "%s/%s", dpath, f->d_name);
            snprintf(stem, sizeof stem, "%s/%.*s", dpath, (int)(len - 7), f->d_name);
            hang = strncmp(f->d_name, "hang-", 5) == 0;
            crash = strcmp(f->d_name, "SEGV-H5F__accum_read-stc.h5") == 0 ||
                    strcmp(f->d_name, "SEGV-H5HG_read-stc.h5") == 0 ||
                    strcmp(f->d_name, "crash-libhdf5-h5hg-read-memcpy-stc.h5") == 0;
            limit = hang ? 7.0 : 3.0;
            t0 = cperm_monotonic_s();
            rc = cperm_stc_read(&stc, stem, &err); /* the stem, as the CLI passes it */
            dt = cperm_monotonic_s() - t0;
            ok = rc < 0 && err.code == rc && !stc && strstr(err.msg, path) && dt < limit;
            if (hang)
                ok = ok && rc == CPERM_EFORMAT && dt > 4.9 &&
                     strstr(err.msg, "did not finish reading the file's structure within 5 s");
            if (crash && !UNDER_ASAN)
                ok = ok && rc == CPERM_EFORMAT &&
                     strstr(err.msg, "libhdf5 crashed reading it (signal 11, SIGSEGV); the "
                                     "file is corrupt");
            snprintf(label, sizeof label, "h5_known_%.*s", (int)(len - 7), f->d_name);
            CHECK(label, ok, "rc %d after %.2f s: %s", rc, dt, err.msg);
            cperm_stc_free(stc);
            n++;
        }
        closedir(sub);
    }
    closedir(top);
    CHECK("h5_known_inputs", n >= 12, "%d inputs found", n);
    CHECK("h5_known_no_fd_leak", count_fds() == fds0, "%d fds, %d before", count_fds(), fds0);
    CHECK("h5_known_no_zombie", no_children(), "a child is left");
}

static int forks;
static void count_fork(void) { forks++; }

static void test_stc_options(const char *dir) {
    const char *hang = "fuzz/known/stc_h5_raw/hang-libhdf5-h5hg-vlen-title-stc.h5";
    char vec[600], fifo[600];
    cperm_h5_options o = CPERM_H5_OPTIONS_INIT;
    cperm_stc *stc = NULL;
    cperm_err err = {0, ""};
    double t0, dt;
    int rc;

    snprintf(vec, sizeof vec, "%s/small-stc.h5", dir);
    o.timeout_s = 0.5;
    t0 = cperm_monotonic_s();
    rc = cperm_stc_read_h5(&stc, hang, &o, &err);
    dt = cperm_monotonic_s() - t0;
    CHECK("h5_opts_timeout", rc == CPERM_EFORMAT && dt >= 0.49 && dt < 2 &&
          strstr(err.msg, "libhdf5 did not finish reading it within the 0.5 s limit"),
          "rc %d after %.2f s: %s", rc, dt, err.msg);
    setenv("CPERM_H5_TIMEOUT", "0.25", 1);
    t0 = cperm_monotonic_s();
    rc = cperm_stc_read(&stc, hang, &err);
    dt = cperm_monotonic_s() - t0;
    CHECK("h5_env_timeout", rc == CPERM_EFORMAT && dt >= 0.24 && dt < 1.5 &&
          strstr(err.msg, "within the 0.25 s limit"), "rc %d after %.2f s: %s", rc, dt,
          err.msg);
    setenv("CPERM_H5_TIMEOUT", "-3", 1);
    rc = cperm_stc_read(&stc, vec, &err);
    CHECK("h5_env_timeout_invalid", rc == CPERM_EINVAL && strstr(err.msg, "CPERM_H5_TIMEOUT='-3'"),
          "rc %d: %s", rc, err.msg);
    unsetenv("CPERM_H5_TIMEOUT");
    setenv("CPERM_H5_ISOLATE", "maybe", 1);
    rc = cperm_stc_read(&stc, vec, &err);
    CHECK("h5_env_isolate_invalid", rc == CPERM_EINVAL && strstr(err.msg, "CPERM_H5_ISOLATE"),
          "rc %d: %s", rc, err.msg);

    /* Who forks: the default does, CPERM_H5_ISOLATE=0 and ISOLATE_NONE do not, CHILD does
     * whatever the environment says. */
    pthread_atfork(NULL, count_fork, NULL);
    setenv("CPERM_H5_ISOLATE", "0", 1);
    forks = 0;
    rc = cperm_stc_read(&stc, vec, &err);
    CHECK("h5_env_isolate_0_in_process", rc == 0 && forks == 0, "rc %d, %d forks", rc, forks);
    cperm_stc_free(stc);
    stc = NULL;
    o = (cperm_h5_options)CPERM_H5_OPTIONS_INIT;
    o.isolate = CPERM_H5_ISOLATE_CHILD;
    rc = cperm_stc_read_h5(&stc, vec, &o, &err);
    CHECK("h5_opts_child_overrides_env", rc == 0 && forks == 1, "rc %d, %d forks", rc, forks);
    cperm_stc_free(stc);
    stc = NULL;
    unsetenv("CPERM_H5_ISOLATE");
    rc = cperm_stc_read(&stc, vec, &err);
    CHECK("h5_default_forks", rc == 0 && forks == 2, "rc %d, %d forks", rc, forks);
    cperm_stc_free(stc);
    stc = NULL;
    rc = cperm_stc_read_h5(&stc, vec, NULL, &err);
    CHECK("h5_null_options_default", rc == 0 && forks == 3, "rc %d, %d forks", rc, forks);
    cperm_stc_free(stc);
    stc = NULL;
    o.isolate = CPERM_H5_ISOLATE_NONE;
    rc = cperm_stc_read_h5(&stc, vec, &o, &err);
    CHECK("h5_opts_none_in_process", rc == 0 && forks == 3, "rc %d, %d forks", rc, forks);
    cperm_stc_free(stc);
    stc = NULL;

    o = (cperm_h5_options)CPERM_H5_OPTIONS_INIT;
    o.version = 2;
    rc = cperm_stc_read_h5(&stc, vec, &o, &err);
    CHECK("h5_opts_bad_version", rc == CPERM_EINVAL && strstr(err.msg, "version 2") && !stc,
          "rc %d: %s", rc, err.msg);
    o = (cperm_h5_options)CPERM_H5_OPTIONS_INIT;
    o.isolate = 9;
    rc = cperm_stc_read_h5(&stc, vec, &o, &err);
    CHECK("h5_opts_bad_isolate", rc == CPERM_EINVAL && strstr(err.msg, "mode 9"), "rc %d: %s",
          rc, err.msg);
    o = (cperm_h5_options)CPERM_H5_OPTIONS_INIT;
    o.timeout_s = NAN;
    rc = cperm_stc_read_h5(&stc, vec, &o, &err);
    CHECK("h5_opts_bad_timeout", rc == CPERM_EINVAL && strstr(err.msg, "timeout"), "rc %d: %s",
          rc, err.msg);

    {
        cperm_h5_options init;
        memset(&init, 0x5a, sizeof init);
        rc = cperm_h5_options_init(&init, CPERM_H5_OPTIONS_VERSION);
        CHECK("h5_options_init", rc == 0 && init.version == 1 &&
              init.isolate == CPERM_H5_ISOLATE_DEFAULT && init.timeout_s == 0.0 &&
              cperm_h5_options_init(&init, 2) == CPERM_EUNSUPPORTED &&
              cperm_h5_options_init(NULL, 1) == CPERM_EINVAL, "rc %d", rc);
    }

    /* A FIFO must not block the size check (nor reach libhdf5). */
    snprintf(fifo, sizeof fifo, "%s/fifo-stc.h5", dir);
    if (mkfifo(fifo, 0600) == 0) {
        t0 = cperm_monotonic_s();
        rc = cperm_stc_read(&stc, fifo, &err);
        dt = cperm_monotonic_s() - t0;
        CHECK("h5_fifo_refused", rc == CPERM_EFORMAT && dt < 1 &&
              strstr(err.msg, "not a regular file"), "rc %d after %.2f s: %s", rc, dt, err.msg);
        unlink(fifo);
    }
    snprintf(fifo, sizeof fifo, "%s/absent-stc.h5", dir);
    rc = cperm_stc_read_h5(&stc, fifo, NULL, &err);
    CHECK("h5_missing_file", rc == CPERM_ENOTFOUND && strstr(err.msg, "no such file"),
          "rc %d: %s", rc, err.msg);
}

/* Reads from several OpenMP threads at once (forking while the other threads run). */
static void test_stc_threads(const char *dir) {
    char path[600];
    char msg[CPERM_ERR_MSG_LEN] = "";
    cperm_stc *ref = NULL;
    int bad = 0, i;
    if (UNDER_ASAN) {
        /* GCC 12's ASan allocator is not fork-safe: a fork while another thread holds its
         * lock leaves the child deadlocked at its first malloc (seen in gdb), which ends as
         * a timeout. glibc's malloc takes its locks around fork. */
        printf("SKIP h5_threads: AddressSanitizer's allocator is not fork-safe\n");
        return;
    }
    snprintf(path, sizeof path, "%s/vector_float32-stc.h5", dir);
    if (read_mode(&ref, path, CPERM_H5_ISOLATE_NONE, NULL)) {
        TU_FAIL("h5_threads", "cannot read %s", path);
        return;
    }
#pragma omp parallel for num_threads(4) reduction(+ : bad) schedule(dynamic)
    for (i = 0; i < 16; i++) {
        cperm_stc *s = NULL;
        cperm_err e = {0, ""};
        if (read_mode(&s, path, CPERM_H5_ISOLATE_CHILD, &e) || !same_stc(s, ref)) {
            bad++;
#pragma omp critical
            snprintf(msg, sizeof msg, "%s", e.msg[0] ? e.msg : "differs");
        }
        cperm_stc_free(s);
    }
    CHECK("h5_threads", bad == 0 && no_children(), "%d of 16 reads failed or differ: %s", bad,
          msg);
    cperm_stc_free(ref);
}

/* A caller that ignores SIGCHLD (children reaped by the kernel, no status): valid files
 * still read, a crash is still an error naming the file, nothing hangs. */
static void test_stc_sigchld_ignored(const char *dir) {
    const char *segv = "fuzz/known/stc_h5_raw/SEGV-H5HG_read-stc.h5";
    struct sigaction sa, old;
    char path[600];
    cperm_stc *a = NULL, *b = NULL;
    cperm_err err = {0, ""};
    int ra, rb, rc;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, &old);
    snprintf(path, sizeof path, "%s/scalar_ico5-stc.h5", dir);
    ra = read_mode(&a, path, CPERM_H5_ISOLATE_CHILD, &err);
    rc = cperm_stc_read(&b, segv, &err);
    sigaction(SIGCHLD, &old, NULL);
    rb = read_mode(&b, path, CPERM_H5_ISOLATE_NONE, NULL);
    CHECK("h5_sigchld_ignored_reads", ra == 0 && rb == 0 && same_stc(a, b), "rc %d/%d", ra, rb);
    CHECK("h5_sigchld_ignored_crash", rc == CPERM_EFORMAT && strstr(err.msg, segv),
          "rc %d: %s", rc, err.msg);
    cperm_stc_free(a);
    cperm_stc_free(b);
}

static void remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[600];
    if (!d) return;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int main(void) {
    char dir[] = "/tmp/unit_isolate_XXXXXX";
    int fds0;
    if (!mkdtemp(dir)) {
        printf("FAIL mkdtemp: cannot create a temporary directory\n");
        return 1;
    }
    /* A regression that hangs (a child never killed, never reaped) must fail the test, not
     * stall the suite: SIGALRM's default action ends the process (the runner reports it). */
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(WATCHDOG_S);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* the writer's own, none expected */
    fds0 = count_fds();
    test_child_basics();
    test_child_eintr();
    test_child_signals();
    test_child_quiet(dir);
    test_child_memcap();
    test_child_parent_death();
    test_stc_layouts(dir);
    test_stc_mne_files();
    test_stc_known();
    test_stc_options(dir);
    test_stc_threads(dir);
    test_stc_sigchld_ignored(dir);
    CHECK("no_fd_leak", count_fds() == fds0, "%d fds, %d at the start", count_fds(), fds0);
    CHECK("no_zombie", no_children(), "a child is left");
    remove_dir(dir);
    TU_EXIT();
}
