/*
 * Streamed exec without Docker: the frame demultiplexer fed in every split,
 * the Docker backend's exec_stream against a fake engine on a unix socket
 * (hijacked start, stdin passed through and half-closed, output before the
 * end, exit status, cancel by kill(2) of the exec's host pid, a refused
 * start), and the fake backend's exec_stream.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "docker_internal.h"
#include "fake_engine.h"

/* ---- the demultiplexer ---- */

static void frame(struct pi_buf *b, int stream, const char *payload)
{
	size_t n = strlen(payload);
	unsigned char h[8] = { (unsigned char)stream, 0, 0, 0, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
			       (unsigned char)(n >> 8), (unsigned char)n };
	pi_buf_write(b, h, 8);
	pi_buf_write(b, payload, n);
}

/* What came out: per stream, and the order of streams as "1 2 1 ..." runs. */
struct seen {
	struct pi_buf s[4];
	struct pi_buf order; /* one digit per chunk whose stream differs from the last */
	int last;
	unsigned chunks;
	int stop_at;         /* >0: answer -EPIPE on this chunk */
};

static int collect(void *ctx, int stream, const char *p, size_t n)
{
	struct seen *s = ctx;
	assert_true(stream >= 1 && stream <= 3);
	assert_true(n > 0); /* empty frames are not handed on */
	pi_buf_write(&s->s[stream], p, n);
	if (stream != s->last)
		pi_buf_printf(&s->order, "%d", stream);
	s->last = stream;
	s->chunks++;
	return s->stop_at && (int)s->chunks == s->stop_at ? -EPIPE : 0;
}

static void seen_init(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 4; i++)
		pi_buf_init(&s->s[i]);
	pi_buf_init(&s->order);
}

static void seen_free(struct seen *s)
{
	for (int i = 0; i < 4; i++)
		pi_buf_free(&s->s[i]);
	pi_buf_free(&s->order);
}

static void sample(struct pi_buf *b)
{
	pi_buf_init(b);
	frame(b, 1, "hello ");
	frame(b, 2, "warn: x\n");
	frame(b, 1, "");
	frame(b, 1, "world\n");
	frame(b, 3, "engine says no\n");
	frame(b, 2, "second\n");
}

static void check_sample(struct seen *s)
{
	assert_string_equal(pi_buf_str(&s->s[1]), "hello world\n");
	assert_string_equal(pi_buf_str(&s->s[2]), "warn: x\nsecond\n");
	assert_string_equal(pi_buf_str(&s->s[3]), "engine says no\n");
	assert_string_equal(pi_buf_str(&s->order), "12132");
}

static void test_demux_any_split(void **state)
{
	(void)state;
	struct pi_buf st;
	sample(&st);
	/* Every split into three chunks gives the same bytes in the same order. */
	for (size_t a = 0; a <= st.len; a++)
		for (size_t b = a; b <= st.len; b++) {
			struct seen s;
			struct pi_demux m;
			seen_init(&s);
			pi_demux_init_fn(&m, collect, &s);
			assert_int_equal(pi_demux_feed(&m, st.data, a), 0);
			assert_int_equal(pi_demux_feed(&m, st.data + a, b - a), 0);
			assert_int_equal(pi_demux_feed(&m, st.data + b, st.len - b), 0);
			check_sample(&s);
			seen_free(&s);
		}
	pi_buf_free(&st);
}

static void test_demux_streams_partial_payload(void **state)
{
	(void)state;
	/* A frame's payload is handed on as it comes, before the frame is whole:
	 * that is what makes the output stream. */
	struct pi_buf st;
	pi_buf_init(&st);
	frame(&st, 1, "abcdef");
	struct seen s;
	struct pi_demux m;
	seen_init(&s);
	pi_demux_init_fn(&m, collect, &s);
	assert_int_equal(pi_demux_feed(&m, st.data, 8 + 2), 0);
	assert_string_equal(pi_buf_str(&s.s[1]), "ab");
	assert_int_equal(pi_demux_feed(&m, st.data + 10, 3), 0);
	assert_string_equal(pi_buf_str(&s.s[1]), "abcde");
	assert_int_equal(pi_demux_feed(&m, st.data + 13, 1), 0);
	assert_string_equal(pi_buf_str(&s.s[1]), "abcdef");
	assert_int_equal(s.chunks, 3);
	seen_free(&s);
	pi_buf_free(&st);
}

static void test_demux_stop_and_garbage(void **state)
{
	(void)state;
	struct pi_buf st;
	sample(&st);
	/* The callback's refusal stops delivery and sticks. */
	struct seen s;
	struct pi_demux m;
	seen_init(&s);
	s.stop_at = 2;
	pi_demux_init_fn(&m, collect, &s);
	assert_int_equal(pi_demux_feed(&m, st.data, st.len), -EPIPE);
	assert_int_equal(s.chunks, 2);
	assert_int_equal(pi_demux_feed(&m, st.data, st.len), -EPIPE);
	assert_int_equal(s.chunks, 2);
	seen_free(&s);
	/* A TTY stream (raw text) is no frame stream: -EPROTO, nothing delivered. */
	seen_init(&s);
	pi_demux_init_fn(&m, collect, &s);
	assert_int_equal(pi_demux_feed(&m, "root@node:/# ls\r\n", 17), -EPROTO);
	assert_int_equal(s.chunks, 0);
	seen_free(&s);
	/* The capturing form still caps per stream; stream 3 goes with stderr. */
	struct pi_buf out, err;
	pi_buf_init(&out);
	pi_buf_init(&err);
	pi_demux_init(&m, &out, &err);
	m.cap = 10;
	assert_int_equal(pi_demux_feed(&m, st.data, st.len), 0);
	assert_string_equal(pi_buf_str(&out), "hello worl");
	assert_string_equal(pi_buf_str(&err), "warn: x\nen");
	assert_true(m.truncated);
	pi_buf_free(&out);
	pi_buf_free(&err);
	pi_buf_free(&st);
}

/* ---- the fake engine's commands ---- */

enum mode { ECHO, SLEEPER, REFUSE };

static void put_frame(int c, int stream, const char *payload)
{
	struct pi_buf b;
	pi_buf_init(&b);
	frame(&b, stream, payload);
	(void)!write(c, b.data, b.len);
	pi_buf_free(&b);
}

/* The exec-create body's AttachStdin. */
static bool attach_stdin(struct fake_engine *e)
{
	json_t *j = json_loads(e->create_body, 0, NULL);
	assert_non_null(j);
	bool on = json_is_true(json_object_get(j, "AttachStdin"));
	json_decref(j);
	return on;
}

/* The hijacked start: 101, then the command's frames. */
static void serve_start(struct fake_engine *e, int c)
{
	fake_engine_upgrade(e, c, "");
	int code = 0;
	if (!(e->flags & FAKE_SLEEPER)) {
		/* ECHO: says "a", then echoes stdin until the client half-closes it. */
		put_frame(c, 1, "a\n");
		char buf[256];
		ssize_t n;
		while ((n = read(c, buf, sizeof(buf) - 1)) > 0) {
			buf[n] = '\0';
			put_frame(c, 1, buf);
		}
		put_frame(c, 2, "done\n");
		code = 3;
	} else {
		put_frame(c, 1, "started\n");
		int st;
		waitpid(e->pid, &st, 0);
		e->child_sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
		code = 128 + e->child_sig;
		put_frame(c, 1, "bye\n");
	}
	fake_engine_end(e, code);
}

static struct pi_docker *engine_start(struct fake_engine *e, enum mode mode)
{
	static const unsigned flags[] = { [ECHO] = 0, [SLEEPER] = FAKE_SLEEPER, [REFUSE] = FAKE_REFUSE };
	return fake_engine_start(e, flags[mode], serve_start);
}

/* ---- exec_stream on the fake engine ---- */

struct sink {
	struct pi_buf out, err;
	int stdin_w;          /* ECHO: written to once "a" has arrived, then closed */
	volatile int *cancel; /* SLEEPER: raised once "started" has arrived */
	int fail;             /* answer this on the first chunk */
};

static int sink_out(void *ctx, enum pi_exec_stream stream, const char *p, size_t n)
{
	struct sink *s = ctx;
	pi_buf_write(stream == PI_EXEC_STDOUT ? &s->out : &s->err, p, n);
	if (s->fail)
		return s->fail;
	if (s->stdin_w >= 0 && strcmp(pi_buf_str(&s->out), "a\n") == 0) {
		/* The engine only ends after stdin ends: "a" came while it ran. */
		assert_int_equal(write(s->stdin_w, "hello\n", 6), 6);
		close(s->stdin_w);
		s->stdin_w = -1;
	}
	if (s->cancel && strstr(pi_buf_str(&s->out), "started\n"))
		*s->cancel = 1;
	return 0;
}

static void sink_init(struct sink *s)
{
	memset(s, 0, sizeof(*s));
	pi_buf_init(&s->out);
	pi_buf_init(&s->err);
	s->stdin_w = -1;
}

static void test_stream_stdin_and_status(void **state)
{
	(void)state;
	alarm(30); /* a relay that does not stream would wait forever */
	struct fake_engine e;
	struct pi_docker *d = engine_start(&e, ECHO);
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	struct sink s;
	sink_init(&s);
	s.stdin_w = pfd[1];
	const char *const argv[] = { "sh", "-c", "echo a; cat; echo done >&2; exit 3" };
	int code = -1;
	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_docker_exec_stream(d, "c1", argv, 3, NULL, pfd[0], sink_out, &s, &code, NULL, &diag);
	if (rc)
		pi_diag_print(&diag, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(code, 3);
	assert_string_equal(pi_buf_str(&s.out), "a\nhello\n");
	assert_string_equal(pi_buf_str(&s.err), "done\n");
	assert_true(attach_stdin(&e));
	assert_non_null(strstr(e.start_head, "Upgrade: tcp"));
	assert_non_null(strstr(e.start_head, "\"Tty\":false"));
	close(pfd[0]);
	pi_diag_free(&diag);
	pi_buf_free(&s.out);
	pi_buf_free(&s.err);
	fake_engine_stop(&e, d);
	alarm(0);
}

static void test_stream_cancel_kills_host_pid(void **state)
{
	(void)state;
	alarm(30);
	struct fake_engine e;
	struct pi_docker *d = engine_start(&e, SLEEPER);
	volatile int cancel = 0;
	struct sink s;
	sink_init(&s);
	s.cancel = &cancel;
	const char *const argv[] = { "ping", "10.0.0.1" };
	int code = -1;
	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_docker_exec_stream(d, "c1", argv, 2, NULL, -1, sink_out, &s, &code, &cancel, &diag);
	if (rc)
		pi_diag_print(&diag, stderr);
	assert_int_equal(rc, 0);
	/* SIGINT reached the process; what it said on the way out still came. */
	assert_int_equal(e.child_sig, SIGINT);
	assert_int_equal(code, 128 + SIGINT);
	assert_string_equal(pi_buf_str(&s.out), "started\nbye\n");
	assert_false(attach_stdin(&e));
	pi_diag_free(&diag);
	pi_buf_free(&s.out);
	pi_buf_free(&s.err);
	fake_engine_stop(&e, d);
	alarm(0);
}

static void test_stream_output_fails(void **state)
{
	(void)state;
	alarm(30);
	struct fake_engine e;
	struct pi_docker *d = engine_start(&e, SLEEPER);
	struct sink s;
	sink_init(&s);
	s.fail = -EPIPE;
	const char *const argv[] = { "yes" };
	int code = -1;
	/* Our stdout is gone (| head): the command is ended, not left running. */
	assert_int_equal(pi_docker_exec_stream(d, "c1", argv, 1, NULL, -1, sink_out, &s, &code, NULL, NULL), -EPIPE);
	for (int i = 0; i < 100 && !e.ended; i++)
		usleep(20 * 1000);
	assert_true(e.ended);
	assert_int_equal(e.child_sig, SIGTERM);
	pi_buf_free(&s.out);
	pi_buf_free(&s.err);
	fake_engine_stop(&e, d);
	alarm(0);
}

static void test_stream_refused(void **state)
{
	(void)state;
	struct fake_engine e;
	struct pi_docker *d = engine_start(&e, REFUSE);
	struct sink s;
	sink_init(&s);
	const char *const argv[] = { "true" };
	int code = -1;
	struct pi_diag diag;
	pi_diag_init(&diag);
	assert_int_equal(pi_docker_exec_stream(d, "c1", argv, 1, NULL, -1, sink_out, &s, &code, NULL, &diag), -ESRCH);
	struct pi_diag_entry *en = pi_vec_at(&diag.entries, 0);
	assert_non_null(strstr(en->msg, "is not running"));
	assert_int_equal(s.out.len, 0);
	pi_diag_free(&diag);
	pi_buf_free(&s.out);
	pi_buf_free(&s.err);
	fake_engine_stop(&e, d);
}

/* ---- the fake backend ---- */

static void test_fake_backend(void **state)
{
	(void)state;
	struct pi_backend b;
	assert_int_equal(pi_backend_open(&b, &pi_backend_fake, NULL), 0);
	struct pi_node_spec spec = { .lab = "t", .node = "n1" };
	assert_int_equal(b.ops->create(&b, &spec, NULL), 0);
	struct sink s;
	sink_init(&s);
	const char *const argv[] = { "echo", "x y" };
	int code = -1;
	struct pi_diag diag;
	pi_diag_init(&diag);
	/* Created, not started. */
	assert_int_equal(b.ops->exec_stream(&b, "t", "n1", argv, 2, NULL, -1, sink_out, &s, &code, NULL, &diag),
			 -ESRCH);
	int pid;
	assert_int_equal(b.ops->start(&b, "t", "n1", &pid, NULL), 0);
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(write(pfd[1], "in\n", 3), 3);
	close(pfd[1]);
	assert_int_equal(b.ops->exec_stream(&b, "t", "n1", argv, 2, NULL, pfd[0], sink_out, &s, &code, NULL, &diag), 0);
	close(pfd[0]);
	assert_int_equal(code, 0);
	assert_string_equal(pi_buf_str(&s.out), "echo x y\nin\n");
	/* A raised cancel ends it as SIGINT would. */
	volatile int cancel = 1;
	pi_buf_reset(&s.out);
	assert_int_equal(b.ops->exec_stream(&b, "t", "n1", argv, 2, NULL, -1, sink_out, &s, &code, &cancel, &diag), 0);
	assert_int_equal(code, 130);
	assert_int_equal(b.ops->exec_stream(&b, "t", "nope", argv, 2, NULL, -1, sink_out, &s, &code, NULL, &diag),
			 -ENOENT);
	assert_non_null(strstr(pi_buf_str(&pi_backend_fake_state(&b)->calls), "exec_stream n1\n"));
	pi_diag_free(&diag);
	pi_buf_free(&s.out);
	pi_buf_free(&s.err);
	pi_backend_close(&b);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demux_any_split),
		cmocka_unit_test(test_demux_streams_partial_payload),
		cmocka_unit_test(test_demux_stop_and_garbage),
		cmocka_unit_test(test_stream_stdin_and_status),
		cmocka_unit_test(test_stream_cancel_kills_host_pid),
		cmocka_unit_test(test_stream_output_fails),
		cmocka_unit_test(test_stream_refused),
		cmocka_unit_test(test_fake_backend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
