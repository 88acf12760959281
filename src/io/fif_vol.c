/* fif_vol.c - the volume part of a -src.fif source space: grid shape, coordinate
 * transforms, the parent MRI's dimensions and names, and the sparse interpolator, read as
 * MNE 1.3's _read_one_source_space reads a 'vol' space (the tag walk is fif.c's). */
#include "fif_internal.h"

#include <stdlib.h>

void cperm_fif_vol_note_space_tag(cperm_fif_vol_tags *vt, const cperm_fif_tag *tag) {
    if (tag->kind == CPERM_FIFF_MNE_SOURCE_SPACE_VOXEL_DIMS && !vt->have_dims) {
        vt->have_dims = 1;
        vt->dims = *tag;
    } else if (tag->kind == CPERM_FIFF_COORD_TRANS && !vt->have_trans) {
        vt->have_trans = 1;
        vt->trans = *tag;
    } else if (tag->kind == CPERM_FIFF_COMMENT && !vt->have_comment) {
        vt->have_comment = 1;
        vt->comment = *tag;
    }
}

/* The `from` and `to` frames of a transform tag, or -1 if it is too short to say. */
static int32_t trans_frame(const cperm_fif_tag *tag, size_t offset) {
    return tag->size >= offset + 4 ? (int32_t)cperm_be32(tag->data + offset) : -1;
}

void cperm_fif_vol_note_mri_tag(cperm_fif_vol_tags *vt, const cperm_fif_tag *tag) {
    /* first wins: find_tag */
    struct { int32_t kind; int *have; cperm_fif_tag *slot; } first[] = {
        {CPERM_FIFF_MNE_SOURCE_SPACE_INTERPOLATOR, &vt->have_interp, &vt->interp},
        {CPERM_FIFF_MNE_SOURCE_SPACE_MRI_FILE, &vt->have_mri_file, &vt->mri_file},
        {CPERM_FIFF_MRI_WIDTH, &vt->have_width, &vt->width},
        {CPERM_FIFF_MRI_HEIGHT, &vt->have_height, &vt->height},
        {CPERM_FIFF_MRI_DEPTH, &vt->have_depth, &vt->depth},
        {CPERM_FIFF_MNE_FILE_NAME, &vt->have_volume_name, &vt->volume_name}};
    if (tag->kind == CPERM_FIFF_COORD_TRANS) {
        /* MNE reads every transform of the block; later ones replace earlier ones. */
        if (trans_frame(tag, 0) == CPERM_COORD_MRI_VOXEL) {
            vt->have_vox = 1;
            vt->vox = *tag;
        }
        if (trans_frame(tag, 4) == CPERM_COORD_RAS) {
            vt->have_ras = 1;
            vt->ras = *tag;
        }
        return;
    }
    for (size_t k = 0; k < sizeof first / sizeof first[0]; k++)
        if (tag->kind == first[k].kind && !*first[k].have) {
            *first[k].have = 1;
            *first[k].slot = *tag;
        }
}

void cperm_fif_vol_clear(cperm_src_hemi *hm) {
    free(hm->interp_indptr);
    free(hm->interp_indices);
    free(hm->interp_data);
    free(hm->seg_name);
    free(hm->mri_file);
    free(hm->mri_volume_name);
    hm->interp_indptr = NULL;
    hm->interp_indices = NULL;
    hm->interp_data = NULL;
    hm->seg_name = hm->mri_file = hm->mri_volume_name = NULL;
}

/* FIFFT_COORD_TRANS_STRUCT: from, to, rotation (3 x 3, row-major) and translation (3) as
 * float32, then the inverse, which MNE skips (so do we). */
static int read_trans(cperm_coord_trans *out, const cperm_fif_tag *tag, const char *what,
                      const char *name, size_t h, cperm_err *err) {
    if (tag->type != CPERM_FIFFT_COORD_TRANS_STRUCT || tag->size != CPERM_FIFF_COORD_TRANS_BYTES)
        return cperm_fail(err, CPERM_EFORMAT,
                          "%s: source space %zu: %s is not a coordinate transformation (type %u, %zu bytes; "
                          "expected type %d, %d bytes)", name, h, what, (unsigned)tag->type, tag->size,
                          CPERM_FIFFT_COORD_TRANS_STRUCT, CPERM_FIFF_COORD_TRANS_BYTES);
    memset(out, 0, sizeof *out);
    out->present = 1;
    out->from = (int32_t)cperm_be32(tag->data);
    out->to = (int32_t)cperm_be32(tag->data + 4);
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++)
            out->trans[4 * r + c] = (double)cperm_be_f32(tag->data + 8 + 4 * (size_t)(3 * r + c));
        out->trans[4 * r + 3] = (double)cperm_be_f32(tag->data + 44 + 4 * (size_t)r);
    }
    out->trans[15] = 1.0;
    return CPERM_OK;
}

/* One int32 (the first of the tag, as MNE's int(tag.data) of a one-value array), >= 0. */
static int read_count(size_t *out, const cperm_fif_tag *tag, const char *what, const char *name,
                      size_t h, cperm_err *err) {
    int32_t v;
    if (tag->type != CPERM_FIFFT_INT || tag->size != 4)
        return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: %s is not one int32 (type %u, %zu bytes)",
                          name, h, what, (unsigned)tag->type, tag->size);
    v = (int32_t)cperm_be32(tag->data);
    if (v < 0)
        return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: %s is negative (%d)", name, h, what,
                          (int)v);
    *out = (size_t)v;
    return CPERM_OK;
}

/* A FIFFT_STRING tag as a new NUL-terminated string (up to its first NUL). */
static int read_string(char **out, const cperm_fif_tag *tag, const char *what, const char *name,
                       size_t h, cperm_err *err) {
    size_t n = 0;
    if (tag->type != CPERM_FIFFT_STRING)
        return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: %s is not a string (type %u)", name, h,
                          what, (unsigned)tag->type);
    while (n < tag->size && tag->data[n] != '\0') n++;
    *out = malloc(n + 1);
    if (!*out) return cperm_fail(err, CPERM_ENOMEM, "%s: out of memory", name);
    memcpy(*out, tag->data, n);
    (*out)[n] = '\0';
    return CPERM_OK;
}

/* The interpolator (write_float_sparse_rcs): nnz float32 values, nnz int32 column indices,
 * rows + 1 int32 row pointers, then int32 nnz, rows, columns, ndim = 2. Every count is checked
 * against the tag's size before anything is allocated; MNE's fallback for an old MNE-C bug
 * (little-endian pointers) is not taken: such pointers are refused as corrupt. */
static int read_interpolator(cperm_src_hemi *hm, const cperm_fif_tag *tag, const char *name,
                             size_t h, cperm_err *err) {
    const char *what = "the interpolator (SOURCE_SPACE_INTERPOLATOR)";
    int32_t nnz, rows, cols, ndim;
    const unsigned char *vals, *idx, *ptr;
    int64_t prev = 0;

    if ((tag->type & CPERM_FIFFT_CODING_MASK) != CPERM_FIFFT_MATRIX_RCS || (tag->type & 0xffffu) != CPERM_FIFFT_FLOAT)
        return cperm_fail(err, CPERM_EFORMAT,
                          "%s: source space %zu: %s is not a sparse float32 row matrix (tag type 0x%08x)", name, h,
                          what, (unsigned)tag->type);
    if (tag->size < 16)
        return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: %s: %zu bytes cannot hold its dimensions",
                          name, h, what, tag->size);
    nnz = (int32_t)cperm_be32(tag->data + tag->size - 16);
    rows = (int32_t)cperm_be32(tag->data + tag->size - 12);
    cols = (int32_t)cperm_be32(tag->data + tag->size - 8);
    ndim = (int32_t)cperm_be32(tag->data + tag->size - 4);
    if (ndim != 2 || nnz < 0 || rows < 0 || cols < 0)
        return cperm_fail(err, CPERM_EFORMAT,
                          "%s: source space %zu: %s has dimensions nnz %d, %d x %d, ndim %d", name, h, what,
                          (int)nnz, (int)rows, (int)cols, (int)ndim);
    /* 8 nnz + 4 (rows + 1) + 16 bytes, in 64 bits: no overflow for int32 counts. */
    if ((uint64_t)tag->size != 8 * (uint64_t)nnz + 4 * ((uint64_t)rows + 1) + 16)
        return cperm_fail(err, CPERM_EFORMAT,
                          "%s: source space %zu: %s says %d values in %d rows but holds %zu bytes", name, h, what,
                          (int)nnz, (int)rows, tag->size);
    if ((size_t)cols != hm->np)
        return cperm_fail(err, CPERM_EFORMAT,
                          "%s: source space %zu: %s has %d columns, the source space %zu points", name, h, what,
                          (int)cols, hm->np);
    if (hm->mri_width && hm->mri_height && hm->mri_depth &&
        (uint64_t)rows != (uint64_t)hm->mri_width * hm->mri_height * hm->mri_depth)
        return cperm_fail(err, CPERM_EFORMAT,
                          "%s: source space %zu: %s has %d rows, the MRI %zu x %zu x %zu voxels", name, h, what,
                          (int)rows, hm->mri_width, hm->mri_height, hm->mri_depth);
    vals = tag->data;
    idx = vals + 4 * (size_t)nnz;
    ptr = idx + 4 * (size_t)nnz;
    for (int32_t r = 0; r <= rows; r++) {
        int64_t p = (int32_t)cperm_be32(ptr + 4 * (size_t)r);
        if ((r == 0 && p != 0) || p < prev || p > nnz || (r == rows && p != nnz))
            return cperm_fail(err, CPERM_EFORMAT,
                              "%s: source space %zu: %s: row pointer %d is %lld (previous %lld, %d values): "
                              "not a valid CSR matrix", name, h, what, (int)r, (long long)p, (long long)prev,
                              (int)nnz);
        prev = p;
    }
    for (int32_t k = 0; k < nnz; k++) {
        int32_t c = (int32_t)cperm_be32(idx + 4 * (size_t)k);
        if (c < 0 || c >= cols)
            return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: %s: value %d is in column %d of %d", name,
                              h, what, (int)k, (int)c, (int)cols);
    }
    if (nnz == 0) return CPERM_OK; /* MNE drops an empty interpolator (no MRI was given) */
    hm->interp_indptr = cperm_malloc((size_t)rows + 1, sizeof *hm->interp_indptr);
    hm->interp_indices = cperm_malloc((size_t)nnz, sizeof *hm->interp_indices);
    hm->interp_data = cperm_malloc((size_t)nnz, sizeof *hm->interp_data);
    if (!hm->interp_indptr || !hm->interp_indices || !hm->interp_data)
        return cperm_fail(err, CPERM_ENOMEM, "%s: out of memory for an interpolator of %d values", name, (int)nnz);
    for (int32_t r = 0; r <= rows; r++) hm->interp_indptr[r] = (int32_t)cperm_be32(ptr + 4 * (size_t)r);
    for (int32_t k = 0; k < nnz; k++) {
        hm->interp_indices[k] = (int32_t)cperm_be32(idx + 4 * (size_t)k);
        hm->interp_data[k] = cperm_be_f32(vals + 4 * (size_t)k);
    }
    hm->interp_rows = (size_t)rows;
    hm->interp_cols = (size_t)cols;
    hm->interp_nnz = (size_t)nnz;
    return CPERM_OK;
}

int cperm_fif_vol_read(cperm_src_hemi *hm, const cperm_fif_vol_tags *vt, const char *name,
                       size_t h, cperm_err *err) {
    int rc;

    /* The grid: MNE's 'shape' (x, y, z), which the adjacency and any figure need. */
    if (!vt->have_dims)
        return cperm_fail(err, CPERM_EFORMAT,
                          "%s: source space %zu: volume source space without its grid shape (no "
                          "SOURCE_SPACE_VOXEL_DIMS tag)", name, h);
    if (vt->dims.type != CPERM_FIFFT_INT || vt->dims.size != 12)
        return cperm_fail(err, CPERM_EFORMAT,
                          "%s: source space %zu: SOURCE_SPACE_VOXEL_DIMS is not three int32 (type %u, %zu bytes)",
                          name, h, (unsigned)vt->dims.type, vt->dims.size);
    {
        int32_t d[3];
        uint64_t prod = 1;
        for (int k = 0; k < 3; k++) {
            d[k] = (int32_t)cperm_be32(vt->dims.data + 4 * k);
            if (d[k] <= 0)
                return cperm_fail(err, CPERM_EFORMAT, "%s: source space %zu: grid shape %d x %d x %d is not positive",
                                  name, h, (int)cperm_be32(vt->dims.data), (int)cperm_be32(vt->dims.data + 4),
                                  (int)cperm_be32(vt->dims.data + 8));
            prod *= (uint64_t)d[k];
        }
        if (prod != (uint64_t)hm->np)
            return cperm_fail(err, CPERM_EFORMAT,
                              "%s: source space %zu: grid shape %d x %d x %d has %llu points but the space has %zu",
                              name, h, (int)d[0], (int)d[1], (int)d[2], (unsigned long long)prod, hm->np);
        for (int k = 0; k < 3; k++) hm->shape[k] = (size_t)d[k];
    }
    if (vt->have_trans &&
        (rc = read_trans(&hm->src_mri_t, &vt->trans, "the grid transform (COORD_TRANS)", name, h, err)) < 0)
        return rc;
    if (vt->have_comment && (rc = read_string(&hm->seg_name, &vt->comment, "COMMENT (seg_name)", name, h, err)) < 0)
        return rc;

    /* MNE refuses a volume space without its parent MRI block (MNE <= 2.7.3 files). */
    if (!vt->have_mri)
        return cperm_fail(err, CPERM_EFORMAT,
                          "%s: source space %zu: Can not find parent MRI location (no MNE_PARENT_MRI_FILE block); "
                          "the volume source space may have been made with an MNE version that is too old "
                          "(<= 2.7.3)", name, h);
    if (vt->have_vox &&
        (rc = read_trans(&hm->vox_mri_t, &vt->vox, "the MRI voxel transform (vox_mri_t)", name, h, err)) < 0)
        return rc;
    if (vt->have_ras && (rc = read_trans(&hm->mri_ras_t, &vt->ras, "the MRI to RAS transform (mri_ras_t)", name,
                                         h, err)) < 0)
        return rc;
    if (vt->have_width && (rc = read_count(&hm->mri_width, &vt->width, "MRI_WIDTH", name, h, err)) < 0) return rc;
    if (vt->have_height && (rc = read_count(&hm->mri_height, &vt->height, "MRI_HEIGHT", name, h, err)) < 0)
        return rc;
    if (vt->have_depth && (rc = read_count(&hm->mri_depth, &vt->depth, "MRI_DEPTH", name, h, err)) < 0) return rc;
    if (vt->have_mri_file &&
        (rc = read_string(&hm->mri_file, &vt->mri_file, "SOURCE_SPACE_MRI_FILE", name, h, err)) < 0)
        return rc;
    if (vt->have_volume_name &&
        (rc = read_string(&hm->mri_volume_name, &vt->volume_name, "MNE_FILE_NAME", name, h, err)) < 0)
        return rc;
    if (vt->have_interp && (rc = read_interpolator(hm, &vt->interp, name, h, err)) < 0) return rc;
    return CPERM_OK;
}
