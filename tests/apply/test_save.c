/*
 * save, restore, reset through the fake backend (no root, no Docker) on
 * labs/teams.yml: a student's edit is saved under the pod's name and a UTC
 * stamp, kept beside other saves, reset to the skeleton and restored; a
 * symlink planted in the node's config directory is not followed; and the
 * pure parts of check grade sessions and local preferences.
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
#include "lab_fixture.h"
#include "pocketinternet/apply.h"
#include "pocketinternet/backend.h"
#include "pocketinternet/render.h"

static char root[] = "/tmp/pitest-save-XXXXXX";
static struct pi_backend fake;
static const char *student = "# the red team's own work\nrouter id 1.2.3.4;\n";

static int group_setup(void **state)
{
	(void)state;
	if (apply_fixture_load("teams") || !mkdtemp(root) || pi_backend_open(&fake, &pi_backend_fake, NULL))
		return -1;
	struct pi_apply_opts o = { .state_root = root, .start_only = true, .lab_file = "/labs/teams.yml", .parallel = 2 };
	struct pi_apply_result res;
	struct pi_diag d;
	pi_diag_init(&d);
	int rc = pi_apply_setup(&fake, plan, &o, &res, &d);
	pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	return rc;
}

static int group_teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	(void)!system(cmd);
	pi_backend_close(&fake);
	return apply_fixture_teardown(state);
}

static char *conf_path(const char *dir, const char *node)
{
	static char p[8600];
	snprintf(p, sizeof(p), "%s/%s/bird.conf", dir, node);
	return p;
}

static char *slurp(const char *path)
{
	char *s = NULL;
	size_t n;
	return pi_read_file(path, &s, &n) == 0 ? s : NULL;
}

static char *skeleton(const char *node)
{
	struct pi_render_set set;
	pi_render_set_init(&set);
	pi_render_node(plan, pi_plan_node_by_name(plan, node), &set);
	char *s = pi_xstrdup(pi_render_set_find(&set, "bird.conf")->data);
	pi_render_set_free(&set);
	return s;
}

static void test_save_reset_restore(void **state)
{
	(void)state;
	char lab_dir[4096], copy[4200], *s;
	snprintf(lab_dir, sizeof(lab_dir), "%s/teams", root);
	snprintf(copy, sizeof(copy), "%s/copy", root);
	/* The student edits the border's config (the directory the node sees). */
	assert_int_equal(pi_write_file(conf_path(lab_dir, "red-isp-border1"), student, strlen(student), 0644), 0);
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_save_result r;
	pi_save_result_init(&r);
	struct pi_save_opts o = { .state_root = root, .pod = "red-isp", .copy_dir = copy, .stamp = "20261130T090000Z" };
	assert_int_equal(pi_apply_save(&fake, plan, &o, &r, &d), 0);
	assert_int_equal(r.nodes, 2); /* border1 and access1 run BIRD */
	assert_string_equal(r.owner, "red-isp");
	assert_string_equal(r.stamp, "20261130T090000Z");
	assert_non_null(s = slurp(conf_path(r.dir, "red-isp-border1")));
	assert_string_equal(s, student);
	free(s);
	assert_non_null(s = slurp(conf_path(copy, "red-isp-border1")));
	assert_string_equal(s, student);
	free(s);
	/* A second save in the same second is kept beside the first. */
	pi_save_result_free(&r);
	pi_save_result_init(&r);
	o.copy_dir = NULL;
	assert_int_equal(pi_apply_save(&fake, plan, &o, &r, &d), 0);
	assert_string_equal(r.stamp, "20261130T090000Z-2");
	struct pi_vec list = PI_VEC_INIT(struct pi_save_entry);
	assert_int_equal(pi_apply_save_list(root, "teams", NULL, &list, &d), 0);
	assert_int_equal(list.len, 2);
	assert_string_equal(((struct pi_save_entry *)pi_vec_at(&list, 1))->stamp, "20261130T090000Z-2");
	assert_int_equal(((struct pi_save_entry *)pi_vec_at(&list, 0))->nodes, 2);
	pi_vec_free(&list);

	/* reset: the skeleton is back; the fake's nodes have no daemon to reconfigure. */
	pi_save_result_free(&r);
	pi_save_result_init(&r);
	assert_int_equal(pi_apply_reset(&fake, plan, &o, &r, &d), 0);
	assert_int_equal(r.nodes, 2);
	assert_int_equal(r.reconfigured, 0);
	assert_int_equal(r.not_reconfigured.len, 2);
	char *skel = skeleton("red-isp-border1");
	assert_non_null(s = slurp(conf_path(lab_dir, "red-isp-border1")));
	assert_string_equal(s, skel);
	assert_non_null(strstr(s, "# ==== EXERCISE POD red-isp"));
	free(s);

	/* restore: the latest save by default, or a directory. */
	pi_save_result_free(&r);
	pi_save_result_init(&r);
	assert_int_equal(pi_apply_restore(&fake, plan, &o, &r, &d), 0);
	assert_string_equal(r.stamp, "20261130T090000Z-2");
	assert_non_null(s = slurp(conf_path(lab_dir, "red-isp-border1")));
	assert_string_equal(s, student);
	free(s);
	assert_int_equal(pi_apply_reset(&fake, plan, &o, &r, &d), 0);
	o.from = copy;
	assert_int_equal(pi_apply_restore(&fake, plan, &o, &r, &d), 0);
	assert_non_null(s = slurp(conf_path(lab_dir, "red-isp-border1")));
	assert_string_equal(s, student);
	free(s);
	free(skel);
	pi_save_result_free(&r);
	pi_diag_free(&d);
}

static void test_refusals(void **state)
{
	(void)state;
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_save_result r;
	pi_save_result_init(&r);
	struct pi_save_opts both = { .state_root = root, .pod = "red-isp", .team = "red" };
	assert_int_equal(pi_apply_save(&fake, plan, &both, &r, &d), -EINVAL);
	struct pi_save_opts none = { .state_root = root };
	assert_int_equal(pi_apply_save(&fake, plan, &none, &r, &d), -EINVAL);
	struct pi_save_opts nopod = { .state_root = root, .pod = "red-isq" };
	assert_int_equal(pi_apply_save(&fake, plan, &nopod, &r, &d), -ENOENT);
	struct pi_save_opts noteam = { .state_root = root, .team = "green" };
	assert_int_equal(pi_apply_restore(&fake, plan, &noteam, &r, &d), -ENOENT);
	/* The team never saved: nothing to restore, and says so. */
	struct pi_save_opts blue = { .state_root = root, .team = "blue" };
	assert_int_equal(pi_apply_restore(&fake, plan, &blue, &r, &d), -ENOENT);
	assert_true(pi_diag_errors(&d) >= 5);
	pi_save_result_free(&r);
	pi_diag_free(&d);
}

/* A student replaces bird.conf with a link to a host file: save reads
 * inside the node's directory only, and refuses. */
static void test_planted_symlink(void **state)
{
	(void)state;
	char path[4200];
	snprintf(path, sizeof(path), "%s/teams/blue-isp-border1/bird.conf", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/etc/hostname", path), 0);
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_save_result r;
	pi_save_result_init(&r);
	struct pi_save_opts o = { .state_root = root, .team = "blue", .stamp = "20261130T100000Z" };
	assert_int_not_equal(pi_apply_save(&fake, plan, &o, &r, &d), 0);
	char saved[4300];
	snprintf(saved, sizeof(saved), "%s/saves/teams/blue/20261130T100000Z/blue-isp-border1/bird.conf", root);
	assert_int_not_equal(access(saved, F_OK), 0);
	/* reset replaces the link with the skeleton, never writing through it. */
	pi_save_result_free(&r);
	pi_save_result_init(&r);
	assert_int_equal(pi_apply_reset(&fake, plan, &o, &r, &d), 0);
	char *s = slurp(path);
	assert_non_null(strstr(s, "# ==== EXERCISE POD blue-isp"));
	free(s);
	pi_save_result_free(&r);
	pi_diag_free(&d);
}

/* Rewriting a running lab's files (setup on a running lab) keeps the
 * team's bird.conf, but replaces a link planted in its place. */
static void test_rewrite_keeps_work(void **state)
{
	(void)state;
	char lab_dir[4096], *s;
	snprintf(lab_dir, sizeof(lab_dir), "%s/teams", root);
	const char *work = "# kept across setup\n";
	assert_int_equal(pi_write_file(conf_path(lab_dir, "red-isp-access1"), work, strlen(work), 0644), 0);
	char *link = pi_xstrdup(conf_path(lab_dir, "blue-isp-access1"));
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink("/etc/hostname", link), 0);
	struct pi_diag d;
	pi_diag_init(&d);
	assert_int_equal(pi_apply_write_lab(plan, lab_dir, &d), 0);
	assert_non_null(s = slurp(conf_path(lab_dir, "red-isp-access1")));
	assert_string_equal(s, work);
	free(s);
	assert_non_null(s = slurp(link));
	assert_non_null(strstr(s, "# ==== EXERCISE POD blue-isp"));
	free(s);
	/* Other nodes' files are rewritten as always. */
	assert_non_null(s = slurp(conf_path(lab_dir, "transit1-border1")));
	assert_null(strstr(s, "EXERCISE POD"));
	free(s);
	free(link);
	pi_diag_free(&d);
}

static void test_teams(void **state)
{
	(void)state;
	struct pi_vec t = PI_VEC_INIT(struct pi_team_info);
	pi_apply_teams(plan, &t);
	assert_int_equal(t.len, 2);
	const struct pi_team_info *red = pi_vec_at(&t, 0);
	assert_string_equal(red->name, "red");
	assert_int_equal(red->pods.len, 1);
	assert_string_equal(plan->pods[*(uint32_t *)pi_vec_at(&red->pods, 0)].name, "red-isp");
	assert_non_null(strstr(red->web, "serve"));
	assert_non_null(strstr(red->ssh, "ssh-gateway"));
	pi_apply_teams_free(&t);
}

/* check's grading of what a daemon reported, without a daemon. */
static void test_check_sessions(void **state)
{
	(void)state;
	uint32_t b = pi_plan_node_by_name(plan, "red-isp-border1");
	struct pi_vec s = PI_VEC_INIT(struct pi_lg_session);
	unsigned ebgp = 0;
	for (uint32_t i = 0; i < plan->nodes[b].n_session_idx; i++) {
		uint32_t k = plan->nodes[b].session_idx[i];
		const struct pi_plan_session *ps = &plan->sessions[k];
		struct pi_lg_session *x = pi_vec_push(&s);
		memset(x, 0, sizeof(*x));
		x->session = k;
		x->neighbor = ps->a == b ? ps->b : ps->a;
		x->rel = ps->a == b ? ps->rel : pi_rel_invert(ps->rel);
		x->family = ps->family;
		pi_router_bird.session_name(plan, k, x->st.name, sizeof(x->st.name));
		snprintf(x->st.state, sizeof(x->st.state), "absent");
		ebgp += x->rel != PI_REL_IBGP;
	}
	/* The first eBGP one the students got right (and exported too much on). */
	size_t ui = 0;
	while (ui < s.len && ((struct pi_lg_session *)pi_vec_at(&s, ui))->rel == PI_REL_IBGP)
		ui++;
	assert_true(ui < s.len);
	struct pi_lg_session *up = pi_vec_at(&s, ui);
	memcpy(up->st.state, "up", 3);
	memcpy(up->st.info, "Established", 12);
	up->st.established = up->st.has_routes = true;
	up->st.exported = 40;
	uint32_t up_session = up->session;
	enum pi_rel up_rel = up->rel;
	struct pi_lg_session *odd = pi_vec_push(&s);
	memset(odd, 0, sizeof(*odd));
	odd->session = odd->neighbor = PI_NONE;
	snprintf(odd->st.name, sizeof(odd->st.name), "my_session");
	struct pi_check_result r;
	pi_check_result_init(&r);
	pi_check_sessions(plan, b, &s, &r);
	/* ebgp sessions + the unplanned one + the export of the one that is up */
	assert_int_equal(r.items.len, ebgp + 2);
	assert_int_equal(r.passed, 1);
	assert_int_equal(r.failed, ebgp + 1);
	bool hinted = false, export_failed = false;
	for (size_t i = 0; i < r.items.len; i++) {
		const struct pi_check_item *it = pi_vec_at(&r.items, i);
		hinted |= !it->pass && strstr(it->hint, "protocol bgp ebgp_") != NULL;
		export_failed |= it->kind == PI_CHECK_EXPORT && !it->pass;
	}
	assert_true(hinted);
	assert_true(export_failed);
	pi_check_result_free(&r);

	/* Local preference: a provider's route with a peer's preference fails. */
	struct pi_vec routes = PI_VEC_INIT(struct pi_lg_route);
	struct pi_lg_route *rt = pi_vec_push(&routes);
	memset(rt, 0, sizeof(*rt));
	rt->session = up_session;
	rt->r.bgp = true;
	rt->r.local_pref = 100;
	assert_int_equal(pi_prefix_parse("10.99.0.0/16", &rt->r.net), 0);
	pi_check_result_init(&r);
	pi_check_local_pref(plan, b, &routes, &r);
	assert_int_equal(r.items.len, 1);
	const struct pi_check_item *it = pi_vec_at(&r.items, 0);
	assert_int_equal(it->pass, up_rel == PI_REL_PEER || up_rel == PI_REL_RS);
	assert_string_equal(pi_check_kind_name(it->kind), "local-pref");
	pi_check_result_free(&r);
	pi_vec_free(&routes);
	pi_vec_free(&s);
}

/* Import filters: a route from a peer or customer must come from its cone. */
static void test_check_filters(void **state)
{
	(void)state;
	/* A transit border with a customer session: its customer's own route
	 * passes, another pod's route from that customer is a leak let in. */
	uint32_t node = PI_NONE, k = PI_NONE;
	for (uint32_t n = 0; n < plan->n_nodes && k == PI_NONE; n++)
		for (uint32_t i = 0; i < plan->nodes[n].n_session_idx && k == PI_NONE; i++) {
			const struct pi_plan_session *ps = &plan->sessions[plan->nodes[n].session_idx[i]];
			if ((ps->a == n ? ps->rel : pi_rel_invert(ps->rel)) == PI_REL_CUSTOMER)
				node = n, k = plan->nodes[n].session_idx[i];
		}
	assert_int_not_equal(k, PI_NONE);
	const struct pi_plan_session *ps = &plan->sessions[k];
	uint32_t cust = ps->a == node ? ps->b : ps->a;
	const struct pi_plan_pod *cp = &plan->pods[plan->nodes[cust].pod];
	uint32_t other = PI_NONE;
	for (uint32_t q = 0; q < plan->n_pods && other == PI_NONE; q++) {
		bool inside = false;
		for (uint32_t c = 0; c < cp->n_cone; c++)
			inside |= cp->cone[c] == q;
		if (!inside)
			other = q;
	}
	assert_int_not_equal(other, PI_NONE);
	struct pi_vec routes = PI_VEC_INIT(struct pi_lg_route);
	for (int i = 0; i < 2; i++) {
		struct pi_lg_route *rt = pi_vec_push(&routes);
		memset(rt, 0, sizeof(*rt));
		rt->session = k;
		rt->neighbor = cust;
		rt->r.bgp = true;
		rt->origin_pod = i ? other : plan->nodes[cust].pod;
		rt->r.net = i ? plan->pods[other].v4 : plan->pods[plan->nodes[cust].pod].v4;
	}
	struct pi_check_result r;
	pi_check_result_init(&r);
	pi_check_import_filters(plan, node, &routes, &r);
	assert_int_equal(r.failed, 1);
	const struct pi_check_item *it = pi_vec_at(&r.items, 0);
	assert_string_equal(pi_check_kind_name(it->kind), "filter");
	assert_non_null(strstr(it->detail, "1 of 2 outside the cone"));
	pi_check_result_free(&r);
	routes.len = 1; /* only the customer's own: passes */
	pi_check_result_init(&r);
	pi_check_import_filters(plan, node, &routes, &r);
	assert_int_equal(r.passed, 1);
	pi_check_result_free(&r);
	pi_vec_free(&routes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_save_reset_restore),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_planted_symlink),
		cmocka_unit_test(test_rewrite_keeps_work),
		cmocka_unit_test(test_teams),
		cmocka_unit_test(test_check_sessions),
		cmocka_unit_test(test_check_filters),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
