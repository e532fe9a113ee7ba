/*
 * observe: look at a running lab without spawning anything. The router
 * daemon is asked over its control socket (its protocol from the daemon
 * table in render.h), reached inside the node's root; resolvers get one
 * DNS query sent from inside their own netns (pi_dns_probe, dnsq.c).
 * Both are what convergence detection polls, so they must be cheap.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "apply_int.h"

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
static int ctl_exchange(const struct pi_router_daemon *d, int pid, const char *cmd, struct pi_buf *raw,
			unsigned reply_ms)
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
		rc = ctl_read(d, fd, raw, false, reply_ms);
	close(fd);
	return rc;
}

static int ctl_query(const struct pi_router_daemon *d, int pid, const char *cmd, struct pi_buf *out)
{
	struct pi_buf raw;
	pi_buf_init(&raw);
	int rc = ctl_exchange(d, pid, cmd, &raw, 10000);
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
	/* A command (a reconfigure) answers once the daemon has read its whole
	 * configuration: 10 s, and 1 s more per 20,000 routes of generated tables. */
	uint64_t tables = plan->table_routes4 + plan->table_routes6;
	unsigned reply_ms = 10000 + (unsigned)(tables < 12000000 ? tables / 20 : 600000);
	int rc = ctl_exchange(d, pid, cmd, &raw, reply_ms);
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
	if (!d) /* an external speaker's end: the lab's end names it */
		d = pi_router_daemon_of(plan, plan->sessions[k].b);
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
