/*
 * The per-object Engine API requests against a fake engine on a unix
 * socket: the request line each call sends (the object's name escaped, an
 * image name keeping its repo path) and the message a refusal gives. No
 * Docker engine is involved; the socket lives in a temporary directory.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include "docker_internal.h"

struct fake {
	int lfd;
	char dir[64];
	char sock[100];
	const char *answer; /* the whole HTTP response to every request */
	char line[512];     /* the last request line received */
	pthread_t th;
};

static void *serve(void *arg)
{
	struct fake *f = arg;
	for (;;) {
		int c = accept(f->lfd, NULL, NULL);
		if (c < 0)
			return NULL;
		char req[4096];
		size_t have = 0;
		ssize_t n;
		while (have < sizeof(req) - 1 && (n = read(c, req + have, sizeof(req) - 1 - have)) > 0) {
			have += (size_t)n;
			req[have] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[have] = '\0';
		char *eol = strstr(req, "\r\n");
		if (eol)
			*eol = '\0';
		size_t len = strlen(req) < sizeof(f->line) - 1 ? strlen(req) : sizeof(f->line) - 1;
		memcpy(f->line, req, len);
		f->line[len] = '\0';
		if (write(c, f->answer, strlen(f->answer)) < 0)
			f->line[0] = '\0';
		close(c);
	}
}

static struct pi_docker *fake_start(struct fake *f, const char *answer)
{
	memset(f, 0, sizeof(*f));
	f->answer = answer;
	snprintf(f->dir, sizeof(f->dir), "/tmp/pi-fake-engine-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/docker.sock", f->dir);
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(f->lfd >= 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, f->sock, strlen(f->sock) + 1);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	assert_int_equal(pthread_create(&f->th, NULL, serve, f), 0);
	char host[160];
	snprintf(host, sizeof(host), "unix://%s", f->sock);
	struct pi_docker *d = NULL;
	assert_int_equal(pi_docker_new(host, &d, NULL), 0);
	return d;
}

static void fake_stop(struct fake *f, struct pi_docker *d)
{
	pi_docker_free(d);
	shutdown(f->lfd, SHUT_RDWR);
	close(f->lfd);
	pthread_join(f->th, NULL);
	unlink(f->sock);
	rmdir(f->dir);
}

#define NO_CONTENT "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"

static void test_request_lines(void **state)
{
	(void)state;
	struct fake f;
	struct pi_docker *d = fake_start(&f, NO_CONTENT);
	assert_int_equal(pi_docker_container_remove(d, "pi-demo r1", NULL), 0);
	assert_string_equal(f.line, "DELETE /v" PI_DOCKER_API "/containers/pi-demo%20r1?force=true&v=true HTTP/1.1");
	assert_int_equal(pi_docker_container_stop(d, "c1", 7, NULL), 0);
	assert_string_equal(f.line, "POST /v" PI_DOCKER_API "/containers/c1/stop?t=7 HTTP/1.1");
	assert_int_equal(pi_docker_container_kill(d, "c1", "SIGTERM", NULL), 0);
	assert_string_equal(f.line, "POST /v" PI_DOCKER_API "/containers/c1/kill?signal=SIGTERM HTTP/1.1");
	assert_int_equal(pi_docker_image_remove(d, "reg.example:5000/lab/node:1.2", NULL), 0);
	assert_string_equal(f.line, "DELETE /v" PI_DOCKER_API "/images/reg.example:5000/lab/node:1.2?force=true HTTP/1.1");
	fake_stop(&f, d);
}

static void test_inspect_and_refusal(void **state)
{
	(void)state;
	struct fake f;
	struct pi_docker *d = fake_start(&f, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n"
					     "Content-Length: 39\r\n\r\n{\"Id\":\"sha256:ab\",\"Size\":5,\"Config\":{}}");
	struct pi_image_info info;
	assert_int_equal(pi_docker_image_inspect(d, "lab/node:1 x", &info, NULL), 0);
	assert_string_equal(f.line, "GET /v" PI_DOCKER_API "/images/lab/node:1%20x/json HTTP/1.1");
	assert_string_equal(info.id, "sha256:ab");
	assert_int_equal(info.size, 5);
	fake_stop(&f, d);

	d = fake_start(&f, "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Type: application/json\r\n"
			   "Content-Length: 31\r\n\r\n{\"message\":\"No such container\"}");
	struct pi_diag diag;
	pi_diag_init(&diag);
	struct pi_container_info ci;
	assert_int_equal(pi_docker_container_inspect(d, "gone", &ci, &diag), -ENOENT);
	assert_string_equal(f.line, "GET /v" PI_DOCKER_API "/containers/gone/json HTTP/1.1");
	assert_int_equal(pi_diag_count(&diag), 1);
	struct pi_diag_entry *e = pi_vec_at(&diag.entries, 0);
	assert_non_null(strstr(e->msg, "cannot inspect container gone: No such container"));
	pi_diag_free(&diag);
	fake_stop(&f, d);
}

/* Absence is an answer (0, nothing reported); another refusal is an error. */
static void test_image_find(void **state)
{
	(void)state;
	struct fake f;
	struct pi_image_info info;
	struct pi_diag diag;
	pi_diag_init(&diag);
	struct pi_docker *d = fake_start(&f, "HTTP/1.1 404 Not Found\r\nConnection: close\r\n"
					     "Content-Length: 27\r\n\r\n{\"message\":\"No such image\"}");
	assert_int_equal(pi_docker_image_find(d, "lab/none:1", &info, &diag), 0);
	assert_int_equal(pi_docker_image_exists(d, "lab/none:1", &diag), 0);
	assert_int_equal(pi_diag_count(&diag), 0);
	fake_stop(&f, d);

	d = fake_start(&f, "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n"
			   "Content-Length: 20\r\n\r\n{\"message\":\"broken\"}");
	assert_true(pi_docker_image_find(d, "lab/node:1", &info, &diag) < 0);
	assert_int_equal(pi_diag_count(&diag), 1);
	struct pi_diag_entry *e = pi_vec_at(&diag.entries, 0);
	assert_non_null(strstr(e->msg, "cannot inspect image lab/node:1: broken"));
	fake_stop(&f, d);

	d = fake_start(&f, "HTTP/1.1 200 OK\r\nConnection: close\r\n"
			   "Content-Length: 11\r\n\r\n{\"Id\":\"x9\"}");
	assert_int_equal(pi_docker_image_find(d, "lab/node:1", &info, &diag), 1);
	assert_string_equal(info.id, "x9");
	assert_int_equal(pi_docker_image_exists(d, "lab/node:1", &diag), 1);
	pi_diag_free(&diag);
	fake_stop(&f, d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_lines),
		cmocka_unit_test(test_inspect_and_refusal),
		cmocka_unit_test(test_image_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
