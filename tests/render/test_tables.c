/*
 * Rendering full tables and RPKI: table.conf holds a pod's whole table in
 * one static protocol per family (generated ones plain, replayed ones with
 * their AS paths), peers' cone filters know a generated block, ROV borders
 * get the ROA tables, the RTR session and a roa_check in every eBGP import
 * (others none), and the cache node's vrps.json is the plan's ROAs in the
 * schema stayrtr reads. The daemons' own checkers run in test_checkers.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include "common.h"
#include "../util/mrt_fixture.h"

static struct pi_plan *plan_of(const char *path, struct pi_lab **lab)
{
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_plan *plan = NULL;
	int rc = pi_lab_load(path, getenv("POCKETINTERNET_BLUEPRINTS"), lab, &d);
	if (rc == 0)
		rc = pi_plan_build(*lab, &plan, &d);
	if (rc)
		pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	assert_int_equal(rc, 0);
	return plan;
}

static struct pi_plan *tables_plan(struct pi_lab **lab)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/data/tables/tables.yml", getenv("PI_SOURCE_DIR"));
	return plan_of(path, lab);
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_table_conf(void **state)
{
	(void)state;
	struct pi_lab *lab;
	struct pi_plan *p = tables_plan(&lab);
	uint32_t b1 = pi_plan_node_by_name(p, "transit1-border1"), other = pi_plan_node_by_name(p, "transit2-border1");
	char *t = render_file(p, b1, "table.conf");
	assert_non_null(t);
	assert_int_equal(count(t, "\troute "), 6000);
	assert_int_equal(count(t, "blackhole;\n"), 6000);
	assert_non_null(strstr(t, "protocol static table4 {\n\tipv4;\n"));
	assert_non_null(strstr(t, "protocol static table6 {\n\tipv6;\n"));
	assert_non_null(strstr(t, "function table_own4() { return proto = \"table4\"; }"));
	assert_non_null(strstr(t, "function table_replay4() { return false; }"));
	free(t);
	/* A pod without a table: the same functions, all false. */
	t = render_file(p, other, "table.conf");
	assert_int_equal(count(t, "\troute "), 0);
	assert_non_null(strstr(t, "function table_own6() { return false; }"));
	free(t);
	/* Its peer's import filter from transit1 takes the whole block. */
	char *conf = render_file(p, other, "bird.conf"), blk[PI_PREFIX_STRLEN], want[80];
	snprintf(want, sizeof(want), "%s+", pi_prefix_fmt(&p->pods[p->nodes[b1].pod].table->block4, blk));
	assert_non_null(strstr(conf, want));
	assert_non_null(strstr(conf, "include \"/etc/pocketinternet/table.conf\";"));
	free(conf);
	pi_plan_free(p);
	pi_lab_free(lab);
}

/* On a ROV border: ROA tables, the RTR session to the cache, a roa_check in every eBGP import. */
static void test_rov_config(void **state)
{
	(void)state;
	struct pi_lab *lab;
	struct pi_plan *p = load_lab_plan("rpki", &lab);
	char addr[PI_PREFIX_STRLEN], want[128];
	struct pi_prefix ca = pi_plan_rpki_cache_addr(p, PI_AF_V4);
	snprintf(want, sizeof(want), "remote %s port 323;", pi_prefix_fmt_addr(&ca, addr));
	unsigned rov_borders = 0, plain_borders = 0;
	for (uint32_t n = 0; n < p->n_nodes; n++) {
		if (!(p->nodes[n].services & PI_SVC_EBGP))
			continue;
		char *conf = render_file(p, n, "bird.conf");
		unsigned ebgp = 0;
		for (uint32_t k = 0; k < p->nodes[n].n_session_idx; k++)
			ebgp += p->sessions[p->nodes[n].session_idx[k]].rel != PI_REL_IBGP;
		if (p->pods[p->nodes[n].pod].rov) {
			assert_non_null(strstr(conf, "roa4 table r4;\nroa6 table r6;\n"));
			assert_non_null(strstr(conf, want));
			assert_int_equal(count(conf, "if roa_check(r"), ebgp);
			assert_int_equal(count(conf, "import table on;"), ebgp);
			rov_borders++;
		} else {
			assert_null(strstr(conf, "roa_check"));
			assert_null(strstr(conf, "protocol rpki"));
			plain_borders++;
		}
		free(conf);
	}
	assert_true(rov_borders >= 2);
	assert_true(plain_borders >= 2);
	/* The cache node starts stayrtr on the VRPs. */
	char *start = render_file(p, p->rpki_cache, "start.sh");
	assert_non_null(strstr(start, "stayrtr -cache \"$CONF/vrps.json\" -bind :323 -checktime=false -protocol 1"));
	free(start);
	pi_plan_free(p);
	pi_lab_free(lab);
}

/* vrps.json: {"roas":[{"prefix": "P", "maxLength": N, "asn": "ASn"}]} with exactly the plan's ROAs. */
static void test_vrps_schema(void **state)
{
	(void)state;
	struct pi_lab *lab;
	struct pi_plan *p = tables_plan(&lab);
	char *text = render_file(p, p->rpki_cache, "vrps.json");
	assert_non_null(text);
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);
	assert_non_null(j);
	json_t *roas = json_object_get(j, "roas");
	assert_true(json_is_array(roas));
	assert_int_equal(json_array_size(roas), p->n_roas);
	assert_true(p->n_roas > 10);
	size_t i;
	json_t *r;
	json_array_foreach(roas, i, r) {
		assert_int_equal(json_object_size(r), 3);
		const char *pfx = json_string_value(json_object_get(r, "prefix"));
		const char *asn = json_string_value(json_object_get(r, "asn"));
		json_t *ml = json_object_get(r, "maxLength");
		assert_non_null(pfx);
		assert_non_null(asn);
		assert_true(json_is_integer(ml));
		struct pi_prefix net;
		assert_int_equal(pi_prefix_parse(pfx, &net), 0);
		assert_false(pi_prefix_has_host_bits(&net));
		assert_true(json_integer_value(ml) >= net.len && json_integer_value(ml) <= pi_prefix_maxlen(&net));
		assert_true(strncmp(asn, "AS", 2) == 0 && strspn(asn + 2, "0123456789") == strlen(asn + 2));
		assert_true(pi_prefix_equal(&net, &p->roas[i].net));
		assert_int_equal(strtoul(asn + 2, NULL, 10), p->roas[i].asn);
		assert_int_equal(json_integer_value(ml), p->roas[i].max_len);
	}
	json_decref(j);
	free(text);
	pi_plan_free(p);
	pi_lab_free(lab);
}

/* A replayed dump: each route with its path, given to customers only. */
static void test_mrt_table(void **state)
{
	(void)state;
	static const uint32_t p1[] = { 65010, 3333 }, p2[] = { 65010, 174, 15169 };
	struct pi_buf b;
	pi_buf_init(&b);
	mrt_peer_index(&b, 65010);
	mrt_rib(&b, 0, "193.0.0.0/21", p1, 2);
	mrt_rib(&b, 1, "2001:4860::/32", p2, 3);
	char dir[] = "/tmp/pi-mrt-render-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char file[256], labf[256];
	snprintf(file, sizeof(file), "%s/rib.mrt", dir);
	snprintf(labf, sizeof(labf), "%s/lab.yml", dir);
	assert_int_equal(pi_write_file(file, b.data, b.len, 0644), 0);
	const char *text = "pods:\n  - {name: up, blueprint: transit, announce: {mrt: rib.mrt}}\n"
			   "  - {blueprint: broadband, count: 1}\n";
	assert_int_equal(pi_write_file(labf, text, strlen(text), 0644), 0);
	struct pi_lab *lab;
	struct pi_plan *p = plan_of(labf, &lab);
	char *t = render_file(p, pi_plan_node_by_name(p, "up-border1"), "table.conf");
	assert_non_null(strstr(t, "\troute 193.0.0.0/21 blackhole { bgp_path.prepend(3333); bgp_path.prepend(65010); };\n"));
	assert_non_null(strstr(t, "\troute 2001:4860::/32 blackhole { bgp_path.prepend(15169); bgp_path.prepend(174); "
				  "bgp_path.prepend(65010); };\n"));
	assert_non_null(strstr(t, "function table_own4() { return false; }"));
	assert_non_null(strstr(t, "function table_replay4() { return proto = \"table4\"; }"));
	free(t);
	char *conf = render_file(p, pi_plan_node_by_name(p, "up-border1"), "bird.conf");
	assert_non_null(strstr(conf, "if own_route4() || table_replay4() then accept;"));
	free(conf);
	pi_plan_free(p);
	pi_lab_free(lab);
	unlink(file);
	unlink(labf);
	rmdir(dir);
	pi_buf_free(&b);
}

/* BIRD's own words for its size (2.0.12), through the daemon table. */
static void test_size_parsers(void **state)
{
	(void)state;
	const struct pi_router_daemon *d = &pi_router_bird;
	uint64_t e = 0, o = 0, n = 0;
	assert_true(d->parse_memory("BIRD memory usage\n                  Effective    Overhead\n"
				    "Routing tables:     19.5 kB     13.1 kB\nTotal:             512.0 MB     57.7 kB\n",
				    &e, &o));
	assert_int_equal(e, 512ull * 1024 * 1024);
	assert_int_equal(o, (uint64_t)(57.7 * 1024));
	assert_true(d->parse_memory("Total:              984.0  B   9216.0  B\n", &e, &o));
	assert_int_equal(e, 984);
	assert_false(d->parse_memory("Routing tables: 1 kB 2 kB\n", &e, &o));
	char cmd[64];
	d->count_cmd(PI_AF_V6, cmd, sizeof(cmd));
	assert_string_equal(cmd, "show route table master6 count");
	assert_true(d->parse_count("1000123 of 1000200 routes for 1000001 networks in table master4\n", &n));
	assert_int_equal(n, 1000001);
	assert_false(d->parse_count("syntax error\n", &n));
	assert_string_equal(d->memory_cmd, "show memory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_conf),
		cmocka_unit_test(test_rov_config),
		cmocka_unit_test(test_vrps_schema),
		cmocka_unit_test(test_mrt_table),
		cmocka_unit_test(test_size_parsers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
