/* common: what every command shares: loading the plan, help, usage errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "pocketinternet/docker.h"

bool pi_cli_wants_help(const struct pi_command *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(cmd->usage, stdout);
			return true;
		}
	}
	return false;
}

int pi_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "pocketinternet %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry 'pocketinternet %s --help'.\n", cmd);
	va_end(ap);
	return PI_EXIT_USAGE;
}

int pi_cli_load_plan(struct pi_cli *cli, struct pi_lab **lab, struct pi_plan **plan)
{
	struct pi_diag diag;
	pi_diag_init(&diag);
	const char *file = cli->lab_file ? cli->lab_file : pi_default_lab_file();
	*lab = NULL;
	*plan = NULL;
	int rc = pi_lab_load(file, cli->blueprint_dir, lab, &diag);
	if (rc == 0)
		rc = pi_plan_build(*lab, plan, &diag);
	if (pi_diag_count(&diag) > 0)
		pi_diag_print(&diag, stderr);
	if (rc) {
		size_t n = pi_diag_errors(&diag);
		if (n == 0)
			fprintf(stderr, "pocketinternet: %s: %s\n", file, strerror(-rc));
		else
			fprintf(stderr, "pocketinternet: %zu error%s in %s\n", n, n == 1 ? "" : "s", file);
		pi_diag_free(&diag);
		if (*lab) {
			pi_lab_free(*lab);
			*lab = NULL;
		}
		/* A file we could not read is a usage problem too: the user named it. */
		return PI_EXIT_USAGE;
	}
	pi_diag_free(&diag);
	return PI_EXIT_OK;
}

struct pi_docker *pi_cli_docker(void)
{
	struct pi_diag diag;
	struct pi_docker *d = NULL;
	pi_diag_init(&diag);
	if (pi_docker_open(NULL, &d, &diag))
		pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	return d;
}
