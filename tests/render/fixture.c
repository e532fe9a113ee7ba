/* fixture: see fixture.h. Built field by field so that render tests do not
 * depend on the planner's choices. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fixture.h"

static struct pi_prefix P(const char *s)
{
	struct pi_prefix p;
	memset(&p, 0, sizeof(p));
	if (s && pi_prefix_parse(s, &p) != 0)
		abort();
	return p;
}

static uint32_t *idx(struct pi_arena *a, int n, ...)
{
	va_list ap;
	uint32_t *v = pi_arena_alloc(a, sizeof(uint32_t) * (size_t)(n + 1));
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		v[i] = (uint32_t)va_arg(ap, int);
	va_end(ap);
	return v;
}

static void add_rr(struct pi_plan_zone *z, struct pi_arena *a, const char *owner, enum pi_rr_type t, const char *data)
{
	struct pi_plan_rr *rr = &z->rrs[z->n_rrs++];
	rr->owner = pi_arena_strdup(a, owner);
	rr->type = t;
	rr->data = pi_arena_strdup(a, data);
}

static void sess(struct pi_plan *p, const char *name, uint32_t a, uint32_t b, uint8_t fam, const char *aa,
		 const char *ba, uint32_t ai, uint32_t bi, enum pi_rel rel, uint32_t amax, uint32_t bmax)
{
	struct pi_plan_session *s = &p->sessions[p->n_sessions++];
	s->name = name;
	s->a = a;
	s->b = b;
	s->family = fam;
	s->a_addr = P(aa);
	s->b_addr = P(ba);
	s->a_iface = ai;
	s->b_iface = bi;
	s->rel = rel;
	s->a_max_prefix = amax;
	s->b_max_prefix = bmax;
}

struct pi_plan *fixture_plan(void)
{
	struct pi_plan *p = calloc(1, sizeof(*p));
	struct pi_arena *a = &p->arena;
	p->lab_name = "fixture";
	p->lab_file = "fixture.yml";
	p->tld = "pocket";
	p->seed = 1;
	p->v4 = P("10.0.0.0/8");
	p->v6 = P("2001:db8::/32");
	p->anycast4 = P("10.9.0.0/24");
	p->anycast6 = P("2001:db8:9::/48");

	static const char *const pod_names[] = { "t", "a", "b" };
	static const char *const v4s[] = { "10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16" };
	static const char *const v6s[] = { "2001:db8::/48", "2001:db8:1::/48", "2001:db8:2::/48" };
	p->n_pods = 3;
	p->pods = pi_arena_alloc(a, sizeof(*p->pods) * 3);
	for (uint32_t i = 0; i < 3; i++) {
		struct pi_plan_pod *pod = &p->pods[i];
		pod->name = pod_names[i];
		pod->tier = i == 0 ? PI_TIER_TRANSIT : PI_TIER_STUB;
		pod->asn = 65000 + i;
		pod->v4 = P(v4s[i]);
		pod->v6 = P(v6s[i]);
		pod->domain = pi_arena_printf(a, "%s.pocket.", pod_names[i]);
	}
	p->pods[0].cone = idx(a, 3, 0, 1, 2);
	p->pods[0].n_cone = 3;
	p->pods[1].cone = idx(a, 1, 1);
	p->pods[1].n_cone = 1;
	p->pods[2].cone = idx(a, 1, 2);
	p->pods[2].n_cone = 1;
	p->pods[2].anycast = true;
	p->pods[0].first_node = 0, p->pods[0].n_nodes = 2;
	p->pods[1].first_node = 2, p->pods[1].n_nodes = 1;
	p->pods[2].first_node = 3, p->pods[2].n_nodes = 2;

	p->n_nodes = FX_N_NODES;
	p->nodes = pi_arena_alloc(a, sizeof(*p->nodes) * FX_N_NODES);
	struct {
		const char *name, *role;
		unsigned svc;
		uint32_t pod;
		const char *lo4, *lo6;
	} nd[] = {
		{ "t-r1", "border", PI_SVC_ROUTER | PI_SVC_EBGP, 0, "10.0.255.1/32", "2001:db8::1/128" },
		{ "t-ns1", "dns", PI_SVC_AUTHDNS | PI_SVC_RESOLVER, 0, "10.0.255.2/32", "2001:db8::2/128" },
		{ "a-r1", "border", PI_SVC_ROUTER | PI_SVC_EBGP, 1, "10.1.255.1/32", "2001:db8:1::1/128" },
		{ "b-r1", "border", PI_SVC_ROUTER | PI_SVC_EBGP, 2, "10.2.255.1/32", "2001:db8:2::1/128" },
		{ "b-web1", "web", PI_SVC_HTTP, 2, "10.2.255.2/32", "2001:db8:2::2/128" },
	};
	for (uint32_t i = 0; i < FX_N_NODES; i++) {
		struct pi_plan_node *n = &p->nodes[i];
		n->name = nd[i].name;
		n->role = nd[i].role;
		n->services = nd[i].svc;
		n->pod = nd[i].pod;
		n->index = 1;
		n->lo4 = P(nd[i].lo4);
		n->lo6 = P(nd[i].lo6);
		n->fqdn = pi_arena_printf(a, "%s.%s.pocket.", strchr(nd[i].name, '-') + 1, pod_names[nd[i].pod]);
		n->resolver4 = P("10.0.255.2/32");
		n->resolver6 = P("2001:db8::2/128");
	}
	p->nodes[FX_T_NS1].root_dns = true;
	p->nodes[FX_T_NS1].tld_dns = true;
	p->nodes[FX_T_NS1].gw4 = P("10.0.1.1/32");
	p->nodes[FX_B_WEB1].gw4 = P("10.2.1.1/32");
	p->nodes[FX_B_WEB1].anycast4 = P("10.9.0.1/32");
	p->nodes[FX_B_WEB1].anycast6 = P("2001:db8:9::1/128");

	/* Ifaces grouped by node: t-r1 (0-2), t-ns1 (3), a-r1 (4-5), b-r1 (6-8), b-web1 (9). */
	p->ifaces = pi_arena_alloc(a, sizeof(*p->ifaces) * 10);
	p->links = pi_arena_alloc(a, sizeof(*p->links) * 5);
	p->n_links = 5;
	/* Links are created in an order that keeps ifaces grouped, so add
	 * ifaces per node by hand: first record which link each iface joins. */
	struct {
		uint32_t node, link;
		const char *name, *v4, *v6;
	} ifs[10] = {
		{ FX_T_R1, 0, "to-a", "10.0.0.0/31", "2001:db8:0:100::/127" },
		{ FX_T_R1, 1, "to-b", "10.0.0.2/31", "2001:db8:0:101::/127" },
		{ FX_T_R1, 2, "srv0", "10.0.1.1/24", "2001:db8:0:1::1/64" },
		{ FX_T_NS1, 2, "srv0", "10.0.1.2/24", "2001:db8:0:1::2/64" },
		{ FX_A_R1, 0, "to-t", "10.0.0.1/31", "2001:db8:0:100::1/127" },
		{ FX_A_R1, 3, "to-b", "10.1.0.0/31", "2001:db8:1:100::/127" },
		{ FX_B_R1, 1, "to-t", "10.0.0.3/31", "2001:db8:0:101::1/127" },
		{ FX_B_R1, 3, "to-a", "10.1.0.1/31", "2001:db8:1:100::1/127" },
		{ FX_B_R1, 4, "srv0", "10.2.1.1/24", "2001:db8:2:1::1/64" },
		{ FX_B_WEB1, 4, "srv0", "10.2.1.2/24", "2001:db8:2:1::2/64" },
	};
	static const struct {
		enum pi_link_kind kind;
		enum pi_link_scope scope;
		uint32_t pod;
		const char *name, *v4, *v6;
	} lk[5] = {
		{ PI_LINK_P2P, PI_SCOPE_EXTERNAL, 0, "t-r1--a-r1", "10.0.0.0/31", "2001:db8:0:100::/127" },
		{ PI_LINK_P2P, PI_SCOPE_EXTERNAL, 0, "t-r1--b-r1", "10.0.0.2/31", "2001:db8:0:101::/127" },
		{ PI_LINK_LAN, PI_SCOPE_INTERNAL, 0, "t-srv", "10.0.1.0/24", "2001:db8:0:1::/64" },
		{ PI_LINK_P2P, PI_SCOPE_EXTERNAL, 1, "a-r1--b-r1", "10.1.0.0/31", "2001:db8:1:100::/127" },
		{ PI_LINK_LAN, PI_SCOPE_INTERNAL, 2, "b-srv", "10.2.1.0/24", "2001:db8:2:1::/64" },
	};
	for (uint32_t l = 0; l < 5; l++) {
		struct pi_plan_link *L = &p->links[l];
		L->kind = lk[l].kind;
		L->scope = lk[l].scope;
		L->pod = lk[l].pod;
		L->name = lk[l].name;
		L->v4 = P(lk[l].v4);
		L->v6 = P(lk[l].v6);
		L->mtu = 1500;
		L->ifaces = pi_arena_alloc(a, sizeof(uint32_t) * 4);
	}
	p->n_ifaces = 10;
	for (uint32_t k = 0; k < 10; k++) {
		struct pi_plan_iface *f = &p->ifaces[k];
		snprintf(f->name, sizeof(f->name), "%s", ifs[k].name);
		f->node = ifs[k].node;
		f->link = ifs[k].link;
		f->v4 = P(ifs[k].v4);
		f->v6 = P(ifs[k].v6);
		f->mac[0] = 0x02;
		f->mac[5] = (uint8_t)k;
		f->fqdn = pi_arena_printf(a, "%s.%s", f->name, p->nodes[f->node].fqdn);
		struct pi_plan_link *L = &p->links[f->link];
		L->ifaces[L->n_ifaces++] = k;
		if (p->nodes[f->node].n_ifaces == 0)
			p->nodes[f->node].first_iface = k;
		p->nodes[f->node].n_ifaces++;
	}

	p->sessions = pi_arena_alloc(a, sizeof(*p->sessions) * 6);
	sess(p, "ebgp_t_a_v4", FX_T_R1, FX_A_R1, PI_AF_V4, "10.0.0.0/32", "10.0.0.1/32", 0, 4, PI_REL_CUSTOMER, 12,
	     PI_PLAN_PROVIDER_LIMIT);
	sess(p, "ebgp_t_a_v6", FX_T_R1, FX_A_R1, PI_AF_V6, "2001:db8:0:100::/128", "2001:db8:0:100::1/128", 0, 4,
	     PI_REL_CUSTOMER, 12, PI_PLAN_PROVIDER_LIMIT);
	sess(p, "ebgp_t_b_v4", FX_T_R1, FX_B_R1, PI_AF_V4, "10.0.0.2/32", "10.0.0.3/32", 1, 6, PI_REL_CUSTOMER, 12,
	     PI_PLAN_PROVIDER_LIMIT);
	sess(p, "ebgp_t_b_v6", FX_T_R1, FX_B_R1, PI_AF_V6, "2001:db8:0:101::/128", "2001:db8:0:101::1/128", 1, 6,
	     PI_REL_CUSTOMER, 12, PI_PLAN_PROVIDER_LIMIT);
	sess(p, "ebgp_a_b_v4", FX_A_R1, FX_B_R1, PI_AF_V4, "10.1.0.0/32", "10.1.0.1/32", 5, 7, PI_REL_PEER, 12, 12);
	sess(p, "ebgp_a_b_v6", FX_A_R1, FX_B_R1, PI_AF_V6, "2001:db8:1:100::/128", "2001:db8:1:100::1/128", 5, 7,
	     PI_REL_PEER, 12, 12);
	pi_plan_index_sessions(p);

	/* DNS: the root and the TLD on t-ns1. */
	p->n_zones = 2;
	p->n_lab_zones = 2;
	p->zones = pi_arena_alloc(a, sizeof(*p->zones) * 2);
	struct pi_plan_zone *root = &p->zones[0], *tld = &p->zones[1];
	root->name = ".";
	root->kind = PI_ZONE_ROOT;
	root->pod = PI_NONE;
	tld->name = "pocket.";
	tld->kind = PI_ZONE_TLD;
	tld->pod = PI_NONE;
	for (int z = 0; z < 2; z++) {
		p->zones[z].servers = idx(a, 1, FX_T_NS1);
		p->zones[z].n_servers = 1;
		p->zones[z].rrs = pi_arena_alloc(a, sizeof(struct pi_plan_rr) * 8);
	}
	add_rr(root, a, ".", PI_RR_SOA, "ns1.t.pocket. hostmaster.pocket. 1 3600 900 604800 300");
	add_rr(root, a, ".", PI_RR_NS, "ns1.t.pocket.");
	add_rr(root, a, "pocket.", PI_RR_NS, "ns1.t.pocket.");
	add_rr(root, a, "ns1.t.pocket.", PI_RR_A, "10.0.1.2");
	add_rr(root, a, "ns1.t.pocket.", PI_RR_AAAA, "2001:db8:0:1::2");
	add_rr(tld, a, "pocket.", PI_RR_SOA, "ns1.t.pocket. hostmaster.pocket. 1 3600 900 604800 300");
	add_rr(tld, a, "pocket.", PI_RR_NS, "ns1.t.pocket.");
	add_rr(tld, a, "ns1.t.pocket.", PI_RR_A, "10.0.1.2");
	add_rr(tld, a, "ns1.t.pocket.", PI_RR_AAAA, "2001:db8:0:1::2");
	add_rr(tld, a, "www.b.pocket.", PI_RR_A, "10.2.1.2");
	add_rr(tld, a, "www.b.pocket.", PI_RR_AAAA, "2001:db8:2:1::2");

	/* Hosts' defaults. */
	p->n_routes = 2;
	p->routes = pi_arena_alloc(a, sizeof(*p->routes) * 2);
	p->routes[0] = (struct pi_plan_route){ FX_T_NS1, P("0.0.0.0/0"), P("10.0.1.1/32") };
	p->routes[1] = (struct pi_plan_route){ FX_B_WEB1, P("0.0.0.0/0"), P("10.2.1.1/32") };
	p->nodes[FX_T_NS1].first_route = 0;
	p->nodes[FX_T_NS1].n_routes = 1;
	p->nodes[FX_B_WEB1].first_route = 1;
	p->nodes[FX_B_WEB1].n_routes = 1;
	return p;
}

void fixture_free(struct pi_plan *p)
{
	if (!p)
		return;
	pi_arena_free(&p->arena);
	free(p);
}
