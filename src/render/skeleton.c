/*
 * render/skeleton: what an exercise pod's routers get instead of the
 * generated routing (docs/workshop.md). bird.c renders the parts the
 * students are given (level bgp: OSPF and iBGP; level all: only the
 * devices, the kernel and the static routes toward the pod's servers);
 * this file writes comments saying exactly what they must add: each
 * planned session with its addresses, ASN, relationship, protocol name,
 * filters and limit, and the prefixes to announce. Everything here is a
 * comment, so the file is valid BIRD as it stands.
 */
#include <stdio.h>
#include <string.h>
#include "render_int.h"

static void cone_comment(struct pi_buf *b, const struct pi_plan *plan, uint32_t pod, uint8_t family)
{
	char buf[PI_PREFIX_STRLEN];
	const struct pi_plan_pod *p = &plan->pods[pod];
	bool any = false;
	for (uint32_t i = 0; i < p->n_cone; i++) {
		const struct pi_plan_pod *c = &plan->pods[p->cone[i]];
		const struct pi_prefix *x = family == PI_AF_V4 ? &c->v4 : &c->v6;
		if (!pi_prefix_is_set(x))
			continue;
		pi_buf_printf(b, "%s%s+", any ? ", " : "", pi_prefix_fmt(x, buf));
		any = true;
	}
	if (!any)
		pi_buf_puts(b, "(nothing)");
}

void pi_bird_skeleton_head(struct pi_buf *b, const struct pi_plan *plan, uint32_t node)
{
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	bool all = pod->exercise == PI_EXERCISE_ALL;
	pi_buf_printf(b,
		      "#\n# ==== EXERCISE POD %s (AS %u)%s%s ====\n"
		      "# Level '%s': this file is a skeleton, and yours to edit (not the note\n"
		      "# above). %s\n"
		      "# Every block marked TODO below says what to add. Edit this file in the\n"
		      "# node (%s/bird.conf), then run `birdc configure`; the trainer runs\n"
		      "# `pocketinternet check %s` to grade it, `save` keeps it, `reset` brings\n"
		      "# this skeleton back.\n",
		      pod->name, pod->asn, pod->team ? ", team " : "", pod->team ? pod->team : "",
		      pi_exercise_name(pod->exercise),
		      all ? "Interfaces and addresses are set; OSPF, iBGP and eBGP are yours."
			  : "Interfaces, addresses, OSPF and iBGP are set; eBGP is yours.",
		      PI_NODE_CONF_DIR, pod->name);
}

/* The prefixes a border announces: the static protocols own_route4/6 look for. */
void pi_bird_skeleton_origin(struct pi_buf *b, const struct pi_plan *plan, uint32_t node)
{
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	char buf[PI_PREFIX_STRLEN];
	pi_buf_printf(b, "\n# TODO origination: announce AS %u's aggregates. Add, for each family,\n", pod->asn);
	for (int f = 4; f <= 6; f += 2) {
		const struct pi_prefix *agg = f == 4 ? &pod->v4 : &pod->v6;
		const struct pi_prefix *any = f == 4 ? &plan->anycast4 : &plan->anycast6;
		if (!pi_prefix_is_set(agg) && !(pod->anycast && pi_prefix_is_set(any)))
			continue;
		pi_buf_printf(b, "#   protocol static origin%d { ipv%d;", f, f);
		if (pi_prefix_is_set(agg))
			pi_buf_printf(b, " route %s unreachable;", pi_prefix_fmt(agg, buf));
		if (pod->anycast && pi_prefix_is_set(any))
			pi_buf_printf(b, " route %s unreachable;", pi_prefix_fmt(any, buf));
		pi_buf_puts(b, " }\n");
	}
	pi_buf_puts(b, "# (own_route4/own_route6 above export exactly these: source static, net in OWN4/OWN6.)\n");
}

static const char *export_filter(enum pi_rel rel)
{
	switch (rel) {
	case PI_REL_CUSTOMER:
		return "export_all";
	case PI_REL_IBGP:
	case PI_REL_RS_CLIENT:
		return NULL;
	default:
		return "export_own_and_customers";
	}
}

static void import_comment(struct pi_buf *b, const struct pi_plan *plan, uint32_t rpod, enum pi_rel rel, int f)
{
	static const char *const tag[] = { "FROM_CUSTOMER, LP_CUSTOMER", "FROM_PEER, LP_PEER",
					   "FROM_PROVIDER, LP_PROVIDER", "FROM_PEER, LP_PEER" };
	pi_buf_printf(b, "#     import: reject unless ebgp_sane%d(); ", f);
	if (rel == PI_REL_PROVIDER || rel == PI_REL_RS)
		pi_buf_puts(b, rel == PI_REL_RS ? "accept the other members' cones (or all but bogons); "
						: "a provider may send the whole table; ");
	else {
		pi_buf_puts(b, "accept only net ~ [ ");
		cone_comment(b, plan, rpod, f == 4 ? PI_AF_V4 : PI_AF_V6);
		pi_buf_puts(b, " ]; ");
	}
	pi_buf_printf(b, "then learned_from(%s); accept.\n", tag[rel <= PI_REL_RS ? rel : 0]);
}

void pi_bird_skeleton_session(struct pi_buf *b, const struct pi_plan *plan, uint32_t node, uint32_t k)
{
	const struct pi_plan_session *s = &plan->sessions[k];
	bool a = s->a == node;
	uint32_t remote = a ? s->b : s->a;
	enum pi_rel rel = a ? s->rel : pi_rel_invert(s->rel);
	const struct pi_plan_node *rn = &plan->nodes[remote];
	const struct pi_plan_pod *rpod = &plan->pods[rn->pod];
	char name[64], lb[PI_PREFIX_STRLEN], nb[PI_PREFIX_STRLEN];
	uint32_t iface = a ? s->a_iface : s->b_iface;
	uint32_t limit = a ? s->a_max_prefix : s->b_max_prefix;
	int f = s->family == PI_AF_V6 ? 6 : 4;
	pi_router_bird.session_name(plan, k, name, sizeof(name));
	pi_buf_printf(b, "\n# TODO session with %s %s (pod %s)\n", pi_rel_name(rel), rn->name, rpod->name);
	pi_buf_printf(b, "#   protocol bgp %s from lab_bgp {   <- this exact name: the checks look for it\n", name);
	pi_buf_printf(b, "#     local %s as %u; neighbor %s as %u;%s\n", pi_r_addr(a ? &s->a_addr : &s->b_addr, lb),
		      pi_r_pod(plan, node)->asn, pi_r_addr(a ? &s->b_addr : &s->a_addr, nb), rpod->asn, rel == PI_REL_IBGP ? " multihop;" : "");
	pi_buf_printf(b, "#     over %s; channel ipv%d\n", iface != PI_NONE ? plan->ifaces[iface].name : "the loopbacks", f);
	if (rel == PI_REL_IBGP) {
		pi_buf_puts(b, "#     import all; export where source = RTS_BGP;");
		pi_buf_puts(b, (pi_r_node(plan, node)->services & PI_SVC_EBGP) ? " next hop self ebgp;\n" : "\n");
		if (s->b_is_rr_client && a)
			pi_buf_puts(b, "#     rr client;   (this router reflects for that one)\n");
		return;
	}
	if (rel == PI_REL_RS)
		pi_buf_puts(b, "#     enforce first as off;   (a route server keeps its ASN out of the path)\n");
	import_comment(b, plan, rn->pod, rel, f);
	if (limit)
		pi_buf_printf(b, "#     import limit %u action restart;\n", limit);
	const char *ex = export_filter(rel);
	if (ex)
		pi_buf_printf(b, "#     export filter %s%d;   (%s)\n", ex, f,
			      rel == PI_REL_CUSTOMER ? "a customer gets everything"
						     : "only our own prefixes and customers' routes: valley-free");
}

/* Level all: what OSPF must cover on this router. */
void pi_bird_skeleton_ospf(struct pi_buf *b, const struct pi_plan *plan, uint32_t node, bool servers)
{
	const struct pi_plan_node *me = pi_r_node(plan, node);
	char buf[PI_PREFIX_STRLEN];
	pi_buf_printf(b, "\n# TODO OSPF (protocol ospf v2 ospf4 and protocol ospf v3 ospf6), area 0:\n");
	pi_buf_puts(b, "#   import all;");
	pi_buf_puts(b, servers ? " export where proto = \"servers4\" (\"servers6\");\n" : " export none;\n");
	if (pi_prefix_is_set(&me->lo4)) {
		struct pi_prefix h = pi_prefix_as_host(&me->lo4);
		pi_buf_printf(b, "#   stubnet %s (the loopback)", pi_prefix_fmt(&h, buf));
		if (pi_prefix_is_set(&me->lo6)) {
			h = pi_prefix_as_host(&me->lo6);
			pi_buf_printf(b, " and %s in OSPFv3", pi_prefix_fmt(&h, buf));
		}
		pi_buf_puts(b, "\n");
	}
	for (uint32_t i = 0; i < me->n_ifaces; i++) {
		const struct pi_plan_iface *fc = pi_plan_node_iface(plan, node, i);
		const struct pi_plan_link *l = &plan->links[fc->link];
		bool active = l->scope == PI_SCOPE_INTERNAL && pi_r_link_has_router(plan, fc->link, node);
		pi_buf_printf(b, "#   interface \"%s\": %s\n", fc->name,
			      active ? (l->kind == PI_LINK_P2P ? "type ptp, cost 10, hello 2, dead 8 (to another router)"
							       : "type broadcast, cost 10, hello 2, dead 8, wait 4")
				     : "stub yes (passive: no OSPF neighbour there)");
	}
}
