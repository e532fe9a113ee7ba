/* node stop|start|restart NODE: one node of a running lab. */
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static volatile int interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int parse_op(const char *s, enum pi_node_op *op)
{
	static const enum pi_node_op ops[] = { PI_NODE_STOP, PI_NODE_START, PI_NODE_RESTART };
	for (size_t i = 0; i < PI_ARRAY_LEN(ops); i++)
		if (strcmp(s, pi_node_op_name(ops[i])) == 0) {
			*op = ops[i];
			return 0;
		}
	return -1;
}

struct node_args {
	enum pi_node_op op;
	const char *node;
	bool json;
	unsigned timeout;
};

static int parse_args(int argc, char **argv, struct node_args *a)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "f:t:", opts, NULL)) != -1) {
		if (c == 'f' && !pi_cli_format_json("node", optarg, &a->json))
			return PI_EXIT_USAGE;
		else if (c == 't')
			a->timeout = (unsigned)strtoul(optarg, NULL, 10);
		else if (c != 'f')
			return pi_cli_usage_error("node", "bad option");
	}
	if (argc - optind != 2)
		return pi_cli_usage_error("node", "expected an action (stop, start, restart) and a node");
	if (parse_op(argv[optind], &a->op))
		return pi_cli_usage_error("node", "unknown action '%s': use stop, start or restart", argv[optind]);
	a->node = argv[optind + 1];
	return PI_EXIT_OK;
}

static void print_result(const struct pi_plan *plan, const struct node_args *a, const struct pi_apply_result *res,
			 int rc)
{
	const char *what = res->already_up ? (a->op == PI_NODE_STOP ? "was already stopped" : "was already running")
			   : a->op == PI_NODE_STOP ? "stopped" : "started";
	if (a->json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:i, s:i, s:f}", "lab", plan->lab_name, "node",
				      a->node, "action", pi_node_op_name(a->op), "ok", rc == 0, "changed",
				      !res->already_up, "converged", res->converged, "sessions_up", res->sessions_up,
				      "sessions_total", res->sessions_total, "seconds", res->total_s);
		char *t = json_dumps(j, JSON_INDENT(2));
		printf("%s\n", t);
		free(t);
		json_decref(j);
		return;
	}
	if (rc)
		return;
	printf("node %s %s", a->node, what);
	if (a->op != PI_NODE_STOP && !res->already_up)
		printf(" and rejoined in %.1fs: %u/%u of its BGP sessions Established%s", res->total_s, res->sessions_up,
		       res->sessions_total, res->converged ? "" : " (NOT converged)");
	printf("\n");
}

int pi_cmd_node(struct pi_cli *cli, int argc, char **argv)
{
	struct node_args a = { 0 };
	int rc = parse_args(argc, argv, &a);
	struct pi_backend b;
	if (rc || (rc = pi_cli_backend(&b)))
		return rc;
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	if ((rc = pi_cli_current_plan(cli, &b, &lab, &plan)))
		goto out;
	uint32_t node = pi_cli_find_node(plan, a.node);
	if (node == PI_NONE) {
		rc = PI_EXIT_USAGE;
		goto out;
	}
	struct pi_cli_display disp;
	pi_cli_display_init(&disp, cli->quiet || a.json);
	struct pi_apply_opts ao = { .converge_timeout_s = a.timeout, .progress = pi_cli_show_progress, .ctx = &disp,
				    .cancel = &interrupted };
	struct pi_apply_result res;
	struct pi_diag diag;
	pi_diag_init(&diag);
	struct sigaction sa = { .sa_handler = on_sigint };
	sigaction(SIGINT, &sa, NULL);
	int arc = pi_apply_node(&b, plan, node, a.op, &ao, &res, &diag);
	signal(SIGINT, SIG_DFL);
	if (disp.tty && !disp.quiet && disp.last != PI_PHASE_COUNT)
		fputc('\n', stderr);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	print_result(plan, &a, &res, arc);
	rc = arc ? PI_EXIT_FAIL : (a.op != PI_NODE_STOP && !res.already_up && !res.converged) ? PI_EXIT_FAIL : PI_EXIT_OK;
out:
	pi_plan_free(plan);
	pi_lab_free(lab);
	pi_backend_close(&b);
	return rc;
}
