/* mpi.h - the ranks of clusterperm-mpi (cli/mpi.c, built with -DCPERM_MPI): every rank reads
 * the study and runs the same command; the permutations of each step-down pass are split
 * into ranges across ranks and their H0 entries exchanged, so every rank ends each pass on
 * the full H0; rank 0 alone logs, saves checkpoints and writes the outputs. In clusterperm
 * itself (no CPERM_MPI) these are a single process's trivial versions. */
#ifndef CPERM_CLI_MPI_H
#define CPERM_CLI_MPI_H

#include "cli.h"

/* MPI_Init; on ranks > 0 stdout and stderr go to /dev/null (an error is printed by the rank
 * it happened on, through cli_error, on the original stderr). Returns 0, or -1. */
int cli_mpi_init(int *argc, char ***argv);
/* After the command: agrees with the other ranks if the command ended before
 * cli_mpi_agree, finalizes MPI, and returns the process's exit status. */
int cli_mpi_finalize(int rc);
int cli_mpi_rank(void);
int cli_mpi_size(void);

/* Collective, before the permutations: 1 when every rank got here without an error; else 0,
 * after the lowest failing rank printed its error ("rank K: ..."). Until it is called, an
 * error of cli_error is held, not printed, so that a failure all ranks share (a bad file)
 * is said once. In clusterperm: returns ok. */
int cli_mpi_agree(int ok);
/* The same, and the ranks must have been given the same command: `inputs` (the checkpoint's
 * hash of the inputs and parameters) equal on every rank, else rank 0 says which differ. */
int cli_mpi_agree_inputs(int ok, uint64_t inputs);
/* cli_error's hook: 1 when the message is held for cli_mpi_agree (do not print it). */
int cli_mpi_hold_error(const char *msg);
/* The prefix of a printed error: "" in clusterperm, "rank K: " in clusterperm-mpi. */
const char *cli_mpi_error_prefix(void);

/* cperm_plan_execute, split across the ranks: each pass's orders in rounds, each rank a
 * contiguous range of a round, the H0 entries gathered in permutation order so that every
 * rank's run holds H0 [0, done) after each round (rank 0's checkpoints then resume every
 * rank); the ranks agree on each step's status (a failure on one rank ends all, the lowest
 * failing rank printing why). Results are those of cperm_plan_execute, bit for bit. */
int cli_execute(const cperm_plan *plan, const double *X, cperm_run *run, cperm_err *err);

#endif
