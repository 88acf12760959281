/* subjects.c - which subject each input stem belongs to: --a/--b globs and list files
 * expanded into stems keyed by subject, and the pairing of A with B by those keys.
 *
 * A subject is what the glob's wildcards matched, widened to whole words ("study/sub*" on
 * "study/sub003" is "sub003"), not a position in a sorted list: pairing by position silently tests sub003-faces minus
 * sub004-scrambled as soon as one file is missing on one side. */
#include "subjects.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* ------------------------------------------------------------- wildcard parts */

/* Length of the bracket expression starting at p[0] == '[' (up to and including ']'), or 0
 * if it is not closed, in which case glob() takes '[' literally. */
static size_t bracket_len(const char *p) {
    size_t i = 1;
    if (p[i] == '!' || p[i] == '^') i++;
    if (p[i] == ']') i++;
    while (p[i] && p[i] != ']') i++;
    return p[i] == ']' ? i + 1 : 0;
}

static int bracket_matches(const char *p, size_t len, char c) {
    size_t i = 1;
    int negate = 0, hit = 0;
    if (p[i] == '!' || p[i] == '^') negate = 1, i++;
    size_t first = i;
    for (; i < len - 1; i++) {
        if (i + 2 < len - 1 && p[i + 1] == '-' && (i > first || p[i] != ']')) {
            if ((unsigned char)c >= (unsigned char)p[i] &&
                (unsigned char)c <= (unsigned char)p[i + 2])
                hit = 1;
            i += 2;
        } else if (p[i] == c) {
            hit = 1;
        }
    }
    return c != '/' && hit != negate;
}

/* Matches `path` against glob `pat` (glob(3) syntax, no brace expansion), recording where
 * each wildcard token matched: starts[k], lens[k] for the k-th of *, ? and [..]. Returns 1 on
 * a match. Backtracking on '*' only; stems are short, so this is cheap. */
static int match_parts(const char *pat, const char *path, const char *path0, size_t k,
                       size_t *starts, size_t *lens, size_t max_parts) {
    for (;;) {
        if (!*pat) return !*path;
        if (*pat == '*') {
            if (k >= max_parts) return 0;
            for (size_t n = 0;; n++) {
                starts[k] = (size_t)(path - path0);
                lens[k] = n;
                if (match_parts(pat + 1, path + n, path0, k + 1, starts, lens, max_parts))
                    return 1;
                if (!path[n] || path[n] == '/') return 0;
            }
        }
        if (*pat == '?' || (*pat == '[' && bracket_len(pat))) {
            if (k >= max_parts || !*path || *path == '/') return 0;
            if (*pat == '[') {
                size_t bl = bracket_len(pat);
                if (!bracket_matches(pat, bl, *path)) return 0;
                pat += bl;
            } else {
                pat++;
            }
            starts[k] = (size_t)(path - path0);
            lens[k] = 1;
            k++;
            path++;
            continue;
        }
        if (*pat == '\\' && pat[1]) pat++;
        if (*pat != *path) return 0;
        pat++, path++;
    }
}

static int is_word_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The subject key of `stem` under glob `pattern`: the text the wildcards matched, each match
 * widened to the letters and digits around it, the resulting words joined by '/'. Widening
 * makes the key independent of how the pattern is spelt: "sub*" and "sub00[1-4]" both give
 * "sub003", while "*-faces" on "sub03-faces" gives "sub03". NULL when out of memory. */
static char *subject_key(const char *pattern, const char *stem) {
    enum { MAX_PARTS = 64 };
    size_t starts[MAX_PARTS], lens[MAX_PARTS], n_parts = 0;
    for (const char *p = pattern; *p; p++) {
        if (*p == '\\' && p[1]) p++;
        else if (*p == '*' || *p == '?' || (*p == '[' && bracket_len(p))) n_parts++;
    }
    const size_t n = strlen(stem);
    if (n_parts == 0 || n_parts > MAX_PARTS ||
        !match_parts(pattern, stem, stem, 0, starts, lens, n_parts))
        return strdup(stem); /* no wildcard, or a pattern beyond this matcher: the whole stem */
    char *in_key = calloc(n + 1, 1), *key = malloc(2 * n + 2), *w = key;
    if (!in_key || !key) {
        free(in_key);
        free(key);
        return NULL;
    }
    for (size_t k = 0; k < n_parts; k++) {
        size_t a = starts[k], b = starts[k] + lens[k];
        while (a > 0 && is_word_char(stem[a - 1])) a--;
        while (b < n && is_word_char(stem[b])) b++;
        memset(in_key + a, 1, b - a);
    }
    for (size_t i = 0; i < n; i++) {
        if (!in_key[i]) continue;
        if (w != key && !in_key[i - 1]) *w++ = '/';
        *w++ = stem[i];
    }
    *w = '\0';
    free(in_key);
    return key;
}

/* ------------------------------------------------------------- expansion */

static int push_pair(cli_subjects *out, const char *stem, char *key) {
    if (!key || cli_strlist_push(&out->stems, stem) || cli_strlist_push(&out->keys, key)) {
        free(key);
        cli_error("out of memory");
        return -1;
    }
    free(key);
    return 0;
}

static int read_list_file(const char *opt, const char *path, cli_subjects *out) {
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error("%s: cannot open list file %s: %s", opt, path, strerror(errno));
        return -1;
    }
    char line[4096];
    int rc = 0;
    size_t line_no = 0;
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        line_no++;
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            cli_error("%s: %s: line %zu is too long", opt, path, line_no);
            rc = -1;
            break;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                         line[n - 1] == '\t'))
            line[--n] = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (!*s || *s == '#') continue;
        /* Pairing by list position: the k-th stem of --a's list with the k-th of --b's. */
        char key[32];
        snprintf(key, sizeof key, "%zu", out->stems.n + 1);
        if (push_pair(out, s, strdup(key))) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) { /* e.g. a directory, not "names no stems" */
        cli_error("%s: cannot read list file %s: %s", opt, path, strerror(errno));
        rc = -1;
    }
    fclose(f);
    if (rc == 0 && out->stems.n == 0) {
        cli_error("%s: list file %s names no stems", opt, path);
        rc = -1;
    }
    return rc;
}

typedef struct keyed {
    char *key, *stem;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->stem, y->stem);
}

/* Surface pairs, HDF5 files of any kind, and volume estimates' one file. */
static const char *const stem_suffixes[] = {"-lh.stc", "-rh.stc", "-stc.h5", "-vl.stc",
                                            "-vol.stc"};
#define N_STEM_SUFFIXES (sizeof stem_suffixes / sizeof stem_suffixes[0])

/* Expands a glob over STEM + suffixes[k]; the stems keep the suffix when keep_suffix is set
 * (array files are named whole), else lose it (an estimate's stem names its lh/rh pair). */
static int expand_glob_suffixes(const char *opt, const char *spec, cli_subjects *out,
                                const char *const *sfx, size_t n_suffixes,
                                int keep_suffix) {
    size_t len = strlen(spec);
    for (size_t i = 0; i < n_suffixes; i++)
        if (ends_with(spec, sfx[i])) len -= strlen(sfx[i]);
    char *pattern = malloc(len + 16);
    keyed *items = NULL;
    glob_t g;
    memset(&g, 0, sizeof g);
    int rc = -1, flags = 0;
    if (!pattern) {
        cli_error("out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < n_suffixes; i++) {
        memcpy(pattern, spec, len);
        strcpy(pattern + len, sfx[i]);
        int grc = glob(pattern, flags, NULL, &g);
        if (grc == GLOB_NOSPACE) {
            cli_error("out of memory");
            goto cleanup;
        }
        if (grc == 0) flags |= GLOB_APPEND;
    }
    memcpy(pattern, spec, len);
    pattern[len] = '\0';
    if (g.gl_pathc == 0) {
        if (keep_suffix)
            cli_error("%s: no files match '%s%s'", opt, pattern, sfx[0]);
        else
            cli_error("%s: no source estimates match '%s' (looked for %s-lh.stc, %s-rh.stc, "
                      "%s-stc.h5, %s-vl.stc and %s-vol.stc)", opt, spec, pattern, pattern,
                      pattern, pattern, pattern);
        goto cleanup;
    }
    items = calloc(g.gl_pathc, sizeof *items);
    if (!items) {
        cli_error("out of memory");
        goto cleanup;
    }
    size_t n = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *p = g.gl_pathv[i];
        for (size_t k = 0; k < n_suffixes; k++) {
            if (!ends_with(p, sfx[k])) continue;
            items[n].stem = strdup(p);
            if (!items[n].stem) {
                cli_error("out of memory");
                goto cleanup;
            }
            items[n].stem[strlen(p) - strlen(sfx[k])] = '\0';
            items[n].key = subject_key(pattern, items[n].stem);
            if (keep_suffix) strcpy(items[n].stem, p);
            n++;
            if (!items[n - 1].key) {
                cli_error("out of memory");
                goto cleanup;
            }
            break;
        }
    }
    qsort(items, n, sizeof *items, cmp_keyed);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && !strcmp(items[i].stem, items[i - 1].stem)) continue; /* lh, rh, h5, vl */
        if (i > 0 && !strcmp(items[i].key, items[i - 1].key)) {
            cli_error("%s: '%s' and '%s' are both subject '%s' of '%s'", opt, items[i - 1].stem,
                      items[i].stem, items[i].key, spec);
            goto cleanup;
        }
        if (cli_strlist_push(&out->stems, items[i].stem) ||
            cli_strlist_push(&out->keys, items[i].key)) {
            cli_error("out of memory");
            goto cleanup;
        }
    }
    rc = 0;

cleanup:
    for (size_t i = 0; items && i < g.gl_pathc; i++) {
        free(items[i].key);
        free(items[i].stem);
    }
    free(items);
    globfree(&g);
    free(pattern);
    return rc;
}

static int expand_glob(const char *opt, const char *spec, cli_subjects *out) {
    return expand_glob_suffixes(opt, spec, out, stem_suffixes, N_STEM_SUFFIXES, 0);
}

int cli_subjects_expand_files(cli_subjects *out, const char *opt, const char *spec,
                              const char *suffix) {
    memset(out, 0, sizeof *out);
    out->from_list = spec[0] == '@';
    const char *const suffixes[1] = {suffix};
    int rc = out->from_list ? read_list_file(opt, spec + 1, out)
                            : expand_glob_suffixes(opt, spec, out, suffixes, 1, 1);
    if (rc) cli_subjects_free(out);
    return rc;
}

int cli_subjects_expand(cli_subjects *out, const char *opt, const char *spec) {
    memset(out, 0, sizeof *out);
    out->from_list = spec[0] == '@';
    int rc = out->from_list ? read_list_file(opt, spec + 1, out) : expand_glob(opt, spec, out);
    if (rc) cli_subjects_free(out);
    return rc;
}

/* ------------------------------------------------------------- pairing */

static void describe_missing(char *buf, size_t cap, const cli_subjects *have, const char *have_opt,
                             const cli_subjects *other, const char *other_opt) {
    size_t used = strlen(buf), shown = 0, missing = 0;
    for (size_t i = 0; i < have->keys.n; i++) {
        int found = 0; /* a linear search: list keys ("1", "2", ... "10") are not strcmp-sorted */
        for (size_t j = 0; j < other->keys.n && !found; j++)
            found = !strcmp(other->keys.items[j], have->keys.items[i]);
        if (found) continue;
        missing++;
        if (shown < 4 && used < cap) {
            int w = snprintf(buf + used, cap - used, "%ssubject '%s' has %s %s but no %s",
                             used ? "; " : "", have->keys.items[i], have_opt, have->stems.items[i],
                             other_opt);
            if (w > 0) used += (size_t)w;
            shown++;
        }
    }
    if (missing > shown && used < cap)
        snprintf(buf + used, cap - used, "; and %zu more subject%s without %s", missing - shown,
                 missing - shown == 1 ? "" : "s", other_opt);
}

int cli_subjects_pair_named(const cli_subjects *a, const char *a_opt, const char *a_spec,
                            const cli_subjects *b, const char *b_opt, const char *b_spec,
                            const char *test) {
    if (a->from_list != b->from_list) {
        cli_error("%s %s and %s %s: give both as globs or both as @list files, so that their "
                  "subjects can be paired", a_opt, a_spec, b_opt, b_spec);
        return -1;
    }
    int same = a->keys.n == b->keys.n;
    for (size_t i = 0; same && i < a->keys.n; i++)
        same = !strcmp(a->keys.items[i], b->keys.items[i]);
    if (same) return 0;
    char msg[2048] = "";
    describe_missing(msg, sizeof msg, a, a_opt, b, b_opt);
    describe_missing(msg, sizeof msg, b, b_opt, a, a_opt);
    cli_error("%s matches %zu subject%s and %s %zu; %s: %s", a_opt, a->keys.n,
              a->keys.n == 1 ? "" : "s", b_opt, b->keys.n, test, msg);
    return -1;
}

int cli_subjects_pair(const cli_subjects *a, const cli_subjects *b, const char *a_spec,
                      const char *b_spec) {
    return cli_subjects_pair_named(a, "--a", a_spec, b, "--b", b_spec,
                                   "a paired test needs both for every subject");
}

void cli_subjects_free(cli_subjects *s) {
    cli_strlist_free(&s->stems);
    cli_strlist_free(&s->keys);
    s->from_list = 0;
}
