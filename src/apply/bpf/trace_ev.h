/*
 * What the trace BPF programs (trace.bpf.c) and src/apply/trace.c share:
 * the probe's mark and the event record, with fixed-width kernel types so
 * both sides (BPF and x86-64) lay it out the same.
 *
 * The mark. The probe is an ICMP (v4) or ICMPv6 echo request whose payload
 * starts with PI_TRACE_MAGIC and a 32-bit nonce chosen per trace. Routers
 * never touch a payload, NAT (CGNAT, NAT64's IPv4 side aside) rewrites
 * only addresses and the echo id, the echo reply carries the same payload
 * back, and an ICMP error (time exceeded, unreachable) quotes the request
 * with its payload, so one rule matches the probe, its reply and the
 * errors about it at every hop. skb->mark would not do: it is scrubbed
 * when a packet crosses a veth into another netns; the IP ID does not
 * exist in IPv6.
 */
#ifndef PI_TRACE_EV_H
#define PI_TRACE_EV_H

#include <linux/types.h>

#define PI_TRACE_MAGIC "PItrace!" /* 8 bytes, no NUL on the wire */
#define PI_TRACE_MAGIC_LEN 8
#define PI_TRACE_PAYLOAD 56 /* magic, nonce, padding: as ping's default */

enum {
	PI_TRACE_EV_REQUEST = 0, /* the echo request itself */
	PI_TRACE_EV_REPLY = 1,   /* the echo reply to it */
	PI_TRACE_EV_TIME = 2,    /* ICMP time exceeded quoting it */
	PI_TRACE_EV_UNREACH = 3, /* ICMP destination unreachable quoting it */
};

/* pi_cfg[0]: what to match. */
struct pi_trace_cfg {
	__u32 nonce;
	__u32 on; /* 0: match nothing (before the probe is sent) */
};

struct pi_trace_ev {
	__u64 ts;       /* bpf_ktime_get_ns() */
	__u32 node;     /* the program set's netns (rodata pi_node) */
	__u32 ifindex;  /* the interface, in that netns */
	__u32 fib_ifindex; /* ingress request: the egress the FIB chose */
	__s32 fib;      /* ingress request: BPF_FIB_LKUP_RET_*, else -1 */
	__u8 egress;    /* 1 at tc egress, 0 at ingress */
	__u8 kind;      /* PI_TRACE_EV_* */
	__u8 ttl;       /* TTL / hop limit of the packet as seen */
	__u8 family;    /* 4 or 6 */
	__u8 code;      /* ICMP code (errors) */
	__u8 pad[7];
};

#endif
