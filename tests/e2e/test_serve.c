/*
 * End-to-end: serve on the running default lab (docs/web.md), spoken to as
 * a script would, over HTTP on 127.0.0.1 (libcurl) and raw WebSockets:
 * the lab with every node running and every session Established, the
 * looking glass, paths, verify's matrix, the live state, a terminal that
 * runs birdc and a capture read back as pcapng (these two only when the
 * build has apply's terminal and capture calls: else 501, and they are
 * skipped), refusals without a session and from a foreign Origin, and a
 * clean stop on SIGTERM. Needs root and a running Docker engine.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "e2e_common.h"

static pid_t server;
static int port;
static char cookie[128];

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	pi_buf_write(ctx, p, size * n);
	return size * n;
}

/* GET or POST path; the status; the body into out. */
static long http(const char *method, const char *path, const char *body, struct pi_buf *out, struct pi_buf *headers)
{
	char url[512];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (headers) {
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, headers);
	}
	if (cookie[0])
		curl_easy_setopt(c, CURLOPT_COOKIE, cookie);
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
	long status = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}

static json_t *get_json(const char *path, long want)
{
	struct pi_buf out;
	pi_buf_init(&out);
	long st = http("GET", path, NULL, &out, NULL);
	if (st != want)
		fprintf(stderr, "GET %s: %ld %s\n", path, st, pi_buf_str(&out));
	assert_int_equal(st, want);
	json_t *j = json_loads(pi_buf_str(&out), 0, NULL);
	assert_non_null(j);
	pi_buf_free(&out);
	return j;
}

/* serve --listen 127.0.0.1:0 --format json; its first line says where. */
static int start_server(void **state)
{
	if (e2e_setup_default_lab(state))
		return -1;
	int pfd[2];
	if (pipe(pfd))
		return -1;
	server = fork();
	if (server == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		execl(bin, bin, "--lab", plan->lab_name, "serve", "--listen", "127.0.0.1:0", "--format", "json", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	char line[1024];
	FILE *f = fdopen(pfd[0], "r");
	json_t *j = fgets(line, sizeof(line), f) ? json_loads(line, 0, NULL) : NULL;
	fclose(f);
	const char *url = json_string_value(json_object_get(j, "url"));
	const char *pw = json_string_value(json_object_get(j, "password"));
	if (!url || !pw || sscanf(url, "http://127.0.0.1:%d/", &port) != 1) {
		fprintf(stderr, "serve said: %s\n", line);
		return -1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	char body[256];
	struct pi_buf out, hdr;
	pi_buf_init(&out);
	pi_buf_init(&hdr);
	snprintf(body, sizeof(body), "{\"user\":\"trainer\",\"password\":\"%s\"}", pw);
	json_decref(j);
	long st = http("POST", "/api/v1/login", body, &out, &hdr);
	const char *set = strstr(pi_buf_str(&hdr), "pi_session=");
	if (st != 200 || !set)
		return -1;
	snprintf(cookie, sizeof(cookie), "%.75s", set);
	pi_buf_free(&out);
	pi_buf_free(&hdr);
	return 0;
}

static int stop_server(void **state)
{
	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
	}
	curl_global_cleanup();
	return e2e_teardown_lab(state);
}

static void test_lab_is_live(void **state)
{
	(void)state;
	json_t *j = get_json("/api/v1/lab", 200);
	json_t *nodes = json_object_get(j, "nodes"), *ses = json_object_get(j, "sessions");
	assert_int_equal(json_array_size(json_object_get(j, "pods")), plan->n_pods);
	for (size_t i = 0; i < json_array_size(nodes); i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(nodes, i), "state")), "running");
	assert_int_equal(json_array_size(ses), plan->n_sessions);
	for (size_t i = 0; i < json_array_size(ses); i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(ses, i), "state")), "established");
	json_decref(j);
}

static void test_lg_and_paths(void **state)
{
	(void)state;
	uint32_t border = find_node(PI_SVC_EBGP, 0, "transit", 0);
	uint32_t sub = find_node(PI_SVC_CLIENT, 0, "broadband", 0), web = find_node(PI_SVC_HTTP, 0, "content", 0);
	assert_int_not_equal(border, PI_NONE);
	char path[512], pfx[PI_PREFIX_STRLEN];
	uint32_t far = plan->nodes[web].pod;
	snprintf(path, sizeof(path), "/api/v1/lg/%s?q=%s", plan->nodes[border].name, pi_prefix_fmt(&plan->pods[far].v4, pfx));
	json_t *j = get_json(path, 200);
	assert_true(json_array_size(json_object_get(j, "routes")) > 0);
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(j, "routes"), 0), "best")));
	json_decref(j);
	snprintf(path, sizeof(path), "/api/v1/lg/%s", plan->nodes[border].name);
	j = get_json(path, 200);
	assert_true(json_integer_value(json_object_get(j, "established")) > 0);
	json_decref(j);
	snprintf(path, sizeof(path), "/api/v1/paths?from=%s&to=%s", plan->nodes[sub].name, plan->nodes[web].name);
	j = get_json(path, 200);
	assert_true(json_array_size(json_object_get(json_object_get(j, "router_paths"), "paths")) > 0);
	assert_non_null(json_object_get(j, "ipv4"));
	json_decref(j);
}

static void test_verify_matrix(void **state)
{
	(void)state;
	json_t *j = get_json("/api/v1/verify?only=reach,policy", 200);
	assert_true(json_is_true(json_object_get(j, "passed")));
	assert_non_null(json_object_get(json_object_get(j, "reach"), "ipv4"));
	json_decref(j);
}

/* ---- a minimal WebSocket client (RFC 6455: masked frames out) ---- */

static int ws_open(const char *path, const char *origin, bool with_cookie, int *status)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct timeval tv = { .tv_sec = 30 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char req[1024];
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: %s\r\n%s%s%s\r\n",
			 path, port, origin, with_cookie ? "Cookie: " : "", with_cookie ? cookie : "", with_cookie ? "\r\n" : "");
	assert_int_equal(write(fd, req, (size_t)n), n);
	/* The response's head, byte by byte: the frames after it stay in the socket. */
	char head[4096];
	size_t off = 0;
	while (off + 1 < sizeof(head) && read(fd, head + off, 1) == 1) {
		off++;
		if (off >= 4 && memcmp(head + off - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	head[off] = '\0';
	*status = 0;
	sscanf(head, "HTTP/%*s %d", status);
	if (*status != 101) {
		close(fd);
		return -1;
	}
	return fd;
}

static void ws_send(int fd, int opcode, const void *data, size_t len)
{
	unsigned char f[14 + 4096];
	size_t h = 2;
	assert_true(len <= 4096);
	f[0] = (unsigned char)(0x80 | opcode);
	if (len < 126) {
		f[1] = (unsigned char)(0x80 | len);
	} else {
		f[1] = 0x80 | 126;
		f[2] = (unsigned char)(len >> 8);
		f[3] = (unsigned char)len;
		h = 4;
	}
	unsigned char mask[4] = { 0x12, 0x34, 0x56, (unsigned char)rand() };
	memcpy(f + h, mask, 4);
	for (size_t i = 0; i < len; i++)
		f[h + 4 + i] = ((const unsigned char *)data)[i] ^ mask[i % 4];
	assert_int_equal(write(fd, f, h + 4 + len), (ssize_t)(h + 4 + len));
}

static bool read_all(int fd, void *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t n = read(fd, (char *)buf + off, len - off);
		if (n <= 0)
			return false;
		off += (size_t)n;
	}
	return true;
}

/* One server frame's payload into out (appended); its opcode, or -1. */
static int ws_read(int fd, struct pi_buf *out)
{
	unsigned char h[2], ext[8];
	if (!read_all(fd, h, 2))
		return -1;
	uint64_t len = h[1] & 0x7f;
	if (len == 126 && read_all(fd, ext, 2))
		len = (uint64_t)ext[0] << 8 | ext[1];
	else if (len == 127 && read_all(fd, ext, 8)) {
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | ext[i];
	}
	char *p = malloc(len + 1);
	bool ok = read_all(fd, p, len);
	if (ok)
		pi_buf_write(out, p, len);
	free(p);
	return ok ? h[0] & 0x0f : -1;
}

static void test_refusals(void **state)
{
	(void)state;
	char saved[128], own[64];
	int st;
	snprintf(own, sizeof(own), "http://127.0.0.1:%d", port);
	assert_int_equal(ws_open("/api/v1/events", "http://evil.example", true, &st), -1);
	assert_int_equal(st, 403);
	assert_int_equal(ws_open("/api/v1/events", own, false, &st), -1);
	assert_int_equal(st, 403);
	snprintf(saved, sizeof(saved), "%s", cookie);
	cookie[0] = '\0';
	struct pi_buf out;
	pi_buf_init(&out);
	assert_int_equal(http("GET", "/api/v1/lab", NULL, &out, NULL), 401);
	pi_buf_free(&out);
	snprintf(cookie, sizeof(cookie), "%s", saved);
}

static void test_events(void **state)
{
	(void)state;
	char own[64];
	int st;
	snprintf(own, sizeof(own), "http://127.0.0.1:%d", port);
	int fd = ws_open("/api/v1/events", own, true, &st);
	assert_int_equal(st, 101);
	struct pi_buf msg;
	pi_buf_init(&msg);
	assert_int_equal(ws_read(fd, &msg), 1); /* text */
	json_t *j = json_loads(pi_buf_str(&msg), 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "state");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "sessions"), plan->sessions[0].name)),
			    "established");
	json_decref(j);
	pi_buf_free(&msg);
	close(fd);
}

static void test_terminal(void **state)
{
	(void)state;
	uint32_t border = find_node(PI_SVC_EBGP, 0, "transit", 0);
	char path[256], own[64];
	int st;
	snprintf(own, sizeof(own), "http://127.0.0.1:%d", port);
	snprintf(path, sizeof(path), "/api/v1/term/%s", plan->nodes[border].name);
	int fd = ws_open(path, own, true, &st);
	if (st == 501)
		skip(); /* this build has no terminal exec in apply */
	assert_int_equal(st, 101);
	ws_send(fd, 1, "{\"resize\":[132,40]}", 19);
	const char cmd[] = "birdc show protocols\n";
	ws_send(fd, 2, cmd, sizeof(cmd) - 1);
	struct pi_buf seen;
	pi_buf_init(&seen);
	time_t end = time(NULL) + 30;
	while (!strstr(pi_buf_str(&seen), "Established") && time(NULL) < end && ws_read(fd, &seen) >= 0)
		;
	assert_non_null(strstr(pi_buf_str(&seen), "Established"));
	pi_buf_free(&seen);
	close(fd); /* ends the shell */
}

static void test_capture(void **state)
{
	(void)state;
	uint32_t sub = find_node(PI_SVC_CLIENT, 0, "broadband", 0), web = find_node(PI_SVC_HTTP, 0, "content", 0);
	char body[256], path[128], addr[PI_PREFIX_STRLEN];
	struct pi_buf out;
	pi_buf_init(&out);
	snprintf(body, sizeof(body), "{\"node\":\"%s\",\"iface\":null,\"filter\":\"icmp or icmp6\"}", plan->nodes[sub].name);
	long st = http("POST", "/api/v1/capture", body, &out, NULL);
	if (st == 501)
		skip(); /* this build has no background capture in apply */
	assert_int_equal(st, 200);
	json_t *j = json_loads(pi_buf_str(&out), 0, NULL);
	int id = (int)json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	struct pi_prefix a = node_addr(web, has_v4(sub) ? PI_AF_V4 : PI_AF_V6);
	pi_buf_reset(&out);
	node_exec_retry(sub, &out, (const char *[]){ "ping", "-c", "3", "-i", "0.2", pi_prefix_fmt_addr(&a, addr), NULL }, 20);
	snprintf(path, sizeof(path), "/api/v1/capture/%d", id);
	j = get_json(path, 200);
	assert_true(json_is_true(json_object_get(j, "running")));
	assert_true(json_integer_value(json_object_get(j, "packets")) >= 6); /* 3 requests, 3 replies */
	json_decref(j);
	snprintf(path, sizeof(path), "/api/v1/capture/%d/pcapng", id);
	pi_buf_reset(&out);
	assert_int_equal(http("GET", path, NULL, &out, NULL), 200); /* while it runs */
	assert_true(out.len > 28);
	assert_memory_equal(pi_buf_str(&out), "\x0a\x0d\x0d\x0a", 4); /* a pcapng section header */
	snprintf(path, sizeof(path), "/api/v1/capture/%d/stop", id);
	pi_buf_reset(&out);
	assert_int_equal(http("POST", path, "", &out, NULL), 200);
	j = json_loads(pi_buf_str(&out), 0, NULL);
	assert_true(json_is_false(json_object_get(j, "running")));
	json_decref(j);
	pi_buf_free(&out);
}

/* SIGTERM: exit 0 at once, and no capture file left behind. */
static void test_clean_stop(void **state)
{
	(void)state;
	int st;
	time_t t0 = time(NULL);
	kill(server, SIGTERM);
	assert_int_equal(waitpid(server, &st, 0), server);
	server = 0;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(time(NULL) - t0 < 30);
	char dir[4200], cmd[4300];
	pi_state_dir(pi_state_root(), plan->lab_name, dir, sizeof(dir));
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s/web/captures' 2>/dev/null)\"", dir);
	assert_int_equal(system(cmd), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lab_is_live),   cmocka_unit_test(test_lg_and_paths), cmocka_unit_test(test_verify_matrix),
		cmocka_unit_test(test_refusals),      cmocka_unit_test(test_events),       cmocka_unit_test(test_terminal),
		cmocka_unit_test(test_capture),       cmocka_unit_test(test_clean_stop),
	};
	return e2e_main(argc, argv, "test-serve", tests, sizeof(tests) / sizeof(tests[0]), start_server, stop_server);
}
