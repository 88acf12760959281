/* arrays.c - a study from numpy arrays (--dims): .npy inputs (one observation per file or
 * one file of stacked observations), the neighbourhood of one dimension or of every point
 * (--adjacency: a scipy save_npz matrix, a FieldTrip neighbour .mat, a source space), and
 * the layout MNE would test them in: (time, space) as spatio_temporal_cluster_*_test with
 * max_step, anything else as permutation_cluster_*_test over combine_adjacency of the
 * dimensions (a lattice where no adjacency is given). */
#include "arrays.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void arrays_free(os_arrays *a) {
    if (!a) return;
    cperm_ch_names_free(a->channels);
    free(a);
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* ------------------------------------------------------------- --dims */

static int parse_dims(os_arrays *a, const char *spec) {
    const char *p = spec;
    a->n_dims = 0;
    for (;;) {
        size_t n = 0;
        while (p[n] && p[n] != ',') n++;
        int ok = n > 0 && n < ARRAYS_NAME_LEN && a->n_dims < ARRAYS_MAX_DIMS;
        for (size_t i = 0; ok && i < n; i++)
            ok = isalnum((unsigned char)p[i]) || p[i] == '_' || p[i] == '-';
        if (!ok) {
            cli_error("--dims '%s' must be 1 to %d names (letters, digits, '_' or '-', at most "
                      "%d characters each) joined by ',', e.g. time,channel", spec,
                      ARRAYS_MAX_DIMS, ARRAYS_NAME_LEN - 1);
            return -1;
        }
        memcpy(a->names[a->n_dims], p, n);
        a->names[a->n_dims][n] = '\0';
        for (size_t d = 0; d < a->n_dims; d++)
            if (!strcmp(a->names[d], a->names[a->n_dims])) {
                cli_error("--dims '%s' names dimension '%s' twice", spec, a->names[d]);
                return -1;
            }
        a->n_dims++;
        if (!p[n]) break;
        p += n + 1;
    }
    return 0;
}

size_t os_n_points(const os_study *st) {
    if (st->arrays) return st->arrays->n_points;
    return cli_stc_rows(st->layout) * st->layout->n_times;
}

int arrays_check_dims(const char *spec) {
    os_arrays a;
    memset(&a, 0, sizeof a);
    return parse_dims(&a, spec);
}

static int dim_index(const os_arrays *a, const char *name) {
    for (size_t d = 0; d < a->n_dims; d++)
        if (!strcmp(a->names[d], name)) return (int)d;
    return -1;
}

/* "(time 3, channel 17)" for point `flat` of an observation. */
static void describe_point(char *buf, size_t cap, const os_arrays *a, size_t flat) {
    size_t idx[ARRAYS_MAX_DIMS];
    for (size_t d = a->n_dims; d-- > 0;) {
        idx[d] = flat % a->lengths[d];
        flat /= a->lengths[d];
    }
    size_t n = (size_t)snprintf(buf, cap, "(");
    for (size_t d = 0; d < a->n_dims && n < cap; d++) {
        n += (size_t)snprintf(buf + n, cap - n, "%s%s %zu", d ? ", " : "", a->names[d], idx[d]);
        if ((int)d == a->adj_dim && a->channels && idx[d] < a->channels->n_channels && n < cap)
            n += (size_t)snprintf(buf + n, cap - n, " '%s'", a->channels->names[idx[d]]);
    }
    if (n < cap) snprintf(buf + n, cap - n, ")");
}

static void describe_shape(char *buf, size_t cap, const size_t *shape, size_t ndim) {
    size_t n = (size_t)snprintf(buf, cap, "(");
    for (size_t d = 0; d < ndim && n < cap; d++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%zu", d ? ", " : "", shape[d]);
    if (n < cap) snprintf(buf + n, cap - n, "%s)", ndim == 1 ? "," : "");
}

/* ------------------------------------------------------------- subjects */

static int expand(cli_subjects *out, const char *opt, const char *spec) {
    return cli_subjects_expand_files(out, opt, spec, ".npy");
}

int arrays_subjects(os_study *st, const os_opts *o) {
    char opt[32], opt0[32];
    if (os_rm(o) || os_independent(o)) {
        const size_t n = os_rm(o) ? o->n_cells : o->n_groups;
        const char *const *specs = os_rm(o) ? o->cells : o->groups;
        const char *what = os_rm(o) ? "--cell" : "--group";
        snprintf(opt0, sizeof opt0, "%s #1", what);
        st->n_groups = n;
        for (size_t g = 0; g < n; g++) {
            snprintf(opt, sizeof opt, "%s #%zu", what, g + 1);
            if (expand(&st->groups[g], opt, specs[g])) return -1;
            /* cells of per-subject files are paired by subject; stacked ones by row */
            if (os_rm(o) && g && st->groups[0].stems.n > 1 && st->groups[g].stems.n > 1 &&
                cli_subjects_pair_named(&st->groups[0], opt0, specs[0], &st->groups[g], opt,
                                        specs[g], "a repeated-measures test needs every cell "
                                                  "of every subject"))
                return -1;
        }
        return 0;
    }
    st->paired = o->b != NULL;
    if (expand(&st->a, "--a", o->a)) return -1;
    if (o->b && expand(&st->b, "--b", o->b)) return -1;
    if (o->b && st->a.stems.n > 1 && st->b.stems.n > 1 &&
        cli_subjects_pair(&st->a, &st->b, o->a, o->b))
        return -1;
    return 0;
}

/* ------------------------------------------------------------- reading */

/* The observations of one input: rows of n_points values (the observation's C order), and
 * a label per row. The first file read fixes the shape (a->lengths) when a->n_points is 0. */
typedef struct obs_set {
    double *rows;
    size_t n_rows;
    cli_strlist labels;
    int stacked;
} obs_set;

static void obs_free(obs_set *s) {
    free(s->rows);
    cli_strlist_free(&s->labels);
    memset(s, 0, sizeof *s);
}

static int read_input(obs_set *out, os_arrays *a, const cli_subjects *in, const char *opt,
                      const char **first_file) {
    cperm_err err = {0};
    memset(out, 0, sizeof *out);
    for (size_t f = 0; f < in->stems.n; f++) {
        const char *path = in->stems.items[f];
        cperm_npy *arr = NULL;
        if (cperm_npy_read(&arr, path, &err)) {
            cli_error("%s: %s", opt, err.msg);
            return -1;
        }
        char got[256], want[256];
        describe_shape(got, sizeof got, arr->shape, arr->ndim);
        const int stacked = arr->ndim == a->n_dims + 1;
        if (!stacked && arr->ndim != a->n_dims) {
            cli_error("%s: %s: shape %s has %zu dimensions; --dims names %zu (one observation "
                      "per file) or %zu with the observations first (stacked)", opt, path, got,
                      arr->ndim, a->n_dims, a->n_dims + 1);
            cperm_npy_free(arr);
            return -1;
        }
        if (stacked && in->stems.n > 1) {
            cli_error("%s: %s: shape %s stacks observations (%zu dimensions for the %zu of "
                      "--dims), but %s gives %zu files: give one stacked file, or one "
                      "observation per file", opt, path, got, arr->ndim, a->n_dims, opt,
                      in->stems.n);
            cperm_npy_free(arr);
            return -1;
        }
        const size_t *shape = arr->shape + (stacked ? 1 : 0);
        const size_t rows = stacked ? arr->shape[0] : 1;
        if (a->n_points == 0) {
            size_t n = 1;
            for (size_t d = 0; d < a->n_dims; d++) {
                if (shape[d] == 0) {
                    cli_error("%s: %s: shape %s: dimension '%s' is empty", opt, path, got,
                              a->names[d]);
                    cperm_npy_free(arr);
                    return -1;
                }
                a->lengths[d] = shape[d];
                n *= shape[d];
            }
            a->n_points = n;
            *first_file = path;
        } else if (memcmp(shape, a->lengths, a->n_dims * sizeof *shape) != 0) {
            describe_shape(got, sizeof got, shape, a->n_dims);
            describe_shape(want, sizeof want, a->lengths, a->n_dims);
            cli_error("%s: %s: an observation of shape %s, but %s's are %s", opt, path, got,
                      *first_file, want);
            cperm_npy_free(arr);
            return -1;
        }
        if (rows == 0) {
            cli_error("%s: %s: shape %s holds no observations", opt, path, got);
            cperm_npy_free(arr);
            return -1;
        }
        for (size_t k = 0; k < arr->size; k++)
            if (!isfinite(arr->data[k])) {
                char where[512];
                describe_point(where, sizeof where, a, k % a->n_points);
                if (stacked)
                    cli_error("%s: %s: observation %zu %s is %g: the data must be finite", opt,
                              path, k / a->n_points, where, arr->data[k]);
                else
                    cli_error("%s: %s: point %s is %g: the data must be finite", opt, path,
                              where, arr->data[k]);
                cperm_npy_free(arr);
                return -1;
            }
        double *grown = realloc(out->rows, (out->n_rows + rows) * a->n_points * sizeof *grown);
        if (!grown) {
            cli_error("out of memory reading %s", path);
            cperm_npy_free(arr);
            return -1;
        }
        out->rows = grown;
        memcpy(out->rows + out->n_rows * a->n_points, arr->data,
               rows * a->n_points * sizeof *grown);
        for (size_t r = 0; r < rows; r++) {
            char label[4200];
            if (stacked) snprintf(label, sizeof label, "%s[%zu]", path, r);
            else snprintf(label, sizeof label, "%s", path);
            if (cli_strlist_push(&out->labels, label)) {
                cli_error("out of memory");
                cperm_npy_free(arr);
                return -1;
            }
        }
        out->n_rows += rows;
        out->stacked = stacked;
        cperm_npy_free(arr);
    }
    return 0;
}

/* ------------------------------------------------------------- --adjacency, --channels */

static int read_channel_list(cli_strlist *names, const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error("--channels: cannot open %s", path);
        return -1;
    }
    char line[1024];
    size_t line_no = 0;
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        line_no++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            cli_error("--channels: %s: line %zu is too long", path, line_no);
            rc = -1;
            break;
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                     line[n - 1] == '\t'))
            line[--n] = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (!*s || *s == '#') continue;
        if (cli_strlist_push(names, s)) {
            cli_error("out of memory");
            rc = -1;
            break;
        }
    }
    fclose(f);
    if (!rc && names->n == 0) {
        cli_error("--channels: %s names no channels (one name per line)", path);
        rc = -1;
    }
    return rc;
}

/* find_ch_adjacency's Delaunay graph of the channels of a positions file (MNE triangulates
 * the info's channels: with --channels, those, in the data's order): 3-D positions drawn
 * on find_ch_adjacency's 2-D map first; a 2-D file is that map. */
static int positions_graph(cperm_graph **graph, cperm_ch_names **names, const os_opts *o) {
    cperm_err err = {0};
    cperm_ch_names *all = NULL, *picked = NULL;
    cli_strlist list = {0};
    double *pos = NULL, *sel = NULL, *xy = NULL;
    size_t n = 0, dim = 0;
    int rc = -1;
    if (cperm_ch_positions_read(&all, &pos, &n, &dim, o->adjacency, &err)) {
        cli_error("--adjacency: %s", err.msg);
        goto cleanup;
    }
    if (o->channels && read_channel_list(&list, o->channels)) goto cleanup;
    const size_t n_sel = o->channels ? list.n : n;
    sel = malloc(n_sel * dim * sizeof *sel);
    xy = malloc(n_sel * 2 * sizeof *xy);
    picked = calloc(1, sizeof *picked);
    if (!sel || !xy || !picked || !(picked->names = calloc(n_sel, sizeof *picked->names))) {
        cli_error("out of memory");
        goto cleanup;
    }
    picked->n_channels = n_sel;
    for (size_t i = 0; i < n_sel; i++) {
        size_t k = i;
        if (o->channels) {
            for (k = 0; k < n && strcmp(all->names[k], list.items[i]); k++) {}
            if (k == n) {
                cli_error("--channels %s: channel '%s' (line %zu) is not in --adjacency %s (%zu "
                          "channels, e.g. '%s')", o->channels, list.items[i], i + 1,
                          o->adjacency, n, all->names[0]);
                goto cleanup;
            }
        }
        memcpy(sel + i * dim, pos + k * dim, dim * sizeof *sel);
        if (!(picked->names[i] = strdup(all->names[k]))) {
            cli_error("out of memory");
            goto cleanup;
        }
    }
    const double *plane = sel;
    if (dim == 3) {
        if (cperm_ch_topomap_coords(xy, sel, n_sel, NULL, &err)) {
            cli_error("--adjacency %s: %s", o->adjacency, err.msg);
            goto cleanup;
        }
        plane = xy;
    }
    if (cperm_graph_from_positions(graph, plane, n_sel, 2, &err)) {
        cli_error("--adjacency %s: %s", o->adjacency, err.msg);
        goto cleanup;
    }
    *names = picked;
    picked = NULL;
    rc = 0;
cleanup:
    cperm_ch_names_free(all);
    cperm_ch_names_free(picked);
    cli_strlist_free(&list);
    free(pos);
    free(sel);
    free(xy);
    return rc;
}

/* The adjacency's graph (and, for a neighbour file, its channel names, picked by
 * --channels when given). */
static int read_adjacency(cperm_graph **graph, cperm_ch_names **names, const char **kind,
                          const os_opts *o) {
    cperm_err err = {0};
    const char *path = o->adjacency;
    *graph = NULL;
    *names = NULL;
    if (ends_with(path, ".npz")) {
        *kind = "npz";
        if (cperm_graph_read_npz(graph, path, &err)) goto fail;
    } else if (ends_with(path, ".mat")) {
        *kind = "neighbors";
        if (cperm_ch_adjacency_read(names, graph, path, &err)) goto fail;
    } else if (ends_with(path, ".fif") || ends_with(path, ".fif.gz")) {
        cperm_srcspace *src = NULL;
        *kind = "source space";
        int rc = cperm_src_read(&src, path, &err);
        if (!rc) rc = cperm_graph_from_src(graph, src, &err);
        cperm_src_free(src);
        if (rc) goto fail;
    } else if (ends_with(path, ".sfp") || ends_with(path, ".elc") || ends_with(path, ".tsv") ||
               ends_with(path, ".csv")) {
        *kind = "positions (Delaunay)";
        return positions_graph(graph, names, o);
    } else {
        cli_error("--adjacency %s: unknown kind of file; give a scipy save_npz matrix (.npz), "
                  "a FieldTrip neighbour file (.mat, as read_ch_adjacency reads), channel "
                  "positions (.sfp, .elc, .tsv, .csv: find_ch_adjacency's Delaunay graph) or a "
                  "source space (-src.fif, .fif.gz)", path);
        return -1;
    }
    return 0;
fail:
    cli_error("--adjacency: %s", err.msg);
    return -1;
}

/* --channels: the data's channel order. With a neighbour file, its graph is picked by name
 * (read_ch_adjacency's picks); otherwise the names only label the adjacency's vertices. */
static int apply_channels(cperm_graph **graph, cperm_ch_names **names, const os_opts *o) {
    cli_strlist list = {0};
    int64_t *picks = NULL;
    cperm_ch_names *picked = NULL;
    cperm_graph *g = NULL;
    cperm_err err = {0};
    int rc = -1;
    if (read_channel_list(&list, o->channels)) goto cleanup;
    if (*names) {
        picks = malloc(list.n * sizeof *picks);
        if (!picks) {
            cli_error("out of memory");
            goto cleanup;
        }
        for (size_t i = 0; i < list.n; i++) {
            picks[i] = -1;
            for (size_t k = 0; k < (*names)->n_channels && picks[i] < 0; k++)
                if (!strcmp((*names)->names[k], list.items[i])) picks[i] = (int64_t)k;
            if (picks[i] < 0) {
                cli_error("--channels %s: channel '%s' (line %zu) is not in --adjacency %s "
                          "(%zu channels, e.g. '%s')", o->channels, list.items[i], i + 1,
                          o->adjacency, (*names)->n_channels,
                          (*names)->n_channels ? (*names)->names[0] : "");
                goto cleanup;
            }
        }
        if (cperm_ch_adjacency_pick(&picked, &g, *names, *graph, picks, list.n, &err)) {
            cli_error("--channels: %s", err.msg);
            goto cleanup;
        }
        cperm_ch_names_free(*names);
        cperm_graph_free(*graph);
        *names = picked;
        *graph = g;
        picked = NULL;
        g = NULL;
    } else {
        if (list.n != (*graph)->n_vertices) {
            cli_error("--channels %s names %zu channels; --adjacency %s has %zu vertices",
                      o->channels, list.n, o->adjacency, (*graph)->n_vertices);
            goto cleanup;
        }
        picked = calloc(1, sizeof *picked);
        if (!picked || !(picked->names = calloc(list.n, sizeof *picked->names))) {
            cli_error("out of memory");
            goto cleanup;
        }
        picked->n_channels = list.n;
        for (size_t i = 0; i < list.n; i++)
            if (!(picked->names[i] = strdup(list.items[i]))) {
                cli_error("out of memory");
                goto cleanup;
            }
        *names = picked;
        picked = NULL;
    }
    rc = 0;
cleanup:
    cli_strlist_free(&list);
    free(picks);
    cperm_ch_names_free(picked);
    cperm_graph_free(g);
    return rc;
}

/* Which dimension a graph of n vertices is over, or the full product. */
static int choose_adj_dim(os_arrays *a, const cperm_graph *g, const os_opts *o) {
    const size_t n = g->n_vertices;
    a->full = 0;
    a->adj_dim = -1;
    if (o->adjacency_dim) {
        int d = dim_index(a, o->adjacency_dim);
        if (d < 0) {
            cli_error("--adjacency-dim '%s' is not one of --dims %s", o->adjacency_dim, o->dims);
            return -1;
        }
        if (a->lengths[d] != n) {
            cli_error("--adjacency %s has %zu vertices; dimension '%s' of the data has %zu",
                      o->adjacency, n, a->names[d], a->lengths[d]);
            return -1;
        }
        a->adj_dim = d;
        return 0;
    }
    if (n == a->n_points && a->n_dims > 1) { /* MNE's adjacency over every test */
        a->full = 1;
        return 0;
    }
    int found = -1, n_found = 0;
    for (size_t d = 0; d < a->n_dims; d++)
        if (a->lengths[d] == n && strcmp(a->names[d], "time")) {
            if (found < 0) found = (int)d;
            n_found++;
        }
    if (n_found == 0 && a->n_dims == 1 && a->lengths[0] == n) found = 0, n_found = 1;
    if (n_found == 1) {
        a->adj_dim = found;
        return 0;
    }
    char shape[256];
    describe_shape(shape, sizeof shape, a->lengths, a->n_dims);
    if (n_found == 0)
        cli_error("--adjacency %s has %zu vertices: no dimension of the data %s (--dims %s) "
                  "has that length, nor do all %zu points", o->adjacency, n, shape, o->dims,
                  a->n_points);
    else
        cli_error("--adjacency %s has %zu vertices, the length of %d dimensions of the data "
                  "%s (--dims %s): say which with --adjacency-dim", o->adjacency, n, n_found,
                  shape, o->dims);
    return -1;
}

/* ------------------------------------------------------------- layout */

/* Copies one observation (its C order) into X's row in the engine's order. */
static void place(double *dst, const double *src, const os_arrays *a) {
    if (a->spatiotemporal && a->time_dim == 1) { /* (space, time) -> (time, space) */
        const size_t ns = a->lengths[0], nt = a->lengths[1];
        for (size_t s = 0; s < ns; s++)
            for (size_t t = 0; t < nt; t++) dst[t * ns + s] = src[s * nt + t];
    } else {
        memcpy(dst, src, a->n_points * sizeof *dst);
    }
}

static int build_graph(cperm_graph **out, cperm_graph *adj, os_arrays *a, const os_opts *o) {
    cperm_err err = {0};
    const int t = dim_index(a, "time");
    a->spatiotemporal = a->n_dims == 2 && t >= 0 && adj && !a->full && a->adj_dim == 1 - t;
    a->time_dim = a->spatiotemporal ? t : -1;
    if (a->spatiotemporal) { /* the engine's time axis with max_step */
        a->n_times = a->lengths[t];
        a->n_space = a->lengths[1 - t];
        *out = adj;
        return 0;
    }
    a->n_times = 1;
    a->n_space = a->n_points;
    if (o->max_step != 1) {
        cli_error("--max-step %ld applies to a study of (time, space) with an adjacency over "
                  "space (MNE's spatio_temporal tests); --dims %s is tested over %s",
                  o->max_step, o->dims, adj ? "its combined adjacency" : "a lattice");
        cperm_graph_free(adj);
        return -1;
    }
    int rc;
    if (a->full) {
        *out = adj;
        return 0;
    }
    if (adj) {
        const cperm_graph *graphs[ARRAYS_MAX_DIMS] = {0};
        graphs[a->adj_dim] = adj;
        rc = cperm_graph_combine(out, a->n_dims, a->lengths, graphs, &err);
        cperm_graph_free(adj);
    } else {
        rc = cperm_graph_lattice(out, a->n_dims, a->lengths, &err);
    }
    if (rc) {
        cli_error("%s", err.msg);
        return -1;
    }
    return 0;
}

/* Replaces `s`'s stems and keys by the observations' labels (keys: "1", "2", ...). */
static int relabel(cli_subjects *s, const obs_set *obs) {
    cli_subjects_free(s);
    for (size_t i = 0; i < obs->n_rows; i++) {
        char key[32];
        snprintf(key, sizeof key, "%zu", i + 1);
        if (cli_strlist_push(&s->stems, obs->labels.items[i]) ||
            cli_strlist_push(&s->keys, key)) {
            cli_error("out of memory");
            return -1;
        }
    }
    return 0;
}

int arrays_read(os_study *st, const os_opts *o, cperm_graph **graph) {
    os_arrays *a = calloc(1, sizeof *a);
    obs_set sets[CPERM_MAX_GROUPS + 1];
    size_t n_sets = 0;
    cperm_graph *adj = NULL;
    const char *first = NULL;
    int rc = -1;
    memset(sets, 0, sizeof sets);
    *graph = NULL;
    if (!a) {
        cli_error("out of memory");
        return -1;
    }
    st->arrays = a;
    a->adj_dim = -1;
    if (parse_dims(a, o->dims)) goto cleanup;

    /* 1. The observations of every input. */
    const int groups = os_rm(o) || os_independent(o);
    cli_subjects *inputs[CPERM_MAX_GROUPS + 1];
    char opts[CPERM_MAX_GROUPS + 1][32];
    if (groups) {
        n_sets = st->n_groups;
        for (size_t g = 0; g < n_sets; g++) {
            inputs[g] = &st->groups[g];
            snprintf(opts[g], sizeof opts[g], "%s #%zu", os_rm(o) ? "--cell" : "--group", g + 1);
        }
    } else {
        inputs[0] = &st->a;
        snprintf(opts[0], sizeof opts[0], "--a");
        n_sets = 1;
        if (st->paired) {
            inputs[1] = &st->b;
            snprintf(opts[1], sizeof opts[1], "--b");
            n_sets = 2;
        }
    }
    a->stacked = 1;
    for (size_t k = 0; k < n_sets; k++) {
        if (read_input(&sets[k], a, inputs[k], opts[k], &first)) goto cleanup;
        a->stacked = a->stacked && sets[k].stacked;
    }

    /* 2. Counts: A and B, or every cell, hold the same subjects. */
    if (!groups) {
        if (st->paired && sets[1].n_rows != sets[0].n_rows) {
            cli_error("--a holds %zu observations and --b %zu; a paired test needs both for "
                      "every subject", sets[0].n_rows, sets[1].n_rows);
            goto cleanup;
        }
        if (sets[0].n_rows < 2) {
            cli_error("--a holds %zu observation (%s); a one-sample test needs at least 2",
                      sets[0].n_rows, sets[0].labels.items[0]);
            goto cleanup;
        }
    } else if (os_rm(o)) {
        for (size_t c = 1; c < n_sets; c++)
            if (sets[c].n_rows != sets[0].n_rows) {
                cli_error("--cell #1 holds %zu observations and --cell #%zu %zu; a "
                          "repeated-measures test needs every cell of every subject",
                          sets[0].n_rows, c + 1, sets[c].n_rows);
                goto cleanup;
            }
        if (sets[0].n_rows < 2) {
            cli_error("--cell #1 holds %zu observation; a repeated-measures test needs at "
                      "least 2 subjects", sets[0].n_rows);
            goto cleanup;
        }
    } else {
        size_t total = 0;
        for (size_t g = 0; g < n_sets; g++) total += sets[g].n_rows;
        if (total <= n_sets) {
            cli_error("%zu observations in %zu groups leave no degree of freedom within groups",
                      total, n_sets);
            goto cleanup;
        }
    }

    /* 3. The neighbourhood and the layout. */
    if (o->adjacency) {
        if (read_adjacency(&adj, &a->channels, &a->adjacency_kind, o)) goto cleanup;
        const int positions = !strcmp(a->adjacency_kind, "positions (Delaunay)"); /* picked */
        if (o->channels && !positions && apply_channels(&adj, &a->channels, o)) goto cleanup;
        if (choose_adj_dim(a, adj, o)) goto cleanup;
        if (a->full && a->channels) { /* names of every point are not channel names */
            cperm_ch_names_free(a->channels);
            a->channels = NULL;
        }
    } else {
        a->adjacency_kind = "lattice";
        if (o->channels) {
            cli_error("--channels names the vertices of --adjacency; give --adjacency too");
            goto cleanup;
        }
    }
    {
        cperm_graph *g = adj;
        adj = NULL;
        if (build_graph(graph, g, a, o)) goto cleanup;
    }

    /* 4. X in the engine's layout: A - B, or the groups (cells) stacked. */
    size_t n_obs = groups ? 0 : sets[0].n_rows;
    for (size_t g = 0; groups && g < n_sets; g++) n_obs += sets[g].n_rows;
    st->X = malloc(n_obs * a->n_points * sizeof *st->X);
    if (!st->X) {
        cli_error("out of memory: %zu observations of %zu points", n_obs, a->n_points);
        goto cleanup;
    }
    if (!groups) {
        double *diff = st->paired ? malloc(a->n_points * sizeof *diff) : NULL;
        if (st->paired && !diff) {
            cli_error("out of memory");
            goto cleanup;
        }
        for (size_t i = 0; i < n_obs; i++) {
            const double *x = sets[0].rows + i * a->n_points;
            if (st->paired) {
                const double *y = sets[1].rows + i * a->n_points;
                for (size_t k = 0; k < a->n_points; k++) diff[k] = x[k] - y[k];
                x = diff;
            }
            place(st->X + i * a->n_points, x, a);
        }
        free(diff);
        if (relabel(&st->a, &sets[0]) || (st->paired && relabel(&st->b, &sets[1])))
            goto cleanup;
    } else {
        size_t row = 0;
        cli_subjects_free(&st->a);
        for (size_t g = 0; g < n_sets; g++) {
            for (size_t i = 0; i < sets[g].n_rows; i++, row++) {
                place(st->X + row * a->n_points, sets[g].rows + i * a->n_points, a);
                char key[64];
                snprintf(key, sizeof key, "%zu/%zu", g + 1, i + 1);
                if (cli_strlist_push(&st->a.stems, sets[g].labels.items[i]) ||
                    cli_strlist_push(&st->a.keys, key)) {
                    cli_error("out of memory");
                    goto cleanup;
                }
            }
            st->group_sizes[g] = sets[g].n_rows;
            if (relabel(&st->groups[g], &sets[g])) goto cleanup;
        }
    }
    rc = 0;

cleanup:
    for (size_t k = 0; k < n_sets; k++) obs_free(&sets[k]);
    cperm_graph_free(adj);
    if (rc) {
        cperm_graph_free(*graph);
        *graph = NULL;
    }
    return rc;
}
