/* tool_render.c - driver for tests/xcheck_plot.py: exposes the figure code's MNE-derived
 * pieces (lookup table, value spreading, view cameras through rendering) to the MNE oracle.
 *   tool_render lut FMIN FMID FMAX TRANSPARENT   -> 256 lines "r g b a" ('hot', lims)
 *   tool_render dlut FMIN FMID FMAX TRANSPARENT  -> the same for pos_lims ('mne', centre 0)
 *   tool_render spread SURF STEPS FROM_TXT OUT   -> spreads values (FROM_TXT: lines
 *       "vertex value") over the FreeSurfer surface SURF; OUT gets %.17g per vertex
 *   tool_render index V LO HI                    -> the colormap index (-1 for NaN) */
#include "clusterperm.h"
#include "render_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc >= 6 && (!strcmp(argv[1], "lut") || !strcmp(argv[1], "dlut"))) {
        unsigned char lut[256][4];
        if (argv[1][0] == 'd')
            cperm_cmap_mne_diverging(lut, atof(argv[2]), atof(argv[3]), atof(argv[4]), atoi(argv[5]));
        else
            cperm_cmap_mne_hot(lut, atof(argv[2]), atof(argv[3]), atof(argv[4]), atoi(argv[5]));
        for (int i = 0; i < 256; i++) printf("%d %d %d %d\n", lut[i][0], lut[i][1], lut[i][2], lut[i][3]);
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "index")) {
        printf("%d\n", cperm_cmap_index(strtod(argv[2], NULL), strtod(argv[3], NULL),
                                        strtod(argv[4], NULL)));
        return 0;
    }
    if (argc == 6 && !strcmp(argv[1], "spread")) {
        cperm_err err = {0};
        cperm_surf *s = NULL;
        if (cperm_surf_read(&s, argv[2], &err)) {
            fprintf(stderr, "error: %s\n", err.msg);
            return 3;
        }
        FILE *f = fopen(argv[4], "r");
        size_t cap = 1024, n = 0;
        uint32_t *from = malloc(cap * sizeof *from);
        double *val = malloc(cap * sizeof *val), *out = malloc((s->n_vertices + 1) * sizeof *out);
        unsigned v;
        double x;
        while (f && from && val && fscanf(f, "%u %lf", &v, &x) == 2) {
            if (n == cap) {
                cap *= 2;
                from = realloc(from, cap * sizeof *from);
                val = realloc(val, cap * sizeof *val);
                if (!from || !val) return 1;
            }
            from[n] = v, val[n] = x, n++;
        }
        if (f) fclose(f);
        if (!out || cperm_surf_spread(out, s->n_vertices, s->tris, s->n_tris, from, val, n,
                                      atoi(argv[3]), &err)) {
            fprintf(stderr, "error: %s\n", err.msg);
            return 3;
        }
        FILE *o = fopen(argv[5], "w");
        if (!o) return 1;
        for (size_t i = 0; i < s->n_vertices; i++) fprintf(o, "%.17g\n", out[i]);
        fclose(o);
        free(from);
        free(val);
        free(out);
        cperm_surf_free(s);
        return 0;
    }
    fprintf(stderr, "usage: tool_render lut|index|spread ...\n");
    return 2;
}
