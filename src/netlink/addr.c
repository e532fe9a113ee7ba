/*
 * netlink addresses and routes: interface addresses (IPv6 without DAD so
 * they work at once), loopback addresses, static, default and blackhole
 * routes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "nl_int.h"

static int af_of(const struct pi_prefix *p)
{
	if (p->family == PI_AF_V4)
		return AF_INET;
	if (p->family == PI_AF_V6)
		return AF_INET6;
	return -1;
}

static unsigned alen_of(const struct pi_prefix *p)
{
	return p->family == PI_AF_V4 ? 4 : 16;
}

static bool prefix_ok(const struct pi_prefix *p)
{
	return p && af_of(p) >= 0 && p->len <= pi_prefix_maxlen(p);
}

/* "10.0.0.1/31" for error reports, without depending on the formatter. */
static void fmt_prefix(const struct pi_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (prefix_ok(p))
		inet_ntop(af_of(p), p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p ? p->len : 0);
}

static int addr_req(struct pi_nl *nl, uint16_t type, const char *ifname, const struct pi_prefix *addr)
{
	const char *verb = type == RTM_NEWADDR ? "addr_add" : "addr_del";
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;
	char txt[PI_PREFIX_STRLEN];
	uint32_t flags = 0;
	int idx;

	fmt_prefix(addr, txt, sizeof(txt));
	if (!pi_nl_ifname_valid(ifname) || !prefix_ok(addr))
		return pi_nl_fail(nl, -EINVAL, "%s %s: bad interface name or address", verb, txt);
	/* RTM_NEWADDR has no by-name lookup in the kernel. */
	idx = pi_nl_ifindex(nl, ifname);
	if (idx < 0)
		return idx;
	nlh = pi_nl_msg_begin(nl, type, type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)af_of(addr);
	ifa->ifa_prefixlen = addr->len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)idx;
	if (addr->family == PI_AF_V6) {
		/* Duplicate detection would keep the address tentative (and
		 * unusable as a source) for a second or more; the plan already
		 * guarantees uniqueness. */
		flags |= IFA_F_NODAD;
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, flags);
	}
	mnl_attr_put(nlh, IFA_LOCAL, alen_of(addr), addr->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen_of(addr), addr->addr);
	return pi_nl_msg_end(nl, nlh, 0, "%s %s dev %s", verb, txt, ifname);
}

int pi_nl_addr_add(struct pi_nl *nl, const char *ifname, const struct pi_prefix *addr)
{
	return addr_req(nl, RTM_NEWADDR, ifname, addr);
}

int pi_nl_addr_del(struct pi_nl *nl, const char *ifname, const struct pi_prefix *addr)
{
	return addr_req(nl, RTM_DELADDR, ifname, addr);
}

int pi_nl_loopback_addr_add(struct pi_nl *nl, const struct pi_prefix *addr)
{
	int err = pi_nl_link_set_up(nl, "lo");

	return err ? err : pi_nl_addr_add(nl, "lo", addr);
}

static int route_req(struct pi_nl *nl, uint16_t type, const struct pi_nl_route *r)
{
	const char *verb = type == RTM_NEWROUTE ? "route_add" : "route_del";
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	char dst[PI_PREFIX_STRLEN], gw[PI_PREFIX_STRLEN] = "";
	bool unicast = r->type == PI_NL_ROUTE_UNICAST;
	int oif = 0;

	fmt_prefix(&r->dst, dst, sizeof(dst));
	if (!prefix_ok(&r->dst) || (r->dev && !pi_nl_ifname_valid(r->dev)) ||
	    (r->gw.family && (r->gw.family != r->dst.family || !prefix_ok(&r->gw))) ||
	    (r->src.family && (r->src.family != r->dst.family || !prefix_ok(&r->src))) ||
	    r->type > PI_NL_ROUTE_UNREACHABLE)
		return pi_nl_fail(nl, -EINVAL, "%s %s: bad destination, gateway, source or device", verb, dst);
	if (r->gw.family)
		inet_ntop(af_of(&r->gw), r->gw.addr, gw, sizeof(gw));
	if (unicast && type == RTM_NEWROUTE && !r->gw.family && !r->dev)
		return pi_nl_fail(nl, -EINVAL, "%s %s: a unicast route needs a gateway or a device", verb, dst);
	if (!unicast && (r->gw.family || r->dev))
		return pi_nl_fail(nl, -EINVAL, "%s %s: a blackhole/unreachable route takes no gateway or device",
				  verb, dst);
	if (r->dev) {
		oif = pi_nl_ifindex(nl, r->dev);
		if (oif < 0)
			return oif;
	}
	nlh = pi_nl_msg_begin(nl, type, type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)af_of(&r->dst);
	rtm->rtm_dst_len = r->dst.len;
	rtm->rtm_table = r->table && r->table < 256 ? (uint8_t)r->table : RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	/* Like iproute2: a route with neither gateway nor a non-unicast type
	 * is on-link (scope link); everything else is universe. */
	rtm->rtm_scope = unicast && !r->gw.family ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	if (type == RTM_DELROUTE) {
		/* Match the route whoever added it (kernel, BIRD, us). */
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
		rtm->rtm_protocol = RTPROT_UNSPEC;
	}
	rtm->rtm_type = r->type == PI_NL_ROUTE_BLACKHOLE ? RTN_BLACKHOLE
		: r->type == PI_NL_ROUTE_UNREACHABLE ? RTN_UNREACHABLE : RTN_UNICAST;
	if (r->table >= 256)
		mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->dst.len)
		mnl_attr_put(nlh, RTA_DST, alen_of(&r->dst), r->dst.addr);
	if (r->gw.family)
		mnl_attr_put(nlh, RTA_GATEWAY, alen_of(&r->gw), r->gw.addr);
	if (r->src.family)
		mnl_attr_put(nlh, RTA_PREFSRC, alen_of(&r->src), r->src.addr);
	if (oif)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	if (r->metric)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
	return pi_nl_msg_end(nl, nlh, 0, "%s %s%s%s%s%s%s", verb, dst, r->type == PI_NL_ROUTE_BLACKHOLE ? " blackhole"
			     : r->type == PI_NL_ROUTE_UNREACHABLE ? " unreachable" : "",
			     *gw ? " via " : "", gw, r->dev ? " dev " : "", r->dev ? r->dev : "");
}

int pi_nl_route_add(struct pi_nl *nl, const struct pi_nl_route *r)
{
	return route_req(nl, RTM_NEWROUTE, r);
}

int pi_nl_route_del(struct pi_nl *nl, const struct pi_nl_route *r)
{
	return route_req(nl, RTM_DELROUTE, r);
}
