/*
 * probe: a traceroute from the host, inside a node's network namespace,
 * with no process in the node. Raw ICMP (v4) and ICMPv6 sockets are made
 * in the netns (pi_nl_socket); every probe of every hop limit goes out at
 * once, each an echo request whose sequence number encodes its hop limit
 * and probe number. Routers on the way answer with time exceeded (RFC 792,
 * RFC 4443), quoting our echo header; the destination with an echo reply.
 * Several traceroutes may run in one netns at once: each has its own ICMP id.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <sys/socket.h>
#include "apply_int.h"
#include "pocketinternet/netlink.h"

#define SEQ_SHIFT 4 /* seq = ttl << 4 | probe */
#define PAYLOAD 32

const char *pi_troute_reply_name(enum pi_troute_reply r)
{
	switch (r) {
	case PI_TROUTE_NONE: return "none";
	case PI_TROUTE_TIME_EXCEEDED: return "time-exceeded";
	case PI_TROUTE_ECHO_REPLY: return "echo-reply";
	case PI_TROUTE_UNREACHABLE: return "unreachable";
	}
	return "?";
}

struct trace {
	int fd;
	bool v6;
	uint16_t id;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	unsigned max_hops, probes;
	double sent[65][PI_TROUTE_MAX_PROBES];
	struct pi_troute_hop *hops; /* max_hops entries, index ttl - 1 */
	unsigned end_ttl;	   /* the smallest hop limit that reached dst or was refused; 0 none yet */
};

static uint16_t next_id(void)
{
	static atomic_uint counter;
	unsigned c = atomic_fetch_add(&counter, 1);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint16_t)((unsigned)getpid() * 2654435761u ^ (unsigned)ts.tv_nsec ^ c * 40503u);
}

static uint16_t inet_sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static int send_probe(struct trace *t, unsigned ttl, unsigned k)
{
	uint8_t pkt[8 + PAYLOAD] = { 0 };
	uint16_t seq = (uint16_t)(ttl << SEQ_SHIFT | k);
	pkt[0] = t->v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
	pkt[4] = (uint8_t)(t->id >> 8);
	pkt[5] = (uint8_t)t->id;
	pkt[6] = (uint8_t)(seq >> 8);
	pkt[7] = (uint8_t)seq;
	memcpy(pkt + 8, "pocketinternet traceroute probe.", PAYLOAD);
	if (!t->v6) { /* the kernel sums ICMPv6 itself */
		uint16_t c = inet_sum(pkt, sizeof(pkt));
		pkt[2] = (uint8_t)(c >> 8);
		pkt[3] = (uint8_t)c;
	}
	int hops = (int)ttl;
	int rc = t->v6 ? setsockopt(t->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops))
		       : setsockopt(t->fd, IPPROTO_IP, IP_TTL, &hops, sizeof(hops));
	if (rc < 0)
		return -errno;
	t->sent[ttl][k] = pi_monotonic();
	if (sendto(t->fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&t->dst, t->dst_len) < 0)
		return -errno;
	t->hops[ttl - 1].probes++;
	return 0;
}

/* Our echo header (type, code, sum, id, seq) at p: its seq, or -1 when it is not ours. */
static int our_seq(const struct trace *t, const uint8_t *p, size_t n, bool quoted)
{
	uint8_t want = quoted ? (t->v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO) : (t->v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY);
	if (n < 8 || p[0] != want || ((uint16_t)(p[4] << 8 | p[5])) != t->id)
		return -1;
	return p[6] << 8 | p[7];
}

/* The ICMP message in a received datagram (v4: after the IP header), its kind and our seq. */
static int classify(const struct trace *t, const uint8_t *buf, size_t n, enum pi_troute_reply *kind, uint8_t *code)
{
	size_t off = 0;
	if (!t->v6) {
		if (n < 20 || (buf[0] >> 4) != 4)
			return -1;
		off = (size_t)(buf[0] & 0x0f) * 4;
	}
	if (n < off + 8)
		return -1;
	const uint8_t *m = buf + off;
	size_t len = n - off;
	*code = m[1];
	bool exceeded = t->v6 ? m[0] == ICMP6_TIME_EXCEEDED : m[0] == ICMP_TIME_EXCEEDED;
	bool unreach = t->v6 ? m[0] == ICMP6_DST_UNREACH : m[0] == ICMP_DEST_UNREACH;
	if (!exceeded && !unreach) {
		*kind = PI_TROUTE_ECHO_REPLY;
		return our_seq(t, m, len, false);
	}
	*kind = exceeded ? PI_TROUTE_TIME_EXCEEDED : PI_TROUTE_UNREACHABLE;
	const uint8_t *q = m + 8; /* the quoted packet */
	size_t ql = len - 8, qoff;
	if (t->v6) {
		if (ql < 40 || q[6] != IPPROTO_ICMPV6)
			return -1;
		qoff = 40;
	} else {
		if (ql < 20 || q[9] != IPPROTO_ICMP)
			return -1;
		qoff = (size_t)(q[0] & 0x0f) * 4;
	}
	return ql < qoff + 8 ? -1 : our_seq(t, q + qoff, ql - qoff, true);
}

static void record(struct trace *t, const struct sockaddr_storage *from, int seq, enum pi_troute_reply kind,
		   uint8_t code, double now)
{
	unsigned ttl = (unsigned)seq >> SEQ_SHIFT, k = (unsigned)seq & ((1u << SEQ_SHIFT) - 1);
	if (ttl < 1 || ttl > t->max_hops || k >= t->probes)
		return;
	struct pi_troute_hop *h = &t->hops[ttl - 1];
	if (h->rtt_ms[k] >= 0)
		return; /* a duplicate */
	h->rtt_ms[k] = (now - t->sent[ttl][k]) * 1000.0;
	h->answers++;
	if (h->reply == PI_TROUTE_NONE || kind != PI_TROUTE_TIME_EXCEEDED) {
		h->reply = kind;
		h->icmp_code = code;
		memset(&h->addr, 0, sizeof(h->addr));
		h->addr.family = t->v6 ? PI_AF_V6 : PI_AF_V4;
		h->addr.len = t->v6 ? 128 : 32;
		if (t->v6)
			memcpy(h->addr.addr, &((const struct sockaddr_in6 *)from)->sin6_addr, 16);
		else
			memcpy(h->addr.addr, &((const struct sockaddr_in *)from)->sin_addr, 4);
	}
	if (kind != PI_TROUTE_TIME_EXCEEDED && (t->end_ttl == 0 || ttl < t->end_ttl))
		t->end_ttl = ttl;
}

/* Done when every hop up to the end has all its answers. */
static bool complete(const struct trace *t)
{
	if (!t->end_ttl)
		return false;
	for (unsigned i = 0; i < t->end_ttl; i++)
		if (t->hops[i].answers < t->hops[i].probes)
			return false;
	return true;
}

static void collect(struct trace *t, unsigned timeout_ms)
{
	double deadline = pi_monotonic() + timeout_ms / 1000.0;
	while (!complete(t)) {
		int left = (int)((deadline - pi_monotonic()) * 1000);
		struct pollfd p = { .fd = t->fd, .events = POLLIN };
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		uint8_t buf[2048];
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(t->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n <= 0)
			continue;
		enum pi_troute_reply kind;
		uint8_t code;
		int seq = classify(t, buf, (size_t)n, &kind, &code);
		if (seq >= 0)
			record(t, &from, seq, kind, code, pi_monotonic());
	}
}

static void sockaddr_of(const struct pi_prefix *a, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == PI_AF_V6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a->addr, 16);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a->addr, 4);
		*len = sizeof(*s4);
	}
}

/* The raw socket in nl's netns, bound to src when given, hearing only what concerns us. */
static int open_probe(struct pi_nl *nl, const struct trace *t, const struct pi_prefix *src)
{
	int fd = t->v6 ? pi_nl_socket(nl, AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6)
		       : pi_nl_socket(nl, AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0)
		return fd;
	if (t->v6) {
		struct icmp6_filter f;
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
		ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
		setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	}
	if (src && pi_prefix_is_set(src)) {
		struct sockaddr_storage ss;
		socklen_t sl;
		struct pi_prefix h = pi_prefix_as_host(src);
		sockaddr_of(&h, &ss, &sl);
		if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
			int e = -errno;
			close(fd);
			return e;
		}
	}
	return fd;
}

int pi_troute_run(struct pi_nl *nl, const struct pi_prefix *dst, const struct pi_troute_opts *o, struct pi_troute_hop *out,
		 size_t max_out, size_t *n)
{
	*n = 0;
	if (!dst || !pi_prefix_is_set(dst) || (o && pi_prefix_is_set(&o->src) && o->src.family != dst->family))
		return -EINVAL;
	struct trace *t = pi_xcalloc(1, sizeof(*t));
	t->v6 = dst->family == PI_AF_V6;
	t->id = next_id();
	t->max_hops = o && o->max_hops ? o->max_hops : 30;
	t->probes = o && o->probes ? o->probes : 3;
	t->max_hops = t->max_hops > 64 ? 64 : t->max_hops > max_out ? (unsigned)max_out : t->max_hops;
	t->probes = t->probes > PI_TROUTE_MAX_PROBES ? PI_TROUTE_MAX_PROBES : t->probes;
	struct pi_prefix d = pi_prefix_as_host(dst);
	sockaddr_of(&d, &t->dst, &t->dst_len);
	t->hops = out;
	for (unsigned i = 0; i < t->max_hops; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].ttl = i + 1;
		out[i].node = out[i].iface = out[i].pod = PI_NONE;
		for (unsigned k = 0; k < PI_TROUTE_MAX_PROBES; k++)
			out[i].rtt_ms[k] = -1;
	}
	int rc = t->max_hops ? open_probe(nl, t, o ? &o->src : NULL) : -EINVAL;
	if (rc >= 0) {
		t->fd = rc;
		rc = 0;
		for (unsigned k = 0; rc == 0 && k < t->probes; k++)
			for (unsigned ttl = 1; rc == 0 && ttl <= t->max_hops; ttl++)
				rc = send_probe(t, ttl, k);
		if (rc == 0)
			collect(t, o && o->timeout_ms ? o->timeout_ms : 2000);
		close(t->fd);
	}
	if (rc == 0) {
		*n = t->end_ttl ? t->end_ttl : t->max_hops;
		rc = !t->end_ttl ? -ETIMEDOUT : out[t->end_ttl - 1].reply == PI_TROUTE_ECHO_REPLY ? 0 : -EHOSTUNREACH;
	}
	free(t);
	return rc;
}

int pi_apply_traceroute(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, const struct pi_prefix *dst,
			const struct pi_troute_opts *o, struct pi_troute_hop *out, size_t max_out, size_t *n,
			struct pi_diag *diag)
{
	int pid;
	*n = 0;
	int rc = pi_apply_node_pid(b, plan, node, &pid, diag);
	if (rc)
		return rc;
	struct pi_troute_opts opts = o ? *o : (struct pi_troute_opts){ 0 };
	const struct pi_plan_node *nd = &plan->nodes[node];
	const struct pi_prefix *lo = dst->family == PI_AF_V6 ? &nd->lo6 : &nd->lo4;
	if (!pi_prefix_is_set(&opts.src) && pi_prefix_is_set(lo) && (nd->services & PI_SVC_ROUTER))
		opts.src = pi_prefix_as_host(lo);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	struct pi_nl *nl;
	if ((rc = pi_nl_open_netns_path(path, &nl)) != 0) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "run it as root", "cannot enter node %s's network namespace: %s",
			    nd->name, strerror(-rc));
		return rc;
	}
	rc = pi_troute_run(nl, dst, &opts, out, max_out, n);
	pi_nl_close(nl);
	if (rc && rc != -ETIMEDOUT && rc != -EHOSTUNREACH) {
		char a[PI_PREFIX_STRLEN];
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "traceroute from %s to %s failed: %s", nd->name,
			    pi_prefix_fmt_addr(dst, a), strerror(-rc));
	}
	for (size_t i = 0; i < *n; i++) {
		if (!pi_prefix_is_set(&out[i].addr))
			continue;
		out[i].node = pi_plan_node_by_addr(plan, &out[i].addr, &out[i].iface);
		out[i].pod = out[i].node == PI_NONE ? PI_NONE : plan->nodes[out[i].node].pod;
	}
	return rc;
}
