/*
 * netlink qdiscs: link shaping. tbf for rate limits; netem when delay,
 * jitter or loss are wanted (a netem qdisc is a struct followed by
 * attributes). Kernels built without sch_netem answer ENOENT ("unknown
 * qdisc kind"), which is turned into -EOPNOTSUPP with a clear message.
 */
#include <errno.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "nl_int.h"

#define DEFAULT_LATENCY_US 50000
#define MIN_BURST 16384
#define NETEM_LIMIT_PKTS 1000

static struct nlmsghdr *qdisc_begin(struct pi_nl *nl, uint16_t type, uint16_t flags, int ifindex)
{
	struct nlmsghdr *nlh = pi_nl_msg_begin(nl, type, flags);
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));

	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	/* Handle 0 lets the kernel pick one, and makes CREATE|REPLACE swap
	 * a root qdisc of another kind instead of refusing the change. */
	tcm->tcm_handle = 0;
	tcm->tcm_parent = TC_H_ROOT;
	return nlh;
}

static int put_tbf(struct nlmsghdr *nlh, const struct pi_nl_shape *s)
{
	uint64_t rate = s->rate_bps / 8; /* bytes per second */
	uint64_t burst = s->burst_bytes ? s->burst_bytes : rate / 100;
	uint64_t latency = s->latency_us ? s->latency_us : DEFAULT_LATENCY_US;
	uint64_t limit;
	struct tc_tbf_qopt q;
	struct nlattr *opt;

	if (rate == 0)
		return -EINVAL;
	if (burst < MIN_BURST && !s->burst_bytes)
		burst = MIN_BURST;
	if (burst > UINT32_MAX)
		burst = UINT32_MAX;
	limit = rate * latency / 1000000 + burst;
	if (limit > UINT32_MAX)
		limit = UINT32_MAX;
	memset(&q, 0, sizeof(q));
	/* Ethernet link layer: the kernel then computes rates itself and
	 * needs no rate table. */
	q.rate.linklayer = TC_LINKLAYER_ETHERNET;
	q.rate.rate = rate >= UINT32_MAX ? UINT32_MAX : (uint32_t)rate;
	q.limit = (uint32_t)limit;
	mnl_attr_put_strz(nlh, TCA_KIND, "tbf");
	opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof(q), &q);
	if (rate >= UINT32_MAX)
		mnl_attr_put_u64(nlh, TCA_TBF_RATE64, rate);
	/* Given in bytes, so no conversion to scheduler ticks. */
	mnl_attr_put_u32(nlh, TCA_TBF_BURST, (uint32_t)burst);
	mnl_attr_nest_end(nlh, opt);
	return 0;
}

static void put_netem(struct nlmsghdr *nlh, const struct pi_nl_shape *s)
{
	uint64_t rate = s->rate_bps / 8;
	int64_t delay_ns = (int64_t)s->delay_us * 1000, jitter_ns = (int64_t)s->jitter_us * 1000;
	struct tc_netem_qopt q;
	struct nlattr *opt;

	memset(&q, 0, sizeof(q));
	/* The legacy fields are in scheduler ticks (64 ns); the 64-bit
	 * attributes below override them with exact nanoseconds. */
	q.latency = (uint32_t)((uint64_t)delay_ns >> 6 > UINT32_MAX ? UINT32_MAX : (uint64_t)delay_ns >> 6);
	q.jitter = (uint32_t)((uint64_t)jitter_ns >> 6 > UINT32_MAX ? UINT32_MAX : (uint64_t)jitter_ns >> 6);
	q.limit = NETEM_LIMIT_PKTS;
	q.loss = s->loss_ppm >= 1000000 ? UINT32_MAX : (uint32_t)((uint64_t)s->loss_ppm * UINT32_MAX / 1000000);
	mnl_attr_put_strz(nlh, TCA_KIND, "netem");
	opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	/* netem's options start with the struct, attributes follow it. */
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(q)), &q, sizeof(q));
	mnl_attr_put(nlh, TCA_NETEM_LATENCY64, sizeof(delay_ns), &delay_ns);
	mnl_attr_put(nlh, TCA_NETEM_JITTER64, sizeof(jitter_ns), &jitter_ns);
	if (rate) {
		struct tc_netem_rate r;
		memset(&r, 0, sizeof(r));
		r.rate = rate >= UINT32_MAX ? UINT32_MAX : (uint32_t)rate;
		mnl_attr_put(nlh, TCA_NETEM_RATE, sizeof(r), &r);
		if (rate >= UINT32_MAX)
			mnl_attr_put_u64(nlh, TCA_NETEM_RATE64, rate);
	}
	mnl_attr_nest_end(nlh, opt);
}

int pi_nl_qdisc_shape(struct pi_nl *nl, const char *ifname, const struct pi_nl_shape *s)
{
	bool netem, none;
	struct nlmsghdr *nlh;
	int idx, err;

	if (!pi_nl_ifname_valid(ifname) || !s || s->loss_ppm > 1000000)
		return pi_nl_fail(nl, -EINVAL, "qdisc_shape: bad interface name or loss");
	netem = s->delay_us || s->jitter_us || s->loss_ppm;
	none = !netem && !s->rate_bps;
	idx = pi_nl_ifindex(nl, ifname);
	if (idx < 0)
		return idx;
	if (none) {
		nlh = qdisc_begin(nl, RTM_DELQDISC, 0, idx);
		return pi_nl_msg_end(nl, nlh, PI_NL_OP_IGNORE_ENOENT, "qdisc_clear dev %s", ifname);
	}
	nlh = qdisc_begin(nl, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, idx);
	if (netem) {
		put_netem(nlh, s);
		return pi_nl_msg_end(nl, nlh, PI_NL_OP_NETEM, "qdisc_shape dev %s netem", ifname);
	}
	err = put_tbf(nlh, s);
	if (err) {
		/* Nothing was queued: msg_begin only reserves room. */
		return pi_nl_fail(nl, err, "qdisc_shape dev %s: rate below 8 bit/s", ifname);
	}
	return pi_nl_msg_end(nl, nlh, 0, "qdisc_shape dev %s tbf", ifname);
}
