/* check: grade exercise pods (docs/workshop.md, "Checking"); exit 0 only
 * when every item passes, so an autograder can run it. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "pocketinternet/report.h"

struct check_args {
	struct pi_save_opts o;
	bool all, json;
};

static int parse_args(int argc, char **argv, struct check_args *a)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "team", required_argument, NULL, 't' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	struct pi_cli_pos pos = { 0 };
	/* Options may follow the pod (check red-isp --format json). */
	while ((c = pi_cli_getopt(argc, argv, "f:t:a", opts, &pos)) != -1) {
		if (c == 'f' && !pi_cli_format_json("check", optarg, &a->json))
			return PI_EXIT_USAGE;
		else if (c == 't')
			a->o.team = optarg;
		else if (c == 'a')
			a->all = true;
		else if (c != 'f')
			return pi_cli_usage_error("check", "bad option");
	}
	if (pos.n > 1)
		return pi_cli_usage_error("check", "unexpected argument '%s'", pos.v[1]);
	a->o.pod = pos.v[0];
	if ((a->o.pod != NULL) + (a->o.team != NULL) + a->all != 1)
		return pi_cli_usage_error("check", "expected one of: a pod, --team TEAM, --all");
	return PI_EXIT_OK;
}

/* The pods to grade: --all is every exercise pod. */
static int pods_of(const struct pi_plan *plan, const struct check_args *a, struct pi_vec *pods)
{
	if (!a->all) {
		struct pi_diag d;
		pi_diag_init(&d);
		int rc = pi_apply_exercise_pods(plan, &a->o, pods, &d);
		pi_diag_print(&d, stderr);
		pi_diag_free(&d);
		return rc ? PI_EXIT_USAGE : PI_EXIT_OK;
	}
	for (uint32_t p = 0; p < plan->n_pods; p++)
		if (plan->pods[p].exercise != PI_EXERCISE_NONE)
			*(uint32_t *)pi_vec_push(pods) = p;
	if (!pods->len) {
		fprintf(stderr, "pocketinternet check: lab %s has no exercise pod\n"
				"  hint: mark a pod entry with configure: students (docs/workshop.md)\n",
			plan->lab_name);
		return PI_EXIT_USAGE;
	}
	return PI_EXIT_OK;
}

static void print_json(const struct pi_plan *plan, const struct pi_vec *pods, const struct pi_check_result *r)
{
	json_t *j = pi_report_check(plan, pods->data, pods->len, r);
	char *t = json_dumps(j, JSON_INDENT(2));
	printf("%s\n", t);
	free(t);
	json_decref(j);
}

static void print_text(const struct pi_plan *plan, const struct pi_vec *pods, const struct pi_check_result *r)
{
	for (size_t i = 0; i < pods->len; i++) {
		uint32_t p = *(uint32_t *)pi_vec_at(pods, i);
		printf("pod %s%s%s (configure: %s)\n", plan->pods[p].name, plan->pods[p].team ? ", team " : "",
		       plan->pods[p].team ? plan->pods[p].team : "", pi_exercise_name(plan->pods[p].exercise));
		for (size_t k = 0; k < r->items.len; k++) {
			const struct pi_check_item *it = pi_vec_at(&r->items, k);
			if (it->pod != p)
				continue;
			printf("  %s %-10s %s: %s\n", it->pass ? "PASS" : "FAIL", pi_check_kind_name(it->kind), it->what,
			       it->detail);
			if (!it->pass && it->hint[0])
				printf("       hint: %s\n", it->hint);
		}
	}
	printf("%u passed, %u failed\n", r->passed, r->failed);
}

int pi_cmd_check(struct pi_cli *cli, int argc, char **argv)
{
	struct check_args a = { 0 };
	int rc = parse_args(argc, argv, &a);
	struct pi_backend b;
	if (rc || (rc = pi_cli_backend(&b)))
		return rc;
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	struct pi_vec pods = PI_VEC_INIT(uint32_t);
	if ((rc = pi_cli_current_plan(cli, &b, &lab, &plan)) || (rc = pods_of(plan, &a, &pods)))
		goto out;
	struct pi_check_result res;
	pi_check_result_init(&res);
	struct pi_diag diag;
	pi_diag_init(&diag);
	int arc = pi_apply_check(&b, plan, pods.data, pods.len, &res, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	if (!arc && a.json)
		print_json(plan, &pods, &res);
	else if (!arc)
		print_text(plan, &pods, &res);
	rc = arc || res.failed ? PI_EXIT_FAIL : PI_EXIT_OK;
	pi_check_result_free(&res);
out:
	pi_vec_free(&pods);
	pi_plan_free(plan);
	pi_lab_free(lab);
	pi_backend_close(&b);
	return rc;
}
