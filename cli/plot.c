/* plot.c - `clusterperm plot`: draws a surface source estimate (summary, T_obs, TFCE maps)
 * on the brain as MNE's stc.plot does, or a volume estimate as a glass brain, headless, to
 * PNG, SVG or PDF. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void usage(FILE *f) {
    fputs(
        "usage: " CLI_NAME " plot STEM (--src FILE | --subjects-dir DIR) -o OUT.png [options]\n"
        "\n"
        "Draws a surface source estimate (STEM-lh.stc/-rh.stc or STEM-stc.h5) on the brain\n"
        "as MNE's stc.plot does, without a display or GPU. Defaults are MNE's. A volume\n"
        "estimate (STEM given as FILE-vl.stc or FILE-vol.stc, --src a source space with\n"
        "one volume) is drawn as a glass brain: sagittal, coronal and axial projections\n"
        "of the largest value along each line of sight (--hemi, --views, --surf and\n"
        "--smoothing-steps do not apply; default size 1000x440).\n"
        "\n"
        "geometry:\n"
        "  --src FILE             the -src.fif whose surfaces carry the data (uniform grey)\n"
        "  --subjects-dir DIR     FreeSurfer subjects: DIR/SUBJECT/surf/?h.SURF and ?h.curv\n"
        "                         (binarised curvature in greys, as MNE)\n"
        "  --subject NAME         default: the estimate's subject\n"
        "  --surf NAME            default inflated (hemispheres moved apart, as MNE)\n"
        "figure:\n"
        "  -o, --output FILE      .png, .svg or .pdf\n"
        "  --hemi lh|rh|both|split          default lh\n"
        "  --views V[,V...]       lat, med, ven, dor, ros, cau (or full names), one row each;\n"
        "                         default lat\n"
        "  --clim KIND:MIN,MID,MAX  colour limits as MNE's clim: value: or percent: lims\n"
        "                         (one-sided 'hot', transparent below MIN), pos-value: or\n"
        "                         pos-percent: pos_lims (MNE's 'mne' colormap mirrored\n"
        "                         around 0, |values| below MIN transparent). Default, as\n"
        "                         clim='auto': pos-percent:96,97.5,99.95 when the data has\n"
        "                         negative values, else percent:96,97.5,99.95\n"
        "  --size WxH             pixels, default 800x800\n"
        "  --background COLOR     black (default), white, #RRGGBB\n"
        "  --time-label TEXT      default 'time=%.3fs' of the time shown; '' for none\n"
        "  --time-index N         column shown (default 0)\n"
        "  --smoothing-steps N|nearest      default 10 (as stc.plot)\n"
        "  --no-colorbar\n"
        "\n"
        "Each hemisphere in view is labelled lh or rh above itself; the colour bar and the\n"
        "time label sit in a band of their own below the brain.\n"
        "\n"
        "The seed's figure: --hemi both --views ven --clim value:0,0.1,40 --size 1000x1000\n"
        "  --background white --time-label 'Duration significant (ms)'\n",
        f);
}

static int parse_view(const char *s, size_t n, int *out) {
    static const char *const names[6] = {"lateral", "medial", "ventral",
                                         "dorsal",  "rostral", "caudal"};
    for (int i = 0; i < 6; i++) {
        if ((n == 3 && !strncmp(s, names[i], 3)) ||
            (n == strlen(names[i]) && !strncmp(s, names[i], n))) {
            *out = i;
            return 0;
        }
    }
    return -1;
}

static int parse_colour(const char *s, double rgb[3]) {
    if (!strcasecmp(s, "white")) rgb[0] = rgb[1] = rgb[2] = 1.0;
    else if (!strcasecmp(s, "black")) rgb[0] = rgb[1] = rgb[2] = 0.0;
    else if (s[0] == '#' && strlen(s) == 7) {
        for (int k = 0; k < 3; k++) {
            char hex[3] = {s[1 + 2 * k], s[2 + 2 * k], 0}, *end = NULL;
            long v = strtol(hex, &end, 16);
            if (*end) return -1;
            rgb[k] = (double)v / 255.0;
        }
    } else {
        return -1;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* numpy.percentile(data, q) with the default linear method. */
static double percentile(const double *sorted, size_t n, double q) {
    if (n == 0) return 0.0;
    double pos = q / 100.0 * (double)(n - 1);
    size_t i = (size_t)floor(pos);
    if (i >= n - 1) return sorted[n - 1];
    double t = pos - (double)i, a = sorted[i], b = sorted[i + 1];
    return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

static char *join3(const char *a, const char *b, const char *c) {
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s%s%s", a, b, c);
    return p;
}

static int ends_with(const char *s, const char *suffix) {
    const size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* The one volume of a source space (a volume space, or a mixed one's volume); NULL when it
 * has none or several. */
static const cperm_src_hemi *only_volume(const cperm_srcspace *src) {
    const cperm_src_hemi *vol = NULL;
    for (size_t h = 0; h < src->n_hemis; h++) {
        if (src->hemis[h].type != CPERM_SRC_VOLUME) continue;
        if (vol) return NULL;
        vol = &src->hemis[h];
    }
    return vol;
}

int cli_plot(int argc, char **argv) {
    const char *stem = NULL, *src_path = NULL, *subjects_dir = NULL, *subject = NULL;
    const char *surf = "inflated", *output = NULL, *time_label = NULL;
    int clim_percent = 1, clim_auto = 1, have_label = 0, have_size = 0;
    double lims[3] = {96, 97.5, 99.95};
    cperm_render_options ro = CPERM_RENDER_OPTIONS_INIT;
    ro.hemi = CPERM_HEMI_LH;
    ro.n_views = 1;
    ro.views[0] = CPERM_VIEW_LATERAL;
    ro.width = ro.height = 800;
    ro.background[0] = ro.background[1] = ro.background[2] = 0.0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return CLI_EXIT_OK;
        }
        if (!strcmp(a, "--no-colorbar")) {
            ro.colorbar = 0;
            continue;
        }
        if (a[0] != '-') {
            if (stem) {
                cli_error("plot: unexpected argument '%s' (one STEM)", a);
                return CLI_EXIT_USAGE;
            }
            stem = a;
            continue;
        }
        static const char *const with_value[] = {
            "--src", "--subjects-dir", "--subject", "--surf", "-o", "--output", "--hemi",
            "--views", "--clim", "--size", "--background", "--time-label", "--time-index",
            "--smoothing-steps"};
        int known = 0;
        for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++)
            known |= !strcmp(a, with_value[k]);
        if (!known) {
            cli_error("plot: unknown option '%s' (try '" CLI_NAME " plot --help')", a);
            return CLI_EXIT_USAGE;
        }
        if (i + 1 >= argc) {
            cli_error("plot: option %s needs a value", a);
            return CLI_EXIT_USAGE;
        }
        const char *v = argv[++i];
        long l;
        if (!strcmp(a, "--src")) src_path = v;
        else if (!strcmp(a, "--subjects-dir")) subjects_dir = v;
        else if (!strcmp(a, "--subject")) subject = v;
        else if (!strcmp(a, "--surf")) surf = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) output = v;
        else if (!strcmp(a, "--time-label")) time_label = v, have_label = 1;
        else if (!strcmp(a, "--hemi")) {
            if (!strcmp(v, "lh")) ro.hemi = CPERM_HEMI_LH;
            else if (!strcmp(v, "rh")) ro.hemi = CPERM_HEMI_RH;
            else if (!strcmp(v, "both")) ro.hemi = CPERM_HEMI_BOTH;
            else if (!strcmp(v, "split")) ro.hemi = CPERM_HEMI_SPLIT;
            else {
                cli_error("plot: --hemi '%s' must be lh, rh, both or split", v);
                return CLI_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--views")) {
            ro.n_views = 0;
            const char *p = v;
            for (;;) {
                const char *comma = strchr(p, ',');
                size_t n = comma ? (size_t)(comma - p) : strlen(p);
                if (ro.n_views == CPERM_RENDER_MAX_VIEWS || parse_view(p, n, &ro.views[ro.n_views])) {
                    cli_error("plot: --views '%s': give up to %d of lat, med, ven, dor, ros, cau",
                              v, CPERM_RENDER_MAX_VIEWS);
                    return CLI_EXIT_USAGE;
                }
                ro.n_views++;
                if (!comma) break;
                p = comma + 1;
            }
        } else if (!strcmp(a, "--clim")) {
            const char *colon = strchr(v, ':');
            char buf[256];
            int ok = colon && strlen(colon + 1) < sizeof buf;
            if (ok) {
                clim_auto = 0;
                ro.diverging = !strncmp(v, "pos-", 4);
                const char *kind = v + (ro.diverging ? 4 : 0);
                if (!strncmp(kind, "value:", 6)) clim_percent = 0;
                else if (!strncmp(kind, "percent:", 8)) clim_percent = 1;
                else ok = 0;
            }
            if (ok) {
                strcpy(buf, colon + 1);
                char *s1 = strchr(buf, ','), *s2 = s1 ? strchr(s1 + 1, ',') : NULL;
                ok = s1 && s2 && !strchr(s2 + 1, ',');
                if (ok) {
                    *s1 = *s2 = '\0';
                    ok = !cli_parse_double(buf, &lims[0]) && !cli_parse_double(s1 + 1, &lims[1]) &&
                         !cli_parse_double(s2 + 1, &lims[2]);
                }
            }
            if (!ok || !(lims[0] <= lims[1] && lims[1] <= lims[2]) ||
                (clim_percent && (lims[0] < 0 || lims[2] > 100)) || (ro.diverging && lims[0] < 0)) {
                cli_error("plot: --clim '%s' must be [pos-]value:MIN,MID,MAX or "
                          "[pos-]percent:MIN,MID,MAX with MIN <= MID <= MAX (percentages "
                          "within 0..100, pos_lims not negative)", v);
                return CLI_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--size")) {
            char *x = strchr(v, 'x'), buf[64];
            long w, h;
            int ok = x && (size_t)(x - v) < sizeof buf;
            if (ok) {
                memcpy(buf, v, (size_t)(x - v));
                buf[x - v] = '\0';
                ok = !cli_parse_long(buf, 16, 16384, &w) && !cli_parse_long(x + 1, 16, 16384, &h);
            }
            if (!ok) {
                cli_error("plot: --size '%s' must be WxH, each 16..16384", v);
                return CLI_EXIT_USAGE;
            }
            ro.width = (int)w;
            ro.height = (int)h;
            have_size = 1;
        } else if (!strcmp(a, "--background")) {
            if (parse_colour(v, ro.background)) {
                cli_error("plot: --background '%s' must be white, black or #RRGGBB", v);
                return CLI_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--time-index")) {
            if (cli_parse_long(v, 0, 1L << 30, &l)) {
                cli_error("plot: --time-index '%s' must be a non-negative integer", v);
                return CLI_EXIT_USAGE;
            }
            ro.time_index = (size_t)l;
        } else if (!strcmp(a, "--smoothing-steps")) {
            if (!strcmp(v, "nearest")) ro.smoothing_steps = -1;
            else if (!cli_parse_long(v, 0, 1000, &l)) ro.smoothing_steps = (int)l;
            else {
                cli_error("plot: --smoothing-steps '%s' must be 0..1000 or nearest", v);
                return CLI_EXIT_USAGE;
            }
        }
    }
    if (!stem || !output || (!src_path && !subjects_dir)) {
        cli_error("plot: %s is required (try '" CLI_NAME " plot --help')",
                  !stem ? "STEM" : !output ? "-o OUT" : "--src or --subjects-dir");
        return CLI_EXIT_USAGE;
    }
    if (src_path && subjects_dir) {
        cli_error("plot: give --src or --subjects-dir, not both");
        return CLI_EXIT_USAGE;
    }
    if (!strncmp(output, "-", 1) || !strrchr(output, '.') ||
        (strcasecmp(strrchr(output, '.'), ".png") && strcasecmp(strrchr(output, '.'), ".svg") &&
         strcasecmp(strrchr(output, '.'), ".pdf"))) {
        cli_error("plot: -o %s: the file must end in .png, .svg or .pdf", output);
        return CLI_EXIT_USAGE;
    }

    cperm_err err = {0};
    cperm_stc *stc = NULL;
    cperm_srcspace *src = NULL;
    cperm_surf *surfs[2] = {NULL, NULL};
    float *curv[2] = {NULL, NULL};
    double *sorted = NULL;
    char *label = NULL;
    int ret = CLI_EXIT_ERROR;
    cperm_render_hemi geom[2];
    memset(geom, 0, sizeof geom);
    const cperm_src_hemi *vol = NULL; /* a volume estimate's grid */
    double *column = NULL;

    /* a volume file by name (read_source_estimate's -vl.stc / -vol.stc), else a surface */
    const int vol_file = ends_with(stem, "-vl.stc") || ends_with(stem, "-vol.stc");
    if (vol_file ? cperm_stc_read_any(&stc, stem, NULL, &err) : cperm_stc_read(&stc, stem, &err)) {
        cli_error("%s", err.msg);
        goto cleanup;
    }
    if (vol_file) {
        if (!src_path) {
            cli_error("plot: %s is a volume estimate: give --src, its volume source space", stem);
            goto cleanup;
        }
        if (cperm_src_read(&src, src_path, &err)) {
            cli_error("%s", err.msg);
            goto cleanup;
        }
        if (!(vol = only_volume(src))) {
            cli_error("plot: %s is a volume estimate, but --src %s holds %s volume", stem,
                      src_path, src->n_hemis && src->hemis[0].type == CPERM_SRC_SURFACE &&
                      src->n_hemis == 2 ? "no" : "not exactly one");
            goto cleanup;
        }
        if (ro.time_index >= stc->n_times) {
            cli_error("plot: --time-index %zu: %s has %zu time points", ro.time_index, stem,
                      stc->n_times);
            goto cleanup;
        }
        if (!have_size) ro.width = 1000, ro.height = 440;
    } else if (stc->n_hemis != 2 || stc->n_orient != 1) {
        cli_error("plot: %s: need a scalar lh/rh surface estimate", stem);
        goto cleanup;
    }
    if (ro.time_index >= stc->n_times) {
        cli_error("plot: --time-index %zu: %s has %zu time points", ro.time_index, stem,
                  stc->n_times);
        goto cleanup;
    }
    if (vol) {
        /* the grid: nothing else to read */
    } else if (src_path) {
        if (cperm_src_read(&src, src_path, &err) || cperm_render_hemis_from_src(geom, src, &err)) {
            cli_error("%s%s%s", err.msg, src ? " in " : "", src ? src_path : "");
            goto cleanup;
        }
    } else {
        if (!subject) subject = stc->subject[0] ? stc->subject : NULL;
        if (!subject) {
            cli_error("plot: %s names no subject; give --subject", stem);
            goto cleanup;
        }
        static const char *const hn[2] = {"lh", "rh"};
        for (int h = 0; h < 2; h++) {
            char *dir = join3(subjects_dir, "/", subject), *p1 = NULL, *p2 = NULL;
            char name[300];
            snprintf(name, sizeof name, "/surf/%s.%s", hn[h], surf);
            p1 = dir ? join3(dir, name, "") : NULL;
            snprintf(name, sizeof name, "/surf/%s.curv", hn[h]);
            p2 = dir ? join3(dir, name, "") : NULL;
            size_t nc = 0;
            int bad = !p1 || !p2 || cperm_surf_read(&surfs[h], p1, &err) ||
                      cperm_curv_read(&curv[h], &nc, p2, &err);
            if (!bad && nc != surfs[h]->n_vertices) {
                cli_error("plot: %s has %zu values but %s has %zu vertices", p2, nc, p1,
                          surfs[h]->n_vertices);
                bad = 2;
            }
            if (bad == 1) cli_error("%s", p1 && p2 ? err.msg : "out of memory");
            free(dir);
            free(p1);
            free(p2);
            if (bad) goto cleanup;
            geom[h].n_vertices = surfs[h]->n_vertices;
            geom[h].rr = surfs[h]->rr;
            geom[h].n_tris = surfs[h]->n_tris;
            geom[h].tris = surfs[h]->tris;
            geom[h].curv = curv[h];
        }
        ro.offset_hemis = !strcmp(surf, "inflated") || !strcmp(surf, "flat");
    }

    const size_t n_data = (stc->n_vertices[0] + (vol ? 0 : stc->n_vertices[1])) * stc->n_times;
    if (clim_auto) {
        /* _process_clim(clim='auto', colormap='auto'): 'mne' with pos_lims when any value is
         * negative, else 'hot' with lims; both at percentiles 96, 97.5, 99.95 */
        for (size_t i = 0; i < n_data && !ro.diverging; i++) ro.diverging = stc->data[i] < 0;
    }
    if (clim_percent) {
        /* percentiles of all of the estimate's data (of |data| for pos_lims) */
        const size_t n = n_data;
        sorted = malloc((n ? n : 1) * sizeof *sorted);
        if (!sorted) {
            cli_error("out of memory");
            goto cleanup;
        }
        for (size_t i = 0; i < n; i++) sorted[i] = ro.diverging ? fabs(stc->data[i]) : stc->data[i];
        qsort(sorted, n, sizeof *sorted, cmp_double);
        for (int k = 0; k < 3; k++) lims[k] = percentile(sorted, n, lims[k]);
    }
    ro.fmin = lims[0];
    ro.fmid = lims[1];
    ro.fmax = lims[2];
    if (have_label) {
        ro.time_label = time_label;
    } else if (stc->n_times > 1) {
        label = malloc(64);
        if (label) {
            snprintf(label, 64, "time=%0.3fs", stc->tmin + stc->tstep * (double)ro.time_index);
            ro.time_label = label;
        }
    }
    if (vol) {
        const size_t n = stc->n_vertices[0];
        if (!(column = malloc((n ? n : 1) * sizeof *column))) {
            cli_error("out of memory");
            goto cleanup;
        }
        for (size_t i = 0; i < n; i++) column[i] = stc->data[i * stc->n_times + ro.time_index];
        if (cperm_render_volume_file(output, vol, stc->vertices[0], column, n, &ro, &err)) {
            cli_error("%s", err.msg);
            goto cleanup;
        }
    } else if (cperm_render_stc_file(output, stc, geom, &ro, &err)) {
        cli_error("%s", err.msg);
        goto cleanup;
    }
    ret = CLI_EXIT_OK;

cleanup:
    cperm_stc_free(stc);
    cperm_src_free(src);
    for (int h = 0; h < 2; h++) {
        cperm_surf_free(surfs[h]);
        free(curv[h]);
    }
    free(sorted);
    free(label);
    free(column);
    cperm_render_cleanup();
    return ret;
}
