/* subjects.h - input stems keyed by subject (cli/subjects.c). */
#ifndef CPERM_CLI_SUBJECTS_H
#define CPERM_CLI_SUBJECTS_H

#include "cli.h"

/* Stems and their subjects, sorted by subject. For a glob the subject is what its wildcards
 * matched, widened to the letters and digits around it, words joined by '/' ("sub*" and
 * "sub00[1-4]" on "sub003" are both "sub003"); for an @list file it is the stem's position
 * in the list ("1", "2", ...). */
typedef struct cli_subjects {
    cli_strlist stems;
    cli_strlist keys;
    int from_list;
} cli_subjects;

/* Expands one --a/--b argument (a glob over stems or @LISTFILE). Fails, printing why, when
 * nothing matches or two stems would be the same subject. */
int cli_subjects_expand(cli_subjects *out, const char *opt, const char *spec);

/* Succeeds when A and B hold the same subjects; otherwise prints which subjects one side
 * lacks, naming the other side's stem. */
int cli_subjects_pair(const cli_subjects *a, const cli_subjects *b, const char *a_spec,
                      const char *b_spec);

/* The same for any two options (a_opt "--cell #1"...); `test` ends the message ("a paired
 * test needs both for every subject"). */
int cli_subjects_pair_named(const cli_subjects *a, const char *a_opt, const char *a_spec,
                            const cli_subjects *b, const char *b_opt, const char *b_spec,
                            const char *test);

/* The same for whole files named FILE + suffix (".npy"): a glob (suffix appended when the
 * spec lacks it) or @LISTFILE; stems are the files' paths, subjects as above. */
int cli_subjects_expand_files(cli_subjects *out, const char *opt, const char *spec,
                              const char *suffix);

void cli_subjects_free(cli_subjects *s);

#endif
