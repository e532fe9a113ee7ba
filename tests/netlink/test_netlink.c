/*
 * netlink tests (suite 'netlink', needs root): every test makes its own
 * named network namespaces ("pint<pid>-..."), wires them with the module
 * and proves the result by real traffic between those namespaces (UDP
 * over documentation prefixes that exist only inside them) or by reading
 * the state back; each test removes what it made, even when it fails.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pocketinternet/netlink.h"
#include "pocketinternet/prefix.h"
#include "pocketinternet/util.h"

#define MAX_NS 6

struct fx {
	char ns[MAX_NS][32]; /* named netns made by this test */
	int nns;
	struct pi_nl *h[MAX_NS];
	char pfx[8]; /* interface name prefix, unique per process */
};

static unsigned tag(void)
{
	return (unsigned)getpid() % 100000;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (geteuid() != 0) {
		free(f);
		return -1;
	}
	snprintf(f->pfx, sizeof(f->pfx), "t%05u", tag());
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < f->nns; i++) {
		pi_nl_close(f->h[i]);
		pi_nl_netns_delete(f->ns[i]);
	}
	free(f);
	return 0;
}

/* A fresh named netns with a handle on it; index returned. */
static int fx_ns(struct fx *f, const char *what)
{
	int i = f->nns;
	assert_true(i < MAX_NS);
	snprintf(f->ns[i], sizeof(f->ns[i]), "pint%u-%s", tag(), what);
	pi_nl_netns_delete(f->ns[i]); /* a leftover of a crashed run */
	assert_int_equal(pi_nl_netns_create(f->ns[i]), 0);
	f->nns++;
	assert_int_equal(pi_nl_open_netns_name(f->ns[i], &f->h[i]), 0);
	return i;
}

static struct pi_prefix P(const char *s)
{
	struct pi_prefix p;
	assert_int_equal(pi_prefix_parse(s, &p), 0);
	return p;
}

/* A pointer to a parsed prefix, for arguments. */
#define PP(s) (&(struct pi_prefix[1]){ P(s) }[0])

/* Name "<pfx><suffix>", always <= 15 bytes here. */
static const char *ifn(const struct fx *f, char *buf, const char *suffix)
{
	assert_true(snprintf(buf, 12, "%s%s", f->pfx, suffix) < 12);
	return buf;
}

static void ok(struct pi_nl *nl, int rc)
{
	if (rc != 0)
		fail_msg("netlink: %d %s", rc, pi_nl_strerror(nl));
}

static ino_t thread_netns(void)
{
	struct stat st;
	assert_int_equal(stat("/proc/thread-self/ns/net", &st), 0);
	return st.st_ino;
}

static socklen_t mksa(int af, const char *addr, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
	return sizeof(*s6);
}

/* Sends one UDP datagram from netns `from` to dst:port bound in netns
 * `to`; checks the payload and, when given, the sender's source address.
 * Returns 0 when it arrived, -ETIMEDOUT when not, or a sendto error. */
static int udp_probe(struct pi_nl *from, struct pi_nl *to, int af, const char *dst, const char *src)
{
	static uint16_t port = 40000;
	struct sockaddr_storage sa, peer;
	socklen_t salen, plen = sizeof(peer);
	char msg[32], got[64];
	int rs, ss, rc = 0;
	struct pollfd pfd;

	port++;
	salen = mksa(af, dst, port, &sa);
	rs = pi_nl_socket(to, af, SOCK_DGRAM, 0);
	ss = pi_nl_socket(from, af, SOCK_DGRAM, 0);
	assert_true(rs >= 0);
	assert_true(ss >= 0);
	assert_int_equal(bind(rs, (struct sockaddr *)&sa, salen), 0);
	snprintf(msg, sizeof(msg), "pocketinternet %u", port);
	if (sendto(ss, msg, strlen(msg), 0, (struct sockaddr *)&sa, salen) < 0) {
		rc = -errno;
		goto out;
	}
	pfd = (struct pollfd){ .fd = rs, .events = POLLIN };
	if (poll(&pfd, 1, 3000) != 1) {
		rc = -ETIMEDOUT;
		goto out;
	}
	ssize_t n = recvfrom(rs, got, sizeof(got) - 1, 0, (struct sockaddr *)&peer, &plen);
	assert_true(n > 0);
	got[n] = '\0';
	assert_string_equal(got, msg);
	if (src) {
		char a[INET6_ADDRSTRLEN];
		const void *pa = af == AF_INET ? (const void *)&((struct sockaddr_in *)&peer)->sin_addr
					       : (const void *)&((struct sockaddr_in6 *)&peer)->sin6_addr;
		inet_ntop(af, pa, a, sizeof(a));
		assert_string_equal(a, src);
	}
out:
	close(rs);
	close(ss);
	return rc;
}

static size_t count_prefix(struct pi_nl *nl, const char *prefix)
{
	struct pi_nl_link *l;
	size_t n;
	ok(nl, pi_nl_links_with_prefix(nl, prefix, &l, &n));
	free(l);
	return n;
}

/* Output of a command (tests may inspect with iproute2). */
static void run_capture(char *out, size_t len, const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	FILE *p;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	pclose(p);
}

/* ---------------------------------------------------------------- */

static void test_names(void **state)
{
	struct fx *f = *state;
	int a = fx_ns(f, "n");
	struct pi_nl_veth v = { .name = "abcdefghijklmnop", .peer = "x", .ns_fd = -1, .peer_ns_fd = -1 };

	assert_true(pi_nl_ifname_valid("eth0"));
	assert_true(pi_nl_ifname_valid("abcdefghijklmno")); /* 15 */
	assert_false(pi_nl_ifname_valid("abcdefghijklmnop")); /* 16 */
	assert_false(pi_nl_ifname_valid(""));
	assert_false(pi_nl_ifname_valid("a/b"));
	assert_false(pi_nl_ifname_valid("a b"));
	assert_false(pi_nl_ifname_valid("eth%d"));
	assert_false(pi_nl_ifname_valid(".."));
	assert_int_equal(pi_nl_veth_create(f->h[a], &v), -EINVAL);
	assert_non_null(strstr(pi_nl_error(f->h[a])->op, "veth_create"));
	assert_int_equal(pi_nl_bridge_create(f->h[a], "abcdefghijklmnop", 0), -EINVAL);
	assert_int_equal(pi_nl_link_rename(f->h[a], "lo", "abcdefghijklmnop"), -EINVAL);
	assert_int_equal(pi_nl_netns_create("../etc"), -EINVAL);
	assert_int_equal(pi_nl_netns_create(f->ns[a]), -EEXIST);
	/* Nothing was queued by the refused calls. */
	assert_int_equal(pi_nl_batch_pending(f->h[a]), 0);
	assert_int_equal(pi_nl_link_delete(f->h[a], "nosuchlink0"), -ENODEV);
	assert_non_null(strstr(pi_nl_strerror(f->h[a]), "link_delete nosuchlink0"));
}

static void test_veth_connectivity(void **state)
{
	struct fx *f = *state;
	int a = fx_ns(f, "a"), b = fx_ns(f, "b");
	struct pi_nl *ha = f->h[a], *hb = f->h[b], *here;
	const uint8_t mac_a[6] = { 0x02, 0x50, 0x49, 0, 0, 0x0a }, mac_b[6] = { 0x02, 0x50, 0x49, 0, 0, 0x0b };
	char na[32], nb[32];
	struct pi_nl_veth v = { .name = ifn(f, na, "a"), .peer = ifn(f, nb, "b"), .ns_fd = -1,
				.peer_ns_fd = pi_nl_ns_fd(hb), .mtu = 1400, .mac = mac_a, .peer_mac = mac_b };
	struct pi_nl_link la, lb;
	ino_t before = thread_netns();

	ok(ha, pi_nl_veth_create(ha, &v));
	ok(ha, pi_nl_link_get(ha, na, &la));
	ok(hb, pi_nl_link_get(hb, nb, &lb));
	assert_string_equal(la.kind, "veth");
	assert_string_equal(lb.kind, "veth");
	assert_int_equal(la.mtu, 1400);
	assert_int_equal(lb.mtu, 1400);
	assert_memory_equal(la.mac, mac_a, 6);
	assert_memory_equal(lb.mac, mac_b, 6);
	assert_true(la.link_other_netns);
	/* Each end is only where it was asked to be. */
	assert_int_equal(pi_nl_link_get(ha, nb, &lb), -ENODEV);
	assert_int_equal(pi_nl_link_get(hb, na, &la), -ENODEV);
	assert_int_equal(pi_nl_open(&here), 0);
	assert_int_equal(count_prefix(here, f->pfx), 0);
	pi_nl_close(here);

	assert_int_equal(pi_nl_addr_add(ha, na, &(struct pi_prefix){ 0 }), -EINVAL);
	ok(ha, pi_nl_addr_add(ha, na, PP("192.0.2.1/30")));
	ok(ha, pi_nl_addr_add(ha, na, PP("2001:db8:1::1/64")));
	ok(hb, pi_nl_addr_add(hb, nb, PP("192.0.2.2/30")));
	ok(hb, pi_nl_addr_add(hb, nb, PP("2001:db8:1::2/64")));
	ok(ha, pi_nl_link_set_up(ha, na));
	ok(hb, pi_nl_link_set_up(hb, nb));
	ok(ha, pi_nl_link_get(ha, na, &la));
	assert_true(la.flags & IFF_UP);

	assert_int_equal(udp_probe(ha, hb, AF_INET, "192.0.2.2", "192.0.2.1"), 0);
	assert_int_equal(udp_probe(hb, ha, AF_INET, "192.0.2.1", "192.0.2.2"), 0);
	/* NODAD: usable the moment it is added, no tentative period. */
	assert_int_equal(udp_probe(ha, hb, AF_INET6, "2001:db8:1::2", "2001:db8:1::1"), 0);

	/* Loopback address, reachable from the neighbour via a route. */
	ok(hb, pi_nl_loopback_addr_add(hb, PP("198.51.100.7/32")));
	ok(ha, pi_nl_route_add(ha, &(struct pi_nl_route){ .dst = P("198.51.100.7/32"), .gw = P("192.0.2.2") }));
	assert_int_equal(udp_probe(ha, hb, AF_INET, "198.51.100.7", "192.0.2.1"), 0);
	/* Re-adding an address or a route is idempotent (replace). */
	ok(ha, pi_nl_addr_add(ha, na, PP("192.0.2.1/30")));
	ok(ha, pi_nl_route_add(ha, &(struct pi_nl_route){ .dst = P("198.51.100.7/32"), .gw = P("192.0.2.2") }));
	assert_int_equal(thread_netns(), before);
}

/* The backend's case: a lab handle creates a pair whose two ends are both
 * born in other namespaces (two containers), same names on both sides. */
static void test_veth_both_remote(void **state)
{
	struct fx *f = *state;
	int lab = fx_ns(f, "vl"), a = fx_ns(f, "va"), b = fx_ns(f, "vb");
	struct pi_nl *hl = f->h[lab], *ha = f->h[a], *hb = f->h[b];
	char e[32];
	struct pi_nl_link la, lb;

	ok(hl, pi_nl_batch_begin(hl));
	ok(hl, pi_nl_veth_create(hl, &(struct pi_nl_veth){ .name = ifn(f, e, "eth1"), .peer = e,
				 .ns_fd = pi_nl_ns_fd(ha), .peer_ns_fd = pi_nl_ns_fd(hb), .mtu = 1500, .up = true }));
	ok(hl, pi_nl_batch_end(hl));
	assert_int_equal(count_prefix(hl, f->pfx), 0);
	ok(ha, pi_nl_link_get(ha, e, &la));
	ok(hb, pi_nl_link_get(hb, e, &lb));
	assert_true(la.flags & IFF_UP);
	assert_false(lb.flags & IFF_UP);
	assert_true(la.link_other_netns && lb.link_other_netns);
	ok(hb, pi_nl_link_set_up(hb, e));
	ok(ha, pi_nl_addr_add(ha, e, PP("2001:db8:7::1/127")));
	ok(hb, pi_nl_addr_add(hb, e, PP("2001:db8:7::/127")));
	assert_int_equal(udp_probe(hb, ha, AF_INET6, "2001:db8:7::1", "2001:db8:7::"), 0);
	/* The same pair again collides in the target namespaces. */
	assert_int_equal(pi_nl_veth_create(hl, &(struct pi_nl_veth){ .name = e, .peer = "other0",
				 .ns_fd = pi_nl_ns_fd(ha), .peer_ns_fd = pi_nl_ns_fd(hb) }), -EEXIST);
}

static void test_bridge_three_ports(void **state)
{
	struct fx *f = *state;
	int lab = fx_ns(f, "lan"), n[3];
	struct pi_nl *hl = f->h[lab];
	char br[32], port[32], node[32];
	struct pi_nl_link lbr, lp;

	for (int i = 0; i < 3; i++) {
		char w[8];
		snprintf(w, sizeof(w), "n%d", i);
		n[i] = fx_ns(f, w);
	}
	ok(hl, pi_nl_bridge_create(hl, ifn(f, br, "br"), 1500));
	ok(hl, pi_nl_link_set_up(hl, br));
	for (int i = 0; i < 3; i++) {
		char s[8], addr[32];
		snprintf(s, sizeof(s), "p%d", i);
		ifn(f, port, s);
		snprintf(s, sizeof(s), "e%d", i);
		ifn(f, node, s);
		struct pi_nl_veth v = { .name = port, .peer = node, .ns_fd = -1,
					.peer_ns_fd = pi_nl_ns_fd(f->h[n[i]]), .up = true };
		ok(hl, pi_nl_veth_create(hl, &v));
		ok(hl, pi_nl_link_set_master(hl, port, br));
		snprintf(addr, sizeof(addr), "192.0.2.%d/24", 10 + i);
		ok(f->h[n[i]], pi_nl_addr_add(f->h[n[i]], node, PP(addr)));
		snprintf(addr, sizeof(addr), "2001:db8:5::%d/64", 10 + i);
		ok(f->h[n[i]], pi_nl_addr_add(f->h[n[i]], node, PP(addr)));
		ok(f->h[n[i]], pi_nl_link_set_up(f->h[n[i]], node));
	}
	ok(hl, pi_nl_link_get(hl, br, &lbr));
	assert_string_equal(lbr.kind, "bridge");
	for (int i = 0; i < 3; i++) {
		char s[8];
		snprintf(s, sizeof(s), "p%d", i);
		ok(hl, pi_nl_link_get(hl, ifn(f, port, s), &lp));
		assert_int_equal(lp.master, lbr.index);
	}
	assert_int_equal(udp_probe(f->h[n[0]], f->h[n[2]], AF_INET, "192.0.2.12", "192.0.2.10"), 0);
	assert_int_equal(udp_probe(f->h[n[1]], f->h[n[0]], AF_INET, "192.0.2.10", "192.0.2.11"), 0);
	assert_int_equal(udp_probe(f->h[n[2]], f->h[n[1]], AF_INET6, "2001:db8:5::11", "2001:db8:5::12"), 0);

	/* Detached from the bridge, a port no longer carries traffic. */
	ok(hl, pi_nl_link_set_master(hl, ifn(f, port, "p2"), NULL));
	ok(hl, pi_nl_link_get(hl, port, &lp));
	assert_int_equal(lp.master, 0);
	assert_int_equal(udp_probe(f->h[n[0]], f->h[n[2]], AF_INET, "192.0.2.12", NULL), -ETIMEDOUT);
}

static void test_routes(void **state)
{
	struct fx *f = *state;
	int a = fx_ns(f, "ra"), r = fx_ns(f, "rr"), b = fx_ns(f, "rb");
	struct pi_nl *ha = f->h[a], *hr = f->h[r], *hb = f->h[b];
	char x[32], y[32];

	/* a --- r --- b, a and b only know a default route. */
	ok(hr, pi_nl_veth_create(hr, &(struct pi_nl_veth){ .name = ifn(f, x, "ra"), .peer = ifn(f, y, "ar"),
				 .ns_fd = -1, .peer_ns_fd = pi_nl_ns_fd(ha), .up = true }));
	ok(hr, pi_nl_addr_add(hr, x, PP("192.0.2.2/30")));
	ok(hr, pi_nl_addr_add(hr, x, PP("2001:db8:a::2/64")));
	ok(ha, pi_nl_addr_add(ha, y, PP("192.0.2.1/30")));
	ok(ha, pi_nl_addr_add(ha, y, PP("2001:db8:a::1/64")));
	ok(hr, pi_nl_veth_create(hr, &(struct pi_nl_veth){ .name = ifn(f, x, "rb"), .peer = ifn(f, y, "br"),
				 .ns_fd = -1, .peer_ns_fd = pi_nl_ns_fd(hb), .up = true }));
	ok(hr, pi_nl_addr_add(hr, x, PP("198.51.100.2/30")));
	ok(hr, pi_nl_addr_add(hr, x, PP("2001:db8:b::2/64")));
	ok(hb, pi_nl_addr_add(hb, y, PP("198.51.100.1/30")));
	ok(hb, pi_nl_addr_add(hb, y, PP("2001:db8:b::1/64")));
	ok(hb, pi_nl_link_set_up(hb, y));
	ok(ha, pi_nl_link_set_up(ha, ifn(f, y, "ar")));

	ok(ha, pi_nl_route_add(ha, &(struct pi_nl_route){ .dst = P("0.0.0.0/0"), .gw = P("192.0.2.2") }));
	ok(ha, pi_nl_route_add(ha, &(struct pi_nl_route){ .dst = P("::/0"), .gw = P("2001:db8:a::2"),
				 .dev = ifn(f, y, "ar") }));
	ok(hb, pi_nl_route_add(hb, &(struct pi_nl_route){ .dst = P("0.0.0.0/0"), .gw = P("198.51.100.2") }));
	ok(hb, pi_nl_route_add(hb, &(struct pi_nl_route){ .dst = P("::/0"), .gw = P("2001:db8:b::2") }));

	/* Forwarding off: nothing crosses r. (A new netns may inherit the
	 * host's IPv4 forwarding, so switch it off explicitly.) */
	ok(hr, pi_nl_sysctl_set(hr, "net.ipv4.ip_forward", "0"));
	assert_int_equal(udp_probe(ha, hb, AF_INET, "198.51.100.1", NULL), -ETIMEDOUT);
	ok(hr, pi_nl_sysctl_set(hr, "net.ipv4.ip_forward", "1"));
	ok(hr, pi_nl_sysctl_set(hr, "net/ipv6/conf/all/forwarding", "1"));
	assert_int_equal(udp_probe(ha, hb, AF_INET, "198.51.100.1", "192.0.2.1"), 0);
	assert_int_equal(udp_probe(hb, ha, AF_INET6, "2001:db8:a::1", "2001:db8:b::1"), 0);

	/* A blackhole wins over the default route by being more specific:
	 * the local sender is refused at once. */
	struct pi_nl_route bh = { .dst = P("198.51.100.0/30"), .type = PI_NL_ROUTE_BLACKHOLE };
	ok(ha, pi_nl_route_add(ha, &bh));
	assert_int_equal(udp_probe(ha, hb, AF_INET, "198.51.100.1", NULL), -EINVAL);
	ok(ha, pi_nl_route_del(ha, &bh));
	assert_int_equal(udp_probe(ha, hb, AF_INET, "198.51.100.1", "192.0.2.1"), 0);

	/* Without the default route there is no way out. */
	ok(ha, pi_nl_route_del(ha, &(struct pi_nl_route){ .dst = P("0.0.0.0/0"), .gw = P("192.0.2.2") }));
	assert_int_equal(udp_probe(ha, hb, AF_INET, "198.51.100.1", NULL), -ENETUNREACH);

	/* Deleting matches routes of any protocol: the kernel's own
	 * connected route goes too. */
	assert_int_equal(udp_probe(ha, hr, AF_INET, "192.0.2.2", "192.0.2.1"), 0);
	ok(ha, pi_nl_route_del(ha, &(struct pi_nl_route){ .dst = P("192.0.2.0/30"), .dev = ifn(f, y, "ar") }));
	assert_int_equal(udp_probe(ha, hr, AF_INET, "192.0.2.2", NULL), -ENETUNREACH);

	/* Argument errors are caught before the kernel. */
	assert_int_equal(pi_nl_route_add(ha, &(struct pi_nl_route){ .dst = P("0.0.0.0/0") }), -EINVAL);
	assert_int_equal(pi_nl_route_add(ha, &(struct pi_nl_route){ .dst = P("0.0.0.0/0"), .gw = P("2001:db8::1") }),
			 -EINVAL);
	assert_int_equal(pi_nl_route_add(ha, &(struct pi_nl_route){ .dst = P("10.0.0.0/8"), .dev = "nosuchdev0" }),
			 -ENODEV);
}

/* The host-prefix dump behind configure-docker: routes of every table,
 * both families, and interface addresses, without the default routes. */
static bool has_prefix(const struct pi_vec *v, const char *pfx, const char *dev, unsigned table, bool addr)
{
	struct pi_prefix p = P(pfx);
	for (size_t i = 0; i < v->len; i++) {
		const struct pi_nl_route_prefix *r = pi_vec_at(v, i);
		if (pi_prefix_equal(&r->prefix, &p) && strcmp(r->dev, dev) == 0 && r->addr == addr &&
		    (addr || r->table == table))
			return true;
	}
	return false;
}

static void test_route_dump(void **state)
{
	struct fx *f = *state;
	int a = fx_ns(f, "da");
	struct pi_nl *h = f->h[a];
	char x[32], y[32];
	struct pi_vec v = PI_VEC_INIT(struct pi_nl_route_prefix);

	ok(h, pi_nl_veth_create(h, &(struct pi_nl_veth){ .name = ifn(f, x, "d0"), .peer = ifn(f, y, "d1"),
				.ns_fd = -1, .peer_ns_fd = -1, .up = true }));
	ok(h, pi_nl_link_set_up(h, y));
	ok(h, pi_nl_addr_add(h, x, PP("192.0.2.1/24")));
	ok(h, pi_nl_addr_add(h, x, PP("2001:db8:d::1/64")));
	ok(h, pi_nl_route_add(h, &(struct pi_nl_route){ .dst = P("198.51.100.0/24"), .gw = P("192.0.2.2") }));
	ok(h, pi_nl_route_add(h, &(struct pi_nl_route){ .dst = P("2001:db8:77::/48"), .gw = P("2001:db8:d::2"),
				.dev = x }));
	ok(h, pi_nl_route_add(h, &(struct pi_nl_route){ .dst = P("203.0.113.0/24"), .table = 100,
				.type = PI_NL_ROUTE_BLACKHOLE }));
	ok(h, pi_nl_route_add(h, &(struct pi_nl_route){ .dst = P("0.0.0.0/0"), .gw = P("192.0.2.2") }));
	ok(h, pi_nl_route_add(h, &(struct pi_nl_route){ .dst = P("::/0"), .gw = P("2001:db8:d::2"), .dev = x }));

	ok(h, pi_nl_route_prefixes(h, &v));
	assert_true(has_prefix(&v, "198.51.100.0/24", x, 254, false));
	assert_true(has_prefix(&v, "2001:db8:77::/48", x, 254, false));
	assert_true(has_prefix(&v, "203.0.113.0/24", "", 100, false)); /* a policy table too */
	assert_true(has_prefix(&v, "192.0.2.0/24", x, 254, false));    /* the connected route */
	assert_true(has_prefix(&v, "192.0.2.0/24", x, 0, true));       /* and the address */
	assert_true(has_prefix(&v, "2001:db8:d::/64", x, 0, true));
	for (size_t i = 0; i < v.len; i++) {
		const struct pi_nl_route_prefix *r = pi_vec_at(&v, i);
		assert_int_not_equal(r->prefix.len, 0); /* no default route */
		assert_false(pi_prefix_has_host_bits(&r->prefix));
	}
	pi_vec_free(&v);

	/* A deleted route leaves the dump. */
	ok(h, pi_nl_route_del(h, &(struct pi_nl_route){ .dst = P("198.51.100.0/24"), .gw = P("192.0.2.2") }));
	v = (struct pi_vec)PI_VEC_INIT(struct pi_nl_route_prefix);
	ok(h, pi_nl_route_prefixes(h, &v));
	assert_false(has_prefix(&v, "198.51.100.0/24", x, 254, false));
	pi_vec_free(&v);
}

static void read_line(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(buf, (int)len, fp));
	fclose(fp);
	buf[strcspn(buf, "\n")] = '\0';
}

static void test_sysctl_per_netns(void **state)
{
	struct fx *f = *state;
	int a = fx_ns(f, "sa"), b = fx_ns(f, "sb");
	char v[64], host[64], host6[64], b4[64], b6[64], out[256], expect[160];
	const char *flip;
	ino_t before = thread_netns();

	/* A new netns may inherit IPv4 settings from the host's, so compare
	 * against what each namespace had, and write the opposite in a. */
	read_line("/proc/sys/net/ipv4/ip_forward", host, sizeof(host));
	read_line("/proc/sys/net/ipv6/conf/all/disable_ipv6", host6, sizeof(host6));
	ok(f->h[b], pi_nl_sysctl_get(f->h[b], "net.ipv4.ip_forward", b4, sizeof(b4)));
	ok(f->h[b], pi_nl_sysctl_get(f->h[b], "net.ipv6.conf.all.disable_ipv6", b6, sizeof(b6)));
	flip = strcmp(host, "1") ? "1" : "0";

	ok(f->h[a], pi_nl_sysctl_set(f->h[a], "net.ipv4.ip_forward", flip));
	ok(f->h[a], pi_nl_sysctl_set(f->h[a], "net.ipv6.conf.all.disable_ipv6", "1"));
	ok(f->h[a], pi_nl_sysctl_get(f->h[a], "net.ipv4.ip_forward", v, sizeof(v)));
	assert_string_equal(v, flip);
	ok(f->h[b], pi_nl_sysctl_get(f->h[b], "net.ipv4.ip_forward", v, sizeof(v)));
	assert_string_equal(v, b4);
	ok(f->h[b], pi_nl_sysctl_get(f->h[b], "net.ipv6.conf.all.disable_ipv6", v, sizeof(v)));
	assert_string_equal(v, b6);
	assert_int_equal(thread_netns(), before);

	/* Seen from outside by another tool, in the right namespace only. */
	run_capture(out, sizeof(out), "ip netns exec %s cat /proc/sys/net/ipv4/ip_forward "
		    "/proc/sys/net/ipv6/conf/all/disable_ipv6", f->ns[a]);
	snprintf(expect, sizeof(expect), "%s\n1\n", flip);
	assert_string_equal(out, expect);
	run_capture(out, sizeof(out), "ip netns exec %s cat /proc/sys/net/ipv4/ip_forward", f->ns[b]);
	snprintf(expect, sizeof(expect), "%s\n", b4);
	assert_string_equal(out, expect);
	read_line("/proc/sys/net/ipv4/ip_forward", v, sizeof(v));
	assert_string_equal(v, host);
	read_line("/proc/sys/net/ipv6/conf/all/disable_ipv6", v, sizeof(v));
	assert_string_equal(v, host6);

	ok(f->h[a], pi_nl_sysctl_set(f->h[a], "net.ipv6.conf.all.disable_ipv6", "0"));
	ok(f->h[a], pi_nl_sysctl_get(f->h[a], "net/ipv6/conf/all/disable_ipv6", v, sizeof(v)));
	assert_string_equal(v, "0");
	assert_int_equal(pi_nl_sysctl_set(f->h[a], "net.ipv4.no_such_knob", "1"), -ENOENT);
	assert_int_equal(pi_nl_sysctl_set(f->h[a], "../../etc/passwd", "1"), -EINVAL);
}

static void test_move_rename_set(void **state)
{
	struct fx *f = *state;
	int a = fx_ns(f, "ma"), b = fx_ns(f, "mb");
	struct pi_nl *ha = f->h[a], *hb = f->h[b];
	const uint8_t mac[6] = { 0x02, 0, 0, 0x12, 0x34, 0x56 };
	char x[32], y[32], z[32];
	struct pi_nl_link l;

	ok(ha, pi_nl_veth_create(ha, &(struct pi_nl_veth){ .name = ifn(f, x, "x"), .peer = ifn(f, y, "y"),
				 .ns_fd = -1, .peer_ns_fd = -1 }));
	ok(ha, pi_nl_link_move(ha, y, pi_nl_ns_fd(hb), ifn(f, z, "z")));
	assert_int_equal(pi_nl_link_get(ha, y, &l), -ENODEV);
	ok(hb, pi_nl_link_get(hb, z, &l));
	ok(hb, pi_nl_link_rename(hb, z, ifn(f, y, "eth0")));
	assert_int_equal(pi_nl_link_get(hb, z, &l), -ENODEV);
	ok(hb, pi_nl_link_set_mtu(hb, y, 9000));
	ok(hb, pi_nl_link_set_mac(hb, y, mac));
	ok(hb, pi_nl_link_set_up(hb, y));
	ok(hb, pi_nl_link_get(hb, y, &l));
	assert_int_equal(l.mtu, 9000);
	assert_memory_equal(l.mac, mac, 6);
	assert_true(l.flags & IFF_UP);
	ok(hb, pi_nl_link_set_down(hb, y));
	ok(hb, pi_nl_link_get(hb, y, &l));
	assert_false(l.flags & IFF_UP);
	/* Moving without renaming, then back with the kernel's by-name path. */
	ok(hb, pi_nl_link_move(hb, y, pi_nl_ns_fd(ha), NULL));
	ok(ha, pi_nl_link_get(ha, y, &l));
	assert_false(l.link_other_netns);
	ok(ha, pi_nl_link_delete(ha, x));
	assert_int_equal(pi_nl_link_get(ha, y, &l), -ENODEV);
}

static void test_batch_200(void **state)
{
	struct fx *f = *state;
	int a = fx_ns(f, "ba"), b = fx_ns(f, "bb");
	struct pi_nl *ha = f->h[a], *hb = f->h[b];
	struct pi_nl_stats s0, s1;
	struct pi_nl_link *l;
	size_t n;
	char x[32], y[32], pa[12], pb[12];

	ifn(f, pa, "A");
	ifn(f, pb, "B");
	pi_nl_stats(ha, &s0);
	ok(ha, pi_nl_batch_begin(ha));
	assert_int_equal(pi_nl_batch_begin(ha), -EBUSY);
	for (int i = 0; i < 200; i++) {
		uint8_t mac[6] = { 0x02, 0xba, 0, 0, (uint8_t)(i >> 8), (uint8_t)i };
		snprintf(x, sizeof(x), "%s%d", pa, i);
		snprintf(y, sizeof(y), "%s%d", pb, i);
		ok(ha, pi_nl_veth_create(ha, &(struct pi_nl_veth){ .name = x, .peer = y, .ns_fd = -1,
					 .peer_ns_fd = pi_nl_ns_fd(hb), .mtu = 1450, .peer_mac = mac }));
		/* By-name requests may follow the creation in the same batch. */
		ok(ha, pi_nl_link_set_up(ha, x));
	}
	assert_int_equal(pi_nl_batch_pending(ha), 400);
	assert_int_equal(count_prefix(ha, pa), 0); /* nothing sent yet */
	ok(ha, pi_nl_batch_end(ha));
	pi_nl_stats(ha, &s1);
	/* 400 requests went out in a handful of sendmsg calls (plus the one
	 * dump above) and came back with a handful of reads. */
	assert_true(s1.requests - s0.requests == 401);
	assert_true(s1.sendmsgs - s0.sendmsgs <= 4);
	assert_true(s1.recvmsgs - s0.recvmsgs <= 8);

	ok(ha, pi_nl_links_with_prefix(ha, pa, &l, &n));
	assert_int_equal(n, 200);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(l[i].kind, "veth");
		assert_int_equal(l[i].mtu, 1450);
		assert_true(l[i].flags & IFF_UP);
	}
	free(l);
	ok(hb, pi_nl_links_with_prefix(hb, pb, &l, &n));
	assert_int_equal(n, 200);
	for (size_t i = 0; i < n; i++) {
		int k = atoi(l[i].name + strlen(pb));
		uint8_t mac[6] = { 0x02, 0xba, 0, 0, (uint8_t)(k >> 8), (uint8_t)k };
		assert_memory_equal(l[i].mac, mac, 6);
		assert_false(l[i].flags & IFF_UP);
	}
	free(l);

	/* A failing request in the middle: reported by name, the rest done. */
	ok(ha, pi_nl_batch_begin(ha));
	for (int i = 0; i < 10; i++) {
		snprintf(x, sizeof(x), "%sq%d", pa, i);
		snprintf(y, sizeof(y), "%s%d", pb, i == 5 ? 17 : 200 + i); /* 17 exists in b */
		ok(ha, pi_nl_veth_create(ha, &(struct pi_nl_veth){ .name = x, .peer = y, .ns_fd = -1,
					 .peer_ns_fd = pi_nl_ns_fd(hb) }));
	}
	assert_int_equal(pi_nl_batch_end(ha), -EEXIST);
	char want[96];
	snprintf(want, sizeof(want), "veth_create %sq5/%s17", pa, pb);
	assert_string_equal(pi_nl_error(ha)->op, want);
	assert_int_equal(count_prefix(ha, pa), 209);
	assert_int_equal(count_prefix(hb, pb), 209);

	/* Teardown by prefix: one side's deletion takes the peers along. */
	pi_nl_stats(ha, &s0);
	assert_int_equal(pi_nl_links_delete_prefix(ha, pa), 209);
	pi_nl_stats(ha, &s1);
	assert_true(s1.sendmsgs - s0.sendmsgs <= 3); /* the dump and one batch */
	assert_int_equal(count_prefix(ha, pa), 0);
	assert_int_equal(count_prefix(hb, pb), 0);
}

static void test_teardown_prefix(void **state)
{
	struct fx *f = *state;
	int lab = fx_ns(f, "tl"), a = fx_ns(f, "ta");
	struct pi_nl *hl = f->h[lab], *ha = f->h[a];
	char lp[12], x[32], y[32], **names;
	size_t n;

	/* Lab links share a prefix; "keep0" belongs to somebody else. */
	ifn(f, lp, "L");
	ok(hl, pi_nl_batch_begin(hl));
	snprintf(x, sizeof(x), "%sbr", lp);
	ok(hl, pi_nl_bridge_create(hl, x, 0));
	for (int i = 0; i < 5; i++) {
		snprintf(x, sizeof(x), "%sv%d", lp, i);
		snprintf(y, sizeof(y), "%sw%d", lp, i);
		/* Both ends in the lab netns: deleting one removes both. */
		ok(hl, pi_nl_veth_create(hl, &(struct pi_nl_veth){ .name = x, .peer = y, .ns_fd = -1,
					 .peer_ns_fd = i < 3 ? -1 : pi_nl_ns_fd(ha) }));
	}
	ok(hl, pi_nl_bridge_create(hl, "keep0", 0));
	ok(hl, pi_nl_batch_end(hl));
	assert_int_equal(count_prefix(hl, lp), 9);
	assert_int_equal(count_prefix(ha, lp), 2);
	/* Five veth "v" ends are found, three "w" peers vanish with them. */
	assert_int_equal(pi_nl_links_delete_prefix(hl, lp), 9);
	assert_int_equal(count_prefix(hl, lp), 0);
	assert_int_equal(count_prefix(ha, lp), 0);
	assert_int_equal(count_prefix(hl, "keep0"), 1);
	assert_int_equal(pi_nl_links_delete_prefix(hl, ""), -EINVAL);

	/* The lab's namespaces are found by prefix and go away. */
	char pfx[32];
	snprintf(pfx, sizeof(pfx), "pint%u-t", tag());
	assert_int_equal(pi_nl_netns_list(pfx, &names, &n), 0);
	assert_int_equal(n, 2);
	pi_nl_names_free(names, n);
	pi_nl_close(f->h[0]);
	f->h[0] = NULL;
	assert_int_equal(pi_nl_netns_delete(f->ns[0]), 0);
	assert_int_equal(pi_nl_netns_delete(f->ns[0]), -ENOENT);
	assert_int_equal(pi_nl_open_netns_name(f->ns[0], &ha), -ENOENT);
	/* A handle keeps its netns usable after the name is gone. */
	assert_int_equal(count_prefix(f->h[1], "lo"), 1);
	assert_int_equal(pi_nl_netns_delete_prefix(pfx), 1);
	assert_int_equal(pi_nl_netns_delete_prefix(""), -EINVAL);
	for (int i = 0; i < f->nns; i++)
		pi_nl_close(f->h[i]);
	f->nns = 0;
	assert_int_equal(pi_nl_netns_list(pfx, &names, &n), 0);
	assert_int_equal(n, 0);
	pi_nl_names_free(names, n);
}

static void test_qdisc(void **state)
{
	struct fx *f = *state;
	int a = fx_ns(f, "qa");
	struct pi_nl *ha = f->h[a];
	char x[32], y[32], out[1024];
	int rc;

	ok(ha, pi_nl_veth_create(ha, &(struct pi_nl_veth){ .name = ifn(f, x, "qx"), .peer = ifn(f, y, "qy"),
				 .ns_fd = -1, .peer_ns_fd = -1, .up = true }));
	ok(ha, pi_nl_link_set_up(ha, y));
	ok(ha, pi_nl_qdisc_apply(ha, x, &(struct pi_impair){ .rate_bps = 10000000 }));
	run_capture(out, sizeof(out), "tc -n %s qdisc show dev %s", f->ns[a], x);
	assert_non_null(strstr(out, "qdisc tbf"));
	assert_non_null(strstr(out, "rate 10Mbit"));
	/* Changing the rate replaces, it does not stack. */
	ok(ha, pi_nl_qdisc_apply(ha, x, &(struct pi_impair){ .rate_bps = 2000000 }));
	run_capture(out, sizeof(out), "tc -n %s qdisc show dev %s", f->ns[a], x);
	assert_non_null(strstr(out, "rate 2Mbit"));
	assert_non_null(strstr(out, "burst 16Kb")); /* the minimum bucket */
	assert_null(strstr(out, "10Mbit"));

	/* Delay needs netem: applied where the kernel has it, otherwise a
	 * clear -EOPNOTSUPP naming netem and the tbf left as it was. */
	rc = pi_nl_qdisc_apply(ha, x, &(struct pi_impair){ .delay_us = 20000, .loss_ppm = 10000 });
	run_capture(out, sizeof(out), "tc -n %s qdisc show dev %s", f->ns[a], x);
	if (rc == 0) {
		assert_non_null(strstr(out, "qdisc netem"));
		assert_non_null(strstr(out, "delay 20ms"));
		assert_non_null(strstr(out, "loss 1%"));
	} else {
		assert_int_equal(rc, -EOPNOTSUPP);
		assert_non_null(strstr(pi_nl_strerror(ha), "netem"));
		assert_non_null(strstr(out, "rate 2Mbit"));
	}
	ok(ha, pi_nl_qdisc_apply(ha, x, &(struct pi_impair){ 0 }));
	run_capture(out, sizeof(out), "tc -n %s qdisc show dev %s", f->ns[a], x);
	assert_null(strstr(out, "tbf"));
	assert_null(strstr(out, "netem"));
	/* Clearing again is fine. */
	ok(ha, pi_nl_qdisc_apply(ha, x, &(struct pi_impair){ 0 }));
}

/* Several threads wiring their own namespaces at once. */
struct worker {
	const char *ns;
	const char *pfx;
	int rc;
	bool same_ns_after;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct stat st0, st1;
	struct pi_nl *nl = NULL;
	char x[32], y[32], v[8];

	stat("/proc/thread-self/ns/net", &st0);
	w->rc = pi_nl_open_netns_name(w->ns, &nl);
	for (int i = 0; !w->rc && i < 20; i++) {
		snprintf(x, sizeof(x), "%sx%d", w->pfx, i);
		snprintf(y, sizeof(y), "%sy%d", w->pfx, i);
		w->rc = pi_nl_veth_create(nl, &(struct pi_nl_veth){ .name = x, .peer = y, .ns_fd = -1,
								   .peer_ns_fd = -1, .up = true });
		if (!w->rc)
			w->rc = pi_nl_sysctl_set(nl, "net.ipv4.ip_forward", "1");
		if (!w->rc)
			w->rc = pi_nl_sysctl_get(nl, "net.ipv4.ip_forward", v, sizeof(v));
		if (!w->rc && strcmp(v, "1"))
			w->rc = -EIO;
	}
	pi_nl_close(nl);
	stat("/proc/thread-self/ns/net", &st1);
	w->same_ns_after = st0.st_ino == st1.st_ino;
	return NULL;
}

static void test_threads(void **state)
{
	struct fx *f = *state;
	pthread_t t[4];
	struct worker w[4];
	char pfx[4][12];
	int idx[4];

	for (int i = 0; i < 4; i++) {
		char s[8];
		snprintf(s, sizeof(s), "w%d", i);
		idx[i] = fx_ns(f, s);
		snprintf(pfx[i], sizeof(pfx[i]), "%s%d", f->pfx, i);
		w[i] = (struct worker){ .ns = f->ns[idx[i]], .pfx = pfx[i] };
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].rc, 0);
		assert_true(w[i].same_ns_after);
		/* Each thread's links landed in its own netns only. */
		assert_int_equal(count_prefix(f->h[idx[i]], f->pfx), 40);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_names, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_veth_connectivity, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_veth_both_remote, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bridge_three_ports, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_routes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_route_dump, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sysctl_per_netns, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_move_rename_set, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_batch_200, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_teardown_prefix, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_qdisc, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_threads, fx_setup, fx_teardown),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test-netlink: needs root (network namespaces)\n");
		return 77; /* meson: skipped */
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
