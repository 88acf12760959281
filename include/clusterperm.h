/* clusterperm.h - the public API of clusterperm: cluster-based permutation statistics
 * for MEG/EEG data, identical to MNE-Python 1.3 for the same inputs and seed.
 *
 * Conventions (see docs/STYLE.md):
 *  - Fallible functions return int: 0 (CPERM_OK) or a negative cperm_error. Objects come
 *    back through a first `**out` parameter. Every call that can fail takes a trailing
 *    `cperm_err *err` (may be NULL) which receives a human-readable detail that names the
 *    file and the problem, e.g. "stc: sub003-lh.stc: 412 bytes, header says 16392 vertices".
 *  - Every `_free` accepts NULL. The library never prints, exits or aborts.
 *  - Arrays are flat and row-major. Data matrices follow MNE's layouts: a source estimate is
 *    (n_vertices x n_times); the test input X is (n_subjects x n_times x n_vertices), so the
 *    flat index of a test point is t * n_vertices + v, as in MNE.
 *
 * BSD-3-Clause. */
#ifndef CLUSTERPERM_H
#define CLUSTERPERM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CPERM_BUILDING) && defined(__GNUC__)
#define CPERM_API __attribute__((visibility("default")))
#else
#define CPERM_API
#endif

#define CPERM_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------ errors */

typedef enum cperm_error {
    CPERM_OK = 0,
    CPERM_EINVAL = -1,      /* invalid argument or option value */
    CPERM_ENOMEM = -2,      /* allocation failed */
    CPERM_EIO = -3,         /* open/read/write/rename failed */
    CPERM_EFORMAT = -4,     /* file is truncated, corrupt or not of the expected format */
    CPERM_EUNSUPPORTED = -5,/* valid input that this version cannot handle */
    CPERM_EMISMATCH = -6,   /* inputs that must agree do not (vertices, times, subjects) */
    CPERM_ECANCELLED = -7,  /* the progress callback asked to stop */
    CPERM_ENOTFOUND = -8    /* a file or glob match does not exist */
} cperm_error;

#define CPERM_ERR_MSG_LEN 512

/* Error detail filled by a failing call. Zero-initialise it; on failure `code` holds the
 * returned error and `msg` a one-line message without a trailing newline. */
typedef struct cperm_err {
    int code;
    char msg[CPERM_ERR_MSG_LEN];
} cperm_err;

/* Static description of an error code; never NULL. */
CPERM_API const char *cperm_strerror(int code);

/* ------------------------------------------------------------- adjacency */

/* A sparse symmetric spatial graph in CSR form. Neighbour lists are sorted ascending,
 * hold no duplicates and no self-loops (every vertex is implicitly its own neighbour,
 * as in MNE). Owned by the library: free with cperm_graph_free. Read-only to callers. */
typedef struct cperm_graph {
    size_t n_vertices;
    size_t *indptr;   /* n_vertices + 1 entries */
    int32_t *indices; /* indptr[n_vertices] entries */
} cperm_graph;

/* mne.spatial_tris_adjacency: vertices of every triangle are pairwise adjacent.
 * tris: n_tris x 3 vertex indices. n_vertices = max index + 1, or the given value if
 * larger (0 = derive). remap != 0 renumbers vertices by rank of the unique indices
 * (remap_vertices=True). Errors: negative index, index >= n_vertices when given. */
CPERM_API int cperm_graph_from_tris(cperm_graph **out, const int32_t *tris, size_t n_tris,
                                    size_t n_vertices, int remap, cperm_err *err);

/* A graph from an undirected edge list (pairs, either direction, duplicates and
 * self-loops allowed and ignored). Errors: index out of [0, n_vertices). */
CPERM_API int cperm_graph_from_edges(cperm_graph **out, size_t n_vertices,
                                     const int64_t *edges, size_t n_edges, cperm_err *err);

/* A graph from a CSR matrix (scipy layout). Fails with CPERM_EINVAL if an index is out
 * of range or the matrix is not symmetric (MNE symmetrises; we refuse to guess). */
CPERM_API int cperm_graph_from_csr(cperm_graph **out, size_t n_vertices,
                                   const int64_t *indptr, const int32_t *indices,
                                   cperm_err *err);

CPERM_API void cperm_graph_free(cperm_graph *graph);

/* ---------------------------------------------------------- source spaces */

enum { CPERM_SRC_SURFACE = 1, CPERM_SRC_VOLUME = 2, CPERM_SRC_DISCRETE = 3 };

/* A FIF coordinate transformation (FIFF_COORD_TRANS), as mne.transforms.Transform. */
enum { CPERM_COORD_MRI = 5, CPERM_COORD_MRI_VOXEL = 2001, CPERM_COORD_RAS = 2002 };
typedef struct cperm_coord_trans {
    int present;      /* 0: the file holds no such transform (the rest is zero) */
    int from, to;     /* FIFF coordinate frames, CPERM_COORD_* */
    double trans[16]; /* 4 x 4 row-major, metres: the stored float32 values, last row 0 0 0 1 */
} cperm_coord_trans;

/* One source space (a surface hemisphere or a volume), as read from a -src.fif file. */
typedef struct cperm_src_hemi {
    int type;              /* CPERM_SRC_* */
    int id;                /* FIFF id: 101 = lh, 102 = rh; -1 = no id tag (MNE's unknown) */
    int coord_frame;       /* FIFF coordinate frame */
    size_t np;             /* number of surface vertices */
    float *rr;             /* np x 3, metres */
    float *nn;             /* np x 3 normals */
    size_t ntri;
    int32_t *tris;         /* ntri x 3, 0-based; NULL if absent */
    size_t nuse;
    int32_t *inuse;        /* np flags */
    int32_t *vertno;       /* nuse used vertex numbers, ascending */
    size_t nuse_tri;
    int32_t *use_tris;     /* nuse_tri x 3, 0-based vertex numbers (into rr); NULL if absent */
    char subject[64];      /* subject_his_id, or "" */
    /* Volume source spaces (type CPERM_SRC_VOLUME) only; zero / NULL for the others. The
     * grid points are rr (np of them), in use where inuse is set (vertno ascending). */
    size_t shape[3];       /* grid points along x, y, z (MNE's 'shape'): point v is at grid
                              index (x, y, z) with v = x + shape[0] * (y + shape[1] * z);
                              shape[0] * shape[1] * shape[2] == np */
    cperm_coord_trans src_mri_t; /* grid index (x, y, z, 1) -> MRI (surface RAS) */
    cperm_coord_trans vox_mri_t; /* MRI voxel -> MRI (surface RAS), if the file has it */
    cperm_coord_trans mri_ras_t; /* MRI (surface RAS) -> scanner RAS, if the file has it */
    size_t mri_width, mri_height, mri_depth; /* the parent MRI's voxels (0 if not stored) */
    /* MNE's 'interpolator': a CSR matrix (mri_width * mri_height * mri_depth rows, np
     * columns, float32) spreading grid values onto the MRI's voxels; NULL arrays (and 0
     * counts) when the file holds none or an empty one, as MNE drops it then. */
    size_t interp_rows, interp_cols, interp_nnz;
    int64_t *interp_indptr;  /* interp_rows + 1 */
    int32_t *interp_indices; /* interp_nnz column indices, each < np */
    float *interp_data;      /* interp_nnz values */
    char *seg_name;          /* MNE's 'seg_name' (e.g. "Left-Hippocampus"), or NULL */
    char *mri_file;          /* MNE's 'mri_file' (the volume label's MRI), or NULL */
    char *mri_volume_name;   /* MNE's 'mri_volume_name' (the MRI the grid came from), or NULL */
} cperm_src_hemi;

/* A list of source spaces in file order: a surface lh/rh pair, one or more volumes, or a
 * mixed space (MNE: surface hemispheres, then volumes). */
typedef struct cperm_srcspace {
    size_t n_hemis;        /* the number of source spaces (not only hemispheres) */
    cperm_src_hemi *hemis;
} cperm_srcspace;

/* Read a FIF source space file (plain or gzip) as mne.read_source_spaces: surface, discrete,
 * volume and mixed spaces. A volume space needs its grid shape (FIFF_MNE_SOURCE_SPACE_VOXEL_
 * DIMS, product = np) and its parent-MRI block (MNE refuses files without one); its
 * interpolator, if any, must be a valid CSR matrix with np columns (and, when the MRI's
 * dimensions are stored, their product as rows). Errors name the file, the space and the
 * problem: CPERM_EFORMAT (truncated, corrupt, inconsistent counts), CPERM_ENOMEM, and those
 * of reading the file. */
CPERM_API int cperm_src_read(cperm_srcspace **out, const char *path, cperm_err *err);
/* The same from memory (for fuzzing); `name` is used in error messages. */
CPERM_API int cperm_src_read_mem(cperm_srcspace **out, const void *data, size_t size,
                                 const char *name, cperm_err *err);
/* Write a surface source space as -src.fif that mne.read_source_spaces accepts. Atomic;
 * gzip-compressed when path ends in ".gz". Needs per hemisphere: type SURFACE, np, rr, nn,
 * tris/ntri (may be 0), inuse (or, if inuse is NULL, vertno/nuse), use_tris/nuse_tri (may be
 * NULL), coord_frame, id (written if >= 0, as MNE) and subject (written if not ""). */
CPERM_API int cperm_src_write(const cperm_srcspace *src, const char *path, cperm_err *err);
CPERM_API void cperm_src_free(cperm_srcspace *src);

/* mne.spatial_src_adjacency: for surface source spaces, use_tris remapped to used vertices,
 * hemispheres stacked lh then rh, unused vertices dropped; for one volume space, the grid
 * neighbourhood of cperm_graph_from_volume over its vertno. A mixed space (or several
 * volumes), which MNE 1.3 itself cannot handle (a TypeError, an AssertionError), gets the
 * block-diagonal of those: each space's graph in file order, no edge between spaces (what
 * MNE's own "XXX ... block_diag" comment intends). Discrete spaces and surfaces without
 * use_tris: CPERM_EUNSUPPORTED, as MNE refuses them (src/graph/adjacency.c, volume.c). */
CPERM_API int cperm_graph_from_src(cperm_graph **out, const cperm_srcspace *src,
                                   cperm_err *err);

/* ------------------------------------------------------- source estimates */

/* The most vertex lists (blocks) an estimate may have: a mixed estimate has lh, rh and one
 * per volume (MNE: one per volume label), so this allows 62 volume labels. */
#define CPERM_STC_MAX_BLOCKS 64
/* What an estimate is (MNE's class): SourceEstimate (surface), VolSourceEstimate, or
 * MixedSourceEstimate; the vector variants have n_orient 3. */
enum { CPERM_STC_SURFACE = 0, CPERM_STC_VOLUME = 1, CPERM_STC_MIXED = 2 };

/* A source estimate. data is (n_vertices_total x n_orient x n_times) in double, the vertex
 * blocks stacked in order (lh rows first, then rh, then any volume blocks). For .stc files
 * n_orient = 1. */
typedef struct cperm_stc {
    size_t n_hemis;          /* vertex blocks: 2 for an lh/rh pair, 1 for a single surface
                                file or a one-volume estimate; mixed: lh, rh, volumes */
    size_t n_vertices[CPERM_STC_MAX_BLOCKS];  /* per block (0 past n_hemis) */
    uint32_t *vertices[CPERM_STC_MAX_BLOCKS]; /* per block, ascending (NULL past n_hemis) */
    size_t n_orient;         /* 1 = scalar, 3 = vector */
    size_t n_times;
    double tmin;             /* seconds */
    double tstep;            /* seconds */
    double *data;
    char subject[64];        /* "" if unknown */
    int kind;                /* CPERM_STC_*: 0 (surface) unless read from a volume or
                                mixed file */
} cperm_stc;

/* Read like mne.read_source_estimate for surface data: `path` may be a stem
 * ("sub01/faces"), a "-lh.stc"/"-rh.stc" file, a "-stc.h5" or ".h5" file; the result is
 * always of kind CPERM_STC_SURFACE (volume and mixed estimates: cperm_stc_read_any). Vertices
 * that are not ascending are sorted with their rows, as MNE does. Data may contain NaN/Inf
 * (kept; the engine refuses them). Errors: CPERM_ENOTFOUND ("SourceEstimate File(s) not
 * found", "Hemisphere missing"), CPERM_EINVAL (".stc" without -lh/-rh, unknown extension),
 * CPERM_EFORMAT (truncated/corrupt), CPERM_EMISMATCH (lh/rh tmin, tstep or n_times differ),
 * CPERM_EUNSUPPORTED (volume -vl.stc/-vol.stc, .w, non-surface or complex -stc.h5).
 * A -stc.h5 file is read as by cperm_stc_read_h5 with default options (below): in a child
 * process unless CPERM_H5_ISOLATE=0. In-process, libhdf5's serial build is not thread-safe
 * (do not read HDF5 files from two threads at once) and HDF5's error printing is silenced
 * during the call and the caller's handler restored. */
CPERM_API int cperm_stc_read(cperm_stc **out, const char *path, cperm_err *err);
/* Reading -stc.h5 files. Debian 12's libhdf5 (1.10.8) can crash or loop forever inside its
 * own code on some corrupt files (fuzz/README.md, F2-F5), which no check of ours can
 * prevent. So by default a -stc.h5 file is read in a forked child process, with a memory cap
 * and a time limit, and its result sent back over a pipe: a crash, hang or runaway
 * allocation inside libhdf5 becomes CPERM_EFORMAT with a message naming the file ("libhdf5
 * crashed reading it (signal 11, SIGSEGV); the file is corrupt", "libhdf5 did not finish
 * reading it within 5 s ..."). The calling process then never enters libhdf5; its HDF5 error
 * handler is untouched. The data are bit-identical to an in-process read.
 * Time limit (unless timeout_s or CPERM_H5_TIMEOUT give one limit for the whole read): 5 s
 * for the file's structure (open, TITLEs, scalars, vertex lists: kilobytes whatever the file
 * size), then, once key_data's shape is known, 10 s + 1 s per 8 MiB of float64 data for its
 * values. Memory cap (RLIMIT_AS of the child): its size at the start + 256 MiB, raised by
 * twice the data's size for key_data.
 * Environment (read at each call, for cperm_stc_read and CPERM_H5_ISOLATE_DEFAULT):
 * CPERM_H5_ISOLATE=0 reads in-process; CPERM_H5_TIMEOUT=SECONDS sets the whole read's
 * limit. */
enum {
    CPERM_H5_ISOLATE_DEFAULT = 0, /* child process, unless CPERM_H5_ISOLATE=0 */
    CPERM_H5_ISOLATE_CHILD = 1,   /* child process */
    CPERM_H5_ISOLATE_NONE = 2     /* this process (fuzz targets, debuggers): a corrupt file
                                     may crash or hang the caller */
};
typedef struct cperm_h5_options {
    int version;      /* CPERM_H5_OPTIONS_VERSION */
    int isolate;      /* CPERM_H5_ISOLATE_* */
    double timeout_s; /* > 0: limit for the whole read in the child; 0: CPERM_H5_TIMEOUT if
                         set, else the rule above */
} cperm_h5_options;
#define CPERM_H5_OPTIONS_VERSION 1
#define CPERM_H5_OPTIONS_INIT { CPERM_H5_OPTIONS_VERSION, CPERM_H5_ISOLATE_DEFAULT, 0.0 }
/* Fills *opts with CPERM_H5_OPTIONS_INIT for struct version `version` (as
 * cperm_options_init). CPERM_EINVAL for NULL, CPERM_EUNSUPPORTED for an unknown version. */
CPERM_API int cperm_h5_options_init(cperm_h5_options *opts, int version);
/* Read one -stc.h5 file (the path as given, no stem lookup) as cperm_stc_read does, with
 * explicit options (NULL = CPERM_H5_OPTIONS_INIT). Errors as cperm_stc_read, plus
 * CPERM_EINVAL (unknown version or isolate mode, bad CPERM_H5_TIMEOUT), CPERM_EIO (no child
 * process could be started). Reads in a child may run from several threads at once (with
 * glibc's fork-safe malloc; GCC 12's AddressSanitizer allocator is not, and its child may
 * then deadlock and time out); in-process reads may not (serial libhdf5 is not
 * thread-safe). */
CPERM_API int cperm_stc_read_h5(cperm_stc **out, const char *path,
                                const cperm_h5_options *opts, cperm_err *err);
/* mne.read_source_estimate for every kind: what cperm_stc_read reads, plus volume "-vl.stc" /
 * "-vol.stc" files (kind CPERM_STC_VOLUME, one block) and -stc.h5 files of src_type 'volume'
 * or 'discrete' (VolSourceEstimate: kind VOLUME, one or more blocks) and 'mixed'
 * (MixedSourceEstimate: kind MIXED, lh, rh, then the volumes' blocks); vector ones have
 * n_orient 3. Callers must look at `kind` (a two-block volume estimate is no lh/rh pair).
 * Volume and mixed vertices must ascend in each block (MNE: "Vertices must be ordered in
 * increasing order"; it sorts surface ones only): CPERM_EFORMAT otherwise. opts as for
 * cperm_stc_read_h5 (NULL: defaults). Errors as cperm_stc_read, plus CPERM_EUNSUPPORTED for
 * more than CPERM_STC_MAX_BLOCKS blocks and an unknown src_type. */
CPERM_API int cperm_stc_read_any(cperm_stc **out, const char *path, const cperm_h5_options *opts,
                                 cperm_err *err);
/* One .stc file from memory (single hemisphere); `name` is used in messages. */
CPERM_API int cperm_stc_read_mem(cperm_stc **out, const void *data, size_t size,
                                 const char *name, cperm_err *err);
/* One volume .stc file (-vl.stc, -vol.stc) from memory: the same bytes as a surface file,
 * read as VolSourceEstimate: kind CPERM_STC_VOLUME, one block, vertices kept in file order
 * and refused (CPERM_EFORMAT) unless strictly ascending. */
CPERM_API int cperm_stc_read_vol_mem(cperm_stc **out, const void *data, size_t size,
                                     const char *name, cperm_err *err);
/* VolSourceEstimate.save(fname) (ftype 'stc'): one float32 file, written atomically to
 * `path` if it ends in "-vl.stc" or "-vol.stc", else to path + "-vl.stc" (as MNE). The
 * estimate must be scalar with one block (MNE: "Can only write to .stc or .w if a single
 * volume source space was used"), ascending vertices; a surface or mixed kind is
 * CPERM_EINVAL. */
CPERM_API int cperm_stc_write_vol(const cperm_stc *stc, const char *path, cperm_err *err);
/* Write stem-lh.stc and stem-rh.stc (float32, as MNE). Atomic per file; on failure
 * neither file is left half-written. n_hemis must be 2 and n_orient 1 (CPERM_EINVAL).
 * lh is written first: if rh then fails, stem-lh.stc already holds the new data (the error
 * message says so) while stem-rh.stc keeps its previous contents. */
CPERM_API int cperm_stc_write(const cperm_stc *stc, const char *stem, cperm_err *err);
/* Allocate a zeroed scalar stc with the given hemisphere layout (n_hemis 1 or 2; vertices,
 * tmin and tstep zero: the caller fills them). Free with cperm_stc_free. */
CPERM_API int cperm_stc_create(cperm_stc **out, size_t n_hemis, const size_t *n_vertices,
                               size_t n_times, cperm_err *err);
/* VectorSourceEstimate.magnitude(): in place, n_orient 3 -> 1, sqrt((x*x+y*y)+z*z),
 * bit-identical to MNE. CPERM_EINVAL if n_orient is not 3. */
CPERM_API int cperm_stc_magnitude(cperm_stc *stc, cperm_err *err);
/* stc.crop(tmin, tmax) with MNE's rounding (_time_mask, include_tmax=True, limits pushed
 * to the nearest sample, half to even); updates tmin. NaN (or any non-finite value) means
 * "no limit". CPERM_EINVAL if tmin > tmax after rounding, no sample remains, n_times is 0
 * or tstep is not positive; the stc is unchanged on error. */
CPERM_API int cperm_stc_crop(cperm_stc *stc, double tmin, double tmax, cperm_err *err);
CPERM_API void cperm_stc_free(cperm_stc *stc);
/* Flags of cperm_stc_read_frames. */
enum {
    CPERM_FRAMES_ABS = 1u,     /* store |x| (stc.magnitude() of a scalar estimate) */
    CPERM_FRAMES_SUBTRACT = 2u /* store frames - x instead of x (a paired contrast A - B) */
};
/* Times first .. first + count - 1 of the surface estimate lh_path + rh_path (an -lh.stc and
 * -rh.stc pair, the paths as given) straight into a time-major block, the layout of the
 * statistics: frames[t * ld + r] for t < count and r < the rows of `like` (lh then rh). The
 * pair must have like's layout (a scalar surface estimate of two hemispheres): its vertices
 * after read_source_estimate's sort, n_times, tmin and tstep (exactly equal), and every value
 * in the window must be finite. The values are those cperm_stc_read would give, bit for bit.
 * For readers of many subjects: files whose vertices ascend (all that MNE writes) are
 * streamed through a fixed buffer, reading only the window, allocating nothing.
 * Errors: those of cperm_stc_read for the pair; CPERM_EMISMATCH (not like's vertices or
 * times); CPERM_EFORMAT (a non-finite value: file, vertex, time; the first in vertex-major
 * order); CPERM_EINVAL (arguments: like's kind, the window, ld < rows, unknown flags). On
 * error, frames' window holds unspecified values. */
CPERM_API int cperm_stc_read_frames(const char *lh_path, const char *rh_path,
                                    const cperm_stc *like, size_t first, size_t count,
                                    double *frames, size_t ld, unsigned flags, cperm_err *err);
/* A - B of two pairs (|A| - |B| with CPERM_FRAMES_ABS, the only flag) into frames as
 * cperm_stc_read_frames: bit for bit what reading A and then B with CPERM_FRAMES_SUBTRACT
 * gives, with both pairs streamed side by side in one pass over frames where both can be
 * (else exactly those two calls, whose errors are then returned). */
CPERM_API int cperm_stc_read_frames_diff(const char *a_lh, const char *a_rh, const char *b_lh,
                                         const char *b_rh, const cperm_stc *like, size_t first,
                                         size_t count, double *frames, size_t ld,
                                         unsigned flags, cperm_err *err);

/* numpy .npy arrays (np.save, format versions 1.0, 2.0 and 3.0), read as float64 in C order.
 * Accepted dtypes: '<f8' '>f8' '<f4' '>f4' '<i4' '>i4' '<i8' '>i8' '|u1' '|b1' (bool: 0 or 1),
 * converted exactly as numpy's astype(np.float64); fortran_order True is transposed into C
 * order. A 0-d array has ndim 0 and size 1; a dimension of 0 gives size 0 (data still
 * non-NULL). Errors (each naming the file): CPERM_EFORMAT (bad magic, truncated header or
 * data, a header that is not numpy's dict literal, data length not matching the shape),
 * CPERM_EUNSUPPORTED (an unknown format version or dtype: object, complex, structured, ...;
 * more than CPERM_NPY_MAX_DIMS dimensions; a file over 16 GiB), CPERM_ENOMEM (shape too
 * large for memory), CPERM_ENOTFOUND and CPERM_EIO (reading the file). Free with
 * cperm_npy_free (NULL accepted). */
#define CPERM_NPY_MAX_DIMS 32
typedef struct cperm_npy {
    size_t ndim;                       /* 0 .. CPERM_NPY_MAX_DIMS */
    size_t shape[CPERM_NPY_MAX_DIMS];  /* shape[0 .. ndim) as in the file, the rest 0 */
    size_t size;                       /* product of the shape: the number of values */
    char dtype[8];                     /* the file's descr, e.g. "<f4" */
    int fortran_order;                 /* the file's flag (data are C order regardless) */
    double *data;                      /* size values, C (row-major) order; owned */
} cperm_npy;
CPERM_API int cperm_npy_read(cperm_npy **out, const char *path, cperm_err *err);
/* The same from memory; `name` is used in messages. */
CPERM_API int cperm_npy_read_mem(cperm_npy **out, const void *data, size_t size,
                                 const char *name, cperm_err *err);
CPERM_API void cperm_npy_free(cperm_npy *arr);
/* np.save's bytes for an array of doubles in C order: format 1.0, dtype "<f8" (the values
 * as they are) or "<i4" (each value must be an integer in int32's range), the header padded
 * to 64 bytes as numpy pads it. *out (free() it) holds *len bytes. Errors: CPERM_EINVAL (dtype,
 * ndim over CPERM_NPY_MAX_DIMS, a value not an int32), CPERM_ENOMEM. */
CPERM_API int cperm_npy_format(unsigned char **out, size_t *len, const double *data,
                               const size_t *shape, size_t ndim, const char *dtype,
                               cperm_err *err);

/* scipy.sparse.save_npz / load_npz files (src/io/npz.c, a zip read with libzip) as a graph:
 * formats csr, csc and coo, square; every stored entry (i, j) is an edge in both directions
 * and the diagonal is dropped, as MNE's clustering uses an adjacency's structure (its
 * temporal path symmetrises it, its global path takes weak components; stored zeros count).
 * Errors (naming the file): CPERM_EFORMAT (not a zip, a missing or corrupt member, shapes
 * or indices that do not fit), CPERM_EUNSUPPORTED (bsr, dia, not square), CPERM_ENOMEM,
 * CPERM_ENOTFOUND / CPERM_EIO (the file). Free *out with cperm_graph_free. */
CPERM_API int cperm_graph_read_npz(cperm_graph **out, const char *path, cperm_err *err);
CPERM_API int cperm_graph_read_npz_mem(cperm_graph **out, const void *data, size_t size,
                                       const char *name, cperm_err *err);

/* --------------------------------------------------------------- statistics */

/* Student t quantile, equal to scipy.stats.t.ppf (scipy 1.10: cdflib's cdft root search,
 * which is not the exact quantile) - bit-identical in the cross-checks. NaN unless
 * 0 < p < 1 and df > 0. Pure function, thread-safe. */
CPERM_API double cperm_t_ppf(double p, double df);
/* Student t CDF, equal to scipy.stats.t.cdf (cdflib's cumt). NaN for df <= 0 or NaN input. */
CPERM_API double cperm_t_cdf(double t, double df);
/* The cluster-forming t threshold for p as MNE computes it: -t.ppf(p/2, df) for tail 0,
 * -t.ppf(p, df) for tail 1 and t.ppf(p, df) for tail -1 (what MNE's default threshold and
 * the seed's `-stats.distributions.t.ppf(p / 2., n - 1)` give). NaN unless 0 < p < 1,
 * df > 0 and tail is -1, 0 or 1. */
CPERM_API double cperm_t_threshold(double p, double df, int tail);

enum { CPERM_SIGMA_RELATIVE = 0, CPERM_SIGMA_ABSOLUTE = 1 };

/* mne.stats.ttest_1samp_no_p on X (n_subjects x n_tests), bit-identical to numpy's
 * column-wise evaluation for n_tests >= 2. Writes n_tests values to t_out. */
CPERM_API int cperm_ttest_1samp(double *t_out, const double *X, size_t n_subjects,
                                size_t n_tests, double sigma, int method, cperm_err *err);

/* ----------------------------------------------------- the permutation test */

enum {
    CPERM_COMPAT_NONE = 0,  /* true connected components (MNE 1.3 "global path") */
    CPERM_COMPAT_MNE13 = 1  /* MNE 1.3's list path, including its 1-step split */
};

#define CPERM_PERMUTATIONS_ALL (-1L)

/* TFCE modes. Scores are per point; with E = tfce_e, H = tfce_h and e(h) the extent of the
 * point's cluster at threshold h:
 *  EXACT:   the integral of e(h)^E h^H dh from 0 to the point's height (Smith & Nichols
 *           2009), no step; true connected components (compat must be NONE).
 *  RIEMANN: sum over np.arange(start, stop, step) thresholds of |h|^H * dh * e^E, dh the
 *           threshold difference (the first threshold itself at the first), as MNE after
 *           its TFCE fix (PR 14286).
 *  MNE13:   MNE 1.3's released sum of dh^H * e^E, bit-identical, p-values of tail -1
 *           included (H0[0] = min score, p = mean(H0 <= score): inverted).
 * Every point is then one "cluster" (cperm_run_n_clusters = n_points, stats = scores,
 * pvalues per point), as MNE returns them; cperm_run_tobs stays the t map. */
enum {
    CPERM_TFCE_NONE = 0,
    CPERM_TFCE_EXACT = 1,
    CPERM_TFCE_RIEMANN = 2,
    CPERM_TFCE_MNE13 = 3
};

/* Called from the executing thread before the first permutation block of each pass (`done`
 * = the permutations already done: 0, or as far as a restored checkpoint got) and after each
 * block. Return non-zero to cancel (execute then returns CPERM_ECANCELLED). `done` counts
 * permutations of this pass. From these calls on, cperm_run_tobs and cperm_run_n_clusters
 * already give the observed statistic and cluster count (so a log can show them while the
 * permutations run). The same calls come from cperm_run_permute on a range [k0, k1) of a
 * pass: before its first block with done = k0, after each block with done = the end of that
 * block (an index into the pass's orders; for execute, which permutes [start, total), the
 * count above). */
typedef int (*cperm_progress_fn)(void *user, size_t done, size_t total, int pass);

/* Designs: how observations are exchangeable under the null hypothesis, which decides the
 * orders a test permutes.
 *  SIGN_FLIP: one sample (or paired differences A - B): X holds n_subjects observations and
 *             each order flips the signs of some (MNE's _get_1samp_orders: exact enumeration
 *             when there are few patterns).
 *  GROUPS:    independent groups: X stacks the groups' observations, group after group, and
 *             each order shuffles all labels (MNE's [rng.permutation(n) for _ in
 *             range(n_permutations - 1)], so n_permutations counts the identity and 'all' is
 *             not accepted, as in MNE). With the statistic F_MWAY_RM the groups are the cells
 *             of a repeated-measures design and rm_scheme decides the orders (below). */
enum { CPERM_DESIGN_SIGN_FLIP = 0, CPERM_DESIGN_GROUPS = 1 };
#define CPERM_MAX_GROUPS 64

/* Statistics of a point. DEFAULT is the design's own: T_1SAMP for SIGN_FLIP, F_ONEWAY for
 * GROUPS.
 *  T_1SAMP:  mne.stats.ttest_1samp_no_p with the hat adjustment (sigma, sigma_method).
 *  F_ONEWAY: mne.stats.f_oneway (MNE's default for permutation_cluster_test), bit for bit;
 *            tail 1 (or 0, MNE's default, the same test as F >= 0), the threshold an F.
 *  T_IND:    mne.stats.ttest_ind_no_p(a, b, equal_var, sigma) of two groups (a - b), bit
 *            for bit; any tail. As in MNE's permutation_cluster_test, a permutation's H0
 *            entry is its largest cluster sum (np.max), for every tail.
 *  F_MWAY_RM: (GROUPS) the F of one effect of mne.stats.f_mway_rm (correction=False), bit
 *            for bit: a repeated-measures ANOVA of rm_n_factors factors with
 *            rm_factor_levels levels (the cells ordered as MNE's, the last factor varying
 *            fastest: A1B1, A1B2, A2B1, A2B2 for 2 x 2). X stacks the cells: the plan's
 *            n_subjects is n_cells x the subjects, rows c * S + s holding subject s in cell c
 *            (S subjects, the same order in every cell); n_groups and group_sizes may be left
 *            0 and NULL (or give n_cells groups of S). rm_effect names the effect as a factor
 *            mask (bit k = factor 'A' + k; cperm_f_mway_effects gives it from "A:B"). Tail 1
 *            (or 0, the same test); the threshold an F (cperm_f_threshold_mway_rm). Each
 *            point's F is f_mway_rm's expression in numpy's order: the contrast product
 *            np.dot(data, c_) summed cell by cell (the order of the reference BLAS's strided
 *            ddot, Debian's default libblas3; a BLAS that splits the sum, such as OpenBLAS's
 *            strided kernel for 4 cells and more, can make MNE's F differ in the last bits),
 *            the subjects' mean row by row, the contrast columns and the subjects with
 *            np.sum's pairwise sums. */
enum { CPERM_STAT_DEFAULT = 0, CPERM_STAT_T_1SAMP = 1, CPERM_STAT_F_ONEWAY = 2,
       CPERM_STAT_T_IND = 3, CPERM_STAT_F_MWAY_RM = 4, CPERM_STAT_CALLBACK = 5 };

/* A caller's statistic (CPERM_STAT_CALLBACK, for bindings whose users pass any stat_fun):
 * the statistic of every point of data X (n_rows x n_points, row-major) into out (n_points).
 * X is the observed data once (cperm_run_begin), then each order's permuted data: SIGN_FLIP,
 * X with the rows of flipped subjects negated (MNE's X * (2 * order - 1)); GROUPS, the rows
 * X[order] (MNE's X_full[order], the groups stacked by group_sizes). X is the engine's
 * scratch, valid during the call only. Return 0, or non-zero to stop the test (the engine
 * then fails with CPERM_ECANCELLED, naming the order). The engine calls it from one thread
 * at a time, orders ascending within each cperm_run_permute; thresholding, clustering (or
 * TFCE), H0, p-values and step-down stay the engine's, so with the same statistic and orders
 * every result is MNE's. A NaN in out is a point no cluster holds (as MNE's comparisons
 * with NaN); an infinite value passes any threshold of its sign, as in MNE and the built-in
 * statistics; exact TFCE refuses an infinite one. */
typedef int (*cperm_stat_fn)(void *user, const double *X, size_t n_rows, size_t n_points,
                             double *out);

/* Permutation schemes of a repeated-measures design (F_MWAY_RM), what each assumes under H0:
 *  RM_WITHIN: each order permutes, independently for every subject, which of its cells is
 *            which (subject s's cell c takes its cell pi_s(c)): cells are exchangeable within
 *            a subject, the null hypothesis of a repeated-measures design; subjects' own
 *            levels (subject effects) never move between subjects. Not in MNE (mne #5074).
 *            Random: for every order and every subject s in turn, pi_s =
 *            RandomState(seed).permutation(n_cells) from one stream (n_permutations - 1
 *            orders, drawn with replacement, as MNE's label shuffles). Exact: when
 *            n_permutations >= (n_cells!)^S, or n_permutations = CPERM_PERMUTATIONS_ALL,
 *            every order but the identity is enumerated ((n_cells!)^S - 1 orders, the seed
 *            unused; cperm_plan_is_exact): subject 0's permutation varies slowest, each the
 *            lexicographic permutation of its rank. 'all' beyond 10^8 orders is refused.
 *  RM_MNE:   MNE's closure pattern, permutation_cluster_test over the cells as groups with
 *            stat_fun = lambda *a: f_mway_rm(np.swapaxes(np.array(a), 0, 1), ...): every
 *            order shuffles all cells x subjects rows (the GROUPS orders), which assumes all
 *            observations exchangeable under H0 - wrong for repeated measures with subject
 *            effects (it mixes subjects), but identical to MNE's results. */
enum { CPERM_RM_WITHIN = 0, CPERM_RM_MNE = 1 };
/* Most factors of a repeated-measures design (cells <= CPERM_MAX_GROUPS). */
#define CPERM_RM_MAX_FACTORS 6

typedef struct cperm_options {
    int version;              /* CPERM_OPTIONS_VERSION */
    double threshold;         /* cluster-forming t threshold (sign must agree with tail) */
    int tail;                 /* -1, 0, 1 */
    double t_power;           /* 0 = cluster size, 1 = sum of t; others via pow */
    long n_permutations;      /* > 0, or CPERM_PERMUTATIONS_ALL */
    uint32_t seed;            /* numpy RandomState seed */
    size_t max_step;          /* >= 1 */
    double sigma;             /* hat adjustment; 0 = plain t */
    int sigma_method;         /* CPERM_SIGMA_* */
    double step_down_p;       /* 0 = no step-down */
    int n_jobs;               /* threads of new runs; -1 = all cores, 0 or 1 = one
                                 (cperm_run_set_threads changes a run's) */
    int compat;               /* CPERM_COMPAT_* */
    const uint8_t *spatial_exclude; /* n_vertices flags (non-zero = excluded), or NULL;
                                       copied at plan creation */
    cperm_progress_fn progress; /* of new runs, or NULL (cperm_run_set_progress) */
    void *progress_user;
    /* TFCE (threshold-free cluster enhancement, tfce.c); `threshold` and `t_power` are then
     * unused. Stepped modes take MNE's threshold=dict(start=, step=, h_power=, e_power=):
     * tail 0/1 need start >= 0 and step > 0, tail -1 start <= 0 and step < 0. */
    int tfce;                 /* CPERM_TFCE_* */
    double tfce_start, tfce_step; /* stepped modes only */
    double tfce_h, tfce_e;    /* height and extent exponents (MNE's defaults 2 and 0.5) */
    /* Version 2: the design and the statistic. A version-1 struct ends before these fields
     * (its callers were compiled without them) and means a sign-flip one-sample t test. */
    int design;               /* CPERM_DESIGN_* */
    size_t n_groups;          /* GROUPS: 2 .. CPERM_MAX_GROUPS */
    const size_t *group_sizes;/* GROUPS: observations per group (each >= 1, more observations
                                 than groups), summing to the plan's n_subjects; copied */
    int statistic;            /* CPERM_STAT_* */
    int equal_var;            /* T_IND: pooled variance (1, MNE's default) or Welch's (0) */
    int sequential_sums;      /* 1: each cluster summed left to right, as MNE's path for 1-D
                                 data without adjacency (ndimage.sum, a running sum); 0:
                                 numpy's pairwise np.sum, as every other MNE path */
    /* Exclusion of any points (MNE's `exclude` of permutation_cluster_1samp_test and
     * permutation_cluster_test: a mask over X's whole sample shape, which may differ between
     * time points, where spatial_exclude repeats one mask at every time point). */
    const uint8_t *exclude;   /* n_times x n_vertices flags (non-zero = excluded), or NULL;
                                 a point is excluded if either mask excludes it; copied at
                                 plan creation */
    /* Repeated measures (statistic F_MWAY_RM; src/stats/rmanova.c). */
    size_t rm_n_factors;      /* 1 .. CPERM_RM_MAX_FACTORS */
    const size_t *rm_factor_levels; /* levels per factor (>= 1; at most CPERM_MAX_GROUPS
                                 cells in all), MNE's factor_levels; copied */
    uint32_t rm_effect;       /* the effect tested: bit k = factor 'A' + k, each of >= 2
                                 levels (1 = "A", 3 = "A:B", ...) */
    int rm_scheme;            /* CPERM_RM_WITHIN (default) or CPERM_RM_MNE */
    /* end of repeated measures */
    /* Cluster-forming controls beyond MNE (issue 13; src/engine/clusters.c). 0 = off, MNE's
     * clusters bit for bit. They apply to threshold-based clusters of either design, in the
     * observed map and in every permuted one alike (so H0 follows the same rule); TFCE
     * refuses them (CPERM_EINVAL). Order: min_neighbors on the supra-threshold points, then
     * clustering, then min_duration and min_extent on each cluster.
     *  min_neighbors: FieldTrip's minnbchan. A supra-threshold point stays only if at least
     *    this many of its spatial neighbours (same time point, same sign, not excluded) stay
     *    too; as FieldTrip's findcluster the removal is repeated until nothing changes (the
     *    k-core of each time point's supra-threshold subgraph). At most the graph's largest
     *    degree.
     *  min_duration: Eelbrain's mintime, in time points: a cluster covering fewer distinct
     *    time points is discarded (with max_step 1 that is its span). At most n_times.
     *  min_extent: Eelbrain's minsource: a cluster covering fewer distinct vertices is
     *    discarded. At most n_vertices. */
    size_t min_neighbors;
    size_t min_duration;
    size_t min_extent;
    /* end of the cluster-forming controls */
    /* Version 3: what bindings supply (issue 15).
     *  given_orders: NULL, or n_given_orders orders that replace the ones the plan would
     *    draw (seed and n_permutations are then unused; cperm_plan_is_exact is 0): for
     *    SIGN_FLIP n_subjects bytes each (1 = kept, 0 = flipped, as cperm_plan_orders), for
     *    GROUPS n_subjects uint32 indices each (a permutation of 0 .. n_subjects - 1, as
     *    cperm_plan_label_orders). So a binding can draw them from any random generator
     *    (numpy's RandomState or Generator objects, in MNE's way). Copied at plan creation:
     *    n_given_orders x n_subjects (x 4) bytes. CPERM_EINVAL for a byte other than 0/1 or
     *    a row that is not a permutation, naming the order.
     *  stat_fn, stat_user: the statistic CPERM_STAT_CALLBACK (cperm_stat_fn above), of
     *    either design, threshold clusters or TFCE; sigma, equal_var and the repeated-measures
     *    fields are then unused. */
    const void *given_orders;
    size_t n_given_orders;
    cperm_stat_fn stat_fn;
    void *stat_user;
    /* Version 4: exact TFCE's extra statistics (issue 17). tfce_also: 0, or a mask of
     * CPERM_ALSO_MASS and CPERM_ALSO_EXTENT: the same component-tree sweep of each permuted
     * (and the observed) t map that gives the exact TFCE scores also gives, when it passes
     * below `threshold`, the clusters of the points beyond it (true components, the default
     * mode's clusters, tail and threshold as the cluster-mass test's; excluded points left
     * out) with their cluster mass (t_power as the options say) and extent (the point count,
     * signed as MNE's t_power = 0 mass: -size for a negative cluster). Each gets its H0 (H0[0]
     * the observed extreme, the cluster-mass kernel's p-value rule) and the observed clusters'
     * p-values (cperm_run_tfce_also_*). Only with CPERM_TFCE_EXACT and the sign-flip one-sample
     * t (no callback statistic), a threshold that is not 0 and no step-down (CPERM_EINVAL). */
    unsigned tfce_also;
} cperm_options;

/* The bits of cperm_options.tfce_also. */
#define CPERM_ALSO_MASS 1u
#define CPERM_ALSO_EXTENT 2u

#define CPERM_OPTIONS_VERSION 4
/* Bytes of each struct version: the library reads no more of a caller's struct. */
#define CPERM_OPTIONS_V1_SIZE offsetof(cperm_options, design)
#define CPERM_OPTIONS_V2_SIZE offsetof(cperm_options, given_orders)
#define CPERM_OPTIONS_V3_SIZE offsetof(cperm_options, tfce_also)
#define CPERM_OPTIONS_V4_SIZE sizeof(cperm_options)
#define CPERM_OPTIONS_INIT                                                         \
    { CPERM_OPTIONS_VERSION, 0.0, 0, 1.0, 1024L, 0u, 1u, 0.0, CPERM_SIGMA_RELATIVE, \
      0.0, 1, CPERM_COMPAT_NONE, NULL, NULL, NULL, CPERM_TFCE_NONE, 0.0, 0.2, 2.0, 0.5, \
      CPERM_DESIGN_SIGN_FLIP, 0, NULL, CPERM_STAT_DEFAULT, 1, 0, NULL,            \
      /* repeated measures */ 0, NULL, 0u, CPERM_RM_WITHIN,                      \
      0, 0, 0 /* min_neighbors, min_duration, min_extent */,                     \
      NULL, 0, NULL, NULL /* given orders, statistic callback */,                \
      0u /* tfce_also */ }

/* Fills *opts with the defaults above for struct version `version` (1 ..
 * CPERM_OPTIONS_VERSION), the way bindings and callers should start: the struct then never
 * has to be re-typed. Writes only that version's bytes (CPERM_OPTIONS_V1_SIZE for 1), so a
 * caller compiled against an older header passes its older struct; every function taking
 * options accepts every version. Returns CPERM_EINVAL for NULL, CPERM_EUNSUPPORTED for an
 * unknown version. */
CPERM_API int cperm_options_init(cperm_options *opts, int version);

/* The library's version at run time ("0.1.0"); compare with CPERM_VERSION_STRING, the
 * version a caller was compiled against. */
CPERM_API const char *cperm_version(void);

/* Frees a buffer the library documents as the caller's to free (accepts NULL). Use it rather
 * than free() so that a caller with another C runtime frees with the library's. */
CPERM_API void cperm_free(void *buffer);

typedef struct cperm_plan cperm_plan;
typedef struct cperm_run cperm_run;

/* Validate options and shapes, copy what is needed from the graph (which may be freed
 * afterwards), draw the sign-flip orders exactly as MNE 1.3 does. */
CPERM_API int cperm_plan_create(cperm_plan **out, const cperm_graph *graph,
                                size_t n_subjects, size_t n_times,
                                const cperm_options *options, cperm_err *err);
CPERM_API void cperm_plan_free(cperm_plan *plan);

/* Number of sign-flip orders that will be run (len(H0) - 1), and whether the test is exact. */
CPERM_API size_t cperm_plan_n_orders(const cperm_plan *plan);
CPERM_API int cperm_plan_is_exact(const cperm_plan *plan);
/* Orders k0 .. k1-1 (0-based, k1 <= cperm_plan_n_orders) of a sign-flip plan into `out`,
 * n_subjects bytes each: 1 = kept, 0 = sign flipped. A plan does not hold its orders (they
 * would take n_orders x n_subjects bytes); they are regenerated from MNE's random stream, so
 * a range far from the start costs up to a few thousand orders' draws more. CPERM_EINVAL for
 * a bad range. */
CPERM_API int cperm_plan_orders(const cperm_plan *plan, size_t k0, size_t k1, uint8_t *out,
                                cperm_err *err);
/* The same for a GROUPS plan: n_subjects uint32 indices per order, MNE's order: the
 * permuted X is X[order], split into the groups by their sizes. CPERM_EINVAL for a bad range
 * or a plan of another design (and cperm_plan_orders for a GROUPS plan). */
CPERM_API int cperm_plan_label_orders(const cperm_plan *plan, size_t k0, size_t k1,
                                      uint32_t *out, cperm_err *err);
CPERM_API double cperm_plan_threshold(const cperm_plan *plan);

/* A run holds every buffer one execution needs (workspace and results), so that
 * executing allocates nothing. One run per concurrent execution. */
CPERM_API int cperm_run_create(cperm_run **out, const cperm_plan *plan, cperm_err *err);
CPERM_API void cperm_run_free(cperm_run *run);
/* A run's threads and progress callback are its own: they start as the plan's options gave
 * them (n_jobs, progress, progress_user) and may change between executions. Results never
 * depend on the thread count. cperm_run_set_threads (n_jobs as in the options: -1 = all
 * cores) remakes the per-thread workspaces, so it allocates and discards the results of a
 * previous execution; CPERM_EINVAL while a step-down pass is open (between cperm_run_begin
 * and its last cperm_run_end_pass), CPERM_ENOMEM (the run then keeps one thread, or is
 * unusable if even that fails, as the message says). cperm_run_threads gives the count. */
CPERM_API int cperm_run_set_threads(cperm_run *run, int n_jobs, cperm_err *err);
CPERM_API int cperm_run_threads(const cperm_run *run);
CPERM_API void cperm_run_set_progress(cperm_run *run, cperm_progress_fn progress, void *user);

/* Run the test on X (n_subjects x n_times x n_vertices, row-major, float64). X is not
 * modified. Errors: NaN/Inf in X (CPERM_EINVAL), cancellation. Thread-safe for distinct
 * runs on one plan. Results are bit-identical for any n_jobs. */
CPERM_API int cperm_plan_execute(const cperm_plan *plan, const double *X, cperm_run *run,
                                 cperm_err *err);

/* The same test in steps, so that the permutations of a pass can be split into ranges,
 * computed by several runs (threads, processes, MPI ranks, a Python loop) and merged.
 * cperm_plan_execute is exactly:
 *
 *     cperm_run_begin(plan, X, run, err);
 *     for (int more = 1; more;) {
 *         cperm_run_permute(plan, X, run, done, n_orders, err);   // done: see cperm_run_pass
 *         cperm_run_end_pass(plan, run, &more, err);
 *     }
 *
 * and every result (T_obs, clusters, each H0 value bit for bit, p-values, step-down counts)
 * is the same however a pass's orders [0, n_orders) are split into ranges, in whatever order
 * the ranges are computed or imported, and by how many runs. A split run goes:
 *
 *     every run:  cperm_run_begin(plan, X, run, err);
 *     each pass:  cperm_run_permute(plan, X, run, k0, k1, err);      // this run's range
 *                 cperm_run_export_h0(run, k0, k1, buf, err);          // send buf to the others
 *                 cperm_run_import_h0(run, j0, j1, their_buf, err);    // each other range
 *                 cperm_run_end_pass(plan, run, &more, err);           // same `more` everywhere
 *
 * Every run ends each pass itself on the full H0, so all make the same step-down decision
 * and start the next pass (more = 1: permute [0, n_orders) again) in the same state. The
 * step calls, like execute, allocate nothing; one run is used by one thread at a time.
 *
 * cperm_run_begin: validates X (NaN/Inf: CPERM_EINVAL), computes T_obs, the observed clusters
 * (TFCE: points) and H0[0], and opens the first step-down pass; a checkpoint restored into
 * the run (cperm_run_restore) resumes instead: its pass opens with the orders it carried
 * already present (CPERM_EMISMATCH if it was made for other data or parameters). From here
 * on cperm_run_tobs and cperm_run_n_clusters give the observed results. */
CPERM_API int cperm_run_begin(const cperm_plan *plan, const double *X, cperm_run *run,
                              cperm_err *err);
/* Computes the H0 entries of orders [k0, k1) (0 <= k0 <= k1 <= n_orders) of the open pass on
 * X, which must be the array the run began with (CPERM_EINVAL otherwise), in blocks between
 * progress callbacks (cperm_progress_fn; CPERM_ECANCELLED when one asks to stop, the blocks
 * before it kept). Entries computed again are overwritten with the same values. With no
 * observed cluster there is nothing to compute and it returns 0 at once. Counts towards
 * cperm_run_n_executed. Errors: CPERM_EINVAL (no open pass, bad range), CPERM_ECANCELLED,
 * a statistic's failure on a permuted map (TFCE: CPERM_EINVAL naming the permutation). */
CPERM_API int cperm_run_permute(const cperm_plan *plan, const double *X, cperm_run *run,
                                size_t k0, size_t k1, cperm_err *err);
/* Copies the H0 entries of orders [k0, k1) of the open pass (after the last cperm_run_end_pass:
 * of the last pass) to out (k1 - k0 doubles; out[0] is H0[1 + k0]). CPERM_EINVAL if the run
 * has no pass or one of them was neither computed nor imported. */
CPERM_API int cperm_run_export_h0(const cperm_run *run, size_t k0, size_t k1, double *out,
                                  cperm_err *err);
/* Stores k1 - k0 H0 entries for orders [k0, k1) of the open pass, as cperm_run_export_h0 of
 * another run on the same plan parameters, data and pass gave them (not checked: that is the
 * caller's contract; cperm_run_merge_h0 checks what it can). CPERM_EINVAL without an open
 * pass or for a bad range. Not counted by cperm_run_n_executed. */
CPERM_API int cperm_run_import_h0(cperm_run *run, size_t k0, size_t k1, const double *in,
                                  cperm_err *err);
/* Export from src and import into dst in one call, for runs in one process. CPERM_EMISMATCH
 * unless both have the same shape and number of orders, are in the same pass with the same
 * removed clusters, and have as many observed clusters and the same H0[0] (bits); then as
 * export + import. */
CPERM_API int cperm_run_merge_h0(cperm_run *dst, const cperm_run *src, size_t k0, size_t k1,
                                 cperm_err *err);
/* Ends the open pass once all of its H0 entries are present (CPERM_EINVAL naming the first
 * missing one otherwise): p-values and the step-down decision. *more = 1: clusters with
 * p < step_down_p were newly excluded and another pass is open (permute [0, n_orders) again);
 * *more = 0: the test is complete and its results are available. */
CPERM_API int cperm_run_end_pass(const cperm_plan *plan, cperm_run *run, int *more,
                                 cperm_err *err);
/* The open (or last) step-down pass of a begun run, 0-based, and in *done (if not NULL) the
 * orders from 0 on whose H0 entries are all present: where an uninterrupted permute of the
 * pass continues (0, or as far as a restored checkpoint got). */
CPERM_API int cperm_run_pass(const cperm_run *run, size_t *done);

/* Results of the last successful execute, owned by the run (tobs and n_clusters also during
 * the progress callbacks of an execute, see cperm_progress_fn). */
CPERM_API const double *cperm_run_tobs(const cperm_run *run);       /* n_times x n_vertices */
CPERM_API size_t cperm_run_n_clusters(const cperm_run *run);
/* Members of cluster k as flat indices t*n_vertices+v; ascending in default mode, MNE's
 * element order in compat mode. */
CPERM_API const int64_t *cperm_run_cluster(const cperm_run *run, size_t k, size_t *n_members);
/* Cluster k as MNE's out_type returns it (src/engine/cluster_shapes.c), for bindings that
 * build MNE's clusters without a loop over points. The run's points are X's sample shape
 * flattened in C order (n_times x n_vertices: X.shape[1:] for any number of dimensions), so
 * a mask reshapes to X.shape[1:] and indices unravel with np.unravel_index(idx, X.shape[1:]).
 *  cperm_run_cluster_mask: out_type='mask': mask[p] = 1 for the cluster's points, 0 for the
 *    others; n_mask must be the run's point count. (For 1-D data with adjacency=None MNE
 *    1.3 returns ndimage.find_objects' (slice(first, last + 1),) there instead: the first
 *    and last of the indices below.)
 *  cperm_run_cluster_indices: the cluster's flat indices ascending, the order np.nonzero
 *    gives on its mask: MNE's out_type='indices' for adjacency=None (np.where of ndimage's
 *    masks, np.arange of a 1-D slice) and for an adjacency over every point (its global
 *    path). cap is out's length; *n_out (may be NULL) receives the count, also when cap is
 *    too small. For an adjacency over the last dimensions only, MNE's list path returns the
 *    points in its own order, which cperm_run_cluster gives in compat mode.
 * Errors (nothing written but *n_out): CPERM_EINVAL for a NULL run, a run without results, k
 * out of range, a NULL buffer, n_mask not the point count, cap too small. Allocate nothing;
 * the run is only read, so several threads may call them on one run. */
CPERM_API int cperm_run_cluster_mask(const cperm_run *run, size_t k, uint8_t *mask,
                                     size_t n_mask, cperm_err *err);
CPERM_API int cperm_run_cluster_indices(const cperm_run *run, size_t k, int64_t *out,
                                        size_t cap, size_t *n_out, cperm_err *err);
CPERM_API const double *cperm_run_cluster_stats(const cperm_run *run); /* n_clusters */
CPERM_API const double *cperm_run_pvalues(const cperm_run *run);       /* n_clusters */
CPERM_API const double *cperm_run_h0(const cperm_run *run, size_t *n_h0);
CPERM_API size_t cperm_run_n_step_downs(const cperm_run *run);
/* Clusters newly excluded by step-down pass `pass` (0-based), as MNE logs them; with TFCE
 * the points (each its own "cluster", as MNE returns them). 0 past the last pass. */
CPERM_API size_t cperm_run_step_down_removed(const cperm_run *run, size_t pass);
/* TFCE results (NULL unless the plan has a TFCE mode): scores * sign(t), the t_obs MNE
 * returns with TFCE, and the per-point p-values (the same array as cperm_run_pvalues). */
CPERM_API const double *cperm_run_tfce_map(const cperm_run *run);     /* n_points */
CPERM_API const double *cperm_run_tfce_pvalues(const cperm_run *run); /* n_points */
/* TFCE scores (unsigned) of any statistic map stat (n_times x n_vertices) with the plan's
 * graph, tail, TFCE mode and spatial_exclude; no permutations. Allocates its own scratch.
 * Errors: CPERM_EINVAL (plan without TFCE, no finite value in a stepped mode, thresholds
 * not strictly monotonic, an infinite value in exact mode), CPERM_ENOMEM. */
CPERM_API int cperm_tfce_scores(const cperm_plan *plan, const double *stat, double *scores,
                                cperm_err *err);
/* Exact TFCE's extra statistics (options.tfce_also; what = CPERM_ALSO_MASS or
 * CPERM_ALSO_EXTENT, one bit). The observed clusters (the threshold clusters of T_obs, as a
 * plain cluster-mass run finds them in default mode: positive clusters first, each ordered by
 * its smallest flat index, members ascending) are shared by both statistics:
 *  cperm_run_tfce_also_n_clusters: their count (0 without tfce_also or results);
 *  cperm_run_tfce_also_cluster: cluster k's members (flat indices ascending), *n_members;
 *  cperm_run_tfce_also_stats: n_clusters statistics (mass: np.sum of sign(t)|t|^t_power
 *    over the members, bit for bit as the cluster-mass kernel; extent: +-size);
 *  cperm_run_tfce_also_pvalues: their p-values (MNE's rule, the driver's p-value routine);
 *  cperm_run_tfce_also_h0: n_orders + 1 values, H0[0] the observed extreme, H0[1 + k] the
 *    statistic of permuted map k (tail 0: the signed statistic of largest magnitude, the
 *    positive one on a tie; permuted masses are summed in the sweep's order, which may differ
 *    from np.sum's in the last bits). NULL (0) when `what` was not asked for, before results,
 *    or when some H0 entry of the pass was imported or restored rather than computed by this
 *    run (the extra H0s do not travel with cperm_run_export_h0 or checkpoints). Owned by the
 *    run; valid until its next execution. */
CPERM_API size_t cperm_run_tfce_also_n_clusters(const cperm_run *run);
CPERM_API const int64_t *cperm_run_tfce_also_cluster(const cperm_run *run, size_t k,
                                                     size_t *n_members);
CPERM_API const double *cperm_run_tfce_also_stats(const cperm_run *run, unsigned what);
CPERM_API const double *cperm_run_tfce_also_pvalues(const cperm_run *run, unsigned what);
CPERM_API const double *cperm_run_tfce_also_h0(const cperm_run *run, unsigned what,
                                               size_t *n_h0);

/* Checkpoints. Between chunks of permutations (for example from the progress callback) the
 * state of a running execute can be serialised into buf (cap bytes); returns the size needed
 * (call with buf = NULL to ask), or 0 if the run has not started. The blob holds a fingerprint
 * of X and of the plan, the step-down pass and the H0 entries of its orders 0 .. done - 1
 * (cperm_run_pass; entries of a pass computed out of order beyond them are not kept).
 * cperm_run_restore loads such a blob; the next cperm_plan_execute (or cperm_run_begin) of
 * the same plan then resumes where it stopped and returns results identical to an
 * uninterrupted run, or fails with CPERM_EMISMATCH if data or parameters differ.
 * Errors of restore: CPERM_EFORMAT (not a checkpoint, corrupt), CPERM_EMISMATCH. */
CPERM_API size_t cperm_run_checkpoint(cperm_run *run, void *buf, size_t cap);
CPERM_API int cperm_run_restore(cperm_run *run, const void *buf, size_t size, cperm_err *err);
/* Work counters (for reports on resuming, and tests). cperm_run_n_executed: the permutations
 * (sign-flip orders) whose statistic execute or cperm_run_permute calls on this run computed
 * since it was created or last restored, step-down passes summed (each pass runs every order
 * again, so an uninterrupted run with S passes computes S x n_orders); what a restored
 * checkpoint carried or cperm_run_import_h0/_merge_h0 brought is not counted; a call that
 * fails or is cancelled counts the chunks it finished. cperm_run_n_restored: the orders of its step-down pass that
 * the last successful cperm_run_restore loaded (0 if none), and that pass (0-based) in *pass
 * if pass is not NULL. A resumed run that completes thus computed (n_orders - restored) +
 * (S - 1 - pass) x n_orders. */
CPERM_API size_t cperm_run_n_executed(const cperm_run *run);
CPERM_API size_t cperm_run_n_restored(const cperm_run *run, int *pass);

/* ------------------------------------------------------------- summaries */

/* summarize_clusters_stc: out is (n_vertices x (n_good + 1)), column 0 the total signed
 * duration over clusters with p < p_thresh, then one column per such cluster, freed with
 * cperm_free. No significant cluster is a normal result: CPERM_OK with *out = NULL and
 * *n_columns = 0 (MNE 1.3 raises a RuntimeError there). tstep is used as given (pass ms). */
CPERM_API int cperm_summarize_clusters(double **out, size_t *n_columns, const cperm_run *run,
                                       size_t n_vertices, size_t n_times, double p_thresh,
                                       double tstep, cperm_err *err);

/* ------------------------------------------------------------ synthetic data */

/* A synthetic fsaverage-like surface source space: two hemispheres (lh id 101 centred at
 * x = -1.1 radius_m, rh id 102 at +1.1 radius_m), each a sphere of radius radius_m
 * tessellated as an icosahedron subdivided `grade` times (10 * 4^grade + 2 vertices,
 * 20 * 4^grade triangles; ico-5: 10242 and 20480), unit outward normals, every vertex in
 * use (vertno = 0..np-1, use_tris = tris), MRI coordinates (5), subject "fsaverage".
 * Grades 0..4 number vertices and triangles exactly as MNE's stored ico-N surfaces; higher
 * grades continue the same midpoint subdivision (MNE's ico-5 is FreeSurfer's ic5, numbered
 * otherwise). grade 0..7. Free with cperm_src_free. */
CPERM_API int cperm_src_create_ico(cperm_srcspace **out, int grade, double radius_m,
                                   cperm_err *err);

/* ---------------------------------------------------------------- rendering */

/* A FreeSurfer binary surface (?h.white, ?h.inflated, ?h.sphere.reg ...). Triangle files
 * and both quad variants are read as nibabel.freesurfer.read_geometry does (quads split in
 * two triangles by its parity rule); trailing volume-info tags are ignored. */
typedef struct cperm_surf {
    size_t n_vertices;
    float *rr;          /* n_vertices x 3, as stored (FreeSurfer: mm) */
    size_t n_tris;
    int32_t *tris;      /* n_tris x 3, 0-based, each < n_vertices */
} cperm_surf;

/* Errors: CPERM_ENOTFOUND, CPERM_EIO, CPERM_EFORMAT (bad magic, counts larger than the
 * file, vertex numbers out of range), CPERM_ENOMEM. Free with cperm_surf_free. */
CPERM_API int cperm_surf_read(cperm_surf **out, const char *path, cperm_err *err);
CPERM_API int cperm_surf_read_mem(cperm_surf **out, const void *data, size_t size,
                                  const char *name, cperm_err *err);
CPERM_API void cperm_surf_free(cperm_surf *surf);

/* A FreeSurfer curvature/morphometry file (?h.curv: the 0xFFFFFF format with one float
 * per vertex, or the old int16/100 format), as nibabel's read_morph_data. *out (n_values
 * floats) is freed by the caller with free(). Errors as cperm_surf_read; more than one
 * value per vertex is CPERM_EUNSUPPORTED. */
CPERM_API int cperm_curv_read(float **out, size_t *n_values, const char *path, cperm_err *err);
CPERM_API int cperm_curv_read_mem(float **out, size_t *n_values, const void *data, size_t size,
                                  const char *name, cperm_err *err);

enum { CPERM_HEMI_LH = 0, CPERM_HEMI_RH = 1, CPERM_HEMI_BOTH = 2, CPERM_HEMI_SPLIT = 3 };
/* MNE's views (mne/viz/_brain/view.py), one camera per view and hemisphere. */
enum {
    CPERM_VIEW_LATERAL = 0, CPERM_VIEW_MEDIAL = 1, CPERM_VIEW_VENTRAL = 2,
    CPERM_VIEW_DORSAL = 3, CPERM_VIEW_ROSTRAL = 4, CPERM_VIEW_CAUDAL = 5
};
enum { CPERM_FORMAT_PNG = 0, CPERM_FORMAT_SVG = 1, CPERM_FORMAT_PDF = 2 };
#define CPERM_RENDER_MAX_VIEWS 6

/* The geometry of one hemisphere for rendering; borrowed, not copied. */
typedef struct cperm_render_hemi {
    size_t n_vertices;
    const float *rr;      /* n_vertices x 3, any unit */
    size_t n_tris;
    const int32_t *tris;  /* n_tris x 3 */
    const float *curv;    /* n_vertices curvatures (binarised: > 0 dark grey, as MNE's
                             cortex='classic'), or NULL for a uniform light grey */
} cperm_render_hemi;

/* Brain figure options. The defaults (CPERM_RENDER_OPTIONS_INIT) are the seed's figure:
 * hemi 'both', view 'ven', clim kind='value' lims [0, 0.1, 40], 1000 x 1000, white
 * background, MNE's smoothing_steps=10, colorbar, PNG. */
typedef struct cperm_render_options {
    int version;                /* CPERM_RENDER_OPTIONS_VERSION */
    int width, height;          /* pixels (points for SVG/PDF), 16..16384 */
    int hemi;                   /* CPERM_HEMI_* */
    size_t n_views;             /* 1..CPERM_RENDER_MAX_VIEWS, tiled top to bottom */
    int views[CPERM_RENDER_MAX_VIEWS]; /* CPERM_VIEW_* */
    double fmin, fmid, fmax;    /* clim lims (kind='value'), fmin <= fmid <= fmax */
    int transparent;            /* 1: alpha 0 at fmin rising to 1 at fmid (MNE's default) */
    double background[3];       /* RGB in [0, 1]; text is black on light, white on dark */
    const char *time_label;     /* drawn as given (no formatting), or NULL */
    size_t time_index;          /* column of the estimate that is shown */
    int smoothing_steps;        /* > 0: MNE's smoothing steps; 0: none; -1: nearest vertex */
    int colorbar;               /* non-zero: draw the colorbar */
    int offset_hemis;           /* non-zero: move lh left of x=0 and rh right of it (MNE
                                   does this for inflated surfaces with hemi 'both') */
    int format;                 /* CPERM_FORMAT_* for cperm_render_stc */
    int diverging;              /* 0: lims, one-sided 'hot'; 1: pos_lims, MNE's 'mne'
                                   colormap over [-fmax, fmax], |values| below fmin hidden */
} cperm_render_options;

#define CPERM_RENDER_OPTIONS_VERSION 1
#define CPERM_RENDER_OPTIONS_INIT                                                    \
    { CPERM_RENDER_OPTIONS_VERSION, 1000, 1000, CPERM_HEMI_BOTH, 1,                  \
      { CPERM_VIEW_VENTRAL, 0, 0, 0, 0, 0 }, 0.0, 0.1, 40.0, 1, { 1.0, 1.0, 1.0 },   \
      NULL, 0, 10, 1, 0, CPERM_FORMAT_PNG, 0 }

/* Render column time_index of a two-hemisphere surface estimate on `geom` (lh, rh) the way
 * MNE's stc.plot does (values spread from the estimate's vertices to the whole surface,
 * MNE's 'hot' lookup table for one-sided lims, curvature in greys, three-light Lambert
 * shading, orthographic camera per view), with the colorbar and time label drawn by Cairo
 * in a band of their own below the brain (no brain pixel falls in it) and each visible
 * hemisphere labelled "lh"/"rh" just above it (seen from below, lh is on the right).
 * The image comes back encoded (PNG, SVG or PDF per opts->format) in *out (*out_len
 * bytes, freed by the caller with free()). Errors: CPERM_EINVAL (options, an estimate that
 * is not a scalar lh/rh pair, time_index out of range), CPERM_EMISMATCH (an estimate
 * vertex beyond its hemisphere's surface), CPERM_ENOMEM. Thread-safe; the library is only
 * read. */
CPERM_API int cperm_render_stc(unsigned char **out, size_t *out_len, const cperm_stc *stc,
                               const cperm_render_hemi geom[2],
                               const cperm_render_options *opts, cperm_err *err);
/* The same written atomically to `path`; the format comes from its extension (.png, .svg,
 * .pdf; anything else is CPERM_EINVAL) and overrides opts->format. */
CPERM_API int cperm_render_stc_file(const char *path, const cperm_stc *stc,
                                    const cperm_render_hemi geom[2],
                                    const cperm_render_options *opts, cperm_err *err);
/* Fill geom[0..1] from a surface lh/rh source space (its full surfaces: rr, tris; no
 * curvature). Errors: CPERM_EINVAL if src is not two surface hemispheres with triangles. */
CPERM_API int cperm_render_hemis_from_src(cperm_render_hemi geom[2], const cperm_srcspace *src,
                                          cperm_err *err);

/* The glass brain of a volume source space (src/render/render_volume.c): values[i] at grid
 * point vertices[i] (MNE's vertno: indices into vol's grid, n_values of them, e.g. column 0
 * of a summary's volume block) projected in three views side by side - sagittal (seen from
 * the right, anterior to the right), coronal and axial (the subject's left on the left) -
 * each cell of a view showing the value of largest magnitude along its line of sight (a
 * maximum-intensity projection, sign kept), coloured as cperm_render_stc colours (opts:
 * fmin/fmid/fmax, transparent, diverging), over the silhouette of the grid's points in use
 * (light grey, outlined), with view names, the axes' ends (L/R, P/A, I/S), and the colour
 * bar and time label in a band below. Positions are vol->rr (MRI coordinates), cells the
 * grid's spacing (from vol->src_mri_t when present). Uses width, height, fmin, fmid, fmax,
 * transparent, background, time_label, colorbar, format and diverging of opts; the views
 * and hemispheres are ignored. Non-finite values are not drawn. Encoded in *out (*out_len
 * bytes, freed with free()). Errors: CPERM_EINVAL (options, vol not a volume with points in
 * use, NULL arrays), CPERM_EMISMATCH (a vertex beyond the grid), CPERM_ENOMEM. Thread-safe. */
CPERM_API int cperm_render_volume(unsigned char **out, size_t *out_len, const cperm_src_hemi *vol,
                                  const uint32_t *vertices, const double *values,
                                  size_t n_values, const cperm_render_options *opts,
                                  cperm_err *err);
/* The same written atomically to `path`, the format from its extension (.png, .svg, .pdf). */
CPERM_API int cperm_render_volume_file(const char *path, const cperm_src_hemi *vol,
                                       const uint32_t *vertices, const double *values,
                                       size_t n_values, const cperm_render_options *opts,
                                       cperm_err *err);

/* Loads what the figures' first text waits for (fontconfig's configuration and the sans-serif
 * faces, about 5 ms here), so that a program can do it on a core that would otherwise idle
 * instead of in front of its first figure. Optional: drawing loads them anyway. Safe while
 * other threads draw. */
CPERM_API void cperm_render_prepare_fonts(void);

/* Releases the process-wide caches of Cairo and fontconfig that drawing text fills, so that
 * leak checkers see a clean exit. Call once at program end, when no thread draws; drawing
 * afterwards re-creates them. */
CPERM_API void cperm_render_cleanup(void);

/* Histogram of the permutation distribution H0 with each observed cluster statistic (a
 * vertical line: red when p < p_thresh, grey otherwise) and the critical value of H0 (the
 * 95th percentile as numpy.percentile: for tail -1 the 5th, as H0 then holds minima; for
 * tail 0 the statistics are drawn as absolute values, as MNE compares them). Encoded as
 * `format` in *out (*out_len bytes, freed with free()). n_h0 may be 0 (an empty plot
 * that says so); pvalues may be NULL (all lines grey). Errors: CPERM_EINVAL, CPERM_ENOMEM. */
CPERM_API int cperm_plot_h0(unsigned char **out, size_t *out_len, const double *h0, size_t n_h0,
                            const double *cluster_stats, const double *pvalues,
                            size_t n_clusters, int tail, double p_thresh, int width, int height,
                            int format, cperm_err *err);
/* The same for another statistic: kind CPERM_H0_CLUSTERS (as cperm_plot_h0) or
 * CPERM_H0_TFCE (H0 of the largest |TFCE score|; stats holds the observed maximum). Observed
 * values so far beyond H0 that H0 would keep little of the axis go past an axis break, each
 * listed with its value and p; labels never overlap (those without room are counted). */
enum { CPERM_H0_CLUSTERS = 0, CPERM_H0_TFCE = 1 };
CPERM_API int cperm_plot_h0_kind(unsigned char **out, size_t *out_len, const double *h0,
                                 size_t n_h0, const double *stats, const double *pvalues,
                                 size_t n_stats, int tail, double p_thresh, int kind, int width,
                                 int height, int format, cperm_err *err);

/* ------------------------------------------- max-T and multiple-comparison corrections */
/* (src/stats/maxt.c, src/stats/fdr.c) */
/* len(H0) that mne.stats.permutation_t_test returns for n_samples, n_permutations (> 1, or
 * CPERM_PERMUTATIONS_ALL) and tail: the number of sign-flip orders + 1. *is_exact (may be
 * NULL) is 1 for the enumerated test (n_permutations >= 2^(n_samples - (tail == 0)), where
 * the seed is ignored). Depends on no data and no seed. Errors (CPERM_EINVAL): n_samples < 2,
 * tail not in -1/0/1, n_permutations out of [1, 1e8] or 'all' with more patterns than that,
 * and no order at all (n_permutations 1, or 'all' with 2 samples and tail 0: MNE fails
 * there too). */
CPERM_API int cperm_permutation_t_test_h0_len(size_t *n_h0, int *is_exact, size_t n_samples,
                                              long n_permutations, int tail, cperm_err *err);
/* mne.stats.permutation_t_test(X, n_permutations, tail, seed=seed) of MNE 1.3 (the t-max
 * test) on X (n_samples x n_tests, row-major as MNE's array). Writes T_obs and p_values
 * (n_tests each) and H0 sorted ascending (*n_h0 = cperm_permutation_t_test_h0_len values;
 * n_h0_cap is h0's length). As MNE, H0 holds per order the largest |t| over the tests
 * whatever the tail, plus max |T_obs|; the tail picks the orders and the p-value rule
 * (tail 0: H0 >= |T|, 1: H0 >= T, -1: -H0 <= T). Values are bit-identical to MNE's for the
 * same seed (its moments, and the permuted means summed sample by sample as its BLAS
 * product does), NaN and Inf in X propagating as there. n_jobs threads (<= 0: OpenMP's
 * default) compute the orders; results are the same for any n_jobs. Memory: the orders are
 * regenerated per window: it holds O(n_tests + n_jobs x 1024 n_samples) besides H0.
 * Errors: as cperm_permutation_t_test_h0_len; CPERM_EINVAL for a NULL pointer, n_tests 0 or
 * n_h0_cap too small (then *n_h0, if n_h0 is not NULL, says the length needed);
 * CPERM_ENOMEM. Thread-safe; nothing is written on failure except that *n_h0. */
CPERM_API int cperm_permutation_t_test(double *t_obs, double *p_values, double *h0,
                                       size_t n_h0_cap, size_t *n_h0, const double *X,
                                       size_t n_samples, size_t n_tests, long n_permutations,
                                       int tail, uint32_t seed, int n_jobs, cperm_err *err);

/* fdr_correction's methods: Benjamini/Hochberg ('indep', also 'i', 'p', 'poscorr') and
 * Benjamini/Yekutieli ('negcorr', also 'n'). */
enum { CPERM_FDR_INDEP = 0, CPERM_FDR_NEGCORR = 1 };
/* mne.stats.fdr_correction(p, alpha, method): reject[i] (0/1) and p_corrected[i] for the n
 * p-values, bit-identical to MNE (the sorted p over the ECDF factor, a cumulative minimum
 * from the largest p, values above 1 set to 1; a NaN p makes every corrected value NaN, as
 * numpy's minimum.accumulate does). n may be 0. p_corrected may be p.
 * Errors: CPERM_EINVAL (NULL pointer with n > 0, unknown method), CPERM_ENOMEM. */
CPERM_API int cperm_fdr_correction(uint8_t *reject, double *p_corrected, const double *p,
                                   size_t n, double alpha, int method, cperm_err *err);
/* mne.stats.bonferroni_correction(p, alpha): p_corrected = min(p * n, 1) (NaN stays NaN),
 * reject = p_corrected < alpha. p_corrected may be p itself. Errors: CPERM_EINVAL (NULL
 * pointer with n > 0). */
CPERM_API int cperm_bonferroni_correction(uint8_t *reject, double *p_corrected,
                                          const double *p, size_t n, double alpha,
                                          cperm_err *err);
/* end of max-T and corrections */

/* ---------------------------------------------- neighbourhoods over several dimensions */
/* (src/graph/combine.c) */
/* mne.stats.combine_adjacency(*structure) as a graph: the neighbourhood over the grid
 * lengths[0] x ... x lengths[n_dims-1] flattened row-major (C order, the last dimension
 * fastest), where two points are neighbours when they differ in exactly one coordinate d and
 * are neighbours there. graphs[d] == NULL (or graphs == NULL for all) is MNE's int argument,
 * a lattice of lengths[d] (i and i +- 1); otherwise graphs[d] is that dimension's graph and
 * lengths[d] must equal its n_vertices. For data (n_obs, n_freqs, n_times, n_channels),
 * combine {n_freqs, n_times, n_channels} with {NULL, NULL, channel graph}, and pass the result
 * to cperm_plan_create with n_times = 1; or combine only the dimensions after the first and
 * pass n_times = lengths of the first (its lattice becomes the engine's time axis, max_step
 * 1). MNE's list path - an adjacency over the dimensions after the first only, max_step
 * along the first - is the latter layout with compat CPERM_COMPAT_MNE13 and that max_step
 * (tests/xcheck_shapes.py maps every shape MNE accepts). A graph without edges (MNE's matrix of zeros) connects nothing along its dimension.
 * Rows come out sorted, without self-loops (MNE's diagonal is implicit here). The inputs are
 * only read and may be freed afterwards; free *out with cperm_graph_free.
 * Errors: CPERM_EINVAL (n_dims 0, NULL lengths, a length 0, a product beyond 2^31 points, a
 * graph that is not a valid symmetric CSR without self-loops: the message names its
 * dimension and vertex), CPERM_EMISMATCH (lengths[d] differs from graphs[d]->n_vertices),
 * CPERM_ENOMEM. */
CPERM_API int cperm_graph_combine(cperm_graph **out, size_t n_dims, const size_t *lengths,
                                  const cperm_graph *const *graphs, cperm_err *err);
/* MNE's neighbourhood for adjacency=None: scipy.ndimage.label on the sample shape with its
 * default structure (generate_binary_structure(n_dims, 1): points sharing a face, i.e. +-1
 * along one axis, no diagonals), over shape[0] x ... x shape[n_dims-1] flattened row-major.
 * Equal to cperm_graph_combine with every graph NULL. Errors: CPERM_EINVAL (n_dims 0, NULL
 * shape, a length 0, more than 2^31 points), CPERM_ENOMEM. On 2-D and higher data the
 * engine then gives MNE's results bit for bit; on 1-D data MNE 1.3 sums clusters with
 * ndimage.sum (a running sum) where the engine uses np.sum's pairwise order, so cluster
 * statistics and H0 entries of clusters over 8 points may differ in the last bits. */
CPERM_API int cperm_graph_lattice(cperm_graph **out, size_t n_dims, const size_t *shape,
                                  cperm_err *err);
/* end of neighbourhoods over several dimensions */

/* ------------------------------------------------------- volume neighbourhoods */
/* (src/graph/volume.c) */
/* MNE 1.3's adjacency of a volume source space (_spatio_temporal_src_adjacency_vol: sklearn's
 * grid_to_graph on the in-use mask): the grid shape[0] x shape[1] x shape[2] (x fastest,
 * point v = x + shape[0] * (y + shape[1] * z)), vertex k of the graph being grid point
 * vertno[k]; two in-use points are neighbours when they differ by 1 along exactly one axis
 * (the 6-neighbourhood: faces, no edges or corners; MNE's 26-neighbour 'neighbor_vert' is
 * not used for clustering). vertno must be strictly ascending (MNE's np.where(inuse) order).
 * Errors: CPERM_EINVAL (NULL pointers, a length 0, more than 2^31 grid points, vertno out of
 * range or not ascending), CPERM_ENOMEM. */
CPERM_API int cperm_graph_from_volume(cperm_graph **out, const size_t shape[3],
                                      const int32_t *vertno, size_t n_vertno, cperm_err *err);
/* end of volume neighbourhoods */

/* ------------------------------------------------------- sensor neighbourhoods */
/* (src/io/neighbors.c, libmatio) */
/* Channel names, in a file's order. Free with cperm_ch_names_free. */
typedef struct cperm_ch_names {
    size_t n_channels;
    char **names;      /* n_channels NUL-terminated UTF-8 strings */
} cperm_ch_names;
/* mne.channels.read_ch_adjacency(path) (MNE 1.3) for a FieldTrip neighbour file (MNE ships
 * 41 in mne/channels/data/neighbors/): the variable `neighbours`, a struct array with fields
 * `label` (text) and `neighblabel` (a cell array of texts, or one text), read with libmatio
 * and unpacked as MNE's scipy.io.loadmat + _recursive_flatten do (struct elements in numpy's
 * C order over the struct's dims; texts decoded as scipy: MATLAB's uint16 characters by their
 * low byte as UTF-8). *names gets MNE's ch_names, "MEG" names included ("MEG0113" becomes
 * "MEG 0113", as MNE renames them); *graph the adjacency over those channels: MNE's matrix is
 * np.eye plus A[i, index(neighbour)] (index: the first channel of that name), and the graph
 * holds every off-diagonal entry of it, read as undirected (A + A.T) - the way MNE's cluster
 * functions read any adjacency (connected_components(connection='weak'), or A + A.T in the
 * spatio-temporal path) - with MNE's always-true diagonal implicit, as in every cperm_graph.
 * So a cluster test over channels with this graph and MNE's with that matrix form the same
 * clusters (for the 41 shipped files, all symmetric, the graph is exactly MNE's matrix less
 * its diagonal: tests/xcheck_neighbors.py). libmatio cannot read from memory: the fuzz target
 * goes through a file. Sets libmatio's process-wide log function once (matio's default one
 * prints and may abort). Errors (one each, naming the file and, where it applies, the channel
 * and label): CPERM_ENOTFOUND, CPERM_EIO (cannot open), CPERM_EUNSUPPORTED (a MAT v7.3 /
 * HDF5 file, which scipy.io.loadmat - hence MNE - cannot read either), CPERM_EFORMAT (not a
 * MAT v5/v7 file, corrupt, no `neighbours` struct with both fields, a label that is not one
 * text, a neighbour that is not a channel label, a channel named "MEG": every case where MNE
 * 1.3 fails too), CPERM_ENOMEM. Not thread-safe against other users of libmatio's log. */
CPERM_API int cperm_ch_adjacency_read(cperm_ch_names **names, cperm_graph **graph,
                                      const char *path, cperm_err *err);
/* read_ch_adjacency(path, picks=picks): the channels picks[0 .. n_picks-1] of a read's names
 * and graph, in picks' order (negative picks count from the end; a channel picked twice
 * appears twice, the two copies neighbours, as MNE's adjacency[picks][:, picks] has them).
 * picks NULL with n_picks 0 picks all channels (picks=None). Errors: CPERM_EINVAL (NULL
 * pointers, names and graph of different sizes, no picks, a pick outside [-n, n): MNE's
 * messages), CPERM_ENOMEM. The inputs are only read. */
CPERM_API int cperm_ch_adjacency_pick(cperm_ch_names **names_out, cperm_graph **graph_out,
                                      const cperm_ch_names *names, const cperm_graph *graph,
                                      const int64_t *picks, size_t n_picks, cperm_err *err);
CPERM_API void cperm_ch_names_free(cperm_ch_names *names);
/* end of sensor neighbourhoods */

/* ------------------------------------------- sensor neighbourhoods from positions */
/* (src/graph/positions.c through reentrant Qhull; src/io/montage.c) */
/* find_ch_adjacency's 2-D map of 3-D channel positions (MNE 1.3 _auto_topomap_coords with
 * to_sphere=True): each position relative to `origin` (x, y, z; NULL is (0, 0, 0), the
 * origin of find_ch_adjacency's sphere=HEAD_SIZE_DEFAULT), as spherical (r, azimuth, polar),
 * drawn at radius polar * r / (pi / 2) along the azimuth, plus origin's x and y. pos: n x 3,
 * xy: the caller's n x 2 output. Errors: CPERM_EINVAL (NULL pointers, n 0, a coordinate that
 * is not finite - MNE silently puts such a channel at 0 -, two channels closer than 1e-10:
 * MNE's "overlapping positions", a position so far out that its distance overflows; the
 * message names the channels' indices and values). */
CPERM_API int cperm_ch_topomap_coords(double *xy, const double *pos, size_t n,
                                      const double *origin, cperm_err *err);
/* The Delaunay graph of n points (xy: n x dim, dim 2 or 3) as find_ch_adjacency computes it
 * when no template matches: scipy.spatial.Delaunay (Qhull "d Qbb Qc Qz Q12 Qt"), then
 * spatial_tris_adjacency of its simplices: the vertices of each simplex pairwise adjacent
 * (for dim 3, of each tetrahedron). With cperm_ch_topomap_coords' xy, MNE's graph for EEG
 * (tests/xcheck_positions.py). Errors: CPERM_EINVAL (NULL pointers, dim not 2 or 3, fewer
 * than dim + 1 points, a coordinate not finite, two equal points, all points collinear
 * (coplanar for dim 3) or a point Qhull merges with another: names the indices and values;
 * another Qhull failure: its message), CPERM_ENOMEM. Free *out with cperm_graph_free. */
CPERM_API int cperm_graph_from_positions(cperm_graph **out, const double *xy, size_t n,
                                         size_t dim, cperm_err *err);
/* find_ch_adjacency(info, 'grad') for paired planar gradiometers (Neuromag/VV, 122): one
 * position per pair (xy: n_pairs x dim, MNE's xy of the pair's first channel) and the two
 * channels of pair k, pairs[2k] and pairs[2k + 1], each of the 2 n_pairs channels in exactly
 * one pair (MNE's case: pairs[2k] = 2k, pairs[2k + 1] = 2k + 1). The graph over the channels
 * joins the two of a pair, and every channel of pair k to both of pair l when k and l are
 * Delaunay neighbours. Errors: those of cperm_graph_from_positions, CPERM_EINVAL (a pair
 * index out of range or used twice). */
CPERM_API int cperm_graph_from_positions_paired(cperm_graph **out, const double *xy,
                                                size_t n_pairs, size_t dim,
                                                const int64_t *pairs, cperm_err *err);
/* Channel positions from a text file, as mne.channels.read_custom_montage(path) (head_size
 * 0.095) gives them, chosen by the name's extension:
 *  .sfp  BESA/EGI "label x y z" lines (whitespace, # comments): read as float32, rows named
 *        headshape left out, every position scaled so the median distance from the origin is
 *        0.095 (float32 arithmetic, as MNE), then FidNz, FidT9, FidT10 dropped (fiducials);
 *  .elc  ASA: UnitPosition m or mm, a Positions section, a Labels section; in metres, scaled
 *        to the median 0.095, then Nz, LPA, RPA dropped;
 *  other "name x y [z]" lines, unscaled (as MNE's .tsv/.csv): fields separated by tabs if the
 *        line has one, else by commas if it has one, else by blanks; # comments and blank
 *        lines skipped; a first line whose second field is not a number is a header. 2-D
 *        (dim 2) or 3-D (dim 3), the same in every line.
 * A channel named twice keeps its first place and its last position (MNE's warning case).
 * *names gets the channels in file order, *pos n x dim values (free with free()), *dim 3 for
 * .sfp and .elc. Errors (naming the file and line): CPERM_ENOTFOUND, CPERM_EIO, CPERM_EFORMAT
 * (a line that does not parse, a value not finite, no channel, counts that disagree, .elc
 * units other than m and mm), CPERM_ENOMEM. On error every output is NULL or 0. */
CPERM_API int cperm_ch_positions_read(cperm_ch_names **names, double **pos, size_t *n,
                                      size_t *dim, const char *path, cperm_err *err);
/* The same from memory; `name` (a file name) chooses the format by its extension and names
 * the input in messages. */
CPERM_API int cperm_ch_positions_read_mem(cperm_ch_names **names, double **pos, size_t *n,
                                          size_t *dim, const void *data, size_t size,
                                          const char *name, cperm_err *err);
/* end of sensor neighbourhoods from positions */

/* ----------------------------------------------------------------- F distribution */
/* (src/stats/fdist.c) */

/* F distribution CDF, equal to scipy.stats.f.cdf (scipy 1.10: cephes fdtr, the incomplete
 * beta integral) - bit-identical in the cross-checks. 0 for f <= 0, 1 for f = +inf, NaN for
 * NaN input or a degree of freedom <= 0 (inf is accepted, as scipy does). Pure, thread-safe. */
CPERM_API double cperm_f_cdf(double f, double dfn, double dfd);
/* F quantile, equal to scipy.stats.f.ppf (cephes fdtri: incbi's halving and Newton search,
 * not the exact quantile) - bit-identical in the cross-checks. 0 for p = 0, +inf for p = 1,
 * NaN for p outside [0, 1], NaN input or a degree of freedom <= 0. Pure, thread-safe. */
CPERM_API double cperm_f_ppf(double p, double dfn, double dfd);
/* The cluster-forming F threshold for p as MNE computes it: stats.f.ppf(1 - p, dfn, dfd)
 * (permutation_cluster_test's default, p = 0.05, dfn = n_groups - 1, dfd = n_obs - n_groups;
 * also f(dfn, dfd).isf(p) of f_threshold_mway_rm). +inf for p = 0, 0 for p = 1, NaN as
 * cperm_f_ppf otherwise. */
CPERM_API double cperm_f_threshold(double p, double dfn, double dfd);
/* The effects an `effects` string of mne.stats.f_mway_rm / f_threshold_mway_rm selects for
 * n_factors factors (1..26), in MNE's order: "A", "A:B" (one effect), "A+B" (those named, in
 * that order), "A*B" (every effect up to and including A:B in MNE's order A, B, A:B, C, A:C,
 * B:C, A:B:C, ...), "all"; NULL means MNE's default "A*B". Effect i comes back as masks[i],
 * bit k set for factor k ('A' + k), i.e. 1 + its index in the "all" order. masks may be NULL
 * to count only; otherwise it holds cap entries. *n_out receives the number of effects.
 * CPERM_EINVAL for a string MNE rejects, too many factors, or cap too small (masks then
 * untouched). */
CPERM_API int cperm_f_mway_effects(uint32_t *masks, size_t cap, size_t *n_out, size_t n_factors,
                                   const char *effects, cperm_err *err);
/* mne.stats.f_threshold_mway_rm(n_subjects, factor_levels, effects, pvalue): one F threshold
 * per effect, in the order of cperm_f_mway_effects, written to out, which must hold that many
 * values (2^n_factors - 1 always suffice). Each is f(df1, df2).isf(pvalue) with df1 the
 * product of (levels - 1) over the effect's factors and df2 = df1 (n_subjects - 1).
 * CPERM_EINVAL for a bad effects string, pvalue outside [0, 1], n_subjects < 2, a factor of
 * 0 levels or an effect with a factor of 1 level (MNE's NaN); CPERM_EUNSUPPORTED when the
 * degrees of freedom exceed 2^53. On failure out is untouched. */
CPERM_API int cperm_f_threshold_mway_rm(double *out, size_t n_subjects, const size_t *factor_levels,
                                        size_t n_factors, const char *effects, double pvalue,
                                        cperm_err *err);

/* mne.stats.f_mway_rm(data, factor_levels, effects=NAME, correction=False)[0] for the one
 * effect `effect` (a factor mask, as cperm_options.rm_effect), bit for bit (see
 * CPERM_STAT_F_MWAY_RM): data is (n_subjects x n_cells x n_points), MNE's layout, n_cells the
 * product of the levels (the last factor fastest); F gets n_points values. Allocates its own
 * scratch. Errors: CPERM_EINVAL (NULL pointer, n_subjects < 2, n_factors outside 1 ..
 * CPERM_RM_MAX_FACTORS, a factor of 0 levels, more than CPERM_MAX_GROUPS cells, an effect
 * that names no factor, a factor beyond n_factors or one of a single level), CPERM_ENOMEM.
 * Pure, thread-safe. */
CPERM_API int cperm_f_mway_rm(double *F, const double *data, size_t n_subjects,
                              const size_t *factor_levels, size_t n_factors, uint32_t effect,
                              size_t n_points, cperm_err *err);

/* end of F distribution */

/* ------------------------------------------------------------------ file I/O */

/* Write `size` bytes to `path` atomically (temporary file in the same directory, fsync,
 * rename). On failure the previous file, if any, is untouched and the temporary file is
 * removed. A new file gets mode 0666 & ~umask. Errors: CPERM_EIO, CPERM_EINVAL. */
CPERM_API int cperm_write_file_atomic(const char *path, const void *data, size_t size,
                                      cperm_err *err);

#ifdef CPERM_TEST_HOOKS
/* Test builds only: these exist in libclusterperm-testhooks.a (the library compiled with
 * -DCPERM_TEST_HOOKS for the test suite), never in the installed libclusterperm.a/.so.
 * Fault injection in the spirit of SQLite's I/O layer: after cperm_fileio_fail_after(n) the
 * n-th low-level step of cperm_write_file_atomic (create the temporary file, each write,
 * fsync, close, rename - counted across calls) fails as if the system call had returned
 * EIO; n = 0 disables injection. The counter is thread-local, so a test injecting faults
 * cannot disturb other threads. cperm_fileio_steps() is the number of such steps performed
 * in this thread since the last cperm_fileio_fail_after() call, which lets a test enumerate
 * every injection point. */
CPERM_API void cperm_fileio_fail_after(long n);
CPERM_API long cperm_fileio_steps(void);
#endif

/* ============================================================ atlases, coordinates and effect
 * sizes (issue 18): FreeSurfer parcellations (.annot) and labels (.label), the subject's MRI ->
 * MNI transform (talairach.xfm and the orig.mgz header), and per-cluster effect sizes. */

/* A FreeSurfer parcellation of one hemisphere (?h.NAME.annot), as MNE 1.3's _read_annot and
 * read_labels_from_annot read it: region[v] is the index (into names) of the first colour
 * table entry whose id equals vertex v's annotation value, or -1 when none does (MNE leaves
 * such vertices out of every label). names are as stored, without MNE's "-lh"/"-rh". */
typedef struct cperm_annot {
    size_t n_vertices;     /* vertices of the surface it was made for */
    int32_t *region;       /* n_vertices entries, -1 or < n_regions */
    size_t n_regions;      /* colour table entries */
    char **names;          /* n_regions NUL-terminated names */
    int32_t *rgba;         /* n_regions x 4: r, g, b and MNE's alpha (255 - t) */
    int64_t *ids;          /* n_regions annotation ids (MNE's ctab[:, 4]) */
} cperm_annot;

/* Reads an .annot file (path) or its bytes (name only labels messages). Errors: CPERM_ENOTFOUND,
 * CPERM_EIO, CPERM_EFORMAT (truncated, a vertex number out of range, no colour table, a colour
 * table version other than 2), CPERM_ENOMEM. Free with cperm_annot_free (NULL accepted). */
CPERM_API int cperm_annot_read(cperm_annot **out, const char *path, cperm_err *err);
CPERM_API int cperm_annot_read_mem(cperm_annot **out, const void *data, size_t size,
                                   const char *name, cperm_err *err);
CPERM_API void cperm_annot_free(cperm_annot *annot);

/* A FreeSurfer .label file as mne.read_label reads it: its vertices sorted ascending and
 * unique, the hemisphere from the file name (MNE's rule: a name ending in "lh.label" or
 * starting with "lh." is lh, likewise rh; otherwise an error) and its name, MNE's label.name:
 * "NAME-lh" for "NAME-lh.label", and, MNE's quirk kept, "lh.NAME-lh" for "lh.NAME.label". */
typedef struct cperm_label {
    int hemi;              /* 0 = lh, 1 = rh */
    char name[256];
    size_t n_vertices;
    int32_t *vertices;     /* ascending, unique, >= 0 */
} cperm_label;

/* Errors: CPERM_ENOTFOUND, CPERM_EIO, CPERM_EFORMAT (no vertex count line, fewer lines than
 * it says, a line that is not "vno x y z value", a negative or repeated vertex), CPERM_EINVAL
 * (no hemisphere in the file name), CPERM_ENOMEM. The _mem form takes the file name as name
 * (its base name gives the hemisphere and label name). Free with cperm_label_free. */
CPERM_API int cperm_label_read(cperm_label **out, const char *path, cperm_err *err);
CPERM_API int cperm_label_read_mem(cperm_label **out, const void *data, size_t size,
                                   const char *name, cperm_err *err);
CPERM_API void cperm_label_free(cperm_label *label);

/* A 3 x 4 affine, row-major: y = A[0..2] . x + A[3] for the first row, and so on. */
typedef struct cperm_affine {
    double m[12];
} cperm_affine;

/* FreeSurfer's talairach.xfm (scanner RAS -> MNI Talairach, mm), as MNE 1.3's _read_fs_xfm:
 * the three lines after the one starting "Linear_Transform". Errors: CPERM_ENOTFOUND,
 * CPERM_EIO, CPERM_EFORMAT (no Linear_Transform line, fewer than three rows of four numbers). */
CPERM_API int cperm_xfm_read(cperm_affine *out, const char *path, cperm_err *err);
CPERM_API int cperm_xfm_read_mem(cperm_affine *out, const void *data, size_t size,
                                 const char *name, cperm_err *err);

/* From an MGH/MGZ volume's header (orig.mgz, T1.mgz: gzip-compressed or not), MNE 1.3's
 * mri_ras_t of _read_mri_info in mm: FreeSurfer surface RAS ('mri') -> scanner RAS, i.e.
 * vox2ras . inv(vox2ras_tkr) (vox2ras_tkr in float32, as MNE). The _mem form takes the
 * header's uncompressed bytes (at least 90). Errors: CPERM_ENOTFOUND, CPERM_EIO, CPERM_EFORMAT
 * (truncated header, a zero voxel size or dimension). */
CPERM_API int cperm_mgh_mri_ras(cperm_affine *out, const char *path, cperm_err *err);
CPERM_API int cperm_mgh_mri_ras_mem(cperm_affine *out, const void *header, size_t size,
                                    const char *name, cperm_err *err);

/* c = a . b (apply b first), and y = a . x for a point x (3 values). */
CPERM_API void cperm_affine_mul(cperm_affine *c, const cperm_affine *a, const cperm_affine *b);
CPERM_API void cperm_affine_apply(double y[3], const cperm_affine *a, const double x[3]);

/* Per-cluster effect sizes (src/stats/effects.c). The design of X's rows: */
enum {
    CPERM_EFFECT_ONESAMPLE = 0, /* one sample (or paired differences): n_obs subjects */
    CPERM_EFFECT_TWO_GROUPS = 1, /* two independent groups (t): group_sizes[0], [1] rows */
    CPERM_EFFECT_GROUPS_F = 2,  /* k independent groups, one-way F: group_sizes rows each */
    CPERM_EFFECT_RM = 3         /* repeated measures: n_groups cells of n_obs / n_groups
                                   subjects each, stacked cell after cell (as the CLI's X) */
};
typedef struct cperm_effect_design {
    int kind;                  /* CPERM_EFFECT_* */
    size_t n_groups;           /* groups or cells (TWO_GROUPS: 2); unused for ONESAMPLE */
    const size_t *group_sizes; /* n_groups rows each (groups, not cells) */
    int equal_var;             /* TWO_GROUPS: 0 = Welch's interval for the mean difference */
    const size_t *factor_levels; /* RM: levels per factor (last fastest), n_factors of them */
    size_t n_factors;
    uint32_t effect;           /* RM: the tested effect's factor mask */
} cperm_effect_design;

/* One cluster's effect sizes; c_s below is observation s's data averaged over the cluster's
 * points (space x time), n the observations, 95% intervals (z = 1.959963984540054):
 *  ONESAMPLE  mean = mean_s c_s (= the contrast averaged over the cluster's points), its CI
 *             mean -+ t(0.975, n-1) sd/sqrt(n) (sd with ddof 1); d = mean / sd (Cohen's d_z),
 *             its CI d -+ z sqrt(1/n + d^2 / (2n)); stat = the t of c, df1 = n - 1.
 *  TWO_GROUPS mean = mean(c | group 1) - mean(c | group 2), its CI with the pooled sd and
 *             n1 + n2 - 2 df (Welch's se and df when !equal_var); d = mean / s_pooled, its CI
 *             d -+ z sqrt((n1 + n2)/(n1 n2) + d^2 / (2 (n1 + n2))); stat = t, df1 = its df.
 *  GROUPS_F   eta2_p = SS_between / (SS_between + SS_within) of c (one way: partial = plain);
 *             stat = F, df1 = k - 1, df2 = N - k; mean, d and intervals NaN.
 *  RM         eta2_p = F df1 / (F df1 + df2) with F of c from cperm_f_mway_rm (uncorrected,
 *             MNE's df1, df2 = df1 (n - 1)); mean, d and intervals NaN.
 * No interval has a closed form for eta2_p, so none is given. */
typedef struct cperm_effect {
    size_t n_points;           /* the cluster's points (space x time) */
    double mean, mean_lo, mean_hi;
    double d, d_lo, d_hi;
    double eta2_p;
    double stat, df1, df2;     /* the test of the cluster-averaged data (df2 NaN for t) */
} cperm_effect;

/* The effect sizes of every cluster of an executed run (out[k] for cluster k, n_out >=
 * cperm_run_n_clusters) over X (n_obs x n_points, the data the run was executed on).
 * Allocates one workspace before the loop over clusters. Errors: CPERM_EINVAL (NULL
 * pointers, n_out too small, a design that does not fit n_obs, a cluster point >= n_points),
 * CPERM_ENOMEM, and cperm_f_mway_rm's for RM. Thread-safe; X and run are not modified. */
CPERM_API int cperm_cluster_effects(cperm_effect *out, size_t n_out, const cperm_run *run,
                                    const double *X, size_t n_obs, size_t n_points,
                                    const cperm_effect_design *design, cperm_err *err);
/* The same for one cluster given by its points (flat indices into a row of X); work holds
 * n_obs doubles. RM is not available here (it needs every cluster: CPERM_EINVAL). */
CPERM_API int cperm_effect_compute(cperm_effect *out, const double *X, size_t n_obs,
                                   size_t n_points, const int64_t *members, size_t n_members,
                                   const cperm_effect_design *design, double *work,
                                   cperm_err *err);

/* end of atlases, coordinates and effect sizes (issue 18) */

#ifdef __cplusplus
}
#endif
#endif /* CLUSTERPERM_H */
