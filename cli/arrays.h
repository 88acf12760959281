/* arrays.h - a study from numpy arrays (--dims): the inputs as .npy files, the
 * neighbourhood from --adjacency, and how the data map onto the engine (cli/arrays.c), plus
 * the outputs of such a run (cli/arrays_out.c). */
#ifndef CPERM_CLI_ARRAYS_H
#define CPERM_CLI_ARRAYS_H

#include "onesample.h"
#include "outputs.h"

#define ARRAYS_MAX_DIMS 16
#define ARRAYS_NAME_LEN 32

/* How an observation's dimensions map onto the engine. */
typedef struct os_arrays {
    size_t n_dims;                                /* of one observation */
    char names[ARRAYS_MAX_DIMS][ARRAYS_NAME_LEN]; /* --dims, in the arrays' order */
    size_t lengths[ARRAYS_MAX_DIMS];
    size_t n_points;                              /* product of the lengths */
    int adj_dim;           /* the dimension --adjacency is over; -1: none (a lattice) or all */
    int full;              /* --adjacency is over every point (the product) */
    int spatiotemporal;    /* (time, space): MNE's spatio_temporal_* with max_step */
    int time_dim;          /* spatiotemporal: which of the two is time */
    size_t n_times, n_space; /* the engine's layout: X is n_obs x n_times x n_space */
    const char *adjacency_kind; /* "npz", "neighbors", "source space", "lattice" */
    cperm_ch_names *channels; /* names along adj_dim (neighbour file or --channels); NULL */
    int stacked;           /* every input was one file of stacked observations */
} os_arrays;

/* Fails, printing why, unless `spec` is a valid --dims (names joined by ','). */
int arrays_check_dims(const char *spec);

/* Expands the inputs (--a/--b, --group, --cell) as .npy files: globs (".npy" appended when
 * missing) or @LISTFILE; per-subject inputs paired by subject as estimates are. Fails,
 * printing why. `st` must be zeroed first. */
int arrays_subjects(os_study *st, const os_opts *o);

/* Reads every array (one observation per file, or one file of stacked observations: the
 * number of dimensions tells), checks shapes and values, reads --adjacency (and
 * --channels), decides the engine's layout and builds X (A - B, groups or cells stacked,
 * as study_read does) and *graph. The observations replace the stems in st (one entry
 * per observation: "FILE" or "FILE[row]"). Errors name the file, the observation and the
 * index. 0, or -1 after printing why. */
int arrays_read(os_study *st, const os_opts *o, cperm_graph **graph);

void arrays_free(os_arrays *a);

/* The outputs of a cluster run on arrays: tobs.npy (the statistic in the observation's
 * shape and order), cluster-labels.npy (int32: k + 1 at the points of cluster k, 0
 * elsewhere), h0.txt, clusters.json (per-dimension extents, channel names), h0.png and
 * report.html. 0, or -1 after printing why. */
int arrays_outputs(outset *set, const os_result *r);

#endif
