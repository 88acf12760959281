/* atlas.h - what a cluster run reports beyond MNE's outputs (issue 18): the regions of a
 * FreeSurfer parcellation (--parc) and of label files (--label) each cluster covers, its peak's
 * position and MNI coordinates (the subject's talairach.xfm, as mne.vertex_to_mni), and its
 * effect sizes (cperm_cluster_effects) (cli/atlas.c). */
#ifndef CPERM_CLI_ATLAS_H
#define CPERM_CLI_ATLAS_H

#include "cli.h"

#define ATLAS_MAX_LABELS 64

/* The options as given. */
typedef struct atlas_cli {
    const char *parc;         /* --parc NAME: SUBJECTS_DIR/SUBJECT/label/?h.NAME.annot */
    const char *labels[ATLAS_MAX_LABELS]; /* --label FILE, repeatable */
    size_t n_labels;
    const char *subjects_dir; /* --subjects-dir DIR (default: $SUBJECTS_DIR, for --parc) */
    const char *subject;      /* --subject NAME (default fsaverage) */
} atlas_cli;

void atlas_cli_init(atlas_cli *a);
/* Takes option `name` with value `val` if it is one of the above: 1 taken, 0 not one of
 * them, -1 after printing an error. */
int atlas_cli_option(atlas_cli *a, const char *command, const char *name, const char *val);
/* Whether any atlas option was given. */
int atlas_cli_any(const atlas_cli *a);

struct os_study;
struct os_result;

/* The files read for a study (NULL members where not asked for). */
typedef struct cli_atlas {
    const atlas_cli *opts;
    char subjects_dir[4096];
    cperm_annot *annot[2];    /* --parc: lh, rh */
    cperm_label *labels[ATLAS_MAX_LABELS];
    size_t n_labels;
    int mni;                  /* a subject directory is in use: MNI coordinates */
    cperm_affine mri_mni;     /* surface RAS (mm) -> MNI (mm) */
    cperm_surf *white[2];     /* ?h.white, whose vertices vertex_to_mni transforms */
    char **region_names;      /* --parc: lh's regions then rh's, as MNE names them
                                 ("NAME-lh"), n_regions of annot[0] + annot[1] */
    size_t n_region_names;
} cli_atlas;

/* Region g of the lh-then-rh list (MNE's label name). */
const char *atlas_region_name(const cli_atlas *atlas, size_t g);

/* Reads what the options name and checks it against the study's source space: each .annot
 * and ?h.white must have its hemisphere's vertices, each label's vertices must exist. With
 * no option given *out is NULL. Errors (printed, naming the file and the problem): a missing
 * or corrupt file, an unknown --parc (the parcellations found are listed), a mismatch. 0 or
 * -1. */
int atlas_load(cli_atlas **out, const atlas_cli *a, const struct os_study *st,
               const char *command);
void atlas_free(cli_atlas *atlas);

/* A region a cluster covers: its vertices there and their fraction of the cluster's. */
typedef struct atlas_hit {
    const char *name;         /* MNE's label name ("superiortemporal-lh"); the atlas's */
    size_t n_vertices;
    double fraction;
} atlas_hit;

/* One cluster's record: where, when, its peak, its regions and effect sizes. */
typedef struct cluster_info {
    size_t n_points, n_vertices;  /* points (space x time), distinct vertices */
    size_t t_first, t_last;       /* time indices */
    size_t peak;                  /* the flat index of the largest |T_obs| (first if tied) */
    size_t peak_block, peak_row;  /* its block (lh, rh, vol) and row there */
    uint32_t peak_vertex;         /* the block's vertex number */
    int has_pos;                  /* pos_mm: the peak in the source space's coordinates */
    double pos_mm[3];
    int has_mni;
    double mni[3];                /* MNI (mm), as mne.vertex_to_mni */
    atlas_hit *regions;           /* --parc: by vertices, descending, then name */
    size_t n_regions;
    size_t n_unlabelled;          /* --parc: vertices in no region */
    const char *peak_region;      /* --parc: NULL when the peak is in none (or no --parc) */
    atlas_hit *labels;            /* --label: one per file, in order */
    size_t n_labels;
    cperm_effect effect;
} cluster_info;

/* Every cluster's record (n = cperm_run_n_clusters); atlas may be NULL. 0, or -1 after
 * printing the error. Free with cluster_info_free. */
int cluster_info_compute(cluster_info **out, const struct os_result *r, const cli_atlas *atlas);
/* The same for exact TFCE's threshold clusters (--also, issue 17:
 * n = cperm_run_tfce_also_n_clusters), without atlas. */
int cluster_info_compute_also(cluster_info **out, const struct os_result *r);
void cluster_info_free(cluster_info *info, size_t n);

#endif
