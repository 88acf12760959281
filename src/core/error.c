/* error.c - error codes, their descriptions, and the detail carried in cperm_err; the
 * overflow-checked allocators every layer uses. */
#include "common_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

const char *cperm_strerror(int code) {
    switch (code) {
    case CPERM_OK: return "success";
    case CPERM_EINVAL: return "invalid argument";
    case CPERM_ENOMEM: return "out of memory";
    case CPERM_EIO: return "input/output error";
    case CPERM_EFORMAT: return "corrupt or truncated file";
    case CPERM_EUNSUPPORTED: return "not supported";
    case CPERM_EMISMATCH: return "inputs do not match";
    case CPERM_ECANCELLED: return "cancelled";
    case CPERM_ENOTFOUND: return "not found";
    default: return "unknown error";
    }
}

int cperm_fail(cperm_err *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void *cperm_calloc(size_t n, size_t size) {
    if (n == 0 || size == 0) return calloc(1, 1);
    if (n > SIZE_MAX / size) return NULL;
    return calloc(n, size);
}

void *cperm_malloc(size_t n, size_t size) {
    if (n == 0 || size == 0) return malloc(1);
    if (n > SIZE_MAX / size) return NULL;
    return malloc(n * size);
}

void *cperm_malloc_huge(size_t n, size_t size) {
    if (n == 0 || size == 0) return malloc(1);
    if (n > SIZE_MAX / size) return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    enum { HUGE_PAGE = 2 << 20 };
    const size_t bytes = n * size;
    if (bytes >= 2 * (size_t)HUGE_PAGE && bytes <= SIZE_MAX - HUGE_PAGE) {
        const size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        void *p = aligned_alloc(HUGE_PAGE, rounded);
        if (p) (void)madvise(p, rounded, MADV_HUGEPAGE); /* advice only: may be refused */
        return p;
    }
#endif
    return malloc(n * size);
}

