/* tool_stc.c - driver for tests/xcheck_stc.py: reads/writes source estimates through the
 * library and dumps them in a simple binary layout that the script compares with MNE.
 *
 *   tool_stc dump PATH OUT.bin             cperm_stc_read, then dump
 *   tool_stc readmem FILE.stc OUT.bin      cperm_stc_read_mem on the file's bytes, dump
 *   tool_stc roundtrip IN OUT_STEM         cperm_stc_read, then cperm_stc_write
 *   tool_stc magnitude PATH OUT.bin        read, cperm_stc_magnitude, dump
 *   tool_stc crop PATH TMIN TMAX OUT.bin   read, cperm_stc_crop ("nan" = no limit), dump
 *
 *   tool_stc dumpany PATH OUT.bin          cperm_stc_read_any (every kind), then dump
 *   tool_stc readvolmem FILE OUT.bin       cperm_stc_read_vol_mem on the file's bytes, dump
 *   tool_stc writevol IN OUT               cperm_stc_read_any, then cperm_stc_write_vol
 *
 * Dump layout (host byte order): "CPSTC002", uint64 kind, n_blocks (n_hemis), n_orient,
 * n_times, float64 tmin, tstep, char subject[64], uint64 n_vertices[n_blocks], uint32
 * vertices (block after block), float64 data (n_vertices x n_orient x n_times). On error: prints
 * "error CODE: message" to stderr and exits with status 2. */
#include "clusterperm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int die(int code, const cperm_err *err) {
    fprintf(stderr, "error %d: %s\n", code, err->msg);
    return 2;
}

static int dump(const cperm_stc *stc, const char *path) {
    FILE *f = fopen(path, "wb");
    uint64_t hdr[4];
    size_t rows = 0, h;
    char subject[64];
    if (!f) {
        perror(path);
        return 1;
    }
    hdr[0] = (uint64_t)stc->kind;
    hdr[1] = stc->n_hemis;
    hdr[2] = stc->n_orient;
    hdr[3] = stc->n_times;
    memset(subject, 0, sizeof subject);
    memcpy(subject, stc->subject, sizeof subject);
    fwrite("CPSTC002", 1, 8, f);
    fwrite(hdr, sizeof hdr[0], 4, f);
    fwrite(&stc->tmin, sizeof(double), 1, f);
    fwrite(&stc->tstep, sizeof(double), 1, f);
    fwrite(subject, 1, sizeof subject, f);
    for (h = 0; h < stc->n_hemis; h++) {
        uint64_t nv = stc->n_vertices[h];
        fwrite(&nv, sizeof nv, 1, f);
    }
    for (h = 0; h < stc->n_hemis; h++) {
        fwrite(stc->vertices[h], sizeof(uint32_t), stc->n_vertices[h], f);
        rows += stc->n_vertices[h];
    }
    fwrite(stc->data, sizeof(double), rows * stc->n_orient * stc->n_times, f);
    if (fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

static int read_whole(const char *path, unsigned char **buf, size_t *size) {
    FILE *f = fopen(path, "rb");
    long n;
    if (!f) return -1;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return -1;
    }
    *buf = malloc((size_t)n + 1);
    if (!*buf || fread(*buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        return -1;
    }
    *size = (size_t)n;
    fclose(f);
    return 0;
}

int main(int argc, char **argv) {
    cperm_err err = {0, ""};
    cperm_stc *stc = NULL;
    int rc, status;

    if (argc == 4 && strcmp(argv[1], "dump") == 0) {
        if ((rc = cperm_stc_read(&stc, argv[2], &err))) return die(rc, &err);
        status = dump(stc, argv[3]);
    } else if (argc == 4 && strcmp(argv[1], "readmem") == 0) {
        unsigned char *buf = NULL;
        size_t size = 0;
        if (read_whole(argv[2], &buf, &size) != 0) {
            perror(argv[2]);
            return 1;
        }
        rc = cperm_stc_read_mem(&stc, buf, size, argv[2], &err);
        free(buf);
        if (rc) return die(rc, &err);
        status = dump(stc, argv[3]);
    } else if (argc == 4 && strcmp(argv[1], "dumpany") == 0) {
        if ((rc = cperm_stc_read_any(&stc, argv[2], NULL, &err))) return die(rc, &err);
        status = dump(stc, argv[3]);
    } else if (argc == 4 && strcmp(argv[1], "readvolmem") == 0) {
        unsigned char *buf = NULL;
        size_t size = 0;
        if (read_whole(argv[2], &buf, &size) != 0) {
            perror(argv[2]);
            return 1;
        }
        rc = cperm_stc_read_vol_mem(&stc, buf, size, argv[2], &err);
        free(buf);
        if (rc) return die(rc, &err);
        status = dump(stc, argv[3]);
    } else if (argc == 4 && strcmp(argv[1], "writevol") == 0) {
        if ((rc = cperm_stc_read_any(&stc, argv[2], NULL, &err))) return die(rc, &err);
        if ((rc = cperm_stc_write_vol(stc, argv[3], &err))) {
            cperm_stc_free(stc);
            return die(rc, &err);
        }
        status = 0;
    } else if (argc == 4 && strcmp(argv[1], "roundtrip") == 0) {
        if ((rc = cperm_stc_read(&stc, argv[2], &err))) return die(rc, &err);
        if ((rc = cperm_stc_write(stc, argv[3], &err))) {
            cperm_stc_free(stc);
            return die(rc, &err);
        }
        status = 0;
    } else if (argc == 4 && strcmp(argv[1], "magnitude") == 0) {
        if ((rc = cperm_stc_read(&stc, argv[2], &err))) return die(rc, &err);
        if ((rc = cperm_stc_magnitude(stc, &err))) {
            cperm_stc_free(stc);
            return die(rc, &err);
        }
        status = dump(stc, argv[3]);
    } else if (argc == 6 && strcmp(argv[1], "crop") == 0) {
        double tmin = strtod(argv[3], NULL), tmax = strtod(argv[4], NULL);
        if ((rc = cperm_stc_read(&stc, argv[2], &err))) return die(rc, &err);
        if ((rc = cperm_stc_crop(stc, tmin, tmax, &err))) {
            cperm_stc_free(stc);
            return die(rc, &err);
        }
        status = dump(stc, argv[5]);
    } else {
        fprintf(stderr, "usage: tool_stc dump|dumpany|readmem|readvolmem|roundtrip|writevol|magnitude|crop ...\n");
        return 1;
    }
    cperm_stc_free(stc);
    return status;
}
