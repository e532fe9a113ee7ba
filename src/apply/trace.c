/*
 * trace: one probe, hop by hop. Attaches the program sets (trace_set.c),
 * sends one marked ICMP echo request from the source's netns, collects
 * every sighting from the ring buffer until the probe's fate is known,
 * detaches, and says where it stopped (verdict below). The lab-level call
 * finds the nodes' netns and addresses.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apply_int.h"
#include "pocketinternet/netlink.h"
#include "trace_int.h"

#define FIB_SUCCESS 0
#define FIB_BLACKHOLE 1
#define FIB_UNREACHABLE 2
#define FIB_PROHIBIT 3
#define FIB_NOT_FWDED 4
#define FIB_FWD_DISABLED 5
#define FIB_NO_NEIGH 7

const char *pi_trace_kind_name(enum pi_trace_kind k)
{
	static const char *const names[] = { "request", "reply", "time-exceeded", "unreachable" };
	return (unsigned)k < PI_ARRAY_LEN(names) ? names[k] : "?";
}

const char *pi_trace_end_name(enum pi_trace_end e)
{
	static const char *const names[] = { "delivered", "no-route", "ttl-expired", "filtered",
					     "dropped",   "lost",     "not-sent" };
	return (unsigned)e < PI_ARRAY_LEN(names) ? names[e] : "?";
}

void pi_trace_result_free(struct pi_trace_result *r)
{
	free(r->events);
	r->events = NULL;
	r->n_events = 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the probe ---- */

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Sends the echo request from nl's netns: 0 or -errno of sendto. */
static int send_probe(struct pi_nl *nl, const struct pi_prefix *dst, unsigned ttl, uint32_t nonce, uint64_t *t0)
{
	bool v4 = dst->family == PI_AF_V4;
	int fd = pi_nl_socket(nl, v4 ? AF_INET : AF_INET6, SOCK_RAW, v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0)
		return fd;
	int t = (int)ttl;
	setsockopt(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_TTL : IPV6_UNICAST_HOPS, &t, sizeof(t));
	uint8_t pkt[8 + PI_TRACE_PAYLOAD] = { v4 ? 8 : 128 };
	uint16_t id = htons((uint16_t)nonce), seq = htons(1);
	memcpy(pkt + 4, &id, 2);
	memcpy(pkt + 6, &seq, 2);
	memcpy(pkt + 8, PI_TRACE_MAGIC, PI_TRACE_MAGIC_LEN);
	memcpy(pkt + 8 + PI_TRACE_MAGIC_LEN, &nonce, 4); /* host order, as the program compares it */
	if (v4) {
		uint16_t c = htons(csum(pkt, sizeof(pkt)));
		memcpy(pkt + 2, &c, 2);
	} /* the kernel sums ICMPv6 itself */
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	if (v4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, dst->addr, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, dst->addr, 16);
		sl = sizeof(*s6);
	}
	*t0 = mono_ns();
	int rc = sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&ss, sl) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

/* ---- collecting ---- */

struct collect {
	struct pi_trace_set *set;
	const struct pi_trace_opts *o;
	struct pi_vec evs; /* struct pi_trace_event */
	uint64_t t0;
	bool done; /* the answer (reply or error) is back at the source */
};

static void on_event(void *ctx, const struct pi_trace_ev *ev)
{
	struct collect *c = ctx;
	if (ev->node >= c->o->n_targets)
		return;
	struct pi_trace_event *e = pi_vec_push(&c->evs);
	e->t_us = ev->ts >= c->t0 ? (double)(ev->ts - c->t0) / 1000.0 : -(double)(c->t0 - ev->ts) / 1000.0;
	e->ns = ev->node;
	snprintf(e->node, sizeof(e->node), "%s", c->o->targets[ev->node].label);
	pi_trace_set_ifname(c->set, ev->node, ev->ifindex, e->iface);
	e->egress = ev->egress;
	e->kind = (enum pi_trace_kind)ev->kind;
	e->ttl = ev->ttl;
	e->code = ev->code;
	e->fib = ev->fib;
	if (ev->fib_ifindex)
		pi_trace_set_ifname(c->set, ev->node, ev->fib_ifindex, e->fib_dev);
	if (e->kind != PI_TRACE_REQUEST && !e->egress && e->ns == c->o->src)
		c->done = true;
}

static void collect(struct collect *c, unsigned timeout_ms)
{
	uint64_t end = c->t0 + (uint64_t)timeout_ms * 1000000u, done_at = 0;
	for (;;) {
		uint64_t now = mono_ns();
		if (now >= end || (c->o->cancel && *c->o->cancel))
			break;
		if (c->done && !done_at)
			done_at = now;
		if (done_at && now - done_at > 50000000u) /* 50 ms for stragglers */
			break;
		uint64_t left = (end - now) / 1000000u + 1;
		pi_trace_set_poll(c->set, left < 20 ? (int)left : 20, on_event, c);
	}
}

/* Stable, by time: events arrive nearly sorted. */
static void sort_events(struct pi_trace_event *e, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct pi_trace_event x = e[i];
		size_t j = i;
		for (; j > 0 && e[j - 1].t_us > x.t_us; j--)
			e[j] = e[j - 1];
		e[j] = x;
	}
}

/* ---- the verdict ---- */

static void stop_at(struct pi_trace_result *r, const struct pi_trace_event *e, enum pi_trace_end end)
{
	r->end = end;
	r->end_ns = e->ns;
	snprintf(r->end_node, sizeof(r->end_node), "%s", e->node);
	snprintf(r->end_iface, sizeof(r->end_iface), "%s", e->iface);
}

/* An ICMP error came back: the node that sent it (its first sighting). */
static bool by_error(struct pi_trace_result *r, const struct pi_trace_event *e)
{
	if (e->kind == PI_TRACE_TIME_EXCEEDED) {
		stop_at(r, e, PI_TRACE_TTL_EXPIRED);
		snprintf(r->why, sizeof(r->why), "its TTL (%u) ran out at %s, which sent ICMP time exceeded", r->ttl,
			 e->node);
		return true;
	}
	bool v4 = r->dst[0] && !strchr(r->dst, ':');
	bool admin = v4 ? (e->code == 9 || e->code == 10 || e->code == 13) : e->code == 1;
	stop_at(r, e, admin ? PI_TRACE_FILTERED : PI_TRACE_NO_ROUTE);
	snprintf(r->why, sizeof(r->why), "%s sent ICMP destination unreachable (code %u): %s", e->node, e->code,
		 admin ? "administratively prohibited (a filter)" : "it has no route (or no neighbour) for it");
	return true;
}

/* The last request sighting was arriving at a node that is not the
 * destination: what its FIB said tells why it stayed there. */
static void by_fib(struct pi_trace_result *r, const struct pi_trace_event *e)
{
	if (e->ttl <= 1) {
		stop_at(r, e, PI_TRACE_TTL_EXPIRED);
		snprintf(r->why, sizeof(r->why), "it arrived at %s by %s with TTL %u: no TTL left to go on", e->node,
			 e->iface, e->ttl);
		return;
	}
	static const char *const what[] = {
		[FIB_BLACKHOLE] = "a blackhole route", [FIB_UNREACHABLE] = "an unreachable route",
		[FIB_PROHIBIT] = "a prohibit route",   [FIB_NOT_FWDED] = "no route",
	};
	if (e->fib >= FIB_BLACKHOLE && e->fib <= FIB_NOT_FWDED) {
		stop_at(r, e, e->fib == FIB_PROHIBIT ? PI_TRACE_FILTERED : PI_TRACE_NO_ROUTE);
		snprintf(r->why, sizeof(r->why), "it arrived at %s by %s, which has %s for %s", e->node, e->iface,
			 what[e->fib], r->dst);
		return;
	}
	stop_at(r, e, PI_TRACE_DROPPED);
	if (e->fib == FIB_FWD_DISABLED)
		snprintf(r->why, sizeof(r->why), "it arrived at %s by %s, which does not forward", e->node, e->iface);
	else if (e->fib_dev[0])
		snprintf(r->why, sizeof(r->why),
			 "it arrived at %s by %s and was routed out of %s, but never left: a filter, a next hop that "
			 "does not answer ARP/ND, or %s is down",
			 e->node, e->iface, e->fib_dev, e->fib_dev);
	else
		snprintf(r->why, sizeof(r->why), "it arrived at %s by %s and went no further", e->node, e->iface);
}

static void verdict(struct pi_trace_result *r, const struct pi_trace_opts *o)
{
	const struct pi_trace_event *last_req = NULL, *err = NULL, *reply = NULL;
	for (size_t i = 0; i < r->n_events; i++) {
		const struct pi_trace_event *e = &r->events[i];
		if (e->kind == PI_TRACE_REQUEST)
			last_req = e;
		else if (e->kind == PI_TRACE_REPLY && !reply)
			reply = e;
		else if (e->kind != PI_TRACE_REPLY && !err)
			err = e;
	}
	r->end_ns = PI_NONE;
	if (reply) {
		stop_at(r, reply, PI_TRACE_DELIVERED);
		snprintf(r->why, sizeof(r->why), "it reached %s (%s), which answered", reply->node, r->dst);
	} else if (err) {
		by_error(r, err);
	} else if (!last_req) {
		r->end = PI_TRACE_LOST;
		snprintf(r->why, sizeof(r->why), "it was never seen on any interface: %s did not send it",
			 o->targets[o->src].label);
	} else if (o->dst_target != PI_NONE && last_req->ns == o->dst_target && !last_req->egress) {
		stop_at(r, last_req, PI_TRACE_DELIVERED);
		snprintf(r->why, sizeof(r->why), "it reached %s by %s, but no reply came back", last_req->node,
			 last_req->iface);
	} else if (last_req->egress) {
		stop_at(r, last_req, PI_TRACE_LOST);
		snprintf(r->why, sizeof(r->why),
			 "it left %s by %s and was never seen again: the link is down, or what is behind it drops "
			 "it or is not watched",
			 last_req->node, last_req->iface);
	} else {
		by_fib(r, last_req);
	}
}

/* A dropped probe routed out of an interface without carrier: say so. */
static void carrier_note(struct pi_trace_set *set, struct pi_trace_result *r)
{
	const struct pi_trace_event *e = NULL;
	for (size_t i = 0; i < r->n_events; i++)
		if (r->events[i].kind == PI_TRACE_REQUEST)
			e = &r->events[i];
	bool up = true, carrier = true;
	if (r->end != PI_TRACE_DROPPED || !e || !e->fib_dev[0] ||
	    pi_nl_link_oper(pi_trace_set_nl(set, e->ns), e->fib_dev, &up, &carrier) || (up && carrier))
		return;
	snprintf(r->why, sizeof(r->why), "it arrived at %s by %s and was routed out of %s, which is %s (link down)",
		 e->node, e->iface, e->fib_dev, up ? "without carrier" : "down");
	snprintf(r->end_iface, sizeof(r->end_iface), "%s", e->fib_dev);
}

static void not_sent(struct pi_trace_result *r, const struct pi_trace_opts *o, int err)
{
	const char *src = o->targets[o->src].label;
	r->end_ns = o->src;
	snprintf(r->end_node, sizeof(r->end_node), "%s", src);
	if (err == -ENETUNREACH || err == -EHOSTUNREACH || err == -EINVAL) {
		r->end = PI_TRACE_NO_ROUTE;
		snprintf(r->why, sizeof(r->why), "%s has no route to %s (%s)", src, r->dst, strerror(-err));
	} else if (err == -EPERM || err == -EACCES) {
		r->end = PI_TRACE_FILTERED;
		snprintf(r->why, sizeof(r->why), "%s's own filter refused it (%s)", src, strerror(-err));
	} else {
		r->end = PI_TRACE_NOT_SENT;
		snprintf(r->why, sizeof(r->why), "%s could not send it: %s", src, strerror(-err));
	}
}

static int check_opts(const struct pi_trace_opts *o, struct pi_diag *diag)
{
	if (!o->n_targets || o->src >= o->n_targets || !o->state_file ||
	    (o->dst_target != PI_NONE && o->dst_target >= o->n_targets) ||
	    (o->dst.family != PI_AF_V4 && o->dst.family != PI_AF_V6) || o->ttl > 255) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "trace: bad arguments (source, destination or TTL)");
		return -EINVAL;
	}
	return 0;
}

int pi_trace_run(const struct pi_trace_opts *o, struct pi_trace_result *res, struct pi_diag *diag)
{
	memset(res, 0, sizeof(*res));
	res->end_ns = PI_NONE;
	int rc = check_opts(o, diag);
	if (rc)
		return rc;
	res->ttl = o->ttl ? o->ttl : 64;
	pi_prefix_fmt_addr(&o->dst, res->dst);
	struct pi_trace_set *set;
	if ((rc = pi_trace_set_open(o, &set, &res->leftovers, diag)))
		return rc;
	res->ifaces = pi_trace_set_ifaces(set);
	if (o->attached)
		o->attached(o->ctx);
	uint32_t nonce = 0;
	while (!nonce && getrandom(&nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
		nonce = (uint32_t)mono_ns() | 1u;
	struct collect c = { .set = set, .o = o, .evs = PI_VEC_INIT(struct pi_trace_event) };
	if ((rc = pi_trace_set_arm(set, nonce)) == 0 && !(o->cancel && *o->cancel)) {
		int sent = send_probe(pi_trace_set_nl(set, o->src), &o->dst, res->ttl, nonce, &c.t0);
		if (sent)
			not_sent(res, o, sent);
		else
			collect(&c, o->timeout_ms ? o->timeout_ms : 2000);
		res->events = c.evs.data;
		res->n_events = c.evs.len;
		sort_events(res->events, res->n_events);
		if (!sent) {
			verdict(res, o);
			carrier_note(set, res);
		}
	}
	pi_trace_set_close(set);
	if (rc)
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "trace: arming the probe filter: %s", strerror(-rc));
	else if (o->cancel && *o->cancel)
		rc = -EINTR;
	return rc;
}

/* ---- on a lab ---- */

static bool v4_public(const struct pi_prefix *a)
{
	static const struct pi_prefix cgnat = { PI_AF_V4, 10, { 100, 64 } };
	return a->family == PI_AF_V4 && !pi_prefix_contains(&cgnat, a);
}

/* A node's address of family: a router's loopback, else its first
 * interface's (servers' loopbacks are not routed). */
static bool node_addr(const struct pi_plan *p, uint32_t n, int family, struct pi_prefix *out)
{
	const struct pi_plan_node *nd = &p->nodes[n];
	const struct pi_prefix *lo = family == 4 ? &nd->lo4 : &nd->lo6;
	if (pi_prefix_is_set(lo) && (nd->services & (PI_SVC_ROUTER | PI_SVC_RS))) {
		*out = pi_prefix_as_host(lo);
		return true;
	}
	for (uint32_t i = 0; i < nd->n_ifaces; i++) {
		const struct pi_plan_iface *f = pi_plan_node_iface(p, n, i);
		const struct pi_prefix *a = family == 4 ? &f->v4 : &f->v6;
		if (pi_prefix_is_set(a)) {
			*out = pi_prefix_as_host(a);
			return true;
		}
	}
	return false;
}

static bool same_addr(const struct pi_prefix *a, const struct pi_prefix *b)
{
	return a->family && a->family == b->family && memcmp(a->addr, b->addr, a->family == PI_AF_V4 ? 4 : 16) == 0;
}

/* The node holding address a, or PI_NONE. */
static uint32_t addr_owner(const struct pi_plan *p, const struct pi_prefix *a)
{
	for (uint32_t n = 0; n < p->n_nodes; n++) {
		if (same_addr(&p->nodes[n].lo4, a) || same_addr(&p->nodes[n].lo6, a))
			return n;
		for (uint32_t i = 0; i < p->nodes[n].n_ifaces; i++) {
			const struct pi_plan_iface *f = pi_plan_node_iface(p, n, i);
			if (same_addr(&f->v4, a) || same_addr(&f->v6, a))
				return n;
		}
	}
	return PI_NONE;
}

/* The destination address and its node. */
static int lab_dst(const struct pi_plan *p, const struct pi_trace_lab_opts *o, struct pi_prefix *dst,
		   uint32_t *owner, struct pi_diag *diag)
{
	struct pi_prefix s4, s6, d4, d6;
	if (o->dst == PI_NONE) {
		*dst = pi_prefix_as_host(&o->dst_addr);
		*owner = addr_owner(p, dst);
		return 0;
	}
	*owner = o->dst;
	bool h4 = node_addr(p, o->src, 4, &s4) && node_addr(p, o->dst, 4, &d4);
	bool h6 = node_addr(p, o->src, 6, &s6) && node_addr(p, o->dst, 6, &d6);
	int fam = o->family ? o->family : (h4 && v4_public(&d4)) || !h6 ? 4 : 6;
	if ((fam == 4 && !h4) || (fam == 6 && !h6)) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, fam == 4 ? "try -6" : "try -4",
			    "trace: %s and %s have no IPv%d addresses to trace between", p->nodes[o->src].name,
			    p->nodes[o->dst].name, fam);
		return -EADDRNOTAVAIL;
	}
	*dst = fam == 4 ? d4 : d6;
	return 0;
}

/* Every running node as a target; *src_t and *dst_t their indexes. */
static int lab_targets(struct pi_backend *b, const struct pi_plan *p, const struct pi_trace_lab_opts *o,
		       uint32_t owner, struct pi_vec *t, uint32_t *src_t, uint32_t *dst_t, struct pi_diag *diag)
{
	*src_t = *dst_t = PI_NONE;
	for (uint32_t n = 0; n < p->n_nodes; n++) {
		struct pi_diag quiet;
		int pid;
		pi_diag_init(&quiet);
		int rc = pi_apply_node_pid(b, p, n, &pid, &quiet);
		if (n == o->src && rc)
			pi_diag_move(diag, &quiet);
		pi_diag_free(&quiet);
		if (rc == -ENOENT && n == o->src)
			return rc;
		if (rc)
			continue;
		if (n == o->src)
			*src_t = (uint32_t)t->len;
		if (n == owner)
			*dst_t = (uint32_t)t->len;
		struct pi_trace_target *x = pi_vec_push(t);
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
		x->path = pi_xstrdup(path);
		x->label = p->nodes[n].name;
	}
	return *src_t == PI_NONE ? -ESRCH : 0;
}

int pi_apply_trace(struct pi_backend *b, const struct pi_plan *plan, const struct pi_trace_lab_opts *o,
		   struct pi_trace_result *res, struct pi_diag *diag)
{
	char why[256], dir[4096], state[4200];
	memset(res, 0, sizeof(*res));
	if (!pi_trace_available(why, sizeof(why))) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "trace: %s", why);
		return -ENOTSUP;
	}
	struct pi_trace_opts to = { .ttl = o->ttl, .timeout_ms = o->timeout_ms, .cancel = o->cancel };
	uint32_t owner;
	int rc = lab_dst(plan, o, &to.dst, &owner, diag);
	if (rc)
		return rc;
	struct pi_vec t = PI_VEC_INIT(struct pi_trace_target);
	if ((rc = lab_targets(b, plan, o, owner, &t, &to.src, &to.dst_target, diag)) == 0) {
		pi_state_dir(o->state_root, plan->lab_name, dir, sizeof(dir));
		snprintf(state, sizeof(state), "%s/trace.json", dir);
		to.targets = t.data;
		to.n_targets = t.len;
		to.state_file = state;
		rc = pi_trace_run(&to, res, diag);
	}
	for (size_t i = 0; i < t.len; i++)
		free((char *)((struct pi_trace_target *)pi_vec_at(&t, i))->path);
	pi_vec_free(&t);
	return rc;
}
