/* tool_npz.c - driver for tests/xcheck_npz.py: reads a scipy save_npz file as a graph
 * through the library and prints it, so that the script compares it with scipy's matrix.
 *
 *   tool_npz read PATH        cperm_graph_read_npz
 *   tool_npz readmem PATH     cperm_graph_read_npz_mem on the file's bytes (name "mem:PATH")
 *
 * Output: "n N", then one line per vertex: its sorted neighbours, space-separated. On error:
 * "error CODE: message" on stderr and status 2. */
#include "clusterperm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    cperm_graph *g = NULL;
    cperm_err err = {0};
    int rc;
    if (argc != 3 || (strcmp(argv[1], "read") && strcmp(argv[1], "readmem"))) {
        fprintf(stderr, "usage: tool_npz read|readmem PATH\n");
        return 1;
    }
    if (!strcmp(argv[1], "read")) {
        rc = cperm_graph_read_npz(&g, argv[2], &err);
    } else {
        FILE *f = fopen(argv[2], "rb");
        if (!f) {
            perror(argv[2]);
            return 1;
        }
        size_t cap = 1 << 16, n = 0, got;
        unsigned char *buf = malloc(cap);
        while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
            n += got;
            if (n == cap) {
                unsigned char *nb = realloc(buf, cap *= 2);
                if (!nb) free(buf);
                buf = nb;
            }
        }
        fclose(f);
        if (!buf) return 1;
        char name[4096];
        snprintf(name, sizeof name, "mem:%s", argv[2]);
        rc = cperm_graph_read_npz_mem(&g, buf, n, name, &err);
        free(buf);
    }
    if (rc) {
        fprintf(stderr, "error %d: %s\n", rc, err.msg);
        return 2;
    }
    printf("n %zu\n", g->n_vertices);
    for (size_t v = 0; v < g->n_vertices; v++) {
        for (size_t k = g->indptr[v]; k < g->indptr[v + 1]; k++)
            printf(k > g->indptr[v] ? " %d" : "%d", g->indices[k]);
        printf("\n");
    }
    cperm_graph_free(g);
    return 0;
}
