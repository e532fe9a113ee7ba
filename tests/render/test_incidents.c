/*
 * incidents: the model (JSON, checks, which routers change, descriptions),
 * BIRD's incidents.conf for a hijack, a more-specific hijack and a leak in
 * the default lab (labs/lab.yml; the pods of touches and the BIRD files are
 * chosen by their relationships in the plan, not by name, so the tests
 * survive a new topology), and the daemon table's commands and reply checks. The files
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

/* ---- picking pods and routers by relationship ---- */

static bool has_rel(uint32_t a, uint32_t b, enum pi_rel rel)
{
	for (uint32_t i = 0; i < lab_plan->n_rels; i++)
		if (lab_plan->rels[i].a == a && lab_plan->rels[i].b == b && lab_plan->rels[i].rel == rel)
			return true;
	return false;
}

/* Are pods x and y members of one IXP (peers through its route server)? */
static bool ixp_fellows(uint32_t x, uint32_t y)
{
	for (uint32_t i = 0; i < lab_plan->n_pods; i++)
		if (x != y && has_rel(x, i, PI_REL_RS) && has_rel(y, i, PI_REL_RS))
			return true;
	return false;
}

static const char *pname(uint32_t pod)
{
	return lab_plan->pods[pod].name;
}

static uint32_t pod_of_node(uint32_t n)
{
	return lab_plan->nodes[n].pod;
}

static bool is_border(uint32_t n)
{
	return (lab_plan->nodes[n].services & PI_SVC_EBGP) != 0;
}

/* The other end of session s, seen from node n. */
static uint32_t other_end(uint32_t s, uint32_t n)
{
	const struct pi_plan_session *ss = &lab_plan->sessions[s];
	return ss->a == n ? ss->b : ss->a;
}

/* A router of pod `pod` with an eBGP session (not through a route server) with a node of pod `with`. */
static uint32_t router_facing(uint32_t pod, uint32_t with)
{
	for (uint32_t i = 0; i < lab_plan->n_sessions; i++) {
		const struct pi_plan_session *s = &lab_plan->sessions[i];
		if (s->rel == PI_REL_IBGP || s->rel == PI_REL_RS || s->rel == PI_REL_RS_CLIENT)
			continue;
		if (pod_of_node(s->a) == pod && pod_of_node(s->b) == with)
			return s->a;
		if (pod_of_node(s->b) == pod && pod_of_node(s->a) == with)
			return s->b;
	}
	return PI_NONE;
}

static uint32_t border_of(uint32_t pod)
{
	const struct pi_plan_pod *p = &lab_plan->pods[pod];
	for (uint32_t n = p->first_node; n < p->first_node + p->n_nodes; n++)
		if (is_border(n))
			return n;
	fail_msg("pod %s has no border router", p->name);
	return PI_NONE;
}

/* The hijack the tests use: a transit attacker with a transit peer, a stub
 * fellow IXP member that is not its customer (reached only through the
 * route server), and a victim stub that is neither its customer nor an IXP
 * fellow (so no router of the victim is its neighbour). */
struct hijack_pick {
	uint32_t attacker, victim, peer, fellow;
};

static bool stub_not_customer(uint32_t a, uint32_t v)
{
	return lab_plan->pods[v].tier == PI_TIER_STUB && !has_rel(a, v, PI_REL_CUSTOMER) &&
	       router_facing(v, a) == PI_NONE;
}

static struct hijack_pick pick_hijack(void)
{
	struct hijack_pick h = { PI_NONE, PI_NONE, PI_NONE, PI_NONE };
	for (uint32_t a = 0; a < lab_plan->n_pods; a++) {
		if (lab_plan->pods[a].tier != PI_TIER_TRANSIT)
			continue;
		h = (struct hijack_pick){ a, PI_NONE, PI_NONE, PI_NONE };
		for (uint32_t o = 0; o < lab_plan->n_pods; o++) {
			if (h.peer == PI_NONE && (has_rel(a, o, PI_REL_PEER) || has_rel(o, a, PI_REL_PEER)))
				h.peer = o;
			if (h.fellow == PI_NONE && stub_not_customer(a, o) && ixp_fellows(a, o))
				h.fellow = o;
			if (h.victim == PI_NONE && stub_not_customer(a, o) && !ixp_fellows(a, o))
				h.victim = o;
		}
		if (h.peer != PI_NONE && h.fellow != PI_NONE && h.victim != PI_NONE)
			return h;
	}
	fail_msg("the default lab has no transit pod with a peer, a stub IXP fellow and a stub it does not serve");
	return h;
}

/* The first stub with two providers (the classic leak). */
static uint32_t pick_multihomed(uint32_t *p1, uint32_t *p2)
{
	for (uint32_t s = 0; s < lab_plan->n_pods; s++) {
		unsigned n = 0;
		for (uint32_t t = 0; t < lab_plan->n_pods; t++)
			if (has_rel(t, s, PI_REL_CUSTOMER))
				*(n++ ? p2 : p1) = t;
		if (n == 2 && lab_plan->pods[s].tier == PI_TIER_STUB)
			return s;
	}
	fail_msg("the default lab has no stub with exactly two providers");
	return PI_NONE;
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

/* Which routers a hijack by h.attacker touches: its borders, not its other
 * routers; every router on the far end of one of its eBGP and route server
 * sessions; fellow IXP members through the route server; nobody of the
 * victim's. Filtered: only the attacker's borders. */
static void touches_hijack(const struct hijack_pick *p)
{
	struct pi_incident h = hijack(pname(p->attacker), pname(p->victim), false, false);
	const struct pi_plan_pod *a = &lab_plan->pods[p->attacker], *v = &lab_plan->pods[p->victim];
	unsigned borders = 0, inner = 0, far = 0;
	for (uint32_t n = a->first_node; n < a->first_node + a->n_nodes; n++) {
		if (!pi_router_daemon_of(lab_plan, n))
			continue;
		assert_int_equal(pi_incident_touches(lab_plan, &h, n), is_border(n));
		*(is_border(n) ? &borders : &inner) += 1;
		const struct pi_plan_node *me = &lab_plan->nodes[n];
		for (uint32_t k = 0; k < me->n_session_idx; k++) {
			uint32_t s = me->session_idx[k], o = other_end(s, n);
			if (lab_plan->sessions[s].rel == PI_REL_IBGP)
				continue;
			if (!pi_incident_touches(lab_plan, &h, o))
				fail_msg("hijack by %s: %s (session %s) untouched", a->name, lab_plan->nodes[o].name,
					 lab_plan->sessions[s].name);
			far++;
		}
	}
	assert_true(borders > 0 && inner > 0 && far > 0);
	uint32_t peer = router_facing(p->peer, p->attacker);
	assert_int_not_equal(peer, PI_NONE);
	assert_true(pi_incident_touches(lab_plan, &h, peer));
	assert_true(pi_incident_touches(lab_plan, &h, border_of(p->fellow))); /* through the route server */
	for (uint32_t n = v->first_node; n < v->first_node + v->n_nodes; n++)
		assert_false(pi_incident_touches(lab_plan, &h, n));
	/* Filtered: only the attacker changes. */
	h.filtered = true;
	for (uint32_t n = 0; n < lab_plan->n_nodes; n++)
		assert_int_equal(pi_incident_touches(lab_plan, &h, n),
				 pod_of_node(n) == p->attacker && is_border(n) && pi_router_daemon_of(lab_plan, n));
}

/* A leak by a stub IXP member reaches its route server, the other members
 * and its providers, not the route server of an IXP it is not in. */
static void touches_leak(void)
{
	uint32_t l = PI_NONE, in = PI_NONE, out = PI_NONE;
	for (uint32_t i = 0; i < lab_plan->n_rels && l == PI_NONE; i++) {
		const struct pi_plan_rel *r = &lab_plan->rels[i];
		if (r->rel != PI_REL_RS || lab_plan->pods[r->a].tier != PI_TIER_STUB)
			continue;
		for (uint32_t x = 0; x < lab_plan->n_pods; x++)
			if (lab_plan->pods[x].tier == PI_TIER_IXP && !has_rel(r->a, x, PI_REL_RS))
				l = r->a, in = r->b, out = x;
	}
	if (l == PI_NONE)
		fail_msg("the default lab has no stub IXP member with an IXP it is not in");
	struct pi_incident lk = leak(pname(l), false);
	assert_true(pi_incident_touches(lab_plan, &lk, border_of(l)));
	assert_true(pi_incident_touches(lab_plan, &lk, lab_plan->pods[in].first_node));
	assert_false(pi_incident_touches(lab_plan, &lk, lab_plan->pods[out].first_node));
	unsigned fellows = 0, providers = 0;
	for (uint32_t o = 0; o < lab_plan->n_pods; o++) {
		if (o != l && has_rel(o, in, PI_REL_RS)) {
			uint32_t r = PI_NONE; /* o's router on in's route server */
			for (uint32_t s = 0; s < lab_plan->n_sessions; s++)
				if (lab_plan->sessions[s].rel == PI_REL_RS && pod_of_node(lab_plan->sessions[s].a) == o &&
				    pod_of_node(lab_plan->sessions[s].b) == in)
					r = lab_plan->sessions[s].a;
			assert_int_not_equal(r, PI_NONE);
			assert_true(pi_incident_touches(lab_plan, &lk, r));
			fellows++;
		}
		if (has_rel(o, l, PI_REL_CUSTOMER)) {
			assert_true(pi_incident_touches(lab_plan, &lk, router_facing(o, l)));
			providers++;
		}
	}
	assert_true(fellows > 0 && providers > 0);
}

static void test_touches(void **state)
{
	(void)state;
	struct hijack_pick p = pick_hijack();
	touches_hijack(&p);
	/* Routers without a daemon never change. */
	for (uint32_t n = 0; n < lab_plan->n_nodes; n++) {
		struct pi_incident h = hijack(pname(p.attacker), pname(p.victim), false, false);
		if (!pi_router_daemon_of(lab_plan, n))
			assert_false(pi_incident_touches(lab_plan, &h, n));
	}
	touches_leak();

	/* Session down: its two ends only. */
	uint32_t s = PI_NONE;
	for (uint32_t i = 0; i < lab_plan->n_sessions && s == PI_NONE; i++)
		if (lab_plan->sessions[i].rel == PI_REL_CUSTOMER)
			s = i;
	assert_int_not_equal(s, PI_NONE);
	struct pi_incident sd = down(lab_plan->sessions[s].name);
	for (uint32_t n = 0; n < lab_plan->n_nodes; n++)
		assert_int_equal(pi_incident_touches(lab_plan, &sd, n),
				 n == lab_plan->sessions[s].a || n == lab_plan->sessions[s].b);
	sd = down("nonesuch");
	assert_false(pi_incident_touches(lab_plan, &sd, lab_plan->sessions[s].a));
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

static char *incidents_conf_of(uint32_t nd, const struct pi_incident *inc, size_t n)
{
	assert_int_not_equal(nd, PI_NONE);
	return incidents_conf(lab_plan->nodes[nd].name, inc, n);
}

static void test_bird_hijack(void **state)
{
	(void)state;
	struct hijack_pick p = pick_hijack();
	const char *att = pname(p.attacker), *vic = pname(p.victim);
	const struct pi_plan_pod *v = &lab_plan->pods[p.victim], *a = &lab_plan->pods[p.attacker];
	char p4[PI_PREFIX_STRLEN], p6[PI_PREFIX_STRLEN], want[256];
	pi_prefix_fmt(&v->v4, p4);
	pi_prefix_fmt(&v->v6, p6);
	struct pi_incident h = hijack(att, vic, false, false);
	/* Every border of the attacker originates the victim's aggregates. */
	unsigned borders = 0;
	for (uint32_t n = a->first_node; n < a->first_node + a->n_nodes; n++) {
		if (!is_border(n))
			continue;
		char *c = incidents_conf_of(n, &h, 1);
		snprintf(want, sizeof(want), "\troute %s unreachable;\t# incident #1: hijack of %s\n", p4, vic);
		assert_non_null(strstr(c, want));
		snprintf(want, sizeof(want), "\troute %s unreachable;", p6);
		assert_non_null(strstr(c, want));
		snprintf(want, sizeof(want), "#   #1 hijack: %s (AS %u)", att, a->asn);
		assert_non_null(strstr(c, want));
		assert_non_null(strstr(c, "define INCIDENT_LIMIT_EXTRA = 0;"));
		free(c);
		borders++;
	}
	assert_true(borders > 0);
	/* A peer of the attacker forgets to filter it. */
	uint32_t peer = router_facing(p.peer, p.attacker);
	char *c = incidents_conf_of(peer, &h, 1);
	snprintf(want, sizeof(want), "\tif bgp_path.first = %u && net ~ [ %s ] then return true;", a->asn, p4);
	assert_non_null(strstr(c, want));
	snprintf(want, sizeof(want), "\tif bgp_path.first = %u && net ~ [ %s ] then return true;", a->asn, p6);
	assert_non_null(strstr(c, want));
	assert_null(strstr(c, "unreachable;"));
	free(c);
	/* Filtered: the peer's file is the no-op one. */
	h.filtered = true;
	c = incidents_conf_of(peer, &h, 1);
	char *none = incidents_conf_of(peer, NULL, 0);
	assert_string_equal(c, none);
	assert_non_null(strstr(none, "No incident changes this router"));
	free(c);
	free(none);
	/* More specific: both halves, in the attacker's statics and the neighbours' sets. */
	h = hijack(att, vic, true, false);
	struct pi_prefix half;
	char h0[PI_PREFIX_STRLEN], h1[PI_PREFIX_STRLEN];
	assert_int_equal(pi_prefix_subnet(&v->v4, v->v4.len + 1u, 0, &half), 0);
	pi_prefix_fmt(&half, h0);
	assert_int_equal(pi_prefix_subnet(&v->v4, v->v4.len + 1u, 1, &half), 0);
	pi_prefix_fmt(&half, h1);
	c = incidents_conf_of(border_of(p.attacker), &h, 1);
	snprintf(want, sizeof(want), "\troute %s unreachable;", h0);
	assert_non_null(strstr(c, want));
	snprintf(want, sizeof(want), "\troute %s unreachable;", h1);
	assert_non_null(strstr(c, want));
	snprintf(want, sizeof(want), "\troute %s unreachable;", p4);
	assert_null(strstr(c, want));
	free(c);
	/* A fellow IXP member hears it through the route server only. */
	c = incidents_conf_of(border_of(p.fellow), &h, 1);
	snprintf(want, sizeof(want), "if bgp_path.first = %u && net ~ [ %s, %s ] then return true;", a->asn, h0, h1);
	assert_non_null(strstr(c, want));
	free(c);
}

static void test_bird_leak(void **state)
{
	(void)state;
	uint32_t p1 = PI_NONE, p2 = PI_NONE;
	uint32_t m = pick_multihomed(&p1, &p2);
	const char *lk = pname(m);
	struct pi_incident l = leak(lk, false);
	char *c = incidents_conf_of(border_of(m), &l, 1);
	assert_non_null(strstr(c, "\treturn (MY_AS, 1, FROM_PROVIDER) ~ bgp_large_community ||\n"
				  "\t\t(MY_AS, 1, FROM_PEER) ~ bgp_large_community;"));
	assert_null(strstr(c, "bgp_path.first"));
	free(c);
	/* Both providers accept the leak, with their limits lifted. */
	char want[128];
	const uint32_t provs[] = { p1, p2 };
	for (size_t i = 0; i < 2; i++) {
		c = incidents_conf_of(router_facing(provs[i], m), &l, 1);
		snprintf(want, sizeof(want), "\tif bgp_path.first = %u then return true;\t# incident #2: leak by %s",
			 lab_plan->pods[m].asn, lk);
		assert_non_null(strstr(c, want));
		snprintf(want, sizeof(want), "define INCIDENT_LIMIT_EXTRA = %u;", PI_PLAN_PROVIDER_LIMIT);
		assert_non_null(strstr(c, want));
		assert_non_null(strstr(c, "function incident_leak4()\n{\n\treturn false;"));
		free(c);
	}
	/* Filtered: the providers' files are the no-op ones. */
	l.filtered = true;
	c = incidents_conf_of(router_facing(p1, m), &l, 1);
	char *none = incidents_conf_of(router_facing(p1, m), NULL, 0);
	assert_string_equal(c, none);
	free(c);
	free(none);
	/* Two incidents at once: each where it belongs, on a router both touch. */
	struct hijack_pick p = pick_hijack();
	struct pi_incident both[2] = { hijack(pname(p.attacker), pname(p.victim), false, false), leak(lk, false) };
	unsigned n_both = 0;
	for (uint32_t n = 0; n < lab_plan->n_nodes; n++) {
		if (!pi_incident_touches(lab_plan, &both[0], n) || !pi_incident_touches(lab_plan, &both[1], n) ||
		    pod_of_node(n) == m)
			continue;
		c = incidents_conf_of(n, both, 2);
		assert_non_null(strstr(c, "# incident #1: hijack "));
		snprintf(want, sizeof(want), "# incident #2: leak by %s", lk);
		assert_non_null(strstr(c, want));
		free(c);
		n_both++;
	}
	assert_true(n_both > 0);
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
