/* tool_src.c - test driver for source spaces and their adjacency (public API only).
 *
 *   tool_src dump IN OUT.bin   read IN, write its contents and cperm_graph_from_src to OUT.bin
 *   tool_src copy IN OUT       read IN and write it again with cperm_src_write
 *   tool_src check IN          read IN only; exit 0 or print "error CODE: MESSAGE"
 *   tool_src ico GRADE OUT     write cperm_src_create_ico(GRADE, 0.1 m) with cperm_src_write
 *
 * OUT.bin (native byte order, read by tests/xcheck_src.py): "CPSD", int64 n_hemis, then per
 * hemisphere int64 type, id, coord_frame, np, ntri, nuse, nuse_tri, has_tris, has_use_tris,
 * char subject[64], float32 rr[np*3], nn[np*3], int32 tris[ntri*3] (if has_tris),
 * int32 inuse[np], int32 vertno[nuse], int32 use_tris[nuse_tri*3] (if has_use_tris); then
 * int64 graph_rc, and if 0: int64 n_vertices, int64 nnz, int64 indptr[n+1], int32 indices[nnz];
 * otherwise char message[512]. Then the volume fields (zero for other spaces): "CPVL", and per
 * space int64 shape[3]; three transforms src_mri_t, vox_mri_t, mri_ras_t, each int64 present,
 * from, to and float64 trans[16]; int64 mri_width, mri_height, mri_depth, interp_rows,
 * interp_cols, interp_nnz, has_interp; if has_interp int64 indptr[rows+1], int32
 * indices[nnz], float32 data[nnz]; then seg_name, mri_file, mri_volume_name, each as int64
 * length (-1 for NULL) and its bytes. */
#include "clusterperm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_i64(FILE *f, long long v) {
    int64_t x = (int64_t)v;
    fwrite(&x, sizeof x, 1, f);
}

static void put_trans(FILE *f, const cperm_coord_trans *t) {
    put_i64(f, t->present);
    put_i64(f, t->from);
    put_i64(f, t->to);
    fwrite(t->trans, sizeof(double), 16, f);
}

static void put_str(FILE *f, const char *s) {
    put_i64(f, s ? (long long)strlen(s) : -1);
    if (s) fwrite(s, 1, strlen(s), f);
}

static void put_volume(FILE *f, const cperm_srcspace *src) {
    fwrite("CPVL", 1, 4, f);
    for (size_t h = 0; h < src->n_hemis; h++) {
        const cperm_src_hemi *s = &src->hemis[h];
        for (int k = 0; k < 3; k++) put_i64(f, (long long)s->shape[k]);
        put_trans(f, &s->src_mri_t);
        put_trans(f, &s->vox_mri_t);
        put_trans(f, &s->mri_ras_t);
        put_i64(f, (long long)s->mri_width);
        put_i64(f, (long long)s->mri_height);
        put_i64(f, (long long)s->mri_depth);
        put_i64(f, (long long)s->interp_rows);
        put_i64(f, (long long)s->interp_cols);
        put_i64(f, (long long)s->interp_nnz);
        put_i64(f, s->interp_indptr != NULL);
        if (s->interp_indptr) {
            for (size_t r = 0; r <= s->interp_rows; r++) put_i64(f, (long long)s->interp_indptr[r]);
            fwrite(s->interp_indices, sizeof(int32_t), s->interp_nnz, f);
            fwrite(s->interp_data, sizeof(float), s->interp_nnz, f);
        }
        put_str(f, s->seg_name);
        put_str(f, s->mri_file);
        put_str(f, s->mri_volume_name);
    }
}

static int dump(const char *in, const char *out) {
    cperm_srcspace *src = NULL;
    cperm_graph *g = NULL;
    cperm_err err = {0};
    FILE *f;
    int rc = cperm_src_read(&src, in, &err);
    if (rc < 0) {
        printf("error %d: %s\n", rc, err.msg);
        return 2;
    }
    f = fopen(out, "wb");
    if (!f) {
        cperm_src_free(src);
        return 3;
    }
    fwrite("CPSD", 1, 4, f);
    put_i64(f, (long long)src->n_hemis);
    for (size_t h = 0; h < src->n_hemis; h++) {
        const cperm_src_hemi *s = &src->hemis[h];
        put_i64(f, s->type);
        put_i64(f, s->id);
        put_i64(f, s->coord_frame);
        put_i64(f, (long long)s->np);
        put_i64(f, (long long)s->ntri);
        put_i64(f, (long long)s->nuse);
        put_i64(f, (long long)s->nuse_tri);
        put_i64(f, s->tris != NULL);
        put_i64(f, s->use_tris != NULL);
        fwrite(s->subject, 1, sizeof s->subject, f);
        fwrite(s->rr, sizeof(float), 3 * s->np, f);
        fwrite(s->nn, sizeof(float), 3 * s->np, f);
        if (s->tris) fwrite(s->tris, sizeof(int32_t), 3 * s->ntri, f);
        fwrite(s->inuse, sizeof(int32_t), s->np, f);
        fwrite(s->vertno, sizeof(int32_t), s->nuse, f);
        if (s->use_tris) fwrite(s->use_tris, sizeof(int32_t), 3 * s->nuse_tri, f);
    }
    memset(&err, 0, sizeof err);
    rc = cperm_graph_from_src(&g, src, &err);
    put_i64(f, rc);
    if (rc == 0) {
        put_i64(f, (long long)g->n_vertices);
        put_i64(f, (long long)g->indptr[g->n_vertices]);
        for (size_t i = 0; i <= g->n_vertices; i++) put_i64(f, (long long)g->indptr[i]);
        fwrite(g->indices, sizeof(int32_t), g->indptr[g->n_vertices], f);
    } else {
        fwrite(err.msg, 1, sizeof err.msg, f);
    }
    put_volume(f, src);
    rc = fclose(f) == 0 ? 0 : 3;
    cperm_graph_free(g);
    cperm_src_free(src);
    return rc;
}

static int copy(const char *in, const char *out) {
    cperm_srcspace *src = NULL;
    cperm_err err = {0};
    int rc = cperm_src_read(&src, in, &err);
    if (rc == 0) rc = cperm_src_write(src, out, &err);
    cperm_src_free(src);
    if (rc < 0) {
        printf("error %d: %s\n", rc, err.msg);
        return 2;
    }
    return 0;
}

static int check(const char *in) {
    cperm_srcspace *src = NULL;
    cperm_err err = {0};
    int rc = cperm_src_read(&src, in, &err);
    cperm_src_free(src);
    if (rc < 0) {
        printf("error %d: %s\n", rc, err.msg);
        return 2;
    }
    printf("ok\n");
    return 0;
}

static int ico(const char *grade, const char *out) {
    cperm_srcspace *src = NULL;
    cperm_err err = {0};
    int rc = cperm_src_create_ico(&src, atoi(grade), 0.1, &err);
    if (rc == 0) rc = cperm_src_write(src, out, &err);
    cperm_src_free(src);
    if (rc < 0) {
        printf("error %d: %s\n", rc, err.msg);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "dump") == 0) return dump(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "copy") == 0) return copy(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "check") == 0) return check(argv[2]);
    if (argc == 4 && strcmp(argv[1], "ico") == 0) return ico(argv[2], argv[3]);
    fprintf(stderr, "usage: tool_src dump IN OUT.bin | copy IN OUT | check IN | ico GRADE OUT\n");
    return 64;
}
