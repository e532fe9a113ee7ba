/*
 * The Docker backend's terminal sessions without Docker (suite 'runtime'):
 * tty_open / tty_resize / tty_close against a fake engine on a unix socket.
 * What the exec is created with (a terminal, stdin, TERM), the hijacked
 * start whose first terminal bytes come in the same packet as the reply
 * head (none may be lost), raw bytes both ways, resizes, a close that hangs
 * the program up (SIGHUP to the exec's host pid: a real process stands for
 * it), the exit status of one that ended by itself, and a refused start.
 */
#include <errno.h>
#include <poll.h>
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
#include "docker_internal.h"

enum mode { SLEEPER, EXITS, REFUSE };

struct engine {
	int lfd;
	char dir[64], sock[100];
	pthread_t th;
	enum mode mode;
	pthread_mutex_t lock;
	char create_body[1024];
	char resizes[256]; /* "h=24&w=80;h=30&w=100;" */
	bool running, ended;
	pid_t pid;     /* SLEEPER: a real process standing for the shell */
	int exit_code; /* once ended */
	int child_sig; /* the signal that ended it */
};

static void put(int c, const char *s)
{
	(void)!write(c, s, strlen(s));
}

static void put_json(int c, int status, const char *json)
{
	char head[256];
	snprintf(head, sizeof(head),
		 "HTTP/1.1 %d X\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
		 status, strlen(json));
	put(c, head);
	put(c, json);
}

/* A request head and its body, byte by byte: nothing past it is taken. */
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

static bool starts(const char *req, const char *method, const char *path)
{
	char p[256];
	snprintf(p, sizeof(p), "%s /v" PI_DOCKER_API "%s", method, path);
	return strncmp(req, p, strlen(p)) == 0;
}

/* The hijacked start: 101 and the first output in one write, then raw bytes. */
static void serve_start(struct engine *e, int c)
{
	put(c, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
	       "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\nready\r\n");
	pthread_mutex_lock(&e->lock);
	e->running = true;
	pthread_mutex_unlock(&e->lock);
	char buf[256];
	ssize_t n;
	while ((n = read(c, buf, sizeof(buf))) > 0) {
		(void)!write(c, buf, (size_t)n); /* a terminal's echo */
		if (e->mode == EXITS && memmem(buf, (size_t)n, "exit\r", 5)) {
			put(c, "bye\r\n");
			pthread_mutex_lock(&e->lock);
			e->running = false;
			e->ended = true;
			e->exit_code = 7;
			pthread_mutex_unlock(&e->lock);
			return;
		}
	}
}

static void serve_state(struct engine *e, int c)
{
	char json[256];
	pthread_mutex_lock(&e->lock);
	int st;
	if (e->mode == SLEEPER && !e->ended && waitpid(e->pid, &st, WNOHANG) == e->pid) {
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

struct conn {
	struct engine *e;
	int c;
};

static void *serve_one(void *arg)
{
	struct conn *k = arg;
	struct engine *e = k->e;
	char req[4096];
	read_request(k->c, req, sizeof(req));
	if (starts(req, "POST", "/containers/c1/exec ")) {
		char *body = strstr(req, "\r\n\r\n");
		pthread_mutex_lock(&e->lock);
		snprintf(e->create_body, sizeof(e->create_body), "%s", body ? body + 4 : "");
		pthread_mutex_unlock(&e->lock);
		put_json(k->c, 201, "{\"Id\":\"e1\"}");
	} else if (starts(req, "POST", "/exec/e1/start ")) {
		if (e->mode == REFUSE)
			put_json(k->c, 409, "{\"message\":\"Container c1 is not running\"}");
		else
			serve_start(e, k->c);
	} else if (starts(req, "POST", "/exec/e1/resize?")) {
		const char *q = strchr(req, '?') + 1;
		pthread_mutex_lock(&e->lock);
		size_t len = strlen(e->resizes);
		snprintf(e->resizes + len, sizeof(e->resizes) - len, "%.*s;", (int)strcspn(q, " "), q);
		pthread_mutex_unlock(&e->lock);
		put_json(k->c, 201, "");
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
	struct engine *e = arg;
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

static struct pi_docker *engine_start(struct engine *e, enum mode mode)
{
	memset(e, 0, sizeof(*e));
	e->mode = mode;
	pthread_mutex_init(&e->lock, NULL);
	snprintf(e->dir, sizeof(e->dir), "/tmp/pi-fake-engine-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->sock, sizeof(e->sock), "%s/docker.sock", e->dir);
	e->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, e->sock, strlen(e->sock) + 1);
	assert_int_equal(bind(e->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(e->lfd, 8), 0);
	if (mode == SLEEPER) {
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

static void engine_stop(struct engine *e, struct pi_docker *d)
{
	pi_docker_free(d);
	shutdown(e->lfd, SHUT_RDWR);
	close(e->lfd);
	pthread_join(e->th, NULL);
	if (e->mode == SLEEPER && !e->ended) {
		kill(e->pid, SIGKILL);
		waitpid(e->pid, NULL, 0);
	}
	usleep(20000); /* the detached connection threads finish */
	unlink(e->sock);
	rmdir(e->dir);
}

static bool read_until(int fd, const char *want, struct pi_buf *got)
{
	for (int i = 0; i < 300 && !strstr(pi_buf_str(got), want); i++) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 10) <= 0)
			continue;
		char chunk[512];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		pi_buf_write(got, chunk, (size_t)n);
	}
	return strstr(pi_buf_str(got), want) != NULL;
}

static const char *const shell[] = { "/bin/bash", "-l" };

static void test_open_raw_resize_hang_up(void **state)
{
	(void)state;
	struct engine e;
	struct pi_docker *d = engine_start(&e, SLEEPER);
	struct pi_tty *t = NULL;
	struct pi_diag diag;
	pi_diag_init(&diag);
	assert_int_equal(pi_docker_tty_open(d, "c1", shell, 2, 80, 24, &t, &diag), 0);
	pi_diag_free(&diag);
	json_t *j = json_loads(e.create_body, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "Tty")));
	assert_true(json_is_true(json_object_get(j, "AttachStdin")));
	assert_true(json_is_true(json_object_get(j, "AttachStdout")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "Env"), 0)), "TERM=xterm-256color");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "Cmd"), 1)), "-l");
	json_decref(j);
	int fd = pi_tty_fd(t);
	struct pi_buf got;
	pi_buf_init(&got);
	/* What came with the reply head is still there for the caller. */
	assert_true(read_until(fd, "ready\r\n", &got));
	assert_int_equal(write(fd, "hi\x03", 3), 3);
	assert_true(read_until(fd, "ready\r\nhi\x03", &got)); /* raw: no frames, control bytes as they are */
	assert_int_equal(pi_docker_tty_resize(d, t, 100, 30, NULL), 0);
	assert_int_equal(pi_docker_tty_resize(d, t, 0, 30, NULL), -EINVAL);
	pthread_mutex_lock(&e.lock);
	assert_string_equal(e.resizes, "h=24&w=80;h=30&w=100;");
	pthread_mutex_unlock(&e.lock);
	/* Closed while running: hung up, no status. */
	assert_int_equal(pi_docker_tty_close(d, t), -1);
	pthread_mutex_lock(&e.lock);
	assert_true(e.ended);
	assert_int_equal(e.child_sig, SIGHUP);
	pthread_mutex_unlock(&e.lock);
	pi_buf_free(&got);
	engine_stop(&e, d);
}

static void test_ends_by_itself(void **state)
{
	(void)state;
	struct engine e;
	struct pi_docker *d = engine_start(&e, EXITS);
	struct pi_tty *t = NULL;
	assert_int_equal(pi_docker_tty_open(d, "c1", shell, 2, 80, 24, &t, NULL), 0);
	int fd = pi_tty_fd(t);
	assert_int_equal(write(fd, "exit\r", 5), 5);
	struct pi_buf got;
	pi_buf_init(&got);
	assert_true(read_until(fd, "bye\r\n", &got));
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	char c;
	assert_int_equal(poll(&pf, 1, 2000), 1);
	assert_int_equal(read(fd, &c, 1), 0); /* end of file: it ended */
	assert_int_equal(pi_docker_tty_close(d, t), 7);
	pi_buf_free(&got);
	engine_stop(&e, d);
}

static void test_refused(void **state)
{
	(void)state;
	struct engine e;
	struct pi_docker *d = engine_start(&e, REFUSE);
	struct pi_tty *t = (struct pi_tty *)&t;
	struct pi_diag diag;
	pi_diag_init(&diag);
	assert_true(pi_docker_tty_open(d, "c1", shell, 2, 80, 24, &t, &diag) < 0);
	assert_null(t);
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	pi_diag_print(&diag, m);
	fclose(m);
	assert_non_null(strstr(text, "c1 is not running"));
	free(text);
	pi_diag_free(&diag);
	assert_int_equal(pi_docker_tty_close(d, NULL), -1);
	engine_stop(&e, d);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_raw_resize_hang_up),
		cmocka_unit_test(test_ends_by_itself),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
