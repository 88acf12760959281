/* npy_internal.h - the .npy pieces other readers of the io layer share (npz.c). */
#ifndef CPERM_NPY_INTERNAL_H
#define CPERM_NPY_INTERNAL_H

#include "common_internal.h"

/* A 0-d numpy text array ('|S<n>' bytes or '<U<n>' UTF-32, as np.save writes a str or bytes
 * scalar) into buf (cap bytes with the NUL): printable ASCII only, trailing NULs dropped.
 * Errors (naming `name`): CPERM_EFORMAT (not a .npy, another dtype or shape, other
 * characters, longer than cap - 1), CPERM_EUNSUPPORTED (format version). */
int cperm_npy_read_text_mem(char *buf, size_t cap, const void *data, size_t size,
                            const char *name, cperm_err *err);

#endif
