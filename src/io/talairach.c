/* talairach.c - the subject's FreeSurfer surface RAS -> MNI transform as MNE 1.3's read_talxfm
 * builds it: talairach.xfm (scanner RAS -> MNI, _read_fs_xfm) and the MGH header of orig.mgz
 * or T1.mgz (_get_mgz_header: surface RAS -> scanner RAS), and 3 x 4 affine arithmetic. */
#include "common_internal.h"
#include "fileio_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define XFM_MAX_FILE ((size_t)1 << 20)
#define MGH_HEADER 90 /* version, dims[4], type, dof, goodRASFlag, delta[3], Mdc[9], Pxyz_c[3] */

static const char *nm(const char *name) { return name ? name : "<memory>"; }

void cperm_affine_mul(cperm_affine *c, const cperm_affine *a, const cperm_affine *b) {
    cperm_affine r;
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 4; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++) s += a->m[4 * i + k] * b->m[4 * k + j];
            if (j == 3) s += a->m[4 * i + 3];
            r.m[4 * i + j] = s;
        }
    }
    *c = r;
}

void cperm_affine_apply(double y[3], const cperm_affine *a, const double x[3]) {
    double r[3];
    for (int i = 0; i < 3; i++)
        r[i] = a->m[4 * i] * x[0] + a->m[4 * i + 1] * x[1] + a->m[4 * i + 2] * x[2] +
               a->m[4 * i + 3];
    memcpy(y, r, sizeof r);
}

int cperm_xfm_read_mem(cperm_affine *out, const void *data, size_t size, const char *name,
                       cperm_err *err) {
    if (!out || (!data && size)) return cperm_fail(err, CPERM_EINVAL, "xfm: NULL argument");
    const char *p = data, *end = p + size;
    static const char comp[] = "Linear_Transform";
    int found = 0;
    while (p < end && !found) { /* lines until one starts with Linear_Transform */
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        if ((size_t)(e - p) >= sizeof comp - 1 && !memcmp(p, comp, sizeof comp - 1)) found = 1;
        p = nl ? nl + 1 : end;
    }
    if (!found)
        return cperm_fail(err, CPERM_EFORMAT, "xfm: %s: no 'Linear_Transform' line: not a "
                          "FreeSurfer talairach.xfm", nm(name));
    cperm_affine a;
    for (int row = 0; row < 3; row++) {
        char line[512];
        const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        const char *e = nl ? nl : end;
        size_t n = (size_t)(e - p);
        if (p >= end || n >= sizeof line)
            return cperm_fail(err, CPERM_EFORMAT, "xfm: %s: %s transform row %d after "
                              "Linear_Transform", nm(name), p >= end ? "no" : "an overlong", row + 1);
        memcpy(line, p, n);
        line[n] = '\0';
        p = nl ? nl + 1 : end;
        char *s = line, *q;
        for (int k = 0; k < 4; k++) {
            errno = 0;
            a.m[4 * row + k] = strtod(s, &q);
            if (q == s || errno) {
                return cperm_fail(err, CPERM_EFORMAT, "xfm: %s: transform row %d '%.60s' is not "
                                  "four numbers", nm(name), row + 1, line);
            }
            s = q;
        }
        while (*s == ' ' || *s == '\t' || *s == '\r') s++;
        if (*s == ';') s++;
        while (*s == ' ' || *s == '\t' || *s == '\r') s++;
        if (*s)
            return cperm_fail(err, CPERM_EFORMAT, "xfm: %s: transform row %d '%.60s' is not "
                              "four numbers", nm(name), row + 1, line);
    }
    *out = a;
    return CPERM_OK;
}

int cperm_xfm_read(cperm_affine *out, const char *path, cperm_err *err) {
    unsigned char *buf = NULL;
    size_t size = 0;
    if (!out) return cperm_fail(err, CPERM_EINVAL, "xfm: no output pointer");
    int rc = cperm_read_file(&buf, &size, path, XFM_MAX_FILE, "xfm", err);
    if (rc) return rc;
    rc = cperm_xfm_read_mem(out, buf, size, path, err);
    free(buf);
    return rc;
}

/* 4 x 4 inverse of a 3 x 4 affine's matrix part (the translation handled by the caller). */
static int inv3(double inv[9], const double m[9]) {
    const double det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
                       m[2] * (m[3] * m[7] - m[4] * m[6]);
    if (det == 0) return -1;
    inv[0] = (m[4] * m[8] - m[5] * m[7]) / det;
    inv[1] = (m[2] * m[7] - m[1] * m[8]) / det;
    inv[2] = (m[1] * m[5] - m[2] * m[4]) / det;
    inv[3] = (m[5] * m[6] - m[3] * m[8]) / det;
    inv[4] = (m[0] * m[8] - m[2] * m[6]) / det;
    inv[5] = (m[2] * m[3] - m[0] * m[5]) / det;
    inv[6] = (m[3] * m[7] - m[4] * m[6]) / det;
    inv[7] = (m[1] * m[6] - m[0] * m[7]) / det;
    inv[8] = (m[0] * m[4] - m[1] * m[3]) / det;
    return 0;
}

int cperm_mgh_mri_ras_mem(cperm_affine *out, const void *header, size_t size, const char *name,
                          cperm_err *err) {
    if (!out || (!header && size)) return cperm_fail(err, CPERM_EINVAL, "mgh: NULL argument");
    if (size < MGH_HEADER)
        return cperm_fail(err, CPERM_EFORMAT, "mgh: %s: truncated header (%zu of %d bytes)",
                          nm(name), size, MGH_HEADER);
    const unsigned char *p = header;
    double dims[3], delta[3], mdc[9], c[3];
    for (int i = 0; i < 3; i++) dims[i] = (double)(int32_t)cperm_be32(p + 4 + 4 * i);
    for (int i = 0; i < 3; i++) delta[i] = (double)cperm_be_f32(p + 30 + 4 * i);
    for (int i = 0; i < 9; i++) mdc[i] = (double)cperm_be_f32(p + 42 + 4 * i);
    for (int i = 0; i < 3; i++) c[i] = (double)cperm_be_f32(p + 78 + 4 * i);
    for (int i = 0; i < 3; i++)
        if (!(dims[i] > 0) || !(delta[i] != 0) || delta[i] != delta[i])
            return cperm_fail(err, CPERM_EFORMAT, "mgh: %s: dimension %d has %g voxels of %g mm",
                              nm(name), i, dims[i], delta[i]);
    /* vox2ras = [Mdc . diag(delta) | Pxyz_c - Mdc . diag(delta) . dims / 2]; header['Mdc']
     * holds rows x_ras, y_ras, z_ras, and MNE takes its transpose (columns) */
    cperm_affine v2r;
    for (int i = 0; i < 3; i++) {
        double t = c[i];
        for (int j = 0; j < 3; j++) {
            v2r.m[4 * i + j] = (double)((float)mdc[3 * j + i] * (float)delta[j]); /* float32 */
            t -= mdc[3 * j + i] * (delta[j] * (dims[j] / 2.0));
        }
        v2r.m[4 * i + 3] = t;
    }
    /* vox2ras_tkr, in float32 as MNE builds it */
    const float ns0 = (float)(dims[0] * delta[0] / 2.0), ns1 = (float)(dims[1] * delta[1] / 2.0),
                ns2 = (float)(dims[2] * delta[2] / 2.0);
    const double tkr[9] = {-(double)(float)delta[0], 0, 0, 0, 0, (double)(float)delta[2],
                           0, -(double)(float)delta[1], 0};
    const double tt[3] = {(double)ns0, -(double)ns2, (double)ns1};
    double inv[9];
    if (inv3(inv, tkr))
        return cperm_fail(err, CPERM_EFORMAT, "mgh: %s: singular vox2ras_tkr", nm(name));
    cperm_affine itkr; /* inverse of [tkr | tt]: [inv | -inv . tt] */
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) itkr.m[4 * i + j] = inv[3 * i + j];
        itkr.m[4 * i + 3] = -(inv[3 * i] * tt[0] + inv[3 * i + 1] * tt[1] + inv[3 * i + 2] * tt[2]);
    }
    cperm_affine_mul(out, &v2r, &itkr); /* mri -> voxel -> ras */
    return CPERM_OK;
}

int cperm_mgh_mri_ras(cperm_affine *out, const char *path, cperm_err *err) {
    if (!out || !path) return cperm_fail(err, CPERM_EINVAL, "mgh: NULL argument");
    if (!cperm_path_exists(path))
        return cperm_fail(err, CPERM_ENOTFOUND, "mgh: %s: no such file", path);
    gzFile f = gzopen(path, "rb"); /* reads plain .mgh files too */
    if (!f) return cperm_fail(err, CPERM_EIO, "mgh: %s: cannot open", path);
    unsigned char hdr[MGH_HEADER];
    const int n = gzread(f, hdr, MGH_HEADER);
    gzclose(f);
    if (n < 0) return cperm_fail(err, CPERM_EIO, "mgh: %s: cannot read (corrupt gzip?)", path);
    return cperm_mgh_mri_ras_mem(out, hdr, (size_t)n, path, err);
}
