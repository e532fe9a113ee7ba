/*
 * output: the plan as text (a summary for people), JSON (everything, for
 * tools and golden tests) and Graphviz (the AS graph); plus lookups and
 * enum names. All output is a pure function of the plan.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "internal.h"

const char *pi_rel_name(enum pi_rel r)
{
	switch (r) {
	case PI_REL_CUSTOMER: return "customer";
	case PI_REL_PEER: return "peer";
	case PI_REL_PROVIDER: return "provider";
	case PI_REL_RS: return "rs";
	case PI_REL_RS_CLIENT: return "rs-client";
	case PI_REL_IBGP: return "ibgp";
	}
	return "?";
}

enum pi_rel pi_rel_invert(enum pi_rel r)
{
	switch (r) {
	case PI_REL_CUSTOMER: return PI_REL_PROVIDER;
	case PI_REL_PROVIDER: return PI_REL_CUSTOMER;
	case PI_REL_RS: return PI_REL_RS_CLIENT;
	case PI_REL_RS_CLIENT: return PI_REL_RS;
	default: return r;
	}
}

const char *pi_rr_type_name(enum pi_rr_type t)
{
	static const char *const names[] = { "SOA", "NS", "A", "AAAA", "PTR", "CNAME" };
	return (unsigned)t < PI_ARRAY_LEN(names) ? names[t] : "?";
}

const char *pi_link_scope_name(enum pi_link_scope s)
{
	static const char *const names[] = { "internal", "external", "ixp", "subscriber", "backbone" };
	return (unsigned)s < PI_ARRAY_LEN(names) ? names[s] : "?";
}

static const char *zone_kind_name(enum pi_zone_kind k)
{
	static const char *const names[] = { "root", "tld", "forward", "reverse4", "reverse6" };
	return (unsigned)k < PI_ARRAY_LEN(names) ? names[k] : "?";
}

uint32_t pi_plan_node_by_name(const struct pi_plan *plan, const char *name)
{
	for (uint32_t i = 0; i < plan->n_nodes; i++)
		if (strcmp(plan->nodes[i].name, name) == 0)
			return i;
	return PI_NONE;
}

uint32_t pi_plan_pod_by_name(const struct pi_plan *plan, const char *name)
{
	for (uint32_t i = 0; i < plan->n_pods; i++)
		if (strcmp(plan->pods[i].name, name) == 0)
			return i;
	return PI_NONE;
}

uint32_t pi_plan_peer_iface(const struct pi_plan *plan, uint32_t iface)
{
	if (iface >= plan->n_ifaces)
		return PI_NONE;
	const struct pi_plan_link *l = &plan->links[plan->ifaces[iface].link];
	if (l->kind != PI_LINK_P2P || l->n_ifaces != 2)
		return PI_NONE;
	return l->ifaces[0] == iface ? l->ifaces[1] : l->ifaces[0];
}

/* ---- text ---- */

static void write_rpki_text(const struct pi_plan *plan, struct pi_buf *out)
{
	pi_buf_printf(out, "\nrpki: %u ROAs, cache %s; validating:", plan->n_roas,
		      plan->rpki_cache == PI_NONE ? "none" : plan->nodes[plan->rpki_cache].name);
	unsigned n = 0;
	for (uint32_t p = 0; p < plan->n_pods; p++)
		if (plan->pods[p].rov && ++n)
			pi_buf_printf(out, " %s", plan->pods[p].name);
	pi_buf_puts(out, n ? "\n" : " none\n");
}

void pi_plan_write_text(const struct pi_plan *plan, struct pi_buf *out)
{
	char b1[PI_PREFIX_STRLEN], b2[PI_PREFIX_STRLEN];
	pi_buf_printf(out, "lab %s%s: seed %" PRIu64 ", tld .%s, %u pods, %u nodes, %u links, %u BGP sessions, %u zones\n",
		      plan->lab_name, plan->legacy ? " (original format)" : "", plan->seed, plan->tld, plan->n_pods,
		      plan->n_nodes, plan->n_links, plan->n_sessions, plan->n_zones);
	if (plan->title)
		pi_buf_printf(out, "title: %s\n", plan->title);
	pi_buf_printf(out, "address space %s %s\n", pi_prefix_fmt(&plan->v4, b1), pi_prefix_fmt(&plan->v6, b2));
	if (pi_prefix_is_set(&plan->anycast4))
		pi_buf_printf(out, "anycast %s %s\n", pi_prefix_fmt(&plan->anycast4, b1), pi_prefix_fmt(&plan->anycast6, b2));
	pi_buf_puts(out, "\npods:\n");
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		const struct pi_plan_pod *pod = &plan->pods[p];
		pi_buf_printf(out, "  %-16s AS%-10u %-8s %-18s %-22s %2u nodes  cone %u\n", pod->name, pod->asn,
			      pi_tier_name(pod->tier), pi_prefix_fmt(&pod->v4, b1), pi_prefix_fmt(&pod->v6, b2), pod->n_nodes,
			      pod->n_cone);
		if (pod->table && pod->table->mrt)
			pi_buf_printf(out, "  %-16s announces %u + %u routes replayed from an MRT dump\n", "", pod->table->n4,
				      pod->table->n6);
		else if (pod->table)
			pi_buf_printf(out, "  %-16s announces %u + %u generated prefixes in %s %s\n", "", pod->table->n4,
				      pod->table->n6, pi_prefix_fmt(&pod->table->block4, b1), pi_prefix_fmt(&pod->table->block6, b2));
	}
	if (plan->rpki)
		write_rpki_text(plan, out);
	pi_buf_puts(out, "\nrelationships:\n");
	for (uint32_t i = 0; i < plan->n_rels; i++) {
		const struct pi_plan_rel *r = &plan->rels[i];
		const char *a = plan->pods[r->a].name, *b = plan->pods[r->b].name;
		if (r->rel == PI_REL_CUSTOMER)
			pi_buf_printf(out, "  %s buys transit from %s", b, a);
		else if (r->rel == PI_REL_PEER)
			pi_buf_printf(out, "  %s peers with %s", a, b);
		else
			pi_buf_printf(out, "  %s is a member of %s", a, b);
		pi_buf_puts(out, r->from_lab ? " (lab)\n" : "\n");
	}
	pi_buf_puts(out, "\nsessions:\n");
	for (uint32_t i = 0; i < plan->n_sessions; i++) {
		const struct pi_plan_session *s = &plan->sessions[i];
		pi_buf_printf(out, "  %-34s %s %s -> %s %s (%s)\n", s->name, plan->nodes[s->a].name,
			      pi_prefix_fmt_addr(&s->a_addr, b1), plan->nodes[s->b].name, pi_prefix_fmt_addr(&s->b_addr, b2),
			      pi_rel_name(s->rel));
	}
	for (uint32_t l = 0, first = 1; l < plan->n_links; l++) {
		char ib[PI_IMPAIR_FMT_MAX];
		if (pi_impair_is_none(&plan->links[l].impair))
			continue;
		pi_buf_puts(out, first ? "\nimpairments:\n" : "");
		first = 0;
		pi_buf_printf(out, "  %-34s %s\n", plan->links[l].name, pi_impair_format(&plan->links[l].impair, ib, sizeof(ib)));
	}
	pi_buf_puts(out, "\nzones:\n");
	for (uint32_t z = 0; z < plan->n_zones; z++) {
		const struct pi_plan_zone *zn = &plan->zones[z];
		pi_buf_printf(out, "  %-36s %-8s %u records, served by", zn->name, zone_kind_name(zn->kind), zn->n_rrs);
		for (uint32_t i = 0; i < zn->n_servers; i++)
			pi_buf_printf(out, " %s", plan->nodes[zn->servers[i]].name);
		pi_buf_putc(out, '\n');
	}
}

/* ---- dot ---- */

void pi_plan_write_dot(const struct pi_plan *plan, struct pi_buf *out)
{
	pi_buf_printf(out, "digraph \"%s\" {\n", plan->lab_name);
	pi_buf_puts(out, "\tgraph [rankdir=BT, overlap=false];\n\tnode [fontname=\"sans\"];\n");
	pi_buf_puts(out, "\t/* customer -> provider: transit; dashed: peering; dotted: IXP membership */\n");
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		const struct pi_plan_pod *pod = &plan->pods[p];
		const char *shape = pod->tier == PI_TIER_TRANSIT ? "doublecircle" : pod->tier == PI_TIER_IXP ? "box" : "ellipse";
		pi_buf_printf(out, "\t\"%s\" [label=\"%s\\nAS%u\", shape=%s];\n", pod->name, pod->name, pod->asn, shape);
	}
	for (uint32_t i = 0; i < plan->n_rels; i++) {
		const struct pi_plan_rel *r = &plan->rels[i];
		const char *a = plan->pods[r->a].name, *b = plan->pods[r->b].name;
		if (r->rel == PI_REL_CUSTOMER)
			pi_buf_printf(out, "\t\"%s\" -> \"%s\";\n", b, a);
		else if (r->rel == PI_REL_PEER)
			pi_buf_printf(out, "\t\"%s\" -> \"%s\" [dir=none, style=dashed];\n", a, b);
		else
			pi_buf_printf(out, "\t\"%s\" -> \"%s\" [dir=none, style=dotted];\n", a, b);
	}
	pi_buf_puts(out, "}\n");
}

/* ---- json ---- */

static json_t *jpfx(const struct pi_prefix *p)
{
	char buf[PI_PREFIX_STRLEN];
	return pi_prefix_is_set(p) ? json_string(pi_prefix_fmt(p, buf)) : json_null();
}

static json_t *jidx(uint32_t i)
{
	return i == PI_NONE ? json_null() : json_integer(i);
}

static json_t *jidx_array(const uint32_t *v, uint32_t n)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

static json_t *jservices(unsigned bits)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < 32; i++)
		if ((bits & (1u << i)) && pi_service_name(1u << i))
			json_array_append_new(a, json_string(pi_service_name(1u << i)));
	return a;
}

#define SET(o, k, v) json_object_set_new(o, k, v)

static int dump_cb(const char *buf, size_t size, void *data)
{
	pi_buf_write(data, buf, size);
	return 0;
}

int pl_json_write(struct json_t *root, struct pi_buf *out)
{
	/* Straight into the buffer: no second copy of a large plan. */
	int rc = json_dump_callback(root, dump_cb, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(root);
	if (rc)
		return -ENOMEM;
	pi_buf_putc(out, '\n');
	return 0;
}

/* The plan's arrays, one element at a time, into a JSON array. */
typedef json_t *(*json_elem_fn)(const struct pi_plan *plan, uint32_t i);

static json_t *jlist(const struct pi_plan *plan, uint32_t n, json_elem_fn elem)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < n; i++)
		json_array_append_new(a, elem(plan, i));
	return a;
}

static json_t *jpod(const struct pi_plan *plan, uint32_t p)
{
	const struct pi_plan_pod *pod = &plan->pods[p];
	json_t *o = json_object();
	SET(o, "name", json_string(pod->name));
	SET(o, "blueprint", json_string(pod->bp ? pod->bp->name : ""));
	SET(o, "tier", json_string(pi_tier_name(pod->tier)));
	SET(o, "asn", json_integer(pod->asn));
	SET(o, "v4", jpfx(&pod->v4));
	SET(o, "v6", jpfx(&pod->v6));
	SET(o, "domain", json_string(pod->domain));
	SET(o, "first_node", json_integer(pod->first_node));
	SET(o, "n_nodes", json_integer(pod->n_nodes));
	SET(o, "cgnat_pool", jpfx(&pod->cgnat_pool));
	SET(o, "nat44_pool", jpfx(&pod->nat44_pool));
	SET(o, "nat64_pool", jpfx(&pod->nat64_pool));
	SET(o, "anycast", json_boolean(pod->anycast));
	SET(o, "cone", jidx_array(pod->cone, pod->n_cone));
	/* Only when set: labs without teams keep their plan.json byte for byte. */
	if (pod->exercise != PI_EXERCISE_NONE)
		SET(o, "exercise", json_string(pi_exercise_name(pod->exercise)));
	if (pod->team)
		SET(o, "team", json_string(pod->team));
	/* Only where used, so plans of labs without them keep their shape. */
	if (plan->rpki)
		SET(o, "rov", json_boolean(pod->rov));
	if (pod->table) /* the counts and blocks; the routes are in the node's table.conf */
		SET(o, "table", json_pack("{s:b, s:i, s:i, s:o, s:o}", "mrt", pod->table->mrt, "ipv4",
					  (json_int_t)pod->table->n4, "ipv6", (json_int_t)pod->table->n6, "block4",
					  jpfx(&pod->table->block4), "block6", jpfx(&pod->table->block6)));
	if (pod->tier == PI_TIER_EXTERNAL) { /* only then: other plans' JSON stays as it was */
		json_t *x = json_object(), *cmd = json_array(), *px = json_array();
		SET(x, "speaker", json_string(pi_speaker_name(pod->speaker)));
		if (pod->image)
			SET(x, "image", json_string(pod->image));
		if (pod->netns)
			SET(x, "netns", json_string(pod->netns));
		for (uint32_t i = 0; i < pod->n_command; i++)
			json_array_append_new(cmd, json_string(pod->command[i]));
		SET(x, "command", cmd);
		for (uint32_t i = 0; i < pod->n_extra; i++)
			json_array_append_new(px, jpfx(&pod->extra[i]));
		SET(x, "prefixes", px);
		SET(o, "external", x);
	}
	return o;
}

static json_t *jrpki(const struct pi_plan *plan)
{
	json_t *roas = json_array();
	char b[PI_PREFIX_STRLEN];
	for (uint32_t i = 0; i < plan->n_roas; i++) {
		const struct pi_plan_roa *r = &plan->roas[i];
		json_array_append_new(roas, json_pack("{s:s, s:i, s:i, s:s}", "prefix", pi_prefix_fmt(&r->net, b),
						      "max_length", (json_int_t)r->max_len, "asn", (json_int_t)r->asn,
						      "pod", plan->pods[r->pod].name));
	}
	return json_pack("{s:o, s:o}", "cache",
			 plan->rpki_cache == PI_NONE ? json_null() : json_string(plan->nodes[plan->rpki_cache].name),
			 "roas", roas);
}

static json_t *jrel(const struct pi_plan *plan, uint32_t i)
{
	const struct pi_plan_rel *r = &plan->rels[i];
	json_t *o = json_object();
	SET(o, "a", json_string(plan->pods[r->a].name));
	SET(o, "b", json_string(plan->pods[r->b].name));
	SET(o, "rel", json_string(pi_rel_name(r->rel)));
	SET(o, "from_lab", json_boolean(r->from_lab));
	SET(o, "link", jidx(r->link));
	/* The ends of its link (a's interface on the IXP LAN for memberships):
	 * what pins keep (pi_plan_pins_load). */
	SET(o, "a_iface", jidx(r->a_iface));
	SET(o, "b_iface", jidx(r->b_iface));
	return o;
}

static json_t *jiface(const struct pi_plan *plan, uint32_t fi)
{
	const struct pi_plan_iface *f = &plan->ifaces[fi];
	json_t *fo = json_object();
	char mac[18];
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", f->mac[0], f->mac[1], f->mac[2], f->mac[3],
		 f->mac[4], f->mac[5]);
	SET(fo, "index", json_integer(fi));
	SET(fo, "name", json_string(f->name));
	SET(fo, "link", json_integer(f->link));
	SET(fo, "v4", jpfx(&f->v4));
	SET(fo, "v6", jpfx(&f->v6));
	SET(fo, "mac", json_string(mac));
	SET(fo, "dhcp4", json_boolean(f->dhcp4));
	SET(fo, "ra6", json_boolean(f->ra6));
	SET(fo, "fqdn", json_string(f->fqdn));
	return fo;
}

static json_t *jnode(const struct pi_plan *plan, uint32_t n)
{
	const struct pi_plan_node *nd = &plan->nodes[n];
	json_t *o = json_object();
	SET(o, "name", json_string(nd->name));
	SET(o, "role", json_string(nd->role));
	SET(o, "services", jservices(nd->services));
	SET(o, "pod", json_integer(nd->pod));
	SET(o, "index", json_integer(nd->index));
	SET(o, "fqdn", json_string(nd->fqdn));
	SET(o, "lo4", jpfx(&nd->lo4));
	SET(o, "lo6", jpfx(&nd->lo6));
	SET(o, "route_reflector", json_boolean(nd->route_reflector));
	SET(o, "mem_limit_mb", json_integer(nd->mem_limit_mb));
	SET(o, "pids_limit", json_integer(nd->pids_limit));
	SET(o, "root_dns", json_boolean(nd->root_dns));
	SET(o, "tld_dns", json_boolean(nd->tld_dns));
	SET(o, "gw4", jpfx(&nd->gw4));
	SET(o, "gw6", jpfx(&nd->gw6));
	SET(o, "resolver4", jpfx(&nd->resolver4));
	SET(o, "resolver6", jpfx(&nd->resolver6));
	SET(o, "anycast4", jpfx(&nd->anycast4));
	SET(o, "anycast6", jpfx(&nd->anycast6));
	json_t *ifs = json_array();
	for (uint32_t i = 0; i < nd->n_ifaces; i++)
		json_array_append_new(ifs, jiface(plan, nd->first_iface + i));
	SET(o, "ifaces", ifs);
	return o;
}

static json_t *jlink(const struct pi_plan *plan, uint32_t l)
{
	const struct pi_plan_link *lk = &plan->links[l];
	json_t *o = json_object();
	SET(o, "name", json_string(lk->name));
	SET(o, "kind", json_string(lk->kind == PI_LINK_P2P ? "p2p" : "lan"));
	SET(o, "scope", json_string(pi_link_scope_name(lk->scope)));
	SET(o, "pod", jidx(lk->pod));
	SET(o, "lan", lk->lan ? json_string(lk->lan) : json_null());
	SET(o, "v4", jpfx(&lk->v4));
	SET(o, "v6", jpfx(&lk->v6));
	SET(o, "ifaces", jidx_array(lk->ifaces, lk->n_ifaces));
	SET(o, "mtu", json_integer(lk->mtu));
	SET(o, "cgnat", json_boolean(lk->cgnat));
	SET(o, "nat64", json_boolean(lk->nat64));
	if (!pi_impair_is_none(&lk->impair)) { /* absent when none: plans without impairments are unchanged */
		char ib[PI_IMPAIR_FMT_MAX];
		json_t *im = json_object();
		SET(im, "text", json_string(pi_impair_format(&lk->impair, ib, sizeof(ib))));
		SET(im, "rate_bps", json_integer((json_int_t)lk->impair.rate_bps));
		SET(im, "delay_us", json_integer(lk->impair.delay_us));
		SET(im, "jitter_us", json_integer(lk->impair.jitter_us));
		SET(im, "loss_ppm", json_integer(lk->impair.loss_ppm));
		SET(im, "duplicate_ppm", json_integer(lk->impair.duplicate_ppm));
		SET(im, "corrupt_ppm", json_integer(lk->impair.corrupt_ppm));
		SET(im, "reorder_ppm", json_integer(lk->impair.reorder_ppm));
		SET(o, "impair", im);
	}
	return o;
}

static json_t *jsession(const struct pi_plan *plan, uint32_t i)
{
	const struct pi_plan_session *s = &plan->sessions[i];
	json_t *o = json_object();
	SET(o, "name", json_string(s->name));
	SET(o, "a", json_string(plan->nodes[s->a].name));
	SET(o, "b", json_string(plan->nodes[s->b].name));
	SET(o, "family", json_integer(s->family));
	SET(o, "a_addr", jpfx(&s->a_addr));
	SET(o, "b_addr", jpfx(&s->b_addr));
	SET(o, "a_iface", jidx(s->a_iface));
	SET(o, "b_iface", jidx(s->b_iface));
	SET(o, "rel", json_string(pi_rel_name(s->rel)));
	SET(o, "a_max_prefix", json_integer(s->a_max_prefix));
	SET(o, "b_max_prefix", json_integer(s->b_max_prefix));
	SET(o, "b_is_rr_client", json_boolean(s->b_is_rr_client));
	return o;
}

static json_t *jroute(const struct pi_plan *plan, uint32_t i)
{
	const struct pi_plan_route *r = &plan->routes[i];
	json_t *o = json_object();
	SET(o, "node", json_string(plan->nodes[r->node].name));
	SET(o, "dst", jpfx(&r->dst));
	SET(o, "via", jpfx(&r->via));
	return o;
}

static json_t *jzone(const struct pi_plan *plan, uint32_t z)
{
	const struct pi_plan_zone *zn = &plan->zones[z];
	json_t *o = json_object();
	SET(o, "name", json_string(zn->name));
	SET(o, "kind", json_string(zone_kind_name(zn->kind)));
	SET(o, "pod", jidx(zn->pod));
	json_t *sv = json_array();
	for (uint32_t i = 0; i < zn->n_servers; i++)
		json_array_append_new(sv, json_string(plan->nodes[zn->servers[i]].name));
	SET(o, "servers", sv);
	json_t *rrs = json_array();
	for (uint32_t i = 0; i < zn->n_rrs; i++) {
		json_t *ro = json_array();
		json_array_append_new(ro, json_string(zn->rrs[i].owner));
		json_array_append_new(ro, json_string(pi_rr_type_name(zn->rrs[i].type)));
		json_array_append_new(ro, json_string(zn->rrs[i].data));
		json_array_append_new(rrs, ro);
	}
	SET(o, "records", rrs);
	return o;
}

int pi_plan_write_json(const struct pi_plan *plan, struct pi_buf *out)
{
	json_t *root = json_object();
	char buf[PI_PREFIX_STRLEN];
	SET(root, "lab", json_string(plan->lab_name));
	SET(root, "title", plan->title ? json_string(plan->title) : json_null());
	SET(root, "legacy", json_boolean(plan->legacy));
	SET(root, "seed", plan->seed <= INT64_MAX ? json_integer((json_int_t)plan->seed)
						 : json_string((snprintf(buf, sizeof(buf), "%" PRIu64, plan->seed), buf)));
	SET(root, "tld", json_string(plan->tld));
	SET(root, "v4", jpfx(&plan->v4));
	SET(root, "v6", jpfx(&plan->v6));
	SET(root, "anycast4", jpfx(&plan->anycast4));
	SET(root, "anycast6", jpfx(&plan->anycast6));
	/* Key order is the output's order (JSON_PRESERVE_ORDER): goldens depend on it. */
	SET(root, "pods", jlist(plan, plan->n_pods, jpod));
	SET(root, "relationships", jlist(plan, plan->n_rels, jrel));
	SET(root, "nodes", jlist(plan, plan->n_nodes, jnode));
	SET(root, "links", jlist(plan, plan->n_links, jlink));
	SET(root, "sessions", jlist(plan, plan->n_sessions, jsession));
	SET(root, "routes", jlist(plan, plan->n_routes, jroute));
	SET(root, "zones", jlist(plan, plan->n_zones, jzone));
	if (plan->rpki)
		SET(root, "rpki", jrpki(plan));
	return pl_json_write(root, out);
}
