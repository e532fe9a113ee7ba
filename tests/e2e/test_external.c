/*
 * End-to-end: external speakers (docs/testing-bgp.md, "Bring your own
 * speaker") on tests/data/external/lab.yml, brought up once for the suite:
 * exabgp and gobgpd as IXP members and as customers, and a gobgpd that
 * sells transit to an IXP member.
 *  - every speaker's sessions, IPv4 and IPv6, are Established at the lab's
 *    end, and status lists the speakers;
 *  - the exabgp IXP member's prefixes reach every AS whose policy allows it
 *    (an allowed AS path in the plan, pi_plan_as_paths) and no other: lab
 *    routers are read with lg, gobgpd speakers with their own gobgp CLI;
 *  - the gobgpd customer's routes are accepted only within its cone: a
 *    prefix of its own gets through, one outside its cone and a more
 *    specific of another AS's aggregate are dropped by its provider;
 *  - attach and detach on the running lab leave every other container's ID
 *    as it was, and the attached speaker's sessions come up;
 *  - attach --netns wires a namespace of the host (made here with ip netns)
 *    with its addresses and no default route; a gobgpd the test runs in it
 *    with the generated gobgpd.toml establishes its sessions; detach takes
 *    its links away.
 * Needs root and a running Docker engine (the node image with exabgp and
 * gobgpd).
 */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "e2e_common.h"

static json_t *bin_json(const char *const *argv, int *rc)
{
	struct pi_buf out;
	pi_buf_init(&out);
	*rc = run_bin(&out, argv);
	json_error_t err;
	json_t *j = json_loads(pi_buf_str(&out), 0, &err);
	if (!j)
		fprintf(stderr, "not JSON (%s): %s\n", err.text, pi_buf_str(&out));
	pi_buf_free(&out);
	return j;
}

static uint32_t pod_named(const char *name)
{
	uint32_t p = pi_plan_pod_by_name(plan, name);
	assert_int_not_equal(p, PI_NONE);
	return p;
}

/* The one node of an external pod. */
static uint32_t speaker_of(const char *pod)
{
	return plan->pods[pod_named(pod)].first_node;
}

/* A router of pod p that runs the router daemon (lg can ask it). */
static uint32_t router_of(uint32_t p)
{
	for (uint32_t n = plan->pods[p].first_node; n < plan->pods[p].first_node + plan->pods[p].n_nodes; n++)
		if (plan->nodes[n].services & (PI_SVC_ROUTER | PI_SVC_RS))
			return n;
	return PI_NONE;
}

/* Does router node hold a route for exactly prefix (from session, when not NULL)? */
static bool lg_has(uint32_t node, const char *prefix, const char *session)
{
	int rc;
	json_t *j = bin_json((const char *[]){ "-c", lab_file, "lg", plan->nodes[node].name, prefix, "--format", "json",
					       NULL },
			     &rc);
	assert_int_equal(rc, 0);
	json_t *routes = json_object_get(j, "routes");
	bool has = false;
	for (size_t i = 0; i < json_array_size(routes); i++) {
		json_t *r = json_array_get(routes, i);
		const char *net = json_string_value(json_object_get(r, "network"));
		const char *sn = json_string_value(json_object_get(r, "session"));
		if (net && strcmp(net, prefix) == 0 && (!session || (sn && strcmp(sn, session) == 0)))
			has = true;
	}
	json_decref(j);
	return has;
}

/* lg_has, polled for up to seconds until it holds. */
static bool lg_wait(uint32_t node, const char *prefix, const char *session, int seconds)
{
	for (int t = 0; t < seconds; t++) {
		if (lg_has(node, prefix, session))
			return true;
		sleep(1);
	}
	return false;
}

/* Does the gobgpd speaker of pod hold a route for prefix? */
static bool gobgp_has(const char *pod, const char *prefix)
{
	struct pi_buf out;
	pi_buf_init(&out);
	const char *fam = strchr(prefix, ':') ? "ipv6" : "ipv4";
	int rc = node_exec(speaker_of(pod), &out, (const char *[]){ "gobgp", "global", "rib", "-a", fam, prefix, NULL });
	bool has = rc == 0 && strstr(pi_buf_str(&out), prefix) != NULL;
	pi_buf_free(&out);
	return has;
}

/* Waits up to seconds for every session of the lab's end toward node to be Established. */
static bool speaker_sessions_up(const char *speaker_node, uint32_t lab_node, int seconds)
{
	for (int t = 0; t < seconds; t++) {
		int rc;
		json_t *j = bin_json((const char *[]){ "-c", lab_file, "lg", plan->nodes[lab_node].name, "--sessions",
						       "--format", "json", NULL },
				     &rc);
		json_t *ss = json_object_get(j, "sessions");
		unsigned seen = 0, up = 0;
		for (size_t i = 0; i < json_array_size(ss); i++) {
			json_t *s = json_array_get(ss, i);
			const char *nb = json_string_value(json_object_get(s, "neighbor"));
			if (nb && strcmp(nb, speaker_node) == 0) {
				seen++;
				up += json_is_true(json_object_get(s, "established"));
			}
		}
		json_decref(j);
		if (seen == 2 && up == 2) /* IPv4 and IPv6 */
			return true;
		sleep(1);
	}
	return false;
}

/* The lab node at the other end of node's first session. */
static uint32_t lab_end(uint32_t node)
{
	const struct pi_plan_session *s = &plan->sessions[plan->nodes[node].session_idx[0]];
	return s->a == node ? s->b : s->a;
}

static void test_sessions_dual_stack(void **state)
{
	(void)state;
	static const char *const pods[] = { "exaixp", "gobcust", "exacust", "gobixp", "upx" };
	for (size_t i = 0; i < PI_ARRAY_LEN(pods); i++) {
		uint32_t sp = speaker_of(pods[i]);
		assert_int_equal(plan->nodes[sp].n_session_idx, 2);
		if (!speaker_sessions_up(plan->nodes[sp].name, lab_end(sp), 90))
			fail_msg("sessions of %s are not Established at %s", pods[i], plan->nodes[lab_end(sp)].name);
	}
	int rc;
	json_t *j = bin_json((const char *[]){ "-c", lab_file, "status", "--format", "json", NULL }, &rc);
	json_t *x = json_object_get(j, "externals");
	assert_int_equal(json_array_size(x), PI_ARRAY_LEN(pods));
	for (size_t i = 0; i < json_array_size(x); i++)
		assert_true(json_is_true(json_object_get(json_array_get(x, i), "running")));
	json_decref(j);
}

/* Is a route that pod `origin` announces allowed to reach pod p? */
static bool allowed(uint32_t p, uint32_t origin)
{
	struct pi_plan_paths paths;
	pi_plan_paths_init(&paths, true);
	assert_int_equal(pi_plan_as_paths(plan, p, origin, 1, 0, &paths), 0);
	bool ok = paths.allowed > 0;
	pi_plan_paths_free(&paths);
	return ok;
}

static void test_exabgp_ixp_reach(void **state)
{
	(void)state;
	uint32_t origin = pod_named("exaixp");
	char v4[PI_PREFIX_STRLEN], v6[PI_PREFIX_STRLEN];
	pi_prefix_fmt(&plan->pods[origin].v4, v4);
	pi_prefix_fmt(&plan->pods[origin].v6, v6);
	unsigned yes = 0, no = 0;
	/* Positives first, with time to converge; then the negatives are final. */
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t p = 0; p < plan->n_pods; p++) {
			const struct pi_plan_pod *pod = &plan->pods[p];
			if (p == origin || pod->tier == PI_TIER_IXP || allowed(p, origin) != (pass == 0))
				continue;
			bool want = pass == 0;
			if (pod->tier == PI_TIER_EXTERNAL && pod->speaker != PI_SPEAKER_GOBGPD)
				continue; /* exabgp keeps no RIB to read */
			for (int f = 0; f < 2; f++) {
				const char *px = f ? v6 : v4;
				bool has = false;
				for (int t = 0; t < (want ? 60 : 1); t++) {
					if (pod->tier == PI_TIER_EXTERNAL)
						has = gobgp_has(pod->name, px);
					else
						has = router_of(p) != PI_NONE && lg_has(router_of(p), px, NULL);
					if (has == want)
						break;
					sleep(1);
				}
				if (has != want)
					fail_msg("%s %s %s's %s, but its policy says it should %s", pod->name,
						 has ? "holds" : "lacks", "exaixp", px, want ? "" : "not");
				yes += want, no += !want;
			}
		}
	/* The lab has both kinds: upx sells transit to an IXP member and must not hear it. */
	assert_true(yes > 0);
	assert_true(no > 0);
	assert_false(allowed(pod_named("upx"), origin));
}

static void test_gobgpd_customer_cone(void **state)
{
	(void)state;
	uint32_t cust = pod_named("gobcust"), victim = pod_named("content1"), sp = speaker_of("gobcust");
	uint32_t border = lab_end(sp);
	const char *session = plan->sessions[plan->nodes[sp].session_idx[0]].name;
	char own[PI_PREFIX_STRLEN], half[PI_PREFIX_STRLEN];
	pi_prefix_fmt(&plan->pods[cust].v4, own);
	struct pi_prefix h = plan->pods[victim].v4;
	h.len++;
	pi_prefix_fmt(&h, half);
	const char *outside = "10.250.0.0/24"; /* in no pod's aggregate: in nobody's cone */
	struct pi_buf out;
	pi_buf_init(&out);
	assert_int_equal(node_exec(sp, &out, (const char *[]){ "gobgp", "global", "rib", "add", "-a", "ipv4", outside,
							 NULL }),
			 0);
	assert_int_equal(node_exec(sp, &out, (const char *[]){ "gobgp", "global", "rib", "add", "-a", "ipv4", half, NULL }),
			 0);
	/* gobgpd holds and sends all three ... */
	assert_true(gobgp_has("gobcust", outside));
	assert_true(gobgp_has("gobcust", half));
	/* ... its provider accepts its own prefix (and passes it on to its peer) ... */
	assert_true(lg_wait(border, own, session, 60));
	uint32_t t2 = router_of(pod_named("transit2"));
	assert_true(lg_wait(t2, own, NULL, 60));
	/* ... and drops the two outside its cone, then and later. */
	sleep(5);
	assert_false(lg_has(border, outside, NULL));
	assert_false(lg_has(border, half, session));
	assert_false(lg_has(t2, outside, NULL));
	pi_buf_free(&out);
}

/* Every container of the lab: its ID by node name (NULL-terminated lists). */
static void container_ids(char ids[][72], const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct pi_node_state ns;
		struct pi_diag d;
		pi_diag_init(&d);
		ids[i][0] = '\0';
		if (backend.ops->inspect(&backend, plan->lab_name, names[i], &ns, &d) == 0)
			snprintf(ids[i], 72, "%s", ns.id);
		pi_diag_free(&d);
	}
}

static void test_attach_detach_keep_ids(void **state)
{
	(void)state;
	size_t n = plan->n_nodes;
	const char **names = calloc(n, sizeof(*names));
	char(*before)[72] = calloc(n, 72), (*after)[72] = calloc(n, 72);
	for (size_t i = 0; i < n; i++)
		names[i] = plan->nodes[i].name;
	container_ids(before, names, n);
	for (size_t i = 0; i < n; i++)
		assert_true(before[i][0] != '\0');
	struct pi_buf out;
	pi_buf_init(&out);
	int rc = run_bin_all(&out, (const char *[]){ "-c", lab_file, "attach", "late", "--asn", "65010", "--speaker",
						     "gobgpd", "--peer-of", "content1", NULL });
	if (rc)
		fprintf(stderr, "%s\n", pi_buf_str(&out));
	assert_int_equal(rc, 0);
	/* The new speaker runs and its sessions with content1 come up, dual-stack. */
	struct pi_node_state ns;
	struct pi_diag d;
	pi_diag_init(&d);
	assert_int_equal(backend.ops->inspect(&backend, plan->lab_name, "late-speaker1", &ns, &d), 0);
	assert_true(ns.running);
	uint32_t c1 = router_of(pod_named("content1"));
	for (uint32_t k = plan->pods[pod_named("content1")].first_node; k < plan->pods[pod_named("content1")].first_node +
										   plan->pods[pod_named("content1")].n_nodes; k++)
		if (plan->nodes[k].services & PI_SVC_EBGP)
			c1 = k;
	assert_true(speaker_sessions_up("late-speaker1", c1, 90));
	container_ids(after, names, n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(before[i], after[i]) != 0)
			fail_msg("attach replaced the container of %s", names[i]);
	/* status --format json lists it among the externals. */
	json_t *j = bin_json((const char *[]){ "-c", lab_file, "status", "--format", "json", NULL }, &rc);
	bool listed = false;
	json_t *x = json_object_get(j, "externals");
	for (size_t i = 0; i < json_array_size(x); i++)
		listed |= strcmp(json_string_value(json_object_get(json_array_get(x, i), "name")), "late") == 0;
	assert_true(listed);
	json_decref(j);
	/* detach: it goes, nothing else changes. */
	rc = run_bin_all(&out, (const char *[]){ "-c", lab_file, "detach", "late", "--format", "json", NULL });
	if (rc)
		fprintf(stderr, "%s\n", pi_buf_str(&out));
	assert_int_equal(rc, 0);
	assert_int_equal(backend.ops->inspect(&backend, plan->lab_name, "late-speaker1", &ns, &d), -ENOENT);
	container_ids(after, names, n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(before[i], after[i]) != 0)
			fail_msg("detach replaced the container of %s", names[i]);
	/* A speaker of the lab file is the file's to remove. */
	assert_int_equal(run_bin_all(&out, (const char *[]){ "-c", lab_file, "detach", "exaixp", NULL }), 2);
	assert_non_null(strstr(pi_buf_str(&out), "comes from the lab file"));
	pi_diag_free(&d);
	pi_buf_free(&out);
	free(names);
	free(before);
	free(after);
}

/* Runs argv (no shell); its exit code. */
static int sh_argv(const char *const *argv)
{
	pid_t pid = fork();
	if (pid == 0) {
		execvp(argv[0], (char **)argv);
		_exit(127);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define E2E_NS "pi-e2e-ext"

static void test_attach_netns(void **state)
{
	(void)state;
	sh_argv((const char *[]){ "ip", "netns", "del", E2E_NS, NULL });
	assert_int_equal(sh_argv((const char *[]){ "ip", "netns", "add", E2E_NS, NULL }), 0);
	sh_argv((const char *[]){ "ip", "-n", E2E_NS, "link", "set", "lo", "up", NULL });
	struct pi_buf out;
	pi_buf_init(&out);
	int rc = run_bin_all(&out, (const char *[]){ "-c", lab_file, "attach", "nsx", "--asn", "65020", "--speaker",
						     "gobgpd", "--customer-of", "transit2", "--netns", E2E_NS, NULL });
	if (rc)
		fprintf(stderr, "%s\n", pi_buf_str(&out));
	assert_int_equal(rc, 0);
	/* Its link is there with its addresses, and no default route. */
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		execlp("ip", "ip", "-n", E2E_NS, "-o", "addr", "show", NULL);
		_exit(127);
	}
	close(pfd[1]);
	char buf[8192];
	ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);
	close(pfd[0]);
	waitpid(pid, NULL, 0);
	buf[n > 0 ? n : 0] = '\0';
	assert_non_null(strstr(buf, "inet "));
	assert_non_null(strstr(buf, "inet6 2001:db8:"));
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		execlp("sh", "sh", "-c", "ip -n " E2E_NS " route show default | grep -q . && exit 1; "
					  "ip -n " E2E_NS " -6 route show default | grep -q . && exit 1; exit 0", NULL);
		_exit(127);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* gobgpd in it, with the generated starting config: the sessions with transit2 come up. */
	char conf[4300], dir[4096];
	pi_state_dir(NULL, plan->lab_name, dir, sizeof(dir));
	snprintf(conf, sizeof(conf), "%s/nsx-speaker1/config/gobgpd.toml", dir);
	pid_t gob = fork();
	if (gob == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("ip", "ip", "netns", "exec", E2E_NS, "gobgpd", "-f", conf, "--api-hosts=127.0.0.1:50071", NULL);
		_exit(127);
	}
	/* The planner picked one of transit2's borders for it: ask each, up to 90 s in all. */
	const struct pi_plan_pod *tp = &plan->pods[pod_named("transit2")];
	bool up = false;
	for (int t = 0; t < 45 && !up; t++)
		for (uint32_t k = tp->first_node; k < tp->first_node + tp->n_nodes && !up; k++)
			if (plan->nodes[k].services & PI_SVC_EBGP)
				up = speaker_sessions_up("nsx-speaker1", k, 1);
	kill(gob, SIGTERM);
	waitpid(gob, NULL, 0);
	assert_true(up);
	/* detach: its links go from the namespace, which stays the tester's. */
	rc = run_bin_all(&out, (const char *[]){ "-c", lab_file, "detach", "nsx", NULL });
	if (rc)
		fprintf(stderr, "%s\n", pi_buf_str(&out));
	assert_int_equal(rc, 0);
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		execlp("sh", "sh", "-c", "ip -n " E2E_NS " -o addr show | grep -q 'inet6 2001:db8:' && exit 1; exit 0",
		       NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	sh_argv((const char *[]){ "ip", "netns", "del", E2E_NS, NULL });
	pi_buf_free(&out);
}

static int setup_lab(void **state)
{
	(void)state;
	char file[4096];
	snprintf(file, sizeof(file), "%s/tests/data/external/lab.yml", getenv("PI_SOURCE_DIR"));
	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_backend_open(&backend, &pi_backend_docker, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	/* Without --verify: a speaker's own aggregate is not a place anyone can ping. */
	return rc || bring_up_opts(file, false) ? -1 : 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sessions_dual_stack),
		cmocka_unit_test(test_exabgp_ixp_reach),
		cmocka_unit_test(test_gobgpd_customer_cone),
		cmocka_unit_test(test_attach_detach_keep_ids),
		cmocka_unit_test(test_attach_netns),
	};
	return e2e_main(argc, argv, "external", tests, PI_ARRAY_LEN(tests), setup_lab, e2e_teardown_lab);
}
