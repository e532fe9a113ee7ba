/*
 * trace on a live kernel (suite 'apply', needs root: exits 77 otherwise,
 * and 77 too when this build has no trace support). Three throwaway
 * namespaces pitest-hM-<pid>-{1,2,3} in a chain, ns2 forwarding:
 *
 *   ns1 a1 192.0.2.1/30 -- b1 192.0.2.2/30 ns2 b2 192.0.2.5/30 -- c1 192.0.2.6/30 ns3
 *                                                                  lo 198.51.100.1/32
 *   (and 2001:db8:1::/64, 2001:db8:2::/64 the same way, lo 2001:db8:ff::1/128)
 *
 * ns1 and ns3 route everything to ns2; ns2 routes 198.51.100.1 (and
 * 2001:db8:ff::1) to ns3. After every test the namespaces must hold no
 * clsact qdisc and no filter of ours (read back over netlink).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <net/if.h>
#ifndef IF_OPER_UP
#define IF_OPER_UP 6 /* RFC 2863 (linux/if.h clashes with net/if.h) */
#endif

#include "pi_config.h"
#include "pocketinternet/apply.h"
#include "pocketinternet/netlink.h"
#if PI_HAVE_TRACE
#include <bpf/libbpf.h>
#endif

struct fx {
	char ns[3][40];
	char path[3][80];
	struct pi_nl *h[3];
	struct pi_trace_target t[3];
	char state[128];
};

static struct pi_prefix P(const char *s)
{
	struct pi_prefix p;
	assert_int_equal(pi_prefix_parse(s, &p), 0);
	return p;
}

/* A pointer to a parsed prefix, for arguments. */
#define PP(s) (&(struct pi_prefix[1]){ P(s) }[0])

static void ok(struct pi_nl *nl, int rc)
{
	if (rc != 0)
		fail_msg("netlink: %d %s", rc, pi_nl_strerror(nl));
}

static void addr(struct pi_nl *h, const char *ifn, const char *a4, const char *a6)
{
	ok(h, pi_nl_addr_add(h, ifn, PP(a4)));
	ok(h, pi_nl_addr_add(h, ifn, PP(a6)));
	ok(h, pi_nl_link_set_up(h, ifn));
}

static void route(struct pi_nl *h, const char *dst, const char *gw)
{
	ok(h, pi_nl_route_add(h, &(struct pi_nl_route){ .dst = P(dst), .gw = P(gw) }));
}

/* Until the kernel's link watch has seen the carrier (it runs up to a
 * second late), a veth still drops what it sends. */
static void wait_oper_up(struct pi_nl *h, const char *ifn)
{
	struct pi_nl_link l = { 0 };
	for (int tries = 0; tries < 300; tries++) {
		ok(h, pi_nl_link_get(h, ifn, &l));
		if (l.operstate == IF_OPER_UP)
			return;
		usleep(10000);
	}
	fail_msg("%s never came up", ifn);
}

static void wire(struct fx *f)
{
	/* No DAD on the link-local addresses: while it runs the first
	 * neighbour solicitation goes unanswered and ND retries after 1 s. */
	for (int i = 0; i < 3; i++) {
		ok(f->h[i], pi_nl_sysctl_set(f->h[i], "net.ipv6.conf.all.accept_dad", "0"));
		ok(f->h[i], pi_nl_sysctl_set(f->h[i], "net.ipv6.conf.default.accept_dad", "0"));
	}
	ok(f->h[0], pi_nl_veth_create(f->h[0], &(struct pi_nl_veth){ .name = "a1", .peer = "b1", .ns_fd = -1,
								      .peer_ns_fd = pi_nl_ns_fd(f->h[1]), .up = true }));
	ok(f->h[1], pi_nl_veth_create(f->h[1], &(struct pi_nl_veth){ .name = "b2", .peer = "c1", .ns_fd = -1,
								      .peer_ns_fd = pi_nl_ns_fd(f->h[2]), .up = true }));
	addr(f->h[0], "a1", "192.0.2.1/30", "2001:db8:1::1/64");
	addr(f->h[1], "b1", "192.0.2.2/30", "2001:db8:1::2/64");
	addr(f->h[1], "b2", "192.0.2.5/30", "2001:db8:2::1/64");
	addr(f->h[2], "c1", "192.0.2.6/30", "2001:db8:2::2/64");
	ok(f->h[2], pi_nl_loopback_addr_add(f->h[2], PP("198.51.100.1/32")));
	ok(f->h[2], pi_nl_loopback_addr_add(f->h[2], PP("2001:db8:ff::1/128")));
	route(f->h[0], "0.0.0.0/0", "192.0.2.2");
	route(f->h[0], "::/0", "2001:db8:1::2");
	route(f->h[2], "0.0.0.0/0", "192.0.2.5");
	route(f->h[2], "::/0", "2001:db8:2::1");
	route(f->h[1], "198.51.100.1/32", "192.0.2.6");
	route(f->h[1], "2001:db8:ff::1/128", "2001:db8:2::2");
	ok(f->h[1], pi_nl_sysctl_set(f->h[1], "net.ipv4.ip_forward", "1"));
	ok(f->h[1], pi_nl_sysctl_set(f->h[1], "net.ipv6.conf.all.forwarding", "1"));
	wait_oper_up(f->h[0], "a1");
	wait_oper_up(f->h[1], "b1");
	wait_oper_up(f->h[1], "b2");
	wait_oper_up(f->h[2], "c1");
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	for (int i = 0; i < 3; i++) {
		snprintf(f->ns[i], sizeof(f->ns[i]), "pitest-hM-%d-%d", (int)getpid(), i + 1);
		snprintf(f->path[i], sizeof(f->path[i]), "%s/%s", PI_NL_NETNS_DIR, f->ns[i]);
		pi_nl_netns_delete(f->ns[i]); /* a crashed run's leftover */
		if (pi_nl_netns_create(f->ns[i]) || pi_nl_open_netns_name(f->ns[i], &f->h[i]))
			return -1;
		f->t[i] = (struct pi_trace_target){ f->path[i], f->ns[i] + strlen(f->ns[i]) - 1 };
	}
	snprintf(f->state, sizeof(f->state), "/tmp/pitest-hM-%d-trace.json", (int)getpid());
	unlink(f->state);
	*state = f;
	wire(f);
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 3; i++) {
		pi_nl_close(f->h[i]);
		pi_nl_netns_delete(f->ns[i]);
	}
	unlink(f->state);
	free(f);
	return 0;
}

/* No clsact and no filter of ours anywhere (less `clsacts` foreign ones),
 * no program of ours loaded, no state file. */
static void assert_clean(struct fx *f, unsigned clsacts)
{
	unsigned filters = 0, cl = 0, total = 0, progs = 1;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pi_trace_residue(f->path[i], &filters, &cl), 0);
		assert_int_equal(filters, 0);
		total += cl;
	}
	assert_int_equal(total, clsacts);
	assert_int_equal(access(f->state, F_OK), -1);
	/* Programs are freed after an RCU grace period. */
	for (int tries = 0; tries < 100 && progs; tries++) {
		assert_int_equal(pi_trace_progs_loaded(&progs), 0);
		if (progs)
			usleep(20000);
	}
	assert_int_equal(progs, 0);
}

static struct pi_trace_opts opts(struct fx *f, const char *dst, uint32_t dst_target)
{
	return (struct pi_trace_opts){ .targets = f->t, .n_targets = 3, .src = 0, .dst_target = dst_target,
				       .dst = P(dst), .timeout_ms = 1000, .state_file = f->state };
}

static void print(const struct pi_trace_result *r)
{
	for (size_t i = 0; i < r->n_events; i++) {
		const struct pi_trace_event *e = &r->events[i];
		fprintf(stderr, "  %8.1f ns%s %-3s %-4s %-13s ttl %u fib %d %s\n", e->t_us, e->node, e->iface,
			e->egress ? "out" : "in", pi_trace_kind_name(e->kind), e->ttl, e->fib, e->fib_dev);
	}
	fprintf(stderr, "  %s at ns%s: %s\n", pi_trace_end_name(r->end), r->end_node, r->why);
}

static void expect(const struct pi_trace_event *e, const char *node, const char *iface, bool egress,
		   enum pi_trace_kind kind)
{
	assert_string_equal(e->node, node);
	assert_string_equal(e->iface, iface);
	assert_int_equal(e->egress, egress);
	assert_int_equal(e->kind, kind);
}

static void trace(struct fx *f, const struct pi_trace_opts *o, struct pi_trace_result *r)
{
	struct pi_diag d;
	pi_diag_init(&d);
	int rc = pi_trace_run(o, r, &d);
	pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	assert_int_equal(rc, 0);
	print(r);
}

/* The four sightings of the request in order, the reply, and nothing left. */
static void delivered(void **state, const char *dst)
{
	struct fx *f = *state;
	struct pi_trace_opts o = opts(f, dst, 2);
	struct pi_trace_result r;
	trace(f, &o, &r);
	assert_int_equal(r.end, PI_TRACE_DELIVERED);
	assert_string_equal(r.end_node, "3");
	assert_int_equal(r.ifaces, 4);
	assert_true(r.n_events >= 8);
	expect(&r.events[0], "1", "a1", true, PI_TRACE_REQUEST);
	expect(&r.events[1], "2", "b1", false, PI_TRACE_REQUEST);
	assert_true(r.events[1].fib == 0 || r.events[1].fib == 7); /* forward, or neighbour not yet known */
	assert_string_equal(r.events[1].fib_dev, "b2");
	expect(&r.events[2], "2", "b2", true, PI_TRACE_REQUEST);
	expect(&r.events[3], "3", "c1", false, PI_TRACE_REQUEST);
	assert_int_equal(r.events[0].ttl, 64);
	assert_int_equal(r.events[3].ttl, 63);
	expect(&r.events[4], "3", "c1", true, PI_TRACE_REPLY);
	expect(&r.events[7], "1", "a1", false, PI_TRACE_REPLY);
	for (size_t i = 1; i < r.n_events; i++)
		assert_true(r.events[i].t_us >= r.events[i - 1].t_us);
	pi_trace_result_free(&r);
	assert_clean(f, 0);
}

static void test_delivered_v4(void **state)
{
	delivered(state, "198.51.100.1");
}

static void test_delivered_v6(void **state)
{
	delivered(state, "2001:db8:ff::1");
}

/* ns2 loses its route: the probe stops there, and ns2 says so. */
static void test_no_route(void **state)
{
	struct fx *f = *state;
	ok(f->h[1], pi_nl_route_del(f->h[1], &(struct pi_nl_route){ .dst = P("198.51.100.1/32") }));
	struct pi_trace_opts o = opts(f, "198.51.100.1", 2);
	struct pi_trace_result r;
	trace(f, &o, &r);
	assert_int_equal(r.end, PI_TRACE_NO_ROUTE);
	assert_string_equal(r.end_node, "2");
	expect(&r.events[0], "1", "a1", true, PI_TRACE_REQUEST);
	expect(&r.events[1], "2", "b1", false, PI_TRACE_REQUEST);
	assert_int_equal(r.events[1].fib, 4); /* BPF_FIB_LKUP_RET_NOT_FWDED */
	for (size_t i = 2; i < r.n_events; i++) /* only ns2's ICMP error goes on */
		assert_int_equal(r.events[i].kind, PI_TRACE_UNREACHABLE);
	pi_trace_result_free(&r);
	assert_clean(f, 0);
}

/* A blackhole route: no ICMP error, the FIB says why. */
static void test_blackhole(void **state)
{
	struct fx *f = *state;
	ok(f->h[1], pi_nl_route_add(f->h[1], &(struct pi_nl_route){ .dst = P("198.51.100.1/32"),
								     .type = PI_NL_ROUTE_BLACKHOLE }));
	struct pi_trace_opts o = opts(f, "198.51.100.1", 2);
	struct pi_trace_result r;
	trace(f, &o, &r);
	assert_int_equal(r.end, PI_TRACE_NO_ROUTE);
	assert_string_equal(r.end_node, "2");
	assert_int_equal(r.n_events, 2);
	assert_non_null(strstr(r.why, "blackhole"));
	pi_trace_result_free(&r);
	assert_clean(f, 0);
}

static void test_ttl(void **state)
{
	struct fx *f = *state;
	struct pi_trace_opts o = opts(f, "198.51.100.1", 2);
	o.ttl = 1;
	struct pi_trace_result r;
	trace(f, &o, &r);
	assert_int_equal(r.end, PI_TRACE_TTL_EXPIRED);
	assert_string_equal(r.end_node, "2");
	assert_int_equal(r.events[0].ttl, 1);
	expect(&r.events[1], "2", "b1", false, PI_TRACE_REQUEST);
	expect(&r.events[2], "2", "b1", true, PI_TRACE_TIME_EXCEEDED);
	expect(&r.events[3], "1", "a1", false, PI_TRACE_TIME_EXCEEDED);
	pi_trace_result_free(&r);
	assert_clean(f, 0);
}

static volatile int cancel_flag;

static void cancel_now(void *ctx)
{
	(void)ctx;
	cancel_flag = 1;
}

/* Cancelled (the CLI's SIGINT handler sets the flag): -EINTR, nothing left. */
static void test_cancel(void **state)
{
	struct fx *f = *state;
	struct pi_trace_opts o = opts(f, "198.51.100.1", 2);
	cancel_flag = 0;
	o.cancel = &cancel_flag;
	o.attached = cancel_now;
	struct pi_trace_result r;
	struct pi_diag d;
	pi_diag_init(&d);
	assert_int_equal(pi_trace_run(&o, &r, &d), -EINTR);
	pi_diag_free(&d);
	pi_trace_result_free(&r);
	assert_clean(f, 0);
}

static int ready_fd = -1;

static void attached_then_wait(void *ctx)
{
	(void)ctx;
	if (write(ready_fd, "x", 1) != 1)
		_exit(3);
	for (;;)
		pause();
}

static int foreign_clsact(void *arg)
{
	(void)arg;
#if PI_HAVE_TRACE
	/* A clsact someone else made (tc qdisc add dev b1 clsact). */
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = (int)if_nametoindex("b1"),
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	return bpf_tc_hook_create(&h);
#else
	return -ENOTSUP;
#endif
}

/* A trace killed with SIGKILL after attaching leaves filters and clsacts;
 * the next run removes them, but not a clsact that was there before. */
static void test_killed(void **state)
{
	struct fx *f = *state;
	assert_int_equal(pi_nl_ns_call(f->h[1], foreign_clsact, NULL), 0);
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(p[0]);
		ready_fd = p[1];
		struct pi_trace_opts o = opts(f, "198.51.100.1", 2);
		o.attached = attached_then_wait;
		struct pi_trace_result r;
		struct pi_diag d;
		pi_diag_init(&d);
		pi_trace_run(&o, &r, &d);
		_exit(2);
	}
	close(p[1]);
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	unsigned filters, cl;
	assert_int_equal(pi_trace_residue(f->path[1], &filters, &cl), 0);
	assert_int_equal(filters, 4); /* b1, b2: ingress and egress */
	assert_int_equal(cl, 2);
	/* The next trace cleans up first, and works. */
	struct pi_trace_opts o = opts(f, "198.51.100.1", 2);
	struct pi_trace_result r;
	trace(f, &o, &r);
	assert_int_equal(r.leftovers, 8 + 3); /* 8 filters, 3 of the 4 clsacts */
	assert_int_equal(r.end, PI_TRACE_DELIVERED);
	pi_trace_result_free(&r);
	assert_clean(f, 1); /* the foreign one stays */
	/* A plain cleanup with nothing left finds nothing. */
	unsigned removed = 9;
	struct pi_diag d;
	pi_diag_init(&d);
	assert_int_equal(pi_trace_cleanup(f->state, f->t, 3, &removed, &d), 0);
	pi_diag_free(&d);
	assert_int_equal(removed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_delivered_v4, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_delivered_v6, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_route, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_blackhole, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ttl, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cancel, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_killed, fx_setup, fx_teardown),
	};
	char why[256];
	if (geteuid() != 0) {
		fprintf(stderr, "test-trace: needs root (network namespaces, BPF); skipped\n");
		return 77;
	}
	if (!pi_trace_available(why, sizeof(why))) {
		fprintf(stderr, "test-trace: %s; skipped\n", why);
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
