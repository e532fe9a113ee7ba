/*
 * End-to-end: `pocketinternet trace` on the default lab (docs/observe.md,
 * "trace"). Between two broadband subscribers of different pods (IPv6:
 * their IPv4 is CGNAT space): the nodes the probe crossed are the hops a
 * traceroute from the same subscriber reports; with the destination's
 * access port down the probe stops at its gateway; with --ttl 2 it dies at
 * the second router. After every run no filter, clsact qdisc or BPF
 * program of the tool's is left on any node, and no state file. Needs root
 * and a running Docker engine.
 */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "e2e_common.h"
#include "pocketinternet/apply.h"

#define MAX_HOPS 32

static uint32_t src_node, dst_node;
static char dst_addr[PI_PREFIX_STRLEN];

/* The node holding address a (an interface's or a router's loopback). */
static uint32_t node_of(const struct pi_prefix *a)
{
	size_t n = a->family == PI_AF_V4 ? 4 : 16;
	for (uint32_t i = 0; i < plan->n_ifaces; i++) {
		const struct pi_plan_iface *f = &plan->ifaces[i];
		const struct pi_prefix *p = a->family == PI_AF_V4 ? &f->v4 : &f->v6;
		if (p->family == a->family && !memcmp(p->addr, a->addr, n))
			return f->node;
	}
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		const struct pi_prefix *lo = a->family == PI_AF_V4 ? &plan->nodes[i].lo4 : &plan->nodes[i].lo6;
		if (lo->family == a->family && !memcmp(lo->addr, a->addr, n))
			return i;
	}
	return PI_NONE;
}

/* The nodes an ICMP traceroute -6 from src to dst_addr reports, in order. */
static size_t traceroute_nodes(uint32_t *out)
{
	struct pi_buf buf;
	pi_buf_init(&buf);
	const char *tr[] = { "traceroute", "-6", "-I", "-n", "-q", "1", "-w", "1", "-m", "16", dst_addr, NULL };
	size_t n = 0;
	if (node_exec(src_node, &buf, tr) == 0) {
		char *save = NULL, *text = pi_xstrdup(pi_buf_str(&buf));
		for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			int hop;
			char a[64];
			struct pi_prefix p;
			if (sscanf(l, " %d %63s", &hop, a) == 2 && pi_prefix_parse(a, &p) == 0 && n < MAX_HOPS)
				out[n++] = node_of(&p);
		}
		free(text);
	}
	pi_buf_free(&buf);
	return n;
}

/* `trace SRC DST -6 [extra]` as JSON; exit code into *rc. */
static json_t *trace_json(const char *extra, const char *extra_val, int *rc)
{
	struct pi_buf out;
	pi_buf_init(&out);
	const char *argv[] = { "-c", lab_file, "trace", plan->nodes[src_node].name, plan->nodes[dst_node].name,
			       "-6", "--format", "json", extra, extra_val, NULL };
	*rc = run_bin(&out, argv);
	json_t *j = json_loads(pi_buf_str(&out), 0, NULL);
	if (!j)
		fprintf(stderr, "trace: not JSON: %s\n", pi_buf_str(&out));
	else
		fprintf(stderr, "trace: %s at %s: %s\n", json_string_value(json_object_get(j, "end")),
			json_string_value(json_object_get(json_object_get(j, "stopped_at"), "node")),
			json_string_value(json_object_get(j, "why")));
	pi_buf_free(&out);
	return j;
}

/* The "path" of a trace (the nodes the request was seen in, src first). */
static size_t trace_path(json_t *j, uint32_t *out)
{
	size_t i, n = 0;
	json_t *v;
	json_array_foreach(json_object_get(j, "path"), i, v) {
		if (n < MAX_HOPS)
			out[n++] = pi_plan_node_by_name(plan, json_string_value(v));
	}
	return n;
}

/* Nothing of the tool's on any running node, no program, no state file. */
static void assert_nothing_left(void)
{
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		struct pi_diag d;
		struct pi_node_state st;
		pi_diag_init(&d);
		int rc = backend.ops->inspect(&backend, plan->lab_name, plan->nodes[i].name, &st, &d);
		pi_diag_free(&d);
		if (rc || !st.running || st.pid <= 0)
			continue;
		int pid = st.pid;
		char path[64];
		unsigned filters = 1, clsacts = 1;
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
		assert_int_equal(pi_trace_residue(path, &filters, &clsacts), 0);
		if (filters || clsacts)
			fail_msg("%s: %u filters, %u clsact qdiscs left", plan->nodes[i].name, filters, clsacts);
	}
	unsigned progs = 1;
	for (int tries = 0; tries < 100 && progs; tries++) {
		assert_int_equal(pi_trace_progs_loaded(&progs), 0);
		if (progs)
			usleep(20000);
	}
	assert_int_equal(progs, 0);
	char dir[4096], state[4200];
	pi_state_dir(NULL, plan->lab_name, dir, sizeof(dir));
	snprintf(state, sizeof(state), "%s/trace.json", dir);
	assert_int_equal(access(state, F_OK), -1);
}

static int group_setup(void **state)
{
	(void)state;
	if (e2e_open_lab("lab"))
		return -1;
	src_node = find_node(PI_SVC_CLIENT, 0, "broadband", 0);
	for (unsigned k = 1; (dst_node = find_node(PI_SVC_CLIENT, 0, "broadband", k)) != PI_NONE; k++)
		if (plan->nodes[dst_node].pod != plan->nodes[src_node].pod)
			break;
	if (src_node == PI_NONE || dst_node == PI_NONE)
		return -1;
	struct pi_prefix a = node_addr(dst_node, PI_AF_V6);
	pi_prefix_fmt_addr(&a, dst_addr);
	return 0;
}

/* The trace's hops are the traceroute's (ECMP may pick another of equal
 * paths for one of them: a few tries). */
static void test_same_hops_as_traceroute(void **state)
{
	(void)state;
	bool same = false;
	for (int attempt = 0; attempt < 3 && !same; attempt++) {
		int rc;
		json_t *j = trace_json(NULL, NULL, &rc);
		assert_non_null(j);
		assert_int_equal(rc, 0);
		assert_string_equal(json_string_value(json_object_get(j, "end")), "delivered");
		uint32_t tp[MAX_HOPS], tr[MAX_HOPS];
		size_t ntp = trace_path(j, tp), ntr = traceroute_nodes(tr);
		json_decref(j);
		assert_true(ntp >= 3);
		assert_int_equal(tp[0], src_node);
		assert_int_equal(tp[ntp - 1], dst_node);
		same = ntr == ntp - 1 && !memcmp(tp + 1, tr, ntr * sizeof(*tr));
		for (size_t i = 0; !same && i < ntr; i++)
			fprintf(stderr, "  traceroute hop %zu: %s\n", i + 1,
				tr[i] == PI_NONE ? "?" : plan->nodes[tr[i]].name);
		assert_nothing_left();
	}
	assert_true(same);
}

/* The destination's access port down: the probe stops at its gateway. */
static void test_link_down_stops_at_gateway(void **state)
{
	(void)state;
	int rc;
	json_t *j = trace_json(NULL, NULL, &rc);
	assert_non_null(j);
	uint32_t tp[MAX_HOPS];
	size_t ntp = trace_path(j, tp);
	json_decref(j);
	assert_true(ntp >= 3);
	uint32_t gw = tp[ntp - 2];
	const struct pi_plan_iface *f = iface_with(dst_node, false, true);
	assert_non_null(f);
	char port[128];
	snprintf(port, sizeof(port), "%s:%s", plan->nodes[dst_node].name, f->name);
	const char *down[] = { "-c", lab_file, "link", "down", port, NULL };
	const char *up[] = { "-c", lab_file, "link", "up", port, NULL };
	assert_int_equal(run_bin(NULL, down), 0);
	j = trace_json(NULL, NULL, &rc);
	run_bin(NULL, up);
	assert_non_null(j);
	assert_int_equal(rc, 1);
	assert_string_not_equal(json_string_value(json_object_get(j, "end")), "delivered");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "stopped_at"), "node")),
			    plan->nodes[gw].name);
	json_decref(j);
	assert_nothing_left();
}

/* --ttl 2: it dies at the second node after the source. */
static void test_ttl_expires(void **state)
{
	(void)state;
	int rc;
	json_t *full = trace_json(NULL, NULL, &rc);
	assert_non_null(full);
	uint32_t tp[MAX_HOPS];
	size_t ntp = trace_path(full, tp);
	json_decref(full);
	assert_true(ntp >= 4);
	json_t *j = trace_json("--ttl", "2", &rc);
	assert_non_null(j);
	assert_int_equal(rc, 1);
	assert_string_equal(json_string_value(json_object_get(j, "end")), "ttl-expired");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "stopped_at"), "node")),
			    plan->nodes[tp[2]].name);
	json_decref(j);
	assert_nothing_left();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_hops_as_traceroute),
		cmocka_unit_test(test_ttl_expires),
		/* last: the port comes back up, its SLAAC address only with the next RA */
		cmocka_unit_test(test_link_down_stops_at_gateway),
	};
	return e2e_main(argc, argv, "test-trace", tests, sizeof(tests) / sizeof(tests[0]), group_setup, e2e_teardown_lab);
}
