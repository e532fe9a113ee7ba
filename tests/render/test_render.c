/*
 * render tests that need no daemon: golden files for the hand-built
 * fixture and for labs/tiny.yml, the filters of sample sessions, the bogon
 * exemption of the lab's space, DNS duties, and writing a whole lab.
 *
 * After an intended change, regenerate the golden files with
 *   PI_UPDATE_GOLDEN=1 meson test -C BUILD --suite render golden
 * and read the diff before committing it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "common.h"
#include "fixture.h"

/* ---- golden files ---- */

static bool update_golden(void)
{
	const char *u = getenv("PI_UPDATE_GOLDEN");
	return u && strcmp(u, "1") == 0;
}

/* The files of a golden set that nothing rendered (nftw has no context). */
static struct {
	const char *root; /* the set's directory */
	char **made;	  /* "<node>/<path>" of every rendered file */
	size_t n_made;
	bool update;
	unsigned stale;
} walk;

static int stale_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)ftw;
	if (type == FTW_DP) {
		if (strcmp(path, walk.root) != 0)
			rmdir(path); /* only succeeds when the update emptied it */
		return 0;
	}
	if (type != FTW_F)
		return 0;
	const char *rel = path + strlen(walk.root) + 1;
	for (size_t i = 0; i < walk.n_made; i++)
		if (strcmp(walk.made[i], rel) == 0)
			return 0;
	if (walk.update) {
		assert_int_equal(unlink(path), 0);
		return 0;
	}
	fprintf(stderr, "golden stale: %s (nothing renders it any more; PI_UPDATE_GOLDEN=1 removes it)\n", path);
	walk.stale++;
	return 0;
}

/*
 * Compares every file of every node with <root>/<set>/<node>/<path>, and
 * counts golden files that nothing rendered; with update, writes the
 * rendered files and removes the stale ones instead. Returns the number of
 * differences.
 */
static unsigned golden_diff(const struct pi_plan *plan, const char *root, const char *set_name, bool update)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/%s", root, set_name);
	unsigned mismatches = 0, files = 0;
	char **made = NULL;
	for (uint32_t n = 0; n < plan->n_nodes; n++) {
		struct pi_render_set set;
		pi_render_set_init(&set);
		pi_render_node(plan, n, &set);
		made = realloc(made, (files + set.files.len) * sizeof(char *));
		for (size_t i = 0; i < set.files.len; i++) {
			const struct pi_render_file *f = pi_vec_at(&set.files, i);
			char rel[1024], path[8192];
			snprintf(rel, sizeof(rel), "%s/%s", plan->nodes[n].name, f->path);
			snprintf(path, sizeof(path), "%s/%s", dir, rel);
			made[files++] = strdup(rel);
			if (update) {
				assert_int_equal(pi_write_file(path, f->data, f->len, 0644), 0);
				continue;
			}
			char *want = NULL;
			size_t len = 0;
			int rc = pi_read_file(path, &want, &len);
			if (rc || len != f->len || memcmp(want, f->data, len) != 0) {
				fprintf(stderr, "golden mismatch: %s%s\n", path, rc ? " (missing)" : "");
				mismatches++;
			}
			free(want);
		}
		pi_render_set_free(&set);
	}
	assert_true(files > 0);
	walk.root = dir, walk.made = made, walk.n_made = files, walk.update = update, walk.stale = 0;
	assert_int_equal(nftw(dir, stale_file, 16, FTW_DEPTH | FTW_PHYS), 0);
	for (unsigned i = 0; i < files; i++)
		free(made[i]);
	free(made);
	return mismatches + walk.stale;
}

/* tests/golden/render/<set>; PI_UPDATE_GOLDEN=1 rewrites it. */
static void check_golden(const struct pi_plan *plan, const char *set_name)
{
	const char *src = getenv("PI_SOURCE_DIR");
	assert_non_null(src);
	char root[4096];
	snprintf(root, sizeof(root), "%s/tests/golden/render", src);
	assert_int_equal(golden_diff(plan, root, set_name, update_golden()), 0);
}

/* A golden file nothing renders any more fails the comparison, and an
 * update removes it (with the directories it leaves empty). */
static void test_golden_stale(void **state)
{
	(void)state;
	struct pi_plan *p = fixture_plan();
	char root[] = "/tmp/pi-golden-XXXXXX", path[4200];
	assert_non_null(mkdtemp(root));
	assert_int_equal(golden_diff(p, root, "fx", true), 0);
	assert_int_equal(golden_diff(p, root, "fx", false), 0);
	snprintf(path, sizeof(path), "%s/fx/gone-node/bird.conf", root);
	assert_int_equal(pi_write_file(path, "old\n", 4, 0644), 0);
	snprintf(path, sizeof(path), "%s/fx/t-r1/unbound.conf", root);
	assert_int_equal(pi_write_file(path, "old\n", 4, 0644), 0);
	assert_int_equal(golden_diff(p, root, "fx", false), 2);
	assert_int_equal(golden_diff(p, root, "fx", true), 0);
	struct stat st;
	assert_int_not_equal(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/fx/gone-node", root);
	assert_int_not_equal(stat(path, &st), 0);
	assert_int_equal(golden_diff(p, root, "fx", false), 0);
	char cmd[4300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	fixture_free(p);
}

static void test_golden_fixture(void **state)
{
	(void)state;
	struct pi_plan *p = fixture_plan();
	check_golden(p, "fixture");
	fixture_free(p);
}

static void test_golden_tiny(void **state)
{
	(void)state;
	struct pi_lab *lab;
	struct pi_plan *p = load_lab_plan("tiny", &lab);
	check_golden(p, "tiny");
	pi_plan_free(p);
	pi_lab_free(lab);
}

/* ---- filters of sample sessions ---- */

static void test_customer_session_filters(void **state)
{
	(void)state;
	struct pi_plan *p = fixture_plan();
	char *t = render_file(p, FX_T_R1, "bird.conf");
	char *a = render_file(p, FX_A_R1, "bird.conf");
	assert_non_null(t);
	assert_non_null(a);

	/* t sells transit to a: t accepts only a's cone, tags customer, gives everything. */
	char *blk = bird_protocol_block(t, "ebgp_t_a_v4");
	assert_non_null(blk);
	assert_non_null(strstr(blk, "neighbor 10.0.0.1 as 65001;"));
	assert_non_null(strstr(blk, "local 10.0.0.0 as 65000;"));
	assert_non_null(strstr(blk, "if ! (net ~ [ 10.1.0.0/16+ ] || incident_accept4()) then reject;"));
	assert_non_null(strstr(blk, "learned_from(FROM_CUSTOMER, LP_CUSTOMER);"));
	assert_non_null(strstr(blk, "export filter export_all4;"));
	assert_non_null(strstr(blk, "import limit (12 + INCIDENT_LIMIT_EXTRA) action restart;"));
	free(blk);

	/* b is anycast: its cone includes the anycast prefix. */
	blk = bird_protocol_block(t, "ebgp_t_b_v6");
	assert_non_null(blk);
	assert_non_null(strstr(blk, "if ! (net ~ [ 2001:db8:2::/48+, 2001:db8:9::/48+ ] || incident_accept6()) then reject;"));
	free(blk);

	/* a's side: t is a provider (anything but bogons), a exports only own + customers. */
	blk = bird_protocol_block(a, "ebgp_t_a_v4");
	assert_non_null(blk);
	assert_null(strstr(blk, "net ~ ["));
	assert_non_null(strstr(blk, "learned_from(FROM_PROVIDER, LP_PROVIDER);"));
	assert_non_null(strstr(blk, "export filter export_own_and_customers4;"));
	assert_non_null(strstr(blk, "import limit (1000000 + INCIDENT_LIMIT_EXTRA) action restart;"));
	free(blk);

	/* a and b peer: each accepts only the other's cone. */
	blk = bird_protocol_block(a, "ebgp_a_b_v4");
	assert_non_null(blk);
	assert_non_null(strstr(blk, "if ! (net ~ [ 10.2.0.0/16+, 10.9.0.0/24+ ] || incident_accept4()) then reject;"));
	assert_non_null(strstr(blk, "learned_from(FROM_PEER, LP_PEER);"));
	assert_non_null(strstr(blk, "export filter export_own_and_customers4;"));
	free(blk);

	/* The policy constants themselves. */
	assert_non_null(strstr(t, "define LP_CUSTOMER = 200;"));
	assert_non_null(strstr(t, "define LP_PEER = 100;"));
	assert_non_null(strstr(t, "define LP_PROVIDER = 50;"));
	assert_non_null(strstr(t, "if (MY_AS, 1, FROM_CUSTOMER) ~ bgp_large_community then accept;"));
	assert_non_null(strstr(t, "bgp_large_community.add((MY_AS, 1, kind));"));
	/* Origination of the aggregate; b also originates the anycast prefix. */
	assert_non_null(strstr(t, "route 10.0.0.0/16 unreachable;"));
	char *b = render_file(p, FX_B_R1, "bird.conf");
	assert_non_null(strstr(b, "route 10.9.0.0/24 unreachable;"));
	/* b's router reaches its web node's anycast and loopback address through OSPF. */
	assert_non_null(strstr(b, "route 10.9.0.1/32 via 10.2.1.2;"));
	assert_non_null(strstr(b, "route 10.2.255.2/32 via 10.2.1.2;"));
	assert_non_null(strstr(b, "export where proto = \"servers4\";"));
	free(b);
	free(t);
	free(a);
	fixture_free(p);
}

static void test_ibgp_and_rs(void **state)
{
	(void)state;
	struct pi_lab *lab;
	struct pi_plan *p = load_lab_plan("tiny", &lab);
	unsigned ibgp = 0, rs = 0;
	for (uint32_t i = 0; i < p->n_sessions; i++) {
		const struct pi_plan_session *s = &p->sessions[i];
		char *ca = render_file(p, s->a, "bird.conf");
		char *cb = render_file(p, s->b, "bird.conf");
		char *ba = bird_protocol_block(ca, s->name);
		char *bb = bird_protocol_block(cb, s->name);
		/* Both ends carry the plan's name (setup looks sessions up by it). */
		assert_non_null(ba);
		assert_non_null(bb);
		if (s->rel == PI_REL_IBGP) {
			ibgp++;
			assert_non_null(strstr(ba, "multihop;"));
			assert_null(strstr(ba, "import filter {"));
			if (p->nodes[s->a].services & PI_SVC_EBGP)
				assert_non_null(strstr(ba, "next hop self ebgp;"));
		}
		if (s->rel == PI_REL_RS) {
			rs++;
			assert_non_null(strstr(bb, "rs client;"));
			assert_non_null(strstr(ba, "enforce first as off;"));
			assert_null(strstr(ba, "rs client;"));
		}
		free(ba);
		free(bb);
		free(ca);
		free(cb);
	}
	assert_true(ibgp > 0);
	assert_true(rs > 0);
	pi_plan_free(p);
	pi_lab_free(lab);
}

/* The lab's own space is exempt from the bogon list, whatever it is. */
static void test_bogons_spare_lab_space(void **state)
{
	(void)state;
	struct pi_lab *lab;
	struct pi_plan *p = load_lab_plan("original-sample", &lab);
	bool seen = false;
	for (uint32_t n = 0; n < p->n_nodes; n++) {
		char *c = render_file(p, n, "bird.conf");
		if (!c || !strstr(c, "function ebgp_sane6()")) {
			free(c);
			continue;
		}
		seen = true;
		char buf[PI_PREFIX_STRLEN], want[128];
		snprintf(want, sizeof(want), "define LAB_SPACE6 = [ %s+", pi_prefix_fmt(&p->v6, buf));
		assert_non_null(strstr(c, want));
		/* fd00::/16 sits in fc00::/7, a bogon: the lab space test comes first. */
		assert_non_null(strstr(c, "fc00::/7+"));
		const char *f = strstr(c, "function ebgp_sane6()");
		const char *lab_check = strstr(f, "if net ~ LAB_SPACE6 then return true;");
		const char *bogon_check = strstr(f, "if net ~ BOGONS6 then return false;");
		assert_non_null(lab_check);
		assert_non_null(bogon_check);
		assert_true(lab_check < bogon_check);
		free(c);
	}
	assert_true(seen);
	pi_plan_free(p);
	pi_lab_free(lab);
}

/* ---- DNS ---- */

static void test_dns_duties(void **state)
{
	(void)state;
	struct pi_plan *p = fixture_plan();
	char *u = render_file(p, FX_T_NS1, "unbound.conf");
	assert_non_null(u);
	assert_non_null(strstr(u, "root-hints: \"/etc/pocketinternet/root.hints\""));
	assert_non_null(strstr(u, "name: \".\"\n\tzonefile: \"/etc/pocketinternet/zones/root.zone\""));
	assert_non_null(strstr(u, "name: \"pocket.\"\n\tzonefile: \"/etc/pocketinternet/zones/pocket.zone\""));
	assert_non_null(strstr(u, "do-not-query-localhost: no"));
	assert_null(strstr(u, "trust-anchor"));
	assert_null(strstr(u, "validator"));
	assert_null(strstr(u, "dns64"));	/* pod t has no NAT64 LAN */
	assert_non_null(strstr(u, "access-control: 10.0.0.0/8 allow"));
	free(u);

	char *h = render_file(p, FX_T_NS1, "root.hints");
	assert_non_null(strstr(h, ".                                        3600000 NS   ns1.t.pocket.\n"));
	assert_non_null(strstr(h, "ns1.t.pocket.                            3600000 A    10.0.1.2\n"));
	free(h);

	char *z = render_file(p, FX_T_NS1, "zones/pocket.zone");
	assert_non_null(z);
	assert_non_null(strstr(z, "pocket.                                  300 IN SOA   ns1.t.pocket."));
	assert_non_null(strstr(z, "www.b.pocket.                            300 IN A     10.2.1.2\n"));
	free(z);

	/* Hosts: only the node itself; resolv.conf: its resolvers. */
	char *hosts = render_file(p, FX_B_WEB1, "hosts");
	assert_non_null(strstr(hosts, "10.2.255.2                               web1.b.pocket b-web1\n"));
	assert_null(strstr(hosts, "t-ns1"));
	free(hosts);
	char *rc = render_file(p, FX_B_WEB1, "resolv.conf");
	assert_non_null(strstr(rc, "nameserver 10.0.255.2\nnameserver 2001:db8::2\nsearch b.pocket\n"));
	free(rc);
	fixture_free(p);
}

/* Broadband pods: DNS64 on the resolver, NAT44/NAT64 and DHCP on the access router. */
static void test_broadband(void **state)
{
	(void)state;
	struct pi_lab *lab;
	struct pi_plan *p = load_lab_plan("tiny", &lab);
	uint32_t res = pi_plan_node_by_name(p, "broadband1-resolver1");
	uint32_t acc = pi_plan_node_by_name(p, "broadband1-access1");
	assert_int_not_equal(res, PI_NONE);
	assert_int_not_equal(acc, PI_NONE);
	struct pi_prefix pfx;
	char pb[PI_PREFIX_STRLEN], want[256];
	pi_render_nat64_prefix(p, p->nodes[acc].pod, &pfx);
	/* 10.0.0.0/8 is private: tayga refuses it behind 64:ff9b::/96. */
	assert_true(pi_prefix_contains(&p->pods[p->nodes[acc].pod].v6, &pfx));
	assert_int_equal(pfx.len, 96);

	char *u = render_file(p, res, "unbound.conf");
	assert_non_null(strstr(u, "module-config: \"dns64 iterator\""));
	snprintf(want, sizeof(want), "dns64-prefix: %s\n", pi_prefix_fmt(&pfx, pb));
	assert_non_null(strstr(u, want));
	free(u);

	char *t = render_file(p, acc, "tayga.conf");
	snprintf(want, sizeof(want), "prefix %s\n", pi_prefix_fmt(&pfx, pb));
	assert_non_null(strstr(t, want));
	snprintf(want, sizeof(want), "dynamic-pool %s\n", pi_prefix_fmt(&p->pods[p->nodes[acc].pod].nat64_pool, pb));
	assert_non_null(strstr(t, want));
	free(t);

	char *n = render_file(p, acc, "nft.conf");
	snprintf(want, sizeof(want), "ip saddr %s ", pi_prefix_fmt(&p->pods[p->nodes[acc].pod].cgnat_pool, pb));
	assert_non_null(strstr(n, want));
	assert_non_null(strstr(n, "type nat hook postrouting priority srcnat;"));
	free(n);

	char *d = render_file(p, acc, "dnsmasq.conf");
	assert_non_null(strstr(d, "port=0\n"));
	assert_non_null(strstr(d, "enable-ra\n"));
	/* Every DHCP client of the plan has its static lease, by MAC. */
	for (uint32_t i = 0; i < p->n_ifaces; i++) {
		const struct pi_plan_iface *f = &p->ifaces[i];
		if (!f->dhcp4 || p->nodes[f->node].pod != p->nodes[acc].pod)
			continue;
		char a[PI_PREFIX_STRLEN];
		snprintf(want, sizeof(want), "dhcp-host=%02x:%02x:%02x:%02x:%02x:%02x,%s,%s\n", f->mac[0], f->mac[1],
			 f->mac[2], f->mac[3], f->mac[4], f->mac[5], pi_prefix_fmt_addr(&f->v4, a), p->nodes[f->node].name);
		assert_non_null(strstr(d, want));
		/* and its start.sh runs dhclient on that interface. */
		char *s = render_file(p, f->node, "start.sh");
		snprintf(want, sizeof(want), "dhclient -4 -nw -pf \"$RUN/dhclient-%s.pid\"", f->name);
		assert_non_null(strstr(s, want));
		free(s);
	}
	free(d);

	/* The access router pulls the NAT pools into OSPF. */
	char *b = render_file(p, acc, "bird.conf");
	snprintf(want, sizeof(want), "route %s blackhole;", pi_prefix_fmt(&p->pods[p->nodes[acc].pod].nat44_pool, pb));
	assert_non_null(strstr(b, want));
	snprintf(want, sizeof(want), "route %s via \"nat64\";", pi_prefix_fmt(&pfx, pb));
	assert_non_null(strstr(b, want));
	free(b);
	pi_plan_free(p);
	pi_lab_free(lab);
}

/* Pure: the same plan renders to the same bytes. */
static void test_deterministic(void **state)
{
	(void)state;
	struct pi_plan *p = fixture_plan();
	for (uint32_t n = 0; n < p->n_nodes; n++) {
		struct pi_render_set s1, s2;
		pi_render_set_init(&s1);
		pi_render_set_init(&s2);
		pi_render_node(p, n, &s1);
		pi_render_node(p, n, &s2);
		assert_int_equal(s1.files.len, s2.files.len);
		for (size_t i = 0; i < s1.files.len; i++) {
			const struct pi_render_file *a = pi_vec_at(&s1.files, i), *b = pi_vec_at(&s2.files, i);
			assert_string_equal(a->path, b->path);
			assert_string_equal(a->data, b->data);
		}
		pi_render_set_free(&s1);
		pi_render_set_free(&s2);
	}
	fixture_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_fixture),
		cmocka_unit_test(test_golden_tiny),
		cmocka_unit_test(test_golden_stale),
		cmocka_unit_test(test_customer_session_filters),
		cmocka_unit_test(test_ibgp_and_rs),
		cmocka_unit_test(test_bogons_spare_lab_space),
		cmocka_unit_test(test_dns_duties),
		cmocka_unit_test(test_broadband),
		cmocka_unit_test(test_deterministic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
