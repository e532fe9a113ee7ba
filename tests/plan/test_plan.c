/* The planner: determinism, invariants over many seeds and sizes, explicit
 * relationships, error reporting, route reflectors and the original format. */
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
#include "pi_config.h"
#include "fab.h"
#include "pocketinternet/plan.h"

static struct pi_plan *build_ok(const struct pi_lab *lab)
{
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_plan *plan = NULL;
	int rc = pi_plan_build(lab, &plan, &d);
	if (rc) {
		pi_diag_print(&d, stderr);
		fail_msg("plan failed: %d", rc);
	}
	assert_int_equal(pi_diag_count(&d), 0);
	pi_diag_free(&d);
	return plan;
}

/* Builds a plan expected to fail; returns the first message (static). */
static const char *build_err(const struct pi_lab *lab, unsigned *line)
{
	static char msg[512];
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_plan *plan = (struct pi_plan *)1;
	int rc = pi_plan_build(lab, &plan, &d);
	assert_int_equal(rc, -EINVAL);
	assert_null(plan);
	assert_true(pi_diag_count(&d) >= 1);
	const struct pi_diag_entry *e = pi_vec_at(&d.entries, 0);
	snprintf(msg, sizeof(msg), "%s", e->msg);
	if (line)
		*line = e->pos.line;
	pi_diag_free(&d);
	return msg;
}

static char *json(const struct pi_plan *plan)
{
	struct pi_buf b;
	pi_buf_init(&b);
	assert_int_equal(pi_plan_write_json(plan, &b), 0);
	return pi_buf_steal(&b);
}

static void test_determinism(void **state)
{
	(void)state;
	struct pi_lab *lab = fab_lab("det", 99, 3, 2, 5, 4);
	struct pi_plan *a = build_ok(lab), *b = build_ok(lab);
	char *ja = json(a), *jb = json(b);
	assert_string_equal(ja, jb);
	struct pi_buf ta, tb, da, db;
	pi_buf_init(&ta), pi_buf_init(&tb), pi_buf_init(&da), pi_buf_init(&db);
	pi_plan_write_text(a, &ta);
	pi_plan_write_text(b, &tb);
	pi_plan_write_dot(a, &da);
	pi_plan_write_dot(b, &db);
	assert_string_equal(pi_buf_str(&ta), pi_buf_str(&tb));
	assert_string_equal(pi_buf_str(&da), pi_buf_str(&db));
	pi_buf_free(&ta), pi_buf_free(&tb), pi_buf_free(&da), pi_buf_free(&db);

	lab->seed = 100;
	struct pi_plan *c = build_ok(lab);
	char *jc = json(c);
	assert_string_not_equal(ja, jc);
	free(ja), free(jb), free(jc);
	pi_plan_free(a), pi_plan_free(b), pi_plan_free(c);
	fab_free(lab);
}

static void test_invariants(void **state)
{
	(void)state;
	static const unsigned sizes[][4] = {
		{ 1, 0, 1, 0 }, { 2, 1, 1, 1 }, { 3, 2, 4, 3 }, { 2, 0, 6, 0 },
		{ 5, 3, 20, 15 }, { 4, 6, 3, 2 }, { 10, 4, 60, 50 }, { 1, 1, 0, 3 },
	};
	for (size_t s = 0; s < PI_ARRAY_LEN(sizes); s++)
		for (uint64_t seed = 1; seed <= 12; seed++) {
			struct pi_lab *lab = fab_lab("inv", seed * 7919, sizes[s][0], sizes[s][1], sizes[s][2], sizes[s][3]);
			struct pi_plan *plan = build_ok(lab);
			check_plan(plan);
			/* Multihoming stays within the blueprint's bounds. */
			for (uint32_t p = 0; p < plan->n_pods; p++) {
				unsigned prov = 0, ixps = 0;
				for (uint32_t i = 0; i < plan->n_rels; i++) {
					prov += plan->rels[i].rel == PI_REL_CUSTOMER && plan->rels[i].b == p;
					ixps += plan->rels[i].rel == PI_REL_RS && plan->rels[i].a == p;
				}
				if (plan->pods[p].tier == PI_TIER_STUB) {
					assert_true(prov >= 1 && prov <= 2);
					/* At most one chosen (ixps max 1), more only to fill IXPs. */
					assert_true(ixps <= 1 || sizes[s][1] * 2 > sizes[s][2] + sizes[s][3]);
				}
			}
			pi_plan_free(plan);
			fab_free(lab);
		}
}

static void test_shape(void **state)
{
	(void)state;
	struct pi_lab *lab = fab_lab("shape", 1, 2, 1, 1, 1);
	struct pi_plan *plan = build_ok(lab);
	assert_int_equal(plan->n_pods, 5);
	assert_string_equal(plan->pods[0].name, "transit1");
	assert_string_equal(plan->pods[1].name, "transit2");
	assert_string_equal(plan->pods[2].name, "ixp1");
	assert_string_equal(plan->pods[3].name, "broadband1");
	assert_string_equal(plan->pods[4].name, "content1");
	assert_string_equal(plan->pods[3].domain, "broadband1.pocket.");
	uint32_t n = pi_plan_node_by_name(plan, "transit1-border1");
	assert_int_not_equal(n, PI_NONE);
	assert_string_equal(plan->nodes[n].fqdn, "border1.transit1.pocket.");
	assert_int_equal(pi_plan_pod_by_name(plan, "content1"), 4);
	assert_int_equal(pi_plan_node_by_name(plan, "nope"), PI_NONE);
	/* Root and TLD on the two transit pods' auth nodes. */
	uint32_t a1 = pi_plan_node_by_name(plan, "transit1-auth1"), a2 = pi_plan_node_by_name(plan, "transit2-auth1");
	assert_true(plan->nodes[a1].root_dns && plan->nodes[a1].tld_dns && plan->nodes[a2].root_dns);
	assert_string_equal(plan->zones[0].name, ".");
	assert_int_equal(plan->zones[0].kind, PI_ZONE_ROOT);
	assert_string_equal(plan->zones[1].name, "pocket.");
	assert_string_equal(plan->zones[2].name, "10.in-addr.arpa.");
	assert_string_equal(plan->zones[3].name, "8.b.d.0.1.0.0.2.ip6.arpa.");
	/* Anycast: reserved, carried by the content pod's web nodes. */
	assert_true(pi_prefix_is_set(&plan->anycast4));
	uint32_t w = pi_plan_node_by_name(plan, "content1-web1");
	assert_true(pi_prefix_contains(&plan->anycast4, &plan->nodes[w].anycast4));
	assert_true(pi_prefix_contains(&plan->anycast6, &plan->nodes[w].anycast6));
	/* Broadband: CGNAT LAN in 100.64/10, pools in the aggregate, clients by DHCP/RA. */
	const struct pi_plan_pod *bb = &plan->pods[3];
	assert_true(pi_prefix_is_set(&bb->cgnat_pool) && pi_prefix_is_set(&bb->nat44_pool) &&
		    pi_prefix_is_set(&bb->nat64_pool));
	uint32_t sub = pi_plan_node_by_name(plan, "broadband1-sub1");
	const struct pi_plan_iface *sf = pi_plan_node_iface(plan, sub, 0);
	assert_true(sf->dhcp4 && sf->ra6);
	assert_true(pi_prefix_contains(&bb->cgnat_pool, &sf->v4));
	uint32_t v6o = pi_plan_node_by_name(plan, "broadband1-v6only1");
	assert_false(pi_prefix_is_set(&pi_plan_node_iface(plan, v6o, 0)->v4));
	assert_true(pi_plan_node_iface(plan, v6o, 0)->ra6);
	assert_true(pi_prefix_is_set(&plan->nodes[sub].resolver6));
	/* p2p peers. */
	const struct pi_plan_session *s = &plan->sessions[0];
	assert_int_equal(pi_plan_peer_iface(plan, s->a_iface), s->b_iface);
	assert_int_equal(pi_plan_peer_iface(plan, s->b_iface), s->a_iface);
	/* Relationship names. */
	assert_string_equal(pi_rel_name(PI_REL_RS_CLIENT), "rs-client");
	assert_int_equal(pi_rel_invert(PI_REL_CUSTOMER), PI_REL_PROVIDER);
	assert_int_equal(pi_rel_invert(PI_REL_RS), PI_REL_RS_CLIENT);
	assert_int_equal(pi_rel_invert(PI_REL_PEER), PI_REL_PEER);
	assert_string_equal(pi_rr_type_name(PI_RR_AAAA), "AAAA");
	pi_plan_free(plan);
	fab_free(lab);
}

static void test_explicit(void **state)
{
	(void)state;
	struct pi_lab *lab = fab_lab("expl", 3, 0, 0, 0, 0);
	fab_add_pod(lab, "tier1-a", "transit", 64500);
	fab_add_pod(lab, "tier1-b", "transit", 64501);
	fab_add_pod(lab, "dix", "ixp", 0);
	fab_add_pod(lab, "home", "broadband", 0);
	fab_add_pod(lab, "cdn", "content", 4200000001u); /* explicit: kept even if private */
	fab_add_override(lab, "border", 2);
	fab_add_count(lab, "broadband", 2);
	fab_add_rel(lab, PI_LAB_REL_PROVIDER, "tier1-a", "home", 20);
	fab_add_rel(lab, PI_LAB_REL_PROVIDER, "tier1-b", "broadband1", 21);
	fab_add_rel(lab, PI_LAB_REL_IXP, "home", "dix", 22);
	fab_add_rel(lab, PI_LAB_REL_IXP, "cdn", "dix", 23);
	fab_add_rel(lab, PI_LAB_REL_PEER, "home", "cdn", 24);
	struct pi_plan *plan = build_ok(lab);
	check_plan_ex(plan, true);
	assert_int_equal(plan->pods[0].asn, 64500);
	assert_int_equal(plan->pods[4].asn, 4200000001u);
	uint32_t home = pi_plan_pod_by_name(plan, "home"), cdn = pi_plan_pod_by_name(plan, "cdn");
	uint32_t dix = pi_plan_pod_by_name(plan, "dix"), bb1 = pi_plan_pod_by_name(plan, "broadband1");
	assert_int_not_equal(pi_plan_pod_by_name(plan, "broadband2"), PI_NONE);
	unsigned home_prov = 0, home_ixp = 0, bb1_prov = 0, peer = 0, cdn_prov = 0;
	for (uint32_t i = 0; i < plan->n_rels; i++) {
		const struct pi_plan_rel *r = &plan->rels[i];
		if (r->rel == PI_REL_CUSTOMER && r->b == home) {
			home_prov++;
			assert_true(r->from_lab);
			assert_string_equal(plan->pods[r->a].name, "tier1-a");
		}
		if (r->rel == PI_REL_CUSTOMER && r->b == bb1)
			bb1_prov++;
		if (r->rel == PI_REL_CUSTOMER && r->b == cdn)
			cdn_prov++, assert_false(r->from_lab);
		if (r->rel == PI_REL_RS && r->a == home)
			home_ixp++, assert_int_equal(r->b, dix);
		if (r->rel == PI_REL_PEER && ((r->a == home && r->b == cdn) || (r->a == cdn && r->b == home))) {
			peer++;
			assert_int_equal(plan->links[r->link].kind, PI_LINK_P2P);
			assert_int_equal(plan->links[r->link].scope, PI_SCOPE_EXTERNAL);
		}
	}
	assert_int_equal(home_prov, 1); /* explicit providers: no random extra */
	assert_int_equal(bb1_prov, 1);
	assert_int_equal(home_ixp, 1);
	assert_int_equal(peer, 1);
	assert_true(cdn_prov >= 1); /* no explicit provider: the generator picks */
	/* cdn has two borders: its external links are spread over both. */
	uint32_t b1 = pi_plan_node_by_name(plan, "cdn-border1"), b2 = pi_plan_node_by_name(plan, "cdn-border2");
	unsigned ext1 = 0, ext2 = 0;
	for (uint32_t i = 0; i < plan->n_sessions; i++) {
		const struct pi_plan_session *s = &plan->sessions[i];
		if (s->rel == PI_REL_IBGP)
			continue;
		ext1 += s->a == b1 || s->b == b1;
		ext2 += s->a == b2 || s->b == b2;
	}
	assert_true(ext1 > 0 && ext2 > 0);
	pi_plan_free(plan);
	fab_free(lab);
}

static void test_errors(void **state)
{
	(void)state;
	unsigned line;
	/* Unknown pod in a relationship. */
	struct pi_lab *lab = fab_lab("err", 1, 1, 0, 1, 0);
	fab_add_rel(lab, PI_LAB_REL_PROVIDER, "transit1", "nobody", 31);
	assert_non_null(strstr(build_err(lab, &line), "unknown pod 'nobody'"));
	assert_int_equal(line, 31);
	fab_free(lab);

	/* A provider loop among stubs. */
	lab = fab_lab("loop", 1, 1, 0, 0, 0);
	fab_add_pod(lab, "a", "broadband", 0);
	fab_add_pod(lab, "b", "broadband", 0);
	fab_add_pod(lab, "c", "broadband", 0);
	fab_add_rel(lab, PI_LAB_REL_PROVIDER, "a", "b", 40);
	fab_add_rel(lab, PI_LAB_REL_PROVIDER, "b", "c", 41);
	fab_add_rel(lab, PI_LAB_REL_PROVIDER, "c", "a", 42);
	assert_non_null(strstr(build_err(lab, &line), "provider loop"));
	assert_true(line >= 40 && line <= 42);
	fab_free(lab);

	/* Stubs without any transit pod. */
	lab = fab_lab("notransit", 1, 0, 1, 2, 0);
	assert_non_null(strstr(build_err(lab, NULL), "needs a transit provider"));
	fab_free(lab);

	/* A membership of a non-IXP, and a duplicate pod name. */
	lab = fab_lab("bad", 1, 2, 0, 1, 0);
	fab_add_rel(lab, PI_LAB_REL_IXP, "broadband1", "transit1", 50);
	assert_non_null(strstr(build_err(lab, &line), "cannot be a member"));
	assert_int_equal(line, 50);
	fab_free(lab);
	lab = fab_lab("dup", 1, 1, 0, 0, 0);
	fab_add_pod(lab, "x", "broadband", 0);
	fab_add_pod(lab, "x", "content", 0);
	assert_non_null(strstr(build_err(lab, NULL), "used twice"));
	fab_free(lab);

	/* Duplicate explicit ASN. */
	lab = fab_lab("dupasn", 1, 1, 0, 0, 0);
	fab_add_pod(lab, "x", "broadband", 65000);
	fab_add_pod(lab, "y", "broadband", 65000);
	assert_non_null(strstr(build_err(lab, NULL), "ASN 65000"));
	fab_free(lab);

	/* A pod only peering, with no provider. */
	lab = fab_lab("island", 1, 1, 0, 0, 0);
	fab_add_pod(lab, "x", "broadband", 0);
	fab_add_pod(lab, "y", "broadband", 0);
	fab_add_rel(lab, PI_LAB_REL_PROVIDER, "transit1", "x", 60);
	fab_add_rel(lab, PI_LAB_REL_PEER, "y", "transit1", 61);
	/* y has no explicit provider: it gets transit1? No: it already peers with
	 * the only transit pod, so nothing is left to buy from. */
	assert_non_null(strstr(build_err(lab, NULL), "no transit provider"));
	fab_free(lab);
}

static void test_exhaustion(void **state)
{
	(void)state;
	struct pi_lab *lab = fab_lab("tight", 1, 2, 1, 1, 1);
	fab_set_space(lab, "10.0.0.0/24", "2001:db8::/32");
	unsigned line;
	const char *msg = build_err(lab, &line);
	assert_string_equal(msg, "address space 10.0.0.0/24 is too small: the lab needs 5 pods and the anycast /24 "
				 "totalling /21 (1792 addresses) of IPv4, 256 available");
	assert_int_equal(line, 3); /* the address_space entry */
	fab_free(lab);

	lab = fab_lab("tight6", 1, 2, 1, 1, 0);
	fab_set_space(lab, "10.0.0.0/8", "2001:db8::/47");
	assert_non_null(strstr(build_err(lab, &line), "needs 4 /48s of IPv6 (4 pods), 2 available"));
	assert_int_equal(line, 4);
	fab_free(lab);

	/* Enough: four /24s, the IXP's /23 (its peering LAN has room for members) and anycast fit a /21. */
	lab = fab_lab("fits", 1, 2, 1, 1, 1);
	fab_set_space(lab, "10.0.0.0/21", "2001:db8::/45");
	struct pi_plan *plan = build_ok(lab);
	check_plan(plan);
	pi_plan_free(plan);
	fab_free(lab);
}

static void test_route_reflectors(void **state)
{
	(void)state;
	struct pi_lab *lab = fab_lab("rr", 5, 0, 0, 0, 0);
	fab_add_count(lab, "transit", 2);
	fab_add_override(lab, "border", 4);
	fab_add_override(lab, "core", 2);
	fab_add_count(lab, "broadband", 3);
	struct pi_plan *plan = build_ok(lab);
	check_plan(plan);
	uint32_t b1 = pi_plan_node_by_name(plan, "transit1-border1"), b2 = pi_plan_node_by_name(plan, "transit1-border2");
	uint32_t b3 = pi_plan_node_by_name(plan, "transit1-border3"), c2 = pi_plan_node_by_name(plan, "transit1-core2");
	assert_true(plan->nodes[b1].route_reflector && plan->nodes[b2].route_reflector);
	assert_false(plan->nodes[b3].route_reflector);
	unsigned rr_pair = 0, client = 0;
	for (uint32_t i = 0; i < plan->n_sessions; i++) {
		const struct pi_plan_session *s = &plan->sessions[i];
		if (s->rel != PI_REL_IBGP || plan->nodes[s->a].pod != 0)
			continue;
		/* Clients never talk to each other. */
		assert_true(plan->nodes[s->a].route_reflector);
		if (s->b == b2)
			rr_pair++, assert_false(s->b_is_rr_client);
		else
			client++, assert_true(s->b_is_rr_client);
		if (s->b == c2)
			assert_string_equal(s->name + strlen(s->name) - 3, s->family == 4 ? "_v4" : "_v6");
	}
	assert_int_equal(rr_pair, 2);       /* v4 + v6 */
	assert_int_equal(client, 2 * 4 * 2); /* 2 RRs x 4 clients x 2 families */
	/* Small pods: full mesh, no reflectors. */
	uint32_t bb = pi_plan_node_by_name(plan, "broadband1-border1");
	assert_false(plan->nodes[bb].route_reflector);
	pi_plan_free(plan);
	fab_free(lab);
}

static void test_long_names(void **state)
{
	(void)state;
	struct pi_lab *lab = fab_lab("longnames", 1, 0, 0, 0, 0);
	fab_add_pod(lab, "backbone-provider", "transit", 0);
	fab_add_pod(lab, "exchange-point-ab", "ixp", 0);
	fab_add_pod(lab, "residential-isp-1", "broadband", 0);
	fab_add_pod(lab, "residential-isp-2", "broadband", 0);
	fab_add_rel(lab, PI_LAB_REL_IXP, "residential-isp-1", "exchange-point-ab", 5);
	fab_add_rel(lab, PI_LAB_REL_IXP, "residential-isp-2", "exchange-point-ab", 6);
	struct pi_plan *plan = build_ok(lab);
	check_plan(plan); /* names <= 15 and unique per node, bridges unique */
	uint32_t b = pi_plan_node_by_name(plan, "backbone-provider-border1");
	assert_int_not_equal(b, PI_NONE);
	pi_plan_free(plan);
	fab_free(lab);
}

/* The original format: that project's numbers, exactly. */
static void test_legacy(void **state)
{
	(void)state;
	struct pi_lab lab;
	memset(&lab, 0, sizeof(lab));
	struct pi_legacy_pod pods[3] = {
		{ 16, 1, PI_LEGACY_DNS, 2, true, true, { "old.yml", 3, 5 } },
		{ 16, 2, PI_LEGACY_WEB, 1, true, true, { "old.yml", 9, 5 } },
		{ 17, 1, PI_LEGACY_BASE, 1, true, false, { "old.yml", 15, 5 } },
	};
	struct pi_legacy_peering peer[2] = {
		{ 16, 1, 1, 16, 2, 1, { "old.yml", 20, 5 } },
		{ 16, 1, 2, 17, 1, 1, { "old.yml", 24, 5 } },
	};
	lab.file = "old.yml";
	lab.name = "old";
	lab.tld = "lab";
	lab.is_legacy = true;
	lab.legacy = (struct pi_legacy){ pods, 3, peer, 2 };
	struct pi_plan *plan = build_ok(&lab);
	check_plan(plan);
	char buf[PI_PREFIX_STRLEN];
	assert_true(plan->legacy);
	assert_string_equal(plan->pods[0].name, "p16001");
	assert_int_equal(plan->pods[0].asn, 4200016001u);
	assert_int_equal(plan->pods[2].asn, 4200017001u);
	assert_string_equal(pi_prefix_fmt(&plan->pods[0].v4, buf), "10.16.1.0/24");
	assert_string_equal(pi_prefix_fmt(&plan->pods[0].v6, buf), "fd00:16:1::/48");
	assert_false(pi_prefix_is_set(&plan->pods[2].v6));
	uint32_t r1 = pi_plan_node_by_name(plan, "p16001-r1");
	assert_int_not_equal(r1, PI_NONE);
	assert_string_equal(plan->nodes[r1].fqdn, "R1.P16001.lab.");
	assert_string_equal(pi_prefix_fmt(&plan->nodes[r1].lo4, buf), "10.16.1.1/32");
	bool lan = false, bb = false;
	for (uint32_t i = 0; i < plan->nodes[r1].n_ifaces; i++) {
		const struct pi_plan_iface *f = pi_plan_node_iface(plan, r1, i);
		const struct pi_plan_link *l = &plan->links[f->link];
		if (l->scope == PI_SCOPE_BACKBONE) {
			bb = true;
			assert_string_equal(pi_prefix_fmt(&f->v4, buf), "172.16.1.11/12");
			assert_string_equal(pi_prefix_fmt(&f->v6, buf), "fd00:bb::16:1:11/48");
			assert_string_equal(pi_prefix_fmt(&l->v4, buf), "172.16.0.0/12");
			assert_int_equal(l->pod, PI_NONE);
		} else {
			lan = true;
			assert_string_equal(pi_prefix_fmt(&f->v4, buf), "10.16.1.11/24");
			assert_string_equal(pi_prefix_fmt(&f->v6, buf), "fd00:16:1::11/64");
		}
	}
	assert_true(lan && bb);
	uint32_t r2 = pi_plan_node_by_name(plan, "p16001-r2");
	assert_string_equal(pi_prefix_fmt(&pi_plan_node_iface(plan, r2, 0)->v4, buf), "10.16.1.12/24");
	uint32_t web = pi_plan_node_by_name(plan, "p16002-s1");
	assert_string_equal(plan->nodes[web].fqdn, "S1.P16002.lab.");
	assert_true(plan->nodes[web].services & PI_SVC_HTTP);
	assert_string_equal(pi_prefix_fmt(&pi_plan_node_iface(plan, web, 0)->v4, buf), "10.16.2.101/24");
	assert_string_equal(pi_prefix_fmt(&plan->nodes[web].gw4, buf), "10.16.2.11/32");
	/* eBGP only where peerings say, relationship peer, over the backbone. */
	unsigned ebgp = 0;
	for (uint32_t i = 0; i < plan->n_sessions; i++)
		if (plan->sessions[i].rel != PI_REL_IBGP) {
			ebgp++;
			assert_int_equal(plan->sessions[i].rel, PI_REL_PEER);
		}
	assert_int_equal(ebgp, 3); /* 16.1-16.2 v4+v6, 16.1-17.1 v4 only */
	/* The dns pod's server is root and TLD; all names resolve from its zones. */
	uint32_t dns = pi_plan_node_by_name(plan, "p16001-s1");
	assert_true(plan->nodes[dns].root_dns && plan->nodes[dns].tld_dns);
	assert_string_equal(plan->zones[1].name, "lab.");
	bool found = false;
	for (uint32_t i = 0; i < plan->zones[1].n_rrs; i++)
		found |= strcmp(plan->zones[1].rrs[i].owner, "R1.P16001.lab.") == 0 &&
			 plan->zones[1].rrs[i].type == PI_RR_A && strcmp(plan->zones[1].rrs[i].data, "10.16.1.1") == 0;
	assert_true(found);
	pi_plan_free(plan);

	/* A peering naming a router that does not exist. */
	peer[1].right_router = 3;
	unsigned line;
	assert_non_null(strstr(build_err(&lab, &line), "does not exist"));
	assert_int_equal(line, 24);
}

static void test_large_lab(void **state)
{
	(void)state;
	struct pi_lab *lab = fab_lab("large", 11, 10, 10, 490, 490);
	struct pi_plan *plan = build_ok(lab);
	check_plan(plan);
	assert_int_equal(plan->n_pods, 1000);
	pi_plan_free(plan);
	fab_free(lab);
}

/* 20,000 transit pods would be 200 million clique peerings: refused from
 * the counts, before the planner allocates anything, naming the limit. */
static void test_size_limits(void **state)
{
	(void)state;
	struct pi_lab *lab = fab_lab("clique", 1, 20000, 0, 0, 0);
	unsigned line;
	const char *msg = build_err(lab, &line);
	assert_non_null(strstr(msg, "199990000 peerings"));
	assert_non_null(strstr(msg, "the limit is"));
	assert_non_null(strstr(msg, "PI_PLAN_MAX_LINKS"));
	fab_free(lab);
	/* Many nodes through role overrides. */
	lab = fab_lab("wide", 1, 2, 0, 0, 0);
	fab_add_count(lab, "broadband", 20000);
	fab_add_override(lab, "sub", 8);
	msg = build_err(lab, &line);
	assert_non_null(strstr(msg, "nodes; the limit is 250000 (PI_PLAN_MAX_NODES)"));
	fab_free(lab);
	/* Just under the bounds still plans. */
	lab = fab_lab("under", 1, 40, 0, 0, 0);
	struct pi_plan *plan = build_ok(lab);
	assert_int_equal(plan->n_pods, 40);
	pi_plan_free(plan);
	fab_free(lab);
}

/* Planner errors about a default the lab relies on point at `pods`, and
 * planner errors are capped like the loader's. */
static void test_error_positions(void **state)
{
	(void)state;
	const char *text = "name: cg\npods:\n  transit: 2\n  broadband: 600\n";
	struct pi_diag d;
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	pi_diag_init(&d);
	const char *src = getenv("PI_SOURCE_DIR");
	char bdir[4096];
	snprintf(bdir, sizeof(bdir), "%s/blueprints", src && *src ? src : PI_SOURCE_DIR);
	assert_int_equal(pi_lab_load_mem("cg.yml", text, strlen(text), bdir, &lab, &d), 0);
	/* Too small for the lab, and with no position, as a default has none. */
	assert_int_equal(pi_prefix_parse("10.0.0.0/20", &lab->v4), 0);
	lab->v4_pos = (struct pi_pos){ 0 };
	assert_int_equal(pi_plan_build(lab, &plan, &d), -EINVAL);
	const struct pi_diag_entry *e = pi_vec_at(&d.entries, 0);
	assert_string_equal(e->pos.file, "cg.yml");
	assert_int_equal(e->pos.line, 2);
	assert_int_equal(e->pos.col, 1);
	pi_diag_free(&d);
	pi_lab_free(lab);

	/* 300 pods naming one name: 200 errors and one "too many". */
	lab = fab_lab("many", 1, 1, 0, 0, 0);
	for (int i = 0; i < 300; i++)
		fab_add_pod(lab, "twin", "ixp", 0);
	pi_diag_init(&d);
	assert_int_equal(pi_plan_build(lab, &plan, &d), -EINVAL);
	assert_int_equal(pi_diag_errors(&d), PI_PLAN_MAX_ERRORS + 1);
	e = pi_vec_at(&d.entries, PI_PLAN_MAX_ERRORS);
	assert_string_equal(e->msg, "too many errors; stopping here");
	pi_diag_free(&d);
	fab_free(lab);
}

/* The original project's example lab plans, keeping its title. */
static void test_original_example(void **state)
{
	(void)state;
	const char *src = getenv("PI_SOURCE_DIR");
	char path[4096], bdir[4096];
	snprintf(path, sizeof(path), "%s/tests/data/original/lab.yml", src && *src ? src : PI_SOURCE_DIR);
	snprintf(bdir, sizeof(bdir), "%s/blueprints", src && *src ? src : PI_SOURCE_DIR);
	struct pi_diag d;
	struct pi_lab *lab = NULL;
	pi_diag_init(&d);
	assert_int_equal(pi_lab_load(path, bdir, &lab, &d), 0);
	struct pi_plan *plan = build_ok(lab);
	check_plan(plan);
	assert_string_equal(plan->title, "Main Demo Lab");
	assert_int_equal(plan->n_pods, 3);
	/* 16.1-16.2 share only v4; 16.2 (v4) and 16.3 (v6) share nothing */
	unsigned ebgp = 0;
	for (uint32_t i = 0; i < plan->n_sessions; i++)
		if (plan->sessions[i].rel != PI_REL_IBGP) {
			ebgp++;
			assert_int_equal(plan->sessions[i].family, PI_AF_V4);
		}
	assert_int_equal(ebgp, 1);
	struct pi_buf b;
	pi_buf_init(&b);
	pi_plan_write_text(plan, &b);
	assert_non_null(strstr(pi_buf_str(&b), "\ntitle: Main Demo Lab\n"));
	pi_buf_reset(&b);
	assert_int_equal(pi_plan_write_json(plan, &b), 0);
	assert_non_null(strstr(pi_buf_str(&b), "\"title\": \"Main Demo Lab\""));
	pi_buf_free(&b);
	pi_plan_free(plan);
	pi_lab_free(lab);
	pi_diag_free(&d);
}

static struct pi_lab *load_text(const char *text)
{
	const char *src = getenv("PI_SOURCE_DIR");
	char bdir[4096];
	snprintf(bdir, sizeof(bdir), "%s/blueprints", src && *src ? src : PI_SOURCE_DIR);
	struct pi_diag d;
	struct pi_lab *lab = NULL;
	pi_diag_init(&d);
	if (pi_lab_load_mem("t.yml", text, strlen(text), bdir, &lab, &d))
		pi_diag_print(&d, stderr);
	assert_non_null(lab);
	pi_diag_free(&d);
	return lab;
}

/* Containment per node class, defaults and a lab's `limits:`. */
static void test_node_limits(void **state)
{
	(void)state;
	struct pi_lab *lab = fab_lab("lim", 1, 2, 1, 1, 1);
	struct pi_plan *plan = build_ok(lab);
	for (uint32_t n = 0; n < plan->n_nodes; n++) {
		const struct pi_plan_node *nd = &plan->nodes[n];
		enum pi_node_class k = pi_node_class_of(nd->services);
		uint32_t mem = k == PI_CLASS_ROUTER || k == PI_CLASS_RESOLVER ? 256 : 128;
		uint32_t pids = k == PI_CLASS_ROUTER || k == PI_CLASS_RESOLVER ? 256 : 128;
		assert_int_equal(nd->mem_limit_mb, mem);
		assert_int_equal(nd->pids_limit, pids);
	}
	char *j = json(plan);
	assert_non_null(strstr(j, "\"mem_limit_mb\": 256"));
	assert_non_null(strstr(j, "\"pids_limit\": 128"));
	free(j);
	pi_plan_free(plan);
	fab_free(lab);

	lab = load_text("pods: {transit: 2, broadband: 1}\n"
			"limits: {memory: {router: 512M, default: 1G}, pids: {default: 200, client: 64}}\n");
	plan = build_ok(lab);
	bool saw[PI_CLASS_DEFAULT] = { false };
	for (uint32_t n = 0; n < plan->n_nodes; n++) {
		const struct pi_plan_node *nd = &plan->nodes[n];
		enum pi_node_class k = pi_node_class_of(nd->services);
		saw[k] = true;
		assert_int_equal(nd->mem_limit_mb, k == PI_CLASS_ROUTER ? 512 : 1024);
		assert_int_equal(nd->pids_limit, k == PI_CLASS_CLIENT ? 64 : 200);
	}
	assert_true(saw[PI_CLASS_ROUTER] && saw[PI_CLASS_RESOLVER] && saw[PI_CLASS_SERVER] && saw[PI_CLASS_CLIENT]);
	pi_plan_free(plan);
	pi_lab_free(lab);
}

static bool has_space(const struct pi_vec *v, const char *want)
{
	char buf[PI_PREFIX_STRLEN];
	for (size_t i = 0; i < v->len; i++)
		if (strcmp(pi_prefix_fmt(pi_vec_at(v, i), buf), want) == 0)
			return true;
	return false;
}

static void test_address_spaces(void **state)
{
	(void)state;
	struct pi_lab *lab = fab_lab("sp", 1, 2, 1, 1, 1);
	struct pi_plan *plan = build_ok(lab);
	struct pi_vec v = PI_VEC_INIT(struct pi_prefix);
	pi_plan_address_spaces(plan, &v);
	assert_int_equal(v.len, 4);
	assert_true(has_space(&v, "10.0.0.0/8"));  /* the anycast /24 is inside it */
	assert_true(has_space(&v, "100.64.0.0/10")); /* broadband's CGNAT */
	assert_true(has_space(&v, "2001:db8::/32"));
	assert_true(has_space(&v, "64:ff9b::/96")); /* broadband's NAT64 */
	pi_vec_free(&v);
	pi_plan_free(plan);
	fab_free(lab);

	/* The original format: its backbone too; appends after what is there. */
	lab = load_text("pods: [{number: \"16.1\"}, {number: \"16.2\"}]\n"
			"peerings: [{left_pod: \"16.1\", left_router: 1, right_pod: \"16.2\", right_router: 1}]\n");
	plan = build_ok(lab);
	v = (struct pi_vec)PI_VEC_INIT(struct pi_prefix);
	struct pi_prefix x;
	pi_prefix_parse("192.0.2.0/24", &x);
	*(struct pi_prefix *)pi_vec_push(&v) = x;
	pi_plan_address_spaces(plan, &v);
	assert_int_equal(v.len, 4);
	assert_true(has_space(&v, "192.0.2.0/24"));
	assert_true(has_space(&v, "10.0.0.0/8"));
	assert_true(has_space(&v, "172.16.0.0/12"));
	assert_true(has_space(&v, "fd00::/16"));
	pi_vec_free(&v);
	pi_plan_free(plan);
	pi_lab_free(lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_determinism), cmocka_unit_test(test_invariants),
		cmocka_unit_test(test_shape),       cmocka_unit_test(test_explicit),
		cmocka_unit_test(test_errors),      cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_route_reflectors), cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_legacy),      cmocka_unit_test(test_large_lab),
		cmocka_unit_test(test_size_limits), cmocka_unit_test(test_error_positions),
		cmocka_unit_test(test_original_example), cmocka_unit_test(test_node_limits),
		cmocka_unit_test(test_address_spaces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
