/* simulate.c - `clusterperm simulate DIR`: a synthetic group study in MNE's file formats
 * (an ico-N fsaverage-like -src.fif, per-subject faces/scrambled .stc pairs with smooth
 * noise and an effect in a known patch and time window, truth.json). */
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SIM_RADIUS_M 0.07       /* sphere radius of each hemisphere */
#define SIM_TSTEP 0.01          /* default; 10 ms and tmin -50 ms are exact in float32 */
#define SIM_BASELINE 5          /* samples before 0: tmin = -5 tstep */
#define SIM_PATCH_RAD 0.35      /* patch angular radius on the sphere (about 20 degrees) */
#define SIM_EFFECT 3.0          /* effect amplitude at the patch centre, in noise sd */
#define SIM_BASE 3.0            /* dSPM-like baseline */
#define SIM_SPATIAL_PASSES 3   /* at ico-5; scaled by 4^(grade-5) to keep the smoothness in mm */
#define SIM_TEMPORAL_PASSES 2

static const char *const conditions[2] = {"mne_dSPM_inverse_morph-faces_eq",
                                          "mne_dSPM_inverse_morph-scrambled_eq"};

static void usage(FILE *f) {
    fputs("usage: " CLI_NAME " simulate DIR [--subjects N] [--seed S] [--grade G] "
          "[--n-times T] [--tstep S]\n"
          "\n"
          "Writes a synthetic study in MNE's formats:\n"
          "  DIR/fsaverage-icoG-src.fif      two-hemisphere icosahedral source space\n"
          "  DIR/subNNN/mne_dSPM_inverse_morph-faces_eq-lh.stc/-rh.stc and\n"
          "  DIR/subNNN/mne_dSPM_inverse_morph-scrambled_eq-lh.stc/-rh.stc\n"
          "                                  positive, spatially and temporally smooth\n"
          "                                  noise; faces carry an effect in a lh patch\n"
          "  DIR/truth.json                  the patch (vertices) and time window\n"
          "defaults: 16 subjects, seed 0, grade 5 (10242 vertices per hemisphere), 40 times,\n"
          "tstep 0.01 s; tmin is -5 tstep. The same options give the same files.\n",
          f);
}

/* x (nv x nt) <- neighbour average over the graph, `passes` times. */
static void smooth_space(double *x, double *tmp, const cperm_graph *g, size_t nt, int passes) {
    const size_t nv = g->n_vertices;
    for (int p = 0; p < passes; p++) {
        for (size_t v = 0; v < nv; v++) {
            double *out = tmp + v * nt;
            const double *self = x + v * nt;
            for (size_t t = 0; t < nt; t++) out[t] = self[t];
            for (size_t k = g->indptr[v]; k < g->indptr[v + 1]; k++) {
                const double *nb = x + (size_t)g->indices[k] * nt;
                for (size_t t = 0; t < nt; t++) out[t] += nb[t];
            }
            const double scale = 1.0 / (double)(1 + g->indptr[v + 1] - g->indptr[v]);
            for (size_t t = 0; t < nt; t++) out[t] *= scale;
        }
        memcpy(x, tmp, nv * nt * sizeof *x);
    }
}

/* Each row <- [1 2 1] / 4 in time (edges replicated), `passes` times. */
static void smooth_time(double *x, size_t nv, size_t nt, int passes) {
    for (int p = 0; p < passes; p++)
        for (size_t v = 0; v < nv; v++) {
            double *r = x + v * nt, prev = r[0];
            for (size_t t = 0; t < nt; t++) {
                double cur = r[t], next = t + 1 < nt ? r[t + 1] : r[t];
                r[t] = 0.25 * prev + 0.5 * cur + 0.25 * next;
                prev = cur;
            }
        }
}

/* Scales x to zero mean and unit standard deviation. */
static void standardize(double *x, size_t n) {
    double mean = 0.0, ss = 0.0;
    for (size_t i = 0; i < n; i++) mean += x[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) ss += (x[i] - mean) * (x[i] - mean);
    const double sd = sqrt(ss / (double)n);
    for (size_t i = 0; i < n; i++) x[i] = (x[i] - mean) / (sd > 0 ? sd : 1.0);
}

/* mkdir -p */
static int make_dir(const char *path) {
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return 0;
        cli_error("simulate: %s exists and is not a directory", path);
        return -1;
    }
    char *copy = strdup(path);
    if (!copy) return -1;
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (stat(copy, &st) != 0 && mkdir(copy, 0777) != 0 && errno != EEXIST) {
            cli_error("simulate: cannot create directory %s: %s", copy, strerror(errno));
            free(copy);
            return -1;
        }
        *p = '/';
    }
    free(copy);
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        cli_error("simulate: cannot create directory %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int write_truth(const char *dir, const cperm_stc *stc, const uint8_t *patch,
                       const double *w_space, size_t np, size_t centre, size_t t0, size_t t1,
                       long subjects, long seed, long grade) {
    json_t *root = json_object(), *verts = json_array(), *weights = json_array();
    for (size_t v = 0; v < np; v++)
        if (patch[v]) {
            json_array_append_new(verts, json_integer((json_int_t)v));
            json_array_append_new(weights, json_real(w_space[v]));
        }
    json_t *win = json_array(), *win_idx = json_array();
    json_array_append_new(win, json_real(nearbyint((stc->tmin + stc->tstep * (double)t0) * 1e9) / 1e6));
    json_array_append_new(win, json_real(nearbyint((stc->tmin + stc->tstep * (double)t1) * 1e9) / 1e6));
    json_array_append_new(win_idx, json_integer((json_int_t)t0));
    json_array_append_new(win_idx, json_integer((json_int_t)t1));
    json_t *conds = json_object();
    json_object_set_new(conds, "faces", json_string(conditions[0]));
    json_object_set_new(conds, "scrambled", json_string(conditions[1]));
    json_object_set_new(root, "program", json_string(CLI_NAME " " CPERM_VERSION_STRING));
    json_object_set_new(root, "seed", json_integer(seed));
    json_object_set_new(root, "grade", json_integer(grade));
    json_object_set_new(root, "n_subjects", json_integer(subjects));
    json_object_set_new(root, "n_times", json_integer((json_int_t)stc->n_times));
    json_object_set_new(root, "tmin_ms", json_real(nearbyint(stc->tmin * 1e9) / 1e6));
    json_object_set_new(root, "tstep_ms", json_real(nearbyint(stc->tstep * 1e9) / 1e6));
    json_object_set_new(root, "conditions", conds);
    json_object_set_new(root, "effect_in", json_string("faces"));
    json_object_set_new(root, "effect_amplitude_sd", json_real(SIM_EFFECT));
    json_object_set_new(root, "hemi", json_string("lh"));
    json_object_set_new(root, "centre_vertex", json_integer((json_int_t)centre));
    json_object_set_new(root, "radius_rad", json_real(SIM_PATCH_RAD));
    json_object_set_new(root, "vertices", verts);
    json_object_set_new(root, "vertex_weights", weights);
    json_object_set_new(root, "time_window_ms", win);
    json_object_set_new(root, "time_window_samples", win_idx);
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    json_decref(root);
    size_t n = strlen(dir) + 16;
    char *path = malloc(n);
    int rc = -1;
    if (text && path) {
        cperm_err err = {0};
        snprintf(path, n, "%s/truth.json", dir);
        if (cperm_write_file_atomic(path, text, strlen(text), &err)) cli_error("%s", err.msg);
        else rc = 0;
    } else {
        cli_error("out of memory");
    }
    free(text);
    free(path);
    return rc;
}

int cli_simulate(int argc, char **argv) {
    const char *dir = NULL;
    long subjects = 16, seed = 0, grade = 5, n_times = 40;
    double tstep = SIM_TSTEP;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            usage(stdout);
            return CLI_EXIT_OK;
        }
        long *target = NULL, lo = 0, hi = 0;
        if (!strcmp(arg, "--tstep")) {
            if (i + 1 >= argc || cli_parse_double(argv[i + 1], &tstep) || !(tstep >= 1e-4) ||
                tstep > 1.0) {
                cli_error("simulate: --tstep needs a number of seconds in [0.0001, 1]");
                return CLI_EXIT_USAGE;
            }
            i++;
            continue;
        }
        if (!strcmp(arg, "--subjects")) target = &subjects, lo = 2, hi = 999;
        else if (!strcmp(arg, "--seed")) target = &seed, lo = 0, hi = 4294967295L;
        else if (!strcmp(arg, "--grade")) target = &grade, lo = 1, hi = 6;
        else if (!strcmp(arg, "--n-times")) target = &n_times, lo = 10, hi = 100000;
        else if (arg[0] == '-') {
            cli_error("simulate: unknown option '%s' (try '" CLI_NAME " simulate --help')", arg);
            return CLI_EXIT_USAGE;
        } else if (!dir) {
            dir = arg;
            continue;
        } else {
            cli_error("simulate: unexpected argument '%s'", arg);
            return CLI_EXIT_USAGE;
        }
        if (i + 1 >= argc || cli_parse_long(argv[i + 1], lo, hi, target)) {
            cli_error("simulate: %s needs an integer in %ld..%ld", arg, lo, hi);
            return CLI_EXIT_USAGE;
        }
        i++;
    }
    if (!dir) {
        cli_error("simulate: DIR is required (try '" CLI_NAME " simulate --help')");
        return CLI_EXIT_USAGE;
    }

    cperm_srcspace *src = NULL;
    cperm_graph *graph = NULL;
    cperm_stc *stc = NULL;
    double *field = NULL, *tmp = NULL, *w_space = NULL;
    uint8_t *patch = NULL;
    char *path = NULL;
    cperm_err err = {0};
    int ret = CLI_EXIT_ERROR;
    const size_t nt = (size_t)n_times;

    if (cperm_src_create_ico(&src, (int)grade, SIM_RADIUS_M, &err) ||
        cperm_graph_from_src(&graph, src, &err)) {
        cli_error("%s", err.msg);
        goto cleanup;
    }
    const size_t np = src->hemis[0].np, nv = 2 * np;
    const size_t path_len = strlen(dir) + 128;
    path = malloc(path_len);
    field = malloc(nv * nt * sizeof *field);
    tmp = malloc(nv * nt * sizeof *tmp);
    w_space = calloc(np, sizeof *w_space);
    patch = calloc(np, 1);
    const size_t nvh[2] = {np, np};
    if (!path || !field || !tmp || !w_space || !patch || cperm_stc_create(&stc, 2, nvh, nt, &err)) {
        cli_error("simulate: out of memory for %zu vertices x %zu times", nv, nt);
        goto cleanup;
    }
    for (size_t h = 0; h < 2; h++)
        for (size_t v = 0; v < np; v++) stc->vertices[h][v] = (uint32_t)v;
    const double tmin = -SIM_BASELINE * tstep;
    stc->tmin = tmin;
    stc->tstep = tstep;
    snprintf(stc->subject, sizeof stc->subject, "fsaverage");

    /* The patch: lh vertices within SIM_PATCH_RAD of the one nearest a lateral-posterior
     * direction pointing down, so that the seed's ventral view shows it, with a
     * raised-cosine spatial weight. */
    const float *nn = src->hemis[0].nn;
    const double dir0[3] = {-0.6, -0.6, -0.529150262212918};
    size_t centre = 0;
    double best = -2.0;
    for (size_t v = 0; v < np; v++) {
        double d = dir0[0] * nn[3 * v] + dir0[1] * nn[3 * v + 1] + dir0[2] * nn[3 * v + 2];
        if (d > best) best = d, centre = v;
    }
    for (size_t v = 0; v < np; v++) {
        double c = (double)nn[3 * v] * nn[3 * centre] + (double)nn[3 * v + 1] * nn[3 * centre + 1] +
                   (double)nn[3 * v + 2] * nn[3 * centre + 2];
        double ang = acos(c > 1 ? 1 : c < -1 ? -1 : c);
        if (ang < SIM_PATCH_RAD) {
            patch[v] = 1;
            w_space[v] = 0.5 * (1.0 + cos(M_PI * ang / SIM_PATCH_RAD));
        }
    }
    /* The window: from 30% to 60% of the post-stimulus samples, raised-cosine in time. */
    const size_t k0 = SIM_BASELINE;
    const size_t post = nt - k0;
    const size_t t0 = k0 + (size_t)(0.3 * (double)post), t1 = k0 + (size_t)(0.6 * (double)post);
    const double tc = 0.5 * (double)(t0 + t1), half = 0.5 * (double)(t1 - t0) + 1.0;

    if (make_dir(dir)) goto cleanup;
    snprintf(path, path_len, "%s/fsaverage-ico%ld-src.fif", dir, grade);
    if (cperm_src_write(src, path, &err)) {
        cli_error("%s", err.msg);
        goto cleanup;
    }

    /* Neighbour averaging diffuses about sqrt(passes) edges, and edges halve in length
     * with each grade. */
    const int spatial_passes = (int)nearbyint(SIM_SPATIAL_PASSES * pow(4.0, (double)(grade - 5)));
    cli_rng rng;
    cli_rng_seed(&rng, (uint64_t)seed);
    for (long s = 1; s <= subjects; s++) {
        snprintf(path, path_len, "%s/sub%03ld", dir, s);
        if (make_dir(path)) goto cleanup;
        const double base = SIM_BASE + 0.3 * cli_rng_normal(&rng);
        const double amp = SIM_EFFECT * (1.0 + 0.25 * cli_rng_normal(&rng));
        for (size_t c = 0; c < 2; c++) {
            for (size_t i = 0; i < nv * nt; i++) field[i] = cli_rng_normal(&rng);
            smooth_space(field, tmp, graph, nt, spatial_passes);
            smooth_time(field, nv, nt, SIM_TEMPORAL_PASSES);
            standardize(field, nv * nt);
            for (size_t v = 0; v < nv; v++)
                for (size_t t = 0; t < nt; t++) {
                    double x = base + field[v * nt + t];
                    if (c == 0 && v < np && patch[v] && t >= t0 && t <= t1)
                        x += amp * w_space[v] * 0.5 *
                             (1.0 + cos(M_PI * ((double)t - tc) / half));
                    stc->data[v * nt + t] = fabs(x);
                }
            snprintf(path, path_len, "%s/sub%03ld/%s", dir, s, conditions[c]);
            if (cperm_stc_write(stc, path, &err)) {
                cli_error("%s", err.msg);
                goto cleanup;
            }
        }
    }
    if (write_truth(dir, stc, patch, w_space, np, centre, t0, t1, subjects, seed, grade))
        goto cleanup;
    size_t n_patch = 0;
    for (size_t v = 0; v < np; v++) n_patch += patch[v];
    printf("Simulated %ld subjects (seed %ld): ico-%ld source space, %zu vertices per "
           "hemisphere, %zu times from %g ms every %g ms\n",
           subjects, seed, grade, np, nt, tmin * 1e3, tstep * 1e3);
    printf("Effect in faces: lh patch of %zu vertices around vertex %zu, %g to %g ms\n", n_patch,
           centre, (tmin + tstep * (double)t0) * 1e3, (tmin + tstep * (double)t1) * 1e3);
    printf("Wrote %s/fsaverage-ico%ld-src.fif, %s/sub*/, %s/truth.json\n", dir, grade, dir, dir);
    ret = CLI_EXIT_OK;

cleanup:
    cperm_src_free(src);
    cperm_graph_free(graph);
    cperm_stc_free(stc);
    free(field);
    free(tmp);
    free(w_space);
    free(patch);
    free(path);
    return ret;
}
