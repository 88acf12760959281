/* outputs.h - the onesample command's output directory and its one transaction: every file a
 * run writes (statistics, figures, report) is staged inside DIR and moved into place with
 * the others, or not at all. */
#ifndef CPERM_CLI_OUTPUTS_H
#define CPERM_CLI_OUTPUTS_H

#include "cli.h"

#include <jansson.h>

/* Fails (printing why) unless `dir` is a writable directory or can be created. */
int outputs_check_dir(const char *dir);

/* ------------------------------------------------------------- the output set */

/* An output set: the files one run puts into its output directory, as one transaction.
 *
 *   outset_create(&s, dir)             an empty set for dir (nothing is touched yet)
 *   outset_add(s, name, bytes, len)    a file with these bytes (copied)
 *   outset_take(s, name, buffer, len)  the same, taking ownership of a malloc'd buffer
 *                                      (freed by the set even on failure; no copy of a
 *                                      large text such as h0.txt)
 *   outset_add_json(s, name, root)     a file with root's text as every JSON output is
 *                                      written (one-space indent, 17 significant digits);
 *                                      root stays the caller's (the report reads it)
 *   outset_add_stc(s, stem, stc)       stem-lh.stc and stem-rh.stc of an estimate (owned);
 *                                      stem-vl.stc for one of kind CPERM_STC_VOLUME; all
 *                                      three for a mixed one (lh, rh, one volume)
 *   outset_add_map(s, stem, map, L)    the same for a run's n_times x n_vertices map with
 *                                      the layout L (both the caller's, kept until commit)
 *   outset_remove_stale(s, name)       DIR/name, a file this run does not produce, goes
 *   outset_has(s, name)                whether name was added or marked stale
 *   outset_commit(s)                   everything into place together
 *   outset_free(s)                     an uncommitted set leaves DIR as it was
 *
 * Names are plain file names (no '/', not starting with '.'), each added or marked stale
 * once. Nothing is written before the commit, which creates DIR (and missing ancestors) and
 * a staging directory DIR/.clusterperm-HOST-PID-XXXXXX, writes every file into it (each atomically,
 * fsynced), keeps every file of DIR it will replace or remove (a hard link, or the file
 * itself moved, into the staging directory), renames each new file into place and removes
 * the stale ones. If any step fails it puts every kept file back and removes the new ones
 * and the directories it made, so that DIR is exactly as it was. (A crash during the
 * commit's few renames can leave a mix of old and new files; the staging directory then
 * holds the rest. A crash before them leaves DIR as it was, plus the staging directory. The
 * next successful commit into DIR removes staging directories of dead processes of this
 * host.)
 * Every function returns 0, or -1 after printing the error; a set that failed can only be
 * freed. Not thread-safe; one set per directory at a time. */
typedef struct outset outset;

int outset_create(outset **out, const char *dir);
int outset_add(outset *s, const char *name, const void *data, size_t len);
int outset_take(outset *s, const char *name, void *buffer, size_t len);
int outset_add_json(outset *s, const char *name, const json_t *root);
/* Takes ownership of stc, also when it fails; stc stays readable until outset_free. */
int outset_add_stc(outset *s, const char *stem, cperm_stc *stc);
int outset_add_map(outset *s, const char *stem, const double *map, const cperm_stc *layout);
int outset_remove_stale(outset *s, const char *name);
int outset_has(const outset *s, const char *name);
int outset_commit(outset *s);
/* Accepts NULL. Without a successful commit: removes the staging directory and the
 * directories the commit made. */
void outset_free(outset *s);

/* ------------------------------------------------------------- shared pieces */

/* A zeroed scalar estimate with L's blocks, vertices and kind and n_times columns (tmin,
 * tstep zero); NULL when out of memory (error printed). */
cperm_stc *outputs_like(const cperm_stc *L, size_t n_times);
/* One (n_times x n_vertices) map of the run as an estimate of the layout's kind (an lh/rh
 * pair or a volume) with the layout (vertices, tmin, tstep) of the tested data; NULL when
 * out of memory (error printed). */
cperm_stc *outputs_map_stc(const double *map, const cperm_stc *layout);
/* Blocks first .. first + n_blocks - 1 of `stc` (data, vertices, times, subject) as an
 * estimate of kind `kind` (a mixed one's surface part: 0, 2, CPERM_STC_SURFACE; its volume:
 * 2, 1, CPERM_STC_VOLUME); NULL when out of memory (error printed). */
cperm_stc *outputs_part(const cperm_stc *stc, size_t first, size_t n_blocks, int kind);
/* An estimate as its .stc files hold it: data, tmin and tstep rounded through float32 as
 * cperm_stc_write (or cperm_stc_write_vol) stores them and cperm_stc_read gives them back
 * (so that a figure drawn from it shows the file). NULL when out of memory (error
 * printed). */
cperm_stc *outputs_as_stored(const cperm_stc *stc);
/* h0.txt: one value a line (%.17g), *len bytes; NULL when out of memory (error printed). */
char *outputs_h0_text(const cperm_run *run, size_t *len);
/* The same for any n values (h0-mass.txt, h0-extent.txt of --also). */
char *outputs_values_text(const double *values, size_t n, size_t *len);

#endif
