/* tool_npy.c - driver for tests/xcheck_npy.py: reads a .npy file through the library and
 * prints what it read, so that the script compares it with numpy bit for bit.
 *
 *   tool_npy read PATH        cperm_npy_read
 *   tool_npy readmem PATH     cperm_npy_read_mem on the file's bytes (name "mem:PATH")
 *   tool_npy write PATH DTYPE OUT   reads PATH, writes it again with cperm_npy_format
 *                             (DTYPE <f8 or <i4) to OUT, for the script to compare with np.save
 *
 * Output: "ndim N", "shape D0 D1 ...", "dtype DESCR", "fortran F", "size S", then one line
 * per value in C order: the float64's bits as 16 hex digits. On error: prints
 * "error CODE: message" to stderr and exits with status 2. */
#include "clusterperm.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0, got;
    if (!f) return NULL;
    do {
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap ? 2 * cap : 4096);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap = cap ? 2 * cap : 4096;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    *size = n;
    return buf;
}

int main(int argc, char **argv) {
    cperm_npy *arr = NULL;
    cperm_err err = {0};
    int rc;
    if (argc == 5 && !strcmp(argv[1], "write")) {
        unsigned char *bytes = NULL;
        size_t len = 0;
        rc = cperm_npy_read(&arr, argv[2], &err);
        if (!rc) rc = cperm_npy_format(&bytes, &len, arr->data, arr->shape, arr->ndim, argv[3], &err);
        cperm_npy_free(arr);
        if (rc) {
            fprintf(stderr, "error %d: %s\n", rc, err.msg);
            return 2;
        }
        FILE *f = fopen(argv[4], "wb");
        int bad = !f || fwrite(bytes, 1, len, f) != len;
        if (f && fclose(f)) bad = 1;
        free(bytes);
        return bad ? 1 : 0;
    }
    if (argc != 3 || (strcmp(argv[1], "read") && strcmp(argv[1], "readmem"))) {
        fprintf(stderr, "usage: tool_npy read|readmem PATH | write PATH DTYPE OUT\n");
        return 1;
    }
    if (!strcmp(argv[1], "read")) {
        rc = cperm_npy_read(&arr, argv[2], &err);
    } else {
        size_t size = 0;
        char name[4096];
        unsigned char *buf = slurp(argv[2], &size);
        if (!buf) {
            perror(argv[2]);
            return 1;
        }
        snprintf(name, sizeof name, "mem:%s", argv[2]);
        rc = cperm_npy_read_mem(&arr, buf, size, name, &err);
        free(buf);
    }
    if (rc) {
        fprintf(stderr, "error %d: %s\n", rc, err.msg);
        return 2;
    }
    printf("ndim %zu\nshape", arr->ndim);
    for (size_t d = 0; d < arr->ndim; d++) printf(" %zu", arr->shape[d]);
    printf("\ndtype %s\nfortran %d\nsize %zu\n", arr->dtype, arr->fortran_order, arr->size);
    for (size_t k = 0; k < arr->size; k++) {
        uint64_t u;
        memcpy(&u, &arr->data[k], sizeof u);
        printf("%016" PRIx64 "\n", u);
    }
    cperm_npy_free(arr);
    return 0;
}
