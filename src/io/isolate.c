/* isolate.c - a forked child process with a memory cap and deadlines, for code that may
 * crash or hang (libhdf5 on corrupt files), its result read back over a pipe. */
#define _GNU_SOURCE /* pipe2, F_SETPIPE_SZ */
#include "isolate_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#ifdef NSIG
#define ISO_NSIG NSIG
#else
#define ISO_NSIG 65
#endif

/* The pipe's capacity: 1 MiB (Linux's default limit for unprivileged processes) instead of
 * 64 KiB makes streaming tens of MB of data take a sixteenth of the wake-ups. */
#define ISO_PIPE_SIZE (1 << 20)

double cperm_monotonic_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cperm_signal_is_crash(int sig) {
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
           sig == SIGABRT || sig == SIGTRAP || sig == SIGSYS;
}

const char *cperm_signal_name(int sig) {
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
    case SIGTRAP: return "SIGTRAP";
    case SIGSYS: return "SIGSYS";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    case SIGQUIT: return "SIGQUIT";
    case SIGPIPE: return "SIGPIPE";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    case SIGUSR1: return "SIGUSR1";
    case SIGUSR2: return "SIGUSR2";
    case SIGALRM: return "SIGALRM";
    default: return "signal";
    }
}

/* Signal dispositions for the child (see cperm_child_start). sigaction is async-signal-safe. */
static void child_signals(void) {
    struct sigaction sa, old;
    int sig;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    for (sig = 1; sig < ISO_NSIG; sig++) {
        int caught;
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        if (sigaction(sig, NULL, &old) != 0) continue; /* glibc-reserved realtime signals */
        caught = (old.sa_flags & SA_SIGINFO) ||
                 (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN);
        if (cperm_signal_is_crash(sig) || sig == SIGPIPE)
            sa.sa_handler = SIG_DFL;
        else if (!caught)
            continue;
        else if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT)
            sa.sa_handler = SIG_IGN;
        else
            sa.sa_handler = SIG_DFL;
        sigaction(sig, &sa, NULL);
    }
}

static void child_quiet_output(void) {
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0) return; /* keep the caller's: better noise than writing into a random fd */
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO) close(fd);
}

int cperm_child_cap(const cperm_child_io *io, uint64_t extra) {
    char buf[64];
    unsigned long long pages = 0;
    long page = sysconf(_SC_PAGESIZE);
    uint64_t size, want;
    struct rlimit rl;
    ssize_t n;
    int fd = open("/proc/self/statm", O_RDONLY);
    if (fd < 0 || page <= 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = '\0';
    if (sscanf(buf, "%llu", &pages) != 1 || pages == 0) return -1;
    if (pages > UINT64_MAX / (uint64_t)page) return -1;
    size = (uint64_t)pages * (uint64_t)page;
    want = extra > UINT64_MAX - size ? UINT64_MAX : size + extra;
    if (getrlimit(RLIMIT_AS, &rl) != 0) return -1;
    if (io->as_limit != (uint64_t)RLIM_INFINITY && want > io->as_limit) want = io->as_limit;
    if (rl.rlim_max != RLIM_INFINITY && want > (uint64_t)rl.rlim_max) want = rl.rlim_max;
    if ((uint64_t)(rlim_t)want != want) return -1;
    rl.rlim_cur = (rlim_t)want;
    return setrlimit(RLIMIT_AS, &rl) == 0 ? 0 : -1;
}

int cperm_child_start(cperm_child *c, cperm_child_fn fn, void *ctx, uint64_t mem_extra) {
    int pfd[2], saved;
    struct rlimit rl;
    pid_t parent = getpid(), pid;

    c->pid = 0;
    c->fd = -1;
    c->how = CPERM_CHILD_UNKNOWN;
    c->code = 0;
    c->killed = 0;
    if (pipe2(pfd, O_CLOEXEC) != 0) return -1;
#ifdef F_SETPIPE_SZ
    (void)fcntl(pfd[1], F_SETPIPE_SZ, ISO_PIPE_SIZE); /* a hint: 64 KiB works too */
#endif
    pid = fork();
    if (pid < 0) {
        saved = errno;
        close(pfd[0]);
        close(pfd[1]);
        errno = saved;
        return -1;
    }
    if (pid == 0) {
        cperm_child_io io;
        close(pfd[0]);
#ifdef __linux__
        /* Dies with the thread that forked it, even if that is SIGKILLed before it can
         * clean up; checked after the call in case the parent already went. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(125);
#endif
        child_signals();
        child_quiet_output();
        io.fd = pfd[1];
        io.as_limit = getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                          ? (uint64_t)rl.rlim_cur
                          : (uint64_t)RLIM_INFINITY;
        if (mem_extra > 0) (void)cperm_child_cap(&io, mem_extra);
        _exit(fn(ctx, &io) & 0xff);
    }
    close(pfd[1]);
    (void)fcntl(pfd[0], F_SETFL, fcntl(pfd[0], F_GETFL) | O_NONBLOCK);
    c->pid = pid;
    c->fd = pfd[0];
    return 0;
}

/* Wait until fd is readable or the deadline passes: 1 readable (or hung up), 0 timeout,
 * -1 error. */
static int wait_readable(int fd, double deadline) {
    for (;;) {
        struct pollfd p;
        double left = deadline - cperm_monotonic_s();
        int ms, r;
        if (left <= 0) return 0;
        ms = left * 1000.0 >= (double)INT_MAX ? INT_MAX : (int)ceil(left * 1000.0);
        p.fd = fd;
        p.events = POLLIN;
        p.revents = 0;
        r = poll(&p, 1, ms < 1 ? 1 : ms);
        if (r > 0) return 1;
        if (r < 0 && errno != EINTR) return -1;
    }
}

int cperm_child_read(cperm_child *c, void *buf, size_t n, double deadline) {
    unsigned char *p = buf;
    size_t done = 0;
    if (c->fd < 0) return CPERM_CHILD_READ_EOF;
    while (done < n) {
        ssize_t k = read(c->fd, p + done, n - done);
        if (k > 0) {
            done += (size_t)k;
            continue;
        }
        if (k == 0) return CPERM_CHILD_READ_EOF;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return CPERM_CHILD_READ_ERROR;
        switch (wait_readable(c->fd, deadline)) {
        case 1: break;
        case 0: return CPERM_CHILD_READ_TIMEOUT;
        default: return CPERM_CHILD_READ_ERROR;
        }
    }
    return CPERM_CHILD_READ_OK;
}

/* Drain the pipe until EOF (1) or the deadline (0). */
static int drain_to_eof(int fd, double deadline) {
    unsigned char junk[4096];
    for (;;) {
        ssize_t k = read(fd, junk, sizeof junk);
        if (k > 0) continue;
        if (k == 0) return 1;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return 1; /* nothing more to learn */
        if (wait_readable(fd, deadline) <= 0) return 0;
    }
}

static void record(cperm_child *c, int status) {
    if (WIFEXITED(status)) {
        c->how = CPERM_CHILD_EXITED;
        c->code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        c->how = CPERM_CHILD_SIGNALED;
        c->code = WTERMSIG(status);
    }
}

/* Reap the child if it has ended by `until`, polling (20 us doubling to 1 ms: a child that
 * has closed its pipe is usually gone within microseconds). 1 reaped, 0 still running at
 * `until`, -1 not ours to reap (someone else already did). */
static int reap_by(cperm_child *c, double until) {
    long ns = 20000;
    for (;;) {
        int status;
        pid_t r = waitpid(c->pid, &status, WNOHANG);
        if (r == c->pid) {
            record(c, status);
            return 1;
        }
        if (r < 0 && errno != EINTR) return -1;
        if (r == 0) {
            struct timespec ts;
            if (cperm_monotonic_s() >= until) return 0;
            ts.tv_sec = 0;
            ts.tv_nsec = ns;
            nanosleep(&ts, NULL);
            if (ns < 1000000) ns *= 2;
        }
    }
}

/* SIGKILL the child unless it has already ended: a zombie must not be killed (harmless) and
 * a child someone else reaped must not be (its pid may belong to another process by now). */
static void kill_if_alive(cperm_child *c) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) return;
    if (si.si_pid == c->pid) return; /* exited, waiting to be reaped */
    if (kill(c->pid, SIGKILL) == 0) c->killed = 1;
}

/* How long a SIGKILLed child may take to die. Only a child stuck in an uninterruptible
 * wait (a dead NFS server) takes longer; it is then left to become init's zombie rather
 * than hang the caller. */
#define ISO_KILL_WAIT_S 5.0

void cperm_child_finish(cperm_child *c, double deadline) {
    if (c->pid > 0) {
        /* EOF: the child has closed its end, i.e. it is exiting; give it until the
         * deadline to become reapable, then stop it. */
        int eof = c->fd < 0 || drain_to_eof(c->fd, deadline);
        int r = eof ? reap_by(c, deadline) : 0;
        if (r == 0) {
            kill_if_alive(c);
            r = reap_by(c, cperm_monotonic_s() + ISO_KILL_WAIT_S);
        }
        if (r != 1) c->how = CPERM_CHILD_UNKNOWN;
        c->pid = 0;
    }
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
}

int cperm_child_write(const cperm_child_io *io, const void *buf, size_t n) {
    const unsigned char *p = buf;
    while (n > 0) {
        ssize_t k = write(io->fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}
