/*
 * docker_tty: an interactive exec with a terminal (`pocketinternet shell`).
 * The engine hijacks the HTTP connection of POST /exec/{id}/start: after its
 * "101 UPGRADED" reply the socket carries raw terminal bytes both ways.
 * libcurl's CONNECT_ONLY gives us that socket; we speak the one request
 * ourselves and then relay between the user's terminal and the engine.
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "docker_internal.h"

static volatile sig_atomic_t winch;

static void on_winch(int sig)
{
	(void)sig;
	winch = 1;
}

static void resize(struct pi_docker *d, const char *eid)
{
	struct winsize ws;
	if (ioctl(1, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0)
		return;
	char path[256];
	snprintf(path, sizeof(path), "/v" PI_DOCKER_API "/exec/%s/resize?h=%u&w=%u", eid, ws.ws_row, ws.ws_col);
	pi_docker_call(d, "POST", path, NULL, NULL, "resizing the terminal", NULL);
}

static int send_all(CURL *c, const char *p, size_t n)
{
	while (n) {
		size_t sent = 0;
		CURLcode cc = curl_easy_send(c, p, n, &sent);
		if (cc == CURLE_AGAIN) {
			curl_socket_t fd;
			curl_easy_getinfo(c, CURLINFO_ACTIVESOCKET, &fd);
			struct pollfd pf = { .fd = fd, .events = POLLOUT };
			poll(&pf, 1, 1000);
			continue;
		}
		if (cc != CURLE_OK)
			return -EIO;
		p += sent;
		n -= sent;
	}
	return 0;
}

/* Relays until the engine closes the stream (the shell exited). */
static int relay(struct pi_docker *d, CURL *c, const char *eid, const char *pending, size_t n_pending)
{
	curl_socket_t sock;
	curl_easy_getinfo(c, CURLINFO_ACTIVESOCKET, &sock);
	if (n_pending)
		(void)!write(1, pending, n_pending);
	char buf[16384];
	for (;;) {
		if (winch) {
			winch = 0;
			resize(d, eid);
		}
		struct pollfd pf[2] = { { .fd = 0, .events = POLLIN }, { .fd = sock, .events = POLLIN } };
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pf[1].revents) {
			size_t got = 0;
			CURLcode cc = curl_easy_recv(c, buf, sizeof(buf), &got);
			if (cc == CURLE_AGAIN)
				continue;
			if (cc != CURLE_OK || got == 0)
				return 0;
			if (write(1, buf, got) < 0)
				return -errno;
		}
		if (pf[0].revents) {
			ssize_t r = read(0, buf, sizeof(buf));
			if (r <= 0)
				return 0;
			if (send_all(c, buf, (size_t)r))
				return 0;
		}
	}
}

/* Creates the exec instance with a terminal and stdin attached; eid gets its id. */
static int tty_exec_create(struct pi_docker *d, const char *container, const char *const *argv, size_t argc,
			   char eid[PI_DOCKER_ID_LEN], struct pi_diag *diag)
{
	static const char *const env[] = { "TERM=xterm-256color" };
	struct pi_exec_opts o = { .env = env, .n_env = 1 };
	json_t *body = pi_docker_exec_json(argv, argc, &o);
	json_object_set_new(body, "AttachStdin", json_true());
	json_object_set_new(body, "Tty", json_true());
	struct pi_buf path;
	pi_buf_init(&path);
	pi_buf_printf(&path, "/v" PI_DOCKER_API "/containers/");
	pi_url_escape(&path, container);
	pi_buf_puts(&path, "/exec");
	json_t *resp = NULL;
	int rc = pi_docker_call(d, "POST", pi_buf_str(&path), body, &resp, "creating the shell", diag);
	json_decref(body);
	pi_buf_free(&path);
	if (rc)
		return rc;
	pi_json_copy(resp, "Id", eid, PI_DOCKER_ID_LEN);
	json_decref(resp);
	return 0;
}

/* Reads the reply head: "HTTP/1.1 101 UPGRADED" ... blank line. Returns where
 * the blank line starts in head, or NULL if the stream ended before it. */
static char *read_reply_head(CURL *c, struct pi_buf *head)
{
	char *end = NULL;
	while (!end) {
		char chunk[1024];
		size_t got = 0;
		CURLcode cc = curl_easy_recv(c, chunk, sizeof(chunk), &got);
		if (cc == CURLE_AGAIN) {
			curl_socket_t fd;
			curl_easy_getinfo(c, CURLINFO_ACTIVESOCKET, &fd);
			struct pollfd pf = { .fd = fd, .events = POLLIN };
			poll(&pf, 1, 5000);
			continue;
		}
		if (cc != CURLE_OK || got == 0)
			break;
		pi_buf_write(head, chunk, got);
		end = strstr(head->data, "\r\n\r\n");
	}
	return end;
}

/* Sends POST /exec/{eid}/start and reads the reply head into head; *off is
 * where the terminal bytes that came with it begin. */
static int tty_start(CURL *c, const char *eid, struct pi_buf *head, size_t *off, struct pi_diag *diag)
{
	static const char start_body[] = "{\"Detach\":false,\"Tty\":true}";
	char req[512];
	int rc;
	int n = snprintf(req, sizeof(req),
			 "POST /v" PI_DOCKER_API "/exec/%s/start HTTP/1.1\r\nHost: docker\r\n"
			 "Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
			 "Content-Length: %zu\r\n\r\n%s",
			 eid, sizeof(start_body) - 1, start_body);
	if ((rc = send_all(c, req, (size_t)n)))
		return rc;
	char *end = read_reply_head(c, head);
	if (!end || (strncmp(head->data, "HTTP/1.1 101", 12) && strncmp(head->data, "HTTP/1.1 200", 12))) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "the engine refused the shell: %.120s",
			    head->data ? head->data : "(no reply)");
		return -EIO;
	}
	*off = (size_t)(end + 4 - head->data);
	return 0;
}

/* Puts the user's terminal in raw mode and follows its size while relaying,
 * then restores both. */
static int tty_session(struct pi_docker *d, CURL *c, const char *eid, const char *pending, size_t n_pending)
{
	struct termios saved;
	bool raw = false;
	if (tcgetattr(0, &saved) == 0) {
		struct termios t = saved;
		cfmakeraw(&t);
		raw = tcsetattr(0, TCSANOW, &t) == 0;
	}
	struct sigaction sa = { .sa_handler = on_winch };
	sigaction(SIGWINCH, &sa, NULL);
	resize(d, eid);
	int rc = relay(d, c, eid, pending, n_pending);
	signal(SIGWINCH, SIG_DFL);
	if (raw)
		tcsetattr(0, TCSANOW, &saved);
	return rc;
}

/* The exit status of the shell; *exit_code is left alone if the engine does not say. */
static void tty_exit_code(struct pi_docker *d, const char *eid, int *exit_code)
{
	char ipath[256];
	snprintf(ipath, sizeof(ipath), "/v" PI_DOCKER_API "/exec/%s/json", eid);
	json_t *info = NULL;
	if (pi_docker_call(d, "GET", ipath, NULL, &info, "reading the shell's exit status", NULL) == 0) {
		*exit_code = (int)json_integer_value(json_object_get(info, "ExitCode"));
		json_decref(info);
	}
}

int pi_docker_exec_tty(struct pi_docker *d, const char *container, const char *const *argv, size_t argc,
		       int *exit_code, struct pi_diag *diag)
{
	char eid[PI_DOCKER_ID_LEN];
	int rc = tty_exec_create(d, container, argv, argc, eid, diag);
	if (rc)
		return rc;

	CURL *c = curl_easy_init();
	if (!c)
		return -ENOMEM;
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, pi_docker_socket(d));
	curl_easy_setopt(c, CURLOPT_URL, "http://localhost/");
	curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
	if (curl_easy_perform(c) != CURLE_OK) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "is dockerd running?", "cannot connect to %s", pi_docker_socket(d));
		curl_easy_cleanup(c);
		return -ECONNREFUSED;
	}
	struct pi_buf head;
	size_t off = 0;
	pi_buf_init(&head);
	rc = tty_start(c, eid, &head, &off, diag);
	if (!rc) {
		rc = tty_session(d, c, eid, head.data + off, head.len - off);
		tty_exit_code(d, eid, exit_code);
	}
	pi_buf_free(&head);
	curl_easy_cleanup(c);
	return rc;
}
