/*
 * End-to-end: team access on labs/teams.yml (docs/security.md, "SSH per
 * team"; docs/web.md, "Teams"). The lab comes up once; each team gets a
 * throwaway key (ssh-keygen on the host, `teams --ssh-key`); `serve --ssh`
 * runs the web server and the SSH gateway. Then, over SSH (openssh-client):
 * red's key on red's port lands on red's border router; red's key on
 * blue's port is refused, and so is red's password (teams --ssh-password)
 * while it works on red's port; from red's border router, ssh (with red's key
 * forwarded by the agent) reaches red's other router but not blue's; the
 * team's shell reaches none of the host's addresses. And over the web API
 * logged in as red: 403 on blue's terminal, capture and config, 200 on its
 * own config. Needs root, a running Docker engine and the node image with
 * openssh-server.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "e2e_common.h"
#include "../web/web_client.h"

static pid_t server;
static int web_port, red_port, blue_port;
static char keydir[] = "/tmp/pi-e2e-ssh-XXXXXX";
static char red_pw[64];
static const char *red_border, *blue_border;

static uint32_t border_of(const char *pod)
{
	uint32_t p = pi_plan_pod_by_name(plan, pod);
	for (uint32_t n = 0; n < plan->n_nodes; n++)
		if (plan->nodes[n].pod == p)
			return pi_plan_pod_border(plan, n);
	return PI_NONE;
}

/* A router of pod other than its border router (red's second hop target). */
static uint32_t other_router(const char *pod, uint32_t not)
{
	uint32_t p = pi_plan_pod_by_name(plan, pod);
	for (uint32_t n = 0; n < plan->n_nodes; n++)
		if (plan->nodes[n].pod == p && n != not && pi_plan_node_forwards(plan, n))
			return n;
	return PI_NONE;
}

static int sh(struct pi_buf *out, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	FILE *f = popen(cmd, "r");
	if (!f)
		return -1;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (out)
			pi_buf_write(out, buf, n);
	int st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define SSH_OPTS "-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=30"

static int start_serve(void)
{
	int pfd[2];
	if (pipe(pfd))
		return -1;
	server = fork();
	if (server == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		execl(bin, bin, "--lab", plan->lab_name, "serve", "--listen", "127.0.0.1:0", "--ssh", "--ssh-base-port",
		      "22200", "--format", "json", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	FILE *f = fdopen(pfd[0], "r");
	char l1[1024] = "", l2[1024] = "";
	json_t *a = fgets(l1, sizeof(l1), f) ? json_loads(l1, 0, NULL) : NULL;
	json_t *b = fgets(l2, sizeof(l2), f) ? json_loads(l2, 0, NULL) : NULL;
	fclose(f);
	const char *url = json_string_value(json_object_get(a, "url"));
	json_t *ssh = json_object_get(b, "ssh");
	for (size_t i = 0; i < json_array_size(ssh); i++) {
		json_t *t = json_array_get(ssh, i);
		const char *team = json_string_value(json_object_get(t, "team"));
		int port = (int)json_integer_value(json_object_get(t, "port"));
		if (team && strcmp(team, "red") == 0)
			red_port = port;
		else if (team && strcmp(team, "blue") == 0)
			blue_port = port;
	}
	int rc = url && sscanf(url, "http://127.0.0.1:%d/", &web_port) == 1 && red_port && blue_port ? 0 : -1;
	if (rc)
		fprintf(stderr, "serve said:\n%s%s", l1, l2);
	json_decref(a);
	json_decref(b);
	return rc;
}

static int group_setup(void **state)
{
	(void)state;
	char file[4096];
	snprintf(file, sizeof(file), "%s/labs/teams.yml", getenv("PI_SOURCE_DIR"));
	struct pi_diag d;
	pi_diag_init(&d);
	int rc = pi_backend_open(&backend, &pi_backend_docker, &d);
	pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	if (rc || bring_up_opts(file, false) || !mkdtemp(keydir))
		return -1;
	red_border = plan->nodes[border_of("red-isp")].name;
	blue_border = plan->nodes[border_of("blue-isp")].name;
	for (int i = 0; i < 2; i++) {
		const char *team = i ? "blue" : "red";
		char pub[256];
		if (sh(NULL, "ssh-keygen -q -t ed25519 -N '' -C %s -f %s/%s", team, keydir, team) != 0)
			return -1;
		snprintf(pub, sizeof(pub), "%s/%s.pub", keydir, team);
		if (run_bin(NULL, (const char *[]){ "--lab", plan->lab_name, "teams", "--ssh-key", team, pub, NULL }) != 0)
			return -1;
	}
	struct pi_buf out;
	pi_buf_init(&out);
	rc = run_bin(&out, (const char *[]){ "--lab", plan->lab_name, "teams", "--passwords", "--format", "json", NULL });
	json_t *j = rc ? NULL : json_loads(pi_buf_str(&out), 0, NULL);
	json_t *teams = json_object_get(j, "teams");
	for (size_t i = 0; i < json_array_size(teams); i++) {
		json_t *login = json_object_get(json_array_get(teams, i), "login");
		if (strcmp(json_string_value(json_object_get(login, "user")), "red") == 0)
			snprintf(red_pw, sizeof(red_pw), "%s", json_string_value(json_object_get(login, "password")));
	}
	json_decref(j);
	pi_buf_free(&out);
	/* Red may also log in with its web password (ssh reads it from an askpass script). */
	if (!red_pw[0] || run_bin(NULL, (const char *[]){ "--lab", plan->lab_name, "teams", "--ssh-password", "red", NULL }))
		return -1;
	char askpass[128];
	snprintf(askpass, sizeof(askpass), "%s/askpass", keydir);
	FILE *f = fopen(askpass, "w");
	if (!f)
		return -1;
	fprintf(f, "#!/bin/sh\nprintf '%%s\\n' '%s'\n", red_pw);
	fclose(f);
	chmod(askpass, 0700);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return red_pw[0] ? start_serve() : -1;
}

static int group_teardown(void **state)
{
	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
	}
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", keydir);
	(void)!system(cmd);
	curl_global_cleanup();
	return e2e_teardown_lab(state);
}

static void test_red_lands_on_its_border_router(void **state)
{
	(void)state;
	struct pi_buf out, want;
	pi_buf_init(&out);
	pi_buf_init(&want);
	assert_int_equal(sh(&out, "ssh " SSH_OPTS " -i %s/red -p %d root@127.0.0.1 hostname", keydir, red_port), 0);
	assert_int_equal(node_exec(border_of("red-isp"), &want, (const char *[]){ "hostname", NULL }), 0);
	assert_true(want.len > 0);
	assert_string_equal(pi_buf_str(&out), pi_buf_str(&want));
	pi_buf_free(&out);
	pi_buf_free(&want);
}

static void test_red_refused_on_blues_port(void **state)
{
	(void)state;
	assert_int_equal(sh(NULL, "ssh " SSH_OPTS " -i %s/red -p %d root@127.0.0.1 true 2>/dev/null", keydir, blue_port),
			 255);
	/* ... and blue's own key works there. */
	assert_int_equal(sh(NULL, "ssh " SSH_OPTS " -i %s/blue -p %d root@127.0.0.1 true", keydir, blue_port), 0);
}

static int password_login(int port)
{
	return sh(NULL,
		  "SSH_ASKPASS=%s/askpass SSH_ASKPASS_REQUIRE=force setsid -w ssh -o StrictHostKeyChecking=no "
		  "-o UserKnownHostsFile=/dev/null -o ConnectTimeout=30 -o PubkeyAuthentication=no "
		  "-o PreferredAuthentications=password -o NumberOfPasswordPrompts=1 -p %d root@127.0.0.1 true "
		  "</dev/null 2>/dev/null",
		  keydir, port);
}

static void test_password_on_own_port_only(void **state)
{
	(void)state;
	assert_int_equal(password_login(red_port), 0);
	assert_int_equal(password_login(blue_port), 255);
}

/* From red's border router, with red's key in a forwarded agent: ssh to addr. */
static int hop(const char *addr)
{
	return sh(NULL,
		  "eval $(ssh-agent -s) >/dev/null && ssh-add -q %s/red && "
		  "ssh " SSH_OPTS " -A -i %s/red -p %d root@127.0.0.1 "
		  "'ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o ConnectTimeout=10 root@%s true'; "
		  "rc=$?; ssh-agent -k >/dev/null; exit $rc",
		  keydir, keydir, red_port, addr);
}

static void test_hops_to_own_nodes_only(void **state)
{
	(void)state;
	char a[PI_PREFIX_STRLEN];
	uint32_t red2 = other_router("red-isp", border_of("red-isp"));
	assert_int_not_equal(red2, PI_NONE);
	struct pi_prefix own = pi_prefix_as_host(&plan->nodes[red2].lo4);
	/* The pod's OSPF may still be bringing red2's loopback in: up to 60 s. */
	int rc = -1;
	for (int t = 0; t < 12 && rc != 0; t++)
		if ((rc = hop(pi_prefix_fmt_addr(&own, a))) != 0)
			sleep(5);
	assert_int_equal(rc, 0);
	/* Blue's border router: its sshd refuses red's key (test_red_refused_on_blues_port
	 * shows that on the same sshd); over the lab, blue's unconfigured pod may also
	 * have no route yet. Either way red gets no shell there. */
	struct pi_prefix blue = pi_prefix_as_host(&plan->nodes[border_of("blue-isp")].lo4);
	assert_int_not_equal(hop(pi_prefix_fmt_addr(&blue, a)), 0);
}

static void test_no_path_to_the_host(void **state)
{
	(void)state;
	struct ifaddrs *ifs;
	assert_int_equal(getifaddrs(&ifs), 0);
	unsigned tried = 0;
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		char addr[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, addr, sizeof(addr));
		if (strncmp(addr, "127.", 4) == 0 || strncmp(addr, "10.", 3) == 0)
			continue; /* the node's own loopback; the lab's space (host-side lab links) */
		tried++;
		/* No route, or no answer: either way the shell cannot reach the host there. */
		assert_int_not_equal(sh(NULL, "ssh " SSH_OPTS " -i %s/red -p %d root@127.0.0.1 "
					      "'ping -c1 -W2 %s' >/dev/null 2>&1",
					keydir, red_port, addr),
				     0);
	}
	freeifaddrs(ifs);
	assert_true(tried > 0);
	/* The gateway's ports are the host's 127.0.0.1; the node's 127.0.0.1 is its own. */
	assert_int_not_equal(sh(NULL, "ssh " SSH_OPTS " -i %s/red -p %d root@127.0.0.1 "
				      "'ssh -o BatchMode=yes -o ConnectTimeout=5 -p %d root@127.0.0.1 true' 2>/dev/null",
				keydir, red_port, red_port),
			     0);
}

/* ---- the web API as red ---- */

/* A WebSocket upgrade of path from the page's own origin: the status code. */
static int upgrade(const char *path, const char *cookie)
{
	char own[64];
	snprintf(own, sizeof(own), "http://127.0.0.1:%d", web_port);
	return web_upgrade(web_port, path, cookie, own, NULL, 0);
}

/* method on path as cookie: the status code. */
static long http(const char *method, const char *path, const char *cookie, const char *body, struct pi_buf *hdr)
{
	char base[64];
	struct web_reply r;
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", web_port);
	long st = web_request(base, &r, method, path, cookie, body);
	if (hdr)
		pi_buf_write(hdr, r.headers.data, r.headers.len);
	web_reply_free(&r);
	return st;
}

/* The keys and the password hash live in the node's own filesystem, which
 * the container keeps while it is stopped: `node restart` keeps them. */
static void test_credentials_survive_node_restart(void **state)
{
	(void)state;
	assert_int_equal(run_bin(NULL, (const char *[]){ "--lab", plan->lab_name, "node", "restart", red_border, NULL }), 0);
	assert_int_equal(sh(NULL, "ssh " SSH_OPTS " -i %s/red -p %d root@127.0.0.1 true", keydir, red_port), 0);
	assert_int_equal(password_login(red_port), 0);
	assert_int_equal(sh(NULL, "ssh " SSH_OPTS " -i %s/red -p %d root@127.0.0.1 true 2>/dev/null", keydir, blue_port),
			 255);
}

static void test_web_isolation(void **state)
{
	(void)state;
	char body[256], cookie[128], path[256];
	struct pi_buf hdr;
	pi_buf_init(&hdr);
	snprintf(body, sizeof(body), "{\"user\":\"red\",\"password\":\"%s\"}", red_pw);
	assert_int_equal(http("POST", "/api/v1/login", NULL, body, &hdr), 200);
	const char *set = strstr(pi_buf_str(&hdr), "pi_session=");
	assert_non_null(set);
	snprintf(cookie, sizeof(cookie), "%.75s", set);
	pi_buf_free(&hdr);
	snprintf(path, sizeof(path), "/api/v1/term/%s", blue_border);
	assert_int_equal(upgrade(path, cookie), 403);
	snprintf(path, sizeof(path), "/api/v1/term/%s", red_border);
	assert_int_equal(upgrade(path, cookie), 101);
	snprintf(body, sizeof(body), "{\"node\":\"%s\"}", blue_border);
	assert_int_equal(http("POST", "/api/v1/capture", cookie, body, NULL), 403);
	snprintf(path, sizeof(path), "/api/v1/config/%s", blue_border);
	assert_int_equal(http("GET", path, cookie, NULL, NULL), 403);
	snprintf(path, sizeof(path), "/api/v1/config/%s", red_border);
	assert_int_equal(http("GET", path, cookie, NULL, NULL), 200);
	assert_int_equal(http("POST", "/api/v1/reset/blue-isp", cookie, "", NULL), 403);
	assert_int_equal(http("POST", "/api/v1/save/blue-isp", cookie, "", NULL), 403);
	assert_int_equal(http("GET", "/api/v1/check/blue-isp", cookie, NULL, NULL), 403);
	assert_int_equal(http("GET", "/api/v1/lab", cookie, NULL, NULL), 200);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_red_lands_on_its_border_router),
		cmocka_unit_test(test_red_refused_on_blues_port),
		cmocka_unit_test(test_password_on_own_port_only),
		cmocka_unit_test(test_hops_to_own_nodes_only),
		cmocka_unit_test(test_no_path_to_the_host),
		cmocka_unit_test(test_web_isolation),
		cmocka_unit_test(test_credentials_survive_node_restart),
	};
	return e2e_main(argc, argv, "test-teams-ssh", tests, sizeof(tests) / sizeof(tests[0]), group_setup,
			group_teardown);
}
