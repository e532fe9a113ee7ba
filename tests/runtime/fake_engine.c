/*
 * The runtime tests' fake Docker Engine: HTTP on a unix socket in a
 * temporary directory, one thread a connection. It answers the exec create
 * of container c1 (the body is kept), the start of exec e1 (refused, or
 * hijacked and handed to the test's start function), its resizes (kept)
 * and its inspect (running, pid, exit status); anything else is a 404.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "fake_engine.h"

/* The engine's threads never assert: a client that hung up is no test failure there. */
void fake_engine_put(int c, const char *s)
{
	(void)!write(c, s, strlen(s));
}

static void put_json(int c, int status, const char *json)
{
	char head[256];
	snprintf(head, sizeof(head),
		 "HTTP/1.1 %d X\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
		 status, strlen(json));
	fake_engine_put(c, head);
	fake_engine_put(c, json);
}

void fake_engine_upgrade(struct fake_engine *e, int c, const char *first)
{
	char head[512];
	snprintf(head, sizeof(head),
		 "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
		 "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n%s",
		 first);
	fake_engine_put(c, head);
	pthread_mutex_lock(&e->lock);
	e->running = true;
	pthread_mutex_unlock(&e->lock);
}

void fake_engine_end(struct fake_engine *e, int code)
{
	pthread_mutex_lock(&e->lock);
	e->running = false;
	e->ended = true;
	e->exit_code = code;
	pthread_mutex_unlock(&e->lock);
}

/* Reads a request head and its Content-Length body into req, byte by byte
 * so that nothing past the request (stdin on the hijacked start) is taken. */
static void read_request(int c, char *req, size_t cap)
{
	size_t have = 0, want = 0;
	char *end = NULL;
	req[0] = '\0';
	while (have < cap - 1 && (!end || have < want)) {
		if (read(c, req + have, 1) != 1)
			break;
		req[++have] = '\0';
		if (!end && (end = strstr(req, "\r\n\r\n"))) {
			const char *cl = strstr(req, "Content-Length: ");
			want = have + (cl ? strtoul(cl + 16, NULL, 10) : 0);
		}
	}
}

/* Whether req is method on path; path ends with what must follow it (" " or "?"). */
static bool starts(const char *req, const char *method, const char *path)
{
	char p[256];
	snprintf(p, sizeof(p), "%s /v" PI_DOCKER_API "%s", method, path);
	return strncmp(req, p, strlen(p)) == 0;
}

static void serve_state(struct fake_engine *e, int c)
{
	char json[256];
	pthread_mutex_lock(&e->lock);
	int st;
	if ((e->flags & FAKE_REAP_ON_STATE) && (e->flags & FAKE_SLEEPER) && !e->ended &&
	    waitpid(e->pid, &st, WNOHANG) == e->pid) {
		e->child_sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
		e->ended = true;
		e->running = false;
		e->exit_code = 128 + e->child_sig;
	}
	if (e->ended)
		snprintf(json, sizeof(json), "{\"Running\":false,\"Pid\":%d,\"ExitCode\":%d}", (int)e->pid, e->exit_code);
	else
		snprintf(json, sizeof(json), "{\"Running\":%s,\"Pid\":%d,\"ExitCode\":null}",
			 e->running ? "true" : "false", e->running ? (int)e->pid : 0);
	pthread_mutex_unlock(&e->lock);
	put_json(c, 200, json);
}

static void serve_resize(struct fake_engine *e, int c, const char *req)
{
	const char *q = strchr(req, '?') + 1;
	pthread_mutex_lock(&e->lock);
	size_t len = strlen(e->resizes);
	snprintf(e->resizes + len, sizeof(e->resizes) - len, "%.*s;", (int)strcspn(q, " "), q);
	pthread_mutex_unlock(&e->lock);
	put_json(c, 201, "");
}

struct conn {
	struct fake_engine *e;
	int c;
};

static void *serve_one(void *arg)
{
	struct conn *k = arg;
	struct fake_engine *e = k->e;
	char req[4096];
	read_request(k->c, req, sizeof(req));
	if (starts(req, "POST", "/containers/c1/exec ")) {
		char *body = strstr(req, "\r\n\r\n");
		pthread_mutex_lock(&e->lock);
		snprintf(e->create_body, sizeof(e->create_body), "%s", body ? body + 4 : "");
		pthread_mutex_unlock(&e->lock);
		put_json(k->c, 201, "{\"Id\":\"e1\"}");
	} else if (starts(req, "POST", "/exec/e1/start ")) {
		snprintf(e->start_head, sizeof(e->start_head), "%s", req);
		if (e->flags & FAKE_REFUSE)
			put_json(k->c, 409, "{\"message\":\"Container c1 is not running\"}");
		else
			e->start(e, k->c);
	} else if (starts(req, "POST", "/exec/e1/resize?")) {
		serve_resize(e, k->c, req);
	} else if (starts(req, "GET", "/exec/e1/json ")) {
		serve_state(e, k->c);
	} else {
		put_json(k->c, 404, "{\"message\":\"no such thing\"}");
	}
	close(k->c);
	free(k);
	return NULL;
}

static void *serve(void *arg)
{
	struct fake_engine *e = arg;
	for (;;) {
		int c = accept(e->lfd, NULL, NULL);
		if (c < 0)
			return NULL;
		struct conn *k = malloc(sizeof(*k));
		k->e = e;
		k->c = c;
		pthread_t t;
		pthread_create(&t, NULL, serve_one, k);
		pthread_detach(t);
	}
}

struct pi_docker *fake_engine_start(struct fake_engine *e, unsigned flags, fake_engine_start_fn *start)
{
	memset(e, 0, sizeof(*e));
	e->flags = flags;
	e->start = start;
	pthread_mutex_init(&e->lock, NULL);
	snprintf(e->dir, sizeof(e->dir), "/tmp/pi-fake-engine-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->sock, sizeof(e->sock), "%s/docker.sock", e->dir);
	e->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, e->sock, strlen(e->sock) + 1);
	assert_int_equal(bind(e->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(e->lfd, 8), 0);
	if (flags & FAKE_SLEEPER) {
		e->pid = fork();
		assert_true(e->pid >= 0);
		if (e->pid == 0) {
			for (;;)
				pause();
		}
	}
	assert_int_equal(pthread_create(&e->th, NULL, serve, e), 0);
	char host[160];
	snprintf(host, sizeof(host), "unix://%s", e->sock);
	struct pi_docker *d = NULL;
	assert_int_equal(pi_docker_new(host, &d, NULL), 0);
	return d;
}

void fake_engine_stop(struct fake_engine *e, struct pi_docker *d)
{
	pi_docker_free(d);
	shutdown(e->lfd, SHUT_RDWR);
	close(e->lfd);
	pthread_join(e->th, NULL);
	if ((e->flags & FAKE_SLEEPER) && !e->ended) {
		kill(e->pid, SIGKILL);
		waitpid(e->pid, NULL, 0);
	}
	usleep(20000); /* the detached connection threads finish */
	unlink(e->sock);
	rmdir(e->dir);
}
