/* plan: print the plan as text, JSON or Graphviz. Needs no root and no Docker. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "pocketinternet/diag.h"

int pi_cmd_plan(struct pi_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = "text", *output = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "f:o:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		default:
			return pi_cli_usage_error("plan", "bad option");
		}
	}
	if (optind < argc)
		return pi_cli_usage_error("plan", "unexpected argument '%s'", argv[optind]);
	if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "dot"))
		return pi_cli_usage_error("plan", "unknown format '%s' (use text, json or dot)", format);

	struct pi_lab *lab;
	struct pi_plan *plan;
	int rc = pi_cli_load_plan(cli, &lab, &plan);
	if (rc)
		return rc;
	struct pi_buf out;
	pi_buf_init(&out);
	if (strcmp(format, "json") == 0)
		rc = pi_plan_write_json(plan, &out) ? PI_EXIT_FAIL : PI_EXIT_OK;
	else if (strcmp(format, "dot") == 0)
		pi_plan_write_dot(plan, &out);
	else
		pi_plan_write_text(plan, &out);
	if (rc == PI_EXIT_OK) {
		if (output) {
			/* Safe against a planted symlink: the tool may run as root. */
			struct pi_diag diag;
			pi_diag_init(&diag);
			if (pi_write_file_safe(output, pi_buf_str(&out), out.len, 0644, &diag)) {
				pi_diag_print(&diag, stderr);
				rc = PI_EXIT_FAIL;
			}
			pi_diag_free(&diag);
		} else {
			fwrite(pi_buf_str(&out), 1, out.len, stdout);
		}
	}
	pi_buf_free(&out);
	pi_plan_free(plan);
	pi_lab_free(lab);
	return rc;
}
