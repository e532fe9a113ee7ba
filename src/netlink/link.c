/*
 * netlink links: veth pairs born straight into their namespaces, bridges,
 * link settings, moves between namespaces, lookups and teardown by prefix.
 */
#include <errno.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "nl_int.h"
#include "pocketinternet/util.h"

bool pi_nl_ifname_valid(const char *name)
{
	size_t n;

	if (!name)
		return false;
	n = strlen(name);
	if (n == 0 || n > PI_NL_IFNAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	/* What the kernel's dev_valid_name() refuses, plus '%', which would
	 * make the name a pattern ("eth%d") when a link changes netns. */
	for (const char *p = name; *p; p++) {
		if (*p == '/' || *p == ':' || *p == '%' || *p == ' ' || (*p >= '\t' && *p <= '\r'))
			return false;
	}
	return true;
}

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	return ifi;
}

/* ---- parsing RTM_NEWLINK replies ---- */

static int linkinfo_cb(const struct nlattr *a, void *data)
{
	struct pi_nl_link *l = data;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND && mnl_attr_validate(a, MNL_TYPE_STRING) == 0) {
		size_t n = mnl_attr_get_payload_len(a);
		const char *s = mnl_attr_get_payload(a);
		while (n && s[n - 1] == '\0')
			n--;
		if (n >= sizeof(l->kind))
			n = sizeof(l->kind) - 1;
		memcpy(l->kind, s, n);
		l->kind[n] = '\0';
	}
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *a, void *data)
{
	struct pi_nl_link *l = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(a));
		break;
	case IFLA_MTU:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			l->mtu = mnl_attr_get_u32(a);
		break;
	case IFLA_ADDRESS:
		if (mnl_attr_get_payload_len(a) == 6)
			memcpy(l->mac, mnl_attr_get_payload(a), 6);
		break;
	case IFLA_MASTER:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			l->master = (int)mnl_attr_get_u32(a);
		break;
	case IFLA_LINK:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			l->link = (int)mnl_attr_get_u32(a);
		break;
	case IFLA_OPERSTATE:
		if (mnl_attr_validate(a, MNL_TYPE_U8) == 0)
			l->operstate = mnl_attr_get_u8(a);
		break;
	case IFLA_CARRIER:
		if (mnl_attr_validate(a, MNL_TYPE_U8) == 0)
			l->carrier = mnl_attr_get_u8(a) != 0;
		break;
	case IFLA_LINK_NETNSID:
		l->link_other_netns = true;
		break;
	case IFLA_LINKINFO:
		mnl_attr_parse_nested(a, linkinfo_cb, l);
		break;
	}
	return MNL_CB_OK;
}

static int link_parse(const struct nlmsghdr *nlh, struct pi_nl_link *l)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return -EPROTO;
	memset(l, 0, sizeof(*l));
	l->index = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, l);
	return 0;
}

static int link_one_cb(const struct nlmsghdr *nlh, void *data)
{
	return link_parse(nlh, data);
}

int pi_nl_link_get(struct pi_nl *nl, const char *name, struct pi_nl_link *out)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh;
	char desc[64];

	if (!pi_nl_ifname_valid(name))
		return pi_nl_fail(nl, -EINVAL, "link_get: bad interface name");
	nlh = pi_nl_query_begin(buf, sizeof(buf), RTM_GETLINK, 0);
	put_ifinfo(nlh);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	/* Statistics and VF details are of no use here. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	snprintf(desc, sizeof(desc), "link_get %s", name);
	return pi_nl_query(nl, nlh, desc, link_one_cb, out);
}

int pi_nl_link_oper(struct pi_nl *nl, const char *ifname, bool *admin_up, bool *carrier)
{
	struct pi_nl_link l;
	int err = pi_nl_link_get(nl, ifname, &l);

	if (err)
		return err;
	if (admin_up)
		*admin_up = (l.flags & IFF_UP) != 0;
	/* IFF_LOWER_UP is the kernel's netif_carrier_ok(), as `ip link`
	 * shows it; IFLA_CARRIER says the same but only when the flag
	 * word was not truncated by an old kernel. */
	if (carrier)
		*carrier = (l.flags & IFF_LOWER_UP) != 0;
	return 0;
}

int pi_nl_ifindex(struct pi_nl *nl, const char *name)
{
	struct pi_nl_link l;
	int err = pi_nl_link_get(nl, name, &l);

	return err ? err : l.index;
}

struct link_list {
	const char *prefix;
	size_t plen;
	struct pi_vec v;
};

static int link_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_list *ll = data;
	struct pi_nl_link l;
	int err = link_parse(nlh, &l);

	if (err)
		return err;
	if (strncmp(l.name, ll->prefix, ll->plen) == 0)
		*(struct pi_nl_link *)pi_vec_push(&ll->v) = l;
	return 0;
}

int pi_nl_links_with_prefix(struct pi_nl *nl, const char *prefix, struct pi_nl_link **out, size_t *n)
{
	uint8_t buf[256];
	struct link_list ll;
	int err, tries = 0;

	*out = NULL;
	*n = 0;
	if (!prefix)
		prefix = "";
	do {
		struct nlmsghdr *nlh = pi_nl_query_begin(buf, sizeof(buf), RTM_GETLINK, NLM_F_DUMP);
		put_ifinfo(nlh);
		mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
		ll = (struct link_list){ prefix, strlen(prefix), PI_VEC_INIT(struct pi_nl_link) };
		err = pi_nl_query(nl, nlh, "link_list", link_list_cb, &ll);
		if (err)
			pi_vec_free(&ll.v);
	} while (err == -EAGAIN && ++tries < 5);
	if (err)
		return err;
	*out = ll.v.data;
	*n = ll.v.len;
	return 0;
}

/* ---- creating ---- */

/* One end of a veth pair: both ends take the same attributes. */
static void put_veth_end(struct nlmsghdr *nlh, const char *name, uint32_t mtu, const uint8_t *mac, int ns_fd)
{
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	if (ns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)ns_fd);
}

int pi_nl_veth_create(struct pi_nl *nl, const struct pi_nl_veth *v)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nlattr *info, *data, *peer;

	if (!pi_nl_ifname_valid(v->name) || !pi_nl_ifname_valid(v->peer))
		return pi_nl_fail(nl, -EINVAL, "veth_create %s/%s: bad interface name", v->name ? v->name : "(null)",
				  v->peer ? v->peer : "(null)");
	nlh = pi_nl_msg_begin(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifi = put_ifinfo(nlh);
	if (v->up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	put_veth_end(nlh, v->name, v->mtu, v->mac, v->ns_fd);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* The peer is a nested link request: its own ifinfomsg, then its
	 * attributes, including the netns it is born in. */
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* No IFF_UP here: the kernel configures the peer before the pair is
	 * joined, and opening a lone veth fails with ENOTCONN. */
	put_ifinfo(nlh);
	put_veth_end(nlh, v->peer, v->mtu, v->peer_mac, v->peer_ns_fd);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return pi_nl_msg_end(nl, nlh, 0, "veth_create %s/%s", v->name, v->peer);
}

int pi_nl_bridge_create(struct pi_nl *nl, const char *name, unsigned mtu)
{
	struct nlmsghdr *nlh;
	struct nlattr *info, *data;

	if (!pi_nl_ifname_valid(name))
		return pi_nl_fail(nl, -EINVAL, "bridge_create: bad interface name");
	nlh = pi_nl_msg_begin(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	put_ifinfo(nlh);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* Without a querier, snooping can starve ND/RA multicast on a lab
	 * LAN; a lab bridge should behave like a plain switch. */
	mnl_attr_put_u8(nlh, IFLA_BR_MCAST_SNOOPING, 0);
	mnl_attr_put_u32(nlh, IFLA_BR_STP_STATE, 0);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return pi_nl_msg_end(nl, nlh, 0, "bridge_create %s", name);
}

/* ---- changing ---- */

/* A RTM_SETLINK addressing the link by name (the kernel looks it up), so
 * it can follow the link's creation in the same batch. */
static struct nlmsghdr *setlink_by_name(struct pi_nl *nl, const char *name, struct ifinfomsg **ifi)
{
	struct nlmsghdr *nlh = pi_nl_msg_begin(nl, RTM_SETLINK, 0);

	*ifi = put_ifinfo(nlh);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

/* RTM_SETLINK giving newname in IFLA_IFNAME: the link itself must then go
 * by index. Returns the index, or -errno. */
static int setlink_renaming(struct pi_nl *nl, const char *name, const char *newname, struct nlmsghdr **out)
{
	int idx = pi_nl_ifindex(nl, name);
	if (idx < 0)
		return idx;
	*out = pi_nl_msg_begin(nl, RTM_SETLINK, 0);
	put_ifinfo(*out)->ifi_index = idx;
	mnl_attr_put_strz(*out, IFLA_IFNAME, newname);
	return idx;
}

static int set_flag(struct pi_nl *nl, const char *name, bool up)
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;

	if (!pi_nl_ifname_valid(name))
		return pi_nl_fail(nl, -EINVAL, "link_set_%s: bad interface name", up ? "up" : "down");
	nlh = setlink_by_name(nl, name, &ifi);
	ifi->ifi_flags = up ? IFF_UP : 0;
	ifi->ifi_change = IFF_UP;
	return pi_nl_msg_end(nl, nlh, 0, "link_set_%s %s", up ? "up" : "down", name);
}

int pi_nl_link_set_up(struct pi_nl *nl, const char *name)
{
	return set_flag(nl, name, true);
}

int pi_nl_link_set_down(struct pi_nl *nl, const char *name)
{
	return set_flag(nl, name, false);
}

int pi_nl_link_set_mtu(struct pi_nl *nl, const char *name, unsigned mtu)
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;

	if (!pi_nl_ifname_valid(name) || mtu == 0)
		return pi_nl_fail(nl, -EINVAL, "link_set_mtu: bad interface name or mtu");
	nlh = setlink_by_name(nl, name, &ifi);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return pi_nl_msg_end(nl, nlh, 0, "link_set_mtu %s %u", name, mtu);
}

int pi_nl_link_set_mac(struct pi_nl *nl, const char *name, const uint8_t mac[6])
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;

	if (!pi_nl_ifname_valid(name) || !mac)
		return pi_nl_fail(nl, -EINVAL, "link_set_mac: bad interface name or mac");
	nlh = setlink_by_name(nl, name, &ifi);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	return pi_nl_msg_end(nl, nlh, 0, "link_set_mac %s", name);
}

int pi_nl_link_set_master(struct pi_nl *nl, const char *name, const char *master)
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	int midx = 0;

	if (!pi_nl_ifname_valid(name) || (master && !pi_nl_ifname_valid(master)))
		return pi_nl_fail(nl, -EINVAL, "link_set_master: bad interface name");
	if (master) {
		midx = pi_nl_ifindex(nl, master);
		if (midx < 0)
			return midx;
	}
	nlh = setlink_by_name(nl, name, &ifi);
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)midx);
	return pi_nl_msg_end(nl, nlh, 0, "link_set_master %s %s", name, master ? master : "(none)");
}

int pi_nl_link_rename(struct pi_nl *nl, const char *name, const char *newname)
{
	struct nlmsghdr *nlh;
	int idx;

	if (!pi_nl_ifname_valid(name) || !pi_nl_ifname_valid(newname))
		return pi_nl_fail(nl, -EINVAL, "link_rename: bad interface name");
	if ((idx = setlink_renaming(nl, name, newname, &nlh)) < 0)
		return idx;
	return pi_nl_msg_end(nl, nlh, 0, "link_rename %s %s", name, newname);
}

int pi_nl_link_move(struct pi_nl *nl, const char *name, int ns_fd, const char *newname)
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;

	if (!pi_nl_ifname_valid(name) || (newname && !pi_nl_ifname_valid(newname)))
		return pi_nl_fail(nl, -EINVAL, "link_move: bad interface name");
	if (ns_fd < 0)
		return pi_nl_fail(nl, -EBADF, "link_move %s: bad netns fd", name);
	if (newname) {
		/* The kernel names the moved link after IFLA_IFNAME. */
		int idx = setlink_renaming(nl, name, newname, &nlh);
		if (idx < 0)
			return idx;
	} else {
		nlh = setlink_by_name(nl, name, &ifi);
	}
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)ns_fd);
	return pi_nl_msg_end(nl, nlh, 0, "link_move %s%s%s", name, newname ? " as " : "", newname ? newname : "");
}

int pi_nl_link_delete(struct pi_nl *nl, const char *name)
{
	struct nlmsghdr *nlh;

	if (!pi_nl_ifname_valid(name))
		return pi_nl_fail(nl, -EINVAL, "link_delete: bad interface name");
	nlh = pi_nl_msg_begin(nl, RTM_DELLINK, 0);
	put_ifinfo(nlh);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return pi_nl_msg_end(nl, nlh, 0, "link_delete %s", name);
}

int pi_nl_links_delete_prefix(struct pi_nl *nl, const char *prefix)
{
	struct pi_nl_link *links = NULL;
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	uint32_t group = 0;
	size_t n = 0, found = 0;
	int err;

	if (!prefix || !*prefix)
		return pi_nl_fail(nl, -EINVAL, "links_delete_prefix: empty prefix");
	if (nl->batching)
		return pi_nl_fail(nl, -EBUSY, "links_delete_prefix %s: a batch is open", prefix);
	err = pi_nl_links_with_prefix(nl, prefix, &links, &n);
	if (err || n == 0)
		goto out;
	/* Deleting links one by one costs the kernel an RCU grace period
	 * each (~20 ms: minutes for a big lab). Instead the links join a
	 * fresh link group and go in one RTM_DELLINK by group, which the
	 * kernel unregisters together. A random group keeps concurrent
	 * teardowns in the same netns apart. */
	while (group == 0 || group == UINT32_MAX)
		if (getrandom(&group, sizeof(group), 0) != sizeof(group))
			group = (uint32_t)getpid() << 12 ^ (uint32_t)n;
	pi_nl_batch_begin(nl);
	for (size_t i = 0; i < n; i++) {
		/* No kind: not a virtual link (lo, a NIC); it cannot be
		 * deleted and would make the group deletion fail. */
		if (!links[i].kind[0])
			continue;
		found++;
		nlh = setlink_by_name(nl, links[i].name, &ifi);
		mnl_attr_put_u32(nlh, IFLA_GROUP, group);
		/* A veth end may vanish with its peer in the meantime. */
		pi_nl_msg_end(nl, nlh, PI_NL_OP_IGNORE_ENODEV, "link_set_group %s", links[i].name);
	}
	nlh = pi_nl_msg_begin(nl, RTM_DELLINK, 0);
	put_ifinfo(nlh);
	mnl_attr_put_u32(nlh, IFLA_GROUP, group);
	/* ENODEV: every one vanished before joining the group. */
	pi_nl_msg_end(nl, nlh, found ? 0 : PI_NL_OP_IGNORE_ENODEV, "link_delete group of %zu links with prefix %s", n, prefix);
	err = pi_nl_batch_end(nl);
out:
	free(links);
	return err ? err : (int)found;
}
