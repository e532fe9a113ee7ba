/* incident hijack|leak|session-down|list|clear: the teaching staples. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "pocketinternet/report.h"

struct inc_cmd {
	struct pi_backend b;
	struct pi_lab *lab;
	struct pi_plan *plan;
	bool json;
};

static void print_json(json_t *j)
{
	char *t = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", t);
	free(t);
	json_decref(j);
}

/* Flags after the names: --more-specific, --filtered; the rest are names. */
static int parse_incident(const char *kind, int argc, char **argv, struct pi_incident *in)
{
	memset(in, 0, sizeof(*in));
	const char *names[2] = { NULL, NULL };
	int nn = 0;
	if (pi_incident_kind_parse(kind, &in->kind))
		return pi_cli_usage_error("incident", "unknown incident '%s'", kind);
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--more-specific") == 0 && in->kind == PI_INCIDENT_HIJACK)
			in->more_specific = true;
		else if (strcmp(argv[i], "--filtered") == 0 && in->kind != PI_INCIDENT_SESSION_DOWN)
			in->filtered = true;
		else if (argv[i][0] == '-' || nn == 2)
			return pi_cli_usage_error("incident", "unexpected '%s'", argv[i]);
		else
			names[nn++] = argv[i];
	}
	int want = in->kind == PI_INCIDENT_HIJACK ? 2 : 1;
	if (nn != want)
		return pi_cli_usage_error("incident", "%s takes %s", kind,
					  want == 2 ? "ATTACKER VICTIM" : in->kind == PI_INCIDENT_LEAK ? "POD" : "SESSION");
	char *dst = in->kind == PI_INCIDENT_HIJACK ? in->attacker : in->kind == PI_INCIDENT_LEAK ? in->pod : in->session;
	snprintf(dst, PI_INCIDENT_NAME_MAX, "%s", names[0]);
	if (want == 2)
		snprintf(in->victim, sizeof(in->victim), "%s", names[1]);
	return PI_EXIT_OK;
}

static int do_add(struct inc_cmd *c, const char *kind, int argc, char **argv)
{
	struct pi_incident in;
	int rc = parse_incident(kind, argc, argv, &in);
	if (rc)
		return rc;
	struct pi_diag diag;
	pi_diag_init(&diag);
	rc = pi_apply_incident_add(&c->b, c->plan, NULL, &in, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	if (rc)
		return rc == -EINVAL ? PI_EXIT_USAGE : PI_EXIT_FAIL;
	if (c->json) {
		print_json(pi_report_incident(c->plan, &in));
	} else {
		char text[512];
		pi_incident_describe(c->plan, &in, text, sizeof(text));
		printf("%s\n  undo it with: pocketinternet incident clear %u\n", text, in.id);
	}
	return PI_EXIT_OK;
}

static int do_list(struct inc_cmd *c)
{
	struct pi_vec v = PI_VEC_INIT(struct pi_incident);
	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_apply_incident_list(c->plan, NULL, &v, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	if (c->json) {
		pi_report_print(pi_report_incidents(c->plan, &v), stdout);
	} else if (!v.len) {
		printf("no incident is active in lab %s\n", c->plan->lab_name);
	}
	for (size_t i = 0; !c->json && i < v.len; i++) {
		const struct pi_incident *in = pi_vec_at(&v, i);
		char text[512], when[32];
		time_t t = (time_t)in->since;
		strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
		pi_incident_describe(c->plan, in, text, sizeof(text));
		printf("%s  (since %s)\n", text, when);
	}
	pi_vec_free(&v);
	return rc ? PI_EXIT_FAIL : PI_EXIT_OK;
}

static int do_clear(struct inc_cmd *c, int argc, char **argv)
{
	unsigned id = 0, cleared = 0;
	if (argc > 1)
		return pi_cli_usage_error("incident", "clear takes at most one ID");
	if (argc == 1) {
		char *end;
		unsigned long v = strtoul(argv[0][0] == '#' ? argv[0] + 1 : argv[0], &end, 10);
		if (*end || v == 0 || v > 1000000)
			return pi_cli_usage_error("incident", "'%s' is not an incident ID (see incident list)", argv[0]);
		id = (unsigned)v;
	}
	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_apply_incident_clear(&c->b, c->plan, NULL, id, &cleared, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	if (c->json)
		print_json(json_pack("{s:s, s:b, s:i}", "lab", c->plan->lab_name, "ok", rc == 0, "cleared", cleared));
	else if (rc == 0)
		printf("cleared %u incident%s in lab %s\n", cleared, cleared == 1 ? "" : "s", c->plan->lab_name);
	return rc ? PI_EXIT_FAIL : PI_EXIT_OK;
}

int pi_cmd_incident(struct pi_cli *cli, int argc, char **argv)
{
	struct inc_cmd c = { 0 };
	int rc = pi_cli_take_format("incident", &argc, &argv, &c.json);
	if (rc)
		return rc;
	if (argc < 1)
		return pi_cli_usage_error("incident", "expected hijack, leak, session-down, list or clear");
	const char *what = argv[0];
	enum pi_incident_kind k;
	bool known = pi_incident_kind_parse(what, &k) == 0 || !strcmp(what, "list") || !strcmp(what, "clear");
	if (!known)
		return pi_cli_usage_error("incident", "unknown action '%s'", what);
	if ((rc = pi_cli_backend(&c.b)))
		return rc;
	if ((rc = pi_cli_current_plan(cli, &c.b, &c.lab, &c.plan)) == 0) {
		if (strcmp(what, "list") == 0)
			rc = argc > 1 ? pi_cli_usage_error("incident", "list takes no argument") : do_list(&c);
		else if (strcmp(what, "clear") == 0)
			rc = do_clear(&c, argc - 1, argv + 1);
		else
			rc = do_add(&c, what, argc - 1, argv + 1);
	}
	pi_plan_free(c.plan);
	pi_lab_free(c.lab);
	pi_backend_close(&c.b);
	return rc;
}
