/*
 * rpki: route origin authorisations from the plan, the cache that serves
 * them, and which pods validate (a lab's `rpki:`; docs/testing-bgp.md,
 * "RPKI"). A pod's ROAs say what it really originates: each aggregate
 * with maxLength its own length, the anycast prefixes for each anycast pod,
 * a generated table's block with maxLength its longest prefix. A lab's
 * `mistakes` then break some on purpose (a pod's own prefixes, never the
 * shared anycast ones). Routes replayed from an MRT dump
 * get no ROA (their origins are not the lab's ASes): they are unknown.
 */
#include <string.h>
#include "internal.h"

static const char *const state_names[] = { "", "unknown", "valid", "invalid" };

const char *pi_roa_state_name(enum pi_roa_state s)
{
	return s <= PI_ROA_INVALID ? state_names[s] : "?";
}

static uint32_t pod_ref(struct pl_ctx *c, const char *name, struct pi_pos pos, const char *what)
{
	uint32_t p = pl_map_get(&c->pods, name);
	if (p == PI_NONE || p >= c->plan->n_pods)
		PL_ERR(c, pos, "name a pod of the lab (generated pods are named like transit1)",
		       "rpki %s: no pod named '%s'", what, name);
	else if (c->plan->pods[p].tier == PI_TIER_IXP)
		PL_ERR(c, pos, "name a transit or stub pod", "rpki %s: '%s' is an IXP", what, name);
	else
		return p;
	return PI_NONE;
}

uint32_t pl_rpki_pods(struct pl_ctx *c)
{
	const struct pi_lab_rpki *r = &c->lab->rpki;
	struct pi_plan *plan = c->plan;
	plan->rpki_cache = PI_NONE;
	plan->rpki = r->enabled;
	if (!r->enabled)
		return PI_NONE;
	for (uint32_t p = 0; p < plan->n_pods; p++)
		plan->pods[p].rov = r->rov_all && plan->pods[p].tier != PI_TIER_IXP;
	for (size_t i = 0; i < r->n_rov; i++) {
		uint32_t p = pod_ref(c, r->rov[i], r->rov_pos[i], "rov");
		if (p != PI_NONE)
			plan->pods[p].rov = true;
	}
	for (size_t i = 0; i < r->n_mistakes; i++)
		pod_ref(c, r->mistakes[i].pod, r->mistakes[i].pos, "mistakes");
	uint32_t cache = PI_NONE;
	if (r->cache) {
		cache = pod_ref(c, r->cache, r->cache_pos, "cache");
	} else {
		for (uint32_t p = 0; p < plan->n_pods && cache == PI_NONE; p++)
			if (plan->pods[p].tier == PI_TIER_TRANSIT)
				cache = p;
		if (cache == PI_NONE)
			PL_ERR(c, r->pos, "add a transit pod, or name the cache's pod: rpki: {cache: POD}",
			       "rpki: the lab has no transit pod for the cache");
	}
	if (cache == PI_NONE)
		return PI_NONE;
	const struct pi_blueprint *bp = plan->pods[cache].bp;
	bool has = false;
	for (size_t i = 0; i < bp->n_roles && !has; i++)
		has = (bp->roles[i].services & PI_SVC_RPKI) != 0;
	if (!has)
		PL_ERR(c, r->cache_pos.line ? r->cache_pos : r->pos,
		       "add a role with services: [rpki] (count 0, max 1) to the blueprint, as blueprints/transit.yml has",
		       "rpki: blueprint '%s' of pod %s has no role for the cache", bp->name, plan->pods[cache].name);
	return cache;
}

static const struct pi_lab_rpki_mistake *mistake_of(const struct pl_ctx *c, const char *pod)
{
	const struct pi_lab_rpki *r = &c->lab->rpki;
	for (size_t i = 0; i < r->n_mistakes; i++)
		if (strcmp(r->mistakes[i].pod, pod) == 0)
			return &r->mistakes[i];
	return NULL;
}

/* An ASN no pod has (the documentation range first, RFC 5398). */
static uint32_t stranger_asn(const struct pi_plan *plan)
{
	for (uint32_t a = 64496;; a++)
		if (pi_plan_pod_by_asn(plan, a) == PI_NONE)
			return a;
}

static void roa_add(struct pi_vec *v, const struct pi_prefix *net, unsigned max_len, uint32_t asn, uint32_t pod,
		    const struct pi_lab_rpki_mistake *m, uint32_t stranger)
{
	if (!pi_prefix_is_set(net) || (m && m->kind == PI_RPKI_MISSING))
		return;
	struct pi_plan_roa *r = pi_vec_push(v);
	r->net = pi_prefix_network(net);
	r->max_len = (uint8_t)(max_len < net->len ? net->len : max_len);
	r->asn = asn;
	r->pod = pod;
	if (!m)
		return;
	if (m->kind == PI_RPKI_WRONG_ORIGIN)
		r->asn = stranger;
	else if (m->kind == PI_RPKI_TOO_SHORT_MAXLEN && r->net.len > 0) {
		/* A covering ROA one bit shorter that allows only itself: the
		 * prefix the pod announces is longer than it permits. */
		r->net.len--;
		r->net = pi_prefix_network(&r->net);
		r->max_len = r->net.len;
	}
}

void pl_roas(struct pl_ctx *c, uint32_t cache_pod)
{
	struct pi_plan *plan = c->plan;
	if (!plan->rpki)
		return;
	struct pi_vec v = PI_VEC_INIT(struct pi_plan_roa);
	uint32_t stranger = stranger_asn(plan);
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		const struct pi_plan_pod *pod = &plan->pods[p];
		if (pod->tier == PI_TIER_IXP)
			continue;
		const struct pi_lab_rpki_mistake *m = mistake_of(c, pod->name);
		roa_add(&v, &pod->v4, pod->v4.len, pod->asn, p, m, stranger);
		roa_add(&v, &pod->v6, pod->v6.len, pod->asn, p, m, stranger);
		if (pod->anycast) { /* shared by every anycast pod: a mistake would break the others' too */
			roa_add(&v, &plan->anycast4, plan->anycast4.len, pod->asn, p, NULL, stranger);
			roa_add(&v, &plan->anycast6, plan->anycast6.len, pod->asn, p, NULL, stranger);
		}
		const struct pi_plan_table *t = pod->table;
		if (t && !t->mrt) {
			roa_add(&v, &t->block4, t->maxlen4, pod->asn, p, m, stranger);
			roa_add(&v, &t->block6, t->maxlen6, pod->asn, p, m, stranger);
		}
	}
	plan->n_roas = (uint32_t)v.len;
	plan->roas = pi_arena_alloc(&plan->arena, (v.len + 1) * sizeof(*plan->roas));
	if (v.len)
		memcpy(plan->roas, v.data, v.len * sizeof(*plan->roas));
	pi_vec_free(&v);
	if (cache_pod == PI_NONE)
		return;
	const struct pi_plan_pod *cp = &plan->pods[cache_pod];
	for (uint32_t n = cp->first_node; n < cp->first_node + cp->n_nodes && plan->rpki_cache == PI_NONE; n++)
		if (plan->nodes[n].services & PI_SVC_RPKI)
			plan->rpki_cache = n;
}

/* Does the plan's node role count need one more node: the cache pod's rpki role. */
bool pl_rpki_wants_node(const struct pl_ctx *c, uint32_t pod, const struct pi_bp_role *role)
{
	return (role->services & PI_SVC_RPKI) && pod == c->rpki_pod;
}

enum pi_roa_state pi_plan_roa_state(const struct pi_plan *plan, const struct pi_prefix *net, uint32_t origin)
{
	if (!plan->rpki)
		return PI_ROA_NONE;
	bool covered = false;
	for (uint32_t i = 0; i < plan->n_roas; i++) {
		const struct pi_plan_roa *r = &plan->roas[i];
		if (r->net.family != net->family || !pi_prefix_contains(&r->net, net))
			continue;
		covered = true;
		if (r->asn == origin && origin != 0 && net->len <= r->max_len)
			return PI_ROA_VALID;
	}
	return covered ? PI_ROA_INVALID : PI_ROA_UNKNOWN;
}

struct pi_prefix pi_plan_rpki_cache_addr(const struct pi_plan *plan, uint8_t family)
{
	struct pi_prefix none = { 0 };
	if (plan->rpki_cache == PI_NONE || plan->rpki_cache >= plan->n_nodes)
		return none;
	const struct pi_plan_node *n = &plan->nodes[plan->rpki_cache];
	for (uint32_t i = 0; i < n->n_ifaces; i++) {
		const struct pi_plan_iface *f = pi_plan_node_iface(plan, plan->rpki_cache, i);
		const struct pi_prefix *a = family == PI_AF_V4 ? &f->v4 : &f->v6;
		if (pi_prefix_is_set(a))
			return pi_prefix_as_host(a);
	}
	return none;
}
