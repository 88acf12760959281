/* onesample.h - what the onesample command's files share: its options as parsed
 * (cli/onesample.c), the study it reads (cli/study.c) and what a run's outputs are made of. */
#ifndef CPERM_CLI_ONESAMPLE_H
#define CPERM_CLI_ONESAMPLE_H

#include "cli.h"

#include <string.h>
#include "checkpoint.h" /* ckpt_opts */
#include "subjects.h"
#include "tfce_out.h"   /* tfce_cli */
#include "atlas.h"      /* atlas_cli (issue 18) */

/* The command line, as parse_args read it. Parameters the plan holds (the threshold, the
 * number of orders, exactness) are read from the plan, not from here. */
typedef struct os_opts {
    const char *command;      /* "onesample", "independent" or "rm-anova" (the design) */
    const char *a, *b, *src, *out; /* as given (--a/--b: a glob or @LISTFILE) */
    const char *groups[CPERM_MAX_GROUPS]; /* independent: --group, as given */
    size_t n_groups;
    int statistic;            /* independent: CPERM_STAT_F_ONEWAY or CPERM_STAT_T_IND */
    int equal_var;            /* independent t: 0 with --welch */
    double f_threshold;       /* independent F, rm-anova: NaN = not given */
    /* rm-anova (repeated measures): --cell per cell, --factors, --effect, --scheme */
    const char *cells[CPERM_MAX_GROUPS];
    size_t n_cells;
    size_t rm_levels[CPERM_RM_MAX_FACTORS];
    size_t rm_n_factors;      /* 0: --factors not given */
    const char *factors;      /* --factors as given ("2x2") */
    const char *effect;       /* --effect as given ("A:B"), NULL = not given */
    uint32_t rm_effect;       /* its factor mask */
    int rm_scheme;            /* CPERM_RM_WITHIN (default) or CPERM_RM_MNE */
    double tmin, tmax;        /* NaN = no limit */
    int magnitude;
    int quiet;
    double p_threshold;       /* NaN = not given */
    double t_threshold;       /* NaN = not given */
    long tail;
    long n_permutations;      /* > 0 or CPERM_PERMUTATIONS_ALL */
    long seed;
    double sigma;
    double step_down_p;
    long max_step;
    int compat;
    long jobs;
    double p_summary;
    /* cluster-forming controls (issue 13): 0 = off */
    long min_neighbors;       /* --min-neighbors */
    long min_duration;        /* --min-duration, in time points */
    long min_extent;          /* --min-extent, in vertices */
    /* arrays (issue 14): --dims makes the inputs .npy files (cli/arrays.c) */
    const char *dims;         /* --dims "time,channel": names of an observation's dims */
    const char *adjacency;    /* --adjacency FILE (.npz, neighbour .mat, -src.fif) */
    const char *adjacency_dim; /* --adjacency-dim NAME */
    const char *channels;     /* --channels FILE: the data's channel names, in order */
    ckpt_opts ckpt;           /* --checkpoint, --checkpoint-interval (cli/checkpoint.c) */
    tfce_cli tfce;            /* --tfce* (cli/tfce_out.c) */
    atlas_cli atlas;          /* --parc, --label, --subjects-dir, --subject (cli/atlas.c) */
} os_opts;

/* A study as read (cli/study.c): the subjects' stems, the source space and X. */
typedef struct os_study {
    cli_subjects a, b;        /* stems paired by subject: a.keys[i] is the subject of
                                 a.stems.items[i] and, with --b, of b.stems.items[i];
                                 independent: a holds every group's stems, group after
                                 group, as X stacks them */
    cli_subjects groups[CPERM_MAX_GROUPS]; /* independent: each --group's stems; rm-anova:
                                 each --cell's, the same subjects in the same order */
    size_t n_groups;
    size_t group_sizes[CPERM_MAX_GROUPS];
    int paired;               /* --b given: X = A - B */
    cperm_srcspace *src;      /* --src */
    int volume;               /* --src is one volume: the estimates are -vl.stc (one block,
                                 layout->kind CPERM_STC_VOLUME); glass-brain figure */
    int mixed;                /* --src is lh, rh and one volume: the estimates are mixed
                                 -stc.h5 (blocks lh, rh, volume; CPERM_STC_MIXED) */
    cperm_stc *layout;        /* the first estimate after cropping: vertices, n_times, tmin
                                 and tstep of the tested data (its data are not X's) */
    double *X;                /* n_subjects x n_times x n_vertices */
    struct os_arrays *arrays; /* --dims: the arrays' layout (cli/arrays.h); NULL for estimates */
    struct cli_atlas *atlas;  /* --parc/--label/--subjects-dir (cli/atlas.h); NULL: none */
} os_study;

/* What every output of a run is made of (cli/cluster_out.c, cli/tfce_out.c, the figures
 * and reports). */
typedef struct os_result {
    const os_opts *opts;
    const os_study *study;
    const cperm_plan *plan;
    const cperm_run *run;
} os_result;

static inline int os_independent(const os_opts *o) { return o->n_groups > 0; }
static inline int os_rm(const os_opts *o) { return !strcmp(o->command, "rm-anova"); }
/* Subjects of the test: rows of X, or for rm-anova the rows of one cell. */
static inline size_t os_n_subjects(const os_opts *o, const os_study *st) {
    return os_rm(o) && st->n_groups ? st->a.stems.n / st->n_groups : st->a.stems.n;
}

/* Points of one observation: vertices x times, or an array's size (arrays.h defines it). */
size_t os_n_points(const os_study *st);

/* The subjects' stems, and B's or NULL without --b. */
static inline const cli_strlist *os_a_stems(const os_study *st) { return &st->a.stems; }
static inline const cli_strlist *os_b_stems(const os_study *st) {
    return st->paired ? &st->b.stems : NULL;
}

#endif
