/* tool_surf.c - driver for tests/xcheck_surf.py: reads a FreeSurfer surface or curvature
 * file with the library and dumps it raw (native endianness) for comparison with nibabel.
 *   tool_surf surf FILE OUT   -> uint64 nv, uint64 nt, float32 rr[nv*3], int32 tris[nt*3]
 *   tool_surf curv FILE OUT   -> uint64 n, float32 values[n]
 * On a library error: prints "error CODE: MESSAGE" on stderr and exits 3. */
#include "clusterperm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: tool_surf surf|curv FILE OUT\n");
        return 2;
    }
    cperm_err err = {0};
    FILE *f = NULL;
    int rc;
    if (!strcmp(argv[1], "surf")) {
        cperm_surf *s = NULL;
        rc = cperm_surf_read(&s, argv[2], &err);
        if (rc) {
            fprintf(stderr, "error %d: %s\n", rc, err.msg);
            return 3;
        }
        f = fopen(argv[3], "wb");
        uint64_t nv = s->n_vertices, nt = s->n_tris;
        int ok = f && fwrite(&nv, 8, 1, f) == 1 && fwrite(&nt, 8, 1, f) == 1 &&
                 fwrite(s->rr, 4, 3 * s->n_vertices, f) == 3 * s->n_vertices &&
                 fwrite(s->tris, 4, 3 * s->n_tris, f) == 3 * s->n_tris;
        cperm_surf_free(s);
        if (f) ok = (fclose(f) == 0) && ok;
        return ok ? 0 : 1;
    }
    if (!strcmp(argv[1], "curv")) {
        float *v = NULL;
        size_t n = 0;
        rc = cperm_curv_read(&v, &n, argv[2], &err);
        if (rc) {
            fprintf(stderr, "error %d: %s\n", rc, err.msg);
            return 3;
        }
        f = fopen(argv[3], "wb");
        uint64_t n64 = n;
        int ok = f && fwrite(&n64, 8, 1, f) == 1 && fwrite(v, 4, n, f) == n;
        free(v);
        if (f) ok = (fclose(f) == 0) && ok;
        return ok ? 0 : 1;
    }
    fprintf(stderr, "unknown command %s\n", argv[1]);
    return 2;
}
