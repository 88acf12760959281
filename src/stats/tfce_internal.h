/* tfce_internal.h - private interface of the TFCE files: tfce.c (thresholds, workspaces, the
 * cluster statistic cperm_kernel_tfce), tfce_tree.c (scores on a component tree) and
 * tfce_mne13.c (MNE 1.3's per-threshold list path), and of option validation to plan.c. */
#ifndef CPERM_TFCE_INTERNAL_H
#define CPERM_TFCE_INTERNAL_H

#include "engine_internal.h"

#include <math.h>

/* Checks the TFCE fields of options (called by plan validation when options->tfce is set). */
int cperm_tfce_validate(const cperm_options *o, cperm_err *err);

#define TFCE_TAB 4096          /* thresholds and weights tabulated per run */
#define TFCE_MAX_LEVELS 16777216.0
#define TFCE_RADIX_BITS 11
#define TFCE_RADIX (1u << TFCE_RADIX_BITS)
#define TFCE_RADIX_PASSES 3  /* at most, over 32-bit keys */
#define TFCE_PF_ROW 12         /* prefetch distances of the sweep, in points */
#define TFCE_PF_NB 8
#define TFCE_PAD_DEG 32        /* largest degree of the padded neighbour table */
#define TFCE_JOIN_LIST 34      /* exact sweep: joinable neighbours listed per batch, at
                                * least TFCE_PAD_DEG + 2 (a padded vertex, max_step 1) */

/* failures of one map, turned into messages by the caller */
enum { TFCE_ENOFINITE = 1, TFCE_ENONMONO = 2, TFCE_EINF = 3, TFCE_ETOOMANY = 4, TFCE_ENOMEM = 5 };

/* Union-find parents, 4 bytes a point so that neighbour checks touch little memory: the
 * parent index in the low 31 bits, the point's side (1 = negative t under tail 0; signs
 * never join) in the top bit; UF_ABSENT = not present. Roots' extent, tree node and group
 * stamp live in separate arrays, read only at unions. */
typedef struct tfce_root {
    int32_t size;              /* extent */
    int32_t node;              /* current tree node; -1: none; TOUCHED: changed in this group */
} tfce_root;
#define TOUCHED INT32_MIN
#define UF_SIDE 0x80000000u
#define UF_IDX 0x7FFFFFFFu
#define UF_ABSENT 0xFFFFFFFFu
/* The exact sweep's root words: side, UF_ROOT and the root's current node (tfce_tree.c);
 * indices and nodes stay below UF_PIDX, so candidates are fewer than TFCE_EXACT_MAX. */
#define UF_ROOT 0x40000000u
#define UF_PIDX 0x3FFFFFFFu
#define TFCE_EXACT_MAX 0x3FFFFFFFu
typedef struct tfce_node {
    int32_t size;              /* extent */
    int32_t par;               /* the node it ends under; -1: none yet */
} tfce_node;

/* MNE 1.3's per-threshold list path (tfce_mne13.c): P-sized point arrays (union-find per
 * time, each time's components and bridges), arrays over one threshold's component labels
 * (at most P + 2), and the nodes (one per component per threshold, grown on demand). */
typedef struct tfce_steps {
    uint64_t *items, *items_tmp; /* P: highest threshold << 32 | side bit | point, sorted */
    uint8_t *stamp;            /* P: generation << 1 | side of the points present */
    unsigned gen;              /* 1 to 127 */
    int32_t *uf;               /* P: union-find parent */
    int32_t *croot;            /* 2P: a root's size and smallest point (as t's index) */
    int32_t *clab, *cnode, *fsize; /* P, at roots: label, node and final cluster size */
    int32_t *rows;             /* T x V: each time's roots, then its new points */
    int32_t *bridges;          /* 2 x T x V: each pair of times' bridges (their ends' roots) */
    int32_t *link_node, *link_root, *leaf; /* P: the last threshold's nodes; points' nodes */
    int32_t *bnum, *bla, *order, *prev; /* P: one step's bridges */
    int32_t *bends;            /* 2P: their ends' roots */
    int32_t *lpar, *lsize, *lst, *spar, *slabel, *l2s[2], *tl[2], *cnt, *mark; /* labels */
    size_t ntl[2];
    int32_t *first_lab;        /* n_times + 1 */
    size_t *n_rows, *n_old, *n_bridges; /* n_times each */
    double *nval;              /* node_cap: a node's increment, then its score */
    int32_t *npar;             /* node_cap: the node one threshold down; -1: none */
    size_t node_cap;
} tfce_steps;
int cperm_tfce_steps_init(tfce_steps *s, size_t P, size_t T);
void cperm_tfce_steps_free(tfce_steps *s);

/* One thread's scratch for one map. Buffers a and b hold the sort items first, then the
 * pending list and the node values. */
#define TFCE_BATCH 4           /* permuted t maps made per pass over X */
typedef struct tfce_thread {
    double *t;                 /* TFCE_BATCH x P: t maps of the current orders */
    double *var;               /* TFCE_BATCH x P: their variances (sigma > 0 only) */
    double *signs;             /* TFCE_BATCH x n: their signs */
    uint64_t *a, *b;           /* 2P each: sort items (key, id) */
    double *vals;              /* P: candidate heights, ascending */
    uint32_t *ord;             /* P: candidate point ids, UF_SIDE set for negative t (tail 0) */
    uint32_t *par;             /* P: union-find parents */
    tfce_root *root;           /* P: what roots carry (stepped modes) */
    int32_t *nsize, *npar, *nlo, *nhi; /* P: tree nodes (stepped modes) */
    tfce_node *node;           /* P: tree nodes (exact mode) */
    int32_t *leaf;             /* P (thread 0 only): first node of each sorted candidate */
    uint32_t *hist;            /* radix histograms */
    tfce_steps steps;          /* MNE 1.3's per-threshold list path */
} tfce_thread;

struct cperm_tfce_ws {
    uint64_t v_recip;          /* floor(2^64 / n_vertices) + 1 (0: one vertex), for time_of */
    size_t n_threads;
    tfce_thread *th;
    int mode;                  /* CPERM_TFCE_* */
    int stepped;               /* riemann or mne1.3 */
    int per_step;              /* MNE 1.3's 1-step list path at every threshold */
    double s0, sd, d;          /* thresholds mirrored to increasing: start, step, arange delta */
    double H, E;
    size_t n_tab, first_bad;   /* tabulated thresholds; first i with thr[i] <= thr[i-1] */
    double *thr, *w;           /* n_tab */
    double *pe;                /* P + 1: pow(s, E) */
    /* both sweeps (tfce_tree.c, tfce_mne13.c) number vertices in breadth-first order, so
     * that a vertex's neighbours sit in few cache lines: inv[new] = old vertex, CSR in the
     * new numbering */
    int32_t *inv, *fwd;        /* fwd[old vertex] = new */
    size_t *indptr;
    int32_t *indices;
    int32_t *nbr;              /* V x deg, the same lists padded with the vertex itself; NULL
                                * where the largest degree is far above the mean */
    size_t deg;
    double *map;               /* P: scores * sign(t), MNE's returned t_obs */
    int fail_code;
    size_t fail_order;
};

/* Vertex v's neighbour list, *len long, from the padded table (fixed: 1, tw->deg entries;
 * d > 1, d entries, a constant the compiler unrolls) or from the CSR (fixed 0). The sweeps
 * instantiate their bodies for each layout. */
static inline __attribute__((always_inline)) const int32_t *
tfce_neighbours(const struct cperm_tfce_ws *tw, size_t v, int fixed, size_t *len) {
    if (fixed) {
        *len = fixed > 1 ? (size_t)fixed : tw->deg;
        return tw->nbr + v * *len;
    }
    *len = tw->indptr[v + 1] - tw->indptr[v];
    return tw->indices + tw->indptr[v];
}

/* A flat index's time, q / n_vertices, without a division on the sweeps' hot paths: with
 * M = floor(2^64 / V) + 1, floor(q M / 2^64) = floor(q / V) for every q < 2^64 / V. */
static inline uint32_t time_of(const struct cperm_tfce_ws *tw, uint32_t q) {
    return tw->v_recip ? (uint32_t)(((unsigned __int128)q * tw->v_recip) >> 64) : q;
}

static inline uint64_t val_key(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* A point's height for tail: t, -t or |t| (tail -1 runs mirrored). */
static inline double height(double x, int tail) {
    return tail > 0 ? x : tail < 0 ? -x : fabs(x);
}

/* tfce.c: np.arange(start, stop, step)[i] mirrored (th0 = s0, th1 = s0 + sd, then s0 + i*d),
 * and the weight of level i (MNE 1.3: |dh|^H; riemann: |h|^H * |dh|), as libm computes them;
 * th_at/weight_at read the run's tables where they reach. */
double cperm_tfce_th_calc(const struct cperm_tfce_ws *tw, size_t i);
double cperm_tfce_weight_calc(const struct cperm_tfce_ws *tw, size_t i);
static inline double th_at(const struct cperm_tfce_ws *tw, size_t i) {
    return i < tw->n_tab ? tw->thr[i] : cperm_tfce_th_calc(tw, i);
}
static inline double weight_at(const struct cperm_tfce_ws *tw, size_t i) {
    return i < tw->n_tab ? tw->w[i] : cperm_tfce_weight_calc(tw, i);
}
/* tfce.c: the number of thresholds of a map whose extreme (mirrored) value is stop, as
 * np.arange (0 or TFCE_E*), and that extreme of the finite values of t (TFCE_ENOFINITE). */
int cperm_tfce_n_levels(const struct cperm_tfce_ws *tw, double stop, size_t *L);
int cperm_tfce_map_stop(const double *t, size_t P, int tail, double *stop);

/* The scores of one map t (P = n_points; include: NULL or P flags) into scores (if not NULL;
 * needs w->leaf, thread 0's), the largest into *best; 0 or a TFCE_E* code.
 * tfce_tree.c: on one component tree per map (every mode but MNE 1.3's per-step path);
 * in exact mode with also->what set, also the threshold clusters of t at plan->threshold
 * from the same sweep (options.tfce_also; also NULL: none).
 * tfce_mne13.c: clustered at every threshold with MNE 1.3's 1-step list path. */
typedef struct tfce_also_out {
    unsigned what;             /* CPERM_ALSO_* bits; 0: none */
    double best[2];            /* permuted map: its mass and extent statistics */
    cperm_also *obs;           /* observed map: its clusters and statistics go here */
} tfce_also_out;
int cperm_tfce_map_tree(const cperm_plan *plan, const struct cperm_tfce_ws *tw, tfce_thread *w,
                        const double *t, const uint8_t *include, double *scores, double *best,
                        tfce_also_out *also);
int cperm_tfce_map_per_step(const cperm_plan *plan, const struct cperm_tfce_ws *tw,
                            tfce_thread *w, const double *t, const uint8_t *include,
                            double *scores, double *best);

/* tfce.c, for kernels that score maps of their own (callback.c): the run workspace of
 * cperm_kernel_tfce (n_threads thread workspaces, at most the plan's orders; thread 0 holds
 * `leaf`, so it scores observed maps) and its free; one map's scores (the tree or MNE 1.3's
 * per-step path, as the plan's mode decides) with the arguments of cperm_tfce_map_tree; a
 * TFCE_E* code as the message of cperm_kernel_tfce ("observed", "permutation 3"); the
 * observed scores of run->tobs into run->obs and run->tfce->map, as cperm_kernel_tfce's
 * observe (run->tfce set); its p-value rule. */
int cperm_tfce_ws_create(struct cperm_tfce_ws **out, const cperm_plan *plan, int n_threads);
void cperm_tfce_ws_free(struct cperm_tfce_ws *tw);
int cperm_tfce_map_scores(const cperm_plan *plan, const struct cperm_tfce_ws *tw,
                          tfce_thread *w, const double *t, const uint8_t *include,
                          double *scores, double *best);
int cperm_tfce_map_error(cperm_err *err, int code, const char *what);
int cperm_tfce_observe(const cperm_plan *plan, cperm_run *run, cperm_err *err);
int cperm_tfce_rule(const cperm_plan *plan);

#endif
