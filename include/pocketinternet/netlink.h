/*
 * netlink: a thin, batching rtnetlink layer over libmnl that wires a lab:
 * veth pairs, bridges, addresses, routes, qdiscs and sysctls, each inside
 * the right network namespace, and named namespaces owned by the lab.
 *
 * Handles. A struct pi_nl is bound to one network namespace for its whole
 * life: its rtnetlink socket is opened while the calling thread is switched
 * into that namespace (setns) and then the thread is switched back; a
 * netlink socket stays bound to the namespace it was created in. The handle
 * also keeps an fd of its namespace, for sysctls and for putting veth ends
 * there. Namespace switches are per thread and always restored, so many
 * threads may open and use handles in parallel; ONE handle must only be
 * used by one thread at a time.
 *
 * Batching. Between pi_nl_batch_begin() and pi_nl_batch_end(), operations
 * that change state only queue their request and return 0 (or an argument
 * error at once). pi_nl_batch_end() sends the queue in a few large
 * sendmsg() calls, asking an ACK only of each chunk's last message (the
 * kernel always reports failures), reads the replies and returns the first
 * error; pi_nl_error() then names the request that failed. All queued
 * requests are attempted even when one fails (rtnetlink is not
 * transactional). Outside a batch every operation is sent and acknowledged
 * at once.
 *
 * Requests that need an ifindex (addresses, routes with a device, rename,
 * move with rename, master, qdisc) look it up by name when called, so the
 * link must exist then: create links in one batch, end it, then configure
 * them in the next. Requests that address a link by name only (set up,
 * MTU, MAC, delete, move without rename) can follow its creation in the
 * same batch.
 *
 * Errors: every function returns 0 (or a count/fd where documented) or a
 * negative errno and never prints. After a failure pi_nl_error() tells
 * which request failed and the kernel's extended-ACK message if any;
 * pi_nl_strerror() formats both for the user.
 *
 * Needs CAP_NET_ADMIN and CAP_SYS_ADMIN (setns, mounts under /run/netns).
 */
#ifndef POCKETINTERNET_NETLINK_H
#define POCKETINTERNET_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "impair.h"
#include "prefix.h"

/* Linux IFNAMSIZ minus the NUL: longer interface names get -EINVAL. */
#define PI_NL_IFNAME_MAX 15
/* Named namespaces are bind mounts here, as with iproute2 (`ip netns`). */
#define PI_NL_NETNS_DIR "/run/netns"

struct pi_nl;

/* The failure behind the last negative return of a handle's function. */
struct pi_nl_error {
	int err;       /* negative errno, 0 when nothing failed */
	char op[96];   /* the request, e.g. "veth_create l3a/l3b" */
	char msg[320]; /* kernel extended-ACK text or our explanation, "" if none */
};

/* Counters, so callers and tests can see how much batching saved. */
struct pi_nl_stats {
	unsigned long requests;  /* netlink messages sent */
	unsigned long sendmsgs;  /* sendmsg/sendto calls */
	unsigned long recvmsgs;  /* recvmsg/recvfrom calls */
};

/* ---- handles ---- */

/* A handle on the calling thread's current netns. */
int pi_nl_open(struct pi_nl **out);
/* A handle on the netns behind fd (e.g. open("/proc/<pid>/ns/net")). fd is
 * not taken over: the handle keeps its own duplicate. */
int pi_nl_open_netns_fd(int fd, struct pi_nl **out);
/* Same for a path such as /proc/<pid>/ns/net. */
int pi_nl_open_netns_path(const char *path, struct pi_nl **out);
/* Same for a named netns under PI_NL_NETNS_DIR. */
int pi_nl_open_netns_name(const char *name, struct pi_nl **out);
/* Drops queued requests that were never sent. NULL is fine. */
void pi_nl_close(struct pi_nl *nl);
/* The handle's netns fd, owned by the handle: valid until pi_nl_close(). */
int pi_nl_ns_fd(const struct pi_nl *nl);

const struct pi_nl_error *pi_nl_error(const struct pi_nl *nl);
/* "veth_create l3a/l3b: File exists (kernel: ...)"; owned by the handle,
 * valid until its next call. "" when nothing failed. */
const char *pi_nl_strerror(struct pi_nl *nl);
void pi_nl_stats(const struct pi_nl *nl, struct pi_nl_stats *out);

/* ---- batching ---- */

/* -EBUSY if a batch is already open. */
int pi_nl_batch_begin(struct pi_nl *nl);
/* Sends all queued requests; 0 or the first failure (see pi_nl_error()). */
int pi_nl_batch_end(struct pi_nl *nl);
/* Requests queued and not yet sent. */
size_t pi_nl_batch_pending(const struct pi_nl *nl);

/* ---- running code inside the handle's netns ---- */

/* Calls fn(arg) with the calling thread switched into nl's netns and
 * switches back. Returns fn's return value, or -errno if switching failed. */
int pi_nl_ns_call(struct pi_nl *nl, int (*fn)(void *arg), void *arg);
/* socket(2) created inside nl's netns (it stays there). fd or -errno. */
int pi_nl_socket(struct pi_nl *nl, int domain, int type, int protocol);
/* Sysctls of nl's netns through /proc/sys (net.* entries are per netns of
 * the thread that opens them). key is "net.ipv6.conf.all.forwarding" or
 * "net/ipv6/conf/all/forwarding" (use the '/' form when a part holds a
 * dot, e.g. an interface "eth0.10"). Not batched. */
int pi_nl_sysctl_set(struct pi_nl *nl, const char *key, const char *value);
/* Reads the value without the trailing newline into buf. */
int pi_nl_sysctl_get(struct pi_nl *nl, const char *key, char *buf, size_t len);

/* ---- named network namespaces (lab-owned, e.g. for LAN bridges) ---- */

/* Creates an empty netns bound at PI_NL_NETNS_DIR/<name>; -EEXIST if the
 * name is taken. Names: 1..64 bytes of [A-Za-z0-9_.-], not "." or "..". */
int pi_nl_netns_create(const char *name);
/* Unmounts and removes it; the netns and its links die with the last user.
 * -ENOENT if there is no such name. */
int pi_nl_netns_delete(const char *name);
/* Names under PI_NL_NETNS_DIR starting with prefix. *out is a malloc'd
 * array of malloc'd strings; free with pi_nl_names_free(). */
int pi_nl_netns_list(const char *prefix, char ***out, size_t *n);
void pi_nl_names_free(char **names, size_t n);
/* Teardown: deletes every named netns starting with prefix (not empty).
 * Returns how many were deleted, or the first error. */
int pi_nl_netns_delete_prefix(const char *prefix);
/* An O_RDONLY|O_CLOEXEC fd of a named netns, or -errno. */
int pi_nl_netns_open(const char *name);

/* ---- links ---- */

struct pi_nl_link {
	int index;
	char name[PI_NL_IFNAME_MAX + 1];
	char kind[16];   /* "veth", "bridge", ... or "" */
	unsigned mtu;
	uint8_t mac[6];
	unsigned flags;  /* IFF_* */
	int master;      /* ifindex of the bridge it is a port of, or 0 */
	int link;        /* IFLA_LINK, e.g. a veth's peer ifindex, or 0 */
	bool link_other_netns; /* that peer lives in another netns */
	uint8_t operstate; /* IF_OPER_* (RFC 2863): IF_OPER_UP, _DOWN, ... */
	bool carrier;    /* IFLA_CARRIER: a veth has it when both ends are up */
};

struct pi_nl_veth {
	const char *name;  /* first end */
	const char *peer;  /* second end */
	int ns_fd;         /* netns for `name`; -1: the handle's netns */
	int peer_ns_fd;    /* netns for `peer`; -1: the handle's netns */
	unsigned mtu;      /* both ends; 0: kernel default */
	const uint8_t *mac;      /* 6 bytes or NULL (random) */
	const uint8_t *peer_mac; /* 6 bytes or NULL (random) */
	bool up;           /* `name` up at creation. The peer cannot be: the
			    * kernel opens it before the pair is joined
			    * (ENOTCONN), so set it up from a handle on its
			    * netns, usually with its addresses. */
};

/* One request creates both ends, each directly in its own netns, named and
 * with MTU/MAC set. ns fds must stay open until the request is sent. */
int pi_nl_veth_create(struct pi_nl *nl, const struct pi_nl_veth *v);
/* A bridge with multicast snooping off (so IPv6 ND and RAs always flood),
 * STP off. mtu 0: default. */
int pi_nl_bridge_create(struct pi_nl *nl, const char *name, unsigned mtu);
/* Makes `name` a port of bridge `master` (looked up now); master NULL
 * detaches it. */
int pi_nl_link_set_master(struct pi_nl *nl, const char *name, const char *master);
int pi_nl_link_set_up(struct pi_nl *nl, const char *name);
int pi_nl_link_set_down(struct pi_nl *nl, const char *name);
int pi_nl_link_set_mtu(struct pi_nl *nl, const char *name, unsigned mtu);
int pi_nl_link_set_mac(struct pi_nl *nl, const char *name, const uint8_t mac[6]);
int pi_nl_link_rename(struct pi_nl *nl, const char *name, const char *newname);
/* Moves a link into the netns behind ns_fd, renamed to newname there if
 * newname is not NULL. The link disappears from this handle's netns. */
int pi_nl_link_move(struct pi_nl *nl, const char *name, int ns_fd, const char *newname);
/* Deleting one end of a veth deletes both. -ENODEV if it does not exist. */
int pi_nl_link_delete(struct pi_nl *nl, const char *name);

/* Not batched; -ENODEV if there is no such link. */
int pi_nl_link_get(struct pi_nl *nl, const char *name, struct pi_nl_link *out);
/* Link state for `link list`: *admin_up is IFF_UP (set up by us), *carrier
 * is IFF_LOWER_UP (the medium works: a veth whose peer is down, or gone to
 * a dead netns, has none). Either pointer may be NULL. Not batched;
 * -ENODEV if there is no such link. */
int pi_nl_link_oper(struct pi_nl *nl, const char *ifname, bool *admin_up, bool *carrier);
/* Links whose name starts with prefix ("" = all). *out is malloc'd (free()),
 * NULL when *n is 0. Not batched. */
int pi_nl_links_with_prefix(struct pi_nl *nl, const char *prefix, struct pi_nl_link **out, size_t *n);
/* Teardown: deletes every virtual link (one with a kind: veth, bridge...)
 * whose name starts with prefix, all at once: they join a fresh link group
 * and one RTM_DELLINK removes the group, so the kernel pays its RCU grace
 * period once, not per link. Peers of deleted veths in other netns go too;
 * links vanishing meanwhile are not an error. Runs a batch of its own (so
 * -EBUSY inside an open batch); prefix must not be empty. Returns the
 * number of links deleted, or -errno. */
int pi_nl_links_delete_prefix(struct pi_nl *nl, const char *prefix);

/* ---- addresses and routes ---- */

/* Adds (or replaces) an address with its prefix length, e.g. 10.0.0.1/31.
 * IPv6 addresses get IFA_F_NODAD so they are usable at once. */
int pi_nl_addr_add(struct pi_nl *nl, const char *ifname, const struct pi_prefix *addr);
int pi_nl_addr_del(struct pi_nl *nl, const char *ifname, const struct pi_prefix *addr);
/* An address on "lo" (a router's loopback, usually /32 or /128); also
 * sets lo up, which a fresh netns leaves down. */
int pi_nl_loopback_addr_add(struct pi_nl *nl, const struct pi_prefix *addr);

enum pi_nl_route_type {
	PI_NL_ROUTE_UNICAST = 0,
	PI_NL_ROUTE_BLACKHOLE, /* dropped silently; local senders get EINVAL */
	PI_NL_ROUTE_UNREACHABLE, /* dropped with ICMP unreachable */
};

struct pi_nl_route {
	struct pi_prefix dst; /* len 0 is a default route; family required */
	struct pi_prefix gw;  /* family 0: none (an on-link route via dev) */
	const char *dev;      /* NULL: the kernel picks it from gw */
	struct pi_prefix src; /* preferred source, family 0: none */
	unsigned metric;      /* 0: kernel default */
	unsigned table;       /* 0: main */
	enum pi_nl_route_type type;
};

/* Adds or replaces a route (RTPROT_STATIC). A unicast route needs gw or
 * dev; blackhole/unreachable take neither. Deleting matches a route of
 * any protocol with the same destination, table, type (and metric, gw,
 * dev when given). */
int pi_nl_route_add(struct pi_nl *nl, const struct pi_nl_route *r);
int pi_nl_route_del(struct pi_nl *nl, const struct pi_nl_route *r);

/* ---- link impairments (qdisc) ---- */

/*
 * A link's impairment is its root qdisc (docs/netlink.md):
 *   none                     no qdisc of ours: the root is deleted and the
 *                            kernel's default (noqueue on a veth) returns;
 *   a rate limit only        tbf (bucket 10 ms of rate, >= 16 KiB; queue
 *                            50 ms of rate);
 *   anything netem does      netem, carrying the rate too (one qdisc).
 * Rates of 2^32 bytes/s and more go in the 64-bit attributes.
 */

/* Room pi_nl_qdisc_msg_build needs (its largest message is ~160 bytes). */
#define PI_NL_QDISC_MSG_MAX 256

/* Builds the request that gives ifindex the impairment imp: RTM_NEWQDISC
 * (CREATE|REPLACE, root, handle 0) with tbf or netem, or RTM_DELQDISC for
 * none; seq and port 0. Pure. *outlen (may be NULL) gets the length.
 * -ENOSPC when len < PI_NL_QDISC_MSG_MAX, -EINVAL for ifindex <= 0 or an
 * imp that pi_impair_check refuses. */
int pi_nl_qdisc_msg_build(void *buf, size_t len, int ifindex, const struct pi_impair *imp, size_t *outlen);

/* Decodes an RTM_NEWQDISC message (a dump reply, or a request built above)
 * into the impairment it applies: tbf's rate, netem's fields; htb (whose
 * rates live in classes) and anything else give a zero imp. kind gets the
 * qdisc's kind, "" for the kernel's default qdiscs (handle 0, or noqueue,
 * pfifo_fast, fq_codel, fq, mq). -EPROTO on a malformed message. */
int pi_nl_qdisc_msg_parse(const void *msg, size_t len, struct pi_impair *out, char kind[16]);

/* Whether sch_netem can be used, without side effects (no module is
 * loaded): /sys/module/sch_netem exists, or modules.builtin of
 * /lib/modules/$(uname -r) lists it. why (may be NULL) says which, or what
 * to do: `modprobe sch_netem` when the module file is installed, or that
 * the kernel lacks CONFIG_NET_SCH_NETEM when it is not. */
bool pi_nl_netem_available(char *why, size_t len);

/* Replaces ifname's root qdisc with the one for imp (see above). A request
 * that needs netem when pi_nl_netem_available() says no fails with
 * -EOPNOTSUPP before anything is sent, pi_nl_error()->msg saying why and
 * how to load sch_netem; the kernel refusing the kind "netem" (ENOENT) is
 * reported the same way. imp all zero removes the root qdisc (a missing one
 * is not an error). -EINVAL when pi_impair_check refuses imp. Batched. */
int pi_nl_qdisc_apply(struct pi_nl *nl, const char *ifname, const struct pi_impair *imp);

/* The impairment in force on ifname: decodes its root qdisc (tbf, netem;
 * htb's default class, else its single top class) into *out, kind as in
 * pi_nl_qdisc_msg_parse ("" and a zero *out for the kernel's default).
 * A kind this module does not apply (e.g. "cake") is named with a zero
 * *out. Not batched; -ENODEV if there is no such link. */
int pi_nl_qdisc_get(struct pi_nl *nl, const char *ifname, struct pi_impair *out, char kind[16]);

/* ---- validation ---- */

/* 1..15 bytes, no '/', ':', '%' or whitespace, not "." or "..". */
bool pi_nl_ifname_valid(const char *name);

/* ---- the host's prefixes (route.c; used by configure-docker) ---- */

struct pi_vec;

/* One prefix the namespace already uses: a route's destination or an
 * interface address's subnet, host bits cleared. */
struct pi_nl_route_prefix {
	struct pi_prefix prefix;
	char dev[PI_NL_IFNAME_MAX + 1]; /* its device, "" when none (blackhole, multipath) */
	unsigned table;                 /* routing table; 0 for an interface address */
	bool addr;                      /* from RTM_GETADDR rather than a route */
};

/* Appends to out (PI_VEC_INIT(struct pi_nl_route_prefix)) every route of
 * every table, IPv4 and IPv6 (RTM_GETROUTE dumps), and every interface
 * address's prefix (RTM_GETADDR dumps) of nl's netns. Default routes,
 * broadcast and multicast entries are left out; a prefix seen twice on the
 * same device and from the same source is listed once. Needs no privilege. Not batched. On failure
 * out may hold a part of the answer: free it all the same. */
int pi_nl_route_prefixes(struct pi_nl *nl, struct pi_vec *out);

#endif
