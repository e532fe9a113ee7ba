/* The CLI tests' runner: forks and execs the binary under test, no shell,
 * and reads what it writes to stdout and stderr until it ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "cli_run.h"

const char *cli_bin;

static int run_bin(struct pi_buf *out, const char *const *argv, bool keep_stderr)
{
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		if (keep_stderr)
			dup2(pfd[1], 2);
		else if (!freopen("/dev/null", "w", stderr))
			_exit(126);
		close(pfd[0]);
		const char *args[32] = { cli_bin };
		for (int i = 0; argv[i] && i < 30; i++)
			args[i + 1] = argv[i];
		execv(cli_bin, (char **)args);
		_exit(127);
	}
	close(pfd[1]);
	char buf[4096];
	ssize_t n;
	pi_buf_reset(out);
	while ((n = read(pfd[0], buf, sizeof(buf))) > 0)
		pi_buf_write(out, buf, (size_t)n);
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int cli_run(struct pi_buf *out, const char *const *argv)
{
	return run_bin(out, argv, true);
}

int cli_run_stdout(struct pi_buf *out, const char *const *argv)
{
	return run_bin(out, argv, false);
}
