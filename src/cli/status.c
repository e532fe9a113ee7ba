/* status / labs: format the library's view of running labs. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "pocketinternet/report.h"
#include "pocketinternet/apply.h"

static const struct option format_opts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "json", no_argument, NULL, 'J' },
	{ NULL, 0, NULL, 0 },
};

/* --format/--json and no arguments: the options of status and labs. */
static int parse_format(const char *cmd, int argc, char **argv, bool *json)
{
	int c;
	while ((c = getopt_long(argc, argv, "f:", format_opts, NULL)) != -1) {
		if (c == 'J')
			*json = true;
		else if (c != 'f' || !pi_cli_format_json(cmd, optarg, json))
			return c == 'f' ? PI_EXIT_USAGE : pi_cli_usage_error(cmd, "bad option");
	}
	if (optind < argc)
		return pi_cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	return PI_EXIT_OK;
}

/* External speakers: the tester's, so what runs there is theirs to say;
 * here what they are and where they attach (docs/testing-bgp.md). */
static void externals_text(const struct pi_plan *plan, const struct pi_status *st)
{
	bool any = false;
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		const struct pi_plan_pod *pod = &plan->pods[p];
		if (pod->tier != PI_TIER_EXTERNAL)
			continue;
		if (!any)
			printf("\n%-16s %-12s %-8s %-24s %s\n", "EXTERNAL", "ASN", "SPEAKER", "NODE", "STATE");
		any = true;
		printf("%-16s %-12u %-8s %-24s %s\n", pod->name, pod->asn, pi_speaker_name(pod->speaker),
		       plan->nodes[pod->first_node].name, st->nodes[pod->first_node].state);
	}
}

static void status_text(const struct pi_plan *plan, const struct pi_status *st)
{
	printf("lab %s: %u/%u nodes running, %u/%u BGP sessions Established, %u/%u resolvers answer\n\n",
	       plan->lab_name, st->running, plan->n_nodes, st->established, plan->n_sessions, st->answering,
	       st->resolvers);
	printf("%-32s %-12s %-10s\n", "NODE", "ROLE", "STATE");
	for (uint32_t i = 0; i < plan->n_nodes; i++)
		printf("%-32s %-12s %-10s\n", plan->nodes[i].name, plan->nodes[i].role, st->nodes[i].state);
	printf("\n%-36s %-9s %-42s %s\n", "BGP SESSION", "REL", "A", "B");
	for (uint32_t k = 0; k < plan->n_sessions; k++) {
		const struct pi_plan_session *s = &plan->sessions[k];
		char a[200], b[200];
		snprintf(a, sizeof(a), "%s %s", plan->nodes[s->a].name, st->sessions[k].state[0]);
		snprintf(b, sizeof(b), "%s %s", plan->nodes[s->b].name, st->sessions[k].state[1]);
		printf("%-36s %-9s %-42s %s\n", s->name, pi_rel_name(s->rel), a, b);
	}
	externals_text(plan, st);
	printf("\n%-32s %s\n", "RESOLVER", "ANSWERS");
	for (uint32_t i = 0; i < plan->n_nodes; i++)
		if (plan->nodes[i].services & PI_SVC_RESOLVER)
			printf("%-32s %s\n", plan->nodes[i].name, st->answers[i] ? "yes" : "no");
}

/* Active incidents: a lab that misbehaves on purpose should say so. */
static void incidents_text(const struct pi_plan *plan, const struct pi_vec *inc)
{
	if (!inc->len)
		return;
	printf("\nINCIDENTS (pocketinternet incident clear undoes them)\n");
	for (size_t i = 0; i < inc->len; i++) {
		char text[512];
		pi_incident_describe(plan, pi_vec_at(inc, i), text, sizeof(text));
		printf("%s\n", text);
	}
}

static void print_json(json_t *j)
{
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	free(text);
	json_decref(j);
}

int pi_cmd_status(struct pi_cli *cli, int argc, char **argv)
{
	bool json = false;
	int rc = parse_format("status", argc, argv, &json);
	struct pi_backend b;
	if (rc || (rc = pi_cli_backend(&b)))
		return rc;
	struct pi_lab *lab;
	struct pi_plan *plan;
	if ((rc = pi_cli_current_plan(cli, &b, &lab, &plan))) {
		pi_backend_close(&b);
		return rc;
	}
	struct pi_diag diag;
	struct pi_status st;
	pi_diag_init(&diag);
	pi_apply_status(&b, plan, 8, &st, &diag);
	struct pi_vec inc = PI_VEC_INIT(struct pi_incident);
	pi_apply_incident_list(plan, NULL, &inc, &diag);
	pi_diag_print(&diag, stderr);
	if (json) {
		pi_report_print(pi_report_status(plan, &st, &inc), stdout);
	} else {
		status_text(plan, &st);
		incidents_text(plan, &inc);
	}
	pi_vec_free(&inc);
	rc = st.all_up ? PI_EXIT_OK : PI_EXIT_FAIL;
	pi_status_free(&st);
	pi_diag_free(&diag);
	pi_backend_close(&b);
	pi_plan_free(plan);
	pi_lab_free(lab);
	return rc;
}

static const char *lab_state(const struct pi_lab_summary *l)
{
	return l->running == l->nodes ? "running" : l->running ? "partial" : "stopped";
}

static void labs_text(const struct pi_vec *labs)
{
	if (!labs->len) {
		printf("no lab is running\n");
		return;
	}
	printf("%-20s %-8s %-9s %-8s %s\n", "LAB", "STATE", "NODES", "AGE", "LAB FILE");
	long long now = (long long)time(NULL);
	for (size_t i = 0; i < labs->len; i++) {
		const struct pi_lab_summary *l = pi_vec_at(labs, i);
		char nodes[32], age[32];
		long long s = l->created ? now - l->created : 0;
		snprintf(nodes, sizeof(nodes), "%u/%u", l->running, l->nodes);
		if (s < 3600)
			snprintf(age, sizeof(age), "%lldm%02llds", s / 60, s % 60);
		else
			snprintf(age, sizeof(age), "%lldh%02lldm", s / 3600, s % 3600 / 60);
		printf("%-20s %-8s %-9s %-8s %s\n", l->name, lab_state(l), nodes, age, l->lab_file);
	}
}

static json_t *labs_json(const struct pi_vec *labs)
{
	json_t *a = json_array();
	for (size_t i = 0; i < labs->len; i++) {
		const struct pi_lab_summary *l = pi_vec_at(labs, i);
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:i, s:i, s:I}", "name", l->name, "lab_file",
						   l->lab_file, "state", lab_state(l), "nodes", l->nodes, "running",
						   l->running, "created", (json_int_t)l->created));
	}
	return json_pack("{s:o}", "labs", a);
}

int pi_cmd_labs(struct pi_cli *cli, int argc, char **argv)
{
	(void)cli;
	bool json = false;
	int rc = parse_format("labs", argc, argv, &json);
	struct pi_backend b;
	if (rc || (rc = pi_cli_backend(&b)))
		return rc;
	struct pi_vec labs = PI_VEC_INIT(struct pi_lab_summary);
	struct pi_diag diag;
	pi_diag_init(&diag);
	rc = pi_apply_labs(&b, &labs, &diag) ? PI_EXIT_FAIL : PI_EXIT_OK;
	pi_diag_print(&diag, stderr);
	if (!rc && json)
		print_json(labs_json(&labs));
	else if (!rc)
		labs_text(&labs);
	pi_vec_free(&labs);
	pi_diag_free(&diag);
	pi_backend_close(&b);
	return rc;
}
