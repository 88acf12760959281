/* main.c - the clusterperm program: dispatches to the subcommands. */
#include "cli.h"
#include "mpi.h"

#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static void usage(FILE *f) {
    fputs("usage: " CLI_NAME " <command> [options]\n"
          "       " CLI_NAME " help [<command>] | --help | -h\n"
          "       " CLI_NAME " version | --version | -V\n"
          "\n"
          "Cluster-based permutation statistics on MNE source estimates, identical to\n"
          "MNE-Python 1.3's spatio_temporal_cluster_1samp_test and\n"
          "spatio_temporal_cluster_test.\n"
          "\n"
          "commands:\n"
          "  onesample   one-sample (or paired A-B) spatio-temporal cluster test on .stc /\n"
          "              -stc.h5 files with a -src.fif source space\n"
          "  independent independent-groups spatio-temporal cluster test (F or t)\n"
          "  rm-anova    repeated-measures ANOVA cluster test (one effect of f_mway_rm)\n"
          "  simulate    write a synthetic group study (source space, 16 subjects' stcs)\n"
          "  plot        draw a surface source estimate on the brain (PNG/SVG/PDF)\n"
          "  version     print the version\n"
          "  help        print this help, or with a command that command's options\n"
          "\n"
          "options:\n"
          "  -h, --help     print this help (as 'help')\n"
          "  -V, --version  print the version (as 'version')\n"
          "\n"
          "Run '" CLI_NAME " <command> --help' or '" CLI_NAME " help <command>' for a\n"
          "command's options.\n"
          "\n"
          "exit status: 0 success; 1 bad input or I/O error (one '" CLI_NAME ": error: ...'\n"
          "line on stderr); 2 bad command line.\n",
          f);
}

/* The subcommands, for dispatch and for 'help <command>'. */
typedef int (*cli_command_fn)(int argc, char **argv);
static const struct {
    const char *name;
    cli_command_fn fn;
} commands[] = {
    { "onesample", cli_onesample },
    { "independent", cli_independent },
    { "rm-anova", cli_rmanova },
    { "simulate", cli_simulate },
    { "plot", cli_plot },
};

static cli_command_fn find_command(const char *name) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(name, commands[i].name)) return commands[i].fn;
    return NULL;
}

static int print_version(void) {
    printf(CLI_NAME " %s\n", CPERM_VERSION_STRING);
    return CLI_EXIT_OK;
}

static int run_command(int argc, char **argv);

/* clusterperm-mpi (cli/mpi.c) runs the same command on every rank; clusterperm is one. */
int main(int argc, char **argv) {
    if (cli_mpi_init(&argc, &argv)) return CLI_EXIT_ERROR;
    return cli_mpi_finalize(run_command(argc, argv));
}

static int run_command(int argc, char **argv) {
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
    if (!strcmp(cmd, "help") && argc > 2 && strcmp(argv[2], "--help") && strcmp(argv[2], "-h")) {
        /* 'help <command>': that command's --help; 'help version' / 'help help': ours. */
        cli_command_fn fn = find_command(argv[2]);
        if (fn) {
            static char help_opt[] = "--help";
            char *sub_argv[] = { argv[2], help_opt, NULL };
            return fn(2, sub_argv);
        }
        if (strcmp(argv[2], "version") && strcmp(argv[2], "help")) {
            cli_error("help: unknown command '%s' (try '" CLI_NAME " --help')", argv[2]);
            return CLI_EXIT_USAGE;
        }
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version") || !strcmp(cmd, "-V"))
        return print_version();
    cli_command_fn fn = find_command(cmd);
    if (fn) return fn(argc - 1, argv + 1);
    cli_error("unknown command '%s' (try '" CLI_NAME " --help')", cmd);
    return CLI_EXIT_USAGE;
}
