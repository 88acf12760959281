/* bench_mpi_data.c - how clusterperm-mpi's ranks should get the data (issue 16), measured:
 * every rank reading the study itself (what clusterperm-mpi does), against rank 0 reading
 * and broadcasting X (MPI_Bcast of the same bytes). Run with mpirun -n R; the study's stems
 * come on the command line (each STEM-lh.stc / -rh.stc read with cperm_stc_read).
 *   mpirun -n 2 bench_mpi_data STEM...
 * Prints the slowest rank's time of each way. */
#include "clusterperm.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double read_all(int n, char **stems, size_t *bytes) {
    double t0 = MPI_Wtime();
    *bytes = 0;
    for (int i = 0; i < n; i++) {
        cperm_stc *stc = NULL;
        cperm_err err = {0};
        if (cperm_stc_read(&stc, stems[i], &err)) {
            fprintf(stderr, "bench_mpi_data: %s\n", err.msg);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        *bytes += (stc->n_vertices[0] + stc->n_vertices[1]) * stc->n_times * sizeof(double);
        cperm_stc_free(stc);
    }
    return MPI_Wtime() - t0;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    size_t bytes = 0;
    read_all(argc - 1, argv + 1, &bytes); /* warm the page cache, as a re-run would be */
    MPI_Barrier(MPI_COMM_WORLD);
    double t_each = read_all(argc - 1, argv + 1, &bytes), worst_each = 0;
    MPI_Reduce(&t_each, &worst_each, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    if (rank == 0) read_all(argc - 1, argv + 1, &bytes);
    unsigned long long b = bytes;
    MPI_Bcast(&b, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
    char *X = malloc((size_t)b);
    if (!X) MPI_Abort(MPI_COMM_WORLD, 1);
    memset(X, rank, (size_t)b);
    for (size_t off = 0; off < b;) { /* in pieces: MPI counts are int */
        int n = (int)(b - off < (1u << 30) ? b - off : (1u << 30));
        MPI_Bcast(X + off, n, MPI_BYTE, 0, MPI_COMM_WORLD);
        off += (size_t)n;
    }
    double t_bcast = MPI_Wtime() - t0, worst_bcast = 0;
    MPI_Reduce(&t_bcast, &worst_bcast, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    if (rank == 0)
        printf("%d ranks, %d estimates, %.1f MB of data: every rank reads %.3f s; rank 0 reads "
               "and broadcasts %.3f s\n", size, argc - 1, (double)b / 1e6, worst_each,
               worst_bcast);
    free(X);
    MPI_Finalize();
    return 0;
}
