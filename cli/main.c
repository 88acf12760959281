/* main.c - the clusterperm program: dispatches to the subcommands. */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static void usage(FILE *f) {
    fputs("usage: " CLI_NAME " <command> [options]\n"
          "\n"
          "Cluster-based permutation statistics on MNE source estimates, identical to\n"
          "MNE-Python 1.3's spatio_temporal_cluster_1samp_test.\n"
          "\n"
          "commands:\n"
          "  onesample   one-sample (or paired A-B) spatio-temporal cluster test on .stc /\n"
          "              -stc.h5 files with a -src.fif source space\n"
          "  simulate    write a synthetic group study (source space, 16 subjects' stcs)\n"
          "  plot        draw a surface source estimate on the brain (PNG/SVG/PDF)\n"
          "  version     print the version\n"
          "\n"
          "Run '" CLI_NAME " <command> --help' for a command's options.\n",
          f);
}

int main(int argc, char **argv) {
#ifdef __GLIBC__
    /* A run allocates and frees many blocks of megabytes (one per estimate read, then the
     * engine's). glibc would map and unmap each one, and the kernel zero every page again on
     * first touch; keeping freed memory in the heap makes reading a study about twice as fast. */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf(CLI_NAME " %s\n", CPERM_VERSION_STRING);
        return CLI_EXIT_OK;
    }
    if (!strcmp(cmd, "onesample")) return cli_onesample(argc - 1, argv + 1);
    if (!strcmp(cmd, "simulate")) return cli_simulate(argc - 1, argv + 1);
    if (!strcmp(cmd, "plot")) return cli_plot(argc - 1, argv + 1);
    cli_error("unknown command '%s' (try '" CLI_NAME " --help')", cmd);
    return CLI_EXIT_USAGE;
}
