/* api.c - library-wide entry points for callers and bindings: the run-time version, option
 * structs filled with defaults by version (so a binding never re-types a struct), and the one
 * free() for buffers the library hands out. */
#include "common_internal.h"

#include <stdlib.h>
#include <string.h>

const char *cperm_version(void) { return CPERM_VERSION_STRING; }

int cperm_options_init(cperm_options *opts, int version) {
    if (!opts) return CPERM_EINVAL;
    if (version < 1 || version > CPERM_OPTIONS_VERSION) return CPERM_EUNSUPPORTED;
    const cperm_options defaults = CPERM_OPTIONS_INIT;
    /* an older caller's struct is only as long as its version */
    memcpy(opts, &defaults, version == 1   ? CPERM_OPTIONS_V1_SIZE
                            : version == 2 ? CPERM_OPTIONS_V2_SIZE
                            : version == 3 ? CPERM_OPTIONS_V3_SIZE
                                           : CPERM_OPTIONS_V4_SIZE);
    opts->version = version;
    return CPERM_OK;
}

void cperm_free(void *buffer) { free(buffer); }
