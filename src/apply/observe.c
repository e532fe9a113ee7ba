/*
 * observe: look at a running lab without spawning anything. The router
 * daemon is asked over its control socket (its protocol from the daemon
 * table in render.h), reached inside the node's root; resolvers get one
 * DNS query sent from inside their own netns.
 * Both are what convergence detection polls, so they must be cheap.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "apply_int.h"
#include "pocketinternet/netlink.h"

/* Reads into raw until the daemon's protocol says the reply is complete. */
static int ctl_read(const struct pi_router_daemon *d, int fd, struct pi_buf *raw, bool greeting,
		    unsigned timeout_ms)
{
	char chunk[8192];
	double deadline = pi_monotonic() + timeout_ms / 1000.0;
	for (;;) {
		int done = d->ctl_reply_done(raw->data ? raw->data : "", raw->len, greeting);
		if (done)
			return done > 0 ? 0 : done;
		int left = (int)((deadline - pi_monotonic()) * 1000);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = left > 0 ? poll(&p, 1, left) : 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0 && errno == EINTR)
			continue;
		ssize_t n = r < 0 ? -1 : read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		pi_buf_write(raw, chunk, (size_t)n);
	}
}

/*
 * Asks a router daemon over its control socket inside the node: the path
 * is resolved inside the node's root, so a symlink planted there never
 * leads to a socket of the host. The reply's text goes to out.
 */
static int ctl_exchange(const struct pi_router_daemon *d, int pid, const char *cmd, struct pi_buf *raw)
{
	int fd = pi_root_connect_unix(pid, d->ctl_socket);
	if (fd < 0)
		return fd;
	int rc = ctl_read(d, fd, raw, true, 2000);
	if (rc == 0) {
		struct pi_buf req;
		pi_buf_init(&req);
		d->ctl_request(cmd, &req);
		if (write(fd, req.data, req.len) != (ssize_t)req.len)
			rc = -EIO;
		pi_buf_free(&req);
	}
	pi_buf_reset(raw);
	if (rc == 0)
		rc = ctl_read(d, fd, raw, false, 10000);
	close(fd);
	return rc;
}

static int ctl_query(const struct pi_router_daemon *d, int pid, const char *cmd, struct pi_buf *out)
{
	struct pi_buf raw;
	pi_buf_init(&raw);
	int rc = ctl_exchange(d, pid, cmd, &raw);
	if (rc == 0)
		d->ctl_reply_text(raw.data ? raw.data : "", raw.len, out);
	pi_buf_free(&raw);
	return rc;
}

int pi_apply_ctl_command(const struct pi_plan *plan, uint32_t node, int pid, const char *cmd, char *why,
			 size_t whylen)
{
	const struct pi_router_daemon *d = pi_router_daemon_of(plan, node);
	if (!d)
		return -ENOTSUP;
	struct pi_buf raw;
	pi_buf_init(&raw);
	snprintf(why, whylen, "no answer");
	int rc = ctl_exchange(d, pid, cmd, &raw);
	if (rc == 0 || rc == -EPROTO)
		rc = d->ctl_reply_check(raw.data ? raw.data : "", raw.len, why, whylen);
	else
		snprintf(why, whylen, "%s", strerror(-rc));
	pi_buf_free(&raw);
	return rc;
}

int pi_apply_ctl_text(const struct pi_plan *plan, uint32_t node, int pid, const char *cmd, struct pi_buf *out)
{
	const struct pi_router_daemon *d = pi_router_daemon_of(plan, node);
	return d ? ctl_query(d, pid, cmd, out) : -ENOTSUP;
}

/* ---- DNS probe ---- */

struct dns_probe {
	struct pi_prefix server;
	const char *name;
	unsigned qtype;
	unsigned timeout_ms;
};

static size_t dns_build_query(uint8_t *pkt, size_t cap, uint16_t id, const char *name, unsigned qtype)
{
	size_t off = 12;
	memset(pkt, 0, 12);
	pkt[0] = (uint8_t)(id >> 8);
	pkt[1] = (uint8_t)id;
	pkt[2] = 0x01; /* RD */
	pkt[5] = 1;    /* QDCOUNT */
	const char *p = name;
	while (*p && !(p[0] == '.' && p[1] == '\0')) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n == 0 || n > 63 || off + n + 6 > cap)
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

static int dns_probe_in_ns(void *arg)
{
	struct dns_probe *p = arg;
	bool v6 = p->server.family == PI_AF_V6;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(53);
		memcpy(&s6->sin6_addr, p->server.addr, 16);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(53);
		memcpy(&s4->sin_addr, p->server.addr, 4);
		sl = sizeof(*s4);
	}
	uint8_t pkt[512];
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint16_t id = (uint16_t)(ts.tv_nsec ^ (ts.tv_nsec >> 16));
	size_t len = dns_build_query(pkt, sizeof(pkt), id, p->name, p->qtype);
	int rc = -ETIMEDOUT;
	if (len == 0) {
		rc = -EINVAL;
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 || send(fd, pkt, len, 0) != (ssize_t)len) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int r = poll(&pf, 1, (int)p->timeout_ms);
		if (r <= 0) {
			rc = r == 0 ? -ETIMEDOUT : -errno;
			break;
		}
		uint8_t resp[4096];
		ssize_t n = recv(fd, resp, sizeof(resp), 0);
		if (n < 0) {
			rc = -errno; /* ECONNREFUSED: nothing listens yet */
			break;
		}
		if (n < 12 || resp[0] != pkt[0] || resp[1] != pkt[1] || !(resp[2] & 0x80))
			continue; /* not our reply */
		unsigned rcode = resp[3] & 0x0f;
		unsigned ancount = (unsigned)resp[6] << 8 | resp[7];
		rc = rcode == 0 && ancount > 0 ? 0 : -EPROTO;
		break;
	}
out:
	close(fd);
	return rc;
}

int pi_dns_probe(int pid, const struct pi_prefix *server, const char *name, unsigned qtype,
		 unsigned timeout_ms)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	struct pi_nl *nl;
	int rc = pi_nl_open_netns_path(path, &nl);
	if (rc)
		return rc;
	struct dns_probe p = { .server = *server, .name = name, .qtype = qtype, .timeout_ms = timeout_ms };
	rc = pi_nl_ns_call(nl, dns_probe_in_ns, &p);
	pi_nl_close(nl);
	return rc;
}

/* ---- shared by convergence and status ---- */

int pi_apply_node_sessions(const struct pi_plan *plan, uint32_t node, int pid, struct pi_vec *out)
{
	const struct pi_router_daemon *d = pi_router_daemon_of(plan, node);
	if (!d)
		return 0;
	struct pi_buf text;
	pi_buf_init(&text);
	int rc = ctl_query(d, pid, d->sessions_cmd, &text);
	if (rc == 0)
		d->parse_sessions(pi_buf_str(&text), out);
	pi_buf_free(&text);
	return rc;
}

void pi_apply_session_name(const struct pi_plan *plan, uint32_t k, char *buf, size_t len)
{
	const struct pi_router_daemon *d = pi_router_daemon_of(plan, plan->sessions[k].a);
	if (d)
		d->session_name(plan, k, buf, len);
	else
		snprintf(buf, len, "%s", plan->sessions[k].name);
}

bool pi_apply_resolver_answers(const struct pi_plan *plan, uint32_t node, int pid, unsigned timeout_ms)
{
	const struct pi_plan_node *n = &plan->nodes[node];
	struct pi_prefix server;
	if (pi_prefix_is_set(&n->resolver4))
		server = pi_prefix_as_host(&n->resolver4);
	else
		pi_prefix_parse("127.0.0.1", &server);
	char name[300];
	snprintf(name, sizeof(name), "%s.", plan->tld);
	/* SOA of the TLD: answered only by walking from the pocket root. */
	return pi_dns_probe(pid, &server, name, 6, timeout_ms) == 0;
}
