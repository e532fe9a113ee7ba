/*
 * The planner's full tables and RPKI: generated prefixes are the same for
 * the same lab, unique, inside their pod's block of the reserved space and
 * shaped like the real table; import limits and router memory grow with
 * them; ROAs follow the plan (with the lab's mistakes) and validation gives
 * what RFC 6811 says; the cache node is where the lab wants it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "pocketinternet/plan.h"

struct built {
	struct pi_lab *lab;
	struct pi_plan *plan;
};

static int build(const char *text, struct built *b, struct pi_diag *d)
{
	pi_diag_init(d);
	b->plan = NULL;
	int rc = pi_lab_load_mem("t.yml", text, strlen(text), getenv("POCKETINTERNET_BLUEPRINTS"), &b->lab, d);
	if (rc == 0)
		rc = pi_plan_build(b->lab, &b->plan, d);
	return rc;
}

static struct built ok(const char *text)
{
	struct built b;
	struct pi_diag d;
	int rc = build(text, &b, &d);
	if (rc)
		pi_diag_print(&d, stderr);
	assert_int_equal(rc, 0);
	pi_diag_free(&d);
	return b;
}

static void done(struct built *b)
{
	pi_plan_free(b->plan);
	pi_lab_free(b->lab);
}

static const char tables_lab[] = "seed: 5\npods:\n"
				 "  - {name: big, blueprint: transit, announce: {count: 5000, count6: 1000}}\n"
				 "  - {name: fix, blueprint: transit, announce: {count: 300, lengths: 22, count6: 10, lengths6: 40}}\n"
				 "  - {blueprint: broadband, count: 2}\n  - {blueprint: content, count: 1}\n";

static int cmp_pfx(const void *a, const void *b)
{
	return pi_prefix_cmp(a, b);
}

static void test_generated(void **state)
{
	(void)state;
	struct built b = ok(tables_lab);
	uint32_t big = pi_plan_pod_by_name(b.plan, "big"), fix = pi_plan_pod_by_name(b.plan, "fix");
	const struct pi_plan_table *t = b.plan->pods[big].table;
	assert_non_null(t);
	assert_false(t->mrt);
	assert_int_equal(t->n4, 5000);
	assert_int_equal(t->n6, 1000);
	assert_int_equal(b.plan->table_routes4, 5300);
	assert_int_equal(b.plan->table_routes6, 1010);
	struct pi_prefix s4, s6;
	pi_prefix_parse(PI_TABLE_SPACE4, &s4);
	pi_prefix_parse(PI_TABLE_SPACE6, &s6);
	assert_true(pi_prefix_contains(&s4, &t->block4));
	assert_true(pi_prefix_contains(&s6, &t->block6));
	const struct pi_plan_table *tf = b.plan->pods[fix].table;
	assert_false(pi_prefix_overlaps(&t->block4, &tf->block4)); /* blocks never overlap */
	assert_false(pi_prefix_overlaps(&t->block6, &tf->block6));
	/* Realistic: mostly /24 (about 60 %), from /16 to /24; all unique and in the block. */
	unsigned n24 = 0, n48 = 0;
	struct pi_prefix *all = calloc(t->n4 + t->n6, sizeof(*all));
	for (uint32_t i = 0; i < t->n4 + t->n6; i++) {
		const struct pi_prefix *p = &t->routes[i].net;
		all[i] = *p;
		assert_false(pi_prefix_has_host_bits(p));
		if (i < t->n4) {
			assert_int_equal(p->family, PI_AF_V4);
			assert_true(p->len >= 16 && p->len <= 24);
			assert_true(pi_prefix_contains(&t->block4, p));
			n24 += p->len == 24;
		} else {
			assert_int_equal(p->family, PI_AF_V6);
			assert_true(p->len >= 29 && p->len <= 48);
			assert_true(pi_prefix_contains(&t->block6, p));
			n48 += p->len == 48;
		}
		assert_false(pi_prefix_overlaps(&b.plan->v4, p) && p->family == PI_AF_V4);
	}
	assert_true(n24 > 2700 && n24 < 3300);
	assert_true(n48 > 420 && n48 < 580);
	assert_int_equal(t->maxlen4, 24);
	assert_int_equal(t->maxlen6, 48);
	qsort(all, t->n4 + t->n6, sizeof(*all), cmp_pfx);
	for (uint32_t i = 1; i < t->n4 + t->n6; i++)
		assert_false(pi_prefix_equal(&all[i - 1], &all[i]));
	free(all);
	/* Fixed lengths are just that. */
	for (uint32_t i = 0; i < tf->n4 + tf->n6; i++)
		assert_int_equal(tf->routes[i].net.len, i < tf->n4 ? 22 : 40);
	done(&b);
}

static void test_deterministic(void **state)
{
	(void)state;
	struct built a = ok(tables_lab), b = ok(tables_lab);
	uint32_t p = pi_plan_pod_by_name(a.plan, "big");
	const struct pi_plan_table *ta = a.plan->pods[p].table, *tb = b.plan->pods[p].table;
	assert_int_equal(ta->n4 + ta->n6, tb->n4 + tb->n6);
	assert_memory_equal(ta->routes, tb->routes, (ta->n4 + ta->n6) * sizeof(*ta->routes));
	struct pi_buf ja, jb;
	pi_buf_init(&ja);
	pi_buf_init(&jb);
	assert_int_equal(pi_plan_write_json(a.plan, &ja), 0);
	assert_int_equal(pi_plan_write_json(b.plan, &jb), 0);
	assert_string_equal(pi_buf_str(&ja), pi_buf_str(&jb));
	pi_buf_free(&ja);
	pi_buf_free(&jb);
	done(&a);
	done(&b);
}

/* Sessions that carry a table take it into their import limits; routers get memory for it. */
static void test_limits(void **state)
{
	(void)state;
	struct built b = ok(tables_lab), plain = ok("seed: 5\npods:\n  - {name: big, blueprint: transit}\n"
						     "  - {name: fix, blueprint: transit}\n"
						     "  - {blueprint: broadband, count: 2}\n  - {blueprint: content, count: 1}\n");
	uint32_t big = pi_plan_pod_by_name(b.plan, "big");
	unsigned checked = 0;
	for (uint32_t i = 0; i < b.plan->n_sessions; i++) {
		const struct pi_plan_session *s = &b.plan->sessions[i];
		const struct pi_plan_session *o = &plain.plan->sessions[i];
		assert_string_equal(s->name, o->name);
		if (s->rel == PI_REL_IBGP)
			continue;
		uint32_t pa = b.plan->nodes[s->a].pod, pb = b.plan->nodes[s->b].pod;
		uint64_t n = s->family == PI_AF_V4 ? 5000 : 1000;
		/* b imports from a = big: as a customer of big it takes the lab's tables on top. */
		if (pa == big && s->rel == PI_REL_CUSTOMER) {
			assert_true(s->b_max_prefix >= o->b_max_prefix + n);
			checked++;
		}
		if (pa == big && s->rel == PI_REL_PEER && pb != big) {
			assert_true(s->b_max_prefix >= o->b_max_prefix + n);
			checked++;
		}
	}
	assert_true(checked > 0);
	for (uint32_t n = 0; n < b.plan->n_nodes; n++)
		if (b.plan->nodes[n].services & PI_SVC_ROUTER)
			assert_true(b.plan->nodes[n].mem_limit_mb > plain.plan->nodes[n].mem_limit_mb);
	done(&b);
	done(&plain);
}

static const char rpki_lab[] = "seed: 8\npods:\n"
			       "  - {name: t1, blueprint: transit}\n  - {name: t2, blueprint: transit}\n"
			       "  - {name: c1, blueprint: content}\n  - {name: c2, blueprint: content}\n"
			       "  - {name: c3, blueprint: content}\n  - {name: c4, blueprint: content}\n"
			       "  - {name: gen, blueprint: transit, announce: {count: 100}}\n"
			       "rpki:\n  rov: [t2, c1]\n  cache: t2\n  mistakes:\n"
			       "    - {pod: c2, kind: wrong-origin}\n    - {pod: c3, kind: too-short-maxlen}\n"
			       "    - {pod: c4, kind: missing}\n";

static void test_roas(void **state)
{
	(void)state;
	struct built b = ok(rpki_lab);
	const struct pi_plan *p = b.plan;
	assert_true(p->rpki);
	uint32_t t1 = pi_plan_pod_by_name(p, "t1"), t2 = pi_plan_pod_by_name(p, "t2"), c1 = pi_plan_pod_by_name(p, "c1"),
		 c2 = pi_plan_pod_by_name(p, "c2"), c3 = pi_plan_pod_by_name(p, "c3"), c4 = pi_plan_pod_by_name(p, "c4"),
		 gen = pi_plan_pod_by_name(p, "gen");
	assert_false(p->pods[t1].rov);
	assert_true(p->pods[t2].rov);
	assert_true(p->pods[c1].rov);
	/* The cache: the rpki role's one node in t2, with an address every ROV router can reach. */
	assert_int_not_equal(p->rpki_cache, PI_NONE);
	assert_int_equal(p->nodes[p->rpki_cache].pod, t2);
	assert_string_equal(p->nodes[p->rpki_cache].name, "t2-rpki1");
	struct pi_prefix ca = pi_plan_rpki_cache_addr(p, PI_AF_V4);
	assert_true(pi_prefix_contains(&p->pods[t2].v4, &ca));
	for (uint32_t n = p->pods[t1].first_node; n < p->pods[t1].first_node + p->pods[t1].n_nodes; n++)
		assert_false(p->nodes[n].services & PI_SVC_RPKI); /* no cache elsewhere */
	/* Each pod's aggregates: valid from its own AS, invalid from another, unknown outside. */
	assert_int_equal(pi_plan_roa_state(p, &p->pods[c1].v4, p->pods[c1].asn), PI_ROA_VALID);
	assert_int_equal(pi_plan_roa_state(p, &p->pods[c1].v6, p->pods[c1].asn), PI_ROA_VALID);
	assert_int_equal(pi_plan_roa_state(p, &p->pods[c1].v4, p->pods[t1].asn), PI_ROA_INVALID); /* a hijack */
	struct pi_prefix more = p->pods[c1].v4;
	more.len++;
	assert_int_equal(pi_plan_roa_state(p, &more, p->pods[c1].asn), PI_ROA_INVALID); /* longer than maxLength */
	struct pi_prefix out;
	pi_prefix_parse("198.51.100.0/24", &out);
	assert_int_equal(pi_plan_roa_state(p, &out, p->pods[c1].asn), PI_ROA_UNKNOWN);
	/* The mistakes. */
	assert_int_equal(pi_plan_roa_state(p, &p->pods[c2].v4, p->pods[c2].asn), PI_ROA_INVALID);
	assert_int_equal(pi_plan_roa_state(p, &p->pods[c3].v4, p->pods[c3].asn), PI_ROA_INVALID);
	assert_int_equal(pi_plan_roa_state(p, &p->pods[c3].v6, p->pods[c3].asn), PI_ROA_INVALID);
	/* c4 has no ROA; unknown unless a neighbour's too-short ROA happens to cover it. */
	bool c4_roa = false;
	for (uint32_t i = 0; i < p->n_roas; i++)
		c4_roa |= p->roas[i].pod == c4 && !pi_prefix_equal(&p->roas[i].net, &p->anycast4) &&
			  !pi_prefix_equal(&p->roas[i].net, &p->anycast6);
	assert_false(c4_roa);
	/* Anycast stays valid for every anycast pod, mistakes or not. */
	assert_int_equal(pi_plan_roa_state(p, &p->anycast4, p->pods[c2].asn), PI_ROA_VALID);
	/* A generated table: its block, maxLength its longest prefix. */
	const struct pi_plan_table *t = p->pods[gen].table;
	for (uint32_t i = 0; i < t->n4; i++)
		assert_int_equal(pi_plan_roa_state(p, &t->routes[i].net, p->pods[gen].asn), PI_ROA_VALID);
	done(&b);
	/* No rpki section: no state at all. */
	b = ok("pods: {transit: 2}\n");
	assert_false(b.plan->rpki);
	assert_int_equal(b.plan->rpki_cache, PI_NONE);
	assert_int_equal(pi_plan_roa_state(b.plan, &b.plan->pods[0].v4, 1), PI_ROA_NONE);
	done(&b);
}

static void test_rpki_errors(void **state)
{
	(void)state;
	struct built b;
	struct pi_diag d;
	assert_int_equal(build("pods: {transit: 2, ixp: 1}\nrpki: {rov: [transit3, ixp1]}\n", &b, &d), -EINVAL);
	assert_int_equal(pi_diag_errors(&d), 2);
	const struct pi_diag_entry *e = pi_vec_at(&d.entries, 0);
	assert_non_null(strstr(e->msg, "no pod named 'transit3'"));
	assert_int_equal(e->pos.line, 2);
	assert_int_equal(e->pos.col, 14);
	e = pi_vec_at(&d.entries, 1);
	assert_non_null(strstr(e->msg, "is an IXP"));
	pi_diag_free(&d);
	pi_lab_free(b.lab);
	/* A cache pod whose blueprint has no rpki role. */
	assert_int_equal(build("pods: {transit: 1, content: 1}\nrpki: {cache: content1}\n", &b, &d), -EINVAL);
	e = pi_vec_at(&d.entries, 0);
	assert_non_null(strstr(e->msg, "no role for the cache"));
	assert_int_equal(e->pos.line, 2);
	pi_diag_free(&d);
	pi_lab_free(b.lab);
	/* No transit pod for the default cache. */
	assert_int_equal(build("pods: {content: 1}\nrpki: {rov: all}\n", &b, &d), -EINVAL);
	e = pi_vec_at(&d.entries, 0);
	assert_non_null(strstr(e->msg, "no transit pod"));
	pi_diag_free(&d);
	pi_lab_free(b.lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generated), cmocka_unit_test(test_deterministic), cmocka_unit_test(test_limits),
		cmocka_unit_test(test_roas),	  cmocka_unit_test(test_rpki_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
