/* mpi.c - clusterperm-mpi's ranks (see mpi.h): start and end, agreement on errors, and the
 * permutations of each pass split across ranks with the H0 entries gathered in permutation
 * order. Without CPERM_MPI, one process. */
#include "mpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CPERM_MPI

int cli_mpi_init(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    return 0;
}
int cli_mpi_finalize(int rc) { return rc; }
int cli_mpi_rank(void) { return 0; }
int cli_mpi_size(void) { return 1; }
int cli_mpi_agree(int ok) { return ok; }
int cli_mpi_agree_inputs(int ok, uint64_t inputs) {
    (void)inputs;
    return ok;
}
int cli_mpi_hold_error(const char *msg) {
    (void)msg;
    return 0;
}
const char *cli_mpi_error_prefix(void) { return ""; }
int cli_execute(const cperm_plan *plan, const double *X, cperm_run *run, cperm_err *err) {
    return cperm_plan_execute(plan, X, run, err);
}

#else /* CPERM_MPI */

#include <fcntl.h>
#include <mpi.h>
#include <signal.h>
#include <unistd.h>

/* Per-rank orders of one round: a round is short enough that rank 0's checkpoints, made
 * between its own chunks, lose little, and long enough that the exchange (8 bytes per
 * order) costs nothing next to a permutation. */
#define ORDERS_PER_RANK_ROUND 2048

static struct {
    int rank, size;
    int agreed;          /* cli_mpi_agree has run */
    int held;            /* an error is held */
    int quiet;           /* another rank's failure ended this one: say nothing */
    char held_msg[1024];
    char prefix[32];
    FILE *err_out;       /* the original stderr */
} mpi;

int cli_mpi_init(int *argc, char ***argv) {
    if (MPI_Init(argc, argv) != MPI_SUCCESS) {
        fprintf(stderr, CLI_NAME ": error: MPI_Init failed\n");
        return -1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &mpi.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mpi.size);
    snprintf(mpi.prefix, sizeof mpi.prefix, "rank %d: ", mpi.rank);
    mpi.err_out = stderr;
    if (mpi.rank > 0) { /* one log: rank 0's; errors still reach the user */
        int fd = dup(STDERR_FILENO);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (f) mpi.err_out = f;
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) {
            /* keep going: the output is only noisier */
        }
    }
    return 0;
}

int cli_mpi_rank(void) { return mpi.rank; }
int cli_mpi_size(void) { return mpi.size; }
const char *cli_mpi_error_prefix(void) { return mpi.prefix; }

int cli_mpi_hold_error(const char *msg) {
    if (!mpi.agreed) {
        if (!mpi.held) snprintf(mpi.held_msg, sizeof mpi.held_msg, "%s", msg);
        mpi.held = 1;
        return 1;
    }
    if (mpi.quiet) return 1;
    if (mpi.rank > 0) { /* after the agreement: said by the rank it happened on */
        fprintf(mpi.err_out, CLI_NAME ": error: %s%s\n", mpi.prefix, msg);
        fflush(mpi.err_out);
        return 1;
    }
    return 0;
}

/* The lowest rank with !ok, or size when all are ok. */
static int lowest_failing(int ok) {
    int mine = ok ? mpi.size : mpi.rank, lowest = mpi.size;
    MPI_Allreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return lowest;
}

int cli_mpi_agree(int ok) {
    if (mpi.agreed) return ok;
    const int lowest = lowest_failing(ok && !mpi.held);
    mpi.agreed = 1;
    if (lowest == mpi.size) return 1;
    mpi.quiet = lowest != mpi.rank;
    if (lowest == mpi.rank && mpi.held) {
        fprintf(mpi.err_out, CLI_NAME ": error: %s%s\n", mpi.prefix, mpi.held_msg);
        fflush(mpi.err_out);
    }
    return 0;
}

int cli_mpi_agree_inputs(int ok, uint64_t inputs) {
    if (!cli_mpi_agree(ok)) return 0;
    /* the first rank whose inputs differ from rank 0's */
    unsigned long long mine = inputs, root = inputs;
    MPI_Bcast(&root, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
    int differs = mine != root ? mpi.rank : mpi.size, first = mpi.size;
    MPI_Allreduce(&differs, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (first == mpi.size) return 1;
    mpi.quiet = mpi.rank != 0;
    if (mpi.rank == 0) {
        fprintf(mpi.err_out, CLI_NAME ": error: %sranks 0 and %d were given different inputs "
                "or parameters (every rank must run the same command on the same files)\n",
                mpi.prefix, first);
        fflush(mpi.err_out);
    }
    return 0;
}

int cli_mpi_finalize(int rc) {
    if (!mpi.agreed) cli_mpi_agree(rc == 0); /* ended before the permutations */
    MPI_Finalize();
    return rc;
}

/* The status of one step on every rank: 0 when all succeeded; otherwise the lowest failing
 * rank's code, which that rank prints (with its message), the others staying quiet. */
static int consensus(int rc) {
    const int lowest = lowest_failing(rc == 0);
    if (lowest == mpi.size) return 0;
    int code = rc;
    MPI_Bcast(&code, 1, MPI_INT, lowest, MPI_COMM_WORLD);
    mpi.quiet = lowest != mpi.rank; /* the failing rank's caller prints err, the others not */
    return code ? code : CPERM_EINVAL;
}

int cli_execute(const cperm_plan *plan, const double *X, cperm_run *run, cperm_err *err) {
    const size_t n_orders = cperm_plan_n_orders(plan), R = (size_t)mpi.size;
    const size_t per_rank = ORDERS_PER_RANK_ROUND, round_max = per_rank * R;
    double *mine = malloc(per_rank * sizeof *mine);
    double *all = malloc(round_max * sizeof *all);
    int *counts = malloc(R * sizeof *counts), *displs = malloc(R * sizeof *displs);
    int rc = (mine && all && counts && displs) ? 0 : CPERM_ENOMEM;
    /* SIGINT/SIGTERM (srun and scancel send them to every task) are rank 0's to handle: it
     * saves its checkpoint and stops, and the status agreement below stops the others */
    if (mpi.rank > 0) {
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
    }
    if (rc) snprintf(err->msg, sizeof err->msg, "out of memory for the H0 exchange");
    if ((rc = consensus(rc))) goto cleanup;
    rc = cperm_run_begin(plan, X, run, err);
    if ((rc = consensus(rc))) goto cleanup;
    for (int more = 1; more;) {
        size_t done = 0;
        cperm_run_pass(run, &done);
        /* every rank restored the same checkpoint, or none: the same start */
        unsigned long long d = done, lo = 0, hi = 0;
        MPI_Allreduce(&d, &lo, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
        MPI_Allreduce(&d, &hi, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
        if (lo != hi) {
            snprintf(err->msg, sizeof err->msg, "the ranks resumed at different permutations "
                     "(%llu to %llu): their checkpoints differ", lo, hi);
            rc = CPERM_EMISMATCH;
            goto cleanup;
        }
        while (done < n_orders) {
            const size_t round = n_orders - done < round_max ? n_orders - done : round_max;
            const size_t share = (round + R - 1) / R;
            for (size_t r = 0; r < R; r++) {
                const size_t a = r * share < round ? r * share : round;
                const size_t b = (r + 1) * share < round ? (r + 1) * share : round;
                displs[r] = (int)a;
                counts[r] = (int)(b - a);
            }
            const size_t k0 = done + (size_t)displs[mpi.rank];
            const size_t k1 = k0 + (size_t)counts[mpi.rank];
            rc = cperm_run_permute(plan, X, run, k0, k1, err);
            if (!rc && k1 > k0) rc = cperm_run_export_h0(run, k0, k1, mine, err);
            if ((rc = consensus(rc))) goto cleanup;
            MPI_Allgatherv(mine, counts[mpi.rank], MPI_DOUBLE, all, counts, displs, MPI_DOUBLE,
                           MPI_COMM_WORLD);
            for (size_t r = 0; r < R && !rc; r++)
                if ((int)r != mpi.rank && counts[r] > 0)
                    rc = cperm_run_import_h0(run, done + (size_t)displs[r],
                                             done + (size_t)displs[r] + (size_t)counts[r],
                                             all + displs[r], err);
            if ((rc = consensus(rc))) goto cleanup;
            done += round;
        }
        rc = cperm_run_end_pass(plan, run, &more, err);
        if ((rc = consensus(rc))) goto cleanup;
    }
cleanup:
    free(mine);
    free(all);
    free(counts);
    free(displs);
    return rc;
}

#endif
