/*
 * incidents: the model (JSON, checks, which routers change, descriptions),
 * BIRD's incidents.conf for a hijack, a more-specific hijack and a leak in
 * the default lab (labs/lab.yml, looked up by relationships and names, not
 * addresses), and the daemon table's commands and reply checks. The files
 * also go through `bird -p` in the checkers suite.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "common.h"

static struct pi_plan *lab_plan;
static struct pi_lab *lab_model;

static int setup(void **state)
{
	(void)state;
	lab_plan = load_lab_plan("lab", &lab_model);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pi_plan_free(lab_plan);
	pi_lab_free(lab_model);
	return 0;
}

static struct pi_incident hijack(const char *attacker, const char *victim, bool more, bool filtered)
{
	struct pi_incident in = { .id = 1, .kind = PI_INCIDENT_HIJACK, .more_specific = more, .filtered = filtered };
	snprintf(in.attacker, sizeof(in.attacker), "%s", attacker);
	snprintf(in.victim, sizeof(in.victim), "%s", victim);
	return in;
}

static struct pi_incident leak(const char *pod, bool filtered)
{
	struct pi_incident in = { .id = 2, .kind = PI_INCIDENT_LEAK, .filtered = filtered };
	snprintf(in.pod, sizeof(in.pod), "%s", pod);
	return in;
}

static struct pi_incident down(const char *session)
{
	struct pi_incident in = { .id = 3, .kind = PI_INCIDENT_SESSION_DOWN };
	snprintf(in.session, sizeof(in.session), "%s", session);
	return in;
}

static uint32_t node(const char *name)
{
	uint32_t n = pi_plan_node_by_name(lab_plan, name);
	assert_int_not_equal(n, PI_NONE);
	return n;
}

static uint32_t asn(const char *pod)
{
	uint32_t p = pi_plan_pod_by_name(lab_plan, pod);
	assert_int_not_equal(p, PI_NONE);
	return lab_plan->pods[p].asn;
}

/* The first error of checking in, or NULL when it passes; *hint gets its hint. */
static char *check_err(const struct pi_incident *in, char **hint)
{
	struct pi_diag d;
	pi_diag_init(&d);
	int rc = pi_incident_check(lab_plan, in, &d);
	char *msg = NULL;
	if (hint)
		*hint = NULL;
	if (rc) {
		assert_int_equal(rc, -EINVAL);
		const struct pi_diag_entry *e = pi_vec_at(&d.entries, 0);
		msg = strdup(e->msg);
		if (hint)
			*hint = strdup(e->hint ? e->hint : "");
	} else {
		assert_int_equal(pi_diag_count(&d), 0);
	}
	pi_diag_free(&d);
	return msg;
}

static char *incidents_conf(const char *node_name, const struct pi_incident *inc, size_t n)
{
	struct pi_buf b;
	pi_buf_init(&b);
	uint32_t nd = node(node_name);
	pi_router_daemon_of(lab_plan, nd)->render_incidents(lab_plan, nd, inc, n, &b);
	return pi_buf_steal(&b);
}

static void test_near_matches(void **state)
{
	(void)state;
	const char *const words[] = { "transit1", "transit2", "transit3", "broadband1", "ixp1" };
	const char *out[4];
	assert_int_equal(pi_edit_distance("kitten", "sitting"), 3);
	assert_int_equal(pi_near_matches("transit4", words, 5, out, 4), 3);
	assert_string_equal(out[0], "transit1");
	assert_int_equal(pi_near_matches("broadbnd1", words, 5, out, 4), 1);
	assert_string_equal(out[0], "broadband1");
	assert_int_equal(pi_near_matches("broad", words, 5, out, 4), 1); /* a prefix */
	assert_int_equal(pi_near_matches("zzzzzzzz", words, 5, out, 4), 0);
	assert_int_equal(pi_near_matches("transit", words, 5, out, 2), 2); /* capped */
	assert_int_equal(pi_near_matches("ixp1", words, 5, out, 4), 1);    /* exact first */
	assert_string_equal(out[0], "ixp1");
}

static void test_json_round_trip(void **state)
{
	(void)state;
	struct pi_incident in[3] = { hijack("transit2", "broadband1", true, false), leak("broadband1", true),
				     down("ebgp_transit1_broadband1_v4") };
	in[0].since = 1700000000;
	in[2].since = 1700000123;
	struct pi_buf b;
	pi_buf_init(&b);
	assert_int_equal(pi_incidents_to_json(in, 3, &b), 0);
	assert_non_null(strstr(pi_buf_str(&b), "\"kind\": \"session-down\""));
	assert_null(strstr(pi_buf_str(&b), "\"pod\": \"\"")); /* kind-specific keys only */
	struct pi_vec v = PI_VEC_INIT(struct pi_incident);
	struct pi_diag d;
	pi_diag_init(&d);
	assert_int_equal(pi_incidents_from_json(pi_buf_str(&b), "state.json", &v, &d), 0);
	assert_int_equal(v.len, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct pi_incident *a = &in[i], *r = pi_vec_at(&v, i);
		assert_int_equal(a->id, r->id);
		assert_int_equal(a->kind, r->kind);
		assert_string_equal(a->attacker, r->attacker);
		assert_string_equal(a->victim, r->victim);
		assert_int_equal(a->more_specific, r->more_specific);
		assert_string_equal(a->pod, r->pod);
		assert_string_equal(a->session, r->session);
		assert_int_equal(a->filtered, r->filtered);
		assert_true(a->since == r->since);
	}
	/* An empty list. */
	pi_buf_reset(&b);
	assert_int_equal(pi_incidents_to_json(NULL, 0, &b), 0);
	assert_int_equal(pi_incidents_from_json(pi_buf_str(&b), "state.json", &v, &d), 0);
	assert_int_equal(v.len, 3);
	assert_int_equal(pi_diag_count(&d), 0);
	pi_diag_free(&d);
	pi_vec_free(&v);
	pi_buf_free(&b);
}

/* The first error reading text, with its position. */
static void json_err(const char *text, const char *want, unsigned line, const char *want_hint)
{
	struct pi_vec v = PI_VEC_INIT(struct pi_incident);
	struct pi_diag d;
	pi_diag_init(&d);
	assert_int_equal(pi_incidents_from_json(text, "state.json", &v, &d), -EINVAL);
	assert_int_equal(v.len, 0);
	const struct pi_diag_entry *e = pi_vec_at(&d.entries, 0);
	if (!strstr(e->msg, want))
		fail_msg("'%s' lacks '%s'", e->msg, want);
	assert_string_equal(e->pos.file, "state.json");
	assert_int_equal(e->pos.line, line);
	if (want_hint)
		assert_non_null(e->hint && strstr(e->hint, want_hint));
	pi_diag_free(&d);
	pi_vec_free(&v);
}

static void test_json_errors(void **state)
{
	(void)state;
	json_err("[\n  {\"kind\": \"leak\",\n  ]", "not valid JSON", 3, NULL);
	json_err("{}", "must be a JSON array", 0, NULL);
	json_err("[{\"kind\": \"leek\", \"pod\": \"x\"}]", "incident 1: unknown kind \"leek\"", 0, "hijack, leak");
	json_err("[{\"kind\": \"leak\"}]", "incident 1: \"pod\" is missing", 0, NULL);
	json_err("[{\"kind\": \"leak\", \"pod\": \"a\"}, {\"kind\": \"leak\", \"pod\": \"b\", \"filterd\": true}]",
		 "incident 2: unknown key \"filterd\"", 0, "did you mean \"filtered\"?");
	json_err("[{\"kind\": \"hijack\", \"attacker\": \"a\", \"victim\": 3}]", "\"victim\" must be a non-empty string",
		 0, NULL);
	json_err("[{\"kind\": \"leak\", \"pod\": \"a\", \"filtered\": 1}]", "\"filtered\" must be true or false", 0, NULL);
	json_err("[{\"kind\": \"leak\", \"pod\": \"a\", \"id\": -1}]", "\"id\" must be a whole number", 0, NULL);
	json_err("[{\"kind\": \"session-down\", \"session\": \"x\", \"pod\": \"a\"}]", "unknown key \"pod\"", 0, NULL);
}

static void test_check(void **state)
{
	(void)state;
	struct pi_incident in = hijack("transit2", "broadband1", false, false);
	char *hint, *m;
	assert_null(check_err(&in, NULL));
	in = hijack("transit2", "broadband1", true, true);
	assert_null(check_err(&in, NULL));
	in = hijack("transit4", "broadband1", false, false);
	m = check_err(&in, &hint);
	assert_string_equal(m, "hijack: attacker: no pod 'transit4' in lab pocket");
	assert_non_null(strstr(hint, "did you mean 'transit1', 'transit2' or 'transit3'?"));
	free(m), free(hint);
	in = hijack("content1", "content1", false, false);
	m = check_err(&in, NULL);
	assert_string_equal(m, "hijack: content1 cannot hijack its own prefixes");
	free(m);
	in = hijack("ixp1", "content1", false, false);
	m = check_err(&in, NULL);
	assert_non_null(strstr(m, "ixp1 has no border router"));
	free(m);
	in = hijack("content1", "ixp2", false, false);
	m = check_err(&in, NULL);
	assert_non_null(strstr(m, "ixp2 is an IXP"));
	free(m);

	in = leak("broadband1", false);
	assert_null(check_err(&in, NULL));
	in = leak("transit1", false); /* two peers: a leak between them */
	assert_null(check_err(&in, NULL));
	in = leak("broadband4", false); /* one provider only */
	m = check_err(&in, &hint);
	assert_non_null(strstr(m, "leak: broadband4 has 1 provider/peer/IXP neighbour;"));
	assert_non_null(strstr(hint, "pick a pod with two or more, e.g. transit1,"));
	free(m), free(hint);

	in = down("ebgp_transit1_broadband1_v4");
	assert_null(check_err(&in, NULL));
	in = down("ebgp_transit1_broadband1_v5");
	m = check_err(&in, &hint);
	assert_string_equal(m, "session-down: no BGP session 'ebgp_transit1_broadband1_v5' in lab pocket");
	assert_non_null(strstr(hint, "did you mean 'ebgp_transit1_broadband1_v4'"));
	free(m), free(hint);
	in = down("ibgp_border1_border2_v4"); /* in every transit pod */
	m = check_err(&in, &hint);
	assert_non_null(strstr(m, "pods have a session named 'ibgp_border1_border2_v4'"));
	assert_non_null(strstr(hint, "transit1/NAME"));
	free(m), free(hint);
	in = down("transit3/ibgp_border1_border2_v4");
	assert_null(check_err(&in, NULL));
}

static void test_touches(void **state)
{
	(void)state;
	struct pi_incident h = hijack("transit2", "broadband1", false, false);
	/* The attacker's border routers, not its core. */
	assert_true(pi_incident_touches(lab_plan, &h, node("transit2-border1")));
	assert_true(pi_incident_touches(lab_plan, &h, node("transit2-border2")));
	assert_false(pi_incident_touches(lab_plan, &h, node("transit2-core1")));
	/* Its neighbours' routers on sessions with it: peers and customers. */
	assert_true(pi_incident_touches(lab_plan, &h, node("transit1-border1")));
	assert_true(pi_incident_touches(lab_plan, &h, node("transit3-border2")));
	assert_true(pi_incident_touches(lab_plan, &h, node("broadband3-border1")));
	assert_true(pi_incident_touches(lab_plan, &h, node("content2-border1")));
	assert_false(pi_incident_touches(lab_plan, &h, node("transit1-border2")));
	assert_false(pi_incident_touches(lab_plan, &h, node("broadband1-border1")));
	assert_false(pi_incident_touches(lab_plan, &h, node("ixp1-rs1")));
	assert_false(pi_incident_touches(lab_plan, &h, node("broadband1-sub1")));
	/* Filtered: only the attacker changes. */
	h.filtered = true;
	assert_true(pi_incident_touches(lab_plan, &h, node("transit2-border1")));
	assert_false(pi_incident_touches(lab_plan, &h, node("transit1-border1")));

	/* A leak by an IXP member reaches the route server and the other members. */
	struct pi_incident l = leak("content3", false);
	assert_true(pi_incident_touches(lab_plan, &l, node("content3-border1")));
	assert_true(pi_incident_touches(lab_plan, &l, node("ixp1-rs1")));
	assert_true(pi_incident_touches(lab_plan, &l, node("broadband2-border1")));
	assert_true(pi_incident_touches(lab_plan, &l, node("transit1-border2")));
	assert_false(pi_incident_touches(lab_plan, &l, node("ixp2-rs1")));

	struct pi_incident s = down("ebgp_transit1_broadband1_v4");
	assert_true(pi_incident_touches(lab_plan, &s, node("transit1-border1")));
	assert_true(pi_incident_touches(lab_plan, &s, node("broadband1-border1")));
	assert_false(pi_incident_touches(lab_plan, &s, node("transit3-border1")));
	s = down("nonesuch");
	assert_false(pi_incident_touches(lab_plan, &s, node("transit1-border1")));
}

static void test_describe(void **state)
{
	(void)state;
	char buf[512], want[512];
	struct pi_incident h = hijack("transit2", "broadband1", false, false);
	pi_incident_describe(lab_plan, &h, buf, sizeof(buf));
	const struct pi_plan_pod *v = &lab_plan->pods[pi_plan_pod_by_name(lab_plan, "broadband1")];
	char p4[PI_PREFIX_STRLEN], p6[PI_PREFIX_STRLEN];
	snprintf(want, sizeof(want),
		 "#1 hijack: transit2 (AS %u) announces broadband1's prefixes %s, %s (its neighbours forgot to filter)",
		 asn("transit2"), pi_prefix_fmt(&v->v4, p4), pi_prefix_fmt(&v->v6, p6));
	assert_string_equal(buf, want);
	pi_incident_describe(NULL, &h, buf, sizeof(buf));
	assert_string_equal(buf, "#1 hijack: transit2 announces broadband1's prefixes (its neighbours forgot to filter)");
	struct pi_incident l = leak("broadband1", true);
	l.id = 0;
	pi_incident_describe(lab_plan, &l, buf, sizeof(buf));
	assert_non_null(strstr(buf, "leak: broadband1 (AS "));
	assert_non_null(strstr(buf, "(they filter them)"));
	struct pi_incident s = down("ebgp_transit1_broadband1_v4");
	pi_incident_describe(lab_plan, &s, buf, sizeof(buf));
	assert_string_equal(buf, "#3 session-down: ebgp_transit1_broadband1_v4 (transit1-border1 -- broadband1-border1)");
}

static void test_bird_hijack(void **state)
{
	(void)state;
	const struct pi_plan_pod *v = &lab_plan->pods[pi_plan_pod_by_name(lab_plan, "broadband1")];
	char p4[PI_PREFIX_STRLEN], p6[PI_PREFIX_STRLEN], want[256];
	pi_prefix_fmt(&v->v4, p4);
	pi_prefix_fmt(&v->v6, p6);
	struct pi_incident h = hijack("transit2", "broadband1", false, false);
	char *c = incidents_conf("transit2-border1", &h, 1);
	snprintf(want, sizeof(want), "\troute %s unreachable;\t# incident #1: hijack of broadband1\n", p4);
	assert_non_null(strstr(c, want));
	snprintf(want, sizeof(want), "\troute %s unreachable;", p6);
	assert_non_null(strstr(c, want));
	assert_non_null(strstr(c, "#   #1 hijack: transit2"));
	assert_non_null(strstr(c, "define INCIDENT_LIMIT_EXTRA = 0;"));
	free(c);
	/* A peer of the attacker forgets to filter it. */
	c = incidents_conf("transit1-border1", &h, 1);
	snprintf(want, sizeof(want), "\tif bgp_path.first = %u && net ~ [ %s ] then return true;", asn("transit2"), p4);
	assert_non_null(strstr(c, want));
	assert_null(strstr(c, "unreachable;"));
	free(c);
	/* Filtered: the peer's file is the no-op one. */
	h.filtered = true;
	c = incidents_conf("transit1-border1", &h, 1);
	char *none = incidents_conf("transit1-border1", NULL, 0);
	assert_string_equal(c, none);
	assert_non_null(strstr(none, "No incident changes this router"));
	free(c);
	free(none);
	/* More specific: both halves, in the attacker's statics and the neighbours' sets. */
	h = hijack("transit2", "broadband1", true, false);
	struct pi_prefix half;
	char h0[PI_PREFIX_STRLEN], h1[PI_PREFIX_STRLEN];
	assert_int_equal(pi_prefix_subnet(&v->v4, v->v4.len + 1u, 0, &half), 0);
	pi_prefix_fmt(&half, h0);
	assert_int_equal(pi_prefix_subnet(&v->v4, v->v4.len + 1u, 1, &half), 0);
	pi_prefix_fmt(&half, h1);
	c = incidents_conf("transit2-border2", &h, 1);
	snprintf(want, sizeof(want), "\troute %s unreachable;", h0);
	assert_non_null(strstr(c, want));
	snprintf(want, sizeof(want), "\troute %s unreachable;", h1);
	assert_non_null(strstr(c, want));
	snprintf(want, sizeof(want), "\troute %s unreachable;", p4);
	assert_null(strstr(c, want));
	free(c);
	c = incidents_conf("content2-border1", &h, 1);
	snprintf(want, sizeof(want), "net ~ [ %s, %s ] then return true;", h0, h1);
	assert_non_null(strstr(c, want));
	free(c);
}

static void test_bird_leak(void **state)
{
	(void)state;
	struct pi_incident l = leak("broadband1", false);
	char *c = incidents_conf("broadband1-border1", &l, 1);
	assert_non_null(strstr(c, "\treturn (MY_AS, 1, FROM_PROVIDER) ~ bgp_large_community ||\n"
				  "\t\t(MY_AS, 1, FROM_PEER) ~ bgp_large_community;"));
	assert_null(strstr(c, "bgp_path.first"));
	free(c);
	char want[128];
	c = incidents_conf("transit3-border1", &l, 1);
	snprintf(want, sizeof(want), "\tif bgp_path.first = %u then return true;\t# incident #2: leak by broadband1",
		 asn("broadband1"));
	assert_non_null(strstr(c, want));
	snprintf(want, sizeof(want), "define INCIDENT_LIMIT_EXTRA = %u;", PI_PLAN_PROVIDER_LIMIT);
	assert_non_null(strstr(c, want));
	assert_non_null(strstr(c, "function incident_leak4()\n{\n\treturn false;"));
	free(c);
	/* Two incidents at once: each where it belongs. */
	struct pi_incident both[2] = { hijack("transit2", "broadband1", false, false), leak("broadband1", false) };
	c = incidents_conf("transit1-border1", both, 2);
	assert_non_null(strstr(c, "# incident #1: hijack by transit2"));
	assert_non_null(strstr(c, "# incident #2: leak by broadband1"));
	free(c);
}

static void test_daemon_commands(void **state)
{
	(void)state;
	const struct pi_router_daemon *d = &pi_router_bird;
	char buf[128], why[256];
	uint32_t s = PI_NONE;
	for (uint32_t i = 0; i < lab_plan->n_sessions; i++)
		if (strcmp(lab_plan->sessions[i].name, "ebgp_transit1_broadband1_v4") == 0)
			s = i;
	assert_int_not_equal(s, PI_NONE);
	d->disable_cmd(lab_plan, s, lab_plan->sessions[s].a, buf, sizeof(buf));
	assert_string_equal(buf, "disable ebgp_transit1_broadband1_v4");
	d->enable_cmd(lab_plan, s, lab_plan->sessions[s].b, buf, sizeof(buf));
	assert_string_equal(buf, "enable ebgp_transit1_broadband1_v4");
	assert_string_equal(d->reconfigure_cmd, "configure");
	assert_string_equal(d->incidents_file, "incidents.conf");
	assert_string_equal(d->incidents_path, PI_NODE_CONF_DIR "/incidents.conf");
	/* The file render writes is the no-incident one. */
	struct pi_render_set set;
	pi_render_set_init(&set);
	pi_render_node(lab_plan, node("transit1-border1"), &set);
	const struct pi_render_file *f = pi_render_set_find(&set, d->incidents_file);
	assert_non_null(f);
	char *none = incidents_conf("transit1-border1", NULL, 0);
	assert_string_equal(f->data, none);
	free(none);
	const struct pi_render_file *bc = pi_render_set_find(&set, "bird.conf");
	assert_non_null(strstr(bc->data, "include \"" PI_NODE_CONF_DIR "/incidents.conf\";"));
	pi_render_set_free(&set);

	static const char ok[] = "0002-Reading configuration from /etc/pocketinternet/bird.conf\n0003 Reconfigured\n";
	assert_int_equal(d->ctl_reply_check(ok, strlen(ok), why, sizeof(why)), 0);
	static const char bad[] = "0002-Reading configuration from /etc/pocketinternet/bird.conf\n"
				  "8002 /etc/pocketinternet/incidents.conf:4:1 syntax error, unexpected PROTOCOL\n";
	assert_int_equal(d->ctl_reply_check(bad, strlen(bad), why, sizeof(why)), -EPROTO);
	assert_non_null(strstr(why, "incidents.conf:4:1 syntax error"));
	static const char busy[] = "0005 Reconfiguration already in progress, queueing new config\n";
	assert_int_equal(d->ctl_reply_check(busy, strlen(busy), why, sizeof(why)), -EBUSY);
	/* Genuine BIRD 2.0.12 replies to disable and enable (and a typo). */
	static const char dis[] = "0009-up4: disabled\n0000 \n";
	assert_int_equal(d->ctl_reply_check(dis, strlen(dis), why, sizeof(why)), 0);
	assert_non_null(strstr(why, "up4: disabled"));
	static const char again[] = "0008-up4: already disabled\n0000 \n";
	assert_int_equal(d->ctl_reply_check(again, strlen(again), why, sizeof(why)), 0);
	static const char en[] = "0010-up4: already enabled\n0000 \n";
	assert_int_equal(d->ctl_reply_check(en, strlen(en), why, sizeof(why)), 0);
	static const char typo[] = "9001 syntax error, unexpected CF_SYM_UNDEFINED, expecting CF_SYM_KNOWN or TEXT or ALL\n";
	assert_int_equal(d->ctl_reply_check(typo, strlen(typo), why, sizeof(why)), -EPROTO);
	assert_non_null(strstr(why, "syntax error"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_near_matches),	cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_errors),	cmocka_unit_test(test_check),
		cmocka_unit_test(test_touches),		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_bird_hijack),	cmocka_unit_test(test_bird_leak),
		cmocka_unit_test(test_daemon_commands),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
