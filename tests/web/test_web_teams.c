/*
 * serve with labs/teams.yml (teams red and blue, one exercise pod each) on
 * 127.0.0.1 with the fake backend: the team accounts made on first use,
 * their kept passwords, and what a team may do over HTTP and WebSocket:
 * everything public, but terminals, captures, configs, checks, saves and
 * resets only on its own pod's nodes (403 elsewhere); the trainer all.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "web_client.h"
#include "../apply/lab_fixture.h"
#include "pocketinternet/web.h"

static char root[] = "/tmp/pitest-webteams-XXXXXX";
static char state_dir[4200];
static struct pi_backend backend;
static struct pi_web *web;
static pthread_t loop;
static char trainer_pw[64], base[64];
static int port;
static const char *red_node, *blue_node; /* a router of each team's pod */




/* The status of one request; the body is dropped. A 403 must be JSON with an error. */
static long status_of(const char *method, const char *path, const char *cookie, const char *body)
{
	struct web_reply r;
	long s = web_request(base, &r, method, path, cookie, body);
	if (s == 403) {
		json_t *j = json_loads(pi_buf_str(&r.body), 0, NULL);
		assert_non_null(json_string_value(json_object_get(j, "error")));
		json_decref(j);
	}
	web_reply_free(&r);
	return s;
}

/* Logs user in; the cookie ("pi_session=HEX") into buf. */
static void login(const char *user, const char *pw, char *cookie, size_t len)
{
	char body[256];
	snprintf(body, sizeof(body), "{\"user\":\"%s\",\"password\":\"%s\"}", user, pw);
	struct web_reply r;
	assert_int_equal(web_request(base, &r, "POST", "/api/v1/login", NULL, body), 200);
	const char *p = strcasestr(pi_buf_str(&r.headers), "set-cookie: ");
	assert_non_null(p);
	snprintf(cookie, len, "%.75s", p + strlen("set-cookie: "));
	web_reply_free(&r);
}

/* The kept password of team. */
static void team_password(const char *team, char *pw, size_t len)
{
	struct pi_vec v;
	struct pi_diag d;
	pi_diag_init(&d);
	assert_int_equal(pi_web_team_passwords(state_dir, &v, &d), 0);
	pw[0] = '\0';
	for (size_t i = 0; i < v.len; i++) {
		const struct pi_web_team_login *l = pi_vec_at(&v, i);
		if (strcmp(l->team, team) == 0)
			snprintf(pw, len, "%s", l->password);
	}
	pi_web_team_passwords_free(&v);
	pi_diag_free(&d);
	assert_true(strlen(pw) >= 16);
}

/* A WebSocket upgrade of path from the page's own origin: the status code. */
static int own_upgrade(const char *path, const char *cookie)
{
	char own[64];
	snprintf(own, sizeof(own), "http://127.0.0.1:%d", port);
	return web_upgrade(port, path, cookie, own, NULL, 0);
}

static void *serve(void *arg)
{
	(void)arg;
	pi_web_run(web);
	return NULL;
}

static const char *router_of(const char *pod)
{
	uint32_t p = pi_plan_pod_by_name(plan, pod);
	for (uint32_t n = 0; n < plan->n_nodes; n++)
		if (plan->nodes[n].pod == p && pi_router_daemon_of(plan, n))
			return plan->nodes[n].name;
	return NULL;
}

/* Every node of the lab running in the fake. */
static void seed_nodes(void)
{
	struct pi_buf b;
	pi_buf_init(&b);
	for (uint32_t n = 0; n < plan->n_nodes; n++)
		pi_buf_printf(&b, "%s%s/%s", n ? "," : "", plan->lab_name, plan->nodes[n].name);
	setenv("POCKETINTERNET_FAKE_NODES", pi_buf_str(&b), 1);
	pi_buf_free(&b);
}

static int setup(void **state)
{
	(void)state;
	if (apply_fixture_load("teams") || !mkdtemp(root))
		return -1;
	red_node = router_of("red-isp");
	blue_node = router_of("blue-isp");
	if (!red_node || !blue_node)
		return -1;
	pi_state_dir(root, plan->lab_name, state_dir, sizeof(state_dir));
	if (mkdir(state_dir, 0700) != 0)
		return -1;
	char marker[4400];
	snprintf(marker, sizeof(marker), "%s/" PI_MARKER, state_dir);
	if (pi_write_file(marker, "pocketinternet teams\n", 21, 0644))
		return -1;
	seed_nodes();
	/* The nodes' config directories, as setup leaves them (reset writes there). */
	for (uint32_t n = 0; n < plan->n_nodes; n++) {
		char dir[4400];
		snprintf(dir, sizeof(dir), "%s/%s", state_dir, plan->nodes[n].name);
		if (mkdir(dir, 0755) != 0)
			return -1;
	}
	struct pi_diag d;
	pi_diag_init(&d);
	/* A stale accounts file: red's made when it owned transit1. The plan decides. */
	char path[4400];
	snprintf(path, sizeof(path), "%s/web/accounts.json", state_dir);
	if (pi_web_teams_ensure(state_dir, plan, &d) != 0)
		return -1;
	json_t *acc = json_load_file(path, 0, NULL);
	json_t *arr = json_object_get(acc, "accounts");
	for (size_t i = 0; i < json_array_size(arr); i++)
		if (strcmp(json_string_value(json_object_get(json_array_get(arr, i), "user")), "red") == 0)
			json_object_set_new(json_array_get(arr, i), "pods", json_pack("[s]", "transit1"));
	if (json_dump_file(acc, path, 0) != 0)
		return -1;
	json_decref(acc);
	int rc = pi_backend_open(&backend, &pi_backend_fake, &d);
	struct pi_web_opts o = { .listen = "127.0.0.1:0", .state_dir = state_dir, .state_root = root, .poll_ms = 100 };
	if (!rc)
		rc = pi_web_start(&backend, plan, &o, &web, trainer_pw, sizeof(trainer_pw), &d);
	pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	if (rc)
		return -1;
	port = pi_web_port(web);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return pthread_create(&loop, NULL, serve, NULL);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	pi_web_stop(web);
	pthread_join(loop, NULL);
	pi_web_free(web);
	pi_backend_close(&backend);
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	curl_global_cleanup();
	unsetenv("POCKETINTERNET_FAKE_NODES");
	return apply_fixture_teardown(state);
}

static void test_team_accounts_made_and_kept(void **state)
{
	(void)state;
	struct pi_vec v;
	struct pi_diag d;
	pi_diag_init(&d);
	assert_int_equal(pi_web_accounts_load(state_dir, &v, &d), 0);
	assert_int_equal(v.len, 3); /* red, blue, trainer */
	char pw[64];
	for (size_t i = 0; i < v.len; i++) {
		const struct pi_web_account *a = pi_vec_at(&v, i);
		if (a->role == PI_WEB_TRAINER)
			continue;
		assert_int_equal(a->n_pods, 1);
		/* red's file entry is the stale one setup planted; /me shows the plan's (below). */
		assert_string_equal(a->pods[0], strcmp(a->user, "red") == 0 ? "transit1" : "blue-isp");
		team_password(a->user, pw, sizeof(pw));
		assert_true(pi_web_account_check(a, pw));
	}
	pi_web_accounts_free(&v);
	/* The kept passwords are the trainer's alone. */
	char path[4300];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/web/team-passwords.json", state_dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* A second ensure keeps them; an unknown team cannot be reset. */
	char before[64], after[64];
	team_password("blue", before, sizeof(before));
	assert_int_equal(pi_web_teams_ensure(state_dir, plan, &d), 0);
	team_password("blue", after, sizeof(after));
	assert_string_equal(before, after);
	assert_int_equal(pi_web_team_reset(state_dir, plan, "green", &d), -ENOENT);
	pi_diag_free(&d);
}

static void test_me_shows_the_teams_pods(void **state)
{
	(void)state;
	char pw[64], cookie[128];
	team_password("red", pw, sizeof(pw));
	login("red", pw, cookie, sizeof(cookie));
	struct web_reply r;
	assert_int_equal(web_request(base, &r, "GET", "/api/v1/me", cookie, NULL), 200);
	json_t *j = json_loads(pi_buf_str(&r.body), 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "role")), "team");
	json_t *pods = json_object_get(j, "pods");
	assert_int_equal(json_array_size(pods), 1);
	assert_string_equal(json_string_value(json_array_get(pods, 0)), "red-isp");
	json_decref(j);
	web_reply_free(&r);
}

/* What red may do to node (of pod): expect its statuses. */
static void own_or_not(const char *cookie, const char *node, const char *pod, bool own)
{
	char path[256], body[256];
	snprintf(path, sizeof(path), "/api/v1/term/%s", node);
	assert_int_equal(own_upgrade(path, cookie), own ? 101 : 403);
	snprintf(body, sizeof(body), "{\"node\":\"%s\"}", node);
	/* The fake's nodes have no namespace to capture in: past the check, the start fails (400). */
	long s = status_of("POST", "/api/v1/capture", cookie, body);
	assert_true(own ? s == 200 || s == 400 : s == 403);
	snprintf(path, sizeof(path), "/api/v1/reset/%s", pod);
	assert_int_equal(status_of("POST", path, cookie, ""), own ? 200 : 403);
	snprintf(path, sizeof(path), "/api/v1/config/%s", node);
	assert_int_equal(status_of("GET", path, cookie, NULL), own ? 200 : 403);
	snprintf(path, sizeof(path), "/api/v1/save/%s", pod);
	assert_int_equal(status_of("POST", path, cookie, ""), own ? 200 : 403);
	snprintf(path, sizeof(path), "/api/v1/check/%s", pod);
	s = status_of("GET", path, cookie, NULL);
	assert_true(own ? s != 403 && s != 404 : s == 403);
}

static void test_team_acts_on_its_own_pods_only(void **state)
{
	(void)state;
	char pw[64], cookie[128];
	team_password("red", pw, sizeof(pw));
	login("red", pw, cookie, sizeof(cookie));
	own_or_not(cookie, red_node, "red-isp", true);
	own_or_not(cookie, blue_node, "blue-isp", false);
	/* The Internet is public: the map, the looking glass, paths, verify. */
	char path[256];
	assert_int_equal(status_of("GET", "/api/v1/lab", cookie, NULL), 200);
	snprintf(path, sizeof(path), "/api/v1/lg/%s", blue_node);
	assert_int_not_equal(status_of("GET", path, cookie, NULL), 403);
	snprintf(path, sizeof(path), "/api/v1/paths?from=%s&to=%s", red_node, blue_node);
	assert_int_not_equal(status_of("GET", path, cookie, NULL), 403);
	assert_int_equal(own_upgrade("/api/v1/events", cookie), 101);
	/* ... and so is a config read of a pod no team owns. */
	snprintf(path, sizeof(path), "/api/v1/config/%s", router_of("transit1"));
	assert_int_equal(status_of("GET", path, cookie, NULL), 403);
	assert_int_equal(status_of("GET", "/api/v1/check/no-such-pod", cookie, NULL), 404);
	/* The accounts file said red owns transit1 (setup): the lab file says not. */
	assert_int_equal(status_of("POST", "/api/v1/reset/transit1", cookie, ""), 403);
}

static void test_trainer_does_everything(void **state)
{
	(void)state;
	char cookie[128];
	login("trainer", trainer_pw, cookie, sizeof(cookie));
	own_or_not(cookie, red_node, "red-isp", true);
	own_or_not(cookie, blue_node, "blue-isp", true);
}

static void test_reset_password(void **state)
{
	(void)state;
	char before[64], after[64];
	struct pi_diag d;
	pi_diag_init(&d);
	team_password("blue", before, sizeof(before));
	assert_int_equal(pi_web_team_reset(state_dir, plan, "blue", &d), 0);
	team_password("blue", after, sizeof(after));
	assert_string_not_equal(before, after);
	struct pi_vec v;
	assert_int_equal(pi_web_accounts_load(state_dir, &v, &d), 0);
	for (size_t i = 0; i < v.len; i++) {
		const struct pi_web_account *a = pi_vec_at(&v, i);
		if (strcmp(a->user, "blue") == 0) {
			assert_true(pi_web_account_check(a, after));
			assert_false(pi_web_account_check(a, before));
		}
	}
	pi_web_accounts_free(&v);
	pi_diag_free(&d);
	/* The running server takes the new password at once, and not the old one. */
	char cookie[128];
	login("blue", after, cookie, sizeof(cookie));
	struct web_reply r;
	snprintf(cookie, sizeof(cookie), "{\"user\":\"blue\",\"password\":\"%s\"}", before);
	assert_int_equal(web_request(base, &r, "POST", "/api/v1/login", NULL, cookie), 401);
	web_reply_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_team_accounts_made_and_kept),
		cmocka_unit_test(test_me_shows_the_teams_pods),
		cmocka_unit_test(test_team_acts_on_its_own_pods_only),
		cmocka_unit_test(test_trainer_does_everything),
		cmocka_unit_test(test_reset_password),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
