/* error.c - error codes, their descriptions, and the detail carried in cperm_err. */
#include "common_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
