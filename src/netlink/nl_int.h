/*
 * netlink internals shared by the files of src/netlink: the handle, the
 * request queue and the namespace switch.
 */
#ifndef PI_NETLINK_INT_H
#define PI_NETLINK_INT_H

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include "pocketinternet/netlink.h"

/* Room reserved for one request. Every request is built from bounded
 * fields (names <= 15 bytes, fixed-size attributes), far below this, so
 * the builders use libmnl's unchecked puts. */
#define PI_NL_MSG_MAX 2048
/* Replies to one dump skb or a burst of error ACKs. */
#define PI_NL_RBUF 65536

/* Flags of a queued request. */
#define PI_NL_OP_IGNORE_ENODEV 0x1 /* teardown: already gone is fine */
#define PI_NL_OP_IGNORE_ENOENT 0x2 /* removing a qdisc that is not there */
#define PI_NL_OP_NETEM 0x4         /* ENOENT means the kernel lacks sch_netem */

/* What a netem request that the kernel refused with ENOENT ("unknown qdisc
 * kind") turns into, next to -EOPNOTSUPP. */
#define PI_NL_NETEM_MISSING "the kernel has no netem qdisc (module sch_netem): load it with " \
	"`modprobe sch_netem` on the host; a kernel built without CONFIG_NET_SCH_NETEM " \
	"cannot delay, drop, duplicate, corrupt or reorder packets"

struct pi_nl_op {
	uint32_t seq;
	uint32_t flags;
	size_t off, len; /* where its message sits in the queue */
	char desc[96];
};

struct pi_nl {
	struct mnl_socket *sock;
	unsigned portid;
	int nsfd;
	uint32_t seq;
	bool batching;
	uint8_t *q; /* queued messages, back to back */
	size_t qlen, qcap;
	struct pi_nl_op *ops;
	size_t nops, opscap;
	uint8_t *rbuf;
	struct pi_nl_error err;
	struct pi_nl_stats stats;
	char errstr[512];
};

/* Starts a request in the queue (room for PI_NL_MSG_MAX reserved). */
struct nlmsghdr *pi_nl_msg_begin(struct pi_nl *nl, uint16_t type, uint16_t flags);
/* Commits it to the queue, described for error reports; outside a batch
 * sends it and waits for the ACK. */
int pi_nl_msg_end(struct pi_nl *nl, struct nlmsghdr *nlh, uint32_t opflags, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Sends one GET request (dump or not) right away and feeds each reply
 * data message to cb. Returns 0, cb's negative return, or -errno. */
int pi_nl_query(struct pi_nl *nl, struct nlmsghdr *req, const char *desc,
		int (*cb)(const struct nlmsghdr *nlh, void *data), void *data);
/* Builds GET requests outside the queue. */
struct nlmsghdr *pi_nl_query_begin(void *buf, size_t size, uint16_t type, uint16_t flags);

/* Records a failure detected before sending (bad arguments, lookups). */
int pi_nl_fail(struct pi_nl *nl, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The calling thread's netns switch: enter saves the current one. */
int pi_nl_ns_enter(int nsfd, int *saved);
void pi_nl_ns_leave(int saved);

/* pi_nl_netem_available() with the places to look passed in (tests):
 * sysmodule is /sys/module, modules is /lib/modules, release uname -r. */
bool pi_nl_netem_probe(const char *sysmodule, const char *modules, const char *release, char *why, size_t len);

/* ifindex of a link in nl's netns, or -errno (-ENODEV). */
int pi_nl_ifindex(struct pi_nl *nl, const char *name);

#endif
