/*
 * netlink qdiscs, read back: the impairment in force on a link, decoded
 * from its root qdisc (tbf, netem) or, for htb, from its default class.
 */
#include <errno.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "nl_int.h"
#include "pocketinternet/util.h"

/* What a root qdisc the kernel attaches by itself looks like. */
static const char *const default_kinds[] = { "noqueue", "pfifo_fast", "fq_codel", "fq", "mq", "noop" };

struct tca {
	const struct nlattr *kind, *options;
};

static int tca_cb(const struct nlattr *a, void *data)
{
	struct tca *t = data;

	if (mnl_attr_get_type(a) == TCA_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		t->kind = a;
	else if (mnl_attr_get_type(a) == TCA_OPTIONS)
		t->options = a;
	return MNL_CB_OK;
}

/* Attributes of a nest (or of netem's struct-then-attributes options,
 * from skip bytes on) into tb[0..max], each the last of its type. */
static int attrs(const struct nlattr *opt, size_t skip, const struct nlattr **tb, unsigned max)
{
	int len = (int)mnl_attr_get_payload_len(opt) - (int)MNL_ALIGN(skip);
	const struct nlattr *first, *attr;

	if (len < 0)
		return -EPROTO;
	first = (const struct nlattr *)((const char *)mnl_attr_get_payload(opt) + MNL_ALIGN(skip));
	memset(tb, 0, (max + 1) * sizeof(*tb));
	mnl_attr_for_each_payload(first, (size_t)len) {
		unsigned type = mnl_attr_get_type(attr);
		if (type <= max)
			tb[type] = attr;
	}
	return 0;
}

static const void *payload_of(const struct nlattr *a, size_t size)
{
	return a && mnl_attr_get_payload_len(a) >= size ? mnl_attr_get_payload(a) : NULL;
}

static uint64_t u64_or(const struct nlattr *a, uint64_t fallback)
{
	const void *p = payload_of(a, sizeof(uint64_t));
	uint64_t v;

	if (!p)
		return fallback;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t ppm_of(uint32_t p)
{
	return (uint32_t)(((uint64_t)p * PI_IMPAIR_PPM + UINT32_MAX / 2) / UINT32_MAX);
}

static uint32_t ns_to_us(int64_t ns)
{
	if (ns <= 0)
		return 0;
	return ns / 1000 > UINT32_MAX ? UINT32_MAX : (uint32_t)(ns / 1000);
}

static int decode_tbf(const struct nlattr *opt, struct pi_impair *out)
{
	const struct nlattr *tb[TCA_TBF_MAX + 1];
	const struct tc_tbf_qopt *q;

	if (attrs(opt, 0, tb, TCA_TBF_MAX) || !(q = payload_of(tb[TCA_TBF_PARMS], sizeof(*q))))
		return -EPROTO;
	out->rate_bps = u64_or(tb[TCA_TBF_RATE64], q->rate.rate) * 8;
	return 0;
}

static void decode_netem_attrs(const struct nlattr **tb, struct pi_impair *out)
{
	const struct tc_netem_reorder *r = payload_of(tb[TCA_NETEM_REORDER], sizeof(*r));
	const struct tc_netem_corrupt *c = payload_of(tb[TCA_NETEM_CORRUPT], sizeof(*c));
	const struct tc_netem_rate *rate = payload_of(tb[TCA_NETEM_RATE], sizeof(*rate));

	if (tb[TCA_NETEM_LATENCY64])
		out->delay_us = ns_to_us((int64_t)u64_or(tb[TCA_NETEM_LATENCY64], 0));
	if (tb[TCA_NETEM_JITTER64])
		out->jitter_us = ns_to_us((int64_t)u64_or(tb[TCA_NETEM_JITTER64], 0));
	if (r)
		out->reorder_ppm = ppm_of(r->probability);
	if (c)
		out->corrupt_ppm = ppm_of(c->probability);
	if (rate)
		out->rate_bps = u64_or(tb[TCA_NETEM_RATE64], rate->rate) * 8;
}

static int decode_netem(const struct nlattr *opt, struct pi_impair *out)
{
	const struct nlattr *tb[TCA_NETEM_MAX + 1];
	const struct tc_netem_qopt *q = payload_of(opt, sizeof(*q));

	if (!q || attrs(opt, sizeof(*q), tb, TCA_NETEM_MAX))
		return -EPROTO;
	/* The struct's times are scheduler ticks of 64 ns; the 64-bit
	 * attributes, when there, are exact. */
	out->delay_us = ns_to_us((int64_t)q->latency << 6);
	out->jitter_us = ns_to_us((int64_t)q->jitter << 6);
	out->loss_ppm = ppm_of(q->loss);
	out->duplicate_ppm = ppm_of(q->duplicate);
	decode_netem_attrs(tb, out);
	return 0;
}

int pi_nl_qdisc_msg_parse(const void *msg, size_t len, struct pi_impair *out, char kind[16])
{
	const struct nlmsghdr *nlh = msg;
	const struct tcmsg *tcm;
	struct tca t = { NULL, NULL };
	const char *k;

	memset(out, 0, sizeof(*out));
	kind[0] = '\0';
	if (len < sizeof(*nlh) || nlh->nlmsg_len > len || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*tcm)) ||
	    nlh->nlmsg_type != RTM_NEWQDISC)
		return -EPROTO;
	tcm = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*tcm), tca_cb, &t) < 0 || !t.kind)
		return -EPROTO;
	k = mnl_attr_get_str(t.kind);
	for (size_t i = 0; i < PI_ARRAY_LEN(default_kinds); i++) {
		if (!strcmp(k, default_kinds[i]))
			return 0;
	}
	if (tcm->tcm_handle == 0)
		return 0; /* attached by the kernel, whatever net.core.default_qdisc says */
	snprintf(kind, 16, "%s", k);
	if (!strcmp(k, "tbf"))
		return t.options ? decode_tbf(t.options, out) : -EPROTO;
	if (!strcmp(k, "netem"))
		return t.options ? decode_netem(t.options, out) : -EPROTO;
	return 0;
}

/* ---- reading a link's root qdisc ---- */

struct root_q {
	int ifindex;
	bool found;
	uint32_t handle;
	uint32_t defcls; /* htb's default class minor */
	struct pi_impair imp;
	char kind[16];
	int err;
};

static int root_q_cb(const struct nlmsghdr *nlh, void *data)
{
	struct root_q *r = data;
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	struct tca t = { NULL, NULL };

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*tcm))
		return -EPROTO;
	/* Dumps cover every device of the netns: keep ours, at the root. */
	if (tcm->tcm_ifindex != r->ifindex || tcm->tcm_parent != TC_H_ROOT || r->found)
		return 0;
	r->found = true;
	r->handle = tcm->tcm_handle;
	r->err = pi_nl_qdisc_msg_parse(nlh, nlh->nlmsg_len, &r->imp, r->kind);
	if (!r->err && !strcmp(r->kind, "htb")) {
		mnl_attr_parse(nlh, sizeof(*tcm), tca_cb, &t);
		if (t.options) {
			const struct nlattr *tb[TCA_HTB_MAX + 1];
			const struct tc_htb_glob *g;
			if (!attrs(t.options, 0, tb, TCA_HTB_MAX) && (g = payload_of(tb[TCA_HTB_INIT], sizeof(*g))))
				r->defcls = g->defcls;
		}
	}
	return 0;
}

struct htb_class {
	struct root_q *r;
	uint64_t dflt, top; /* rates in bytes/s */
	unsigned ntop;
	bool has_dflt;
};

static int htb_class_cb(const struct nlmsghdr *nlh, void *data)
{
	struct htb_class *h = data;
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[TCA_HTB_MAX + 1];
	const struct tc_htb_opt *o;
	struct tca t = { NULL, NULL };
	uint64_t rate;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*tcm) || tcm->tcm_ifindex != h->r->ifindex)
		return 0;
	if (mnl_attr_parse(nlh, sizeof(*tcm), tca_cb, &t) < 0 || !t.options ||
	    attrs(t.options, 0, tb, TCA_HTB_MAX) || !(o = payload_of(tb[TCA_HTB_PARMS], sizeof(*o))))
		return 0;
	rate = u64_or(tb[TCA_HTB_RATE64], o->rate.rate);
	if (h->r->defcls && tcm->tcm_handle == (TC_H_MAJ(h->r->handle) | h->r->defcls)) {
		h->dflt = rate;
		h->has_dflt = true;
	}
	if (tcm->tcm_parent == TC_H_ROOT) {
		h->top = rate;
		h->ntop++;
	}
	return 0;
}

/* htb keeps its rates in classes: the default class's, or else the one
 * top class's, is the link's rate. */
static int htb_rate(struct pi_nl *nl, struct root_q *r, const char *ifname)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = pi_nl_query_begin(buf, sizeof(buf), RTM_GETTCLASS, NLM_F_DUMP);
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	struct htb_class h = { .r = r };
	char desc[64];
	int err;

	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = r->ifindex; /* class dumps are per device */
	snprintf(desc, sizeof(desc), "qdisc_get dev %s classes", ifname);
	err = pi_nl_query(nl, nlh, desc, htb_class_cb, &h);
	if (err)
		return err;
	if (h.has_dflt)
		r->imp.rate_bps = h.dflt * 8;
	else if (h.ntop == 1)
		r->imp.rate_bps = h.top * 8;
	return 0;
}

int pi_nl_qdisc_get(struct pi_nl *nl, const char *ifname, struct pi_impair *out, char kind[16])
{
	struct root_q r = { 0 };
	uint8_t buf[256];
	char desc[64];
	int err, tries = 0;

	memset(out, 0, sizeof(*out));
	kind[0] = '\0';
	if (!pi_nl_ifname_valid(ifname))
		return pi_nl_fail(nl, -EINVAL, "qdisc_get: bad interface name");
	r.ifindex = pi_nl_ifindex(nl, ifname);
	if (r.ifindex < 0)
		return r.ifindex;
	snprintf(desc, sizeof(desc), "qdisc_get dev %s", ifname);
	do {
		struct nlmsghdr *nlh = pi_nl_query_begin(buf, sizeof(buf), RTM_GETQDISC, NLM_F_DUMP);
		struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
		int idx = r.ifindex;
		tcm->tcm_family = AF_UNSPEC;
		tcm->tcm_ifindex = idx;
		r = (struct root_q){ .ifindex = idx };
		err = pi_nl_query(nl, nlh, desc, root_q_cb, &r);
	} while (err == -EAGAIN && ++tries < 5);
	if (!err && r.err)
		err = pi_nl_fail(nl, r.err, "%s: malformed qdisc reply", desc);
	if (!err && !strcmp(r.kind, "htb"))
		err = htb_rate(nl, &r, ifname);
	if (err)
		return err;
	*out = r.imp;
	snprintf(kind, 16, "%s", r.kind);
	return 0;
}
