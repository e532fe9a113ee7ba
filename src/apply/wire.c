/*
 * wire: the lab netns and its bridges; veths, each end created from the host
 * directly in its netns (p2p links between two nodes, LAN ports between a
 * node and the lab netns); then addresses and routes per node, one netlink
 * batch each. Acts on the subset setup_int.h describes, so `node start` and
 * reconcile rewire only what they bring up. Addresses and routes are set
 * with NLM_F_REPLACE, so setting them again is harmless.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "setup_int.h"
#include "pocketinternet/netlink.h"

/* Is node k running (its netns open)? */
static bool up(const struct setup *s, uint32_t k)
{
	return (s->rt[k].pid > 0 || setup_netns(s->plan, k)) && s->rt[k].nsfd >= 0;
}

/* Is iface f (re)wired in this run? Its node must run, and be wanted or the
 * iface asked for; a p2p link also needs its other end running, and is
 * remade when either end is wanted or asked for. */
bool pi_setup_iface_wired(const struct setup *s, uint32_t f)
{
	const struct pi_plan *p = s->plan;
	const struct pi_plan_iface *x = &p->ifaces[f];
	const struct pi_plan_link *lk = &p->links[x->link];
	if (!up(s, x->node))
		return false;
	if (lk->kind == PI_LINK_LAN)
		return setup_wants(s, x->node) || (s->iface_want && s->iface_want[f]);
	if (lk->n_ifaces != 2)
		return false;
	uint32_t fa = lk->ifaces[0], fb = lk->ifaces[1];
	uint32_t a = p->ifaces[fa].node, b = p->ifaces[fb].node;
	bool asked = s->iface_want && (s->iface_want[fa] || s->iface_want[fb]);
	return up(s, a) && up(s, b) && (asked || setup_wants(s, a) || setup_wants(s, b));
}

void pi_apply_port_name(const struct pi_plan *p, uint32_t iface, char buf[PI_IFNAMSIZ])
{
	const struct pi_plan_iface *f = &p->ifaces[iface];
	pi_apply_port_name_of(p->nodes[f->node].name, f->name, buf);
}

void pi_apply_port_name_of(const char *node, const char *iface, char buf[PI_IFNAMSIZ])
{
	/* Keyed by names, not indexes, so it survives reconcile: 'p' + 12 hex. */
	char key[256];
	int n = snprintf(key, sizeof(key), "%s/%s", node, iface);
	uint64_t h = pi_hash64(key, (size_t)n, 0x706f7274);
	snprintf(buf, PI_IFNAMSIZ, "p%012llx", (unsigned long long)(h & 0xffffffffffffull));
}

static void queue_p2p(struct setup *s, struct pi_nl *host, const struct pi_plan_link *lk)
{
	const struct pi_plan *p = s->plan;
	const struct pi_plan_iface *a = &p->ifaces[lk->ifaces[0]], *b = &p->ifaces[lk->ifaces[1]];
	struct pi_nl_veth v = {
		.name = a->name, .peer = b->name,
		.ns_fd = s->rt[a->node].nsfd, .peer_ns_fd = s->rt[b->node].nsfd,
		.mtu = lk->mtu, .mac = a->mac, .peer_mac = b->mac, .up = true,
	};
	pi_nl_veth_create(host, &v);
}

/* Every veth this run makes, in one batch on the host. */
static size_t queue_veths(struct setup *s, struct pi_nl *host, int lab_fd)
{
	const struct pi_plan *p = s->plan;
	size_t total = 0;
	for (uint32_t l = 0; l < p->n_links; l++) {
		const struct pi_plan_link *lk = &p->links[l];
		if (lk->kind == PI_LINK_P2P) {
			if (lk->n_ifaces == 2 && pi_setup_iface_wired(s, lk->ifaces[0])) {
				queue_p2p(s, host, lk);
				total++;
			}
			continue;
		}
		for (uint32_t k = 0; k < lk->n_ifaces; k++) {
			uint32_t f = lk->ifaces[k];
			if (!pi_setup_iface_wired(s, f))
				continue;
			const struct pi_plan_iface *a = &p->ifaces[f];
			char port[PI_IFNAMSIZ];
			pi_apply_port_name(p, f, port);
			struct pi_nl_veth v = {
				.name = a->name, .peer = port, .ns_fd = s->rt[a->node].nsfd, .peer_ns_fd = lab_fd,
				.mtu = lk->mtu, .mac = a->mac, .up = true,
			};
			pi_nl_veth_create(host, &v);
			total++;
		}
	}
	return total;
}

/* Does LAN l need its bridge in this run? */
static bool lan_wanted(const struct setup *s, uint32_t l)
{
	const struct pi_plan_link *lk = &s->plan->links[l];
	for (uint32_t k = 0; k < lk->n_ifaces; k++)
		if (pi_setup_iface_wired(s, lk->ifaces[k]))
			return true;
	return s->fresh;
}

/* Bridges (attach false; only missing ones unless fresh) or the ports made
 * in this run (attach true), in the lab netns. */
static void queue_lans(struct setup *s, struct pi_nl *lab, bool attach)
{
	const struct pi_plan *p = s->plan;
	for (uint32_t l = 0; l < p->n_links; l++) {
		const struct pi_plan_link *lk = &p->links[l];
		if (lk->kind != PI_LINK_LAN || !lan_wanted(s, l))
			continue;
		if (!attach) {
			struct pi_nl_link have;
			if (!s->fresh && pi_nl_link_get(lab, lk->name, &have) == 0)
				continue;
			pi_nl_bridge_create(lab, lk->name, lk->mtu);
			pi_nl_link_set_up(lab, lk->name);
			continue;
		}
		for (uint32_t k = 0; k < lk->n_ifaces; k++) {
			if (!pi_setup_iface_wired(s, lk->ifaces[k]))
				continue;
			char port[PI_IFNAMSIZ];
			pi_apply_port_name(p, lk->ifaces[k], port);
			pi_nl_link_set_master(lab, port, lk->name);
			/* A veth's peer cannot be set up at creation (ENOTCONN). */
			pi_nl_link_set_up(lab, port);
		}
	}
}

static int lab_netns_open(struct setup *s, char *ns_name, size_t len)
{
	pi_lab_netns_name(s->plan->lab_name, ns_name, len);
	if (!s->fresh)
		return 0;
	int rc = pi_nl_netns_create(ns_name);
	if (rc == -EEXIST) {
		/* Left over from a crash before containers existed: it holds only
		 * our bridges, so recreating it is safe. */
		pi_nl_netns_delete(ns_name);
		rc = pi_nl_netns_create(ns_name);
	}
	if (rc)
		pi_setup_nl_fail(s, NULL, "creating the lab's network namespace", rc);
	return rc;
}

/* Gets the lab netns's bridges to the end of the bridge step: the lab netns
 * itself in a fresh setup, the bridges missing otherwise. */
static int make_bridges(struct setup *s, struct pi_nl **lab)
{
	char ns_name[128];
	int rc = lab_netns_open(s, ns_name, sizeof(ns_name));
	if (rc)
		return rc;
	if ((rc = pi_nl_open_netns_name(ns_name, lab))) {
		pi_setup_nl_fail(s, NULL, "opening the lab's network namespace", rc);
		return rc;
	}
	pi_nl_batch_begin(*lab);
	queue_lans(s, *lab, false);
	if ((rc = pi_nl_batch_end(*lab)))
		pi_setup_nl_fail(s, *lab, "creating bridges", rc);
	return rc;
}

/* Rewiring next to running nodes: an end left in one of them by an earlier
 * life of the link (a netns that outlived its container) is removed first,
 * so the veth can be made again under its planned name. */
static void clear_stale(struct setup *s)
{
	const struct pi_plan *p = s->plan;
	for (uint32_t i = 0; !s->fresh && i < p->n_nodes; i++) {
		if (setup_wants(s, i) || !up(s, i))
			continue;
		const struct pi_plan_node *n = &p->nodes[i];
		struct pi_nl *nl = NULL;
		for (uint32_t k = 0; k < n->n_ifaces; k++) {
			uint32_t f = n->first_iface + k;
			if (p->links[p->ifaces[f].link].kind != PI_LINK_P2P || !pi_setup_iface_wired(s, f))
				continue;
			if (!nl && pi_nl_open_netns_fd(s->rt[i].nsfd, &nl))
				break;
			pi_nl_link_delete(nl, p->ifaces[f].name); /* absent: -ENODEV, fine */
		}
		pi_nl_close(nl);
	}
}

static int wire_links(struct setup *s)
{
	struct pi_nl *lab = NULL, *host = NULL;
	clear_stale(s);
	int rc = make_bridges(s, &lab);
	if (rc)
		goto out;
	if ((rc = pi_nl_open(&host))) {
		pi_setup_nl_fail(s, NULL, "opening netlink", rc);
		goto out;
	}
	pi_nl_batch_begin(host);
	size_t total = queue_veths(s, host, pi_nl_ns_fd(lab));
	pi_setup_progress(s, 0, total, "veth pairs");
	if ((rc = pi_nl_batch_end(host))) {
		pi_setup_nl_fail(s, host, "creating veth pairs", rc);
		goto out;
	}
	s->res->links += (unsigned)total;
	pi_nl_batch_begin(lab);
	queue_lans(s, lab, true);
	if ((rc = pi_nl_batch_end(lab)))
		pi_setup_nl_fail(s, lab, "attaching LAN ports to bridges", rc);
out:
	pi_nl_close(lab);
	pi_nl_close(host);
	return rc;
}

/* Does the node learn this family dynamically (DHCP / RA)? Then the plan's
 * static address and default route for it are the DHCP server's business. */
static bool dynamic_family(const struct pi_plan *p, uint32_t node, unsigned family)
{
	const struct pi_plan_node *n = &p->nodes[node];
	for (uint32_t i = 0; i < n->n_ifaces; i++) {
		const struct pi_plan_iface *f = &p->ifaces[n->first_iface + i];
		if ((family == PI_AF_V4 && f->dhcp4) || (family == PI_AF_V6 && f->ra6))
			return true;
	}
	return false;
}

static void queue_loopbacks(struct pi_nl *nl, const struct pi_plan_node *n)
{
	const struct pi_prefix *los[] = { &n->lo4, &n->lo6, &n->anycast4, &n->anycast6 };
	bool lo_up = false;
	for (size_t k = 0; k < PI_ARRAY_LEN(los); k++) {
		if (pi_prefix_is_set(los[k])) {
			struct pi_prefix a = pi_prefix_as_host(los[k]);
			pi_nl_loopback_addr_add(nl, &a);
			lo_up = true;
		}
	}
	if (!lo_up)
		pi_nl_link_set_up(nl, "lo");
}

/* Is route r's gateway on one of the ifaces (re)wired in this run? */
static bool route_rewired(const struct setup *s, uint32_t node, const struct pi_plan_route *r)
{
	const struct pi_plan_node *n = &s->plan->nodes[node];
	for (uint32_t k = 0; k < n->n_ifaces; k++) {
		const struct pi_plan_iface *f = &s->plan->ifaces[n->first_iface + k];
		const struct pi_prefix *net = r->via.family == PI_AF_V4 ? &f->v4 : &f->v6;
		if (pi_prefix_is_set(net) && pi_setup_iface_wired(s, n->first_iface + k) && pi_prefix_contains(net, &r->via))
			return true;
	}
	return false;
}

/* A wanted node gets everything; a running neighbour only what its
 * (re)wired ifaces carry. Nothing to do: 1. */
static int queue_addresses(struct setup *s, struct pi_nl *nl, uint32_t i)
{
	const struct pi_plan *p = s->plan;
	const struct pi_plan_node *n = &p->nodes[i];
	bool all = setup_wants(s, i);
	unsigned queued = 0;
	if (all)
		queue_loopbacks(nl, n);
	for (uint32_t k = 0; k < n->n_ifaces; k++) {
		const struct pi_plan_iface *f = &p->ifaces[n->first_iface + k];
		if (!pi_setup_iface_wired(s, n->first_iface + k))
			continue;
		/* The peer end of a veth comes up only here (see wire_links). */
		pi_nl_link_set_up(nl, f->name);
		if (pi_prefix_is_set(&f->v4) && !f->dhcp4)
			pi_nl_addr_add(nl, f->name, &f->v4);
		if (pi_prefix_is_set(&f->v6) && !f->ra6)
			pi_nl_addr_add(nl, f->name, &f->v6);
		queued++;
	}
	for (uint32_t k = 0; k < n->n_routes; k++) {
		const struct pi_plan_route *r = &p->routes[n->first_route + k];
		if (r->dst.len == 0 && dynamic_family(p, i, r->dst.family))
			continue;
		if (!all && !route_rewired(s, i, r))
			continue;
		struct pi_nl_route nr = { .dst = pi_prefix_network(&r->dst), .gw = pi_prefix_as_host(&r->via) };
		pi_nl_route_add(nl, &nr);
	}
	return all || queued ? 0 : 1;
}

static int address_one(void *ctx, size_t i)
{
	struct setup *s = ctx;
	if (!up(s, (uint32_t)i))
		return 0;
	struct pi_nl *nl;
	int rc = pi_nl_open_netns_fd(s->rt[i].nsfd, &nl);
	if (rc) {
		pi_setup_nl_fail(s, NULL, s->plan->nodes[i].name, rc);
		return rc;
	}
	pi_nl_batch_begin(nl);
	bool nothing = queue_addresses(s, nl, (uint32_t)i) == 1;
	rc = pi_nl_batch_end(nl);
	if (rc && !nothing) {
		char what[160];
		snprintf(what, sizeof(what), "addresses and routes of %s", s->plan->nodes[i].name);
		pi_setup_nl_fail(s, nl, what, rc);
	}
	pi_nl_close(nl);
	return nothing ? 0 : rc;
}

int pi_setup_wire(struct setup *s)
{
	int rc = wire_links(s);
	if (!rc)
		rc = pi_setup_pool(s, PI_PHASE_WIRE, address_one);
	return rc ? rc : pi_setup_impair(s);
}
