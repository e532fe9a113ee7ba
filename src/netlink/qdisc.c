/*
 * netlink qdiscs: a link's impairment as its root qdisc, and back.
 *
 *  - a rate limit alone is tbf: one classless qdisc, one message, swapped
 *    atomically by CREATE|REPLACE (htb would need a qdisc, a class and a
 *    default-class pointer: three requests and a window without the limit);
 *  - anything else (delay, jitter, loss, duplicate, corrupt, reorder) is
 *    netem, which also carries the rate (TCA_NETEM_RATE, since Linux 3.3),
 *    so one qdisc again; only when the kernel has sch_netem;
 *  - none deletes the root qdisc: the kernel puts its default back.
 *
 * Messages are built by pi_nl_qdisc_msg_build into a caller's buffer (pure,
 * tested byte for byte) and copied into the request queue.
 */
#include <errno.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "nl_int.h"
#include "pocketinternet/util.h"

#define TBF_LATENCY_DIV 20   /* queue at most 1/20 s = 50 ms worth of rate */
#define TBF_MIN_BURST 16384  /* bytes: above any MTU, and GSO-friendly */
#define TBF_BURST_DIV 100    /* bucket: 10 ms worth of rate */
#define NETEM_LIMIT_PKTS 1000 /* tc's default */

/* ---- building ---- */

/* A share in ppm as netem's 32-bit probability (0 = never, ~0 = always),
 * rounded to nearest as tc does. */
static uint32_t prob(uint32_t ppm)
{
	if (ppm >= PI_IMPAIR_PPM)
		return UINT32_MAX;
	return (uint32_t)(((uint64_t)ppm * UINT32_MAX + PI_IMPAIR_PPM / 2) / PI_IMPAIR_PPM);
}

static uint32_t clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static void put_tbf(struct nlmsghdr *nlh, const struct pi_impair *imp)
{
	uint64_t rate = imp->rate_bps / 8; /* bytes per second, >= 1 (checked) */
	uint64_t burst = rate / TBF_BURST_DIV;
	struct tc_tbf_qopt q;
	struct nlattr *opt;

	if (burst < TBF_MIN_BURST)
		burst = TBF_MIN_BURST;
	burst = clamp32(burst);
	memset(&q, 0, sizeof(q));
	/* Ethernet link layer: the kernel computes transmit times itself
	 * and needs no rate table. Above 32 bits the rate goes in RATE64
	 * and the 32-bit field says "see there" (~0), as tc does. */
	q.rate.linklayer = TC_LINKLAYER_ETHERNET;
	q.rate.rate = clamp32(rate);
	q.limit = clamp32(rate / TBF_LATENCY_DIV + burst);
	mnl_attr_put_strz(nlh, TCA_KIND, "tbf");
	opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof(q), &q);
	if (rate >= UINT32_MAX)
		mnl_attr_put_u64(nlh, TCA_TBF_RATE64, rate);
	/* In bytes, so no conversion to scheduler ticks. */
	mnl_attr_put_u32(nlh, TCA_TBF_BURST, (uint32_t)burst);
	mnl_attr_nest_end(nlh, opt);
}

static void put_netem_attrs(struct nlmsghdr *nlh, const struct pi_impair *imp)
{
	int64_t delay_ns = (int64_t)imp->delay_us * 1000, jitter_ns = (int64_t)imp->jitter_us * 1000;
	uint64_t rate = imp->rate_bps / 8;

	/* Exact nanoseconds; they override the struct's tick fields. */
	mnl_attr_put(nlh, TCA_NETEM_LATENCY64, sizeof(delay_ns), &delay_ns);
	mnl_attr_put(nlh, TCA_NETEM_JITTER64, sizeof(jitter_ns), &jitter_ns);
	if (imp->reorder_ppm) {
		struct tc_netem_reorder r = { .probability = prob(imp->reorder_ppm) };
		mnl_attr_put(nlh, TCA_NETEM_REORDER, sizeof(r), &r);
	}
	if (imp->corrupt_ppm) {
		struct tc_netem_corrupt c = { .probability = prob(imp->corrupt_ppm) };
		mnl_attr_put(nlh, TCA_NETEM_CORRUPT, sizeof(c), &c);
	}
	if (rate) {
		struct tc_netem_rate r = { .rate = clamp32(rate) };
		mnl_attr_put(nlh, TCA_NETEM_RATE, sizeof(r), &r);
		if (rate >= UINT32_MAX)
			mnl_attr_put_u64(nlh, TCA_NETEM_RATE64, rate);
	}
}

static void put_netem(struct nlmsghdr *nlh, const struct pi_impair *imp)
{
	struct tc_netem_qopt q;
	struct nlattr *opt;

	memset(&q, 0, sizeof(q));
	/* Legacy fields in scheduler ticks (64 ns), for old kernels. */
	q.latency = clamp32((uint64_t)imp->delay_us * 1000 >> 6);
	q.jitter = clamp32((uint64_t)imp->jitter_us * 1000 >> 6);
	q.limit = NETEM_LIMIT_PKTS;
	q.loss = prob(imp->loss_ppm);
	q.duplicate = prob(imp->duplicate_ppm);
	/* Reordering needs a gap; 1 makes every packet a candidate (tc). */
	q.gap = imp->reorder_ppm ? 1 : 0;
	mnl_attr_put_strz(nlh, TCA_KIND, "netem");
	/* netem's options are not a nest: the struct, then attributes. So
	 * no NLA_F_NESTED (as tc sends it, and as the kernel dumps it). */
	opt = mnl_nlmsg_get_payload_tail(nlh);
	opt->nla_type = TCA_OPTIONS;
	nlh->nlmsg_len += NLA_HDRLEN;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(q)), &q, sizeof(q));
	put_netem_attrs(nlh, imp);
	opt->nla_len = (uint16_t)((char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)opt);
}

int pi_nl_qdisc_msg_build(void *buf, size_t len, int ifindex, const struct pi_impair *imp, size_t *outlen)
{
	bool none = pi_impair_is_none(imp);
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;

	if (!buf || len < PI_NL_QDISC_MSG_MAX)
		return -ENOSPC;
	if (ifindex <= 0 || pi_impair_check(imp, NULL, 0) != 0)
		return -EINVAL;
	memset(buf, 0, len);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = none ? RTM_DELQDISC : RTM_NEWQDISC;
	nlh->nlmsg_flags = NLM_F_REQUEST | (none ? 0 : NLM_F_CREATE | NLM_F_REPLACE);
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	/* Handle 0 lets the kernel pick one, and makes CREATE|REPLACE swap a
	 * root qdisc of another kind instead of refusing the change. */
	tcm->tcm_handle = 0;
	tcm->tcm_parent = TC_H_ROOT;
	if (!none) {
		if (pi_impair_needs_netem(imp))
			put_netem(nlh, imp);
		else
			put_tbf(nlh, imp);
	}
	if (outlen)
		*outlen = nlh->nlmsg_len;
	return 0;
}

/* ---- netem detection ---- */

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Whether modules.builtin names sch_netem.ko (a kernel with netem built in
 * has no /sys/module entry for it: netem has no parameters). */
static bool builtin(const char *modules, const char *release)
{
	char path[512], *text = NULL;
	bool found = false;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s/modules.builtin", modules, release);
	if (pi_read_file(path, &text, &n) != 0)
		return false;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		size_t l = nl ? (size_t)(nl - line) : strlen(line);
		if (l >= 12 && memcmp(line + l - 12, "sch_netem.ko", 12) == 0 && (l == 12 || line[l - 13] == '/'))
			found = true;
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	return found;
}

bool pi_nl_netem_probe(const char *sysmodule, const char *modules, const char *release, char *why, size_t len)
{
	static const char *const ext[] = { "", ".xz", ".zst", ".gz" };
	char path[512];

	if (!why || !len) {
		why = path; /* scratch */
		len = 1;
	}
	snprintf(path, sizeof(path), "%s/sch_netem", sysmodule);
	if (exists(path)) {
		snprintf(why, len, "sch_netem is loaded");
		return true;
	}
	if (builtin(modules, release)) {
		snprintf(why, len, "sch_netem is built into the kernel");
		return true;
	}
	for (size_t i = 0; i < PI_ARRAY_LEN(ext); i++) {
		snprintf(path, sizeof(path), "%s/%s/kernel/net/sched/sch_netem.ko%s", modules, release, ext[i]);
		if (exists(path)) {
			snprintf(why, len, "the module sch_netem is installed but not loaded: run "
				 "`modprobe sch_netem` as root on the host");
			return false;
		}
	}
	snprintf(why, len, "kernel %s has no sch_netem: not loaded, not built in, no module under %s/%s; "
		 "it was likely built without CONFIG_NET_SCH_NETEM (if its modules live elsewhere, run "
		 "`modprobe sch_netem` on the host)", release, modules, release);
	return false;
}

bool pi_nl_netem_available(char *why, size_t len)
{
	struct utsname u;

	if (uname(&u) != 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	return pi_nl_netem_probe("/sys/module", "/lib/modules", u.release, why, len);
}

/* ---- applying ---- */

int pi_nl_qdisc_apply(struct pi_nl *nl, const char *ifname, const struct pi_impair *imp)
{
	char why[sizeof(nl->err.msg)], desc[64];
	struct nlmsghdr *nlh;
	bool netem;
	size_t len;
	int idx, err;

	if (!pi_nl_ifname_valid(ifname) || !imp)
		return pi_nl_fail(nl, -EINVAL, "qdisc_apply: bad interface name");
	if (pi_impair_check(imp, why, sizeof(why)) != 0)
		return pi_nl_fail(nl, -EINVAL, "qdisc_apply dev %s: %s", ifname, why);
	netem = pi_impair_needs_netem(imp);
	if (netem && !pi_nl_netem_available(why, sizeof(why))) {
		err = pi_nl_fail(nl, -EOPNOTSUPP, "qdisc_apply dev %s netem", ifname);
		snprintf(nl->err.msg, sizeof(nl->err.msg), "%s", why);
		return err;
	}
	idx = pi_nl_ifindex(nl, ifname);
	if (idx < 0)
		return idx;
	nlh = pi_nl_msg_begin(nl, 0, 0);
	err = pi_nl_qdisc_msg_build(nlh, PI_NL_MSG_MAX, idx, imp, &len);
	if (err) /* nothing was queued: msg_begin only reserves room */
		return pi_nl_fail(nl, err, "qdisc_apply dev %s", ifname);
	if (pi_impair_is_none(imp))
		return pi_nl_msg_end(nl, nlh, PI_NL_OP_IGNORE_ENOENT, "qdisc_clear dev %s", ifname);
	snprintf(desc, sizeof(desc), "qdisc_apply dev %s %s", ifname, netem ? "netem" : "tbf");
	return pi_nl_msg_end(nl, nlh, netem ? PI_NL_OP_NETEM : 0, "%s", desc);
}
