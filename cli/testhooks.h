/* testhooks.h - fault injection for the test build of the program (issue 7, 12). */
#ifndef CPERM_CLI_TESTHOOKS_H
#define CPERM_CLI_TESTHOOKS_H

#include "cli.h"

/* Test builds only (-DCPERM_TEST_HOOKS: $(BUILD)/tests/clusterperm-testhooks):
 * CLUSTERPERM_TEST_FAIL_WRITE=N makes the N-th write step of the run fail with EIO. The
 * steps are numbered across the whole run: first the library's atomic-write steps (create
 * the temporary file, each write, fsync, close, rename: cperm_fileio_fail_after), then the
 * CLI's own, which come last in a run (the output set's commit: keeping each previous file,
 * renaming each new one into place, removing each stale one; cli/outputs.c), so that a test
 * can fail every step in turn with N = 1, 2, ... until the run succeeds.
 * cli_test_hooks_init reads the variable; cli_test_step_fails is called before each of the
 * CLI's steps and returns 1 (errno = EIO) when that step must fail. In production builds
 * both expand to nothing, so neither the hook nor the variable's name is in the program. */
#ifdef CPERM_TEST_HOOKS
void cli_test_hooks_init(void);
int cli_test_step_fails(void);
#else
#define cli_test_hooks_init() ((void)0)
#define cli_test_step_fails() 0
#endif

#endif
