/* onesample.c - `clusterperm onesample`, `clusterperm independent` and `clusterperm
 * rm-anova`: the seed pipeline (read stcs, contrast, groups or cells, source-space adjacency,
 * threshold, spatio-temporal cluster test, summary) in one command, for the one-sample
 * (paired), independent-groups and repeated-measures designs. */
#include "onesample.h"
#include "cluster_out.h"
#include "arrays.h"
#include "mpi.h"
#include "outputs.h"
#include "study.h"
#include "testhooks.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The anatomy options (cli/atlas.c), the same in every command's help. */
#define ANATOMY_HELP \
    "anatomy (cluster runs on source estimates; clusters.json, clusters.tsv, report):\n" \
    "  --parc NAME          label each cluster with the regions of the FreeSurfer\n" \
    "                       parcellation SUBJECTS_DIR/SUBJECT/label/?h.NAME.annot\n" \
    "                       (as mne.read_labels_from_annot), e.g. aparc\n" \
    "  --label FILE         also count each cluster's vertices in this .label file\n" \
    "                       (as mne.read_label; repeatable)\n" \
    "  --subjects-dir DIR   FreeSurfer subjects directory (default $SUBJECTS_DIR);\n" \
    "                       with it, peak MNI coordinates as mne.vertex_to_mni (needs\n" \
    "                       mri/transforms/talairach.xfm, mri/orig.mgz or T1.mgz and\n" \
    "                       surf/?h.white of the subject)\n" \
    "  --subject NAME       the subject's directory in DIR (default fsaverage)\n"

static void usage(FILE *f) {
    fputs(
        "usage: " CLI_NAME " onesample --a STEMS [--b STEMS] --src FILE --out DIR [options]\n"
        "\n"
        "Spatio-temporal one-sample cluster permutation test, as MNE 1.3's\n"
        "spatio_temporal_cluster_1samp_test, on X = A (or A - B) per subject.\n"
        "\n"
        "inputs:\n"
        "  --a STEM_GLOB        subjects' source estimates: a glob over stems, e.g.\n"
        "                       'study/sub*/mne_dSPM_inverse_morph-faces_eq' (matches\n"
        "                       STEM-lh.stc/-rh.stc, STEM-stc.h5 and, for a volume\n"
        "                       source space, STEM-vl.stc/-vol.stc), or @LISTFILE with\n"
        "                       one stem (or file) per line; the subject of a stem is\n"
        "                       the word its wildcards matched ('sub003' for\n"
        "                       study/sub003/...), or its position in a list file;\n"
        "                       sorted by subject\n"
        "  --b STEM_GLOB        optional: paired contrast A - B, A and B paired by\n"
        "                       subject; a subject on one side only is an error\n"
        "  --src FILE           source space (-src.fif or -src.fif.gz) whose vertices\n"
        "                       in use are the data's: a surface lh/rh pair, one\n"
        "                       volume (then each estimate is one -vl.stc, -vol.stc or\n"
        "                       volume -stc.h5; outputs -vl.stc; a glass-brain figure),\n"
        "                       or mixed: lh, rh and one volume (each estimate a mixed\n"
        "                       -stc.h5; outputs lh/rh and -vl.stc; both figures)\n"
        "  --tmin S, --tmax S   crop each estimate first (as stc.crop)\n"
        "  --magnitude          norm over orientations of vector estimates (as\n"
        "                       stc.magnitude()), before the subtraction; the absolute\n"
        "                       value for scalar estimates\n"
        "arrays (instead of --src and estimates; MNE's semantics for numpy data):\n"
        "  --dims NAMES         the inputs are .npy files: NAMES the dimensions of one\n"
        "                       observation, e.g. time,channel or channel,freq,time; a\n"
        "                       file holds one observation, or stacked observations\n"
        "                       (one more dimension, first); --a/--b are then globs\n"
        "                       over .npy files or @LISTFILE\n"
        "  --adjacency FILE     the neighbourhood: a scipy save_npz matrix (.npz), a\n"
        "                       FieldTrip neighbour file (.mat, as read_ch_adjacency) or\n"
        "                       a source space (-src.fif), over one dimension (combined\n"
        "                       with the others' lattices, as combine_adjacency) or over\n"
        "                       every point; none: a lattice (adjacency=None). Exactly\n"
        "                       (time, space): MNE's spatio_temporal test (max_step)\n"
        "  --adjacency-dim NAME the dimension --adjacency is over (default: the one\n"
        "                       whose length it has)\n"
        "  --channels FILE      the data's channel names, one per line, in order; picks\n"
        "                       them from a neighbour file (read_ch_adjacency picks)\n"
        "                       outputs: tobs.npy, cluster-labels.npy (k + 1 at cluster\n"
        "                       k's points), h0.txt, clusters.json, h0.png, report.html\n"
        "test:\n"
        "  --p-threshold P      cluster-forming threshold from Student t with n-1 df\n"
        "                       (two-sided for --tail 0: t = -ppf(P/2))\n"
        "  --t-threshold T      cluster-forming t threshold as given\n"
        "                       (neither: MNE's default, p = 0.05)\n"
        "  --tail -1|0|1        default 0\n"
        "  --n-permutations N|all   default 1024\n"
        "  --seed S             RandomState seed, 0..4294967295 (default 0)\n"
        "  --sigma S            'hat' variance regularisation of ttest_1samp_no_p\n"
        "                       (relative, default 0)\n"
        "  --step-down-p P      step-down-in-jumps p (default 0: none)\n"
        "  --max-step N         temporal adjacency steps (default 1)\n"
        "cluster-forming controls (beyond MNE; 0 = off; the observed and every permuted\n"
        "map alike; not with TFCE):\n"
        "  --min-neighbors K    keep a supra-threshold point only if K of its spatial\n"
        "                       neighbours (same time point, same sign) are kept too,\n"
        "                       repeated until none is removed (FieldTrip's minnbchan)\n"
        "  --min-duration T     drop clusters covering fewer than T distinct time points\n"
        "                       (samples, not seconds; Eelbrain's mintime)\n"
        "  --min-extent N       drop clusters covering fewer than N distinct vertices\n"
        "                       (Eelbrain's minsource)\n"
        "TFCE (threshold-free cluster enhancement; the thresholds above are then unused,\n"
        "except by --also):\n"
        "  --tfce               exact TFCE: the integral of e(h)^E h^H dh, no step\n"
        "  --tfce-steps START,STEP  thresholds np.arange(START, max, STEP) (MNE's\n"
        "                       threshold=dict(start, step); for --tail -1 negative, or\n"
        "                       their magnitudes); implies --tfce-formula riemann\n"
        "  --tfce-formula exact|riemann|mne1.3  riemann: sum of e^E h^H dh over the steps;\n"
        "                       mne1.3: MNE 1.3's released sum of dh^H e^E (its results,\n"
        "                       inverted tail -1 p-values included); add --compat mne1.3\n"
        "                       to match MNE 1.3 given the spatial adjacency (the seed)\n"
        "  --tfce-h H, --tfce-e E  height and extent powers (default 2 and 0.5)\n"
        "                       outputs: tfce-lh/-rh.stc (scores*sign(t)), tfce-p-lh/-rh.stc\n"
        "                       (per-point p), tobs-lh/-rh.stc, h0.txt, tfce.json\n"
        "  --also mass,extent   exact TFCE only: the same sweep of every permuted map also\n"
        "                       tests the clusters at the cluster-forming threshold\n"
        "                       (--p-threshold or --t-threshold, then required) by their\n"
        "                       mass and/or extent (points), as the cluster test without\n"
        "                       --tfce would; not with --step-down-p or --checkpoint.\n"
        "                       outputs: h0-mass.txt, h0-extent.txt (as h0.txt),\n"
        "                       clusters-mass.tsv, clusters-extent.tsv (clusters.tsv's\n"
        "                       columns; with --dims each dimension's span), tfce.json's\n"
        "                       \"also\"\n"
        "  --compat none|mne1.3 none (default): true connected components; mne1.3:\n"
        "                       MNE 1.3's spatio-temporal clustering with its 1-step split\n"
        "  -j, --jobs N         threads (-1 = all cores; default 1; also -jN); results do\n"
        "                       not depend on it\n"
        "outputs:\n"
        "  --out DIR            tobs-lh/-rh.stc, summary-lh/-rh.stc, h0.txt, clusters.json,\n"
        "                       clusters.tsv (one row per cluster: peak, regions, effect\n"
        "                       sizes), and the figures summary.png, h0.png and report.html\n"
        "  --p-summary P        clusters with p < P are logged and summarised (default 0.05)\n"
        ANATOMY_HELP
        "  -q, --quiet          no log lines and no progress (errors and warnings only);\n"
        "                       otherwise progress goes to stderr: a bar on a terminal, a\n"
        "                       line per 10% (or 30 s) when stderr is a file\n"
        "resuming:\n"
        "  --checkpoint FILE    save progress to FILE (atomically, every\n"
        "                       --checkpoint-interval seconds and on SIGINT/SIGTERM); the\n"
        "                       same command run again resumes from it with identical\n"
        "                       results; FILE is deleted after success\n"
        "  --checkpoint-interval S  seconds between saves (default 30)\n",
        f);
}

static void usage_independent(FILE *f) {
    fputs(
        "usage: " CLI_NAME " independent --group STEMS --group STEMS [--group ...] --src FILE\n"
        "       --out DIR [options]\n"
        "\n"
        "Spatio-temporal cluster permutation test of independent groups, as MNE 1.3's\n"
        "spatio_temporal_cluster_test: labels shuffled across all observations\n"
        "(rng.permutation per permutation), the one-way F (f_oneway, MNE's default) or\n"
        "the two-sample t (ttest_ind_no_p) of group 1 - group 2 at each point.\n"
        "\n"
        "inputs:\n"
        "  --group STEM_GLOB    one group's source estimates (a glob over stems or\n"
        "                       @LISTFILE, as onesample's --a); give it once per group,\n"
        "                       2 to 64 groups, stacked in this order\n"
        "  --src FILE           source space (-src.fif or -src.fif.gz): a surface lh/rh\n"
        "                       pair, one volume (estimates -vl.stc) or lh, rh and one\n"
        "                       volume (mixed -stc.h5), as onesample\n"
        "  --tmin S, --tmax S   crop each estimate first (as stc.crop)\n"
        "  --magnitude          norm over orientations of vector estimates\n"
        "  --dims NAMES, --adjacency FILE, --adjacency-dim NAME, --channels FILE\n"
        "                       .npy inputs instead of estimates (see onesample --help);\n"
        "                       --group/--cell then name .npy files\n"
        "test:\n"
        "  --stat f|t           f (default): one-way F; t: two-sample t (2 groups)\n"
        "  --welch              t: Welch's unequal variances (equal_var=False)\n"
        "  --p-threshold P      cluster-forming threshold from p: F: f.ppf(1 - P, k - 1,\n"
        "                       n - k) (MNE's default, P = 0.05); t: Student t with\n"
        "                       n - 2 df (two-sided for --tail 0: -ppf(P/2))\n"
        "  --f-threshold F      F: cluster-forming F threshold as given\n"
        "  --t-threshold T      t: cluster-forming t threshold as given\n"
        "  --tail -1|0|1        default 0 (MNE's; for F the same test as 1)\n"
        "  --n-permutations N   default 1024 (counts the observed labelling, as MNE)\n"
        "  --seed S             RandomState seed, 0..4294967295 (default 0)\n"
        "  --sigma S            t: 'hat' variance regularisation of ttest_ind_no_p\n"
        "  --step-down-p P      step-down-in-jumps p (default 0: none)\n"
        "  --max-step N         temporal adjacency steps (default 1)\n"
        "  --compat none|mne1.3 none (default): true connected components; mne1.3:\n"
        "                       MNE 1.3's spatio-temporal clustering with its 1-step split\n"
        "cluster-forming controls (beyond MNE; 0 = off; the observed and every permuted\n"
        "map alike):\n"
        "  --min-neighbors K    keep a supra-threshold point only if K of its spatial\n"
        "                       neighbours (same time point, same sign) are kept too,\n"
        "                       repeated until none is removed (FieldTrip's minnbchan)\n"
        "  --min-duration T     drop clusters covering fewer than T distinct time points\n"
        "                       (samples, not seconds; Eelbrain's mintime)\n"
        "  --min-extent N       drop clusters covering fewer than N distinct vertices\n"
        "                       (Eelbrain's minsource)\n"
        "  -j, --jobs N         threads (-1 = all cores; default 1); results do not\n"
        "                       depend on it\n"
        "outputs:\n"
        "  --out DIR            tobs-lh/-rh.stc (the F or t map), summary-lh/-rh.stc,\n"
        "                       h0.txt, clusters.json, clusters.tsv, summary.png, h0.png,\n"
        "                       report.html\n"
        "  --p-summary P        clusters with p < P are logged and summarised (default 0.05)\n"
        ANATOMY_HELP
        "  -q, --quiet          no log lines and no progress\n"
        "resuming:\n"
        "  --checkpoint FILE    save progress to FILE; the same command run again resumes\n"
        "  --checkpoint-interval S  seconds between saves (default 30)\n",
        f);
}


static void usage_rmanova(FILE *f) {
    fputs(
        "usage: " CLI_NAME " rm-anova --factors LEVELS --effect EFFECT --cell STEMS\n"
        "       --cell STEMS [--cell ...] --src FILE --out DIR [options]\n"
        "\n"
        "Spatio-temporal cluster permutation test of one effect of a repeated-measures\n"
        "ANOVA: MNE 1.3's f_mway_rm (correction=False) at each point, as in MNE's\n"
        "permutation_cluster_test over the cells with an f_mway_rm stat_fun.\n"
        "\n"
        "inputs:\n"
        "  --factors LEVELS     levels per factor, e.g. 2x2 or 3x2x2 (factors A, B, C...;\n"
        "                       at most 6 factors and 64 cells)\n"
        "  --effect EFFECT      the effect tested, as MNE names it: A, B, A:B, A:B:C...\n"
        "  --cell STEM_GLOB     one cell's source estimates (a glob over stems or\n"
        "                       @LISTFILE, as onesample's --a); once per cell, in MNE's\n"
        "                       order, the last factor fastest (2x2: A1B1 A1B2 A2B1 A2B2);\n"
        "                       every cell must hold the same subjects (paired by subject)\n"
        "  --src FILE           source space (-src.fif or -src.fif.gz): a surface lh/rh\n"
        "                       pair, one volume (estimates -vl.stc) or lh, rh and one\n"
        "                       volume (mixed -stc.h5), as onesample\n"
        "  --tmin S, --tmax S   crop each estimate first (as stc.crop)\n"
        "  --magnitude          norm over orientations of vector estimates\n"
        "  --dims NAMES, --adjacency FILE, --adjacency-dim NAME, --channels FILE\n"
        "                       .npy inputs instead of estimates (see onesample --help);\n"
        "                       --group/--cell then name .npy files\n"
        "test:\n"
        "  --scheme within|mne  within (default): each permutation shuffles the cells\n"
        "                       within each subject, the repeated-measures null (exact\n"
        "                       enumeration when --n-permutations >= (cells!)^subjects or\n"
        "                       all); mne: MNE's pattern, all cells x subjects shuffled\n"
        "                       together (assumes no subject effects; MNE's results)\n"
        "  --p-threshold P      cluster-forming threshold f_threshold_mway_rm(subjects,\n"
        "                       levels, effect, P) (default P = 0.05)\n"
        "  --f-threshold F      cluster-forming F threshold as given\n"
        "  --tail 0|1           default 1 (the F test is one-tailed; 0 is the same)\n"
        "  --n-permutations N|all   default 1024 (counts the observed labelling, as\n"
        "                       MNE); all: every within-subject shuffle\n"
        "  --seed S             RandomState seed, 0..4294967295 (default 0)\n"
        "  --step-down-p P      step-down-in-jumps p (default 0: none)\n"
        "  --max-step N         temporal adjacency steps (default 1)\n"
        "  --compat none|mne1.3 none (default): true connected components; mne1.3:\n"
        "                       MNE 1.3's spatio-temporal clustering with its 1-step split\n"
        "  -j, --jobs N         threads (-1 = all cores; default 1); results do not\n"
        "                       depend on it\n"
        "outputs:\n"
        "  --out DIR            tobs-lh/-rh.stc (the F map), summary-lh/-rh.stc, h0.txt,\n"
        "                       clusters.json, clusters.tsv, summary.png, h0.png,\n"
        "                       report.html\n"
        "  --p-summary P        clusters with p < P are logged and summarised (default 0.05)\n"
        ANATOMY_HELP
        "  -q, --quiet          no log lines and no progress\n"
        "resuming:\n"
        "  --checkpoint FILE    save progress to FILE; the same command run again resumes\n"
        "  --checkpoint-interval S  seconds between saves (default 30)\n",
        f);
}

/* ------------------------------------------------------------- options */

/* rm-anova's --factors "2x3": levels per factor into o. 0 or -1 (error printed). */
static int parse_factors(os_opts *o, const char *val) {
    size_t n = 0, cells = 1;
    for (const char *c = val;;) {
        char *end;
        long l = strtol(c, &end, 10);
        if (end == c || l < 1 || l > CPERM_MAX_GROUPS || n == CPERM_RM_MAX_FACTORS ||
            (*end && *end != 'x') || cells * (size_t)l > CPERM_MAX_GROUPS) {
            cli_error("rm-anova: --factors '%s' must be levels per factor joined by 'x' (e.g. "
                      "2x2), 1 to %d factors and at most %d cells", val, CPERM_RM_MAX_FACTORS,
                      CPERM_MAX_GROUPS);
            return -1;
        }
        o->rm_levels[n++] = (size_t)l;
        cells *= (size_t)l;
        if (!*end) break;
        c = end + 1;
    }
    o->rm_n_factors = n;
    o->factors = val;
    return 0;
}

/* rm-anova's checks once every option is read. 0 or -1 (error printed). */
static int check_rm(os_opts *o) {
    const char *cmd = o->command;
    if (!o->factors || !o->effect) {
        cli_error("%s: %s is required (try '" CLI_NAME " %s --help')", cmd,
                  !o->factors ? "--factors" : "--effect", cmd);
        return -1;
    }
    size_t cells = 1;
    for (size_t k = 0; k < o->rm_n_factors; k++) cells *= o->rm_levels[k];
    if (o->n_cells != cells) {
        cli_error("%s: --factors %s means %zu cells (one --cell each, the last factor fastest), "
                  "got %zu --cell", cmd, o->factors, cells, o->n_cells);
        return -1;
    }
    uint32_t masks[1];
    size_t n = 0;
    cperm_err err = {0};
    if (cperm_f_mway_effects(NULL, 0, &n, o->rm_n_factors, o->effect, &err) || n != 1) {
        if (n > 1)
            cli_error("%s: --effect '%s' names %zu effects; give one (e.g. A, A:B)", cmd,
                      o->effect, n);
        else
            cli_error("%s: --effect '%s' is not an effect of --factors %s (one of A, B, A:B ... "
                      "for the first %zu letters)", cmd, o->effect, o->factors, o->rm_n_factors);
        return -1;
    }
    cperm_f_mway_effects(masks, 1, &n, o->rm_n_factors, o->effect, NULL);
    o->rm_effect = masks[0];
    for (size_t k = 0; k < o->rm_n_factors; k++)
        if ((o->rm_effect >> k & 1u) && o->rm_levels[k] < 2) {
            cli_error("%s: --effect '%s' includes factor %c, which has 1 level in --factors %s",
                      cmd, o->effect, (char)('A' + k), o->factors);
            return -1;
        }
    const char *bad = o->tfce.on ? "--tfce" : !isnan(o->t_threshold) ? "--t-threshold"
                    : o->sigma != 0 ? "--sigma" : NULL;
    if (bad) {
        cli_error("%s: %s does not apply to the repeated-measures F%s", cmd, bad,
                  o->tfce.on ? " (TFCE is not supported for it yet)" : "");
        return -1;
    }
    if (o->tail < 0) {
        cli_error("%s: the F test is one-tailed (--tail 1, or 0, the same); got --tail %ld", cmd,
                  o->tail);
        return -1;
    }
    if (o->n_permutations == CPERM_PERMUTATIONS_ALL && o->rm_scheme == CPERM_RM_MNE) {
        cli_error("%s: --n-permutations all enumerates within-subject shuffles; give a number "
                  "with --scheme mne", cmd);
        return -1;
    }
    if (!isnan(o->p_threshold) && !isnan(o->f_threshold)) {
        cli_error("%s: give --p-threshold or --f-threshold, not both", cmd);
        return -1;
    }
    return 0;
}

/* The array inputs' options (issue 14): --dims decides; the estimates' options do not
 * apply to arrays, nor --adjacency's to estimates. 0 or -1 (error printed). */
static int check_arrays(const os_opts *o) {
    const char *cmd = o->command;
    if (!o->dims) {
        const char *bad = o->adjacency ? "--adjacency" : o->adjacency_dim ? "--adjacency-dim"
                        : o->channels ? "--channels" : NULL;
        if (bad) {
            cli_error("%s: %s applies to .npy inputs; give --dims too (the names of each "
                      "observation's dimensions)", cmd, bad);
            return -1;
        }
        return 0;
    }
    const char *bad = o->src ? "--src" : !isnan(o->tmin) ? "--tmin" : !isnan(o->tmax) ? "--tmax"
                    : o->magnitude ? "--magnitude" : NULL;
    if (bad) {
        cli_error("%s: %s applies to source estimates, not to .npy inputs (--dims)%s", cmd, bad,
                  !strcmp(bad, "--src") ? "; give the neighbourhood as --adjacency FILE" : "");
        return -1;
    }
    if (arrays_check_dims(o->dims)) return -1;
    if (o->adjacency_dim && !o->adjacency) {
        cli_error("%s: --adjacency-dim names the dimension of --adjacency; give --adjacency too",
                  cmd);
        return -1;
    }
    return 0;
}

/* Parses argv into o; returns -1 (error printed), 0, or 1 for --help. */
static int parse_args(int argc, char **argv, os_opts *o, const char *command) {
    const int indep = !strcmp(command, "independent"), rm = !strcmp(command, "rm-anova");
    o->command = command;
    o->n_cells = 0;
    o->rm_n_factors = 0;
    o->factors = o->effect = NULL;
    o->rm_effect = 0;
    o->rm_scheme = CPERM_RM_WITHIN;
    o->a = o->b = o->src = o->out = NULL;
    o->n_groups = 0;
    o->statistic = indep ? CPERM_STAT_F_ONEWAY : CPERM_STAT_T_1SAMP;
    o->equal_var = 1;
    o->f_threshold = NAN;
    o->tmin = o->tmax = NAN;
    o->magnitude = 0;
    o->quiet = 0;
    o->p_threshold = o->t_threshold = NAN;
    o->tail = rm ? 1 : 0; /* rm-anova: MNE's f_mway_rm examples use tail 1 */
    o->n_permutations = 1024;
    o->seed = 0;
    o->sigma = 0.0;
    o->step_down_p = 0.0;
    o->max_step = 1;
    o->compat = CPERM_COMPAT_NONE;
    o->jobs = 1;
    o->p_summary = 0.05;
    o->min_neighbors = o->min_duration = o->min_extent = 0; /* issue 13 */
    o->dims = o->adjacency = o->adjacency_dim = o->channels = NULL; /* arrays (issue 14) */
    ckpt_opts_init(&o->ckpt);
    tfce_cli_init(&o->tfce); /* TFCE (issue 5) */
    atlas_cli_init(&o->atlas); /* atlases (issue 18) */
    uint64_t seen = 0; /* bit k: known[k] was given */

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        char name[64];
        const char *val = NULL;
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) return 1;
        if (!strcmp(arg, "--magnitude")) {
            o->magnitude = 1;
            continue;
        }
        if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
            o->quiet = 1;
            continue;
        }
        if (!strcmp(arg, "--welch") && indep) {
            o->equal_var = 0;
            continue;
        }
        if (tfce_cli_flag(&o->tfce, arg)) continue; /* TFCE (issue 5) */
        if (!strcmp(arg, "-j")) {
            snprintf(name, sizeof name, "--jobs");
        } else if (!strncmp(arg, "-j", 2)) { /* -j2, as make takes it */
            snprintf(name, sizeof name, "--jobs");
            val = arg + 2;
        } else if (!strncmp(arg, "--", 2) && strlen(arg) < sizeof name) {
            const char *eq = strchr(arg, '=');
            size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
            memcpy(name, arg, n);
            name[n] = '\0';
            if (eq) val = eq + 1;
        } else {
            cli_error("%s: unexpected argument '%s' (try '" CLI_NAME " %s --help')", command,
                      arg, command);
            return -1;
        }
        static const char *const known[] = {
            "--a", "--b", "--src", "--out", "--checkpoint", /* the first N_ONCE: once only */
            "--tmin", "--tmax", "--p-threshold", "--t-threshold",
            "--tail", "--n-permutations", "--seed", "--sigma", "--step-down-p", "--max-step",
            "--compat", "--jobs", "--p-summary", "--checkpoint-interval",
            "--tfce-steps", "--tfce-formula", "--tfce-h", "--tfce-e", /* TFCE: issue 5 */
            "--also", /* exact TFCE's extra statistics: issue 17 */
            "--group", "--stat", "--f-threshold", /* independent */
            "--cell", "--factors", "--effect", "--scheme", /* rm-anova */
            "--min-neighbors", "--min-duration", "--min-extent", /* issue 13 */
            "--dims", "--adjacency", "--adjacency-dim", "--channels", /* arrays: issue 14 */
            "--parc", "--label", "--subjects-dir", "--subject"}; /* atlases: issue 18 */
        enum { N_KNOWN = sizeof known / sizeof known[0], N_ONCE = 5 };
        static_assert(N_KNOWN <= 64, "seen is a 64-bit mask");
        size_t found = N_KNOWN;
        for (size_t k = 0; k < N_KNOWN; k++)
            if (!strcmp(name, known[k])) found = k;
        /* each command's own options */
        static const char *const onesample_only[] = {"--a", "--b", "--tfce-steps",
                                                     "--tfce-formula", "--tfce-h", "--tfce-e",
                                                     "--also"};
        static const char *const independent_only[] = {"--group", "--stat"};
        static const char *const rm_only[] = {"--cell", "--factors", "--effect", "--scheme"};
        static const char *const not_rm[] = {"--t-threshold", "--sigma"};
        const struct {
            const char *const *names;
            size_t n;
            int applies;
        } others[] = {
            {onesample_only, 7, indep || rm},
            {independent_only, 2, !indep},
            {rm_only, 4, !rm},
            {not_rm, 2, rm},
        };
        for (size_t l = 0; l < sizeof others / sizeof *others; l++)
            for (size_t k = 0; found < N_KNOWN && others[l].applies && k < others[l].n; k++)
                if (!strcmp(name, others[l].names[k])) found = N_KNOWN;
        if (found < N_KNOWN && !strcmp(name, "--f-threshold") && !indep && !rm) found = N_KNOWN;
        if (found == N_KNOWN) {
            cli_error("%s: unknown option '%s' (try '" CLI_NAME " %s --help')", command,
                      arg, command);
            return -1;
        }
        if (!val) {
            if (i + 1 >= argc || !strncmp(argv[i + 1], "--", 2)) {
                cli_error("%s: option %s needs a value", command, name);
                return -1;
            }
            val = argv[++i];
        }
        /* issue 7: an empty value (--out=) would make paths like "/tobs-lh.stc" */
        if (!*val) {
            cli_error("%s: option %s needs a non-empty value", command, name);
            return -1;
        }
        /* A repeated parameter takes its last value, as in most programs; but a second --a
         * (say) is a mistake that would otherwise drop the first set of files silently. */
        if ((seen & ((uint64_t)1 << found)) && found < N_ONCE) {
            cli_error("%s: option %s is given twice", command, name);
            return -1;
        }
        seen |= (uint64_t)1 << found;
        const int atrc = atlas_cli_option(&o->atlas, command, name, val); /* issue 18 */
        if (atrc < 0) return -1;
        if (atrc) continue;
        int ckrc; /* --checkpoint options (cli/checkpoint.c, issue 7) */
        if (ckpt_parse_option(&o->ckpt, name, val, &ckrc)) {
            if (ckrc) return -1;
            continue;
        }
        if (tfce_cli_option(&o->tfce, name, val, &ckrc)) { /* TFCE (issue 5) */
            if (ckrc) return -1;
            continue;
        }
        double d;
        long l;
        if (!strcmp(name, "--cell")) { /* rm-anova */
            if (o->n_cells == CPERM_MAX_GROUPS) {
                cli_error("%s: at most %d --cell options", command, CPERM_MAX_GROUPS);
                return -1;
            }
            o->cells[o->n_cells++] = val;
        } else if (!strcmp(name, "--factors")) {
            if (parse_factors(o, val)) return -1;
        } else if (!strcmp(name, "--effect")) {
            o->effect = val;
        } else if (!strcmp(name, "--scheme")) {
            if (!strcmp(val, "within")) o->rm_scheme = CPERM_RM_WITHIN;
            else if (!strcmp(val, "mne")) o->rm_scheme = CPERM_RM_MNE;
            else {
                cli_error("%s: --scheme '%s' must be 'within' or 'mne'", command, val);
                return -1;
            }
        } else if (!strcmp(name, "--group")) {
            if (o->n_groups == CPERM_MAX_GROUPS) {
                cli_error("%s: at most %d --group options", command, CPERM_MAX_GROUPS);
                return -1;
            }
            o->groups[o->n_groups++] = val;
        } else if (!strcmp(name, "--stat")) {
            if (!strcmp(val, "f")) o->statistic = CPERM_STAT_F_ONEWAY;
            else if (!strcmp(val, "t")) o->statistic = CPERM_STAT_T_IND;
            else {
                cli_error("%s: --stat '%s' must be 'f' or 't'", command, val);
                return -1;
            }
        } else if (!strcmp(name, "--f-threshold")) {
            if (cli_parse_double(val, &d) || d < 0) {
                cli_error("%s: --f-threshold '%s' must be a number >= 0", command, val);
                return -1;
            }
            o->f_threshold = d;
        } else if (!strcmp(name, "--dims")) o->dims = val; /* arrays (issue 14) */
        else if (!strcmp(name, "--adjacency")) o->adjacency = val;
        else if (!strcmp(name, "--adjacency-dim")) o->adjacency_dim = val;
        else if (!strcmp(name, "--channels")) o->channels = val;
        else if (!strcmp(name, "--a")) o->a = val;
        else if (!strcmp(name, "--b")) o->b = val;
        else if (!strcmp(name, "--src")) o->src = val;
        else if (!strcmp(name, "--out")) o->out = val;
        else if (!strcmp(name, "--tmin") || !strcmp(name, "--tmax")) {
            if (cli_parse_double(val, &d)) {
                cli_error("%s: %s '%s' is not a number of seconds", command, name, val);
                return -1;
            }
            if (!strcmp(name, "--tmin")) o->tmin = d;
            else o->tmax = d;
        } else if (!strcmp(name, "--p-threshold")) {
            if (cli_parse_double(val, &d) || !(d > 0 && d < 1)) {
                cli_error("%s: --p-threshold '%s' must be a probability in (0, 1)", command, val);
                return -1;
            }
            o->p_threshold = d;
        } else if (!strcmp(name, "--t-threshold")) {
            if (cli_parse_double(val, &d)) {
                cli_error("%s: --t-threshold '%s' is not a finite number", command, val);
                return -1;
            }
            o->t_threshold = d;
        } else if (!strcmp(name, "--tail")) {
            if (cli_parse_long(val, -1, 1, &l)) {
                cli_error("%s: --tail '%s' must be -1, 0 or 1", command, val);
                return -1;
            }
            o->tail = l;
        } else if (!strcmp(name, "--n-permutations")) {
            if (!strcmp(val, "all")) o->n_permutations = CPERM_PERMUTATIONS_ALL;
            else if (cli_parse_long(val, 1, 1L << 40, &l)) {
                cli_error("%s: --n-permutations '%s' must be a positive integer or 'all'", command,
                          val);
                return -1;
            } else o->n_permutations = l;
        } else if (!strcmp(name, "--seed")) {
            if (cli_parse_long(val, 0, 4294967295L, &l)) {
                cli_error("%s: --seed '%s' must be an integer in 0..4294967295", command, val);
                return -1;
            }
            o->seed = l;
        } else if (!strcmp(name, "--sigma")) {
            if (cli_parse_double(val, &d) || d < 0) {
                cli_error("%s: --sigma '%s' must be a number >= 0", command, val);
                return -1;
            }
            o->sigma = d;
        } else if (!strcmp(name, "--step-down-p")) {
            if (cli_parse_double(val, &d) || d < 0 || d > 1) {
                cli_error("%s: --step-down-p '%s' must be in [0, 1]", command, val);
                return -1;
            }
            o->step_down_p = d;
        } else if (!strcmp(name, "--max-step")) {
            if (cli_parse_long(val, 1, 1L << 30, &l)) {
                cli_error("%s: --max-step '%s' must be a positive integer", command, val);
                return -1;
            }
            o->max_step = l;
        } else if (!strcmp(name, "--compat")) {
            if (!strcmp(val, "none")) o->compat = CPERM_COMPAT_NONE;
            else if (!strcmp(val, "mne1.3")) o->compat = CPERM_COMPAT_MNE13;
            else {
                cli_error("%s: --compat '%s' must be 'none' or 'mne1.3'", command, val);
                return -1;
            }
        } else if (!strcmp(name, "--jobs")) {
            if (cli_parse_long(val, -1, 4096, &l)) {
                cli_error("%s: --jobs '%s' must be an integer >= -1", command, val);
                return -1;
            }
            o->jobs = l;
        } else if (!strcmp(name, "--min-neighbors") || !strcmp(name, "--min-duration") ||
                   !strcmp(name, "--min-extent")) { /* cluster-forming controls (issue 13) */
            if (cli_parse_long(val, 0, 1L << 30, &l)) {
                cli_error("%s: %s '%s' must be an integer >= 0 (%s)", command, name, val,
                          !strcmp(name, "--min-neighbors") ? "neighbours"
                          : !strcmp(name, "--min-duration") ? "time points, not seconds"
                                                            : "vertices");
                return -1;
            }
            if (!strcmp(name, "--min-neighbors")) o->min_neighbors = l;
            else if (!strcmp(name, "--min-duration")) o->min_duration = l;
            else o->min_extent = l;
        } else if (!strcmp(name, "--p-summary")) {
            if (cli_parse_double(val, &d) || !(d > 0 && d <= 1)) {
                cli_error("%s: --p-summary '%s' must be a probability in (0, 1]", command, val);
                return -1;
            }
            o->p_summary = d;
        }
    }
    if (check_arrays(o)) return -1; /* arrays (issue 14) */
    const int need_src = !o->dims; /* arrays take --adjacency instead */
    if (rm && (o->n_cells < 2 || (need_src && !o->src) || !o->out)) {
        if (o->n_cells < 2)
            cli_error("%s: give --cell once per cell, at least 2 (got %zu)", command, o->n_cells);
        else
            cli_error("%s: %s is required (try '" CLI_NAME " %s --help')", command,
                      !o->src ? "--src" : "--out", command);
        return -1;
    }
    if (rm && check_rm(o)) return -1;
    if (indep && (o->n_groups < 2 || (need_src && !o->src) || !o->out)) {
        if (o->n_groups < 2)
            cli_error("%s: give --group once per group, at least 2 (got %zu)", command,
                      o->n_groups);
        else
            cli_error("%s: %s is required (try '" CLI_NAME " %s --help')", command,
                      !o->src ? "--src" : "--out", command);
        return -1;
    }
    if (!indep && !rm && (!o->a || (need_src && !o->src) || !o->out)) {
        cli_error("%s: %s is required (try '" CLI_NAME " %s --help')", command,
                  !o->a ? "--a" : need_src && !o->src ? "--src" : "--out", command);
        return -1;
    }
    if (indep) {
        const int t = o->statistic == CPERM_STAT_T_IND;
        const char *bad = o->tfce.on ? "--tfce" : !t && !o->equal_var ? "--welch"
                        : !t && !isnan(o->t_threshold) ? "--t-threshold"
                        : t && !isnan(o->f_threshold) ? "--f-threshold"
                        : !t && o->sigma != 0 ? "--sigma" : NULL;
        if (bad) {
            cli_error("%s: %s does not apply to %s", command, bad,
                      o->tfce.on ? "independent groups (TFCE is not supported for them yet)"
                                 : t ? "--stat t" : "the F test (--stat f)");
            return -1;
        }
        if (t && o->n_groups != 2) {
            cli_error("%s: --stat t compares 2 groups, got %zu", command, o->n_groups);
            return -1;
        }
        if (!t && o->tail < 0) {
            cli_error("%s: the F test is one-tailed (--tail 1, or 0, the same); got --tail %ld",
                      command, o->tail);
            return -1;
        }
        if (o->n_permutations == CPERM_PERMUTATIONS_ALL) {
            cli_error("%s: --n-permutations all enumerates sign flips; give a number", command);
            return -1;
        }
        if (!isnan(o->p_threshold) && !isnan(o->f_threshold)) {
            cli_error("%s: give --p-threshold or --f-threshold, not both", command);
            return -1;
        }
    }
    if (!isnan(o->p_threshold) && !isnan(o->t_threshold)) {
        cli_error("%s: give --p-threshold or --t-threshold, not both", command);
        return -1;
    }
    if (!isnan(o->t_threshold)) {
        double t = o->t_threshold;
        if ((o->tail < 0 && t > 0) || (o->tail > 0 && t < 0) || (o->tail == 0 && t < 0)) {
            cli_error("%s: incompatible tail and threshold signs, got %ld and %g", command,
                      o->tail, t);
            return -1;
        }
    }
    /* TFCE (issue 5); --also (issue 17) needs a threshold */
    if (tfce_cli_finish(&o->tfce, o->tail, !isnan(o->p_threshold) || !isnan(o->t_threshold)))
        return -1;
    if (o->tfce.also && (o->step_down_p > 0 || o->ckpt.path)) {
        cli_error("%s: --also %s does not combine with %s (%s)", command, o->tfce.also_arg,
                  o->step_down_p > 0 ? "--step-down-p" : "--checkpoint",
                  o->step_down_p > 0 ? "its clusters are not stepped down"
                                     : "its H0s are not saved in checkpoints");
        return -1;
    }
    if (o->tfce.on && (o->min_neighbors || o->min_duration || o->min_extent)) { /* issue 13 */
        cli_error("%s: %s filters threshold-based clusters; TFCE has none", command,
                  o->min_neighbors ? "--min-neighbors" : o->min_duration ? "--min-duration"
                                                                         : "--min-extent");
        return -1;
    }
    if (o->tfce.on && !o->tfce.also && (!isnan(o->p_threshold) || !isnan(o->t_threshold))) {
        cli_error("%s: %s has no effect with TFCE, which uses every threshold (give "
                  "--tfce-steps START,STEP for stepped thresholds)", command,
                  !isnan(o->p_threshold) ? "--p-threshold" : "--t-threshold");
        return -1;
    }
    if (atlas_cli_any(&o->atlas) && (o->tfce.on || o->dims)) { /* issue 18 */
        cli_error("%s: %s labels the clusters of source estimates; %s", command,
                  o->atlas.parc ? "--parc" : o->atlas.n_labels ? "--label" : "--subjects-dir",
                  o->tfce.on ? "TFCE has no clusters" : "--dims arrays have no source space");
        return -1;
    }
    if (!isnan(o->tmin) && !isnan(o->tmax) && o->tmin > o->tmax) {
        cli_error("%s: --tmin %g is after --tmax %g", command, o->tmin, o->tmax);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------- log */

static void print_g(const char *fmt, double v) {
    if (isnan(v)) printf(fmt, "nan");
    else if (isinf(v)) printf(fmt, v > 0 ? "inf" : "-inf");
    else {
        char buf[64];
        snprintf(buf, sizeof buf, "%f", v);
        printf(fmt, buf);
    }
}

static const char *plural(size_t n) { return n == 1 ? "" : "s"; }

/* MNE's log up to "Permuting N times...": printed from the first progress call, once the
 * observed clusters are known and before the permutations run, so that a batch job's log
 * shows it at once; or after execute when no permutation ran. */
typedef struct os_log {
    const cperm_plan *plan;
    const cperm_run *run;
    size_t n_tests;      /* n_times x n_vertices */
    int tfce;            /* TFCE prints its own log (cli/tfce_out.c) */
    int header_done;
    cperm_progress_fn next; /* the progress bar or the checkpoint saver */
    void *next_user;
} os_log;

static void print_header(os_log *lg) {
    if (lg->header_done || lg->tfce) return;
    lg->header_done = 1;
    const double *tobs = cperm_run_tobs(lg->run);
    const size_t n_tests = lg->n_tests;
    double tmin_v = tobs[0], tmax_v = tobs[0];
    for (size_t i = 0; i < n_tests; i++) {
        if (isnan(tobs[i]) || isnan(tmin_v)) {
            tmin_v = tmax_v = NAN; /* np.min/np.max propagate NaN */
            break;
        }
        if (tobs[i] < tmin_v) tmin_v = tobs[i];
        if (tobs[i] > tmax_v) tmax_v = tobs[i];
    }
    print_g("stat_fun(H1): min=%s", tmin_v);
    print_g(" max=%s\n", tmax_v);
    printf("Running initial clustering \xe2\x80\xa6\n");
    const size_t n_clusters = cperm_run_n_clusters(lg->run);
    printf("Found %zu cluster%s\n", n_clusters, plural(n_clusters));
    if (n_clusters > 0)
        printf("Permuting %zu times%s...\n", cperm_plan_n_orders(lg->plan),
               cperm_plan_is_exact(lg->plan) ? " (exact test)" : "");
}

static int log_progress_cb(void *user, size_t done, size_t total, int pass) {
    os_log *lg = user;
    print_header(lg);
    return lg->next ? lg->next(lg->next_user, done, total, pass) : 0;
}

/* The rest of MNE's log for a cluster run, in MNE's order, once execute is done. */
static void print_cluster_log(os_log *lg, const os_opts *o) {
    print_header(lg);
    const cperm_run *run = lg->run;
    const size_t n_clusters = cperm_run_n_clusters(run);
    if (n_clusters == 0) {
        fflush(stdout);
        fprintf(stderr, CLI_NAME ": warning: No clusters found, returning empty H0, clusters, "
                        "and cluster_pv\n");
    } else {
        const double *pv = cperm_run_pvalues(run);
        if (o->step_down_p > 0) {
            size_t n_steps = cperm_run_n_step_downs(run);
            for (size_t i = 1; i <= n_steps; i++) {
                size_t n = cperm_run_step_down_removed(run, i - 1);
                printf("Step-down-in-jumps iteration #%zu found %zu %scluster%s to exclude from "
                       "subsequent iterations\n", i, n, i > 1 ? "additional " : "", plural(n));
            }
        }
        printf("Computing cluster p-values\n");
        printf("Done.\n");
        for (size_t k = 0; k < n_clusters; k++)
            if (pv[k] < o->p_summary) printf("Found cluster with p=%g\n", pv[k]);
    }
    fflush(stdout);
}

/* ---- --checkpoint (issue 7): everything a checkpoint must have been made with (--out,
 * --jobs and --p-summary do not change the permutations, so they may differ) ---- */
static uint64_t checkpoint_inputs_hash(const os_opts *o, const cli_strlist *a,
                                       const cli_strlist *b) {
    ckpt_hash h;
    ckpt_hash_init(&h);
    ckpt_hash_long(&h, (long)a->n);
    for (size_t i = 0; i < a->n; i++) ckpt_hash_stem(&h, a->items[i]);
    ckpt_hash_long(&h, b ? (long)b->n : -1);
    for (size_t i = 0; b && i < b->n; i++) ckpt_hash_stem(&h, b->items[i]);
    if (o->src) ckpt_hash_file(&h, o->src); else ckpt_hash_str(&h, NULL); /* arrays: none */
    ckpt_hash_double(&h, o->tmin);
    ckpt_hash_double(&h, o->tmax);
    ckpt_hash_long(&h, o->magnitude);
    ckpt_hash_double(&h, o->p_threshold);
    ckpt_hash_double(&h, o->t_threshold);
    ckpt_hash_long(&h, o->tail);
    ckpt_hash_long(&h, o->n_permutations);
    ckpt_hash_long(&h, o->seed);
    ckpt_hash_double(&h, o->sigma);
    ckpt_hash_double(&h, o->step_down_p);
    ckpt_hash_long(&h, o->max_step);
    ckpt_hash_long(&h, o->compat);
    ckpt_hash_long(&h, (long)o->n_groups); /* independent */
    for (size_t g = 0; g < o->n_groups; g++) ckpt_hash_stem(&h, o->groups[g]);
    ckpt_hash_long(&h, o->statistic);
    ckpt_hash_long(&h, o->equal_var);
    ckpt_hash_double(&h, o->f_threshold);
    ckpt_hash_long(&h, (long)o->n_cells); /* rm-anova */
    for (size_t c = 0; c < o->n_cells; c++) ckpt_hash_stem(&h, o->cells[c]);
    ckpt_hash_long(&h, (long)o->rm_n_factors);
    for (size_t k = 0; k < o->rm_n_factors; k++) ckpt_hash_long(&h, (long)o->rm_levels[k]);
    ckpt_hash_long(&h, (long)o->rm_effect);
    ckpt_hash_long(&h, o->rm_scheme);
    if (o->dims) { /* arrays (issue 14); estimates' hashes stay as they were */
        ckpt_hash_str(&h, o->dims);
        ckpt_hash_str(&h, o->adjacency);
        if (o->adjacency) ckpt_hash_file(&h, o->adjacency);
        ckpt_hash_str(&h, o->adjacency_dim);
        ckpt_hash_str(&h, o->channels);
        if (o->channels) ckpt_hash_file(&h, o->channels);
    }
    if (o->min_neighbors || o->min_duration || o->min_extent) { /* issue 13; off: as before */
        ckpt_hash_long(&h, o->min_neighbors);
        ckpt_hash_long(&h, o->min_duration);
        ckpt_hash_long(&h, o->min_extent);
    }
    return h.h;
}
/* ---- end of --checkpoint ---- */

/* ------------------------------------------------------------- the test */

/* The cluster-forming threshold: --t-threshold as given, or --p-threshold (MNE's default
 * p = 0.05 when neither is given; then *is_default is set) converted as MNE does. TFCE
 * leaves it unused. Returns 0, or -1 after printing the error. */
static int cluster_threshold(const os_opts *o, size_t n_subjects, double *threshold,
                             int *is_default) {
    *is_default = 0;
    if (os_rm(o)) {
        if (!isnan(o->f_threshold)) {
            *threshold = o->f_threshold;
            return 0;
        }
        /* MNE's f_threshold_mway_rm(n_subjects, factor_levels, effects, pvalue) */
        const double p = isnan(o->p_threshold) ? 0.05 : o->p_threshold;
        cperm_err err = {0};
        if (cperm_f_threshold_mway_rm(threshold, n_subjects, o->rm_levels, o->rm_n_factors,
                                      o->effect, p, &err)) {
            cli_error("%s", err.msg);
            return -1;
        }
        *is_default = isnan(o->p_threshold);
        return 0;
    }
    if (os_independent(o) && o->statistic == CPERM_STAT_F_ONEWAY) {
        if (!isnan(o->f_threshold)) {
            *threshold = o->f_threshold;
            return 0;
        }
        /* MNE's default: f.ppf(1 - 0.05, k - 1, n - k) */
        const double p = isnan(o->p_threshold) ? 0.05 : o->p_threshold;
        const double dfn = (double)(o->n_groups - 1), dfd = (double)(n_subjects - o->n_groups);
        *threshold = cperm_f_threshold(p, dfn, dfd);
        *is_default = isnan(o->p_threshold);
        if (!isfinite(*threshold)) {
            cli_error("cannot convert p = %g with %g and %g degrees of freedom to an F threshold",
                      p, dfn, dfd);
            return -1;
        }
        return 0;
    }
    /* Student t: n - 1 df for one sample, n1 + n2 - 2 for two */
    const double df = (double)(n_subjects - (os_independent(o) ? 2 : 1));
    if (!isnan(o->t_threshold)) {
        *threshold = o->t_threshold;
        return 0;
    }
    const double p = isnan(o->p_threshold) ? 0.05 : o->p_threshold; /* MNE's default */
    *threshold = cperm_t_threshold(p, df, (int)o->tail);
    *is_default = isnan(o->p_threshold);
    if (!isfinite(*threshold)) {
        cli_error("cannot convert p = %g with %g degrees of freedom to a t threshold", p, df);
        return -1;
    }
    return 0;
}

/* The library's options for the command line. */
static void test_options(cperm_options *opts, const os_opts *o, const os_study *st,
                         double threshold) {
    cperm_options_init(opts, CPERM_OPTIONS_VERSION);
    opts->threshold = threshold;
    opts->tail = (int)o->tail;
    opts->n_permutations = o->n_permutations;
    opts->seed = (uint32_t)o->seed;
    opts->max_step = (size_t)o->max_step;
    opts->sigma = o->sigma;
    opts->sigma_method = CPERM_SIGMA_RELATIVE;
    opts->step_down_p = o->step_down_p;
    opts->n_jobs = (int)o->jobs;
    opts->compat = o->compat;
    opts->min_neighbors = (size_t)o->min_neighbors; /* cluster-forming controls (issue 13) */
    opts->min_duration = (size_t)o->min_duration;
    opts->min_extent = (size_t)o->min_extent;
    tfce_cli_apply(&o->tfce, opts); /* TFCE (issue 5) */
    if (os_rm(o)) { /* the cells, stacked in X, are the plan's groups */
        opts->design = CPERM_DESIGN_GROUPS;
        opts->statistic = CPERM_STAT_F_MWAY_RM;
        opts->rm_n_factors = o->rm_n_factors;
        opts->rm_factor_levels = o->rm_levels;
        opts->rm_effect = o->rm_effect;
        opts->rm_scheme = o->rm_scheme;
    } else if (os_independent(o)) {
        opts->design = CPERM_DESIGN_GROUPS;
        opts->n_groups = st->n_groups;
        opts->group_sizes = st->group_sizes;
        opts->statistic = o->statistic;
        opts->equal_var = o->equal_var;
    }
}

/* ------------------------------------------------------------- outputs */

/* Every file a onesample run may leave in --out. A run that does not write one of them
 * (a summary when nothing is significant; a cluster run's files after a TFCE run, or the
 * other way round) removes an older one in the same commit, so that DIR never holds two
 * runs' results side by side. */
static const char *const output_names[] = {
    "tobs-lh.stc",         "tobs-rh.stc",         "h0.txt",
    "summary-lh.stc",      "summary-rh.stc",      "clusters.json",
    "clusters.tsv",        /* issue 18 */
    "tfce-lh.stc",         "tfce-rh.stc",         "tfce-p-lh.stc",
    "tfce-p-rh.stc",       "tfce-summary-lh.stc", "tfce-summary-rh.stc",
    "tfce.json",           "summary.png",         "h0.png",
    "report.html",
    "tobs-vl.stc",         "summary-vl.stc", /* a volume (or mixed) space's estimates */
    "summary-vol.png",     /* its glass brain */
    "tobs.npy",            "cluster-labels.npy", "tfce.npy", "tfce-p.npy", /* arrays */
    "h0-mass.txt",         "h0-extent.txt",       /* --also (issue 17) */
    "clusters-mass.tsv",   "clusters-extent.tsv"};

/* The run's statistical outputs, figures and page as one output set, committed together:
 * on any failure --out is left exactly as it was. Returns 0, or -1 after printing why. */
static int write_outputs(const os_result *r) {
    const os_opts *o = r->opts;
    outset *set = NULL;
    int summarised = 0;
    int rc = outset_create(&set, o->out);
    if (!rc && r->study->arrays) rc = arrays_outputs(set, r), summarised = 1; /* issue 14 */
    else if (!rc) rc = o->tfce.on ? tfce_outputs(set, r) : cluster_outputs(set, r, &summarised);
    for (size_t i = 0; !rc && i < sizeof output_names / sizeof *output_names; i++)
        if (!outset_has(set, output_names[i])) rc = outset_remove_stale(set, output_names[i]);
    if (!rc) rc = outset_commit(set);
    outset_free(set);
    if (!rc && !o->tfce.on && !summarised)
        printf("No cluster with p < %g: no summary written\n", o->p_summary);
    return rc;
}

/* ------------------------------------------------------------- command */

static int cluster_command(int argc, char **argv, const char *command) {
    os_opts o;
    os_study study = {0};
    cperm_graph *graph = NULL;
    cperm_plan *plan = NULL;
    cperm_run *run = NULL;
    cperm_err err = {0};
    int ret = CLI_EXIT_ERROR;
    ckpt_state ck; /* --checkpoint (issue 7) */
    ckpt_init(&ck);

    int prc = parse_args(argc, argv, &o, command);
    if (prc == 1) {
        if (!strcmp(command, "rm-anova")) usage_rmanova(stdout);
        else if (os_independent(&o) || !strcmp(command, "independent")) usage_independent(stdout);
        else usage(stdout);
        return CLI_EXIT_OK;
    }
    if (prc < 0) return CLI_EXIT_USAGE;
    if (o.tfce.also && cli_mpi_size() > 1) { /* issue 17: the extra H0s stay in their rank */
        cli_error("%s: --also %s runs in one process (clusterperm-mpi gathers only TFCE's H0); "
                  "run it with one rank or with clusterperm", command, o.tfce.also_arg);
        return CLI_EXIT_USAGE;
    }
    /* Batch jobs redirect stdout to a file: without line buffering the log would appear only
     * when the run ends. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (o.quiet && !freopen("/dev/null", "w", stdout)) {
        cli_error("--quiet: cannot redirect the log to /dev/null");
        return CLI_EXIT_ERROR;
    }
    cli_test_hooks_init(); /* test builds: CLUSTERPERM_TEST_FAIL_WRITE */

    /* 1. The study: subjects first, so that a wrong checkpoint is refused before any data
     * are read; the output directory and checkpoint's are checked before the long part. */
    if (o.dims ? arrays_subjects(&study, &o) : study_subjects(&study, &o)) goto cleanup;
    if (outputs_check_dir(o.out)) goto cleanup;
    if (o.ckpt.path && cli_check_file_dir(o.ckpt.path, "--checkpoint")) goto cleanup;
    const uint64_t inputs_hash = checkpoint_inputs_hash(&o, os_a_stems(&study), os_b_stems(&study));
    if (ckpt_load(&ck, &o.ckpt, inputs_hash)) goto cleanup;
    size_t n_times, n_vertices; /* the engine's layout of X */
    if (o.dims) { /* arrays (issue 14): X, the layout and the graph from the .npy files */
        if (arrays_read(&study, &o, &graph)) goto cleanup;
        n_times = study.arrays->n_times;
        n_vertices = study.arrays->n_space;
    } else {
        if (study_read(&study, &o)) goto cleanup;
        if ((study.volume || study.mixed) && o.tfce.on) { /* its outputs are lh/rh pairs */
            cli_error("%s: --tfce: %s is a %s source space; TFCE's outputs are written for "
                      "surface estimates only (use the cluster test without --tfce)", command,
                      o.src, study.mixed ? "mixed" : "volume");
            goto cleanup;
        }
        if (cperm_graph_from_src(&graph, study.src, &err)) {
            cli_error("%s", err.msg);
            goto cleanup;
        }
        n_times = study.layout->n_times;
        n_vertices = cli_stc_rows(study.layout);
        /* issue 18: the atlas files, read and checked before the permutations run */
        if (atlas_load(&study.atlas, &o.atlas, &study, command)) goto cleanup;
    }

    /* 2. The plan and its run. */
    const size_t n_subjects = study.a.stems.n;
    if (o.min_duration && study.arrays && !study.arrays->spatiotemporal) {
        cli_error("%s: --min-duration counts time points of a (time, space) study; --dims %s "
                  "is tested over %s", command, o.dims,
                  study.arrays->adj_dim >= 0 || study.arrays->full ? "its combined adjacency"
                                                                   : "a lattice");
        goto cleanup;
    }
    if ((size_t)o.min_duration > n_times || (size_t)o.min_extent > n_vertices) { /* issue 13 */
        if ((size_t)o.min_duration > n_times)
            cli_error("%s: --min-duration %ld time points exceeds the %zu time points of the "
                      "data%s: no cluster could stay", command, o.min_duration, n_times,
                      isnan(o.tmin) && isnan(o.tmax) ? "" : " (after --tmin/--tmax)");
        else
            cli_error("%s: --min-extent %ld vertices exceeds the %zu vertices of the data: no "
                      "cluster could stay", command, o.min_extent, n_vertices);
        goto cleanup;
    }
    double threshold;
    int default_threshold;
    if (cluster_threshold(&o, os_n_subjects(&o, &study), &threshold, &default_threshold))
        goto cleanup;
    cli_progress progress;
    cli_progress_init(&progress, "Permuting", o.quiet);
    os_log lg = {.n_tests = n_times * n_vertices, .tfce = o.tfce.on, .next = cli_progress_cb,
                 .next_user = &progress};
    if (cli_mpi_rank() > 0) lg.next = NULL; /* clusterperm-mpi: rank 0 draws and saves */
    else if (o.ckpt.path) { /* --checkpoint (issue 7): saves between chunks, draws the bar too */
        lg.next = ckpt_progress_cb;
        lg.next_user = &ck;
    }
    cperm_options opts;
    test_options(&opts, &o, &study, threshold);
    opts.progress = log_progress_cb;
    opts.progress_user = &lg;
    if (cperm_plan_create(&plan, graph, n_subjects, n_times, &opts, &err) ||
        cperm_run_create(&run, plan, &err)) {
        cli_error("%s", err.msg);
        goto cleanup;
    }
    lg.plan = plan;
    lg.run = run;
    cperm_graph_free(graph);
    graph = NULL;
    if (ckpt_restore(&ck, run)) goto cleanup; /* --checkpoint (issue 7) */
    /* clusterperm-mpi: every rank got here, or none goes on (the first failure is said) */
    if (!cli_mpi_agree_inputs(1, inputs_hash)) goto cleanup;
    if (cli_mpi_rank() == 0) ckpt_begin(&ck, run, &progress); /* rank 0 saves for all */

    /* 3. The test. */
    if (default_threshold && !o.tfce.on) { /* TFCE (issue 5): MNE logs no threshold */
        printf("Using a threshold of %f\n", cperm_plan_threshold(plan));
        fflush(stdout);
    }
    if (o.min_neighbors || o.min_duration || o.min_extent) { /* issue 13: not MNE's */
        printf("Cluster-forming controls: points with >= %ld supra-threshold neighbours, "
               "clusters of >= %ld time points and >= %ld vertices\n", o.min_neighbors,
               o.min_duration, o.min_extent);
        fflush(stdout);
    }
    cli_progress_start(&progress);
    int erc = cli_execute(plan, study.X, run, &err); /* clusterperm-mpi: split */
    cli_progress_finish(&progress);
    const int stopped = ckpt_end(&ck, erc); /* --checkpoint (issue 7): saved and stopped */
    if (stopped) {
        ret = stopped > 0 ? 128 + stopped : CLI_EXIT_ERROR;
        goto cleanup;
    }
    if (erc) {
        cli_error("%s", err.msg);
        goto cleanup;
    }

    /* 4. The log and the outputs. */
    const os_result res = {&o, &study, plan, run};
    if (o.tfce.on) tfce_print_log(&res);
    else print_cluster_log(&lg, &o);
    if (cli_mpi_rank() > 0) { /* clusterperm-mpi: rank 0 writes the outputs */
        ret = CLI_EXIT_OK;
        goto cleanup;
    }
    if (write_outputs(&res)) goto cleanup;
    ckpt_remove(&ck); /* --checkpoint (issue 7): the run is complete */
    ret = CLI_EXIT_OK;

cleanup:
    ckpt_free(&ck);
    cperm_run_free(run);
    cperm_plan_free(plan);
    cperm_graph_free(graph);
    arrays_free(study.arrays);
    study.arrays = NULL;
    atlas_free(study.atlas); /* issue 18 */
    study.atlas = NULL;
    study_free(&study);
    return ret;
}

int cli_onesample(int argc, char **argv) { return cluster_command(argc, argv, "onesample"); }
int cli_independent(int argc, char **argv) { return cluster_command(argc, argv, "independent"); }
int cli_rmanova(int argc, char **argv) { return cluster_command(argc, argv, "rm-anova"); }
