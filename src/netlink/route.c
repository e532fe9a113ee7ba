/*
 * netlink route dump: every prefix the host already uses, so
 * configure-docker can keep Docker's networks out of them. Routes of every
 * table (main, local, policy tables, VPNs) for IPv4 and IPv6, plus the
 * prefixes of the interface addresses (an address can exist without its
 * connected route, e.g. with noprefixroute). Default routes are skipped:
 * they cover everything, so they are no clash.
 */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nl_int.h"
#include "pocketinternet/util.h"

struct dump {
	struct pi_vec *out;
	const struct pi_nl_link *links;
	size_t n_links;
};

static void dev_name(const struct dump *d, uint32_t index, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < d->n_links; i++)
		if (d->links[i].index == (int)index)
			snprintf(buf, len, "%s", d->links[i].name);
}

/* Appends addr/len (host bits cleared) unless the same prefix on the same
 * device, from the same source, is already there: the local table repeats
 * many. */
static void add(struct dump *d, int af, const void *addr, unsigned len, uint32_t oif, unsigned table,
		bool from_addr)
{
	struct pi_nl_route_prefix r = { .table = table, .addr = from_addr };

	r.prefix.family = af == AF_INET ? PI_AF_V4 : PI_AF_V6;
	r.prefix.len = (uint8_t)len;
	memcpy(r.prefix.addr, addr, af == AF_INET ? 4 : 16);
	r.prefix = pi_prefix_network(&r.prefix);
	if (oif)
		dev_name(d, oif, r.dev, sizeof(r.dev));
	for (size_t i = 0; i < d->out->len; i++) {
		struct pi_nl_route_prefix *o = pi_vec_at(d->out, i);
		if (pi_prefix_equal(&o->prefix, &r.prefix) && strcmp(o->dev, r.dev) == 0 && o->addr == r.addr)
			return;
	}
	*(struct pi_nl_route_prefix *)pi_vec_push(d->out) = r;
}

struct rt_attrs {
	const void *dst;
	uint32_t oif, table;
};

static int rt_attr_cb(const struct nlattr *a, void *data)
{
	struct rt_attrs *ra = data;

	switch (mnl_attr_get_type(a)) {
	case RTA_DST:
		ra->dst = mnl_attr_get_payload(a);
		break;
	case RTA_OIF:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			ra->oif = mnl_attr_get_u32(a);
		break;
	case RTA_TABLE:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			ra->table = mnl_attr_get_u32(a);
		break;
	}
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct rt_attrs ra = { NULL, 0, 0 };

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return 0;
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return 0;
	/* Broadcast and multicast entries lie inside a subnet route (or in
	 * ff00::/8) and would only repeat it. */
	if (rtm->rtm_dst_len == 0 || rtm->rtm_type == RTN_BROADCAST || rtm->rtm_type == RTN_MULTICAST)
		return 0;
	ra.table = rtm->rtm_table;
	mnl_attr_parse(nlh, sizeof(*rtm), rt_attr_cb, &ra);
	if (!ra.dst)
		return 0;
	add(data, rtm->rtm_family, ra.dst, rtm->rtm_dst_len, ra.oif, ra.table, false);
	return 0;
}

struct ifa_attrs {
	const void *local, *address;
};

static int ifa_attr_cb(const struct nlattr *a, void *data)
{
	struct ifa_attrs *ia = data;

	if (mnl_attr_get_type(a) == IFA_LOCAL)
		ia->local = mnl_attr_get_payload(a);
	else if (mnl_attr_get_type(a) == IFA_ADDRESS)
		ia->address = mnl_attr_get_payload(a);
	return MNL_CB_OK;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct ifa_attrs ia = { NULL, NULL };

	if (nlh->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return 0;
	if ((ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) || ifa->ifa_prefixlen == 0)
		return 0;
	mnl_attr_parse(nlh, sizeof(*ifa), ifa_attr_cb, &ia);
	/* On a point-to-point link IFA_ADDRESS is the peer: both count. */
	if (ia.local)
		add(data, ifa->ifa_family, ia.local, ifa->ifa_prefixlen, ifa->ifa_index, 0, true);
	if (ia.address)
		add(data, ifa->ifa_family, ia.address, ifa->ifa_prefixlen, ifa->ifa_index, 0, true);
	return 0;
}

/* One dump, retried when it raced with a change (-EAGAIN). */
static int dump_one(struct pi_nl *nl, struct dump *d, uint16_t type, int af)
{
	uint8_t buf[256];
	size_t before = d->out->len;
	int err, tries = 0;

	do {
		struct nlmsghdr *nlh = pi_nl_query_begin(buf, sizeof(buf), type, NLM_F_DUMP);
		d->out->len = before;
		if (type == RTM_GETROUTE) {
			/* No table given: the kernel dumps every table. */
			struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
			rtm->rtm_family = (uint8_t)af;
			err = pi_nl_query(nl, nlh, af == AF_INET ? "route_dump inet" : "route_dump inet6", route_cb, d);
		} else {
			struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
			ifa->ifa_family = (uint8_t)af;
			err = pi_nl_query(nl, nlh, af == AF_INET ? "addr_dump inet" : "addr_dump inet6", addr_cb, d);
		}
	} while (err == -EAGAIN && ++tries < 5);
	return err;
}

int pi_nl_route_prefixes(struct pi_nl *nl, struct pi_vec *out)
{
	static const struct {
		uint16_t type;
		int af;
	} dumps[] = { { RTM_GETROUTE, AF_INET }, { RTM_GETROUTE, AF_INET6 },
		      { RTM_GETADDR, AF_INET }, { RTM_GETADDR, AF_INET6 } };
	struct pi_nl_link *links = NULL;
	size_t n_links = 0;
	int err = pi_nl_links_with_prefix(nl, "", &links, &n_links);

	if (err)
		return err;
	struct dump d = { out, links, n_links };
	for (size_t i = 0; i < PI_ARRAY_LEN(dumps) && !err; i++)
		err = dump_one(nl, &d, dumps[i].type, dumps[i].af);
	free(links);
	return err;
}
