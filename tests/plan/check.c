/* check: plan invariants every generated plan must satisfy (see check.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "check.h"

static bool name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	return true;
}

static bool bird_sym_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts an array of malloc'ed strings and fails on a duplicate. */
static void assert_unique(char **v, size_t n, const char *what)
{
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i - 1], v[i]) == 0)
			fail_msg("duplicate %s: %s", what, v[i]);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

struct leaf {
	struct pi_prefix p;
	const char *what;
};

static int cmp_leaf(const void *a, const void *b)
{
	return pi_prefix_cmp(&((const struct leaf *)a)->p, &((const struct leaf *)b)->p);
}

static uint32_t uf(uint32_t *up, uint32_t x)
{
	while (up[x] != x)
		x = up[x] = up[up[x]];
	return x;
}

static bool is_reserved_asn(uint32_t asn)
{
	return asn == 0 || asn == 23456 || (asn >= 64496 && asn <= 131071) || asn >= 4200000000u;
}

static void check_graph(const struct pi_plan *plan, bool generated_asns)
{
	uint32_t n = plan->n_pods;
	/* ASNs */
	uint32_t *asn = calloc(n, sizeof(uint32_t));
	for (uint32_t p = 0; p < n; p++) {
		asn[p] = plan->pods[p].asn;
		if (generated_asns && !plan->legacy && is_reserved_asn(asn[p]))
			fail_msg("pod %s has reserved ASN %u", plan->pods[p].name, asn[p]);
	}
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = i + 1; j < n && n < 3000; j++)
			if (asn[i] == asn[j])
				fail_msg("ASN %u used twice", asn[i]);
	free(asn);
	if (plan->legacy)
		return;
	/* connected; stubs have providers; transit clique complete */
	uint32_t *up = calloc(n, sizeof(uint32_t));
	unsigned *providers = calloc(n, sizeof(unsigned));
	for (uint32_t p = 0; p < n; p++)
		up[p] = p;
	for (uint32_t i = 0; i < plan->n_rels; i++) {
		const struct pi_plan_rel *r = &plan->rels[i];
		up[uf(up, r->a)] = uf(up, r->b);
		if (r->rel == PI_REL_CUSTOMER)
			providers[r->b]++;
		if (r->rel == PI_REL_RS)
			assert_int_equal(plan->pods[r->b].tier, PI_TIER_IXP);
		assert_true(r->link < plan->n_links);
	}
	for (uint32_t p = 0; p < n; p++) {
		assert_int_equal(uf(up, p), uf(up, 0));
		if (plan->pods[p].tier == PI_TIER_STUB)
			assert_true(providers[p] >= 1);
		if (plan->pods[p].tier == PI_TIER_IXP)
			assert_int_equal(providers[p], 0);
		/* The cone holds the pod itself and is sorted (no loop: cones exist). */
		const struct pi_plan_pod *pod = &plan->pods[p];
		bool self = false;
		for (uint32_t k = 0; k < pod->n_cone; k++) {
			self |= pod->cone[k] == p;
			if (k)
				assert_true(pod->cone[k - 1] < pod->cone[k]);
		}
		assert_true(self);
	}
	/* Provider graph acyclic: a pod is never in the cone of its own customer. */
	for (uint32_t i = 0; i < plan->n_rels; i++) {
		const struct pi_plan_rel *r = &plan->rels[i];
		if (r->rel != PI_REL_CUSTOMER)
			continue;
		const struct pi_plan_pod *cu = &plan->pods[r->b];
		for (uint32_t k = 0; k < cu->n_cone; k++)
			assert_int_not_equal(cu->cone[k], r->a);
	}
	uint32_t nt = 0;
	for (uint32_t p = 0; p < n; p++)
		nt += plan->pods[p].tier == PI_TIER_TRANSIT;
	if (nt < 200) {
		for (uint32_t a = 0; a < n; a++)
			for (uint32_t b = a + 1; b < n; b++) {
				if (plan->pods[a].tier != PI_TIER_TRANSIT || plan->pods[b].tier != PI_TIER_TRANSIT)
					continue;
				bool found = false;
				for (uint32_t i = 0; i < plan->n_rels && !found; i++)
					found = (plan->rels[i].a == a && plan->rels[i].b == b) ||
						(plan->rels[i].a == b && plan->rels[i].b == a);
				if (!found)
					fail_msg("transit pods %s and %s have no relationship", plan->pods[a].name,
						 plan->pods[b].name);
			}
	}
	free(up);
	free(providers);
}

static void check_addresses(const struct pi_plan *plan)
{
	struct pi_prefix shared;
	pi_prefix_parse("100.64.0.0/10", &shared);
	size_t cap = plan->n_links * 2 + plan->n_nodes * 2 + plan->n_pods * 4 + 8, n = 0;
	struct leaf *v = calloc(cap, sizeof(*v));
	struct leaf *aggs = calloc(plan->n_pods * 2 + 2, sizeof(*aggs));
	size_t na = 0;
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		const struct pi_plan_pod *pod = &plan->pods[p];
		if (pi_prefix_is_set(&pod->v4)) {
			if (!plan->legacy)
				assert_true(pi_prefix_contains(&plan->v4, &pod->v4));
			assert_false(pi_prefix_has_host_bits(&pod->v4));
			aggs[na++] = (struct leaf){ pod->v4, pod->name };
		}
		if (pi_prefix_is_set(&pod->v6)) {
			if (!plan->legacy)
				assert_true(pi_prefix_contains(&plan->v6, &pod->v6));
			aggs[na++] = (struct leaf){ pod->v6, pod->name };
		}
		const struct pi_prefix *pools[] = { &pod->nat44_pool, &pod->nat64_pool };
		for (int i = 0; i < 2; i++)
			if (pi_prefix_is_set(pools[i])) {
				assert_true(pi_prefix_contains(&pod->v4, pools[i]));
				v[n++] = (struct leaf){ *pools[i], "nat pool" };
			}
		if (pi_prefix_is_set(&pod->cgnat_pool))
			assert_true(pi_prefix_contains(&shared, &pod->cgnat_pool));
	}
	if (pi_prefix_is_set(&plan->anycast4)) {
		aggs[na++] = (struct leaf){ plan->anycast4, "anycast4" };
		aggs[na++] = (struct leaf){ plan->anycast6, "anycast6" };
		assert_int_equal(plan->anycast4.len, 24);
		assert_int_equal(plan->anycast6.len, 48);
	}
	qsort(aggs, na, sizeof(*aggs), cmp_leaf);
	for (size_t i = 1; i < na; i++)
		if (pi_prefix_overlaps(&aggs[i - 1].p, &aggs[i].p))
			fail_msg("aggregates of %s and %s overlap", aggs[i - 1].what, aggs[i].what);

	for (uint32_t l = 0; l < plan->n_links; l++) {
		const struct pi_plan_link *lk = &plan->links[l];
		const struct pi_prefix *fam[2] = { &lk->v4, &lk->v6 };
		for (int f = 0; f < 2; f++) {
			if (!pi_prefix_is_set(fam[f]))
				continue;
			assert_false(pi_prefix_has_host_bits(fam[f]));
			v[n++] = (struct leaf){ *fam[f], lk->name };
			/* Inside the aggregate of the pod that numbers it. */
			if (lk->pod != PI_NONE && !pi_prefix_contains(&shared, fam[f])) {
				const struct pi_prefix *agg = f == 0 ? &plan->pods[lk->pod].v4 : &plan->pods[lk->pod].v6;
				if (!pi_prefix_contains(agg, fam[f]))
					fail_msg("link %s is outside its pod's aggregate", lk->name);
			}
			if (lk->cgnat && f == 0)
				assert_true(pi_prefix_contains(&shared, fam[f]));
			if (lk->kind == PI_LINK_P2P)
				assert_int_equal(fam[f]->len, f == 0 ? 31 : 127);
		}
		if (lk->kind == PI_LINK_P2P)
			assert_int_equal(lk->n_ifaces, 2);
		if (lk->kind == PI_LINK_LAN) {
			assert_true(strlen(lk->name) <= 15);
			assert_true(name_ok(lk->name, 15));
		}
		/* Every iface of the link points back and sits inside its subnets. */
		for (uint32_t k = 0; k < lk->n_ifaces; k++) {
			const struct pi_plan_iface *f = &plan->ifaces[lk->ifaces[k]];
			assert_int_equal(f->link, l);
			if (pi_prefix_is_set(&f->v4)) {
				assert_true(pi_prefix_contains(&lk->v4, &f->v4));
				assert_int_equal(f->v4.len, lk->v4.len);
			}
			if (pi_prefix_is_set(&f->v6)) {
				assert_true(pi_prefix_contains(&lk->v6, &f->v6));
				assert_int_equal(f->v6.len, lk->v6.len);
			}
		}
	}
	for (uint32_t k = 0; k < plan->n_nodes; k++) {
		const struct pi_plan_node *nd = &plan->nodes[k];
		if (pi_prefix_is_set(&nd->lo4)) {
			assert_int_equal(nd->lo4.len, 32);
			if (!plan->legacy) /* legacy loopbacks sit in unused host numbers of the pod LAN */
				v[n++] = (struct leaf){ nd->lo4, nd->name };
			assert_true(pi_prefix_contains(&plan->pods[nd->pod].v4, &nd->lo4));
		}
		if (pi_prefix_is_set(&nd->lo6)) {
			assert_int_equal(nd->lo6.len, 128);
			if (!plan->legacy)
				v[n++] = (struct leaf){ nd->lo6, nd->name };
			assert_true(pi_prefix_contains(&plan->pods[nd->pod].v6, &nd->lo6));
		}
	}
	assert_true(n <= cap);
	qsort(v, n, sizeof(*v), cmp_leaf);
	for (size_t i = 1; i < n; i++)
		if (pi_prefix_overlaps(&v[i - 1].p, &v[i].p)) {
			char a[PI_PREFIX_STRLEN], b[PI_PREFIX_STRLEN];
			fail_msg("%s (%s) overlaps %s (%s)", pi_prefix_fmt(&v[i - 1].p, a), v[i - 1].what,
				 pi_prefix_fmt(&v[i].p, b), v[i].what);
		}
	free(v);
	free(aggs);
}

static void check_nodes(const struct pi_plan *plan)
{
	char **names = calloc(plan->n_nodes + plan->n_links + 1, sizeof(char *));
	size_t nn = 0;
	char **ifn = calloc(plan->n_ifaces + 1, sizeof(char *));
	for (uint32_t k = 0; k < plan->n_nodes; k++) {
		const struct pi_plan_node *nd = &plan->nodes[k];
		if (!name_ok(nd->name, 40))
			fail_msg("bad node name '%s'", nd->name);
		names[nn++] = strdup(nd->name);
		assert_int_equal(nd->fqdn[strlen(nd->fqdn) - 1], '.');
		assert_true(k >= plan->pods[nd->pod].first_node &&
			    k < plan->pods[nd->pod].first_node + plan->pods[nd->pod].n_nodes);
		for (uint32_t i = 0; i < nd->n_ifaces; i++) {
			uint32_t fi = nd->first_iface + i;
			const struct pi_plan_iface *f = &plan->ifaces[fi];
			assert_int_equal(f->node, k);
			if (!name_ok(f->name, 15))
				fail_msg("bad interface name '%s' on %s", f->name, nd->name);
			assert_int_not_equal(f->name[strlen(f->name) - 1], '-');
			assert_int_equal(f->mac[0] & 0x03, 0x02); /* unicast, locally administered */
			char buf[64];
			snprintf(buf, sizeof(buf), "%u/%s", k, f->name);
			ifn[fi] = strdup(buf);
			size_t fl = strlen(f->fqdn), nl = strlen(nd->fqdn);
			assert_true(fl > nl && strcmp(f->fqdn + fl - nl, nd->fqdn) == 0);
		}
		/* Hosts: the gateway is a router of the same pod on a shared LAN. */
		const struct pi_prefix *gws[2] = { &nd->gw4, &nd->gw6 };
		for (int g = 0; g < 2; g++) {
			if (!pi_prefix_is_set(gws[g]))
				continue;
			assert_false(nd->services & PI_SVC_ROUTER);
			bool found = false;
			for (uint32_t i = 0; i < nd->n_ifaces && !found; i++) {
				const struct pi_plan_link *lk = &plan->links[plan->ifaces[nd->first_iface + i].link];
				for (uint32_t j = 0; j < lk->n_ifaces && !found; j++) {
					const struct pi_plan_iface *o = &plan->ifaces[lk->ifaces[j]];
					struct pi_prefix h = pi_prefix_as_host(g == 0 ? &o->v4 : &o->v6);
					found = pi_prefix_is_set(&h) && pi_prefix_equal(&h, gws[g]) &&
						(plan->nodes[o->node].services & PI_SVC_ROUTER) && plan->nodes[o->node].pod == nd->pod;
				}
			}
			if (!found)
				fail_msg("gateway of %s is not a router on its LAN", nd->name);
		}
		if (!(nd->services & (PI_SVC_ROUTER | PI_SVC_RS)) && nd->n_ifaces && !plan->legacy)
			assert_true(pi_prefix_is_set(&nd->gw6));
	}
	for (uint32_t l = 0; l < plan->n_links; l++)
		if (plan->links[l].kind == PI_LINK_LAN)
			names[nn++] = strdup(plan->links[l].name);
	assert_unique(names, nn, "node or bridge name");
	assert_unique(ifn, plan->n_ifaces, "interface name on a node");
	for (uint32_t r = 0; r < plan->n_routes; r++) {
		const struct pi_plan_route *rt = &plan->routes[r];
		assert_true(rt->node < plan->n_nodes);
		assert_true(pi_prefix_is_set(&rt->via));
		if (rt->dst.len == 0)
			assert_true(pi_prefix_equal(&rt->via, rt->dst.family == 4 ? &plan->nodes[rt->node].gw4
										 : &plan->nodes[rt->node].gw6));
	}
}

static void check_sessions(const struct pi_plan *plan)
{
	char **keys = calloc(plan->n_sessions * 2 + 1, sizeof(char *));
	for (uint32_t i = 0; i < plan->n_sessions; i++) {
		const struct pi_plan_session *s = &plan->sessions[i];
		if (!bird_sym_ok(s->name))
			fail_msg("bad session name '%s'", s->name);
		char buf[128];
		snprintf(buf, sizeof(buf), "%u/%s", s->a, s->name);
		keys[2 * i] = strdup(buf);
		snprintf(buf, sizeof(buf), "%u/%s", s->b, s->name);
		keys[2 * i + 1] = strdup(buf);
		assert_int_equal(s->a_addr.family, s->family);
		assert_int_equal(s->b_addr.family, s->family);
		assert_int_equal(s->a_addr.len, s->family == 4 ? 32 : 128);
		assert_false(pi_prefix_equal(&s->a_addr, &s->b_addr));
		const struct pi_plan_node *a = &plan->nodes[s->a], *b = &plan->nodes[s->b];
		if (s->rel == PI_REL_IBGP) {
			assert_int_equal(a->pod, b->pod);
			assert_int_equal(s->a_iface, PI_NONE);
			assert_true(pi_prefix_equal(&s->a_addr, s->family == 4 ? &a->lo4 : &a->lo6));
			assert_int_equal(s->a_max_prefix, 0);
			if (s->b_is_rr_client)
				assert_true(a->route_reflector);
			continue;
		}
		assert_int_not_equal(a->pod, b->pod);
		assert_int_not_equal(plan->pods[a->pod].asn, plan->pods[b->pod].asn);
		assert_int_equal(plan->ifaces[s->a_iface].node, s->a);
		assert_int_equal(plan->ifaces[s->b_iface].node, s->b);
		assert_int_equal(plan->ifaces[s->a_iface].link, plan->ifaces[s->b_iface].link);
		struct pi_prefix ha = pi_prefix_as_host(s->family == 4 ? &plan->ifaces[s->a_iface].v4 : &plan->ifaces[s->a_iface].v6);
		assert_true(pi_prefix_equal(&ha, &s->a_addr));
		assert_true(s->a_max_prefix >= 12 && s->b_max_prefix >= 12);
		if (s->rel == PI_REL_RS)
			assert_true(b->services & PI_SVC_RS);
		if (s->rel == PI_REL_CUSTOMER)
			assert_int_equal(s->b_max_prefix, PI_PLAN_PROVIDER_LIMIT);
	}
	assert_unique(keys, plan->n_sessions * 2, "session name on a router");
}

static bool in_zone(const char *owner, const char *zone)
{
	if (strcmp(zone, ".") == 0)
		return true;
	size_t o = strlen(owner), z = strlen(zone);
	return o >= z && strcmp(owner + o - z, zone) == 0 && (o == z || owner[o - z - 1] == '.');
}

static void check_route_index(const struct pi_plan *plan)
{
	uint32_t total = 0;
	for (uint32_t n = 0; n < plan->n_nodes; n++) {
		const struct pi_plan_node *nd = &plan->nodes[n];
		assert_true(nd->first_route + nd->n_routes <= plan->n_routes);
		for (uint32_t r = nd->first_route; r < nd->first_route + nd->n_routes; r++)
			assert_int_equal(plan->routes[r].node, n);
		total += nd->n_routes;
	}
	assert_int_equal(total, plan->n_routes);
}

static void check_zones(const struct pi_plan *plan)
{
	/* The zone index: lab-wide zones first, each pod's contiguous, every
	 * pod zone below a lab-wide one, and its servers in that pod. */
	assert_true(plan->n_lab_zones <= plan->n_zones);
	for (uint32_t z = 0; z < plan->n_zones; z++) {
		const struct pi_plan_zone *zn = &plan->zones[z];
		if (z < plan->n_lab_zones) {
			assert_int_equal(zn->pod, PI_NONE);
			continue;
		}
		assert_int_not_equal(zn->pod, PI_NONE);
		const struct pi_plan_pod *pod = &plan->pods[zn->pod];
		assert_true(z >= pod->first_zone && z < pod->first_zone + pod->n_zones);
		bool below = false;
		for (uint32_t l = 0; l < plan->n_lab_zones; l++)
			below |= strcmp(plan->zones[l].name, ".") != 0 && in_zone(zn->name, plan->zones[l].name);
		assert_true(below);
		for (uint32_t i = 0; i < zn->n_servers; i++)
			assert_int_equal(plan->nodes[zn->servers[i]].pod, zn->pod);
	}
	for (uint32_t z = 0; z < plan->n_zones; z++) {
		const struct pi_plan_zone *zn = &plan->zones[z];
		assert_true(zn->n_servers >= 1);
		assert_true(zn->n_rrs >= 2);
		assert_int_equal(zn->rrs[0].type, PI_RR_SOA);
		assert_string_equal(zn->rrs[0].owner, zn->name);
		assert_int_equal(zn->rrs[1].type, PI_RR_NS);
		for (uint32_t i = 0; i < zn->n_rrs; i++) {
			const struct pi_plan_rr *r = &zn->rrs[i];
			if (!in_zone(r->owner, zn->name))
				fail_msg("record %s out of zone %s", r->owner, zn->name);
			assert_int_equal(r->owner[strlen(r->owner) - 1], '.');
			if (i > 0)
				assert_true(r->type != PI_RR_SOA);
		}
	}
}

void check_plan(const struct pi_plan *plan)
{
	check_plan_ex(plan, false);
}

void check_plan_ex(const struct pi_plan *plan, bool explicit_asns)
{
	check_graph(plan, !explicit_asns);
	check_addresses(plan);
	check_nodes(plan);
	check_sessions(plan);
	check_zones(plan);
	check_route_index(plan);
}
