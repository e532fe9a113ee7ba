/* teams: the lab's teams, their pods and how each logs in (docs/workshop.md). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"

static json_t *team_json(const struct pi_plan *plan, const struct pi_team_info *t)
{
	json_t *pods = json_array();
	for (size_t k = 0; k < t->pods.len; k++) {
		const struct pi_plan_pod *p = &plan->pods[*(uint32_t *)pi_vec_at(&t->pods, k)];
		json_array_append_new(pods, json_pack("{s:s, s:s, s:i, s:s}", "name", p->name, "blueprint", p->bp->name,
						      "asn", (json_int_t)p->asn, "configure", pi_exercise_name(p->exercise)));
	}
	return json_pack("{s:s, s:o, s:{s:s, s:s}}", "name", t->name, "pods", pods, "login", "web", t->web, "ssh", t->ssh);
}

static void print_text(const struct pi_plan *plan, const struct pi_vec *teams)
{
	if (!teams->len) {
		printf("lab %s has no teams (add a teams: section: docs/workshop.md)\n", plan->lab_name);
		return;
	}
	printf("%-16s %-40s %s\n", "TEAM", "PODS (students configure)", "LOGIN");
	for (size_t i = 0; i < teams->len; i++) {
		const struct pi_team_info *t = pi_vec_at(teams, i);
		char pods[512] = "";
		size_t off = 0;
		for (size_t k = 0; k < t->pods.len && off < sizeof(pods); k++) {
			const struct pi_plan_pod *p = &plan->pods[*(uint32_t *)pi_vec_at(&t->pods, k)];
			off += (size_t)snprintf(pods + off, sizeof(pods) - off, "%s%s (%s)", k ? ", " : "", p->name,
						pi_exercise_name(p->exercise));
		}
		printf("%-16s %-40s %s, user %s; SSH: %s\n", t->name, pods, t->web, t->name, t->ssh);
	}
}

int pi_cmd_teams(struct pi_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		if (c != 'f')
			return pi_cli_usage_error("teams", "bad option");
		if (!pi_cli_format_json("teams", optarg, &json))
			return PI_EXIT_USAGE;
	}
	if (optind != argc)
		return pi_cli_usage_error("teams", "unexpected argument '%s'", argv[optind]);
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	int rc = pi_cli_load_plan(cli, &lab, &plan);
	if (rc)
		return rc;
	struct pi_vec teams = PI_VEC_INIT(struct pi_team_info);
	pi_apply_teams(plan, &teams);
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < teams.len; i++)
			json_array_append_new(arr, team_json(plan, pi_vec_at(&teams, i)));
		json_t *j = json_pack("{s:s, s:o}", "lab", plan->lab_name, "teams", arr);
		char *t = json_dumps(j, JSON_INDENT(2));
		printf("%s\n", t);
		free(t);
		json_decref(j);
	} else {
		print_text(plan, &teams);
	}
	pi_apply_teams_free(&teams);
	pi_plan_free(plan);
	pi_lab_free(lab);
	return PI_EXIT_OK;
}
