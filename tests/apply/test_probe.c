/*
 * probe: the native traceroute (src/apply/probe.c) through a chain of
 * three throwaway network namespaces, a -- r -- b, r forwarding: the hops
 * must be r's address toward a, then b. Needs root (exits 77, skipped,
 * without it). Namespaces are named pitest-hJ-<pid>-*, removed afterwards.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "pocketinternet/apply.h"
#include "pocketinternet/netlink.h"

struct chain {
	char ns[3][40];
	struct pi_nl *h[3]; /* a, r, b */
};

static struct pi_prefix P(const char *s)
{
	struct pi_prefix p;
	assert_int_equal(pi_prefix_parse(s, &p), 0);
	return p;
}

static void ok(struct pi_nl *nl, int rc)
{
	if (rc != 0)
		fail_msg("%s", pi_nl_strerror(nl));
}

static void link_pair(struct chain *c, int x, int y, const char *nx, const char *ny, const char *const *ax,
		      const char *const *ay)
{
	ok(c->h[x], pi_nl_veth_create(c->h[x], &(struct pi_nl_veth){ .name = nx, .peer = ny, .ns_fd = -1,
							      .peer_ns_fd = pi_nl_ns_fd(c->h[y]), .up = true }));
	for (int i = 0; i < 2; i++) {
		struct pi_prefix p = P(ax[i]), q = P(ay[i]);
		ok(c->h[x], pi_nl_addr_add(c->h[x], nx, &p));
		ok(c->h[y], pi_nl_addr_add(c->h[y], ny, &q));
	}
	ok(c->h[y], pi_nl_link_set_up(c->h[y], ny));
}

static void route(struct pi_nl *h, const char *dst, const char *gw)
{
	ok(h, pi_nl_route_add(h, &(struct pi_nl_route){ .dst = P(dst), .gw = P(gw) }));
}

static int chain_setup(void **state)
{
	if (geteuid() != 0)
		return -1;
	struct chain *c = calloc(1, sizeof(*c));
	static const char *const what[3] = { "a", "r", "b" };
	for (int i = 0; i < 3; i++) {
		snprintf(c->ns[i], sizeof(c->ns[i]), "pitest-hJ-%d-%s", (int)getpid(), what[i]);
		pi_nl_netns_delete(c->ns[i]);
		assert_int_equal(pi_nl_netns_create(c->ns[i]), 0);
		assert_int_equal(pi_nl_open_netns_name(c->ns[i], &c->h[i]), 0);
	}
	link_pair(c, 1, 0, "ra", "ar", (const char *const[]){ "10.77.0.1/31", "fd77::1/127" },
		  (const char *const[]){ "10.77.0.0/31", "fd77::/127" });
	link_pair(c, 1, 2, "rb", "br", (const char *const[]){ "10.77.0.2/31", "fd77::2/127" },
		  (const char *const[]){ "10.77.0.3/31", "fd77::3/127" });
	struct pi_prefix lo4 = P("10.77.9.9/32"), lo6 = P("fd77:9::9/128");
	ok(c->h[2], pi_nl_loopback_addr_add(c->h[2], &lo4));
	ok(c->h[2], pi_nl_loopback_addr_add(c->h[2], &lo6));
	route(c->h[0], "0.0.0.0/0", "10.77.0.1");
	route(c->h[0], "::/0", "fd77::1");
	route(c->h[2], "0.0.0.0/0", "10.77.0.2");
	route(c->h[2], "::/0", "fd77::2");
	route(c->h[1], "10.77.9.9/32", "10.77.0.3");
	route(c->h[1], "fd77:9::9/128", "fd77::3");
	ok(c->h[1], pi_nl_sysctl_set(c->h[1], "net.ipv4.ip_forward", "1"));
	ok(c->h[1], pi_nl_sysctl_set(c->h[1], "net/ipv6/conf/all/forwarding", "1"));
	/* The kernel rate-limits ICMP errors per destination host (1 s for
	 * IPv4, 100 ms for IPv6): tests in a row, slower under ASan, would see
	 * a limited error as a timeout. What is tested here is the trace. */
	for (int i = 1; i < 3; i++) {
		ok(c->h[i], pi_nl_sysctl_set(c->h[i], "net.ipv4.icmp_ratelimit", "0"));
		ok(c->h[i], pi_nl_sysctl_set(c->h[i], "net/ipv6/icmp/ratelimit", "0"));
	}
	*state = c;
	return 0;
}

static int chain_teardown(void **state)
{
	struct chain *c = *state;
	for (int i = 0; c && i < 3; i++) {
		pi_nl_close(c->h[i]);
		pi_nl_netns_delete(c->ns[i]);
	}
	free(c);
	return 0;
}

static void assert_addr(const struct pi_troute_hop *h, const char *want)
{
	char b[PI_PREFIX_STRLEN];
	assert_true(pi_prefix_is_set(&h->addr));
	assert_string_equal(pi_prefix_fmt_addr(&h->addr, b), want);
}

static void trace_to(struct chain *c, const char *dst, const char *hop1, const char *hop2)
{
	struct pi_troute_hop hops[8];
	size_t n;
	struct pi_prefix d = P(dst);
	struct pi_troute_opts o = { .max_hops = 8, .timeout_ms = 3000, .probes = 3 };
	assert_int_equal(pi_troute_run(c->h[0], &d, &o, hops, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(hops[0].ttl, 1);
	assert_int_equal(hops[0].reply, PI_TROUTE_TIME_EXCEEDED);
	assert_addr(&hops[0], hop1);
	assert_int_equal(hops[0].probes, 3);
	assert_true(hops[0].answers >= 1);
	assert_int_equal(hops[1].reply, PI_TROUTE_ECHO_REPLY);
	assert_addr(&hops[1], hop2);
	assert_int_equal(hops[1].answers, 3); /* echo replies are not rate limited */
	for (int k = 0; k < 3; k++)
		assert_true(hops[1].rtt_ms[k] >= 0 && hops[1].rtt_ms[k] < 3000);
}

static void test_trace_v4(void **state)
{
	struct chain *c = *state;
	trace_to(c, "10.77.0.3", "10.77.0.1", "10.77.0.3");
	trace_to(c, "10.77.9.9", "10.77.0.1", "10.77.9.9"); /* b's loopback */
}

static void test_trace_v6(void **state)
{
	struct chain *c = *state;
	trace_to(c, "fd77::3", "fd77::1", "fd77::3");
	trace_to(c, "fd77:9::9", "fd77::1", "fd77:9::9");
}

/* From a chosen source, and to where r has no route: r says unreachable. */
static void test_trace_source_and_unreachable(void **state)
{
	struct chain *c = *state;
	struct pi_troute_hop hops[8];
	size_t n;
	struct pi_prefix d = P("10.77.50.1");
	struct pi_troute_opts o = { .max_hops = 8, .timeout_ms = 3000, .probes = 2, .src = P("10.77.0.0") };
	assert_int_equal(pi_troute_run(c->h[0], &d, &o, hops, 8, &n), -EHOSTUNREACH);
	assert_int_equal(n, 1);
	assert_int_equal(hops[0].reply, PI_TROUTE_UNREACHABLE);
	assert_addr(&hops[0], "10.77.0.1");
	/* A source the netns does not have cannot be bound. */
	o.src = P("10.1.2.3");
	assert_int_equal(pi_troute_run(c->h[0], &d, &o, hops, 8, &n), -EADDRNOTAVAIL);
	/* Mixed families are refused. */
	o.src = P("fd77::");
	assert_int_equal(pi_troute_run(c->h[0], &d, &o, hops, 8, &n), -EINVAL);
}

/* Nobody answers past r when b drops everything: hops stay empty up to max_hops. */
static void test_trace_timeout(void **state)
{
	struct chain *c = *state;
	struct pi_troute_hop hops[4];
	size_t n;
	struct pi_prefix d = P("10.77.60.1");
	route(c->h[1], "10.77.60.0/24", "10.77.0.3");
	ok(c->h[2], pi_nl_route_add(c->h[2], &(struct pi_nl_route){ .dst = P("10.77.60.0/24"),
								 .type = PI_NL_ROUTE_BLACKHOLE }));
	ok(c->h[2], pi_nl_sysctl_set(c->h[2], "net.ipv4.ip_forward", "1"));
	struct pi_troute_opts o = { .max_hops = 4, .timeout_ms = 800, .probes = 1 };
	assert_int_equal(pi_troute_run(c->h[0], &d, &o, hops, 4, &n), -ETIMEDOUT);
	assert_int_equal(n, 4);
	assert_addr(&hops[0], "10.77.0.1");
	assert_int_equal(hops[1].reply, PI_TROUTE_NONE); /* b's blackhole drops silently */
	assert_false(pi_prefix_is_set(&hops[1].addr));
	assert_int_equal(hops[1].answers, 0);
	assert_true(hops[1].rtt_ms[0] < 0);
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "probe tests need root (raw sockets, network namespaces): skipped\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_v4),
		cmocka_unit_test(test_trace_v6),
		cmocka_unit_test(test_trace_source_and_unreachable),
		cmocka_unit_test(test_trace_timeout),
	};
	return cmocka_run_group_tests(tests, chain_setup, chain_teardown);
}
