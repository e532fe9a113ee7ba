/*
 * monitor: the pure detection (monitor_detect.c) driven interval by
 * interval with made-up observations: loss, latency against a fixed
 * threshold and against the pair's baseline, a path change and its two
 * ways to end, DNS and HTTP failures, sessions going down (and the
 * baseline of the first interval), the BGP change that explains a
 * failure, JSON and text of events, statistics; and the default pairs of
 * the default lab (pi_monitor_pairs). No root, no Docker.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "pocketinternet/apply.h"
#include "pocketinternet/lab.h"

static const char *const pods[] = { "stub1", "transit1", "transit2", "content1", "ixp1" };
static const char *const nodes[] = { "stub1-sub1", "content1-web1", "content1-dns1", "transit1-border1" };

/* Pair 0: stub1-sub1 -> content1-web1 (web); pair 1: -> content1-dns1. */
static const struct pi_mon_pair pairs[2] = {
	{ .from = 0, .to = 1, .web = true, .name = "web1.content1.pocket." },
	{ .from = 0, .to = 2, .web = false, .name = "dns1.content1.pocket." },
};
/* Session 0: stub1-transit1 (on the path), 1: transit2-content1 (not). */
static const struct pi_mon_session sess[2] = {
	{ .name = "ebgp_stub1_transit1_v4", .pod = { 0, 1 } },
	{ .name = "ebgp_transit2_content1_v4", .pod = { 2, 3 } },
};

static struct pi_mon_path path_of(const uint32_t *as, unsigned n)
{
	struct pi_mon_path p = { .as_known = true, .as_route = n > 0, .n_as = n, .trace_known = true,
				 .trace_reached = n > 0, .n_trace = n };
	for (unsigned i = 0; i < n; i++)
		p.as_pods[i] = p.trace_pods[i] = as[i];
	return p;
}

static const uint32_t via_t1[] = { 0, 1, 3 };
static const uint32_t via_t2[] = { 0, 2, 3 };

/* A healthy interval for both pairs on path via_t1, RTT rtt. */
static void healthy(struct pi_mon_obs *o, double rtt)
{
	for (int i = 0; i < 2; i++) {
		memset(&o[i], 0, sizeof(o[i]));
		o[i].sent = o[i].received = 3;
		o[i].rtt_ms = rtt;
		o[i].dns_checked = o[i].dns_ok = true;
		o[i].http_checked = o[i].http_ok = i == 0;
		o[i].path = path_of(via_t1, 3);
	}
}

static struct pi_mon_detect *new_detect(const struct pi_mon_detect_opts *extra)
{
	struct pi_mon_detect_opts o = { .pod_names = pods, .node_names = nodes };
	if (extra) {
		o.loss_pct = extra->loss_pct;
		o.latency_ms = extra->latency_ms;
		o.baseline_factor = extra->baseline_factor;
		o.settle = extra->settle;
	}
	return pi_mon_detect_new(pairs, 2, sess, 2, &o);
}

static const struct pi_mon_event *ev(const struct pi_vec *v, size_t i)
{
	return pi_vec_at(v, i);
}

/* n healthy intervals from time t0, one second apart, every session up. */
static void run_healthy(struct pi_mon_detect *d, double t0, unsigned n, struct pi_vec *out)
{
	static const bool up[2] = { true, true };
	struct pi_mon_obs o[2];
	for (unsigned k = 0; k < n; k++) {
		healthy(o, 10);
		pi_mon_detect_step(d, t0 + k, o, up, out);
	}
}

static void test_healthy_no_events(void **state)
{
	(void)state;
	struct pi_mon_detect *d = new_detect(NULL);
	struct pi_vec out = PI_VEC_INIT(struct pi_mon_event);
	run_healthy(d, 100, 10, &out);
	assert_int_equal(out.len, 0);
	struct pi_mon_pair_stats st;
	pi_mon_detect_stats(d, 0, &st);
	assert_int_equal(st.samples, 10);
	assert_true(st.mean_ms > 9.99 && st.mean_ms < 10.01);
	assert_int_equal(st.events, 0);
	assert_int_equal(pi_mon_detect_open(d, &out), 0);
	pi_vec_free(&out);
	pi_mon_detect_free(d);
}

static void test_loss_threshold(void **state)
{
	(void)state;
	struct pi_mon_detect *d = new_detect(&(struct pi_mon_detect_opts){ .loss_pct = 50 });
	struct pi_vec out = PI_VEC_INIT(struct pi_mon_event);
	run_healthy(d, 0, 3, &out);
	struct pi_mon_obs o[2];
	healthy(o, 10);
	o[1].received = 2; /* 33%: under 50, no event */
	assert_int_equal(pi_mon_detect_step(d, 3, o, NULL, &out), 0);
	healthy(o, 10);
	o[1].received = 1; /* 67% */
	assert_int_equal(pi_mon_detect_step(d, 4, o, NULL, &out), 1);
	assert_int_equal(ev(&out, 0)->check, PI_MON_LOSS);
	assert_int_equal(ev(&out, 0)->pair, 1);
	assert_int_equal(ev(&out, 0)->to, 2);
	assert_true(ev(&out, 0)->recovered_at == 0);
	assert_non_null(strstr(ev(&out, 0)->what, "67%"));
	healthy(o, 10);
	o[1].received = 1; /* still lossy: no second event */
	assert_int_equal(pi_mon_detect_step(d, 5, o, NULL, &out), 0);
	healthy(o, 10);
	assert_int_equal(pi_mon_detect_step(d, 6, o, NULL, &out), 1);
	assert_true(ev(&out, 1)->recovered_at == 6);
	assert_int_equal(ev(&out, 1)->id, ev(&out, 0)->id);
	assert_true(ev(&out, 1)->start == 4);
	pi_vec_free(&out);
	pi_mon_detect_free(d);
}

static void test_latency_baseline_and_fixed(void **state)
{
	(void)state;
	struct pi_mon_detect *d = new_detect(NULL); /* factor 5, no fixed threshold */
	struct pi_vec out = PI_VEC_INIT(struct pi_mon_event);
	struct pi_mon_obs o[2];
	healthy(o, 200); /* no baseline yet: 200 ms is no event */
	assert_int_equal(pi_mon_detect_step(d, 0, o, NULL, &out), 0);
	run_healthy(d, 1, 5, &out); /* baseline median 10 ms (with the 200) */
	healthy(o, 45); /* under 5 x 10 */
	assert_int_equal(pi_mon_detect_step(d, 6, o, NULL, &out), 0);
	healthy(o, 60);
	o[1].rtt_ms = 10;
	assert_int_equal(pi_mon_detect_step(d, 7, o, NULL, &out), 1);
	assert_int_equal(ev(&out, 0)->check, PI_MON_LATENCY);
	assert_int_equal(ev(&out, 0)->pair, 0);
	pi_mon_detect_free(d);

	/* A fixed threshold below the baseline's factor wins. */
	d = new_detect(&(struct pi_mon_detect_opts){ .latency_ms = 20 });
	out.len = 0;
	healthy(o, 25); /* no baseline needed for the fixed threshold */
	assert_int_equal(pi_mon_detect_step(d, 0, o, NULL, &out), 2);
	assert_int_equal(ev(&out, 0)->check, PI_MON_LATENCY);
	assert_int_equal(ev(&out, 1)->check, PI_MON_LATENCY);
	pi_vec_free(&out);
	pi_mon_detect_free(d);
}

static void test_dns_http(void **state)
{
	(void)state;
	struct pi_mon_detect *d = new_detect(NULL);
	struct pi_vec out = PI_VEC_INIT(struct pi_mon_event);
	run_healthy(d, 0, 2, &out);
	struct pi_mon_obs o[2];
	healthy(o, 10);
	o[0].http_ok = false;
	snprintf(o[0].http_detail, sizeof(o[0].http_detail), "status 503");
	o[1].dns_ok = false;
	snprintf(o[1].dns_detail, sizeof(o[1].dns_detail), "SERVFAIL");
	assert_int_equal(pi_mon_detect_step(d, 2, o, NULL, &out), 2);
	assert_int_equal(ev(&out, 0)->check, PI_MON_HTTP);
	assert_non_null(strstr(ev(&out, 0)->what, "503"));
	assert_int_equal(ev(&out, 1)->check, PI_MON_DNS);
	assert_non_null(strstr(ev(&out, 1)->what, "SERVFAIL"));
	healthy(o, 10);
	o[0].http_checked = false; /* not checked: stays open */
	assert_int_equal(pi_mon_detect_step(d, 3, o, NULL, &out), 1);
	assert_int_equal(ev(&out, 2)->check, PI_MON_DNS);
	assert_true(ev(&out, 2)->recovered_at == 3);
	out.len = 0;
	assert_int_equal(pi_mon_detect_open(d, &out), 1);
	assert_int_equal(ev(&out, 0)->check, PI_MON_HTTP);
	pi_vec_free(&out);
	pi_mon_detect_free(d);
}

/* The stub's only uplink goes down: no route, nothing answers, its session
 * is down; events name the old and new paths and the session. */
static void test_path_change_explained_by_session(void **state)
{
	(void)state;
	struct pi_mon_detect *d = new_detect(NULL);
	struct pi_vec out = PI_VEC_INIT(struct pi_mon_event);
	run_healthy(d, 0, 3, &out);
	struct pi_mon_obs o[2];
	healthy(o, 10);
	for (int i = 0; i < 2; i++) {
		o[i].received = 0;
		o[i].path = path_of(NULL, 0);
		o[i].path.trace_pods[0] = 0;
		o[i].path.n_trace = 1;
		o[i].dns_ok = o[i].http_ok = false;
	}
	const bool down[2] = { false, true };
	size_t n = pi_mon_detect_step(d, 3, o, down, &out);
	assert_int_equal(n, 1 + 2 * 3 + 1); /* session; per pair loss, path, dns; pair 0 http */
	assert_int_equal(ev(&out, 0)->check, PI_MON_SESSION);
	assert_int_equal(ev(&out, 0)->session, 0);
	assert_int_equal(ev(&out, 0)->pair, -1);
	const struct pi_mon_event *path = NULL;
	for (size_t i = 0; i < out.len; i++)
		if (ev(&out, i)->check == PI_MON_PATH && ev(&out, i)->pair == 0)
			path = ev(&out, i);
	assert_non_null(path);
	assert_int_equal(path->last_good.n_as, 3);
	assert_int_equal(path->last_good.as_pods[1], 1);
	assert_false(path->first_bad.as_route);
	assert_int_equal(path->session, 0);
	assert_non_null(strstr(path->explain, "ebgp_stub1_transit1_v4"));
	assert_non_null(strstr(path->what, "stub1 transit1 content1 -> no route"));

	/* Back up: every event recovers, the session's too. */
	out.len = 0;
	healthy(o, 10);
	const bool up[2] = { true, true };
	assert_int_equal(pi_mon_detect_step(d, 4, o, up, &out), 8);
	for (size_t i = 0; i < out.len; i++)
		assert_true(ev(&out, i)->recovered_at == 4);
	out.len = 0;
	assert_int_equal(pi_mon_detect_open(d, &out), 0);
	pi_vec_free(&out);
	pi_mon_detect_free(d);
}

/* A new working path: explained by the AS path, adopted after settle intervals. */
static void test_path_change_adopted(void **state)
{
	(void)state;
	struct pi_mon_detect *d = new_detect(&(struct pi_mon_detect_opts){ .settle = 2 });
	struct pi_vec out = PI_VEC_INIT(struct pi_mon_event);
	run_healthy(d, 0, 3, &out);
	struct pi_mon_obs o[2];
	healthy(o, 10);
	o[0].path = path_of(via_t2, 3);
	assert_int_equal(pi_mon_detect_step(d, 3, o, NULL, &out), 1);
	assert_int_equal(ev(&out, 0)->check, PI_MON_PATH);
	assert_int_equal(ev(&out, 0)->session, PI_NONE);
	assert_string_equal(ev(&out, 0)->explain, "the AS path changed: stub1 transit1 content1 -> stub1 transit2 content1");
	assert_int_equal(pi_mon_detect_step(d, 4, o, NULL, &out), 0); /* 1 of 2 */
	assert_int_equal(pi_mon_detect_step(d, 5, o, NULL, &out), 1); /* adopted */
	assert_true(ev(&out, 1)->recovered_at == 5);
	/* Now the old path is a change. */
	healthy(o, 10);
	assert_int_equal(pi_mon_detect_step(d, 6, o, NULL, &out), 1);
	assert_int_equal(ev(&out, 2)->check, PI_MON_PATH);
	assert_int_equal(ev(&out, 2)->last_good.as_pods[1], 2);
	pi_vec_free(&out);
	pi_mon_detect_free(d);
}

/* Not knowing part of a path (RIB unreadable, no traceroute) is no change. */
static void test_unknown_path_parts(void **state)
{
	(void)state;
	struct pi_mon_path a = path_of(via_t1, 3), b = path_of(via_t2, 3);
	assert_true(pi_mon_path_differs(&a, &b));
	b.as_known = false;
	b.trace_known = false;
	assert_false(pi_mon_path_differs(&a, &b));
	b = path_of(via_t1, 3);
	b.trace_pods[1] = 2;
	assert_true(pi_mon_path_differs(&a, &b));
	b.trace_reached = a.trace_reached = false; /* unreached traces: pods not compared */
	assert_false(pi_mon_path_differs(&a, &b));
	b = path_of(via_t1, 3);
	b.as_route = false;
	assert_true(pi_mon_path_differs(&a, &b));
}

/* A session down at the first interval is the baseline; a later one is an
 * event; one off the pair's path explains nothing. */
static void test_sessions(void **state)
{
	(void)state;
	struct pi_mon_detect *d = new_detect(NULL);
	struct pi_vec out = PI_VEC_INIT(struct pi_mon_event);
	struct pi_mon_obs o[2];
	healthy(o, 10);
	const bool first[2] = { true, false };
	assert_int_equal(pi_mon_detect_step(d, 0, o, first, &out), 0);
	const bool both_up[2] = { true, true }, s0_down[2] = { false, true }, s1_down[2] = { true, false };
	assert_int_equal(pi_mon_detect_step(d, 1, o, both_up, &out), 0);
	assert_int_equal(pi_mon_detect_step(d, 2, o, s1_down, &out), 1);
	assert_int_equal(ev(&out, 0)->session, 1);
	o[0].received = 0;
	assert_int_equal(pi_mon_detect_step(d, 3, o, s1_down, &out), 1); /* pair 0's loss */
	assert_int_equal(ev(&out, 1)->check, PI_MON_LOSS);
	assert_int_equal(ev(&out, 1)->session, PI_NONE); /* transit2-content1 is not on its path */
	assert_string_equal(ev(&out, 1)->explain, "");
	assert_int_equal(pi_mon_detect_step(d, 4, o, s0_down, &out), 2); /* s1 recovers, s0 down */
	pi_vec_free(&out);
	pi_mon_detect_free(d);
}

static void test_json_and_text(void **state)
{
	(void)state;
	struct pi_mon_detect *d = new_detect(NULL);
	struct pi_vec out = PI_VEC_INIT(struct pi_mon_event);
	run_healthy(d, 1000, 2, &out);
	struct pi_mon_obs o[2];
	healthy(o, 10);
	o[0].received = 0;
	o[0].path = path_of(NULL, 0);
	const bool down[2] = { false, true };
	pi_mon_detect_step(d, 1002.5, o, down, &out);
	const struct pi_mon_event *path = NULL;
	for (size_t i = 0; i < out.len; i++)
		if (ev(&out, i)->check == PI_MON_PATH)
			path = ev(&out, i);
	assert_non_null(path);
	char *s = pi_mon_event_json(d, path);
	assert_null(strchr(s, '\n'));
	json_error_t err;
	json_t *j = json_loads(s, 0, &err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "check")), "path");
	assert_string_equal(json_string_value(json_object_get(j, "event")), "failure");
	assert_string_equal(json_string_value(json_object_get(j, "from")), "stub1-sub1");
	assert_string_equal(json_string_value(json_object_get(j, "to")), "content1-web1");
	assert_string_equal(json_string_value(json_object_get(j, "session")), "ebgp_stub1_transit1_v4");
	assert_true(json_real_value(json_object_get(j, "start")) == 1002.5);
	assert_true(json_is_null(json_object_get(j, "recovered_at")));
	json_t *good = json_object_get(json_object_get(j, "last_good_path"), "as_path");
	assert_int_equal(json_array_size(good), 3);
	assert_string_equal(json_string_value(json_array_get(good, 1)), "transit1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "first_bad_path"), "as_path")),
			    "no route");
	json_decref(j);
	free(s);
	char line[512];
	pi_mon_event_text(d, path, line, sizeof(line));
	assert_non_null(strstr(line, "FAILURE"));
	assert_non_null(strstr(line, "stub1-sub1 -> content1-web1"));
	pi_mon_event_text(d, ev(&out, 0), line, sizeof(line)); /* the session event */
	assert_non_null(strstr(line, "session"));
	pi_vec_free(&out);
	pi_mon_detect_free(d);
}

/* The default pairs of the default lab: a subscriber of each stub pod with
 * subscribers, to every web server and resolver; unknown names refused. */
static void test_default_pairs(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof(path), "%s/labs/lab.yml", getenv("PI_SOURCE_DIR"));
	struct pi_diag diag;
	pi_diag_init(&diag);
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	assert_int_equal(pi_lab_load(path, getenv("POCKETINTERNET_BLUEPRINTS"), &lab, &diag), 0);
	assert_int_equal(pi_plan_build(lab, &plan, &diag), 0);
	struct pi_vec v = PI_VEC_INIT(struct pi_mon_pair);
	assert_int_equal(pi_monitor_pairs(plan, NULL, NULL, &v, &diag), 0);
	unsigned targets = 0, vantages = 0;
	for (uint32_t n = 0; n < plan->n_nodes; n++)
		targets += (plan->nodes[n].services & (PI_SVC_HTTP | PI_SVC_RESOLVER)) != 0;
	for (uint32_t pod = 0; pod < plan->n_pods; pod++) {
		bool has = false;
		for (uint32_t n = 0; n < plan->n_nodes; n++)
			has |= plan->nodes[n].pod == pod && (plan->nodes[n].services & PI_SVC_CLIENT);
		vantages += has && plan->pods[pod].tier == PI_TIER_STUB;
	}
	assert_true(vantages > 0 && targets > 0);
	assert_true(v.len > 0 && v.len <= (size_t)vantages * targets);
	for (size_t i = 0; i < v.len; i++) {
		const struct pi_mon_pair *p = pi_vec_at(&v, i);
		assert_true(plan->nodes[p->from].services & PI_SVC_CLIENT);
		assert_true(plan->nodes[p->to].services & (PI_SVC_HTTP | PI_SVC_RESOLVER));
		assert_true(pi_prefix_is_set(&p->addr));
		assert_int_equal(p->web, (plan->nodes[p->to].services & PI_SVC_HTTP) != 0);
	}
	/* One named vantage and a pod as target. */
	const struct pi_mon_pair *p0 = pi_vec_at(&v, 0);
	char from[64], to[64];
	snprintf(from, sizeof(from), "%s", plan->nodes[p0->from].name);
	snprintf(to, sizeof(to), "%s", plan->pods[plan->nodes[p0->to].pod].name);
	v.len = 0;
	assert_int_equal(pi_monitor_pairs(plan, from, to, &v, &diag), 0);
	for (size_t i = 0; i < v.len; i++) {
		assert_string_equal(plan->nodes[((struct pi_mon_pair *)pi_vec_at(&v, i))->from].name, from);
		assert_string_equal(plan->pods[plan->nodes[((struct pi_mon_pair *)pi_vec_at(&v, i))->to].pod].name, to);
	}
	assert_true(v.len > 0);
	v.len = 0;
	assert_int_equal(pi_monitor_pairs(plan, "no-such-node", NULL, &v, &diag), -ENOENT);
	assert_true(pi_diag_errors(&diag) > 0);
	pi_vec_free(&v);
	pi_diag_free(&diag);
	pi_plan_free(plan);
	pi_lab_free(lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthy_no_events),
		cmocka_unit_test(test_loss_threshold),
		cmocka_unit_test(test_latency_baseline_and_fixed),
		cmocka_unit_test(test_dns_http),
		cmocka_unit_test(test_path_change_explained_by_session),
		cmocka_unit_test(test_path_change_adopted),
		cmocka_unit_test(test_unknown_path_parts),
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_json_and_text),
		cmocka_unit_test(test_default_pairs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
