/*
 * render/bird: one BIRD 2 configuration per router and route server.
 *
 * Inside a pod: OSPFv2 + OSPFv3 over the internal links, loopbacks as stub
 * networks, every other attached prefix as a passive (stub) interface, and
 * static routes toward the pod's servers that do not run BIRD (their
 * loopbacks, NAT pools, LANs behind them) redistributed into OSPF. iBGP
 * over loopbacks, with route reflection where the plan marks it.
 *
 * Between pods: eBGP with the Gao-Rexford policy of docs/routing-policy.md.
 * Import filters accept only the neighbour's customer cone (anything but
 * bogons and default from a provider), tag the route with a large
 * community naming where it was learned and set the local preference.
 * Export to peers, providers and route servers carries only our own
 * prefixes and customer routes; customers get everything.
 *
 * Route servers use `rs client` (no own ASN in the path, next hop kept)
 * and filter each member by its cone.
 */
#include <stdio.h>
#include <string.h>
#include "render_int.h"

#define MAX_SESS_NAME 64

struct bsess {
	const struct pi_plan_session *s;
	uint32_t remote; /* node */
	enum pi_rel rel; /* what remote is to us */
	struct pi_prefix local, neigh;
	uint32_t local_iface;
	uint32_t max_prefix;
	bool rr_client;
	char name[MAX_SESS_NAME];
};

/* The sessions of one node, seen from its side, with unique names. */
static size_t collect_sessions(const struct pi_plan *plan, uint32_t node, struct pi_vec *v)
{
	const struct pi_plan_node *me = &plan->nodes[node];
	for (uint32_t k = 0; k < me->n_session_idx; k++) {
		const struct pi_plan_session *s = &plan->sessions[me->session_idx[k]];
		struct bsess *b;
		if (s->a == node) {
			b = pi_vec_push(v);
			b->remote = s->b;
			b->rel = s->rel;
			b->local = s->a_addr;
			b->neigh = s->b_addr;
			b->local_iface = s->a_iface;
			b->max_prefix = s->a_max_prefix;
			b->rr_client = s->b_is_rr_client;
		} else if (s->b == node) {
			b = pi_vec_push(v);
			b->remote = s->a;
			b->rel = pi_rel_invert(s->rel);
			b->local = s->b_addr;
			b->neigh = s->a_addr;
			b->local_iface = s->b_iface;
			b->max_prefix = s->b_max_prefix;
			b->rr_client = false;
		} else {
			continue;
		}
		b->s = s;
		pi_router_bird.session_name(plan, me->session_idx[k], b->name, sizeof(b->name));
	}
	return v->len;
}

static void router_id(const struct pi_plan *plan, uint32_t node, char *buf)
{
	const struct pi_plan_node *n = pi_r_node(plan, node);
	if (n->lo4.family == PI_AF_V4) {
		pi_r_addr(&n->lo4, buf);
		return;
	}
	for (uint32_t i = 0; i < n->n_ifaces; i++) {
		const struct pi_plan_iface *f = pi_plan_node_iface(plan, node, i);
		if (f->v4.family == PI_AF_V4) {
			pi_r_addr(&f->v4, buf);
			return;
		}
	}
	/* IPv6-only router: any unique 32-bit number will do. */
	uint64_t h = pi_hash64(n->name, strlen(n->name), plan->seed);
	snprintf(buf, PI_PREFIX_STRLEN, "%u.%u.%u.%u", (unsigned)(h >> 24) & 255, (unsigned)(h >> 16) & 255,
		 (unsigned)(h >> 8) & 255, (unsigned)h & 255);
}

/* ---- prefix lists ---- */

/* A list of prefixes (networks). Cones can hold thousands of pods, so it
 * grows; duplicates are only looked for where they can occur. */
struct plist {
	struct pi_vec v; /* struct pi_prefix */
	bool any4, any6;  /* anycast prefix already in */
};
#define PLIST_INIT { PI_VEC_INIT(struct pi_prefix), false, false }

static void plist_add_exact(struct plist *l, const struct pi_prefix *p)
{
	if (!pi_prefix_is_set(p))
		return;
	*(struct pi_prefix *)pi_vec_push(&l->v) = pi_prefix_network(p);
}

/* Adds p unless an entry already covers it (entries are matched with +). */
static void plist_add_covering(struct plist *l, const struct pi_prefix *p)
{
	for (size_t i = 0; i < l->v.len; i++)
		if (pi_prefix_is_set(p) && pi_prefix_contains(pi_vec_at(&l->v, i), p))
			return;
	plist_add_exact(l, p);
}

/* The prefixes pod `pod`'s customer cone may announce in one family. Pods'
 * aggregates are disjoint; the anycast prefix is shared and added once. */
static void cone_add(const struct pi_plan *plan, uint32_t pod, uint8_t family, struct plist *l)
{
	const struct pi_plan_pod *p = &plan->pods[pod];
	for (uint32_t i = 0; i < p->n_cone; i++) {
		const struct pi_plan_pod *c = &plan->pods[p->cone[i]];
		plist_add_exact(l, family == PI_AF_V4 ? &c->v4 : &c->v6);
		if (c->table && !c->table->mrt) /* a generated table: its block (+ covers its prefixes) */
			plist_add_exact(l, family == PI_AF_V4 ? &c->table->block4 : &c->table->block6);
		for (uint32_t k = 0; k < c->n_extra; k++) /* an external speaker's own prefixes */
			if (c->extra[k].family == family)
				plist_add_exact(l, &c->extra[k]);
		bool *seen = family == PI_AF_V4 ? &l->any4 : &l->any6;
		if (c->anycast && !*seen) {
			plist_add_covering(l, family == PI_AF_V4 ? &plan->anycast4 : &plan->anycast6);
			*seen = true;
		}
	}
}

/* Prints "[ a+, b+ ]" (or nothing and returns false when empty). */
static bool plist_print(struct pi_buf *b, const struct plist *l, const char *suffix)
{
	char buf[PI_PREFIX_STRLEN];
	if (l->v.len == 0)
		return false;
	pi_buf_puts(b, "[ ");
	for (size_t i = 0; i < l->v.len; i++) {
		/* Long cones: a few prefixes per line. */
		if (i && i % 4 == 0)
			pi_buf_puts(b, ",\n\t\t\t\t");
		else if (i)
			pi_buf_puts(b, ", ");
		pi_buf_printf(b, "%s%s", pi_prefix_fmt(pi_vec_at(&l->v, i), buf), suffix);
	}
	pi_buf_puts(b, " ]");
	return true;
}

static void print_list_define(struct pi_buf *b, const char *name, const char *const *items, size_t n)
{
	pi_buf_printf(b, "define %s = [\n", name);
	for (size_t i = 0; i < n; i++)
		pi_buf_printf(b, "\t%s+%s\n", items[i], i + 1 < n ? "," : "");
	pi_buf_puts(b, "];\n");
}

/* ---- static routes toward servers that do not run BIRD ---- */

struct sroute {
	struct pi_prefix dst;
	char via[4 * PI_PREFIX_STRLEN]; /* "addr [via addr...]", or "\"ifname\"" for a device route */
	bool blackhole;
	const char *why; /* static text */
	const char *who; /* node name */
};

struct sroutes {
	struct sroute r[512];
	unsigned n;
};

static void sr_add(struct sroutes *s, const struct pi_prefix *dst, const char *via, bool blackhole, const char *why,
		   const char *who)
{
	if (!pi_prefix_is_set(dst) || s->n == PI_ARRAY_LEN(s->r))
		return;
	struct pi_prefix net = pi_prefix_network(dst);
	for (unsigned i = 0; i < s->n; i++) {
		struct sroute *r = &s->r[i];
		if (!pi_prefix_equal(&r->dst, &net))
			continue;
		/* The same prefix behind another server (anycast): one more
		 * next hop, so traffic is shared (ECMP). */
		if (via && !r->blackhole && !strstr(r->via, via) && strlen(r->via) + strlen(via) + 6 < sizeof(r->via))
			snprintf(r->via + strlen(r->via), sizeof(r->via) - strlen(r->via), " via %s", via);
		return;
	}
	struct sroute *r = &s->r[s->n++];
	r->dst = net;
	snprintf(r->via, sizeof(r->via), "%s", via ? via : "");
	r->blackhole = blackhole;
	r->why = why;
	r->who = who;
}

static void add_for_family(struct sroutes *s, uint8_t family, const struct pi_prefix *dst, const struct pi_prefix *via,
			   const char *why, const char *who)
{
	char vb[PI_PREFIX_STRLEN];
	if (!pi_prefix_is_set(dst) || dst->family != family || !via || via->family != family)
		return;
	sr_add(s, dst, pi_r_addr(via, vb), false, why, who);
}

static void server_routes(const struct pi_plan *plan, uint32_t node, uint8_t family, struct sroutes *s)
{
	const struct pi_plan_node *me = pi_r_node(plan, node);
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	struct pi_prefix wkp;
	pi_render_nat64_prefix(plan, me->pod, &wkp);

	/* NAT on this router itself: pools answered by the NAT, pulled here. */
	if ((me->services & PI_SVC_NAT44) && family == PI_AF_V4)
		sr_add(s, &pod->nat44_pool, NULL, true, "NAT44 public pool (translated here)", me->name);
	if (me->services & PI_SVC_NAT64) {
		if (family == PI_AF_V4)
			sr_add(s, &pod->nat64_pool, "\"nat64\"", false, "NAT64 pool (tayga here)", me->name);
		else
			sr_add(s, &wkp, "\"nat64\"", false, "NAT64 prefix (tayga here)", me->name);
	}
	if (!(me->services & PI_SVC_ROUTER))
		return;

	for (uint32_t i = 0; i < me->n_ifaces; i++) {
		const struct pi_plan_iface *mine = pi_plan_node_iface(plan, node, i);
		const struct pi_plan_link *l = &plan->links[mine->link];
		if (l->pod != me->pod && l->scope != PI_SCOPE_INTERNAL && l->scope != PI_SCOPE_SUBSCRIBER)
			continue;
		for (uint32_t j = 0; j < l->n_ifaces; j++) {
			const struct pi_plan_iface *other = &plan->ifaces[l->ifaces[j]];
			const struct pi_plan_node *sv = &plan->nodes[other->node];
			if (other->node == node || pi_router_daemon_of(plan, other->node) || sv->pod != me->pod)
				continue;
			if (sv->services & PI_SVC_CLIENT)
				continue;
			const struct pi_prefix *via = family == PI_AF_V4 ? &other->v4 : &other->v6;
			if (!pi_prefix_is_set(via) || (family == PI_AF_V4 ? other->dhcp4 : other->ra6))
				continue;
			const struct pi_prefix *lo = family == PI_AF_V4 ? &sv->lo4 : &sv->lo6;
			const struct pi_prefix *subnet = family == PI_AF_V4 ? &l->v4 : &l->v6;
			if (pi_prefix_is_set(lo) && !(pi_prefix_is_set(subnet) && pi_prefix_contains(subnet, lo))) {
				struct pi_prefix h = pi_prefix_as_host(lo);
				add_for_family(s, family, &h, via, "loopback", sv->name);
			}
			const struct pi_prefix *any = family == PI_AF_V4 ? &sv->anycast4 : &sv->anycast6;
			if (pi_prefix_is_set(any)) {
				struct pi_prefix h = pi_prefix_as_host(any);
				add_for_family(s, family, &h, via, "anycast address (local instance)", sv->name);
			}
			if (sv->services & PI_SVC_NAT44)
				add_for_family(s, family, &pod->nat44_pool, via, "NAT44 public pool", sv->name);
			if (sv->services & PI_SVC_NAT64) {
				add_for_family(s, family, &pod->nat64_pool, via, "NAT64 IPv4 pool", sv->name);
				add_for_family(s, family, &wkp, via, "NAT64 prefix", sv->name);
			}
			/* LANs hanging off the server with no router of their own. */
			for (uint32_t k = 0; k < sv->n_ifaces; k++) {
				const struct pi_plan_iface *sf = pi_plan_node_iface(plan, other->node, k);
				if (sf->link == mine->link || pi_r_link_has_router(plan, sf->link, UINT32_MAX))
					continue;
				const struct pi_plan_link *l2 = &plan->links[sf->link];
				add_for_family(s, family, family == PI_AF_V4 ? &l2->v4 : &l2->v6, via,
					       "LAN behind this server", sv->name);
			}
		}
	}
}

/* ---- sections ---- */

/* What the pod originates, for the export filters of a border router. */
static void emit_own(struct pi_buf *b, const struct pi_plan *plan, const struct pi_plan_pod *pod)
{
	struct plist own4 = PLIST_INIT, own6 = PLIST_INIT;
	plist_add_exact(&own4, &pod->v4);
	plist_add_exact(&own6, &pod->v6);
	if (pod->anycast) {
		plist_add_exact(&own4, &plan->anycast4);
		plist_add_exact(&own6, &plan->anycast6);
	}
	pi_buf_printf(b, "# What AS %u (pod %s) originates: its aggregates%s.\n", pod->asn, pod->name,
		      pod->anycast ? " and the anycast prefixes" : "");
	pi_buf_puts(b, "define OWN4 = ");
	if (!plist_print(b, &own4, ""))
		pi_buf_puts(b, "[ 0.0.0.0/32 ]");
	pi_buf_puts(b, ";\ndefine OWN6 = ");
	if (!plist_print(b, &own6, ""))
		pi_buf_puts(b, "[ ::/128 ]");
	pi_buf_puts(b, ";\n");
	pi_vec_free(&own4.v);
	pi_vec_free(&own6.v);
}

/* The tagging function and the export filters of a border router. */
static void emit_border_filters(struct pi_buf *b)
{
	pi_buf_puts(b, "\n# Tag a route with where it was learned and set its preference.\n"
		       "function learned_from(int kind; int pref)\n{\n"
		       "\tbgp_large_community.delete([(MY_AS, 1, *)]);\n"
		       "\tbgp_large_community.add((MY_AS, 1, kind));\n"
		       "\tbgp_local_pref = pref;\n}\n");
	for (int f = 4; f <= 6; f += 2) {
		pi_buf_printf(b,
			      "\n# Our own prefixes, from the static protocol origin%d (a generated table's,\n"
			      "# from table.conf, and a hijack's, from incidents.conf).\n"
			      "function own_route%d()\n{\n\treturn (source = RTS_STATIC && net ~ OWN%d) || table_own%d() || incident_own%d();\n}\n",
			      f, f, f, f, f);
		pi_buf_printf(b,
			      "\n# To customers: everything we know (and a replayed table: learned from beyond us).\n"
			      "filter export_all%d\n{\n"
			      "\tif own_route%d() || table_replay%d() then accept;\n"
			      "\tif source = RTS_BGP then accept;\n"
			      "\treject;\n}\n",
			      f, f, f);
		pi_buf_printf(b,
			      "\n# To peers, route servers and providers: only our own prefixes and our\n"
			      "# customers' routes, so that nobody transits through us for free.\n"
			      "filter export_own_and_customers%d\n{\n"
			      "\tif own_route%d() then accept;\n"
			      "\tif (MY_AS, 1, FROM_CUSTOMER) ~ bgp_large_community then accept;\n"
			      "\tif incident_leak%d() then accept;\t# a leak (incidents.conf)\n"
			      "\treject;\n}\n",
			      f, f, f);
	}
}

/* The incidents file (bird_incidents.c): after the definitions it uses, before the policy that calls it. */
static void emit_include(struct pi_buf *b, const struct pi_render_opts *o)
{
	pi_buf_printf(b,
		      "\n# Trainer incidents (docs/routing-policy.md): no-ops unless `pocketinternet\n"
		      "# incident` rewrote this file and reconfigured BIRD.\ninclude \"%s/%s\";\n",
		      o->conf_dir, pi_router_bird.incidents_file);
}

/* A border's table beyond its aggregates (bird_table.c), before the export filters that use it. */
static void emit_table_include(struct pi_buf *b, const struct pi_render_opts *o)
{
	pi_buf_printf(b, "\n# What this pod announces beyond its aggregates (docs/testing-bgp.md).\ninclude \"%s/%s\";\n",
		      o->conf_dir, PI_BIRD_TABLE_FILE);
}

static void emit_policy_defs(struct pi_buf *b, const struct pi_plan *plan, uint32_t node, bool border,
			     const struct pi_render_opts *o)
{
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);

	pi_buf_puts(b, "\n# ---- Routing policy (docs/routing-policy.md) ----\n\n");
	pi_buf_printf(b, "define MY_AS = %u;\n", pod->asn);
	pi_buf_printf(b,
		      "# Large community (MY_AS, %d, kind) tags where an eBGP route was learned.\n"
		      "define FROM_CUSTOMER = %d;\ndefine FROM_PEER = %d;\ndefine FROM_PROVIDER = %d;\n",
		      PI_LC_REL, PI_LC_FROM_CUSTOMER, PI_LC_FROM_PEER, PI_LC_FROM_PROVIDER);
	pi_buf_printf(b, "# Prefer customer routes (they pay), then peers (free), then providers (we pay).\n"
			 "define LP_CUSTOMER = %d;\ndefine LP_PEER = %d;\ndefine LP_PROVIDER = %d;\n\n",
		      PI_LP_CUSTOMER, PI_LP_PEER, PI_LP_PROVIDER);

	/* The lab's space (and the CDN prefixes) are exempt from the bogon
	 * list: the lab deliberately uses private and documentation ranges. */
	struct plist lab4 = PLIST_INIT, lab6 = PLIST_INIT;
	plist_add_exact(&lab4, &plan->v4);
	plist_add_covering(&lab4, &plan->anycast4);
	plist_add_exact(&lab6, &plan->v6);
	plist_add_covering(&lab6, &plan->anycast6);
	pi_buf_puts(b, "# The lab's own address space: never a bogon here, even where it is\n"
		       "# private or documentation space elsewhere.\n");
	pi_buf_puts(b, "define LAB_SPACE4 = ");
	if (!plist_print(b, &lab4, "+"))
		pi_buf_puts(b, "[ 0.0.0.0/32 ]");
	pi_buf_puts(b, ";\ndefine LAB_SPACE6 = ");
	if (!plist_print(b, &lab6, "+"))
		pi_buf_puts(b, "[ ::/128 ]");
	pi_buf_puts(b, ";\n");
	pi_vec_free(&lab4.v);
	pi_vec_free(&lab6.v);
	/* Bogons (util/prefix.c): checked after the lab's space, which is exempt
	 * because labs use private and documentation ranges on purpose. */
	size_t n4, n6;
	const char *const *bogons4 = pi_bogons(PI_AF_V4, &n4), *const *bogons6 = pi_bogons(PI_AF_V6, &n6);
	print_list_define(b, "BOGONS4", bogons4, n4);
	print_list_define(b, "BOGONS6", bogons6, n6);

	if (border)
		emit_own(b, plan, pod);
	emit_include(b, o);
	if (border)
		emit_table_include(b, o);
	pi_bird_emit_rpki(b, plan, node);

	pi_buf_puts(b, "\n# Sanity checks every eBGP import starts with.\n");
	for (int f = 4; f <= 6; f += 2) {
		pi_buf_printf(b,
			      "function ebgp_sane%d()\n{\n"
			      "\tif net.len = 0 then return false;\t# no default route from anyone\n"
			      "\tif net ~ LAB_SPACE%d then return true;\n"
			      "\tif net ~ BOGONS%d then return false;\n"
			      "\treturn true;\n}\n",
			      f, f, f);
	}
	if (border)
		emit_border_filters(b);
}

static void emit_ospf(struct pi_buf *b, const struct pi_plan *plan, uint32_t node, uint8_t family,
		      const struct sroutes *sr)
{
	const struct pi_plan_node *me = pi_r_node(plan, node);
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	char buf[PI_PREFIX_STRLEN];
	int f = family == PI_AF_V4 ? 4 : 6;

	pi_buf_printf(b, "\n# OSPF%s inside pod %s: internal links, loopbacks and attached LANs.\n",
		      family == PI_AF_V4 ? "v2" : "v3", pod->name);
	pi_buf_printf(b, "protocol ospf %s ospf%d {\n", family == PI_AF_V4 ? "v2" : "v3", f);
	pi_buf_printf(b, "\tipv%d {\n\t\timport all;\n", f);
	if (sr->n)
		pi_buf_printf(b, "\t\texport where proto = \"servers%d\";\t# routes toward servers, see below\n", f);
	else
		pi_buf_puts(b, "\t\texport none;\n");
	pi_buf_puts(b, "\t};\n\tarea 0 {\n");
	const struct pi_prefix *lo = family == PI_AF_V4 ? &me->lo4 : &me->lo6;
	if (pi_prefix_is_set(lo)) {
		struct pi_prefix h = pi_prefix_as_host(lo);
		pi_buf_printf(b, "\t\tstubnet %s;\t# loopback of %s\n", pi_prefix_fmt(&h, buf), me->name);
	}
	for (uint32_t i = 0; i < me->n_ifaces; i++) {
		const struct pi_plan_iface *fc = pi_plan_node_iface(plan, node, i);
		const struct pi_plan_link *l = &plan->links[fc->link];
		const struct pi_prefix *a = family == PI_AF_V4 ? &fc->v4 : &fc->v6;
		if (!pi_prefix_is_set(a))
			continue;
		bool active = l->scope == PI_SCOPE_INTERNAL && pi_r_link_has_router(plan, fc->link, node);
		if (active && l->kind == PI_LINK_P2P) {
			pi_buf_printf(b, "\t\tinterface \"%s\" {\t# %s, to %s\n\t\t\ttype ptp;\n", fc->name,
				      pi_r_net(a, buf), l->name);
			pi_buf_puts(b, "\t\t\tcost 10;\n\t\t\thello 2;\n\t\t\tdead 8;\n\t\t};\n");
		} else if (active) {
			pi_buf_printf(b, "\t\tinterface \"%s\" {\t# %s, LAN %s\n\t\t\ttype broadcast;\n", fc->name,
				      pi_r_net(a, buf), l->name);
			pi_buf_puts(b, "\t\t\tcost 10;\n\t\t\thello 2;\n\t\t\tdead 8;\n\t\t\twait 4;\n\t\t};\n");
		} else {
			static const char *const what[] = { "internal LAN", "eBGP link", "IXP LAN", "subscriber LAN",
							    "backbone LAN" };
			const char *w = l->scope <= PI_SCOPE_BACKBONE ? what[l->scope] : "link";
			pi_buf_printf(b, "\t\tinterface \"%s\" { stub yes; };\t# %s %s (passive)\n", fc->name, w,
				      pi_r_net(a, buf));
		}
	}
	pi_buf_puts(b, "\t};\n}\n");
}

static void emit_statics(struct pi_buf *b, const struct pi_plan *plan, uint32_t node, uint8_t family,
			 const struct sroutes *sr, bool border)
{
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	char buf[PI_PREFIX_STRLEN];
	int f = family == PI_AF_V4 ? 4 : 6;

	if (border) {
		const struct pi_prefix *agg = family == PI_AF_V4 ? &pod->v4 : &pod->v6;
		const struct pi_prefix *any = family == PI_AF_V4 ? &plan->anycast4 : &plan->anycast6;
		bool has_any = pod->anycast && pi_prefix_is_set(any);
		if (pi_prefix_is_set(agg) || has_any) {
			pi_buf_printf(b,
				      "\n# Origination: the aggregates AS %u announces over eBGP. Unreachable here\n"
				      "# so that unused parts of the block are dropped at the border; the more\n"
				      "# specific OSPF routes carry the traffic that has somewhere to go.\n",
				      pod->asn);
			pi_buf_printf(b, "protocol static origin%d {\n\tipv%d;\n", f, f);
			if (pi_prefix_is_set(agg))
				pi_buf_printf(b, "\troute %s unreachable;\t# pod %s\n", pi_r_net(agg, buf), pod->name);
			if (has_any)
				pi_buf_printf(b, "\troute %s unreachable;\t# anycast (CDN), served by this pod's web nodes\n",
					      pi_r_net(any, buf));
			pi_buf_puts(b, "}\n");
		}
	}
	if (sr->n) {
		pi_buf_printf(b, "\n# Routes toward servers that do not speak OSPF, redistributed into OSPF.\n");
		pi_buf_printf(b, "protocol static servers%d {\n\tipv%d;\n", f, f);
		for (unsigned i = 0; i < sr->n; i++) {
			const struct sroute *r = &sr->r[i];
			if (r->blackhole)
				pi_buf_printf(b, "\troute %s blackhole;\t# %s of %s\n", pi_prefix_fmt(&r->dst, buf), r->why,
					      r->who);
			else
				pi_buf_printf(b, "\troute %s via %s;\t# %s of %s\n", pi_prefix_fmt(&r->dst, buf), r->via,
					      r->why, r->who);
		}
		pi_buf_puts(b, "}\n");
	}
}

/* The import filter of an eBGP session, inline in its channel: only the
 * neighbour's cone (anything but bogons from a provider), then the tag of
 * where the route was learned. */
static void import_filter(struct pi_buf *flt, const struct pi_plan *plan, uint32_t node, const struct bsess *x,
			  bool legacy_open)
{
	const struct pi_plan_node *rn = &plan->nodes[x->remote];
	const struct pi_plan_pod *rpod = &plan->pods[rn->pod];
	int f = x->s->family == PI_AF_V6 ? 6 : 4;
	struct plist cone = PLIST_INIT;
	const char *kind = NULL, *lp = NULL;
	switch (x->rel) {
	case PI_REL_CUSTOMER:
		cone_add(plan, rn->pod, x->s->family, &cone);
		kind = "FROM_CUSTOMER", lp = "LP_CUSTOMER";
		break;
	case PI_REL_PEER:
		cone_add(plan, rn->pod, x->s->family, &cone);
		kind = "FROM_PEER", lp = "LP_PEER";
		break;
	case PI_REL_PROVIDER:
		kind = "FROM_PROVIDER", lp = "LP_PROVIDER";
		break;
	case PI_REL_RS: {
		/* Through the route server: any other member's cone. */
		const struct pi_plan_node *rs = &plan->nodes[x->remote];
		for (uint32_t i = 0; i < rs->n_session_idx; i++) {
			const struct pi_plan_session *s = &plan->sessions[rs->session_idx[i]];
			uint32_t member = PI_NONE;
			if (s->a == x->remote && s->rel == PI_REL_RS_CLIENT)
				member = s->b;
			else if (s->b == x->remote && s->rel == PI_REL_RS)
				member = s->a;
			if (member != PI_NONE && s->family == x->s->family && plan->nodes[member].pod != pi_r_node(plan, node)->pod)
				cone_add(plan, plan->nodes[member].pod, x->s->family, &cone);
		}
		kind = "FROM_PEER", lp = "LP_PEER";
		break;
	}
	case PI_REL_RS_CLIENT:
		cone_add(plan, rn->pod, x->s->family, &cone);
		break;
	case PI_REL_IBGP:
		break;
	}
	pi_buf_printf(flt, "\t\timport filter {\n\t\t\tif ! ebgp_sane%d() then reject;\n", f);
	if (legacy_open) {
		pi_buf_puts(flt, "\t\t\t# Original format: no business relationships, every route passes.\n");
	} else if (x->rel == PI_REL_PROVIDER) {
		pi_buf_puts(flt, "\t\t\t# A provider may send the whole table.\n");
	} else {
		pi_buf_printf(flt, "\t\t\t# Only the customer cone of %s.\n",
			      x->rel == PI_REL_RS ? "the route server's other members" : rpod->name);
		if (rpod->exercise != PI_EXERCISE_NONE)
			pi_buf_printf(flt, "\t\t\t# %s is an exercise pod%s%s: its students' mistakes stop here.\n",
				      rpod->name, rpod->team ? " of team " : "", rpod->team ? rpod->team : "");
		pi_buf_puts(flt, "\t\t\tif ! (net ~ ");
		if (plist_print(flt, &cone, "+"))
			pi_buf_printf(flt, " || incident_accept%d()) then reject;\n", f);
		else
			pi_buf_printf(flt, "[ %s ]) then reject;\t# empty cone\n\t\t\treject;\n",
				      f == 4 ? "0.0.0.0/32" : "::/128");
	}
	if (x->rel != PI_REL_RS_CLIENT)
		pi_bird_rov_filter(flt, plan, node, f);
	if (kind)
		pi_buf_printf(flt, "\t\t\tlearned_from(%s, %s);\n", kind, lp);
	pi_buf_puts(flt, "\t\t\taccept;\n\t\t};\n");
	pi_vec_free(&cone.v);
}

static void emit_session(struct pi_buf *b, const struct pi_plan *plan, uint32_t node, const struct bsess *x)
{
	const struct pi_plan_node *rn = &plan->nodes[x->remote];
	const struct pi_plan_pod *rpod = &plan->pods[rn->pod];
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	char lb[PI_PREFIX_STRLEN], nb[PI_PREFIX_STRLEN];
	int f = x->s->family == PI_AF_V6 ? 6 : 4;
	const char *via = x->local_iface != PI_NONE ? plan->ifaces[x->local_iface].name : "loopback";

	pi_buf_printf(b, "\n# %s %s: pod %s, AS %u, over %s\n", pi_r_rel_name(x->rel), rn->name, rpod->name,
		      rpod->asn, via);

	struct pi_buf flt;
	pi_buf_init(&flt);
	/* Original-format labs know no relationships: the original Pocket
	 * Internet passed every route on, so its peers are fully open. */
	bool legacy_open = plan->legacy && x->rel == PI_REL_PEER;
	if (x->rel != PI_REL_IBGP)
		import_filter(&flt, plan, node, x, legacy_open);

	pi_buf_printf(b, "protocol bgp %s from lab_bgp {\n", x->name);
	pi_buf_printf(b, "\tdescription \"%s %s (AS %u, pod %s)\";\n", pi_r_rel_name(x->rel), rn->name, rpod->asn,
		      rpod->name);
	pi_buf_printf(b, "\tlocal %s as %u;\n", pi_r_addr(&x->local, lb), pod->asn);
	pi_buf_printf(b, "\tneighbor %s as %u;\n", pi_r_addr(&x->neigh, nb), rpod->asn);
	if (x->rel == PI_REL_IBGP) {
		pi_buf_puts(b, "\tmultihop;\t# over loopbacks, reached through OSPF\n");
		if (x->rr_client)
			pi_buf_puts(b, "\trr client;\t# we reflect routes for this router\n");
	}
	if (x->rel == PI_REL_RS_CLIENT)
		pi_buf_puts(b, "\trs client;\t# transparent: no own ASN in the path, next hop kept\n");
	if (x->rel == PI_REL_RS)
		pi_buf_puts(b, "\tenforce first as off;\t# the route server's ASN is not in the path\n");
	pi_buf_printf(b, "\tipv%d {\n", f);
	if (x->max_prefix)
		pi_buf_printf(b, "\t\timport limit (%u + INCIDENT_LIMIT_EXTRA) action restart;\t# max-prefix from the plan\n",
			      x->max_prefix);
	if (x->rel != PI_REL_IBGP && x->rel != PI_REL_RS_CLIENT)
		pi_bird_rov_channel(b, plan, node);
	switch (x->rel) {
	case PI_REL_IBGP:
		pi_buf_puts(b, "\t\timport all;\n\t\texport where source = RTS_BGP;\n");
		if (pi_r_node(plan, node)->services & PI_SVC_EBGP)
			pi_buf_puts(b, "\t\tnext hop self ebgp;\t# border: eBGP next hops are not in OSPF\n");
		break;
	case PI_REL_RS_CLIENT:
		pi_buf_puts(b, pi_buf_str(&flt));
		pi_buf_puts(b, "\t\texport where source = RTS_BGP;\n");
		break;
	case PI_REL_CUSTOMER:
		pi_buf_puts(b, pi_buf_str(&flt));
		pi_buf_printf(b, "\t\texport filter export_all%d;\n", f);
		break;
	case PI_REL_PEER:
		pi_buf_puts(b, pi_buf_str(&flt));
		pi_buf_printf(b, "\t\texport filter %s%d;\n", legacy_open ? "export_all" : "export_own_and_customers", f);
		break;
	default:
		pi_buf_puts(b, pi_buf_str(&flt));
		pi_buf_printf(b, "\t\texport filter export_own_and_customers%d;\n", f);
		break;
	}
	pi_buf_puts(b, "\t};\n}\n");
	pi_buf_free(&flt);
}

static void render_conf(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o, struct pi_buf *b)
{
	const struct pi_plan_node *me = pi_r_node(plan, node);
	char rid[PI_PREFIX_STRLEN];
	if (pi_router_daemon_of(plan, node) != &pi_router_bird)
		return;

	struct pi_vec sess = PI_VEC_INIT(struct bsess);
	collect_sessions(plan, node, &sess);
	bool router = (me->services & PI_SVC_ROUTER) != 0;
	bool is_rs = (me->services & PI_SVC_RS) != 0;
	bool border = pi_r_is_border(plan, node);
	bool exercise = pi_plan_node_is_exercise(plan, node);
	enum pi_exercise level = exercise ? pi_r_pod(plan, node)->exercise : PI_EXERCISE_NONE;

	pi_r_header(b, "#", plan, node, "BIRD 2 configuration");
	if (exercise)
		pi_bird_skeleton_head(b, plan, node);
	pi_buf_puts(b, "#\n# Large communities set on eBGP import (docs/routing-policy.md):\n");
	pi_buf_printf(b, "#   (%u, %d, %d) learned from a customer           local pref %d\n", pi_r_pod(plan, node)->asn,
		      PI_LC_REL, PI_LC_FROM_CUSTOMER, PI_LP_CUSTOMER);
	pi_buf_printf(b, "#   (%u, %d, %d) learned from a peer or route server local pref %d\n",
		      pi_r_pod(plan, node)->asn, PI_LC_REL, PI_LC_FROM_PEER, PI_LP_PEER);
	pi_buf_printf(b, "#   (%u, %d, %d) learned from a provider           local pref %d\n", pi_r_pod(plan, node)->asn,
		      PI_LC_REL, PI_LC_FROM_PROVIDER, PI_LP_PROVIDER);

	pi_buf_printf(b, "\nlog \"%s/bird.log\" all;\n", o->log_dir);
	router_id(plan, node, rid);
	pi_buf_printf(b, "router id %s;\n", rid);

	if (border || is_rs)
		emit_policy_defs(b, plan, node, border, o);
	else
		emit_include(b, o);

	pi_buf_puts(b, "\n# ---- Interfaces and the kernel ----\n\n");
	pi_buf_puts(b, "protocol device {\n\tscan time 10;\n}\n");
	if (router) {
		pi_buf_puts(b, "\n# Learned routes go to the kernel so that packets follow them. Connected\n"
			       "# routes are the kernel's own already.\n");
		for (int f = 4; f <= 6; f += 2)
			pi_buf_printf(b,
				      "protocol kernel kernel%d {\n\tipv%d {\n\t\timport none;\n"
				      "\t\texport where source != RTS_DEVICE;\n\t};\n}\n",
				      f, f);

		bool servers = false;
		for (int f = 4; f <= 6; f += 2) {
			uint8_t family = f == 4 ? PI_AF_V4 : PI_AF_V6;
			struct sroutes sr = { .n = 0 };
			server_routes(plan, node, family, &sr);
			/* Exercise pods: the students originate; level all also runs OSPF itself. */
			emit_statics(b, plan, node, family, &sr, border && !exercise);
			if (level != PI_EXERCISE_ALL)
				emit_ospf(b, plan, node, family, &sr);
			servers |= sr.n > 0;
		}
		if (level == PI_EXERCISE_ALL)
			pi_bird_skeleton_ospf(b, plan, node, servers);
	}
	if (exercise && border)
		pi_bird_skeleton_origin(b, plan, node);

	pi_buf_puts(b, "\n# ---- BGP ----\n\n");
	/* BIRD waits 5 s before a session's first connect and 120 s after a
	 * failed one; every router of a lab starts within a second or two, so
	 * short timers let the lab converge in seconds, not minutes. */
	pi_buf_puts(b, "# Lab timers: sessions come up within seconds of the daemons starting.\n"
		       "template bgp lab_bgp {\n\tconnect delay time 1;\n\tconnect retry time 2;\n"
		       "\terror wait time 1, 4;\n\thold time 30;\n\tkeepalive time 10;\n}\n");
	for (size_t i = 0; i < sess.len; i++) {
		const struct bsess *x = pi_vec_at(&sess, i);
		uint32_t k = (uint32_t)(x->s - plan->sessions);
		if (exercise && pi_plan_session_by_students(plan, k, node))
			pi_bird_skeleton_session(b, plan, node, k);
		else
			emit_session(b, plan, node, x);
	}
	(void)rid;
	pi_vec_free(&sess);
}

void pi_bird_render_files(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			  struct pi_render_set *out)
{
	pi_r_add_conf(out, "bird.conf", render_conf, plan, node, o);
	if (pi_r_is_border(plan, node))
		pi_r_add_conf(out, PI_BIRD_TABLE_FILE, pi_bird_render_table, plan, node, o);
	struct pi_buf b;
	pi_buf_init(&b);
	pi_bird_render_incidents(plan, node, NULL, 0, &b);
	pi_render_set_add(out, pi_router_bird.incidents_file, &b, 0644);
	pi_buf_free(&b);
}

void pi_bird_start_lines(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			 struct pi_buf *b)
{
	char cmd[512];
	(void)plan, (void)node, (void)o;
	pi_buf_puts(b, "\n# BIRD: routing first, so that the services below are reachable.\n"
		       "mkdir -p /run/bird\n");
	snprintf(cmd, sizeof(cmd), "bird -c \"$CONF/bird.conf\" -s %s -P \"$RUN/bird.pid\"", pi_router_bird.ctl_socket);
	pi_r_start_daemon(b, "bird", "$RUN/bird.pid", cmd);
}
