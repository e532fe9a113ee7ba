/*
 * dnsq: DNS queries sent natively from inside a node's netns, and a
 * careful parser of the replies. The UDP socket is created inside the
 * node's netns (pi_nl_socket) and used from the calling thread, so no
 * thread lingers in a node and many queries can run at once.
 *
 * The reply is written by whatever answers on the node, which a student
 * controls: the parser never trusts a count, a length or a pointer. Every
 * read is checked against the message's end, compression pointers must
 * point strictly backwards (so a chain of them always ends), and names are
 * bounded on the wire (255) and in presentation form (the output buffer).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include "apply_int.h"
#include "pocketinternet/netlink.h"

#define DNS_HDR 12
#define DNS_NAME_WIRE_MAX 255
#define DNS_UDP_MAX 512

/* ---- parsing ---- */

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* Appends one label in presentation form; false when out is full. */
static bool put_label(const uint8_t *lab, size_t n, char *out, size_t cap, size_t *o)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = lab[i];
		bool plain = c > ' ' && c <= '~' && c != '.' && c != '\\';
		size_t need = plain ? 1 : 4;
		if (*o + need + 1 >= cap) /* room for the dot (or NUL) after */
			return false;
		if (plain)
			out[(*o)++] = (char)c;
		else
			*o += (size_t)snprintf(out + *o, cap - *o, "\\%03u", c);
	}
	out[(*o)++] = '.';
	return true;
}

/*
 * Decodes the name at off into out (cap >= 2). *end gets the offset just
 * after the name where it sits (after its first pointer, if any). A
 * pointer must target an offset after the header and before where the
 * bytes being read started (the name's start, then the previous target):
 * every jump goes strictly backwards past all that was read, so no chain
 * of pointers can loop. -EAGAIN when the name runs past len, -EBADMSG on
 * any other breach.
 */
static int dns_name(const uint8_t *msg, size_t len, size_t off, char *out, size_t cap, size_t *end)
{
	size_t o = 0, wire = 1, limit = off, after = 0; /* wire: the root's zero byte */
	for (;;) {
		if (off >= len)
			return -EAGAIN;
		uint8_t l = msg[off];
		if ((l & 0xc0) == 0xc0) {
			if (off + 1 >= len)
				return -EAGAIN;
			size_t to = (size_t)(l & 0x3f) << 8 | msg[off + 1];
			if (to < DNS_HDR || to >= limit)
				return -EBADMSG;
			if (!after)
				after = off + 2;
			off = limit = to;
			continue;
		}
		if (l & 0xc0) /* 0x40 extended, 0x80 reserved */
			return -EBADMSG;
		if (l == 0)
			break;
		wire += (size_t)l + 1;
		if (wire > DNS_NAME_WIRE_MAX)
			return -EBADMSG;
		if (off + 1 + l > len)
			return -EAGAIN;
		if (!put_label(msg + off + 1, l, out, cap, &o))
			return -EBADMSG;
		off += 1 + (size_t)l;
	}
	*end = after ? after : off + 1;
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return 0;
}

/* Skips the question section. -EAGAIN: the message ends inside it. */
static int skip_questions(const uint8_t *msg, size_t len, unsigned qd, size_t *off)
{
	char scratch[DNS_NAME_WIRE_MAX * 4 + 2];
	for (unsigned i = 0; i < qd; i++) {
		int rc = dns_name(msg, len, *off, scratch, sizeof(scratch), off);
		if (rc)
			return rc;
		if (len - *off < 4)
			return -EAGAIN;
		*off += 4;
	}
	return 0;
}

/* The rdata of one record into rr: checked against rdlen exactly. */
static int dns_rdata(const uint8_t *msg, size_t off, size_t rdlen, struct pi_dns_rr *rr)
{
	switch (rr->type) {
	case PI_DNS_TYPE_A:
	case PI_DNS_TYPE_AAAA: {
		size_t want = rr->type == PI_DNS_TYPE_A ? 4 : 16;
		if (rdlen != want)
			return -EBADMSG;
		rr->addr.family = want == 4 ? PI_AF_V4 : PI_AF_V6;
		rr->addr.len = (uint8_t)(want * 8);
		memcpy(rr->addr.addr, msg + off, want);
		return 0;
	}
	case PI_DNS_TYPE_NS:
	case PI_DNS_TYPE_CNAME:
	case PI_DNS_TYPE_PTR: {
		/* The name sits in the rdata's bytes (its pointers lead back
		 * before them) and must end exactly where rdlen says. */
		size_t end;
		int rc = dns_name(msg, off + rdlen, off, rr->target, sizeof(rr->target), &end);
		if (rc)
			return -EBADMSG;
		return end == off + rdlen ? 0 : -EBADMSG;
	}
	default:
		return 0;
	}
}

/* One answer record at *off. -EAGAIN: the message ends inside it. */
static int dns_record(const uint8_t *msg, size_t len, size_t *off, struct pi_dns_rr *rr)
{
	int rc = dns_name(msg, len, *off, rr->name, sizeof(rr->name), off);
	if (rc)
		return rc;
	if (len - *off < 10)
		return -EAGAIN;
	rr->type = get16(msg + *off);
	size_t rdlen = get16(msg + *off + 8);
	*off += 10;
	if (len - *off < rdlen)
		return -EAGAIN;
	rc = dns_rdata(msg, *off, rdlen, rr);
	*off += rdlen;
	return rc;
}

int pi_dns_parse_answer(const uint8_t *msg, size_t len, uint16_t id, struct pi_dns_answer *out)
{
	memset(out, 0, sizeof(*out));
	if (!msg || len < DNS_HDR || get16(msg) != id || !(msg[2] & 0x80))
		return -ENOMSG;
	bool tc = msg[2] & 0x02;
	out->rcode = msg[3] & 0x0f;
	out->truncated = tc;
	unsigned qd = get16(msg + 4), an = get16(msg + 6);
	size_t off = DNS_HDR;
	int rc = skip_questions(msg, len, qd, &off);
	for (unsigned i = 0; rc == 0 && i < an; i++) {
		if (out->n == PI_DNS_MAX_RR) {
			out->truncated = true;
			break;
		}
		rc = dns_record(msg, len, &off, &out->rr[out->n]);
		if (rc == 0)
			out->n++;
		else
			memset(&out->rr[out->n], 0, sizeof(out->rr[0]));
	}
	/* With TC set, a reply cut short holds what fitted: that is the answer. */
	if (rc == -EAGAIN)
		rc = tc ? 0 : -EBADMSG;
	if (rc)
		out->n = 0;
	return rc;
}

/* ---- building and sending ---- */

/* The query for name/qtype with RD; 0 when name is not a valid name. */
static size_t dns_build_query(uint8_t *pkt, size_t cap, uint16_t id, const char *name, unsigned qtype)
{
	size_t off = DNS_HDR;
	memset(pkt, 0, DNS_HDR);
	pkt[0] = (uint8_t)(id >> 8);
	pkt[1] = (uint8_t)id;
	pkt[2] = 0x01; /* RD */
	pkt[5] = 1;    /* QDCOUNT */
	const char *p = name;
	while (*p && !(p[0] == '.' && p[1] == '\0')) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n == 0 || n > 63 || off + n + 6 > cap || off + n + 1 - DNS_HDR >= DNS_NAME_WIRE_MAX)
			return 0;
		pkt[off++] = (uint8_t)n;
		memcpy(pkt + off, p, n);
		off += n;
		p += n;
		if (*p == '.')
			p++;
	}
	pkt[off++] = 0;
	pkt[off++] = (uint8_t)(qtype >> 8);
	pkt[off++] = (uint8_t)qtype;
	pkt[off++] = 0;
	pkt[off++] = 1; /* IN */
	return off;
}

/* A socket of addr's family created inside the netns behind nsfd, with
 * the sockaddr for addr:port. fd or -errno. */
int pi_apply_ns_socket(int nsfd, const struct pi_prefix *addr, unsigned port, int type,
		       struct sockaddr_storage *ss, socklen_t *sl)
{
	if (!addr || (addr->family != PI_AF_V4 && addr->family != PI_AF_V6) || port == 0 || port > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	bool v6 = addr->family == PI_AF_V6;
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		memcpy(&s6->sin6_addr, addr->addr, 16);
		*sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		memcpy(&s4->sin_addr, addr->addr, 4);
		*sl = sizeof(*s4);
	}
	struct pi_nl *nl;
	int rc = pi_nl_open_netns_fd(nsfd, &nl);
	if (rc)
		return rc;
	rc = pi_nl_socket(nl, v6 ? AF_INET6 : AF_INET, type, 0);
	pi_nl_close(nl);
	return rc;
}

/* Waits until deadline for the reply to id; -ETIMEDOUT when none came. */
static int dns_wait(int fd, uint16_t id, double deadline, struct pi_dns_answer *out)
{
	for (;;) {
		int left = (int)((deadline - pi_monotonic()) * 1000.0 + 0.999); /* ms, rounded up */
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int r = left > 0 ? poll(&pf, 1, left) : 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		uint8_t resp[4096];
		ssize_t n = recv(fd, resp, sizeof(resp), 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno; /* ECONNREFUSED: nothing listens */
		}
		int rc = pi_dns_parse_answer(resp, (size_t)n, id, out);
		if (rc != -ENOMSG)
			return rc;
	}
}

static uint16_t dns_id(void)
{
	uint16_t id;
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) == (ssize_t)sizeof(id))
		return id;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint16_t)(ts.tv_nsec ^ (ts.tv_nsec >> 16));
}

/* Sends the query up to tries times, waiting timeout_ms after each. */
static int dns_exchange(int nsfd, const struct pi_prefix *server, const char *name, unsigned qtype,
			unsigned timeout_ms, unsigned tries, struct pi_dns_answer *out)
{
	memset(out, 0, sizeof(*out));
	uint8_t pkt[DNS_UDP_MAX];
	uint16_t id = dns_id();
	size_t len = name ? dns_build_query(pkt, sizeof(pkt), id, name, qtype) : 0;
	if (len == 0 || qtype > 0xffff)
		return -EINVAL;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = pi_apply_ns_socket(nsfd, server, 53, SOCK_DGRAM | SOCK_NONBLOCK, &ss, &sl);
	if (fd < 0)
		return fd;
	int rc = connect(fd, (struct sockaddr *)&ss, sl) < 0 ? -errno : -ETIMEDOUT;
	for (unsigned t = 0; t < tries && rc == -ETIMEDOUT; t++) {
		if (send(fd, pkt, len, 0) != (ssize_t)len) {
			rc = -errno;
			break;
		}
		rc = dns_wait(fd, id, pi_monotonic() + timeout_ms / 1000.0, out);
	}
	close(fd);
	return rc;
}

int pi_dns_query_fd(int nsfd, const struct pi_prefix *server, const char *name, unsigned qtype,
		    unsigned timeout_ms, struct pi_dns_answer *out)
{
	return dns_exchange(nsfd, server, name, qtype, timeout_ms, 2, out);
}

/* An fd of the netns of pid, or -errno. */
int pi_apply_pid_netns(int pid)
{
	char path[64];
	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int pi_dns_query(int pid, const struct pi_prefix *server, const char *name, unsigned qtype, unsigned timeout_ms,
		 struct pi_dns_answer *out)
{
	int nsfd = pi_apply_pid_netns(pid);
	if (nsfd < 0) {
		memset(out, 0, sizeof(*out));
		return nsfd;
	}
	int rc = pi_dns_query_fd(nsfd, server, name, qtype, timeout_ms, out);
	close(nsfd);
	return rc;
}

int pi_dns_probe(int pid, const struct pi_prefix *server, const char *name, unsigned qtype,
		 unsigned timeout_ms)
{
	int nsfd = pi_apply_pid_netns(pid);
	if (nsfd < 0)
		return nsfd;
	struct pi_dns_answer a;
	int rc = dns_exchange(nsfd, server, name, qtype, timeout_ms, 1, &a);
	close(nsfd);
	if (rc == -EBADMSG)
		return -EPROTO;
	return rc ? rc : a.rcode == 0 && a.n > 0 ? 0 : -EPROTO;
}
