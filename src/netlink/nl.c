/*
 * netlink handles: the per-netns rtnetlink socket, the request queue with
 * its chunked send and ACK collection, GET queries, error reports and the
 * thread's namespace switch.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nl_int.h"
#include "pocketinternet/log.h"
#include "pocketinternet/util.h"

/* One sendmsg carries at most this much: well below the default socket
 * send buffer (the kernel refuses a message larger than sk_sndbuf) and the
 * burst of error ACKs it can cause fits the receive buffer we ask for. */
#define CHUNK_BYTES (64 * 1024)
#define CHUNK_MSGS 512
#define RCVBUF_BYTES (4 * 1024 * 1024)

#define SELF_NETNS "/proc/thread-self/ns/net"

int pi_nl_ns_enter(int nsfd, int *saved)
{
	int cur = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	if (cur < 0)
		return -errno;
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		int err = -errno;
		close(cur);
		return err;
	}
	*saved = cur;
	return 0;
}

void pi_nl_ns_leave(int saved)
{
	/* A thread left in a lab's netns would silently do the rest of the
	 * program's work in the wrong place: that is a broken invariant. */
	if (setns(saved, CLONE_NEWNET) < 0)
		pi_fatal("netlink: cannot return to the original network namespace: %s", strerror(errno));
	close(saved);
}

static void set_err(struct pi_nl *nl, int err, const char *msg, const char *fmt, va_list ap)
{
	nl->err.err = err;
	vsnprintf(nl->err.op, sizeof(nl->err.op), fmt, ap);
	snprintf(nl->err.msg, sizeof(nl->err.msg), "%s", msg ? msg : "");
}

int pi_nl_fail(struct pi_nl *nl, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_err(nl, err, NULL, fmt, ap);
	va_end(ap);
	return err;
}

static void set_err_op(struct pi_nl *nl, int err, const char *msg, const char *op)
{
	nl->err.err = err;
	snprintf(nl->err.op, sizeof(nl->err.op), "%s", op);
	snprintf(nl->err.msg, sizeof(nl->err.msg), "%s", msg ? msg : "");
}

static int new_handle(int nsfd, struct pi_nl **out)
{
	struct pi_nl *nl = pi_xcalloc(1, sizeof(*nl));
	int one = 1, rcv = RCVBUF_BYTES, err = 0, fd;

	nl->nsfd = nsfd;
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock) {
		err = -errno;
		goto out;
	}
	fd = mnl_socket_get_fd(nl->sock);
	/* Extended ACKs carry the kernel's reason text; capped ACKs do not
	 * echo our request back. Both are optional niceties. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* Room for many error ACKs of one chunk; FORCE needs CAP_NET_ADMIN,
	 * which we need anyway, the plain call is the fallback. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)getpid() << 8; /* any start; readable in traces */
	nl->rbuf = pi_xmalloc(PI_NL_RBUF);
out:
	if (err) {
		if (nl->sock)
			mnl_socket_close(nl->sock);
		free(nl);
		return err;
	}
	*out = nl;
	return 0;
}

int pi_nl_open(struct pi_nl **out)
{
	int nsfd = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	int err;

	if (nsfd < 0)
		return -errno;
	err = new_handle(nsfd, out);
	if (err)
		close(nsfd);
	return err;
}

int pi_nl_open_netns_fd(int fd, struct pi_nl **out)
{
	int nsfd, saved, err;

	if (fd < 0)
		return -EBADF;
	nsfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (nsfd < 0)
		return -errno;
	/* setns also checks that fd really is a network namespace (EINVAL). */
	err = pi_nl_ns_enter(nsfd, &saved);
	if (err)
		goto out;
	err = new_handle(nsfd, out);
	pi_nl_ns_leave(saved);
out:
	if (err)
		close(nsfd);
	return err;
}

int pi_nl_open_netns_path(const char *path, struct pi_nl **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -errno;
	err = pi_nl_open_netns_fd(fd, out);
	close(fd);
	return err;
}

int pi_nl_open_netns_name(const char *name, struct pi_nl **out)
{
	int fd = pi_nl_netns_open(name);
	int err;

	if (fd < 0)
		return fd;
	err = pi_nl_open_netns_fd(fd, out);
	close(fd);
	return err;
}

void pi_nl_close(struct pi_nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	close(nl->nsfd);
	free(nl->q);
	free(nl->ops);
	free(nl->rbuf);
	free(nl);
}

int pi_nl_ns_fd(const struct pi_nl *nl)
{
	return nl->nsfd;
}

const struct pi_nl_error *pi_nl_error(const struct pi_nl *nl)
{
	return &nl->err;
}

const char *pi_nl_strerror(struct pi_nl *nl)
{
	if (!nl->err.err) {
		nl->errstr[0] = '\0';
	} else if (nl->err.msg[0]) {
		snprintf(nl->errstr, sizeof(nl->errstr), "%s: %s (kernel: %s)", nl->err.op,
			 strerror(-nl->err.err), nl->err.msg);
	} else {
		snprintf(nl->errstr, sizeof(nl->errstr), "%s: %s", nl->err.op, strerror(-nl->err.err));
	}
	return nl->errstr;
}

void pi_nl_stats(const struct pi_nl *nl, struct pi_nl_stats *out)
{
	*out = nl->stats;
}

/* ---- the queue ---- */

struct nlmsghdr *pi_nl_msg_begin(struct pi_nl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	if (nl->qcap - nl->qlen < PI_NL_MSG_MAX) {
		nl->qcap = nl->qcap ? nl->qcap * 2 : 4 * PI_NL_MSG_MAX;
		nl->q = pi_xrealloc(nl->q, nl->qcap);
	}
	memset(nl->q + nl->qlen, 0, PI_NL_MSG_MAX);
	nlh = mnl_nlmsg_put_header(nl->q + nl->qlen);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

static int flush(struct pi_nl *nl);

int pi_nl_msg_end(struct pi_nl *nl, struct nlmsghdr *nlh, uint32_t opflags, const char *fmt, ...)
{
	struct pi_nl_op *op;
	va_list ap;

	if (nl->nops == nl->opscap) {
		nl->opscap = nl->opscap ? nl->opscap * 2 : 64;
		nl->ops = pi_xrealloc(nl->ops, nl->opscap * sizeof(*nl->ops));
	}
	op = &nl->ops[nl->nops++];
	nlh->nlmsg_seq = ++nl->seq;
	op->seq = nlh->nlmsg_seq;
	op->flags = opflags;
	op->off = nl->qlen;
	op->len = NLMSG_ALIGN(nlh->nlmsg_len);
	va_start(ap, fmt);
	vsnprintf(op->desc, sizeof(op->desc), fmt, ap);
	va_end(ap);
	nl->qlen += op->len;
	pi_log_debug("netlink", "#%u %s", op->seq, op->desc);
	return nl->batching ? 0 : flush(nl);
}

struct ext_ack {
	const char *msg;
};

static int ext_ack_cb(const struct nlattr *a, void *data)
{
	struct ext_ack *ea = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		ea->msg = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

/* The kernel's reason text behind an NLMSG_ERROR, or NULL. */
static const char *ext_ack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct ext_ack ea = { NULL };
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (off >= mnl_nlmsg_get_payload_len(nlh))
		return NULL;
	mnl_attr_parse(nlh, (unsigned)off, ext_ack_cb, &ea);
	return ea.msg;
}

static bool nlmsgerr_ok(const struct nlmsghdr *nlh)
{
	return mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct nlmsgerr);
}

static bool ignored(const struct pi_nl_op *op, int err)
{
	return (err == -ENODEV && (op->flags & PI_NL_OP_IGNORE_ENODEV)) ||
	       (err == -ENOENT && (op->flags & PI_NL_OP_IGNORE_ENOENT));
}

/* One datagram of replies into nl->rbuf: its length, or -errno. */
static ssize_t recv_replies(struct pi_nl *nl)
{
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->rbuf, PI_NL_RBUF);
		nl->stats.recvmsgs++;
		if (n >= 0 || errno != EINTR)
			return n < 0 ? -errno : n;
	}
}

/* Collects the replies to ops[first..last]; only the last asked for an
 * ACK, failures come unasked. Replies from older, abandoned exchanges fall
 * outside the seq range and are skipped. */
static int read_replies(struct pi_nl *nl, size_t first, size_t last)
{
	uint32_t lo = nl->ops[first].seq, hi = nl->ops[last].seq;
	int rc = 0;

	for (;;) {
		ssize_t n = recv_replies(nl);
		const struct nlmsghdr *nlh;
		int len;

		if (n < 0) {
			/* ENOBUFS: replies were lost, we cannot tell which
			 * requests failed; report it on the whole chunk. */
			if (!rc) {
				rc = (int)n;
				set_err_op(nl, rc, NULL, nl->ops[first].desc);
			}
			return rc;
		}
		len = (int)n;
		for (nlh = (const struct nlmsghdr *)nl->rbuf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e;
			const struct pi_nl_op *op;

			if (nlh->nlmsg_seq < lo || nlh->nlmsg_seq > hi || nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (!nlmsgerr_ok(nlh))
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			op = &nl->ops[first + (nlh->nlmsg_seq - lo)];
			if (e->error && !rc && !ignored(op, e->error)) {
				rc = e->error;
				if (rc == -ENOENT && (op->flags & PI_NL_OP_NETEM)) {
					rc = -EOPNOTSUPP;
					set_err_op(nl, rc, PI_NL_NETEM_MISSING, op->desc);
				} else {
					set_err_op(nl, rc, ext_ack_msg(nlh), op->desc);
				}
			}
			if (nlh->nlmsg_seq == hi)
				return rc;
		}
	}
}

static int flush(struct pi_nl *nl)
{
	size_t i = 0;
	int rc = 0;

	while (i < nl->nops) {
		size_t start = i, bytes = 0, last;
		struct nlmsghdr *tail;
		ssize_t sent;
		int r;

		while (i < nl->nops && (i == start || (bytes + nl->ops[i].len <= CHUNK_BYTES && i - start < CHUNK_MSGS))) {
			bytes += nl->ops[i].len;
			i++;
		}
		last = i - 1;
		tail = (struct nlmsghdr *)(nl->q + nl->ops[last].off);
		tail->nlmsg_flags |= NLM_F_ACK;
		nl->stats.sendmsgs++;
		nl->stats.requests += i - start;
		sent = mnl_socket_sendto(nl->sock, nl->q + nl->ops[start].off, bytes);
		if (sent < 0) {
			r = -errno;
			if (!rc) {
				rc = r;
				set_err_op(nl, r, NULL, nl->ops[start].desc);
			}
			/* Nothing of this chunk reached the kernel; the later
			 * ones are independent requests, so go on. */
			continue;
		}
		r = read_replies(nl, start, last);
		if (r && !rc)
			rc = r;
	}
	nl->qlen = 0;
	nl->nops = 0;
	return rc;
}

int pi_nl_batch_begin(struct pi_nl *nl)
{
	if (nl->batching)
		return -EBUSY;
	nl->batching = true;
	return 0;
}

int pi_nl_batch_end(struct pi_nl *nl)
{
	if (!nl->batching)
		return pi_nl_fail(nl, -EINVAL, "batch_end without batch_begin");
	nl->batching = false;
	return flush(nl);
}

size_t pi_nl_batch_pending(const struct pi_nl *nl)
{
	return nl->nops;
}

/* ---- queries ---- */

struct nlmsghdr *pi_nl_query_begin(void *buf, size_t size, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	/* Attribute padding is not written by libmnl: send no stray bytes. */
	memset(buf, 0, size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

int pi_nl_query(struct pi_nl *nl, struct nlmsghdr *req, const char *desc,
		int (*cb)(const struct nlmsghdr *nlh, void *data), void *data)
{
	bool dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	int rc = 0;

	req->nlmsg_seq = ++nl->seq;
	nl->stats.sendmsgs++;
	nl->stats.requests++;
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return pi_nl_fail(nl, -errno, "%s", desc);
	for (;;) {
		ssize_t n = recv_replies(nl);
		const struct nlmsghdr *nlh;
		int len;

		if (n < 0)
			return pi_nl_fail(nl, (int)n, "%s", desc);
		len = (int)n;
		for (nlh = (const struct nlmsghdr *)nl->rbuf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != req->nlmsg_seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
				if (!nlmsgerr_ok(nlh))
					continue;
				if (e->error) {
					set_err_op(nl, e->error, ext_ack_msg(nlh), desc);
					return e->error;
				}
				return rc;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				/* A dump that raced with changes is not a
				 * consistent picture: let the caller retry. */
				if (!rc && (nlh->nlmsg_flags & NLM_F_DUMP_INTR))
					rc = pi_nl_fail(nl, -EAGAIN, "%s (interrupted dump)", desc);
				return rc;
			}
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR && !rc)
				rc = pi_nl_fail(nl, -EAGAIN, "%s (interrupted dump)", desc);
			if (!rc) {
				int r = cb(nlh, data);
				if (r < 0)
					rc = pi_nl_fail(nl, r, "%s", desc);
			}
			if (!dump)
				return rc;
		}
	}
}
