/* The CLI tests' runner: the real pocketinternet binary, its output captured. */
#ifndef PI_TEST_CLI_RUN_H
#define PI_TEST_CLI_RUN_H

#include "pocketinternet/util.h"

extern const char *cli_bin; /* the binary under test: the test's first argument */

/* Runs cli_bin with argv (NULL-terminated, without argv[0], at most 30; no
 * shell), stdout and stderr both into out (emptied first). Returns the exit
 * status, -1 when a signal ended it. */
int cli_run(struct pi_buf *out, const char *const *argv);
/* The same with stdout only in out, stderr dropped. */
int cli_run_stdout(struct pi_buf *out, const char *const *argv);

#endif
