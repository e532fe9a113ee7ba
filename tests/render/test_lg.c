/*
 * lg: the looking glass's reading of a RIB (src/render/rib_explain.c) on
 * genuine BIRD 2.0.12 replies. tests/render/data/capture-lg.sh made the
 * bird-lg-*.txt files: router x (AS 65002) learns each network over
 * several sessions so that one criterion of BIRD's order decides it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "common.h"
#include "fixture.h"

static const struct pi_router_daemon *d = &pi_router_bird;

static void text_of(const char *file, struct pi_buf *text)
{
	const char *src = getenv("PI_SOURCE_DIR");
	assert_non_null(src);
	char path[4096], *raw = NULL;
	size_t len;
	snprintf(path, sizeof(path), "%s/tests/render/data/%s", src, file);
	assert_int_equal(pi_read_file(path, &raw, &len), 0);
	assert_int_equal(d->ctl_reply_done(raw, len, false), 1);
	pi_buf_init(text);
	d->ctl_reply_text(raw, len, text);
	free(raw);
}

static void routes_of(const char *file, uint32_t local_as, struct pi_vec *out)
{
	struct pi_buf text;
	text_of(file, &text);
	d->parse_rib(pi_buf_str(&text), local_as, out);
	pi_buf_free(&text);
}

static void sessions_of(struct pi_vec *out)
{
	struct pi_buf text;
	text_of("bird-lg-show-protocols-all.txt", &text);
	d->parse_sessions(pi_buf_str(&text), out);
	pi_buf_free(&text);
}

/* The index of the route of net over proto. */
static size_t find(const struct pi_vec *v, const char *net, const char *proto)
{
	struct pi_prefix p;
	assert_int_equal(pi_prefix_parse(net, &p), 0);
	for (size_t i = 0; i < v->len; i++) {
		const struct pi_rib_route *r = pi_vec_at(v, i);
		if (pi_prefix_equal(&r->net, &p) && strcmp(r->proto, proto) == 0)
			return i;
	}
	fail_msg("no route %s over %s", net, proto);
	return 0;
}

static void test_sessions_detail(void **state)
{
	(void)state;
	struct pi_vec v = PI_VEC_INIT(struct pi_bgp_state);
	sessions_of(&v);
	assert_int_equal(v.len, 5); /* device1 and direct1 are no BGP sessions */
	const struct pi_bgp_state *s = pi_bgp_state_find(&v, "ebgp_x_a_v4");
	assert_non_null(s);
	assert_true(s->established);
	assert_true(s->detailed);
	assert_string_equal(s->neighbor_addr, "10.9.0.1");
	assert_int_equal(s->neighbor_as, 65001);
	assert_string_equal(s->neighbor_id, "10.255.0.1");
	assert_false(s->internal);
	assert_true(s->has_routes);
	assert_int_equal(s->imported, 3);
	assert_int_equal(s->exported, 0);
	assert_int_equal(s->preferred, 3);
	s = pi_bgp_state_find(&v, "ibgp_x_d_v4");
	assert_non_null(s);
	assert_true(s->internal);
	assert_int_equal(s->neighbor_as, 65002);
	assert_int_equal(s->imported, 1);
	assert_int_equal(s->preferred, 0);
	assert_null(pi_bgp_state_find(&v, "device1"));
	pi_vec_free(&v);
	/* The short form leaves the details unset. */
	static const char short_text[] = "Name       Proto      Table      State  Since         Info\n"
					 "ebgp_x_a_v4 BGP        ---        up     19:24:39.079  Established\n";
	d->parse_sessions(short_text, &v);
	assert_int_equal(v.len, 1);
	s = pi_vec_at(&v, 0);
	assert_true(s->established);
	assert_false(s->detailed);
	assert_false(s->has_routes);
	pi_vec_free(&v);
}

static void test_parse_new_fields(void **state)
{
	(void)state;
	struct pi_vec v = PI_VEC_INIT(struct pi_rib_route);
	routes_of("bird-lg-show-route-all.txt", 65002, &v);
	const struct pi_rib_route *r = pi_vec_at(&v, find(&v, "10.4.0.0/16", "ebgp_x_c_v4"));
	assert_int_equal(r->preference, 100);
	assert_int_equal(r->origin, PI_RIB_ORIGIN_INCOMPLETE);
	assert_false(r->has_med);
	r = pi_vec_at(&v, find(&v, "10.4.0.0/16", "ebgp_x_b_v4"));
	assert_int_equal(r->origin, PI_RIB_ORIGIN_IGP);
	r = pi_vec_at(&v, find(&v, "10.5.0.0/16", "ebgp_x_a2_v4"));
	assert_true(r->has_med);
	assert_int_equal(r->med, 20);
	r = pi_vec_at(&v, find(&v, "10.9.0.0/31", "direct1"));
	assert_int_equal(r->preference, 240);
	assert_false(r->bgp);
	pi_vec_free(&v);
}

/* Each network of the capture is decided by the criterion it was built for. */
static void test_explain_each_criterion(void **state)
{
	(void)state;
	struct pi_vec v = PI_VEC_INIT(struct pi_rib_route), s = PI_VEC_INIT(struct pi_bgp_state);
	routes_of("bird-lg-show-route-all.txt", 65002, &v);
	sessions_of(&s);
	enum pi_rib_crit *crit = calloc(v.len, sizeof(*crit));
	char(*why)[256] = calloc(v.len, sizeof(*why));
	pi_rib_explain(pi_vec_at(&v, 0), v.len, &s, crit, why);
	static const struct {
		const char *net, *loser;
		enum pi_rib_crit crit;
		const char *why;
	} want[] = {
		{ "10.1.0.0/16", "ebgp_x_b_v4", PI_RIB_CRIT_LOCAL_PREF, "local preference 200 (customer) beats 100 (peer)" },
		{ "10.1.0.0/16", "ebgp_x_a2_v4", PI_RIB_CRIT_NEIGHBOR, "neighbour address 10.9.0.1 beats 10.9.0.3 (lower wins)" },
		{ "10.2.0.0/16", "ebgp_x_c_v4", PI_RIB_CRIT_AS_PATH, "AS path length 1 (65003) beats 2 (65004 65004)" },
		{ "10.4.0.0/16", "ebgp_x_c_v4", PI_RIB_CRIT_ORIGIN, "origin IGP beats incomplete" },
		{ "10.5.0.0/16", "ebgp_x_a2_v4", PI_RIB_CRIT_MED, "MED 10 beats 20 (lower wins; both from AS 65001)" },
		{ "10.6.0.0/16", "ebgp_x_a2_v4", PI_RIB_CRIT_NEIGHBOR, "neighbour address 10.9.0.1 beats 10.9.0.3 (lower wins)" },
		{ "10.7.0.0/16", "ibgp_x_d_v4", PI_RIB_CRIT_EBGP, "learned over eBGP (ebgp_x_b_v4) beats iBGP (ibgp_x_d_v4)" },
		{ "10.8.0.0/16", "ebgp_x_c_v4", PI_RIB_CRIT_ROUTER_ID, "router ID 10.255.0.3 beats 10.255.0.4 (lower wins)" },
	};
	for (size_t i = 0; i < PI_ARRAY_LEN(want); i++) {
		size_t k = find(&v, want[i].net, want[i].loser);
		assert_false(((struct pi_rib_route *)pi_vec_at(&v, k))->best);
		assert_string_equal(why[k], want[i].why);
		assert_int_equal(crit[k], want[i].crit);
	}
	size_t best = find(&v, "10.7.0.0/16", "ebgp_x_b_v4");
	assert_string_equal(why[best], "best");
	assert_int_equal(crit[best], PI_RIB_CRIT_NONE);
	assert_string_equal(why[find(&v, "10.9.0.0/31", "direct1")], "best");
	/* Without the sessions, what needs them is skipped: nothing separates 10.7's two routes. */
	pi_rib_explain(pi_vec_at(&v, 0), v.len, NULL, crit, why);
	size_t k = find(&v, "10.7.0.0/16", "ibgp_x_d_v4");
	assert_int_equal(crit[k], PI_RIB_CRIT_NONE);
	assert_int_equal(crit[find(&v, "10.1.0.0/16", "ebgp_x_b_v4")], PI_RIB_CRIT_LOCAL_PREF);
	free(crit);
	free(why);
	pi_vec_free(&v);
	pi_vec_free(&s);
}

/* The older capture: a customer route over a provider route, and the address form. */
static void test_explain_other_captures(void **state)
{
	(void)state;
	struct pi_vec v = PI_VEC_INIT(struct pi_rib_route);
	routes_of("bird-show-route-all.txt", 65002, &v);
	char why[256];
	const struct pi_rib_route *b = pi_vec_at(&v, 0), *o = pi_vec_at(&v, 1);
	assert_true(b->best);
	assert_int_equal(pi_rib_why(b, NULL, o, NULL, why, sizeof(why)), PI_RIB_CRIT_LOCAL_PREF);
	assert_string_equal(why, "local preference 200 (customer) beats 50 (provider)");
	pi_vec_free(&v);
	routes_of("bird-lg-show-route-for-addr.txt", 65002, &v);
	assert_int_equal(v.len, 2);
	enum pi_rib_crit crit[2];
	char whys[2][256];
	pi_rib_explain(pi_vec_at(&v, 0), v.len, NULL, crit, whys);
	assert_string_equal(whys[0], "best");
	assert_int_equal(crit[1], PI_RIB_CRIT_MED);
	pi_vec_free(&v);
}

/* What no capture shows: the source's preference and an unreachable next hop. */
static void test_explain_preference_and_next_hop(void **state)
{
	(void)state;
	struct pi_rib_route st = { .bgp = false, .preference = 200 }, bg = { .bgp = true, .preference = 100 };
	snprintf(st.proto, sizeof(st.proto), "origin4");
	snprintf(st.type, sizeof(st.type), "unreachable");
	snprintf(bg.proto, sizeof(bg.proto), "ebgp_a_b_v4");
	snprintf(bg.type, sizeof(bg.type), "unicast");
	char why[256];
	assert_int_equal(pi_rib_why(&st, NULL, &bg, NULL, why, sizeof(why)), PI_RIB_CRIT_PREFERENCE);
	assert_string_equal(why, "preference 200 (origin4) beats 100 (BGP)");
	struct pi_rib_route un = bg;
	snprintf(un.type, sizeof(un.type), "unreachable");
	un.local_pref = 500; /* better on every later criterion */
	assert_int_equal(pi_rib_why(&bg, NULL, &un, NULL, why, sizeof(why)), PI_RIB_CRIT_RESOLVABLE);
	/* A reflected route is compared by its ORIGINATOR_ID, and then by its cluster list. */
	struct pi_rib_route r1 = bg, r2 = bg;
	pi_prefix_parse("10.0.0.9", &r1.originator_id);
	pi_prefix_parse("10.0.0.2", &r2.originator_id);
	assert_int_equal(pi_rib_why(&r2, NULL, &r1, NULL, why, sizeof(why)), PI_RIB_CRIT_ROUTER_ID);
	assert_string_equal(why, "router ID 10.0.0.2 beats 10.0.0.9 (lower wins)");
	r1.originator_id = r2.originator_id;
	r1.cluster_len = 2;
	r2.cluster_len = 1;
	assert_int_equal(pi_rib_why(&r2, NULL, &r1, NULL, why, sizeof(why)), PI_RIB_CRIT_CLUSTER);
	/* A cluster list line as BIRD prints it. */
	struct pi_vec v = PI_VEC_INIT(struct pi_rib_route);
	d->parse_rib("Table master4:\n10.0.5.0/24          unicast [ibgp_r_s_v4 12:00:01.000 from 10.0.0.1] * (100) "
		     "[AS65001i]\n\tvia 10.0.1.1 on eth1\n\tType: BGP univ\n\tBGP.origin: EGP\n\tBGP.as_path: 65001\n"
		     "\tBGP.originator_id: 10.0.0.7\n\tBGP.cluster_list: 10.0.0.1 10.0.0.3\n",
		     65000, &v);
	const struct pi_rib_route *r = pi_vec_at(&v, 0);
	assert_int_equal(r->cluster_len, 2);
	assert_int_equal(r->origin, PI_RIB_ORIGIN_EGP);
	char b[PI_PREFIX_STRLEN];
	assert_string_equal(pi_prefix_fmt_addr(&r->originator_id, b), "10.0.0.7");
	pi_vec_free(&v);
}

static void test_community_meaning(void **state)
{
	(void)state;
	struct pi_vec v = PI_VEC_INIT(struct pi_rib_route);
	routes_of("bird-lg-show-route-all.txt", 65002, &v);
	const struct pi_rib_route *r = pi_vec_at(&v, find(&v, "10.1.0.0/16", "ebgp_x_a_v4"));
	char buf[160];
	assert_int_equal(r->n_large, 2);
	assert_true(pi_rib_large_meaning(NULL, 65002, r, 1, buf, sizeof(buf)));
	assert_string_equal(buf, "learned here from a customer (local preference 200)");
	assert_true(pi_rib_large_meaning(NULL, 65002, r, 0, buf, sizeof(buf)));
	assert_string_equal(buf, "AS 65001 learned it from a peer");
	/* With a plan, a pod's ASN is named. */
	struct pi_plan *p = fixture_plan();
	struct pi_rib_route t = *r;
	t.large[0].a = p->pods[FX_POD_A].asn;
	t.large[0].c = PI_LC_FROM_PROVIDER;
	assert_true(pi_rib_large_meaning(p, 65002, &t, 0, buf, sizeof(buf)));
	char want[160];
	snprintf(want, sizeof(want), "%s (AS %u) learned it from a provider", p->pods[FX_POD_A].name,
		 p->pods[FX_POD_A].asn);
	assert_string_equal(buf, want);
	/* Not the lab's: raw. */
	t.large[0].b = 7;
	assert_false(pi_rib_large_meaning(p, 65002, &t, 0, buf, sizeof(buf)));
	assert_string_equal(buf, "(65001, 7, 3)");
	t.large[0].b = PI_LC_REL;
	t.large[0].c = 9;
	assert_false(pi_rib_large_meaning(p, 65002, &t, 0, buf, sizeof(buf)));
	/* A peer route through a route server. */
	snprintf(t.proto, sizeof(t.proto), "rs_ixp1_rs1_bb2_v4");
	snprintf(t.from_kind, sizeof(t.from_kind), "rs");
	t.large[1].c = PI_LC_FROM_PEER;
	assert_true(pi_rib_large_meaning(p, 65002, &t, 1, buf, sizeof(buf)));
	assert_string_equal(buf, "learned here from a peer through an IXP route server (local preference 100)");
	fixture_free(p);
	pi_vec_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sessions_detail),
		cmocka_unit_test(test_parse_new_fields),
		cmocka_unit_test(test_explain_each_criterion),
		cmocka_unit_test(test_explain_other_captures),
		cmocka_unit_test(test_explain_preference_and_next_hop),
		cmocka_unit_test(test_community_meaning),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
