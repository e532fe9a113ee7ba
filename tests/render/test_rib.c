/*
 * rib: BIRD's `show route all` through the daemon table (rib_cmd,
 * ctl_reply_text, parse_rib). The replies in tests/render/data/ are genuine
 * BIRD 2.0.12 output with reply codes, captured from two BIRDs in throwaway
 * network namespaces: b learns a's routes over two sessions (one tagged as
 * from a provider, local pref 50; one as from a customer, 200), one path
 * prepended to 36 ASes; a's own statics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "common.h"

static const struct pi_router_daemon *d = &pi_router_bird;

/* The routes of a captured reply. */
static void routes_of(const char *file, uint32_t local_as, struct pi_vec *out)
{
	const char *src = getenv("PI_SOURCE_DIR");
	assert_non_null(src);
	char path[4096], *raw = NULL;
	size_t len;
	snprintf(path, sizeof(path), "%s/tests/render/data/%s", src, file);
	assert_int_equal(pi_read_file(path, &raw, &len), 0);
	assert_int_equal(d->ctl_reply_done(raw, len, false), 1);
	struct pi_buf text;
	pi_buf_init(&text);
	d->ctl_reply_text(raw, len, &text);
	d->parse_rib(pi_buf_str(&text), local_as, out);
	pi_buf_free(&text);
	free(raw);
}

static void assert_net(const struct pi_prefix *p, const char *want)
{
	char b[PI_PREFIX_STRLEN];
	assert_string_equal(pi_prefix_fmt(p, b), want);
}

static void test_rib_cmd(void **state)
{
	(void)state;
	char buf[128];
	struct pi_prefix p;
	assert_int_equal(pi_prefix_parse("10.0.5.1", &p), 0);
	d->rib_cmd(&p, 0, buf, sizeof(buf));
	assert_string_equal(buf, "show route all for 10.0.5.1");
	assert_int_equal(pi_prefix_parse("2001:db8:5::/48", &p), 0);
	d->rib_cmd(&p, 0, buf, sizeof(buf));
	assert_string_equal(buf, "show route all for 2001:db8:5::/48");
	d->rib_cmd(NULL, PI_AF_V6, buf, sizeof(buf));
	assert_string_equal(buf, "show route all table master6");
	d->rib_cmd(NULL, PI_AF_V4, buf, sizeof(buf));
	assert_string_equal(buf, "show route all table master4");
	d->rib_cmd(NULL, 0, buf, sizeof(buf));
	assert_string_equal(buf, "show route all");
}

static void test_parse_both_tables(void **state)
{
	(void)state;
	struct pi_vec v = PI_VEC_INIT(struct pi_rib_route);
	routes_of("bird-show-route-all.txt", 65002, &v);
	assert_int_equal(v.len, 8); /* 3 prefixes x 2 paths in master4 + a static, 1 in master6 */
	const struct pi_rib_route *r = pi_vec_at(&v, 0);
	assert_net(&r->net, "10.1.5.0/24");
	assert_true(r->best);
	assert_true(r->bgp);
	assert_string_equal(r->proto, "ebgp_a_b2_v4");
	assert_string_equal(r->type, "unicast");
	assert_net(&r->next_hop, "10.9.0.2/32");
	assert_string_equal(r->iface, "pthCb");
	assert_int_equal(r->local_pref, 200);
	assert_int_equal(r->as_path_len, 1);
	assert_int_equal(r->as_path[0], 65001);
	assert_false(r->as_path_truncated);
	assert_int_equal(r->n_large, 2);
	assert_int_equal(r->large[1].a, 65002);
	assert_int_equal(r->large[1].b, 1);
	assert_int_equal(r->large[1].c, 1);
	assert_string_equal(r->from_kind, "customer");
	assert_int_equal(r->n_comm, 0);
	/* The second path to the same network: its line has no network. */
	r = pi_vec_at(&v, 1);
	assert_net(&r->net, "10.1.5.0/24");
	assert_false(r->best);
	assert_string_equal(r->proto, "ebgp_a_b_v4");
	assert_int_equal(r->local_pref, 50);
	assert_int_equal(r->as_path_len, 2);
	assert_int_equal(r->as_path[0], 65001);
	assert_int_equal(r->as_path[1], 64512);
	assert_int_equal(r->n_comm, 1);
	assert_int_equal(r->communities[0][0], 65001);
	assert_int_equal(r->communities[0][1], 666);
	assert_string_equal(r->from_kind, "provider");
	/* The other AS's tag (65001, 1, 1) does not count: ours says provider. */
	assert_int_equal(r->large[0].a, 65001);
	/* b's own static. */
	unsigned best = 0, statics = 0;
	for (size_t i = 0; i < v.len; i++) {
		r = pi_vec_at(&v, i);
		best += r->best;
		if (strcmp(r->proto, "own4") == 0) {
			statics++;
			assert_net(&r->net, "10.2.0.0/16");
			assert_string_equal(r->type, "unreachable");
			assert_false(r->bgp);
			assert_false(pi_prefix_is_set(&r->next_hop));
			assert_string_equal(r->from_kind, "own");
		}
	}
	assert_int_equal(statics, 1);
	assert_int_equal(best, 5); /* one per network */
	/* master6. */
	r = pi_vec_at(&v, v.len - 1);
	assert_net(&r->net, "2001:db8:1::/48");
	assert_net(&r->next_hop, "2001:db8:9::/128");
	assert_int_equal(r->local_pref, 100);
	assert_string_equal(r->from_kind, "peer");
	pi_vec_free(&v);

	/* Without the local ASN, the last tag on the route decides. */
	routes_of("bird-show-route-all.txt", 0, &v);
	r = pi_vec_at(&v, 1);
	assert_string_equal(r->from_kind, "provider");
	pi_vec_free(&v);
	/* Another AS's view: none of the tags is its own. */
	routes_of("bird-show-route-all.txt", 64999, &v);
	r = pi_vec_at(&v, 0);
	assert_string_equal(r->from_kind, "");
	pi_vec_free(&v);
}

static void test_parse_long_path(void **state)
{
	(void)state;
	struct pi_vec v = PI_VEC_INIT(struct pi_rib_route);
	routes_of("bird-show-route-for-long-path.txt", 65002, &v);
	assert_int_equal(v.len, 2);
	const struct pi_rib_route *r = pi_vec_at(&v, 0);
	assert_net(&r->net, "10.7.0.0/16");
	assert_true(r->best);
	assert_int_equal(r->as_path_total, 36);
	assert_int_equal(r->as_path_len, PI_RIB_MAX_PATH);
	assert_true(r->as_path_truncated);
	assert_int_equal(r->as_path[0], 65001);
	assert_int_equal(r->as_path[1], 65044);
	assert_int_equal(r->as_path[PI_RIB_MAX_PATH - 1], 65014);
	r = pi_vec_at(&v, 1);
	assert_false(r->best);
	assert_int_equal(r->as_path_total, 2);
	assert_false(r->as_path_truncated);
	pi_vec_free(&v);
}

static void test_parse_statics_and_rs(void **state)
{
	(void)state;
	struct pi_vec v = PI_VEC_INIT(struct pi_rib_route);
	routes_of("bird-show-route-all-static.txt", 65001, &v);
	assert_true(v.len >= 4);
	const struct pi_rib_route *r = pi_vec_at(&v, 0);
	assert_net(&r->net, "10.1.5.0/24");
	assert_string_equal(r->proto, "origin4");
	assert_string_equal(r->from_kind, "own");
	r = pi_vec_at(&v, 2);
	assert_net(&r->net, "10.2.0.0/16");
	assert_true(r->bgp);
	assert_string_equal(r->from_kind, ""); /* this test BIRD tags nothing on import */
	pi_vec_free(&v);
	/* A route server session (the plan names them rs_*): a peer route via the RS. */
	static const char text[] = "Table master4:\n"
				   "10.0.9.0/24          unicast [rs_ixp1_rs1_content3_v4 12:00:01.000] * (100) [AS222440i]\n"
				   "\tvia 10.0.3.3 on ixp1\n\tType: BGP univ\n\tBGP.origin: IGP\n"
				   "\tBGP.as_path: 222440\n\tBGP.next_hop: 10.0.3.3\n\tBGP.local_pref: 100\n"
				   "\tBGP.large_community: (37548, 1, 2)\n";
	d->parse_rib(text, 37548, &v);
	assert_int_equal(v.len, 1);
	r = pi_vec_at(&v, 0);
	assert_string_equal(r->from_kind, "rs");
	pi_vec_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rib_cmd),
		cmocka_unit_test(test_parse_both_tables),
		cmocka_unit_test(test_parse_long_path),
		cmocka_unit_test(test_parse_statics_and_rs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
