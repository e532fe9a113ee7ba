/*
 * render: write every node's configuration files and plan.json under a
 * directory. No root, no Docker. A refused output directory (a symlink, not
 * the user's, holding what the tool did not make) exits 1 like any failure
 * to write: the command line was right, the file system is not.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "pocketinternet/apply.h"

int pi_cmd_render(struct pi_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "o:f:", opts, NULL)) != -1) {
		if (c == 'o')
			dir = optarg;
		else if (c != 'f')
			return pi_cli_usage_error("render", "bad option");
		else if (!pi_cli_format_json("render", optarg, &json))
			return PI_EXIT_USAGE;
	}
	if (optind < argc)
		return pi_cli_usage_error("render", "unexpected argument '%s'", argv[optind]);
	if (!dir)
		return pi_cli_usage_error("render", "-o DIR is required");

	struct pi_lab *lab;
	struct pi_plan *plan;
	int rc = pi_cli_load_plan(cli, &lab, &plan);
	if (rc)
		return rc;
	struct pi_diag diag;
	pi_diag_init(&diag);
	if (pi_apply_write_lab(plan, dir, &diag)) {
		pi_diag_print(&diag, stderr);
		rc = PI_EXIT_FAIL;
	} else if (json) {
		json_t *j = json_pack("{s:s, s:s, s:i}", "lab", plan->lab_name, "dir", dir, "nodes", plan->n_nodes);
		char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", text);
		free(text);
		json_decref(j);
	} else if (!cli->quiet) {
		printf("rendered %u nodes of lab %s into %s/\n", plan->n_nodes, plan->lab_name, dir);
	}
	pi_diag_free(&diag);
	pi_plan_free(plan);
	pi_lab_free(lab);
	return rc;
}
