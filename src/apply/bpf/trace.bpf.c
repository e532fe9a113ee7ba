/*
 * pocketinternet trace: tc (clsact, direct-action) programs that report
 * every sighting of the trace probe (trace_ev.h) into one ring buffer and
 * always let the packet pass. One copy of this object is loaded per
 * network namespace watched, with pi_node set to that namespace's index;
 * every copy shares the ring buffer and the config map by fd.
 *
 * Built with clang -target bpf -O2 -g (meson custom_target); only skb
 * fields and helpers, no CO-RE. Packets are read with bpf_skb_load_bytes,
 * so non-linear skbs work too.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "trace_ev.h"

/* <linux/icmp.h> pulls in libc headers that do not build for -target bpf. */
#define AF_INET 2
#define PACKET_OTHERHOST 3 /* <linux/if_packet.h> */
#define AF_INET6 10
#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_TIME_EXCEED 3
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129

const volatile __u32 pi_node = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} pi_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pi_trace_cfg);
} pi_cfg SEC(".maps");

/* Where the ICMP header of a packet (or of the packet an error quotes)
 * begins, with its fields. */
struct l4 {
	__u32 off;
	__u8 type, code, ttl, family;
};

/* The payload at off is our magic and this trace's nonce. */
static __always_inline int marked(struct __sk_buff *skb, __u32 off, __u32 nonce)
{
	char m[PI_TRACE_MAGIC_LEN + 4];
	const char want[] = PI_TRACE_MAGIC;
	__u32 n;

	if (bpf_skb_load_bytes(skb, off, m, sizeof(m)))
		return 0;
	for (int i = 0; i < PI_TRACE_MAGIC_LEN; i++)
		if (m[i] != want[i])
			return 0;
	__builtin_memcpy(&n, m + PI_TRACE_MAGIC_LEN, 4);
	return n == nonce;
}

/* The ICMP header of an IPv4 (IPv6) packet at off: 0, or -1 if it is none. */
static __always_inline int icmp4_at(struct __sk_buff *skb, __u32 off, struct l4 *l)
{
	struct iphdr ip;
	__u8 t[2];

	if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)) || ip.version != 4 || ip.protocol != IPPROTO_ICMP)
		return -1;
	if (ip.frag_off & bpf_htons(0x1fff))
		return -1;
	l->off = off + ip.ihl * 4;
	l->ttl = ip.ttl;
	l->family = 4;
	if (bpf_skb_load_bytes(skb, l->off, t, 2))
		return -1;
	l->type = t[0];
	l->code = t[1];
	return 0;
}

static __always_inline int icmp6_at(struct __sk_buff *skb, __u32 off, struct l4 *l)
{
	struct ipv6hdr ip;
	__u8 t[2];

	if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)) || ip.version != 6 || ip.nexthdr != IPPROTO_ICMPV6)
		return -1;
	l->off = off + sizeof(ip);
	l->ttl = ip.hop_limit;
	l->family = 6;
	if (bpf_skb_load_bytes(skb, l->off, t, 2))
		return -1;
	l->type = t[0];
	l->code = t[1];
	return 0;
}

/* Which of our kinds the ICMP message at l is, or -1 when it is not about
 * the probe. Errors are matched by the echo request they quote. */
static __always_inline int classify(struct __sk_buff *skb, struct l4 *l, __u32 nonce)
{
	struct l4 in;
	int v4 = l->family == 4, kind, r;

	if (l->type == (v4 ? ICMP_ECHO : ICMPV6_ECHO_REQUEST))
		return marked(skb, l->off + 8, nonce) ? PI_TRACE_EV_REQUEST : -1;
	if (l->type == (v4 ? ICMP_ECHOREPLY : ICMPV6_ECHO_REPLY))
		return marked(skb, l->off + 8, nonce) ? PI_TRACE_EV_REPLY : -1;
	if (l->type == (v4 ? ICMP_TIME_EXCEEDED : ICMPV6_TIME_EXCEED))
		kind = PI_TRACE_EV_TIME;
	else if (l->type == (v4 ? ICMP_DEST_UNREACH : ICMPV6_DEST_UNREACH))
		kind = PI_TRACE_EV_UNREACH;
	else
		return -1;
	r = v4 ? icmp4_at(skb, l->off + 8, &in) : icmp6_at(skb, l->off + 8, &in);
	if (r || in.type != (v4 ? ICMP_ECHO : ICMPV6_ECHO_REQUEST))
		return -1;
	return marked(skb, in.off + 8, nonce) ? kind : -1;
}

/* What the kernel's FIB would do with the request that just came in. */
static __always_inline int fib(struct __sk_buff *skb, const struct l4 *l, __u32 *oif)
{
	struct bpf_fib_lookup p = {};
	int rc;

	p.ifindex = skb->ingress_ifindex;
	p.l4_protocol = l->family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	p.tot_len = skb->len - ETH_HLEN;
	if (l->family == 4) {
		struct iphdr ip;
		if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)))
			return -1;
		p.family = AF_INET;
		p.tos = ip.tos;
		p.ipv4_src = ip.saddr;
		p.ipv4_dst = ip.daddr;
	} else {
		struct ipv6hdr ip;
		if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)))
			return -1;
		p.family = AF_INET6;
		__builtin_memcpy(p.ipv6_src, &ip.saddr, 16);
		__builtin_memcpy(p.ipv6_dst, &ip.daddr, 16);
	}
	rc = bpf_fib_lookup(skb, &p, sizeof(p), 0);
	*oif = rc == BPF_FIB_LKUP_RET_SUCCESS || rc == BPF_FIB_LKUP_RET_NO_NEIGH ? p.ifindex : 0;
	return rc;
}

static __always_inline int seen(struct __sk_buff *skb, int egress)
{
	__u32 zero = 0;
	struct pi_trace_cfg *cfg = bpf_map_lookup_elem(&pi_cfg, &zero);
	struct pi_trace_ev *ev;
	struct l4 l;
	int kind, r;

	if (!cfg || !cfg->on)
		return TC_ACT_UNSPEC;
	/* A bridge floods a frame for an unknown MAC to every port: a node it
	 * was not for sees it at ingress, then drops it. Not a hop. */
	if (!egress && skb->pkt_type == PACKET_OTHERHOST)
		return TC_ACT_UNSPEC;
	if (skb->protocol == bpf_htons(ETH_P_IP))
		r = icmp4_at(skb, ETH_HLEN, &l);
	else if (skb->protocol == bpf_htons(ETH_P_IPV6))
		r = icmp6_at(skb, ETH_HLEN, &l);
	else
		return TC_ACT_UNSPEC;
	if (r || (kind = classify(skb, &l, cfg->nonce)) < 0)
		return TC_ACT_UNSPEC;
	ev = bpf_ringbuf_reserve(&pi_events, sizeof(*ev), 0);
	if (!ev)
		return TC_ACT_UNSPEC;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts = bpf_ktime_get_ns();
	ev->node = pi_node;
	ev->ifindex = skb->ifindex;
	ev->egress = egress;
	ev->kind = kind;
	ev->ttl = l.ttl;
	ev->family = l.family;
	ev->code = l.code;
	ev->fib = -1;
	if (!egress && kind == PI_TRACE_EV_REQUEST)
		ev->fib = fib(skb, &l, &ev->fib_ifindex);
	bpf_ringbuf_submit(ev, 0);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int pi_trace_in(struct __sk_buff *skb)
{
	return seen(skb, 0);
}

SEC("tc")
int pi_trace_out(struct __sk_buff *skb)
{
	return seen(skb, 1);
}

char LICENSE[] SEC("license") = "GPL";
