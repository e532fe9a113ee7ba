/*
 * Stable plans (docs/plan.md, "Stable plans and pins"), over many seeds
 * and two labs: 3/2/4/3 (like labs/lab.yml) for PI_STABLE_SEEDS seeds
 * (default 200) and 8/3/12/6 transit/ixp/broadband/content pods for a
 * quarter of them (its plans are four times the size: the whole test stays
 * under ~20 s; PI_STABLE_SEEDS=800 runs 200 of the big one).
 *   - without pins, one more broadband or content pod keeps every existing
 *     pod's ASN and aggregates and every existing node's name, interface
 *     names and addresses;
 *   - with pins of the old plan, the same holds for one more transit pod,
 *     one more IXP, two more pods and one fewer, and a pod inserted in the
 *     middle of the lab's order; the diff names exactly the pods' nodes
 *     that came or went and changes no link of a kept node except toward
 *     them;
 *   - the same lab and seed give a byte-identical plan.json, and planning
 *     a lab with its own pins changes nothing (byte-identical plan.json);
 *   - a pinned build is a fixpoint: planning the changed lab once more with
 *     the pins of its pinned plan gives the same plan.json (every pinned
 *     case above, every third seed), so a second `setup` changes nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "check.h"
#include "fab.h"
#include "pocketinternet/plan.h"

struct shape {
	unsigned t, i, b, c;
};
static const struct shape shapes[2] = { { 3, 2, 4, 3 }, { 8, 3, 12, 6 } };

/* PI_STABLE_SEEDS, else 200; under valgrind (scripts/test.sh runs the
 * pure suites in it, some 50 times slower) 20, and in the ASan build
 * (about 5 times slower) 60, unless the variable says. The full 200 run in
 * the plain build. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED_SEEDS 60
#else
#define SANITIZED_SEEDS 200
#endif
static unsigned n_seeds(void)
{
	const char *s = getenv("PI_STABLE_SEEDS"), *pre = getenv("LD_PRELOAD");
	unsigned dflt = pre && strstr(pre, "vgpreload") ? 20 : SANITIZED_SEEDS;
	unsigned n = s ? (unsigned)strtoul(s, NULL, 10) : dflt;
	return n ? n : 1;
}

/* The lab of shape s; mid: an explicit broadband pod "mid" between the
 * IXPs and the broadband pods. */
static struct pi_lab *lab_of(uint64_t seed, struct shape s, bool mid)
{
	struct pi_lab *lab = fab_lab("stable", seed, 0, 0, 0, 0);
	fab_add_count(lab, "transit", s.t);
	fab_add_count(lab, "ixp", s.i);
	if (mid)
		fab_add_pod(lab, "mid", "broadband", 0);
	fab_add_count(lab, "broadband", s.b);
	fab_add_count(lab, "content", s.c);
	return lab;
}

static struct pi_plan *plan_of(const struct pi_lab *lab, const struct pi_plan_pins *pins)
{
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_plan *plan = NULL;
	if (pi_plan_build_pinned(lab, pins, &plan, &d)) {
		pi_diag_print(&d, stderr);
		fail_msg("seed %llu does not plan", (unsigned long long)lab->seed);
	}
	pi_diag_free(&d);
	check_plan(plan);
	return plan;
}

static char *json_of(const struct pi_plan *plan)
{
	struct pi_buf b;
	pi_buf_init(&b);
	assert_int_equal(pi_plan_write_json(plan, &b), 0);
	return pi_buf_steal(&b);
}

/* Pins read back from js, the plan's JSON (as setup reads plan.json). */
static struct pi_plan_pins *pins_of(const char *js)
{
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_plan_pins *pins = NULL;
	assert_int_equal(pi_plan_pins_load(js, strlen(js), &pins, &d), 0);
	pi_diag_free(&d);
	return pins;
}

/* Without pins, the documented exception (docs/plan.md): a member's host
 * number on an IXP LAN is keyed by the names, and a contested number goes
 * to the pod earlier in the lab, so a pod added before a member can take
 * its number, and that member (or one it displaces in turn) moves. True
 * when f's old address is now held by an interface of a new pod, or by one
 * that itself moved. */
static unsigned displaced;
static bool displaced_on_ixp(const struct pi_plan *a, const struct pi_plan *b, const struct pi_plan_iface *f)
{
	if (a->links[f->link].scope != PI_SCOPE_IXP)
		return false;
	for (uint32_t g = 0; g < b->n_ifaces; g++) {
		const struct pi_plan_iface *h = &b->ifaces[g];
		if (!pi_prefix_equal(&h->v4, &f->v4) || !pi_prefix_equal(&h->v6, &f->v6))
			continue;
		uint32_t was = pi_plan_node_by_name(a, b->nodes[h->node].name);
		if (was == PI_NONE)
			return true; /* a new pod's */
		for (uint32_t i = 0; i < a->nodes[was].n_ifaces; i++) {
			const struct pi_plan_iface *o = pi_plan_node_iface(a, was, i);
			if (strcmp(o->name, h->name) == 0)
				return !pi_prefix_equal(&o->v4, &h->v4); /* moved itself */
		}
		return true; /* a new interface of a kept node */
	}
	return false;
}

/* Every pod of a that b still has keeps ASN and aggregates; every node
 * keeps its loopbacks, and each of its interfaces is in b with the same
 * name and addresses (b may add interfaces). Returns the first difference
 * ("" when none). */
static const char *kept_same(const struct pi_plan *a, const struct pi_plan *b, char *why, size_t n, bool pinned)
{
	*why = 0;
	for (uint32_t p = 0; p < a->n_pods && !*why; p++) {
		uint32_t q = pi_plan_pod_by_name(b, a->pods[p].name);
		if (q == PI_NONE)
			continue;
		const struct pi_plan_pod *x = &a->pods[p], *y = &b->pods[q];
		if (x->asn != y->asn || !pi_prefix_equal(&x->v4, &y->v4) || !pi_prefix_equal(&x->v6, &y->v6) ||
		    !pi_prefix_equal(&x->cgnat_pool, &y->cgnat_pool))
			snprintf(why, n, "pod %s: ASN or aggregates", x->name);
	}
	for (uint32_t k = 0; k < a->n_nodes && !*why; k++) {
		uint32_t m = pi_plan_node_by_name(b, a->nodes[k].name);
		if (m == PI_NONE)
			continue;
		const struct pi_plan_node *x = &a->nodes[k], *y = &b->nodes[m];
		if (!pi_prefix_equal(&x->lo4, &y->lo4) || !pi_prefix_equal(&x->lo6, &y->lo6))
			snprintf(why, n, "node %s: loopbacks", x->name);
		for (uint32_t i = 0; i < x->n_ifaces && !*why; i++) {
			const struct pi_plan_iface *f = pi_plan_node_iface(a, k, i);
			const struct pi_plan_node *ap = &a->nodes[k];
			bool found = false;
			for (uint32_t j = 0; j < y->n_ifaces && !found; j++) {
				const struct pi_plan_iface *g = pi_plan_node_iface(b, m, j);
				found = strcmp(f->name, g->name) == 0 && pi_prefix_equal(&f->v4, &g->v4) &&
					pi_prefix_equal(&f->v6, &g->v6);
			}
			/* An interface toward a pod that is gone may go with it. */
			const struct pi_plan_link *l = &a->links[f->link];
			bool gone = false;
			for (uint32_t e = 0; e < l->n_ifaces; e++)
				gone |= pi_plan_pod_by_name(b, a->pods[a->nodes[a->ifaces[l->ifaces[e]].node].pod].name) == PI_NONE;
			if (!found && !pinned && displaced_on_ixp(a, b, f)) {
				displaced++;
				continue;
			}
			if (!found && !(gone && l->kind == PI_LINK_P2P))
				snprintf(why, n, "node %s: interface %s", ap->name, f->name);
		}
	}
	return why;
}

/* Whether node name (of plan p, or of the old plan's pins) is in a pod the
 * other side lacks. */
static bool in_new_pod(const struct pi_plan *p, uint32_t node, const struct pi_plan_pins *old)
{
	const char *pod = p->pods[p->nodes[node].pod].name;
	for (uint32_t i = 0; i < old->n_pods; i++)
		if (strcmp(old->pods[i].name, pod) == 0)
			return false;
	return true;
}

static bool in_old_pod(const struct pi_plan_pins *old, const char *node, const struct pi_plan *p)
{
	for (uint32_t n = 0; n < old->n_nodes; n++)
		if (strcmp(old->nodes[n].name, node) == 0)
			return pi_plan_pod_by_name(p, old->pods[old->nodes[n].pod].name) == PI_NONE;
	return false;
}

/* A new link touches a pod that was not in the old plan. */
static bool link_touches_new(const struct pi_plan *p, uint32_t l, const struct pi_plan_pins *old)
{
	for (uint32_t e = 0; e < p->links[l].n_ifaces; e++)
		if (in_new_pod(p, p->ifaces[p->links[l].ifaces[e]].node, old))
			return true;
	return false;
}

static bool link_touched_old(const struct pi_plan_pins *old, const char *name, const struct pi_plan *p)
{
	for (uint32_t l = 0; l < old->n_links; l++)
		if (strcmp(old->links[l].name, name) == 0)
			for (uint32_t e = 0; e < old->links[l].n_ifaces; e++)
				if (in_old_pod(old, old->nodes[old->ifaces[old->links[l].ifaces[e]].node].name, p))
					return true;
	return false;
}

/* The diff from old to b names exactly the nodes of pods that came or
 * went, and every link it adds, removes or changes touches one of them. */
static void check_diff(const struct pi_plan_pins *old, const struct pi_plan *b, const char *what, uint64_t seed)
{
	struct pi_plan_diff d;
	assert_int_equal(pi_plan_diff(old, b, &d), 0);
	uint32_t want_added = 0, want_removed = 0;
	for (uint32_t n = 0; n < b->n_nodes; n++)
		want_added += in_new_pod(b, n, old);
	for (uint32_t n = 0; n < old->n_nodes; n++)
		want_removed += in_old_pod(old, old->nodes[n].name, b);
	if (d.n_nodes_added != want_added || d.n_nodes_removed != want_removed)
		fail_msg("%s, seed %llu: diff has +%u -%u nodes, want +%u -%u", what, (unsigned long long)seed,
			 d.n_nodes_added, d.n_nodes_removed, want_added, want_removed);
	for (uint32_t i = 0; i < d.n_nodes_added; i++)
		assert_true(in_new_pod(b, d.nodes_added[i], old));
	for (uint32_t i = 0; i < d.n_nodes_removed; i++)
		assert_true(in_old_pod(old, d.nodes_removed[i], b));
	for (uint32_t i = 0; i < d.n_links_added; i++)
		if (!link_touches_new(b, d.links_added[i], old))
			fail_msg("%s, seed %llu: link %s added between kept pods", what, (unsigned long long)seed,
				 b->links[d.links_added[i]].name);
	for (uint32_t i = 0; i < d.n_links_removed; i++)
		if (!link_touched_old(old, d.links_removed[i], b))
			fail_msg("%s, seed %llu: link %s of kept pods removed", what, (unsigned long long)seed,
				 d.links_removed[i]);
	for (uint32_t i = 0; i < d.n_links_changed; i++) {
		uint32_t l = d.links_changed[i];
		if (!link_touches_new(b, l, old) && !link_touched_old(old, b->links[l].name, b))
			fail_msg("%s, seed %llu: link %s of kept pods changed", what, (unsigned long long)seed,
				 b->links[l].name);
	}
	/* The text names every change and ends with the counts. */
	struct pi_buf t;
	pi_buf_init(&t);
	pi_plan_diff_write_text(&d, &t);
	assert_non_null(strstr(pi_buf_str(&t), "nodes +"));
	if (d.n_nodes_added)
		assert_non_null(strstr(pi_buf_str(&t), "+ node "));
	pi_buf_reset(&t);
	assert_int_equal(pi_plan_diff_write_json(&d, &t), 0);
	assert_non_null(strstr(pi_buf_str(&t), "\"nodes\""));
	pi_buf_free(&t);
	pi_plan_diff_free(&d);
}

/* A base plan and its pins, planned once per lab and seed. */
struct base {
	struct pi_lab *lab;
	struct pi_plan *plan;
	struct pi_plan_pins *pins;
	char *json; /* the plan's */
};

static struct base base_of(struct pi_lab *lab)
{
	struct base b = { lab, plan_of(lab, NULL), NULL, NULL };
	b.json = json_of(b.plan);
	b.pins = pins_of(b.json);
	return b;
}

static void base_free(struct base *b)
{
	pi_plan_pins_free(b->pins);
	free(b->json);
	pi_plan_free(b->plan);
	fab_free(b->lab);
}

/* The fixpoint check writes and reads plan.json twice per case (most of
 * its cost): it runs for every third seed (seed 1 always). */
#define FIXPOINT_EVERY 3

/* A pinned build is a fixpoint in one step: planning the same lab again
 * with the pins of plan (as the next `setup` reads its plan.json) gives
 * the same plan.json, byte for byte, so that setup changes nothing. */
static void check_fixpoint(const struct pi_lab *lab, const struct pi_plan *plan, const char *what)
{
	char *js = json_of(plan);
	struct pi_plan_pins *pins = pins_of(js);
	struct pi_plan *again = plan_of(lab, pins);
	char *js2 = json_of(again);
	if (strcmp(js, js2) != 0)
		fail_msg("%s, seed %llu: planning again with the pinned plan's own pins changed its plan.json", what,
			 (unsigned long long)lab->seed);
	free(js2);
	pi_plan_free(again);
	pi_plan_pins_free(pins);
	free(js);
}

/* Plans `changed` (with the base's pins when pinned) and checks that
 * everything kept kept its numbers, and the diff. */
static void check_change(const struct base *base, struct pi_lab *changed, bool pinned, const char *what)
{
	struct pi_plan *b = plan_of(changed, pinned ? base->pins : NULL);
	char why[256];
	if (*kept_same(base->plan, b, why, sizeof(why), pinned))
		fail_msg("%s%s, seed %llu: %s changed", what, pinned ? " (pinned)" : "",
			 (unsigned long long)base->lab->seed, why);
	if (pinned) {
		check_diff(base->pins, b, what, base->lab->seed);
		if (base->lab->seed % FIXPOINT_EVERY == 1)
			check_fixpoint(changed, b, what);
	}
	pi_plan_free(b);
	fab_free(changed);
}

static struct shape plus(struct shape s, int t, int i, int b, int c)
{
	return (struct shape){ s.t + (unsigned)t, s.i + (unsigned)i, s.b + (unsigned)b, s.c + (unsigned)c };
}

/* Same lab and seed: the same bytes; its own pins: no change at all. */
static void check_deterministic(const struct base *base)
{
	struct pi_plan *again = plan_of(base->lab, NULL);
	char *js = json_of(again);
	assert_string_equal(base->json, js);
	free(js);
	pi_plan_free(again);
	struct pi_plan *c = plan_of(base->lab, base->pins);
	js = json_of(c);
	if (strcmp(base->json, js) != 0)
		fail_msg("seed %llu: planning with its own pins changed plan.json", (unsigned long long)base->lab->seed);
	free(js);
	struct pi_plan_diff d;
	assert_int_equal(pi_plan_diff(base->pins, c, &d), 0);
	if (d.n_nodes_added || d.n_nodes_removed || d.n_links_added || d.n_links_removed || d.n_links_changed ||
	    d.n_sessions_added || d.n_sessions_removed || d.n_pods_added || d.n_pods_removed)
		fail_msg("seed %llu: planning with its own pins changed the plan", (unsigned long long)base->lab->seed);
	pi_plan_diff_free(&d);
	pi_plan_free(c);
}

static void test_stable(void **state)
{
	(void)state;
	unsigned seeds = n_seeds();
	for (unsigned k = 0; k < 2; k++)
		for (uint64_t seed = 1; seed <= (k ? seeds / 4 + 1 : seeds); seed++) {
			struct shape s = shapes[k];
			struct base b = base_of(lab_of(seed, s, false));
			check_deterministic(&b);
			/* Without pins. */
			check_change(&b, lab_of(seed, plus(s, 0, 0, 1, 0), false), false, "broadband+1");
			check_change(&b, lab_of(seed, plus(s, 0, 0, 0, 1), false), false, "content+1");
			/* With pins. */
			check_change(&b, lab_of(seed, plus(s, 0, 0, 1, 0), false), true, "broadband+1");
			check_change(&b, lab_of(seed, plus(s, 1, 0, 0, 0), false), true, "transit+1");
			check_change(&b, lab_of(seed, plus(s, 0, 1, 0, 0), false), true, "ixp+1");
			check_change(&b, lab_of(seed, plus(s, 0, 0, 2, -1), false), true, "broadband+2 content-1");
			check_change(&b, lab_of(seed, plus(s, 0, 1, 1, -1), false), true, "ixp+1 broadband+1 content-1");
			check_change(&b, lab_of(seed, s, true), true, "explicit pod in the middle");
			base_free(&b);
			struct base m = base_of(lab_of(seed, s, true));
			check_change(&m, lab_of(seed, s, false), true, "middle pod removed");
			base_free(&m);
		}
	/* Rare: about one added pod in a hundred that joins an IXP. */
	fprintf(stderr, "%u + %u seeds: %u IXP interfaces displaced without pins\n", seeds, seeds / 4 + 1, displaced);
	assert_true(displaced <= seeds / 10 + 1);
}

/* Pins that are not a plan are refused with a position. */
static void test_pins_errors(void **state)
{
	(void)state;
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_plan_pins *pins = NULL;
	assert_int_equal(pi_plan_pins_load("{\"seed\": 1,", 11, &pins, &d), -EINVAL);
	assert_null(pins);
	assert_int_equal(pi_diag_errors(&d), 1);
	assert_int_equal(pi_plan_pins_load("{\"seed\": 1}", 11, &pins, &d), -EINVAL);
	assert_int_equal(pi_diag_errors(&d), 2);
	pi_diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stable),
		cmocka_unit_test(test_pins_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
