/* fif_internal.h - private FIF (Neuromag/MNE "FIFF") constants and tag-level helpers shared
 * by readers of FIF files. Not installed. */
#ifndef CPERM_FIF_INTERNAL_H
#define CPERM_FIF_INTERNAL_H

#include "common_internal.h"

/* Tag kinds (mne/io/constants.py). */
enum {
    CPERM_FIFF_FILE_ID = 100,
    CPERM_FIFF_DIR_POINTER = 101,
    CPERM_FIFF_BLOCK_ID = 103,
    CPERM_FIFF_BLOCK_START = 104,
    CPERM_FIFF_BLOCK_END = 105,
    CPERM_FIFF_FREE_LIST = 106,
    CPERM_FIFF_NOP = 108,
    CPERM_FIFF_COMMENT = 206,
    CPERM_FIFF_COORD_TRANS = 222,
    CPERM_FIFF_SUBJ_HIS_ID = 410,
    CPERM_FIFF_MRI_WIDTH = 2010,
    CPERM_FIFF_MRI_HEIGHT = 2012,
    CPERM_FIFF_MRI_DEPTH = 2014,
    CPERM_FIFF_BEM_SURF_NTRI = 3104,
    CPERM_FIFF_BEM_SURF_TRIANGLES = 3106,
    CPERM_FIFF_MNE_COORD_FRAME = 3506,
    CPERM_FIFF_MNE_FILE_NAME = 3508,
    CPERM_FIFF_MNE_SOURCE_SPACE_POINTS = 3510,
    CPERM_FIFF_MNE_SOURCE_SPACE_NORMALS = 3511,
    CPERM_FIFF_MNE_SOURCE_SPACE_NPOINTS = 3512,
    CPERM_FIFF_MNE_SOURCE_SPACE_SELECTION = 3513,
    CPERM_FIFF_MNE_SOURCE_SPACE_NUSE = 3514,
    CPERM_FIFF_MNE_SOURCE_SPACE_ID = 3517,
    CPERM_FIFF_MNE_SOURCE_SPACE_TYPE = 3518,
    CPERM_FIFF_MNE_SOURCE_SPACE_NTRI = 3590,
    CPERM_FIFF_MNE_SOURCE_SPACE_TRIANGLES = 3591,
    CPERM_FIFF_MNE_SOURCE_SPACE_NUSE_TRI = 3592,
    CPERM_FIFF_MNE_SOURCE_SPACE_USE_TRIANGLES = 3593,
    CPERM_FIFF_MNE_SOURCE_SPACE_VOXEL_DIMS = 3596,
    CPERM_FIFF_MNE_SOURCE_SPACE_INTERPOLATOR = 3597,
    CPERM_FIFF_MNE_SOURCE_SPACE_MRI_FILE = 3598
};

/* Block kinds. */
enum { CPERM_FIFFB_MNE = 350, CPERM_FIFFB_MNE_SOURCE_SPACE = 351, CPERM_FIFFB_MNE_PARENT_MRI_FILE = 353 };

/* Data types; a dense matrix ORs CPERM_FIFFT_MATRIX into the element type and stores its
 * dimensions after the data: dims in reverse order (last dimension first), then ndim. */
enum {
    CPERM_FIFFT_VOID = 0,
    CPERM_FIFFT_INT = 3,
    CPERM_FIFFT_FLOAT = 4,
    CPERM_FIFFT_STRING = 10,
    CPERM_FIFFT_ID_STRUCT = 31,
    CPERM_FIFFT_COORD_TRANS_STRUCT = 35
};
#define CPERM_FIFFT_MATRIX 0x40000000u
/* A sparse compressed-row matrix (MNE's write_float_sparse_rcs): values, column indices,
 * row pointers, then nnz, rows, columns and ndim (2). */
#define CPERM_FIFFT_MATRIX_RCS 0x40200000u
#define CPERM_FIFF_COORD_TRANS_BYTES 104 /* from, to, rot 3x3, move 3, and their inverse */
#define CPERM_FIFFT_CODING_MASK 0xffff0000u

#define CPERM_FIFFC_VERSION 65540   /* FIFFC_VERSION, 1.4 */
#define CPERM_FIFF_TAG_HEADER 16    /* kind, type, size, next: four big-endian int32 */
/* FIF positions are signed 32-bit, so no valid file is larger than this. */
#define CPERM_FIF_MAX_BYTES ((size_t)1 << 31)

/* One tag located in a memory buffer. `data` points into that buffer (size bytes). */
typedef struct cperm_fif_tag {
    int32_t kind;
    uint32_t type;
    size_t size;
    int32_t next;
    size_t pos;                 /* offset of the tag header */
    const unsigned char *data;
} cperm_fif_tag;

/* Reads a whole file (plain or gzip, through zlib) of at most `cap` bytes into a new buffer
 * (free with free()). Errors: CPERM_ENOTFOUND, CPERM_EIO, CPERM_EFORMAT (corrupt gzip or
 * larger than cap), CPERM_ENOMEM; messages start with `what` ("src") and the path. */
int cperm_fif_load(unsigned char **out, size_t *out_size, const char *path, size_t cap,
                   const char *what, cperm_err *err);

/* Sequential tag walk over buf[0..size), as mne.io.open's directory-less scan: starting at
 * *pos (0 for the first call), decodes the tag there into *tag and advances *pos to the next
 * one (following a forward `next` pointer; a negative `next` ends the walk). Returns 1 with
 * a tag, 0 at the end, or CPERM_EFORMAT for a truncated or corrupt tag (message prefixed
 * with `name`). Backward or self-pointing `next` values are refused, so the walk always
 * terminates. */
int cperm_fif_next_tag(const unsigned char *buf, size_t size, size_t *pos, cperm_fif_tag *tag,
                       const char *name, cperm_err *err);

/* Decodes a 2-D dense matrix tag with element type `elem` (CPERM_FIFFT_INT/FLOAT):
 * validates the trailing dimensions against the data size and returns rows, columns and
 * the start of the row-major big-endian element data. CPERM_EFORMAT on mismatch. */
int cperm_fif_matrix2(const cperm_fif_tag *tag, uint32_t elem, size_t *rows, size_t *cols,
                      const unsigned char **elems, const char *name, const char *what,
                      cperm_err *err);

/* The tags of one volume source space that fif_vol.c reads (mne/source_space.py
 * _read_one_source_space, type 'vol'): in the source-space block itself, and in the first
 * FIFFB_MNE_PARENT_MRI_FILE block below it (MNE's dir_tree_find(this, ...)[0]). The first
 * tag of each kind wins (find_tag), except the MRI block's transforms: MNE loops over all of
 * them, so the last one from MRI voxels (vox_mri_t) and the last one to RAS (mri_ras_t) win. */
typedef struct cperm_fif_vol_tags {
    int have_dims, have_trans, have_comment;
    cperm_fif_tag dims, trans, comment;
    int have_mri; /* a parent-MRI block was found */
    int have_vox, have_ras, have_interp, have_mri_file, have_width, have_height, have_depth,
        have_volume_name;
    cperm_fif_tag vox, ras, interp, mri_file, width, height, depth, volume_name;
} cperm_fif_vol_tags;

/* Notes a tag found directly in a source-space block, or directly in its parent-MRI block;
 * tags of other kinds are ignored. Nothing is decoded yet (cperm_fif_vol_read does). */
void cperm_fif_vol_note_space_tag(cperm_fif_vol_tags *vt, const cperm_fif_tag *tag);
void cperm_fif_vol_note_mri_tag(cperm_fif_vol_tags *vt, const cperm_fif_tag *tag);

/* Fills the volume fields of hm (shape, transforms, MRI dimensions, interpolator, names)
 * from vt, once hm's np is known; `name` is the message prefix ("src: FILE") and h the
 * space's index. Errors: CPERM_EFORMAT (missing grid shape or parent-MRI block, a shape whose
 * product is not np, a malformed transform, an interpolator that is not a valid CSR matrix of
 * np columns), CPERM_ENOMEM. On failure hm may hold some fields: cperm_fif_vol_clear frees. */
int cperm_fif_vol_read(cperm_src_hemi *hm, const cperm_fif_vol_tags *vt, const char *name,
                       size_t h, cperm_err *err);
/* Frees what cperm_fif_vol_read allocated in hm. */
void cperm_fif_vol_clear(cperm_src_hemi *hm);

#endif
