/*
 * verify_reach: the reachability matrix. Every node that holds a routable
 * address pings every other such node, over IPv4 and over IPv6, natively: a
 * raw ICMP socket created in each source's netns (from its loopback when it
 * is a router: an IXP LAN address, which the kernel could pick, is routed to
 * the IXP's members only), every echo of a round sent at once, the replies
 * matched by sequence number, and two more rounds for what did not answer.
 * Sources run in parallel. Nothing runs inside the nodes.
 *
 * Who is a target: routers by loopback, the rest by their first address of
 * the family (a DHCP/RA address as the plan reserves it). Not targets, and
 * said so: subscribers behind CGNAT (100.64.0.0/10 is not routed; they still
 * ping out) and IXP pods (their LAN is routed to members only).
 */
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "verify_int.h"
#include "pocketinternet/netlink.h"

#define ROUNDS 3
#define ROUND_WAIT_MS 400

static bool is_router(const struct pi_plan_node *n)
{
	return (n->services & (PI_SVC_ROUTER | PI_SVC_RS)) != 0;
}

/* The address node is pinged at (and pings from, for routers), or unset. */
static struct pi_prefix node_addr(const struct pi_plan *p, uint32_t node, uint8_t fam)
{
	const struct pi_plan_node *n = &p->nodes[node];
	const struct pi_prefix *lo = fam == PI_AF_V4 ? &n->lo4 : &n->lo6;
	if (pi_prefix_is_set(lo) && is_router(n))
		return pi_prefix_as_host(lo);
	for (uint32_t i = 0; i < n->n_ifaces; i++) {
		const struct pi_prefix *a = fam == PI_AF_V4 ? &p->ifaces[n->first_iface + i].v4 : &p->ifaces[n->first_iface + i].v6;
		if (pi_prefix_is_set(a))
			return pi_prefix_as_host(a);
	}
	return (struct pi_prefix){ 0 };
}

static const char *exclusion(const struct pi_plan *p, uint32_t node, uint8_t fam, const struct pi_prefix *a)
{
	static const struct pi_prefix cgnat = { .family = PI_AF_V4, .len = 10, .addr = { 100, 64 } };
	if (p->pods[p->nodes[node].pod].tier == PI_TIER_IXP)
		return "IXP: its LAN is routed to the IXP's members only";
	if (p->nodes[node].services & PI_SVC_SPEAKER)
		return "external speaker: what it routes is the tester's";
	if (!pi_prefix_is_set(a))
		return fam == PI_AF_V4 ? "no IPv4 address (IPv6-only)" : "no IPv6 address";
	if (fam == PI_AF_V4 && pi_prefix_contains(&cgnat, a))
		return "behind CGNAT (100.64.0.0/10 is not routed): pings out, is not a target";
	return NULL;
}

static uint32_t uf_root(uint32_t *up, uint32_t x)
{
	while (up[x] != x)
		x = up[x] = up[up[x]];
	return x;
}

/* Pods joined by BGP sessions of the family: only inside one such island can
 * packets of that family go (the original format lets a lab have pods with
 * one family only, which splits the other family's Internet). */
static void family_islands(const struct pi_plan *p, uint8_t fam, uint32_t *island)
{
	for (uint32_t i = 0; i < p->n_pods; i++)
		island[i] = i;
	for (uint32_t k = 0; k < p->n_sessions; k++) {
		const struct pi_plan_session *x = &p->sessions[k];
		if (x->family != fam)
			continue;
		uint32_t a = uf_root(island, p->nodes[x->a].pod), b = uf_root(island, p->nodes[x->b].pod);
		if (a != b)
			island[a] = b;
	}
	for (uint32_t i = 0; i < p->n_pods; i++)
		island[i] = uf_root(island, i);
}

/* Fills the family's sources and targets (and why some nodes are not targets). */
void pi_verify_reach_init(const struct pi_plan *p, uint8_t fam, struct pi_verify_reach *r)
{
	memset(r, 0, sizeof(*r));
	r->family = fam;
	r->addr = pi_xcalloc(p->n_nodes + 1, sizeof(*r->addr));
	r->target = pi_xcalloc(p->n_nodes + 1, sizeof(bool));
	r->source = pi_xcalloc(p->n_nodes + 1, sizeof(bool));
	r->why_not = pi_xcalloc(p->n_nodes + 1, sizeof(char *));
	for (uint32_t i = 0; i < p->n_nodes; i++) {
		r->addr[i] = node_addr(p, i, fam);
		const char *why = exclusion(p, i, fam, &r->addr[i]);
		r->why_not[i] = why;
		r->target[i] = why == NULL;
		r->source[i] = pi_prefix_is_set(&r->addr[i]) && p->pods[p->nodes[i].pod].tier != PI_TIER_IXP &&
			       !(p->nodes[i].services & PI_SVC_SPEAKER);
		r->n_targets += r->target[i];
		r->n_sources += r->source[i];
	}
	r->ok = pi_xcalloc((size_t)p->n_nodes * p->n_nodes + 1, sizeof(bool));
	r->island = pi_xcalloc(p->n_pods + 1, sizeof(uint32_t));
	family_islands(p, fam, r->island);
}

bool pi_verify_reach_expected(const struct pi_plan *p, const struct pi_verify_reach *r, uint32_t s, uint32_t t)
{
	return s != t && r->source[s] && r->target[t] && r->island[p->nodes[s].pod] == r->island[p->nodes[t].pod];
}

void pi_verify_reach_free(struct pi_verify_reach *r)
{
	free(r->down);
	free(r->island);
	free(r->addr);
	free(r->target);
	free(r->source);
	free(r->why_not);
	free(r->ok);
	memset(r, 0, sizeof(*r));
}

/* ---- one source ---- */

struct src_probe {
	const struct pi_plan *plan;
	struct pi_verify_reach *r;
	uint32_t src;
	int fd;
	uint16_t ident;
	unsigned outstanding; /* echoes of this round not answered yet */
};

static uint16_t csum16(const uint8_t *b, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void send_echo(struct src_probe *sp, uint32_t dst)
{
	bool v6 = sp->r->family == PI_AF_V6;
	uint8_t pkt[16] = { v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO, 0, 0, 0, (uint8_t)(sp->ident >> 8), (uint8_t)sp->ident,
			    (uint8_t)(dst >> 8), (uint8_t)dst, 'p', 'i', 'v', 'f', (uint8_t)(dst >> 24), (uint8_t)(dst >> 16) };
	if (!v6) { /* the kernel sums ICMPv6 itself */
		uint16_t c = csum16(pkt, sizeof(pkt));
		pkt[2] = (uint8_t)(c >> 8);
		pkt[3] = (uint8_t)c;
	}
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, sp->r->addr[dst].addr, 16);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, sp->r->addr[dst].addr, 4);
		sl = sizeof(*s4);
	}
	(void)!sendto(sp->fd, pkt, sizeof(pkt), MSG_DONTWAIT, (struct sockaddr *)&ss, sl);
}

/* Marks the target whose echo this reply answers. */
static void take_reply(struct src_probe *sp, const uint8_t *buf, size_t n)
{
	bool v6 = sp->r->family == PI_AF_V6;
	const uint8_t *icmp = buf;
	if (!v6) {
		if (n < 20 || n < (size_t)(buf[0] & 0x0f) * 4 + 16)
			return;
		icmp = buf + (buf[0] & 0x0f) * 4;
		n -= (size_t)(buf[0] & 0x0f) * 4;
	}
	if (n < 16 || icmp[0] != (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY) || icmp[8] != 'p' || icmp[9] != 'i')
		return;
	if (((uint16_t)icmp[4] << 8 | icmp[5]) != sp->ident)
		return;
	uint32_t dst = (uint32_t)icmp[12] << 24 | (uint32_t)icmp[13] << 16 | (uint32_t)icmp[6] << 8 | icmp[7];
	bool *cell = dst < sp->plan->n_nodes ? &sp->r->ok[(size_t)sp->src * sp->plan->n_nodes + dst] : NULL;
	if (cell && !*cell) {
		*cell = true;
		if (sp->outstanding)
			sp->outstanding--;
	}
}

/* Reads the replies already queued, without waiting. */
static void slurp(struct src_probe *sp)
{
	uint8_t buf[512];
	ssize_t n;
	while ((n = recv(sp->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		take_reply(sp, buf, (size_t)n);
}

/* Reads replies until ms pass or every echo of the round is answered. */
static void drain(struct src_probe *sp, unsigned ms)
{
	double deadline = pi_monotonic() + ms / 1000.0;
	while (sp->outstanding) {
		int left = (int)((deadline - pi_monotonic()) * 1000);
		struct pollfd p = { sp->fd, POLLIN, 0 };
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return;
		slurp(sp);
	}
}

static void rounds(struct src_probe *sp)
{
	const struct pi_plan *p = sp->plan;
	bool *row = &sp->r->ok[(size_t)sp->src * p->n_nodes];
	for (int round = 0; round < ROUNDS; round++) {
		unsigned sent = 0;
		for (uint32_t t = 0; t < p->n_nodes; t++) {
			if (!pi_verify_reach_expected(p, sp->r, sp->src, t) || row[t])
				continue;
			send_echo(sp, t);
			sp->outstanding++;
			if (++sent % 64 == 0)
				slurp(sp); /* keep the receive buffer from overflowing */
		}
		if (!sent)
			return;
		drain(sp, ROUND_WAIT_MS);
		sp->outstanding = 0;
	}
}

struct reach_ctx {
	struct pi_backend *b;
	const struct pi_plan *plan;
	struct pi_verify_reach *r;
};

static int bind_loopback(int fd, const struct pi_prefix *a)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	if (a->family == PI_AF_V6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a->addr, 16);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a->addr, 4);
		sl = sizeof(*s4);
	}
	return bind(fd, (struct sockaddr *)&ss, sl) < 0 ? -errno : 0;
}

/*
 * A raw socket gets a copy of every ICMP message its netns receives, and a
 * reply that finds its receive buffer full is dropped, which costs a whole
 * round's wait (ROUND_WAIT_MS). So it takes echo replies only, and room
 * for every reply of a round of the 100-pod lab (about 540 targets, some
 * 800 bytes of buffer each): SO_RCVBUFFORCE as root, else as much as
 * net.core.rmem_max allows.
 */
static void only_echo_replies(int fd, bool v6)
{
	int size = 4 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)!setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (v6) {
		struct icmp6_filter f;
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		(void)!setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	} else {
		uint32_t mask = ~(1u << ICMP_ECHOREPLY); /* ICMP_FILTER: a set bit drops that type */
		(void)!setsockopt(fd, SOL_RAW, 1 /* ICMP_FILTER, linux/icmp.h */, &mask, sizeof(mask));
	}
}

static int reach_one(void *ctx, size_t i)
{
	struct reach_ctx *c = ctx;
	const struct pi_plan *p = c->plan;
	if (!c->r->source[i])
		return 0;
	int pid;
	struct pi_diag quiet;
	pi_diag_init(&quiet);
	int rc = pi_apply_node_pid(c->b, p, (uint32_t)i, &pid, &quiet);
	pi_diag_free(&quiet);
	if (rc) {
		c->r->down[i] = true; /* a stopped node pings nothing */
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	struct pi_nl *nl = NULL;
	bool v6 = c->r->family == PI_AF_V6;
	struct src_probe sp = { p, c->r, (uint32_t)i, -1, (uint16_t)(0x5000 + i), 0 };
	if (pi_nl_open_netns_path(path, &nl) == 0)
		sp.fd = pi_nl_socket(nl, v6 ? AF_INET6 : AF_INET, SOCK_RAW, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	pi_nl_close(nl);
	if (sp.fd < 0) {
		c->r->down[i] = true;
		return 0;
	}
	if (is_router(&p->nodes[i]))
		bind_loopback(sp.fd, &c->r->addr[i]);
	only_echo_replies(sp.fd, v6);
	rounds(&sp);
	close(sp.fd);
	return 0;
}

void pi_verify_reach_run(struct pi_backend *b, const struct pi_plan *p, unsigned parallel, struct pi_verify_reach *r)
{
	struct reach_ctx c = { b, p, r };
	if (!r->down)
		r->down = pi_xcalloc(p->n_nodes + 1, sizeof(bool));
	double t0 = pi_monotonic();
	pi_pool_run(p->n_nodes, parallel ? parallel : 8, reach_one, NULL, &c, NULL);
	r->seconds = pi_monotonic() - t0;
	r->pairs = r->failed = r->unexpected = 0;
	for (uint32_t s = 0; s < p->n_nodes; s++)
		for (uint32_t t = 0; r->source[s] && t < p->n_nodes; t++) {
			if (!r->target[t] || s == t)
				continue;
			if (!pi_verify_reach_expected(p, r, s, t)) {
				r->unexpected++;
				continue;
			}
			r->pairs++;
			r->failed += !r->ok[(size_t)s * p->n_nodes + t];
		}
}
