/*
 * serve in-process: the server on 127.0.0.1 with a port the kernel picks,
 * the fake backend and the default lab, spoken to over HTTP with libcurl
 * and raw sockets (for WebSocket upgrades). Logins, cookies, the lab's
 * shape, static assets, Origin refusal, the accounts file. Only 127.0.0.1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <curl/curl.h>
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
#include "pocketinternet/report.h"
#include "pocketinternet/web.h"

static char state_dir[] = "/tmp/pitest-web-XXXXXX";
static struct pi_backend backend;
static struct pi_web *web;
static pthread_t loop;
static char password[64];
static char base[64];
static int port;





/* The value of header name (lower case) in r, or NULL; into buf. */
static const char *header(struct web_reply *r, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);
	for (const char *p = pi_buf_str(&r->headers); p && *p;) {
		const char *end = strstr(p, "\r\n");
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			while (*v == ' ')
				v++;
			snprintf(buf, len, "%.*s", (int)(end ? end - v : (long)strlen(v)), v);
			return buf;
		}
		p = end ? end + 2 : NULL;
	}
	return NULL;
}

static void *serve(void *arg)
{
	(void)arg;
	pi_web_run(web);
	return NULL;
}

static int setup(void **state)
{
	if (apply_fixture_setup(state))
		return -1;
	if (!mkdtemp(state_dir))
		return -1;
	/* A state directory as setup leaves it: accounts go only into such a one. */
	char marker[256];
	snprintf(marker, sizeof(marker), "%s/" PI_MARKER, state_dir);
	if (pi_write_file(marker, "pocketinternet pocket\n", 22, 0644))
		return -1;
	struct pi_diag d;
	pi_diag_init(&d);
	int rc = pi_backend_open(&backend, &pi_backend_fake, &d);
	struct pi_web_opts o = { .listen = "127.0.0.1:0", .state_dir = state_dir, .poll_ms = 100 };
	if (!rc)
		rc = pi_web_start(&backend, plan, &o, &web, password, sizeof(password), &d);
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
	nftw(state_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	curl_global_cleanup();
	return apply_fixture_teardown(state);
}

/* Logs in as trainer; the cookie ("pi_session=HEX") into buf. */
static void login(char *cookie, size_t len)
{
	struct web_reply r;
	char body[256], set[256];
	snprintf(body, sizeof(body), "{\"user\":\"trainer\",\"password\":\"%s\"}", password);
	web_request(base, &r, "POST", "/api/v1/login", NULL, body);
	assert_int_equal(r.status, 200);
	assert_non_null(header(&r, "set-cookie", set, sizeof(set)));
	snprintf(cookie, len, "%.75s", set);
	web_reply_free(&r);
}

static void test_first_password_and_account_file(void **state)
{
	(void)state;
	assert_true(strlen(password) >= 16); /* made on first use */
	char path[600], dir[512];
	snprintf(dir, sizeof(dir), "%s/web", state_dir);
	snprintf(path, sizeof(path), "%s/accounts.json", dir);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	json_t *j = json_load_file(path, 0, NULL);
	assert_non_null(j);
	json_t *a = json_array_get(json_object_get(j, "accounts"), 0);
	assert_string_equal(json_string_value(json_object_get(a, "user")), "trainer");
	assert_string_equal(json_string_value(json_object_get(a, "role")), "trainer");
	const char *hash = json_string_value(json_object_get(a, "hash"));
	assert_non_null(hash);
	assert_memory_equal(hash, "$argon2id$", 10);
	char *text = json_dumps(j, 0);
	assert_null(strstr(text, password)); /* only the hash is kept */
	free(text);
	json_decref(j);
}

static void test_nothing_without_a_session(void **state)
{
	(void)state;
	static const char *const paths[] = { "/api/v1/me", "/api/v1/lab", "/api/v1/verify", "/api/v1/lg/transit1-border1",
					     "/api/v1/paths?from=a&to=b", "/api/v1/capture/1" };
	for (size_t i = 0; i < PI_ARRAY_LEN(paths); i++) {
		struct web_reply r;
		char buf[128];
		web_request(base, &r, "GET", paths[i], NULL, NULL);
		assert_int_equal(r.status, 401);
		assert_string_equal(header(&r, "content-type", buf, sizeof(buf)), "application/json");
		json_t *j = json_loads(pi_buf_str(&r.body), 0, NULL);
		assert_string_equal(json_string_value(json_object_get(j, "error")), "login required");
		json_decref(j);
		web_reply_free(&r);
	}
	struct web_reply r;
	web_request(base, &r, "GET", "/api/v1/me", "pi_session=00000000000000000000000000000000000000000000000000000000000000", NULL);
	assert_int_equal(r.status, 401);
	web_reply_free(&r);
}

static void test_login_refuses_wrong_password(void **state)
{
	(void)state;
	static const char *const bodies[] = { "{\"user\":\"trainer\",\"password\":\"not-it\"}",
					      "{\"user\":\"nobody\",\"password\":\"x\"}" };
	for (size_t i = 0; i < PI_ARRAY_LEN(bodies); i++) {
		struct web_reply r;
		char buf[256];
		web_request(base, &r, "POST", "/api/v1/login", NULL, bodies[i]);
		assert_int_equal(r.status, 401);
		assert_null(header(&r, "set-cookie", buf, sizeof(buf)));
		web_reply_free(&r);
	}
	static const char *const bad[] = { "", "{", "[]", "{\"user\":1,\"password\":\"x\"}", "{\"user\":\"trainer\"}" };
	for (size_t i = 0; i < PI_ARRAY_LEN(bad); i++) {
		struct web_reply r;
		web_request(base, &r, "POST", "/api/v1/login", NULL, bad[i]);
		assert_int_equal(r.status, 400);
		web_reply_free(&r);
	}
}

static void test_login_cookie_and_me(void **state)
{
	(void)state;
	struct web_reply r;
	char body[256], set[256], cookie[128], buf[128];
	snprintf(body, sizeof(body), "{\"user\":\"trainer\",\"password\":\"%s\"}", password);
	web_request(base, &r, "POST", "/api/v1/login", NULL, body);
	assert_int_equal(r.status, 200);
	assert_non_null(header(&r, "set-cookie", set, sizeof(set)));
	/* pi_session=<64 hex>; HttpOnly; SameSite=Strict; Path=/ and, without TLS, not Secure */
	assert_memory_equal(set, "pi_session=", 11);
	for (int i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", set[11 + i]));
	assert_string_equal(set + 75, "; HttpOnly; SameSite=Strict; Path=/");
	assert_string_equal(header(&r, "cache-control", buf, sizeof(buf)), "no-store");
	web_reply_free(&r);
	snprintf(cookie, sizeof(cookie), "%.75s", set);
	web_request(base, &r, "GET", "/api/v1/me", cookie, NULL);
	assert_int_equal(r.status, 200);
	json_t *j = json_loads(pi_buf_str(&r.body), 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "user")), "trainer");
	assert_string_equal(json_string_value(json_object_get(j, "role")), "trainer");
	assert_true(json_is_null(json_object_get(j, "pods")));
	json_decref(j);
	web_reply_free(&r);
	/* logout ends the session for good */
	web_request(base, &r, "POST", "/api/v1/logout", cookie, "");
	assert_int_equal(r.status, 204);
	assert_non_null(strstr(header(&r, "set-cookie", set, sizeof(set)), "Max-Age=0"));
	web_reply_free(&r);
	web_request(base, &r, "GET", "/api/v1/me", cookie, NULL);
	assert_int_equal(r.status, 401);
	web_reply_free(&r);
}

static bool one_of(const char *s, const char *const *words)
{
	for (; s && *words; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

static void check_pods(json_t *pods)
{
	static const char *const tiers[] = { "transit", "ixp", "broadband", "content", NULL };
	size_t nodes = 0;
	assert_int_equal(json_array_size(pods), plan->n_pods);
	for (size_t i = 0; i < plan->n_pods; i++) {
		json_t *p = json_array_get(pods, i);
		assert_string_equal(json_string_value(json_object_get(p, "name")), plan->pods[i].name);
		assert_int_equal(json_integer_value(json_object_get(p, "asn")), plan->pods[i].asn);
		assert_true(one_of(json_string_value(json_object_get(p, "tier")), tiers));
		assert_string_equal(json_string_value(json_object_get(p, "blueprint")), plan->pods[i].bp->name);
		nodes += json_array_size(json_object_get(p, "nodes"));
	}
	assert_int_equal(nodes, plan->n_nodes);
}

static void test_lab_shape(void **state)
{
	(void)state;
	static const char *const kinds[] = { "provider", "peer", "ixp-member", NULL };
	static const char *const states[] = { "running", "stopped", "absent", NULL };
	char cookie[128];
	struct web_reply r;
	login(cookie, sizeof(cookie));
	web_request(base, &r, "GET", "/api/v1/lab", cookie, NULL);
	assert_int_equal(r.status, 200);
	json_t *j = json_loads(pi_buf_str(&r.body), 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "name")), plan->lab_name);
	check_pods(json_object_get(j, "pods"));
	json_t *rels = json_object_get(j, "relations"), *nodes = json_object_get(j, "nodes");
	assert_int_equal(json_array_size(rels), plan->n_rels);
	for (size_t i = 0; i < json_array_size(rels); i++)
		assert_true(one_of(json_string_value(json_object_get(json_array_get(rels, i), "kind")), kinds));
	assert_int_equal(json_array_size(nodes), plan->n_nodes);
	for (size_t i = 0; i < plan->n_nodes; i++)
		assert_true(one_of(json_string_value(json_object_get(json_array_get(nodes, i), "state")), states));
	assert_int_equal(json_array_size(json_object_get(j, "links")), plan->n_links);
	assert_int_equal(json_array_size(json_object_get(j, "sessions")), plan->n_sessions);
	assert_true(json_is_array(json_object_get(j, "incidents")));
	json_t *s0 = json_array_get(json_object_get(j, "sessions"), 0);
	assert_string_equal(json_string_value(json_object_get(s0, "a")), plan->nodes[plan->sessions[0].a].name);
	json_decref(j);
	web_reply_free(&r);
}

/* The provider relation points from the provider: the pod that sells
 * transit is a transit pod, never a stub. */
static void test_lab_relations_point_down(void **state)
{
	(void)state;
	json_t *j = pi_report_lab(plan, NULL, NULL, NULL);
	json_t *rels = json_object_get(j, "relations");
	size_t providers = 0;
	for (size_t i = 0; i < json_array_size(rels); i++) {
		json_t *r = json_array_get(rels, i);
		uint32_t a = pi_plan_pod_by_name(plan, json_string_value(json_object_get(r, "a")));
		assert_int_not_equal(a, PI_NONE);
		const char *kind = json_string_value(json_object_get(r, "kind"));
		if (strcmp(kind, "provider") == 0) {
			providers++;
			assert_int_equal(plan->pods[a].tier, PI_TIER_TRANSIT);
		}
		if (strcmp(kind, "ixp-member") == 0)
			assert_int_equal(plan->pods[a].tier, PI_TIER_IXP);
	}
	assert_true(providers > 0);
	json_decref(j);
}

static void test_static_assets(void **state)
{
	(void)state;
	static const struct { const char *path, *type; } assets[] = {
		{ "/", "text/html; charset=utf-8" },
		{ "/index.html", "text/html; charset=utf-8" },
		{ "/xterm.js", "text/javascript; charset=utf-8" },
		{ "/xterm.css", "text/css; charset=utf-8" },
	};
	char buf[128], file[512];
	for (size_t i = 0; i < PI_ARRAY_LEN(assets); i++) {
		struct web_reply r;
		web_request(base, &r, "GET", assets[i].path, NULL, NULL); /* the login page needs them: no session */
		assert_int_equal(r.status, 200);
		assert_string_equal(header(&r, "content-type", buf, sizeof(buf)), assets[i].type);
		assert_string_equal(header(&r, "x-content-type-options", buf, sizeof(buf)), "nosniff");
		assert_true(r.body.len > 0);
		web_reply_free(&r);
	}
	/* The page is the file in web/, byte for byte. */
	struct web_reply r;
	char *text;
	size_t len;
	snprintf(file, sizeof(file), "%s/web/index.html", getenv("PI_SOURCE_DIR"));
	assert_int_equal(pi_read_file(file, &text, &len), 0);
	web_request(base, &r, "GET", "/", NULL, NULL);
	assert_int_equal(r.body.len, len);
	assert_memory_equal(pi_buf_str(&r.body), text, len);
	free(text);
	web_reply_free(&r);
	web_request(base, &r, "GET", "/no-such-file.js", NULL, NULL);
	assert_int_equal(r.status, 404);
	web_reply_free(&r);
}

static void test_websocket_origin_and_session(void **state)
{
	(void)state;
	char cookie[128], own[64], buf[8192];
	login(cookie, sizeof(cookie));
	snprintf(own, sizeof(own), "http://127.0.0.1:%d", port);
	/* Another site's page cannot reach the lab through the trainer's browser. */
	assert_int_equal(web_upgrade(port, "/api/v1/events", cookie, "http://evil.example", buf, sizeof(buf)), 403);
	assert_int_equal(web_upgrade(port, "/api/v1/events", cookie, "https://127.0.0.1:1", buf, sizeof(buf)), 403);
	assert_int_equal(web_upgrade(port, "/api/v1/events", cookie, NULL, buf, sizeof(buf)), 403);
	assert_int_equal(web_upgrade(port, "/api/v1/events", NULL, own, buf, sizeof(buf)), 403);
	assert_int_equal(web_upgrade(port, "/api/v1/term/transit1-border1", cookie, "http://evil.example", buf, sizeof(buf)), 403);
	assert_int_equal(web_upgrade(port, "/api/v1/term/no-such-node", NULL, own, buf, sizeof(buf)), 403);
	/* Our own page: the first state message comes at once. */
	assert_int_equal(web_upgrade(port, "/api/v1/events", cookie, own, buf, sizeof(buf)), 101);
	assert_non_null(strstr(buf, "{\"type\":\"state\",\"nodes\":{"));
}

static void test_api_headers_and_errors(void **state)
{
	(void)state;
	char cookie[128], buf[128];
	struct web_reply r;
	login(cookie, sizeof(cookie));
	web_request(base, &r, "GET", "/api/v1/lg/no-such-node", cookie, NULL);
	assert_int_equal(r.status, 404);
	assert_string_equal(header(&r, "cache-control", buf, sizeof(buf)), "no-store");
	web_reply_free(&r);
	web_request(base, &r, "GET", "/api/v1/verify?only=nonsense", cookie, NULL);
	assert_int_equal(r.status, 400);
	web_reply_free(&r);
	web_request(base, &r, "GET", "/api/v1/paths?from=transit1-border1", cookie, NULL);
	assert_int_equal(r.status, 400);
	web_reply_free(&r);
	web_request(base, &r, "GET", "/api/v1/no-such-api", cookie, NULL);
	assert_int_equal(r.status, 404);
	web_reply_free(&r);
}

static void test_may(void **state)
{
	(void)state;
	char *pods[] = { "broadband1" };
	struct pi_web_account trainer = { .user = "trainer", .role = PI_WEB_TRAINER };
	struct pi_web_account team = { .user = "team1", .role = PI_WEB_TEAM, .pods = pods, .n_pods = 1 };
	for (int a = PI_WEB_VIEW; a <= PI_WEB_RESET; a++) {
		assert_true(pi_web_may(&trainer, (enum pi_web_action)a, "transit1"));
		assert_true(pi_web_may(&trainer, (enum pi_web_action)a, NULL));
		assert_true(pi_web_may(&team, (enum pi_web_action)a, "broadband1"));
		assert_int_equal(pi_web_may(&team, (enum pi_web_action)a, "transit1"), a == PI_WEB_VIEW);
		assert_int_equal(pi_web_may(&team, (enum pi_web_action)a, NULL), a == PI_WEB_VIEW);
		assert_false(pi_web_may(NULL, (enum pi_web_action)a, "broadband1"));
	}
	assert_string_equal(pi_web_action_name(PI_WEB_CAPTURE), "capture");
}

/* Accounts never make a lab's state directory: setup would refuse it later. */
static void test_no_accounts_without_setup(void **state)
{
	(void)state;
	char dir[] = "/tmp/pitest-web-nosetup-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char labdir[300], pw[64];
	snprintf(labdir, sizeof(labdir), "%s/pocket", dir);
	struct pi_diag d;
	pi_diag_init(&d);
	assert_int_equal(pi_web_account_set(labdir, "trainer", "trainer", NULL, 0, pw, sizeof(pw), &d), -ENOENT);
	assert_true(pi_diag_count(&d) > 0);
	assert_int_not_equal(access(labdir, F_OK), 0);
	pi_diag_free(&d);
	assert_int_equal(rmdir(dir), 0);
}

static void test_team_account(void **state)
{
	(void)state;
	const char *pods[] = { "broadband1", "content1" };
	char pw[64], pw2[64];
	struct pi_diag d;
	struct pi_vec v;
	pi_diag_init(&d);
	assert_int_equal(pi_web_account_set(state_dir, "team1", "team", pods, 2, pw, sizeof(pw), &d), 0);
	assert_int_equal(pi_web_accounts_load(state_dir, &v, &d), 0);
	assert_int_equal(v.len, 2); /* the trainer stays */
	const struct pi_web_account *a = pi_vec_at(&v, 1);
	assert_string_equal(a->user, "team1");
	assert_int_equal(a->role, PI_WEB_TEAM);
	assert_int_equal(a->n_pods, 2);
	assert_string_equal(a->pods[1], "content1");
	assert_true(pi_web_account_check(a, pw));
	assert_false(pi_web_account_check(a, "guess"));
	pi_web_accounts_free(&v);
	/* A reset gives a new password; the old one stops working. */
	assert_int_equal(pi_web_account_set(state_dir, "team1", "team", pods, 1, pw2, sizeof(pw2), &d), 0);
	assert_string_not_equal(pw, pw2);
	assert_int_equal(pi_web_accounts_load(state_dir, &v, &d), 0);
	a = pi_vec_at(&v, 1);
	assert_int_equal(a->n_pods, 1);
	assert_false(pi_web_account_check(a, pw));
	assert_true(pi_web_account_check(a, pw2));
	pi_web_accounts_free(&v);
	assert_int_equal(pi_web_account_set(state_dir, "x y", "team", NULL, 0, pw, sizeof(pw), &d), -EINVAL);
	assert_int_equal(pi_web_account_set(state_dir, "t", "admin", NULL, 0, pw, sizeof(pw), &d), -EINVAL);
	pi_diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_password_and_account_file),
		cmocka_unit_test(test_no_accounts_without_setup),
		cmocka_unit_test(test_nothing_without_a_session),
		cmocka_unit_test(test_login_refuses_wrong_password),
		cmocka_unit_test(test_login_cookie_and_me),
		cmocka_unit_test(test_lab_shape),
		cmocka_unit_test(test_lab_relations_point_down),
		cmocka_unit_test(test_static_assets),
		cmocka_unit_test(test_websocket_origin_and_session),
		cmocka_unit_test(test_api_headers_and_errors),
		cmocka_unit_test(test_may),
		cmocka_unit_test(test_team_account),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
