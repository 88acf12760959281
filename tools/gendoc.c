/* gendoc.c - writes clusterperm(1) and the bash completion script from the program's own
 * --help output, so that the man page, the completion and --help never disagree.
 *
 * usage: gendoc man|bash BINARY [NAME_LINE] > OUTPUT
 *
 * It runs `BINARY --help` (the top-level help: usage lines, description, a "commands:" list,
 * an "options:" list, notes), `BINARY --version`, and `BINARY CMD --help` for every command
 * of that list. A command whose --help output does not start with "usage: PROG CMD" (version,
 * help) is described by its line of the commands list only. Each help text is parsed into
 * blocks by its layout alone (the layout every usage() of cli/ follows):
 *   - "usage: ..." at column 0, with indented lines starting with the program name as further
 *     usage lines (otherwise continuations of the previous one);
 *   - entries: an indented line, "TAG  description" (two or more spaces apart), with the
 *     lines indented deeper as the description's continuation. An entry whose tag starts
 *     with '-' is an option: "-j, --jobs N", "--tmin S, --tmax S", "--tail -1|0|1";
 *   - headings: a column-0 line ending in ':' followed by an indented line;
 *   - paragraphs: other column-0 lines (indented lines directly after one that does not end
 *     in ':' continue it).
 * The man page renders entries as .TP items; the completion script completes the commands,
 * each command's options (from its entries, its usage line and its text), option values
 * given as a|b|c alternatives, and file or directory names where the option's metavariable
 * names one (FILE, STEM, OUT, LIST: files; DIR: directories). Exit status 1 with a message
 * on stderr if the binary fails or its help has no commands. No dependency beyond libc. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define MAX_PARTS 8

static void die(const char *fmt, ...) {
    va_list ap;
    fputs("gendoc: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) die("out of memory");
    return p;
}

static char *xstrndup(const char *s, size_t n) {
    char *d = xrealloc(NULL, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static char *xstrdup(const char *s) {
    return xstrndup(s, strlen(s));
}

/* Appends " s" (or s if *dst is empty) to the heap string *dst. */
static void join(char **dst, const char *s) {
    size_t a = *dst ? strlen(*dst) : 0, b = strlen(s);
    *dst = xrealloc(*dst, a + b + 2);
    if (a && b) (*dst)[a++] = ' ';
    memcpy(*dst + a, s, b + 1);
}

/* ------------------------------------------------------------------ running the binary */

static const char *g_bin;

/* Runs `BINARY ARGS` and returns its stdout (tabs expanded); *status gets the exit status,
 * or -1 if it did not exit normally. */
static char *run_binary(const char *args, int *status) {
    char *cmd, *out = NULL;
    size_t len = 0, cap = 0;
    FILE *p;
    int c, st, col = 0;

    if (strchr(g_bin, '\'')) die("binary path with a quote: %s", g_bin);
    cmd = xrealloc(NULL, strlen(g_bin) + strlen(args) + 16);
    sprintf(cmd, "'%s' %s 2>/dev/null", g_bin, args);
    p = popen(cmd, "r");
    if (!p) die("cannot run %s", cmd);
    while ((c = getc(p)) != EOF) {
        int n = 1;
        if (c == '\t') n = 8 - col % 8;
        if (len + (size_t)n + 1 > cap) out = xrealloc(out, cap = 2 * cap + 256);
        for (int k = 0; k < n; k++) out[len++] = (char)(c == '\t' ? ' ' : c);
        col = c == '\n' ? 0 : col + n;
    }
    out = xrealloc(out, len + 1);
    out[len] = '\0';
    st = pclose(p);
    *status = (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
    free(cmd);
    return out;
}

/* ------------------------------------------------------------------ parsing help text */

typedef struct optpart {
    char *name;    /* "--jobs", "-j" */
    char *metavar; /* as written, or NULL */
    char *value;   /* what the option takes: its metavar or the next part's ("-j, --jobs N") */
} optpart;

typedef enum { B_USAGE, B_PARA, B_HEAD, B_ENTRY } bkind;

typedef struct block {
    bkind kind;
    char *text;    /* usage line (after "usage: "), paragraph, heading, or entry tag */
    char *desc;    /* entries: the description, joined ("" if none) */
    int is_option; /* entries whose tag starts with '-' */
    optpart parts[MAX_PARTS];
    size_t n_parts;
} block;

typedef struct doc {
    block *b;
    size_t n, cap;
} doc;

static block *doc_add(doc *d, bkind kind) {
    if (d->n == d->cap) d->b = xrealloc(d->b, (d->cap = 2 * d->cap + 16) * sizeof *d->b);
    memset(&d->b[d->n], 0, sizeof d->b[0]);
    d->b[d->n].kind = kind;
    return &d->b[d->n++];
}

typedef struct lines {
    char **v;
    size_t n;
} lines;

static lines split_lines(const char *text) {
    lines l = { NULL, 0 };
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n > 0 && isspace((unsigned char)p[n - 1])) n--;
        l.v = xrealloc(l.v, (l.n + 1) * sizeof *l.v);
        l.v[l.n++] = xstrndup(p, n);
        p = e ? e + 1 : p + strlen(p);
    }
    return l;
}

static size_t indent_of(const char *s) {
    size_t i = 0;
    while (s[i] == ' ') i++;
    return i;
}

static int blank(const char *s) {
    return s[indent_of(s)] == '\0';
}

static int ends_with_colon(const char *s) {
    size_t n = strlen(s);
    return n > 0 && s[n - 1] == ':';
}

/* "-j", "-x" (a short option) or "--name": not a negative number such as "-1|0|1". */
static int is_option_token(const char *s, size_t n) {
    if (n >= 3 && s[0] == '-' && s[1] == '-' && isalpha((unsigned char)s[2])) return 1;
    return n == 2 && s[0] == '-' && isalpha((unsigned char)s[1]);
}

/* Parses an option entry "NAME[ METAVAR][, NAME[ METAVAR]]...  description" into b. */
static void parse_option_tag(block *b, const char *p) {
    for (;;) {
        const char *s = p;
        size_t n;
        optpart *part;
        while (*p && *p != ' ' && *p != ',') p++;
        if (b->n_parts == MAX_PARTS) die("too many names in one option entry: %s", s);
        part = &b->parts[b->n_parts++];
        part->name = xstrndup(s, (size_t)(p - s));
        if (p[0] == ',' && p[1] == ' ' && p[2] == '-') { /* "-j, --jobs" */
            p += 2;
            continue;
        }
        if (p[0] == ' ' && p[1] && p[1] != ' ') { /* a metavariable, one space away */
            const char *m = p + 1, *e = m;
            while (*e && *e != ' ') e++;
            n = (size_t)(e - m);
            if (!is_option_token(m, n)) {
                int more = n > 1 && m[n - 1] == ',' && e[0] == ' ' && e[1] == '-';
                part->metavar = xstrndup(m, more ? n - 1 : n);
                p = e;
                if (more) { /* "--tmin S, --tmax S" */
                    p += 1;
                    continue;
                }
            }
        }
        break;
    }
    while (*p == ' ') p++;
    b->desc = xstrdup(p);
    /* A name without a metavariable of its own takes the next one's ("-j, --jobs N"). */
    for (size_t i = b->n_parts; i-- > 0;) {
        optpart *part = &b->parts[i];
        part->value = part->metavar ? part->metavar
                    : (i + 1 < b->n_parts ? b->parts[i + 1].value : NULL);
    }
}

/* Splits an entry line (without its indentation) into tag and description at the first run
 * of two or more spaces. */
static void parse_plain_tag(block *b, const char *p) {
    const char *gap = strstr(p, "  ");
    if (!gap) {
        b->text = xstrdup(p);
        b->desc = xstrdup("");
        return;
    }
    b->text = xstrndup(p, (size_t)(gap - p));
    while (*gap == ' ') gap++;
    b->desc = xstrdup(gap);
}

static doc parse_help(const char *text, const char *prog) {
    doc d = { NULL, 0, 0 };
    lines l = split_lines(text);
    size_t i = 0, plen = strlen(prog);

    while (i < l.n) {
        const char *line = l.v[i];
        size_t ind = indent_of(line);
        block *b;
        if (blank(line)) {
            i++;
        } else if (ind == 0 && !strncmp(line, "usage:", 6)) {
            b = doc_add(&d, B_USAGE);
            b->text = xstrdup(line + 6 + indent_of(line + 6));
            for (i++; i < l.n && !blank(l.v[i]) && indent_of(l.v[i]) > 0; i++) {
                const char *u = l.v[i] + indent_of(l.v[i]);
                if (!strncmp(u, prog, plen) && (u[plen] == ' ' || !u[plen])) {
                    b = doc_add(&d, B_USAGE);
                    b->text = xstrdup(u);
                } else {
                    join(&b->text, u);
                }
            }
        } else if (ind == 0) {
            int heading = ends_with_colon(line) && i + 1 < l.n && !blank(l.v[i + 1]) &&
                          indent_of(l.v[i + 1]) > 0;
            b = doc_add(&d, heading ? B_HEAD : B_PARA);
            b->text = xstrdup(line);
            for (i++; !heading && i < l.n && !blank(l.v[i]); i++) {
                const char *next = l.v[i];
                if (indent_of(next) == 0) {
                    if (!strncmp(next, "usage:", 6)) break;
                    if (ends_with_colon(next) && i + 1 < l.n && !blank(l.v[i + 1]) &&
                        indent_of(l.v[i + 1]) > 0)
                        break; /* a heading */
                } else if (ends_with_colon(b->text)) {
                    break; /* entries under the paragraph's last line */
                }
                join(&b->text, next + indent_of(next));
            }
        } else {
            b = doc_add(&d, B_ENTRY);
            if (line[ind] == '-') {
                b->is_option = 1;
                parse_option_tag(b, line + ind);
                b->text = xstrdup(line + ind);
            } else {
                parse_plain_tag(b, line + ind);
            }
            for (i++; i < l.n && !blank(l.v[i]) && indent_of(l.v[i]) > ind; i++)
                join(&b->desc, l.v[i] + indent_of(l.v[i]));
        }
    }
    for (i = 0; i < l.n; i++) free(l.v[i]);
    free(l.v);
    return d;
}

/* ------------------------------------------------------------------ the program's commands */

typedef struct command {
    char *name;
    char *summary;  /* its line of the commands list */
    char *help;     /* its --help output, or NULL (version, help) */
    doc doc;
} command;

typedef struct program {
    char *prog;     /* "clusterperm" */
    char *version;  /* "clusterperm 0.1.0" */
    doc top;
    command *cmds;
    size_t n_cmds;
} program;

static program load_program(void) {
    program pg;
    int st;
    char *top, *ver;
    size_t i;

    memset(&pg, 0, sizeof pg);
    top = run_binary("--help", &st);
    if (st != 0 || strncmp(top, "usage: ", 7)) die("%s --help failed (status %d)", g_bin, st);
    {
        const char *p = top + 7;
        pg.prog = xstrndup(p, strcspn(p, " \n"));
    }
    ver = run_binary("--version", &st);
    if (st != 0 || !*ver) die("%s --version failed (status %d)", g_bin, st);
    ver[strcspn(ver, "\n")] = '\0';
    pg.version = ver;
    pg.top = parse_help(top, pg.prog);

    /* The entries under the "commands:" heading. */
    for (i = 0; i < pg.top.n; i++) {
        if (pg.top.b[i].kind != B_HEAD || strcmp(pg.top.b[i].text, "commands:")) continue;
        for (i++; i < pg.top.n && pg.top.b[i].kind == B_ENTRY && !pg.top.b[i].is_option; i++) {
            command *c;
            pg.cmds = xrealloc(pg.cmds, (pg.n_cmds + 1) * sizeof *pg.cmds);
            c = &pg.cmds[pg.n_cmds++];
            memset(c, 0, sizeof *c);
            c->name = xstrndup(pg.top.b[i].text, strcspn(pg.top.b[i].text, " "));
            c->summary = pg.top.b[i].desc;
        }
        break;
    }
    if (pg.n_cmds == 0) die("%s --help lists no commands (no \"commands:\" section)", g_bin);

    for (i = 0; i < pg.n_cmds; i++) {
        command *c = &pg.cmds[i];
        char *args = xrealloc(NULL, strlen(c->name) + 16), *want;
        char *out;
        sprintf(args, "%s --help", c->name);
        out = run_binary(args, &st);
        want = xrealloc(NULL, strlen(pg.prog) + strlen(c->name) + 16);
        sprintf(want, "usage: %s %s", pg.prog, c->name);
        if (st == 0 && !strncmp(out, want, strlen(want)) &&
            (out[strlen(want)] == ' ' || out[strlen(want)] == '\n')) {
            c->help = out;
            c->doc = parse_help(out, pg.prog);
        } else {
            free(out);
        }
        free(args);
        free(want);
    }
    free(top);
    return pg;
}

/* ------------------------------------------------------------------ the man page */

/* Writes s with roff's special characters escaped; `bol` = s starts an output line. */
static void roff(FILE *f, const char *s, int bol) {
    if (bol && (*s == '.' || *s == '\'')) fputs("\\&", f);
    for (; *s; s++) {
        if (*s == '\\') fputs("\\e", f);
        else if (*s == '-') fputs("\\-", f);
        else fputc(*s, f);
    }
}

static void roff_font(FILE *f, const char *s, size_t n, char font) {
    char *t = xstrndup(s, n);
    fprintf(f, "\\f%c", font);
    roff(f, t, 0);
    fputs("\\fR", f);
    free(t);
}

/* A usage line: the program, its command and options bold, placeholders ("<command>",
 * "options", "FILE") italic, brackets, bars and parentheses roman. */
static void roff_synopsis(FILE *f, const char *u) {
    int word = 0;
    const char *p = u;
    while (*p) {
        const char *s = p, *e;
        if (*p == ' ' || strchr("[]()|,", *p)) {
            fputc(*p++, f);
            continue;
        }
        while (*p && *p != ' ' && !strchr("[]()|", *p)) p++;
        e = p;
        if (*s == '<' && e - s > 2 && e[-1] == '>') roff_font(f, s + 1, (size_t)(e - s - 2), 'I');
        else if (word < 2 || *s == '-') roff_font(f, s, (size_t)(e - s), 'B');
        else roff_font(f, s, (size_t)(e - s), 'I');
        word++;
    }
    fputc('\n', f);
}

static void man_blocks(FILE *f, const doc *d, int skip_usage) {
    for (size_t i = 0; i < d->n; i++) {
        const block *b = &d->b[i];
        switch (b->kind) {
        case B_USAGE:
            if (skip_usage) break;
            fputs(".PP\n", f);
            roff_synopsis(f, b->text);
            break;
        case B_HEAD:
            fputs(".PP\n", f);
            if (strlen(b->text) <= 40) {
                fputs("\\fB", f);
                roff(f, b->text, 0);
                fputs("\\fR\n", f);
            } else {
                roff(f, b->text, 1);
                fputc('\n', f);
            }
            break;
        case B_PARA:
            fputs(".PP\n", f);
            roff(f, b->text, 1);
            fputc('\n', f);
            break;
        case B_ENTRY:
            fputs(".TP\n", f);
            if (b->is_option) {
                for (size_t k = 0; k < b->n_parts; k++) {
                    const optpart *o = &b->parts[k];
                    if (k) fputs(", ", f);
                    roff_font(f, o->name, strlen(o->name), 'B');
                    if (o->metavar) {
                        fputc(' ', f);
                        roff_font(f, o->metavar, strlen(o->metavar), 'I');
                    }
                }
                fputc('\n', f);
            } else {
                fputs("\\fB", f);
                roff(f, b->text, 0);
                fputs("\\fR\n", f);
            }
            if (*b->desc) {
                roff(f, b->desc, 1);
                fputc('\n', f);
            }
            break;
        }
    }
}

static void write_man(FILE *f, const program *pg, const char *name_line) {
    const char *ver = pg->version;
    char *upper = xstrdup(pg->prog);
    for (char *q = upper; *q; q++) *q = (char)toupper((unsigned char)*q);

    fprintf(f, ".\\\" %s(1) - generated by tools/gendoc.c from the output of '%s --help' and\n"
               ".\\\" '%s COMMAND --help' for each command; do not edit.\n",
            pg->prog, pg->prog, pg->prog);
    fprintf(f, ".TH %s 1 \"\" \"", upper);
    roff(f, ver, 0);
    fputs("\" \"User Commands\"\n", f);
    fputs(".nh\n.ad l\n", f); /* no hyphenation: options and file names stay whole */
    fputs(".SH NAME\n", f);
    roff(f, pg->prog, 1);
    fputs(" \\- ", f);
    roff(f, name_line, 0);
    fputc('\n', f);

    fputs(".SH SYNOPSIS\n.nf\n", f);
    for (size_t i = 0; i < pg->top.n; i++)
        if (pg->top.b[i].kind == B_USAGE) roff_synopsis(f, pg->top.b[i].text);
    for (size_t c = 0; c < pg->n_cmds; c++)
        for (size_t i = 0; i < pg->cmds[c].doc.n; i++)
            if (pg->cmds[c].doc.b[i].kind == B_USAGE) roff_synopsis(f, pg->cmds[c].doc.b[i].text);
    fputs(".fi\n", f);

    fputs(".SH DESCRIPTION\n", f);
    man_blocks(f, &pg->top, 1);

    fputs(".SH COMMANDS\n", f);
    for (size_t c = 0; c < pg->n_cmds; c++) {
        const command *cmd = &pg->cmds[c];
        fputs(".SS \"", f);
        roff(f, pg->prog, 0);
        fputc(' ', f);
        roff(f, cmd->name, 0);
        fputs("\"\n", f);
        if (cmd->help) {
            man_blocks(f, &cmd->doc, 0);
        } else {
            roff(f, cmd->summary, 1);
            fputs(".\n", f);
        }
    }
    free(upper);
}

/* ------------------------------------------------------------------ the completion script */

typedef struct optinfo {
    char *name;
    const char *value; /* metavariable or alternatives, NULL = a flag */
} optinfo;

typedef struct optset {
    optinfo *v;
    size_t n;
    const char *positional; /* the usage line's first positional metavariable, or NULL */
} optset;

static void optset_add(optset *s, const char *name, size_t n, const char *value) {
    for (size_t i = 0; i < s->n; i++) {
        if (strlen(s->v[i].name) == n && !strncmp(s->v[i].name, name, n)) {
            if (!s->v[i].value) s->v[i].value = value;
            return;
        }
    }
    s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
    s->v[s->n].name = xstrndup(name, n);
    s->v[s->n].value = value;
    s->n++;
}

/* A command's options: its entries first (their metavariables win), then its usage lines:
 * "[--subjects N]", "(--src FILE | --subjects-dir DIR)", "-o OUT.png", and the first
 * positional word in upper case ("DIR", "STEM"). */
static optset command_options(const doc *d) {
    optset s = { NULL, 0, NULL };
    for (size_t i = 0; i < d->n; i++) {
        const block *b = &d->b[i];
        if (b->kind == B_ENTRY && b->is_option)
            for (size_t k = 0; k < b->n_parts; k++)
                optset_add(&s, b->parts[k].name, strlen(b->parts[k].name), b->parts[k].value);
    }
    for (size_t i = 0; i < d->n; i++) {
        const char *p;
        int word = 0, want_value = 0;
        size_t last = 0;
        if (d->b[i].kind != B_USAGE) continue;
        p = d->b[i].text;
        while (*p) {
            const char *s0, *e;
            while (*p == ' ' || *p == '[' || *p == '(' || *p == '|') {
                if (*p == '|') want_value = 0;
                p++;
            }
            if (!*p) break;
            s0 = p;
            while (*p && *p != ' ' && !strchr("[]()|", *p)) p++;
            e = p;
            word++;
            if (word <= 2) continue; /* the program and the command */
            if (is_option_token(s0, (size_t)(e - s0))) {
                optset_add(&s, s0, (size_t)(e - s0), NULL);
                last = s.n;
                for (size_t k = 0; k < s.n; k++)
                    if (strlen(s.v[k].name) == (size_t)(e - s0) &&
                        !strncmp(s.v[k].name, s0, (size_t)(e - s0)))
                        last = k + 1;
                want_value = *p != ']' && *p != ')';
            } else if (want_value) {
                if (last && !s.v[last - 1].value)
                    s.v[last - 1].value = xstrndup(s0, (size_t)(e - s0));
                want_value = 0;
            } else if (!s.positional && isupper((unsigned char)*s0)) {
                s.positional = xstrndup(s0, (size_t)(e - s0));
            }
            while (*p == ']' || *p == ')') {
                want_value = 0;
                p++;
            }
        }
    }
    /* Options only mentioned in the text ("every --checkpoint-interval seconds"): names
     * without a known value. */
    for (size_t i = 0; i < d->n; i++) {
        const char *texts[2] = { d->b[i].text, d->b[i].desc };
        for (int k = 0; k < 2; k++) {
            const char *t = texts[k];
            for (const char *q = t; q && (q = strstr(q, "--")); q += 2) {
                size_t n = 2;
                if (q > t && (isalnum((unsigned char)q[-1]) || q[-1] == '_' || q[-1] == '-'))
                    continue;
                while (isalnum((unsigned char)q[n]) || q[n] == '-') n++;
                while (n > 2 && q[n - 1] == '-') n--;
                if (is_option_token(q, n)) optset_add(&s, q, n, NULL);
            }
        }
    }
    return s;
}

/* A word safe inside the script's single-quoted word lists and case patterns. */
static int safe_word(const char *s, size_t n) {
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("._,:+-=@%/", s[i])) return 0;
    return 1;
}

/* What a value completes to: 'f' files, 'd' directories, 'w' the alternatives of
 * "a|b|c" (alternatives in upper case are metavariables and left out), 0 nothing. */
static int value_kind(const char *v) {
    if (!v) return 0;
    if (strchr(v, '|')) return 'w';
    if (strstr(v, "DIR")) return 'd';
    if (strstr(v, "FILE") || strstr(v, "STEM") || strstr(v, "OUT") || strstr(v, "LIST"))
        return 'f';
    return 0;
}

static void write_alternatives(FILE *f, const char *v) {
    int first = 1;
    while (*v) {
        size_t n = strcspn(v, "|");
        int upper = 0, lower = 0;
        for (size_t i = 0; i < n; i++) {
            if (isupper((unsigned char)v[i])) upper = 1;
            if (islower((unsigned char)v[i])) lower = 1;
        }
        if (!(upper && !lower) && safe_word(v, n)) { /* "N" of "N|all" is a metavariable */
            fprintf(f, "%s%.*s", first ? "" : " ", (int)n, v);
            first = 0;
        }
        v += n;
        if (*v == '|') v++;
    }
}

static void write_bash(FILE *f, const program *pg) {
    const char *P = pg->prog;
    optset top = command_options(&pg->top);

    fprintf(f, "# bash completion for %s(1) - generated by tools/gendoc.c from the output of\n"
               "# '%s --help' and '%s COMMAND --help' (%s); do not edit.\n\n",
            P, P, P, pg->version);
    fprintf(f, "# _%s_files -f|-d WORD: file or directory names starting with WORD.\n"
               "_%s_files() {\n"
               "    local IFS=$'\\n'\n"
               "    COMPREPLY=($(compgen \"$1\" -- \"$2\"))\n"
               "    if type compopt >/dev/null 2>&1; then compopt -o filenames 2>/dev/null; fi\n"
               "}\n\n", P, P);
    fprintf(f, "_%s() {\n"
               "    local cur prev cmd\n"
               "    COMPREPLY=()\n"
               "    cur=${COMP_WORDS[COMP_CWORD]}\n"
               "    prev=\n"
               "    [ \"$COMP_CWORD\" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}\n"
               "    # --option=VALUE: bash splits the word at '=' (COMP_WORDBREAKS)\n"
               "    if [ \"$cur\" = \"=\" ]; then\n"
               "        cur=\n"
               "    elif [ \"$prev\" = \"=\" ] && [ \"$COMP_CWORD\" -gt 1 ]; then\n"
               "        prev=${COMP_WORDS[COMP_CWORD-2]}\n"
               "    fi\n", P);
    fputs("    if [ \"$COMP_CWORD\" -le 1 ]; then\n        COMPREPLY=($(compgen -W '", f);
    for (size_t c = 0; c < pg->n_cmds; c++) fprintf(f, "%s%s", c ? " " : "", pg->cmds[c].name);
    for (size_t i = 0; i < top.n; i++)
        if (safe_word(top.v[i].name, strlen(top.v[i].name))) fprintf(f, " %s", top.v[i].name);
    fputs("' -- \"$cur\"))\n        return 0\n    fi\n", f);
    fputs("    cmd=${COMP_WORDS[1]}\n    case $cmd in\n", f);
    for (size_t c = 0; c < pg->n_cmds; c++) {
        const command *cmd = &pg->cmds[c];
        optset s;
        int kind;
        if (!strcmp(cmd->name, "help")) {
            fputs("    help)\n        [ \"$COMP_CWORD\" -eq 2 ] && COMPREPLY=($(compgen -W '", f);
            for (size_t k = 0; k < pg->n_cmds; k++)
                fprintf(f, "%s%s", k ? " " : "", pg->cmds[k].name);
            fputs("' -- \"$cur\"))\n        ;;\n", f);
            continue;
        }
        if (!cmd->help) continue;
        s = command_options(&cmd->doc);
        optset_add(&s, "-h", 2, NULL); /* every command takes them (not always listed) */
        optset_add(&s, "--help", 6, NULL);
        fprintf(f, "    %s)\n        case $prev in\n", cmd->name);
        /* Options taking a value: complete that value (or nothing). */
        for (int pass = 0; pass < 4; pass++) {
            int want = "fdw\0"[pass], n = 0;
            for (size_t i = 0; i < s.n; i++) {
                if (!s.v[i].value || value_kind(s.v[i].value) != want) continue;
                if (!safe_word(s.v[i].name, strlen(s.v[i].name))) continue;
                if (want == 'w') {
                    fprintf(f, "        %s)\n            COMPREPLY=($(compgen -W '", s.v[i].name);
                    write_alternatives(f, s.v[i].value);
                    fputs("' -- \"$cur\"))\n            return 0 ;;\n", f);
                    continue;
                }
                fprintf(f, "%s%s", n++ ? "|" : "        ", s.v[i].name);
            }
            if (n && want == 'f') fputs(")\n            _PROG_files -f \"$cur\"; return 0 ;;\n", f);
            if (n && want == 'd') fputs(")\n            _PROG_files -d \"$cur\"; return 0 ;;\n", f);
            if (n && want == 0) fputs(")\n            return 0 ;;\n", f);
        }
        fputs("        esac\n", f);
        kind = value_kind(s.positional);
        fputs("        case $cur in\n", f);
        fputs(kind ? "        -*)\n" : "        *)\n", f);
        fputs("            COMPREPLY=($(compgen -W '", f);
        for (size_t i = 0, n = 0; i < s.n; i++)
            if (safe_word(s.v[i].name, strlen(s.v[i].name)))
                fprintf(f, "%s%s", n++ ? " " : "", s.v[i].name);
        fputs("' -- \"$cur\")) ;;\n", f);
        if (kind == 'd') fputs("        *)\n            _PROG_files -d \"$cur\" ;;\n", f);
        else if (kind) fputs("        *)\n            _PROG_files -f \"$cur\" ;;\n", f);
        fputs("        esac\n        ;;\n", f);
    }
    fputs("    esac\n    return 0\n}\n", f);
    fprintf(f, "complete -F _%s %s\n", P, P);
}

/* The script is written with _PROG_files placeholders, replaced here by the program's
 * name (keeps the format strings above readable). */
static void write_bash_named(FILE *out, const program *pg) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    const char *p, *hit;
    if (!m) die("out of memory");
    write_bash(m, pg);
    fclose(m);
    for (p = buf; (hit = strstr(p, "_PROG_files")); p = hit + 11) {
        fwrite(p, 1, (size_t)(hit - p), out);
        fprintf(out, "_%s_files", pg->prog);
    }
    fputs(p, out);
    free(buf);
}

int main(int argc, char **argv) {
    program pg;
    if (argc < 3 || (strcmp(argv[1], "man") && strcmp(argv[1], "bash"))) {
        fputs("usage: gendoc man|bash BINARY [NAME_LINE] > OUTPUT\n", stderr);
        return 2;
    }
    g_bin = argv[2];
    pg = load_program();
    if (!strcmp(argv[1], "man"))
        write_man(stdout, &pg, argc > 3 ? argv[3] : "cluster-based permutation statistics");
    else
        write_bash_named(stdout, &pg);
    if (fflush(stdout) != 0 || ferror(stdout)) die("write error");
    return 0;
}
