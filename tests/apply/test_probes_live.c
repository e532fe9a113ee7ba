/*
 * Native probes end to end on a live kernel (suite 'apply'; needs root,
 * exits 77, "skipped", otherwise). Two throwaway namespaces
 * "pitest-hN-<pid>-c" (the client, standing for a node) and "-s" (the
 * server) joined by a veth pair, IPv4 and IPv6. In -s a thread runs a tiny
 * DNS responder (UDP 53) and HTTP responder (TCP 80) on sockets created in
 * that netns; each name and path picks a behaviour (answer, NXDOMAIN,
 * drop once, stay silent, send garbage, hang, trickle). The client side
 * is reached both by netns fd (pi_*_fd) and by the pid of a child process
 * parked in -c (pi_dns_query, pi_http_get), as verify will.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
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
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/if.h>
#include <cmocka.h>
#include "pocketinternet/apply.h"
#include "pocketinternet/netlink.h"

#define T_MS 300

static struct {
	char ns[2][40];
	struct pi_nl *h[2]; /* c, s */
	int cfd;            /* netns fd of c */
	pid_t child;        /* parked in c: the "node's pid" */
	int srv[4];         /* udp4, udp6, tcp4, tcp6 in s */
	int stop[2];
	pthread_t thread;
	unsigned slow_seen;
	char host_seen[256];
	int hung[8];
	unsigned n_hung;
} fx = { .cfd = -1, .stop = { -1, -1 } };

static struct pi_prefix pfx(const char *s)
{
	struct pi_prefix p;
	if (pi_prefix_parse(s, &p))
		fail_msg("bad prefix %s", s);
	return p;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the DNS responder ---- */

static size_t put_rr_head(uint8_t *r, size_t n, unsigned type, unsigned rdlen)
{
	r[n++] = 0xc0, r[n++] = 12; /* owner: the question's name */
	r[n++] = 0, r[n++] = (uint8_t)type, r[n++] = 0, r[n++] = 1;
	r[n++] = 0, r[n++] = 0, r[n++] = 0, r[n++] = 60;
	r[n++] = 0, r[n++] = (uint8_t)rdlen;
	return n;
}

/* The reply for query q (qn bytes; one uncompressed question) into r, by
 * the question's first label; 0: stay silent. */
static size_t dns_reply(const uint8_t *q, size_t qn, uint8_t *r)
{
	size_t qend = 12;
	while (qend < qn && q[qend])
		qend += 1 + q[qend];
	qend += 5;
	if (qn < 13 || qend > qn)
		return 0;
	char first[64] = "";
	memcpy(first, q + 13, q[12] < 63 ? q[12] : 63);
	memcpy(r, q, qend);
	r[2] = 0x81, r[3] = 0x80; /* QR RD RA, NOERROR */
	r[6] = r[7] = 0;
	size_t n = qend;
	if (!strcmp(first, "silent") || (!strcmp(first, "slow") && fx.slow_seen++ % 2 == 0))
		return 0;
	if (!strcmp(first, "nx")) {
		r[3] = 0x83;
	} else if (!strcmp(first, "www")) { /* www.lab. CNAME web.lab., web A, AAAA */
		r[7] = 3;
		n = put_rr_head(r, n, 5, 6);
		size_t web = n;
		memcpy(r + n, "\003web\xc0\x10", 6), n += 6;
		n = put_rr_head(r, n, 1, 4);
		r[n - 12] = 0xc0, r[n - 11] = (uint8_t)web;
		memcpy(r + n, "\x0a\x63\x00\x02", 4), n += 4;
		n = put_rr_head(r, n, 28, 16);
		r[n - 12] = 0xc0, r[n - 11] = (uint8_t)web;
		memcpy(r + n, "\xfd\x00\x00\x99\0\0\0\0\0\0\0\0\0\0\0\x02", 16), n += 16;
	} else if (!strcmp(first, "2")) { /* a PTR */
		r[7] = 1;
		n = put_rr_head(r, n, 12, 9);
		memcpy(r + n, "\003web\003lab\0", 9), n += 9;
	} else if (!strcmp(first, "bad")) { /* an owner pointing at itself */
		r[7] = 1;
		n = put_rr_head(r, n, 1, 4);
		r[n - 12] = 0xc0, r[n - 11] = (uint8_t)(n - 12);
		memcpy(r + n, "\1\2\3\4", 4), n += 4;
	} else { /* slow and anything else: one A */
		r[7] = 1;
		n = put_rr_head(r, n, 1, 4);
		memcpy(r + n, "\x0a\x63\x00\x09", 4), n += 4;
	}
	return n;
}

static void serve_dns(int fd)
{
	uint8_t q[512], r[1024];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t qn = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
	if (qn <= 0)
		return;
	size_t n = dns_reply(q, (size_t)qn, r);
	if (n == 0)
		return;
	/* A stray reply with another id first: the client must skip it. */
	r[1] ^= 1;
	sendto(fd, r, n, 0, (struct sockaddr *)&from, fl);
	r[1] ^= 1;
	sendto(fd, r, n, 0, (struct sockaddr *)&from, fl);
}

/* ---- the HTTP responder ---- */

static const char page[] = "HTTP/1.0 200 OK\r\nServer: pocketinternet s-web1\r\nContent-Type: text/html\r\n\r\n"
			   "<!DOCTYPE html>\n<html><head>\n<meta name=\"pocketinternet-node\" content=\"s-web1\">\n"
			   "</head><body>hello</body></html>\n";

static void send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w, n -= (size_t)w;
	}
}

/* Reads the request head; the path into path. */
static bool read_request(int c, char *path, size_t plen)
{
	char req[2048];
	size_t n = 0;
	while (n < sizeof(req) - 1 && !memmem(req, n, "\r\n\r\n", 4)) {
		struct pollfd p = { .fd = c, .events = POLLIN };
		if (poll(&p, 1, 2000) <= 0)
			return false;
		ssize_t r = recv(c, req + n, sizeof(req) - 1 - n, 0);
		if (r <= 0)
			return false;
		n += (size_t)r;
	}
	req[n] = '\0';
	const char *h = strstr(req, "\r\nHost: ");
	snprintf(fx.host_seen, sizeof(fx.host_seen), "%.*s", h ? (int)strcspn(h + 8, "\r") : 0, h ? h + 8 : "");
	return sscanf(req, "GET %255s HTTP/1.0\r\n", path) == 1 && plen > 1;
}

static void serve_http(int l)
{
	int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	char path[256] = "";
	if (!read_request(c, path, sizeof(path))) {
		close(c);
		return;
	}
	if (!strcmp(path, "/hang") && fx.n_hung < 8) {
		fx.hung[fx.n_hung++] = c; /* never answered; closed at the end */
		return;
	}
	if (!strcmp(path, "/garbage")) {
		send_all(c, "SSH-2.0-OpenSSH_9.2\r\n", 21);
	} else if (!strcmp(path, "/split")) { /* a few bytes at a time */
		int one = 1;
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		for (size_t i = 0; i < sizeof(page) - 1; i += 7) {
			send_all(c, page + i, sizeof(page) - 1 - i < 7 ? sizeof(page) - 1 - i : 7);
			usleep(1000);
		}
	} else if (!strcmp(path, "/big")) { /* 20000 bytes, no length: the client stops early */
		static char big[20000];
		memset(big, 'b', sizeof(big));
		send_all(c, "HTTP/1.0 200 OK\r\n\r\n", 19);
		send_all(c, big, sizeof(big));
	} else if (!strcmp(path, "/")) {
		send_all(c, page, sizeof(page) - 1);
	} else {
		send_all(c, "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n", 46);
	}
	close(c);
}

static void *server(void *arg)
{
	(void)arg;
	for (;;) {
		struct pollfd p[5] = { { .fd = fx.stop[0], .events = POLLIN } };
		for (int i = 0; i < 4; i++)
			p[i + 1] = (struct pollfd){ .fd = fx.srv[i], .events = POLLIN };
		if (poll(p, 5, -1) < 0 && errno != EINTR)
			return NULL;
		if (p[0].revents)
			return NULL;
		for (int i = 0; i < 4; i++)
			if (p[i + 1].revents & POLLIN)
				(i < 2 ? serve_dns : serve_http)(fx.srv[i]);
	}
}

/* ---- set-up ---- */

static void ok(struct pi_nl *nl, int rc)
{
	if (rc != 0)
		fail_msg("netlink: %d %s", rc, pi_nl_strerror(nl));
}

static int listener(int family, int type, unsigned port)
{
	int fd = pi_nl_socket(fx.h[1], family, type, 0), one = 1;
	if (fd < 0)
		return fd;
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	if (family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6, s6->sin6_port = htons((uint16_t)port), sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET, s4->sin_port = htons((uint16_t)port), sl = sizeof(*s4);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || (type == SOCK_STREAM && listen(fd, 16) < 0))
		return -errno;
	return fd;
}

static void wire(void)
{
	struct pi_nl *c = fx.h[0], *s = fx.h[1];
	/* No duplicate address detection: link-local addresses (the source of
	 * neighbour discovery) are usable as soon as the link is. */
	for (int i = 0; i < 2; i++) {
		ok(fx.h[i], pi_nl_sysctl_set(fx.h[i], "net.ipv6.conf.default.accept_dad", "0"));
		ok(fx.h[i], pi_nl_sysctl_set(fx.h[i], "net.ipv6.conf.all.accept_dad", "0"));
	}
	ok(c, pi_nl_veth_create(c, &(struct pi_nl_veth){ .name = "pc", .peer = "ps", .ns_fd = -1,
							.peer_ns_fd = pi_nl_ns_fd(s), .up = true }));
	struct pi_prefix a;
	ok(c, pi_nl_addr_add(c, "pc", (a = pfx("10.99.0.1/24"), &a)));
	ok(c, pi_nl_addr_add(c, "pc", (a = pfx("fd00:99::1/64"), &a)));
	ok(c, pi_nl_link_set_up(c, "lo"));
	ok(s, pi_nl_link_set_up(s, "lo"));
	ok(s, pi_nl_link_set_up(s, "ps"));
	ok(s, pi_nl_addr_add(s, "ps", (a = pfx("10.99.0.2/24"), &a)));
	ok(s, pi_nl_addr_add(s, "ps", (a = pfx("fd00:99::2/64"), &a)));
	/* The kernel's linkwatch gives a veth its qdisc (and operstate UP) a
	 * moment after carrier; until then packets are dropped. */
	for (int i = 0; i < 300; i++) {
		struct pi_nl_link lc, ls;
		if (pi_nl_link_get(c, "pc", &lc) == 0 && pi_nl_link_get(s, "ps", &ls) == 0 &&
		    lc.operstate == IF_OPER_UP && ls.operstate == IF_OPER_UP)
			return;
		usleep(10000);
	}
	fail_msg("the veth pair never came up");
}

static int group_setup(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		snprintf(fx.ns[i], sizeof(fx.ns[i]), "pitest-hN-%d-%c", (int)getpid(), i ? 's' : 'c');
		pi_nl_netns_delete(fx.ns[i]); /* a crashed run's leftover */
		if (pi_nl_netns_create(fx.ns[i]) || pi_nl_open_netns_name(fx.ns[i], &fx.h[i]))
			return -1;
	}
	fx.cfd = pi_nl_netns_open(fx.ns[0]);
	/* The "node": a child parked in c, forked before any thread exists. */
	fx.child = fork();
	if (fx.child == 0) {
		if (setns(fx.cfd, CLONE_NEWNET) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	wire();
	int types[4][2] = { { AF_INET, SOCK_DGRAM }, { AF_INET6, SOCK_DGRAM }, { AF_INET, SOCK_STREAM },
			    { AF_INET6, SOCK_STREAM } };
	for (int i = 0; i < 4; i++)
		if ((fx.srv[i] = listener(types[i][0], types[i][1], i < 2 ? 53 : 80)) < 0)
			return -1;
	if (pipe2(fx.stop, O_CLOEXEC) || pthread_create(&fx.thread, NULL, server, NULL))
		return -1;
	/* A fresh link's first IPv6 neighbour solicitation is sometimes lost
	 * and retried a second later: resolve the neighbours before the
	 * timings below are measured. */
	struct pi_prefix v6 = pfx("fd00:99::2");
	struct pi_dns_answer ans;
	int warm = -1;
	for (int i = 0; i < 3 && warm; i++)
		warm = pi_dns_query_fd(fx.cfd, &v6, "warm.lab", PI_DNS_TYPE_A, 1000, &ans);
	if (warm)
		return -1;
	/* The child must be in c before its pid is used. */
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)fx.child);
	for (int i = 0; i < 200; i++) {
		struct stat a, b;
		if (fstat(fx.cfd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino)
			return 0;
		usleep(5000);
	}
	return -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (fx.stop[1] >= 0) {
		(void)!write(fx.stop[1], "x", 1);
		pthread_join(fx.thread, NULL);
	}
	for (unsigned i = 0; i < fx.n_hung; i++)
		close(fx.hung[i]);
	for (int i = 0; i < 4; i++)
		if (fx.srv[i] > 0)
			close(fx.srv[i]);
	if (fx.child > 0) {
		kill(fx.child, SIGKILL);
		waitpid(fx.child, NULL, 0);
	}
	if (fx.cfd >= 0)
		close(fx.cfd);
	for (int i = 0; i < 2; i++) {
		pi_nl_close(fx.h[i]);
		pi_nl_netns_delete(fx.ns[i]);
	}
	return 0;
}

/* ---- DNS ---- */

static void test_dns_answers(void **state)
{
	(void)state;
	struct pi_dns_answer a;
	char buf[PI_PREFIX_STRLEN];
	const char *servers[] = { "10.99.0.2", "fd00:99::2" };
	for (int i = 0; i < 2; i++) {
		struct pi_prefix srv = pfx(servers[i]);
		assert_int_equal(pi_dns_query_fd(fx.cfd, &srv, "www.lab.", PI_DNS_TYPE_A, T_MS, &a), 0);
		assert_int_equal(a.rcode, 0);
		assert_int_equal(a.n, 3);
		assert_int_equal(a.rr[0].type, PI_DNS_TYPE_CNAME);
		assert_string_equal(a.rr[0].name, "www.lab.");
		assert_string_equal(a.rr[0].target, "web.lab.");
		assert_string_equal(a.rr[1].name, "web.lab.");
		assert_string_equal(pi_prefix_fmt_addr(&a.rr[1].addr, buf), "10.99.0.2");
		assert_string_equal(pi_prefix_fmt_addr(&a.rr[2].addr, buf), "fd00:99::2");
	}
	/* By pid, as verify calls it. */
	struct pi_prefix srv = pfx("10.99.0.2");
	assert_int_equal(pi_dns_query(fx.child, &srv, "2.0.99.10.in-addr.arpa", PI_DNS_TYPE_PTR, T_MS, &a), 0);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.rr[0].target, "web.lab.");
	assert_int_equal(pi_dns_query(fx.child, &srv, "nx.lab", PI_DNS_TYPE_A, T_MS, &a), 0);
	assert_int_equal(a.rcode, 3);
	assert_int_equal(a.n, 0);
	assert_int_equal(pi_dns_probe(fx.child, &srv, "www.lab.", PI_DNS_TYPE_A, T_MS), 0);
	assert_int_equal(pi_dns_probe(fx.child, &srv, "nx.lab.", PI_DNS_TYPE_A, T_MS), -EPROTO);
}

static void test_dns_failures(void **state)
{
	(void)state;
	struct pi_dns_answer a;
	struct pi_prefix srv = pfx("10.99.0.2");
	/* Dropped once: the retry gets it, after one timeout. */
	fx.slow_seen = 0;
	double t = now();
	assert_int_equal(pi_dns_query_fd(fx.cfd, &srv, "slow.lab", PI_DNS_TYPE_A, T_MS, &a), 0);
	assert_true(now() - t >= T_MS / 1000.0 && now() - t < 2 * T_MS / 1000.0);
	assert_int_equal(a.n, 1);
	/* pi_dns_probe tries once. */
	assert_int_equal(pi_dns_probe(fx.child, &srv, "slow.lab", PI_DNS_TYPE_A, T_MS), -ETIMEDOUT);
	/* Silent: two timeouts, then -ETIMEDOUT. */
	t = now();
	assert_int_equal(pi_dns_query_fd(fx.cfd, &srv, "silent.lab", PI_DNS_TYPE_A, T_MS, &a), -ETIMEDOUT);
	assert_true(now() - t >= 2 * T_MS / 1000.0 && now() - t < 3 * T_MS / 1000.0);
	/* Malformed. */
	assert_int_equal(pi_dns_query_fd(fx.cfd, &srv, "bad.lab", PI_DNS_TYPE_A, T_MS, &a), -EBADMSG);
	assert_int_equal(pi_dns_probe(fx.child, &srv, "bad.lab", PI_DNS_TYPE_A, T_MS), -EPROTO);
	/* Nothing listens there: the port unreachable comes back at once. */
	struct pi_prefix me = pfx("10.99.0.1");
	t = now();
	assert_int_equal(pi_dns_query_fd(fx.cfd, &me, "www.lab", PI_DNS_TYPE_A, T_MS, &a), -ECONNREFUSED);
	assert_true(now() - t < T_MS / 1000.0);
	/* No route. */
	struct pi_prefix far = pfx("192.0.2.1");
	assert_int_equal(pi_dns_query_fd(fx.cfd, &far, "www.lab", PI_DNS_TYPE_A, T_MS, &a), -ENETUNREACH);
	/* A pid that does not exist. */
	assert_int_equal(pi_dns_query(999999999, &srv, "www.lab", PI_DNS_TYPE_A, T_MS, &a), -ENOENT);
}

/* Many threads at once: each switches only to make its socket and comes
 * back; all answers arrive. */
static void *dns_worker(void *arg)
{
	int *fails = arg;
	struct pi_prefix srv = pfx("fd00:99::2");
	struct pi_dns_answer a;
	for (int i = 0; i < 25; i++)
		if (pi_dns_query(fx.child, &srv, "www.lab", PI_DNS_TYPE_AAAA, 1000, &a) || a.n != 3)
			(*fails)++;
	return NULL;
}

static void test_dns_parallel(void **state)
{
	(void)state;
	pthread_t t[8];
	int fails[8] = { 0 };
	struct stat before, after;
	assert_int_equal(stat("/proc/thread-self/ns/net", &before), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&t[i], NULL, dns_worker, &fails[i]), 0);
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(fails[i], 0);
	}
	assert_int_equal(stat("/proc/thread-self/ns/net", &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
}

/* ---- HTTP ---- */

static void test_http_page(void **state)
{
	(void)state;
	struct pi_http_result r;
	struct pi_prefix v4 = pfx("10.99.0.2"), v6 = pfx("fd00:99::2");
	assert_int_equal(pi_http_get_fd(fx.cfd, &v4, 80, "web.lab", "/", T_MS, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.server_node, "s-web1");
	assert_non_null(strstr(r.body, "<body>hello</body>"));
	assert_int_equal(r.body_len, strlen(r.body));
	assert_true(r.seconds > 0 && r.seconds < T_MS / 1000.0);
	assert_string_equal(fx.host_seen, "web.lab");
	/* By pid, over IPv6, Host from the address. */
	assert_int_equal(pi_http_get(fx.child, &v6, 80, NULL, "/", T_MS, &r), 0);
	assert_string_equal(r.server_node, "s-web1");
	assert_string_equal(fx.host_seen, "[fd00:99::2]");
	/* Trickled a few bytes at a time: the same result. */
	assert_int_equal(pi_http_get(fx.child, &v4, 80, "web.lab", "/split", 2000, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.server_node, "s-web1");
	assert_non_null(strstr(r.body, "</html>"));
	assert_int_equal(pi_http_get_fd(fx.cfd, &v4, 80, "web.lab", "/nosuch", T_MS, &r), 0);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.server_node, "");
	/* Longer than kept: stops at the cap without waiting for the rest. */
	assert_int_equal(pi_http_get_fd(fx.cfd, &v4, 80, "web.lab", "/big", T_MS, &r), 0);
	assert_int_equal(r.body_len, PI_HTTP_BODY_MAX - 1);
}

static void test_http_failures(void **state)
{
	(void)state;
	struct pi_http_result r;
	struct pi_prefix v4 = pfx("10.99.0.2");
	/* Accepts and never answers: bounded by the timeout. */
	assert_int_equal(pi_http_get_fd(fx.cfd, &v4, 80, "web.lab", "/hang", T_MS, &r), -ETIMEDOUT);
	assert_true(r.seconds >= T_MS / 1000.0 * 0.9 && r.seconds < 2 * T_MS / 1000.0);
	assert_int_equal(r.status, 0);
	assert_int_equal(pi_http_get_fd(fx.cfd, &v4, 80, "web.lab", "/garbage", T_MS, &r), -EBADMSG);
	assert_int_equal(pi_http_get_fd(fx.cfd, &v4, 81, "web.lab", "/", T_MS, &r), -ECONNREFUSED);
	struct pi_prefix far = pfx("192.0.2.1"), nobody = pfx("10.99.0.77");
	assert_int_equal(pi_http_get_fd(fx.cfd, &far, 80, "web.lab", "/", T_MS, &r), -ENETUNREACH);
	/* On the link but nobody there (ARP unanswered): the timeout again. */
	assert_int_equal(pi_http_get_fd(fx.cfd, &nobody, 80, NULL, "/", T_MS, &r), -ETIMEDOUT);
	assert_true(r.seconds < 2 * T_MS / 1000.0);
	/* Requests that cannot be written. */
	assert_int_equal(pi_http_get_fd(fx.cfd, &v4, 80, "web lab", "/", T_MS, &r), -EINVAL);
	assert_int_equal(pi_http_get_fd(fx.cfd, &v4, 80, "web.lab\r\nX: y", "/", T_MS, &r), -EINVAL);
	assert_int_equal(pi_http_get_fd(fx.cfd, &v4, 80, "web.lab", "x", T_MS, &r), -EINVAL);
	assert_int_equal(pi_http_get_fd(fx.cfd, &v4, 80, "web.lab", "", T_MS, &r), -EINVAL);
	assert_int_equal(pi_http_get_fd(fx.cfd, &v4, 0, "web.lab", "/", T_MS, &r), -EINVAL);
	assert_int_equal(pi_http_get(999999999, &v4, 80, "web.lab", "/", T_MS, &r), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_answers),  cmocka_unit_test(test_dns_failures),
		cmocka_unit_test(test_dns_parallel), cmocka_unit_test(test_http_page),
		cmocka_unit_test(test_http_failures),
	};
	if (geteuid() != 0) {
		fprintf(stderr, "test-apply-probes-live: needs root (network namespaces); skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
