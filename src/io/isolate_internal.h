/* isolate_internal.h - running code that may crash or hang (third-party parsers) in a forked
 * child process, with a memory cap and deadlines, its result streamed back over a pipe
 * (isolate.c). Not installed. */
#ifndef CPERM_ISOLATE_INTERNAL_H
#define CPERM_ISOLATE_INTERNAL_H

#include "common_internal.h"

#include <sys/types.h>

/* The child's end: the pipe to write the result to, and the address-space limit the caller
 * had (RLIM_INFINITY if none), which a memory cap never exceeds. */
typedef struct cperm_child_io {
    int fd;
    uint64_t as_limit;
} cperm_child_io;

/* Runs in the child; its return value (0..255) becomes the child's exit status. */
typedef int (*cperm_child_fn)(void *ctx, cperm_child_io *io);

/* How a child ended, once cperm_child_finish has reaped it. */
enum {
    CPERM_CHILD_UNKNOWN = 0, /* not reaped here: someone else waited for it (SIGCHLD ignored
                                or a handler calling waitpid(-1)) */
    CPERM_CHILD_EXITED = 1,  /* exit status in `code` */
    CPERM_CHILD_SIGNALED = 2 /* killed by signal `code` (ours: `killed` is set) */
};

/* The parent's handle on one child. */
typedef struct cperm_child {
    pid_t pid;   /* > 0 while not reaped */
    int fd;      /* read end of the result pipe (non-blocking, close-on-exec), or -1 */
    int how;     /* CPERM_CHILD_* after cperm_child_finish */
    int code;    /* exit status or signal number */
    int killed;  /* 1 if cperm_child_finish sent SIGKILL (deadline passed) */
} cperm_child;

/* Seconds on a monotonic clock (CLOCK_MONOTONIC), for deadlines. */
double cperm_monotonic_s(void);

/* Fork a child that runs fn(ctx, io) and _exit()s with its return value, never returning
 * into the caller's code, never running atexit handlers or flushing stdio. Before fn the
 * child: sends stdout and stderr to /dev/null (so that a third-party library's or glibc's
 * complaints do not mix with the caller's output), restores the default action of the
 * crash signals (SEGV, BUS, ILL, FPE, ABRT, TRAP, SYS, PIPE) and of every other signal the
 * caller catches, except that termination requests the caller catches (INT, TERM, HUP,
 * QUIT) are ignored (the caller decides what they mean; Ctrl-C must not turn into a "crash"
 * of the child), asks to be SIGKILLed if the calling thread ends (Linux), and, if mem_extra
 * > 0, caps its address space at its current size + mem_extra bytes (cperm_child_cap).
 * fork() from a multi-threaded process is safe here as long as fn calls only what it
 * needs (glibc's malloc survives fork; OpenMP must not be used in the child).
 * Returns 0, or -1 with errno set (pipe or fork failed; nothing is left open). */
int cperm_child_start(cperm_child *c, cperm_child_fn fn, void *ctx, uint64_t mem_extra);

enum { CPERM_CHILD_READ_OK = 0, CPERM_CHILD_READ_EOF = 1, CPERM_CHILD_READ_TIMEOUT = 2,
       CPERM_CHILD_READ_ERROR = 3 };
/* Read exactly n bytes from the child, waiting (poll, EINTR retried) at most until
 * `deadline` (cperm_monotonic_s). Returns CPERM_CHILD_READ_*: EOF if the child closed the
 * pipe (ended) first, ERROR with errno set. */
int cperm_child_read(cperm_child *c, void *buf, size_t n, double deadline);

/* End the child: wait until it closes the pipe and exits, discarding anything it still
 * sends, at most until `deadline`; then SIGKILL it (unless it is already gone); reap it
 * (waitpid, EINTR retried: no zombie is left - unless a killed child is stuck in an
 * uninterruptible wait for over 5 s, which is then left to init rather than hang the
 * caller) and close the pipe. Fills how/code/killed. Idempotent; a handle whose start
 * failed is a no-op. */
void cperm_child_finish(cperm_child *c, double deadline);

/* In the child: write all n bytes to the pipe (EINTR and short writes handled).
 * Returns 0, or -1 (the parent is gone: EPIPE). */
int cperm_child_write(const cperm_child_io *io, const void *buf, size_t n);

/* In the child: set the address-space limit (RLIMIT_AS) to the process's current size
 * (/proc/self/statm) + extra bytes, never above the caller's own limit. A runaway
 * allocation then fails in the child (malloc returns NULL) instead of exhausting the
 * machine. Returns 0, or -1 if the size cannot be learnt or the limit set (no cap). */
int cperm_child_cap(const cperm_child_io *io, uint64_t extra);

/* "SIGSEGV" etc. for the signals a child may die of; "signal" for others. Never NULL. */
const char *cperm_signal_name(int sig);

/* Non-zero for signals that mean the code crashed (SEGV, BUS, ILL, FPE, ABRT, TRAP, SYS),
 * as opposed to a kill from outside. */
int cperm_signal_is_crash(int sig);

#endif
