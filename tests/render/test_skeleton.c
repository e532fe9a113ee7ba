/*
 * Exercise pods' skeletons (labs/teams.yml: red-isp at level bgp,
 * blue-isp at level all): the students' sides of the sessions are comments
 * that name every planned neighbour's protocol name, addresses and ASN;
 * what the students are given stays rendered; the neighbours keep their
 * sessions toward the pod, filtered to the pod's cone with an import limit.
 * `bird -p` checks every exercise pod's file here (bird installed, else
 * that test is skipped), and the checkers suite every file of every lab.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "common.h"

/* Does conf have line at the start of a line (not in a comment)? */
static bool has_line(const char *conf, const char *line)
{
	char want[512];
	snprintf(want, sizeof(want), "\n%s", line);
	return strstr(conf, want) != NULL;
}

static uint32_t node(const struct pi_plan *p, const char *name)
{
	uint32_t n = pi_plan_node_by_name(p, name);
	assert_int_not_equal(n, PI_NONE);
	return n;
}

/* Every session of node: the students' as a TODO naming it, the others rendered. */
static void check_sessions(const struct pi_plan *p, uint32_t n, unsigned *todo, unsigned *kept)
{
	char *conf = render_file(p, n, "bird.conf");
	assert_non_null(conf);
	for (uint32_t i = 0; i < p->nodes[n].n_session_idx; i++) {
		uint32_t k = p->nodes[n].session_idx[i];
		char name[64], want[160];
		pi_router_bird.session_name(p, k, name, sizeof(name));
		snprintf(want, sizeof(want), "protocol bgp %s from lab_bgp {", name);
		bool by_students = pi_plan_session_by_students(p, k, n);
		assert_int_equal(has_line(conf, want), !by_students);
		if (!by_students) {
			(*kept)++;
			continue;
		}
		snprintf(want, sizeof(want), "#   protocol bgp %s from lab_bgp {", name);
		assert_true(has_line(conf, want));
		/* The neighbour's address and ASN are spelled out. */
		const struct pi_plan_session *s = &p->sessions[k];
		uint32_t remote = s->a == n ? s->b : s->a;
		char addr[PI_PREFIX_STRLEN], asn[128];
		struct pi_prefix h = pi_prefix_as_host(s->a == n ? &s->b_addr : &s->a_addr);
		pi_prefix_fmt(&h, addr);
		*strchr(addr, '/') = '\0';
		snprintf(asn, sizeof(asn), "neighbor %s as %u;", addr, p->pods[p->nodes[remote].pod].asn);
		assert_non_null(strstr(conf, asn));
		(*todo)++;
	}
	free(conf);
}

static void test_level_bgp(void **state)
{
	(void)state;
	struct pi_lab *lab;
	struct pi_plan *p = load_lab_plan("teams", &lab);
	uint32_t pod = pi_plan_pod_by_name(p, "red-isp");
	assert_int_equal(p->pods[pod].exercise, PI_EXERCISE_BGP);
	assert_string_equal(p->pods[pod].team, "red");
	uint32_t b = node(p, "red-isp-border1");
	char *conf = render_file(p, b, "bird.conf");
	/* Given: OSPF, the policy's vocabulary; not given: the origination. */
	assert_true(has_line(conf, "protocol ospf v2 ospf4 {"));
	assert_true(has_line(conf, "filter export_own_and_customers4"));
	assert_false(has_line(conf, "protocol static origin4 {"));
	assert_non_null(strstr(conf, "# TODO origination"));
	assert_non_null(strstr(conf, "# ==== EXERCISE POD red-isp"));
	free(conf);
	unsigned todo = 0, kept = 0;
	for (uint32_t n = p->pods[pod].first_node; n < p->pods[pod].first_node + p->pods[pod].n_nodes; n++)
		if (pi_router_daemon_of(p, n))
			check_sessions(p, n, &todo, &kept);
	assert_true(todo >= 2); /* its provider and the IXP, both families */
	assert_true(kept >= 2); /* iBGP stays */
	pi_plan_free(p);
	pi_lab_free(lab);
}

static void test_level_all(void **state)
{
	(void)state;
	struct pi_lab *lab;
	struct pi_plan *p = load_lab_plan("teams", &lab);
	uint32_t pod = pi_plan_pod_by_name(p, "blue-isp");
	assert_int_equal(p->pods[pod].exercise, PI_EXERCISE_ALL);
	unsigned todo = 0, kept = 0;
	for (uint32_t n = p->pods[pod].first_node; n < p->pods[pod].first_node + p->pods[pod].n_nodes; n++) {
		if (!pi_router_daemon_of(p, n))
			continue;
		char *conf = render_file(p, n, "bird.conf");
		assert_false(has_line(conf, "protocol ospf v2 ospf4 {"));
		assert_false(has_line(conf, "protocol ospf v3 ospf6 {"));
		assert_non_null(strstr(conf, "# TODO OSPF"));
		assert_true(has_line(conf, "protocol device {"));
		free(conf);
		check_sessions(p, n, &todo, &kept);
	}
	assert_int_equal(kept, 0); /* iBGP too is the students' */
	assert_true(todo > 0);
	/* Other pods' routers are untouched by the skeletons. */
	assert_false(pi_plan_node_is_exercise(p, node(p, "transit1-border1")));
	pi_plan_free(p);
	pi_lab_free(lab);
}

/* The neighbours of an exercise pod keep their sessions toward it, accept
 * only its cone and limit how many routes it may send. */
static void test_neighbours_strict(void **state)
{
	(void)state;
	struct pi_lab *lab;
	struct pi_plan *p = load_lab_plan("teams", &lab);
	unsigned seen = 0;
	for (uint32_t k = 0; k < p->n_sessions; k++) {
		const struct pi_plan_session *s = &p->sessions[k];
		for (int e = 0; e < 2; e++) {
			uint32_t me = e ? s->b : s->a, far = e ? s->a : s->b;
			const struct pi_plan_pod *fp = &p->pods[p->nodes[far].pod];
			if (fp->exercise == PI_EXERCISE_NONE || p->pods[p->nodes[me].pod].exercise != PI_EXERCISE_NONE ||
			    (p->nodes[me].services & PI_SVC_RS))
				continue;
			char name[64], cone[128], pb[PI_PREFIX_STRLEN];
			pi_router_bird.session_name(p, k, name, sizeof(name));
			char *conf = render_file(p, me, "bird.conf");
			char *blk = bird_protocol_block(conf, name);
			assert_non_null(blk);
			snprintf(cone, sizeof(cone), "net ~ [ %s+ ]",
				 pi_prefix_fmt(s->family == PI_AF_V4 ? &fp->v4 : &fp->v6, pb));
			assert_non_null(strstr(blk, cone));
			assert_non_null(strstr(blk, "is an exercise pod of team"));
			assert_non_null(strstr(blk, "import limit ("));
			free(blk);
			free(conf);
			seen++;
		}
	}
	assert_true(seen >= 4); /* both pods' providers, both families */
	pi_plan_free(p);
	pi_lab_free(lab);
}

/* BIRD's own parser accepts every skeleton: students start from a file that loads. */
static void test_bird_parses(void **state)
{
	(void)state;
	if (system("bird --version >/dev/null 2>&1") != 0)
		skip();
	char dir[] = "/tmp/pitest-skel-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct pi_lab *lab;
	struct pi_plan *p = load_lab_plan("teams", &lab);
	struct pi_render_opts o;
	pi_render_opts_default(&o);
	o.conf_dir = o.log_dir = o.run_dir = dir;
	unsigned checked = 0;
	for (uint32_t n = 0; n < p->n_nodes; n++) {
		if (!pi_plan_node_is_exercise(p, n))
			continue;
		struct pi_render_set set;
		pi_render_set_init(&set);
		pi_render_node_opts(p, n, &o, &set);
		for (size_t i = 0; i < set.files.len; i++) {
			const struct pi_render_file *f = pi_vec_at(&set.files, i);
			char path[512];
			snprintf(path, sizeof(path), "%s/%s", dir, f->path);
			assert_int_equal(pi_write_file(path, f->data, f->len, 0644), 0);
		}
		pi_render_set_free(&set);
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "bird -p -c %s/bird.conf", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bird -p refused the skeleton of %s\n", p->nodes[n].name);
		assert_int_equal(system(cmd), 0);
		checked++;
	}
	assert_true(checked >= 3);
	char rm[128];
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
	pi_plan_free(p);
	pi_lab_free(lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bird_parses),
		cmocka_unit_test(test_level_bgp),
		cmocka_unit_test(test_level_all),
		cmocka_unit_test(test_neighbours_strict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
