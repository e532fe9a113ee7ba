/* exec / shell: into a node of a running lab, through the backend. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "pocketinternet/apply.h"

/* Opens the backend and picks the lab; on failure returns the exit code. */
static int open_lab(struct pi_cli *cli, struct pi_backend *b, char *lab, size_t len)
{
	int rc = pi_cli_backend(b);
	if (rc)
		return rc;
	rc = pi_cli_current_lab(cli, b, false, lab, len);
	if (rc)
		pi_backend_close(b);
	return rc;
}

static void node_hint(int rc, const char *lab, const char *node)
{
	if (rc == -ENOENT)
		fprintf(stderr, "  hint: is lab '%s' up and is '%s' one of its nodes? see 'pocketinternet status'\n",
			lab, node);
}

int pi_cmd_exec(struct pi_cli *cli, int argc, char **argv)
{
	int c;
	while ((c = getopt(argc, argv, "+")) != -1)
		return pi_cli_usage_error("exec", "bad option");
	if (optind >= argc)
		return pi_cli_usage_error("exec", "missing NODE");
	const char *node = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind >= argc)
		return pi_cli_usage_error("exec", "missing the command to run (after --)");
	char lab[128];
	struct pi_backend b;
	int rc = open_lab(cli, &b, lab, sizeof(lab));
	if (rc)
		return rc;
	struct pi_diag diag;
	struct pi_exec_result r;
	pi_diag_init(&diag);
	pi_exec_result_init(&r);
	rc = b.ops->exec(&b, lab, node, (const char *const *)argv + optind, (size_t)(argc - optind), NULL, &r, &diag);
	if (rc) {
		pi_diag_print(&diag, stderr);
		node_hint(rc, lab, node);
		rc = PI_EXIT_FAIL;
	} else {
		fwrite(pi_buf_str(&r.out), 1, r.out.len, stdout);
		fwrite(pi_buf_str(&r.err), 1, r.err.len, stderr);
		if (r.truncated)
			fprintf(stderr, "pocketinternet exec: output cut at %u MiB per stream\n", PI_EXEC_MAX_OUTPUT >> 20);
		/* The command's own status, like ssh and docker exec. */
		rc = r.exit_code;
	}
	pi_exec_result_free(&r);
	pi_diag_free(&diag);
	pi_backend_close(&b);
	return rc;
}

int pi_cmd_shell(struct pi_cli *cli, int argc, char **argv)
{
	int c;
	while ((c = getopt(argc, argv, "+")) != -1)
		return pi_cli_usage_error("shell", "bad option");
	if (optind + 1 != argc)
		return pi_cli_usage_error("shell", "give exactly one NODE");
	if (!isatty(0) || !isatty(1)) {
		fprintf(stderr, "pocketinternet shell: needs a terminal; use 'pocketinternet exec NODE -- CMD' in scripts\n");
		return PI_EXIT_USAGE;
	}
	char lab[128];
	struct pi_backend b;
	int rc = open_lab(cli, &b, lab, sizeof(lab));
	if (rc)
		return rc;
	struct pi_diag diag;
	pi_diag_init(&diag);
	static const char *const sh[] = { "/bin/bash", "-l" };
	int exit_code = 0;
	rc = b.ops->exec_tty(&b, lab, argv[optind], sh, 2, &exit_code, &diag);
	if (rc) {
		pi_diag_print(&diag, stderr);
		node_hint(rc, lab, argv[optind]);
		rc = PI_EXIT_FAIL;
	} else {
		rc = exit_code;
	}
	pi_diag_free(&diag);
	pi_backend_close(&b);
	return rc;
}
