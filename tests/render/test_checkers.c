/*
 * checkers: every rendered file of the fixture and of every lab in labs/
 * goes through its daemon's own checker (suite 'checkers': needs bird,
 * unbound, dnsmasq, nft, tayga and lighttpd installed, and root for nft and
 * tayga).
 *
 * Files are rendered with pi_render_opts pointing at a temporary directory
 * (configs refer to their zone files, root hints, logs and pid files by
 * absolute path), then:
 *   bird -p -c bird.conf             unbound-checkconf unbound.conf
 *   dnsmasq --test -C dnsmasq.conf   nft -c -f nft.conf
 *   tayga --mktun -c tayga.conf in a throwaway network namespace (unshare -n)
 *   lighttpd -tt -f lighttpd.conf    sh -n start.sh
 * Zone files are loaded for real: an Unbound with the node's auth-zone
 * sections listens on 127.0.0.1 and must answer the SOA of each zone
 * authoritatively. The fixture's web page is fetched from a real lighttpd
 * and must show the client's address. A lab with a generated table and ROV
 * everywhere (tests/data/tables) goes through the same, and its cache's
 * vrps.json is loaded by stayrtr (when installed), which must take every ROA.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "common.h"
#include "fixture.h"

static char tmpdir[] = "/tmp/pi-checkers-XXXXXX";

/* Runs a shell command; on failure prints its output. */
static int run(const char *fmt, ...) PI_PRINTF(1, 2);
static int run(const char *fmt, ...)
{
	char cmd[8192], full[8400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "( %s ) >%s/out.txt 2>&1", cmd, tmpdir);
	int rc = system(full);
	if (rc != 0) {
		char path[256], *out = NULL;
		size_t len;
		snprintf(path, sizeof(path), "%s/out.txt", tmpdir);
		if (pi_read_file(path, &out, &len) == 0)
			fprintf(stderr, "FAILED: %s\n%s\n", cmd, out);
		free(out);
	}
	return rc;
}

/* Renders every node under dir/<node>/ with paths pointing there. */
static void render_to(const struct pi_plan *p, const char *dir)
{
	char log[4096], rn[4096];
	snprintf(log, sizeof(log), "%s/log", dir);
	snprintf(rn, sizeof(rn), "%s/run", dir);
	assert_int_equal(pi_mkdir_p(log, 0755), 0);
	assert_int_equal(pi_mkdir_p(rn, 0755), 0);
	for (uint32_t n = 0; n < p->n_nodes; n++) {
		char conf[4096];
		snprintf(conf, sizeof(conf), "%s/%s", dir, p->nodes[n].name);
		struct pi_render_opts o = { conf, log, rn };
		struct pi_render_set set;
		pi_render_set_init(&set);
		pi_render_node_opts(p, n, &o, &set);
		for (size_t i = 0; i < set.files.len; i++) {
			const struct pi_render_file *f = pi_vec_at(&set.files, i);
			char path[8300];
			snprintf(path, sizeof(path), "%s/%s", conf, f->path);
			assert_int_equal(pi_write_file(path, f->data, f->len, f->mode), 0);
		}
		pi_render_set_free(&set);
	}
}

static bool exists(const char *dir, const char *node, const char *file)
{
	char path[8300];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s/%s", dir, node, file);
	return stat(path, &st) == 0;
}

/* ---- a DNS query, to see zones loaded ---- */

static size_t put_name(uint8_t *b, const char *name)
{
	size_t o = 0;
	const char *s = name;
	while (*s && strcmp(s, ".") != 0) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		b[o++] = (uint8_t)l;
		memcpy(b + o, s, l);
		o += l;
		s += l + (dot ? 1 : 0);
	}
	b[o++] = 0;
	return o;
}

/* Sends an SOA query; returns 0 when the answer is NOERROR, AA, with answers. */
static int query_soa(unsigned port, const char *zone)
{
	uint8_t q[512] = { 0x12, 0x34, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
	size_t len = 12 + put_name(q + 12, zone);
	q[len++] = 0, q[len++] = 6, q[len++] = 0, q[len++] = 1;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = { 0, 300000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	int rc = -1;
	for (int attempt = 0; attempt < 30 && rc == -1; attempt++) {
		uint8_t r[4096];
		sendto(fd, q, len, 0, (struct sockaddr *)&sa, sizeof(sa));
		ssize_t n = recv(fd, r, sizeof(r), 0);
		if (n < 12)
			continue; /* not up yet */
		int rcode = r[3] & 15, aa = (r[2] >> 2) & 1, an = (r[6] << 8) | r[7];
		rc = rcode == 0 && aa && an > 0 ? 0 : -2;
		if (rc)
			fprintf(stderr, "zone %s: rcode %d aa %d answers %d\n", zone, rcode, aa, an);
	}
	close(fd);
	return rc;
}

/* A loopback port free for both UDP and TCP right now. A fixed port would
 * clash with another run of this suite on the same host, whose daemon would
 * then answer for ours. */
static unsigned free_port(void)
{
	for (int attempt = 0; attempt < 100; attempt++) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		socklen_t sl = sizeof(sa);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int u = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_STREAM, 0);
		bool ok = u >= 0 && t >= 0 && bind(u, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
			  getsockname(u, (struct sockaddr *)&sa, &sl) == 0 && bind(t, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(u);
		close(t);
		if (ok)
			return ntohs(sa.sin_port);
	}
	fail_msg("no free loopback port");
	return 0;
}

/* The daemon we started still runs (it did not fail to bind or start). */
static void assert_alive(pid_t pid, const char *what)
{
	int st;
	if (waitpid(pid, &st, WNOHANG) == pid)
		fail_msg("%s exited (status %d) instead of serving", what, st);
}

/* Runs the line of node's start.sh that gives $LOG/file to the daemon's
 * user (pi_r_own_log), with $LOG the rendered log directory: what start.sh
 * does in the node before it starts the daemon. The file starts empty. */
static void prepare_log(const char *dir, const char *node, const char *file)
{
	char path[8300], want[256], *sh = NULL;
	size_t len;
	snprintf(path, sizeof(path), "%s/%s/start.sh", dir, node);
	assert_int_equal(pi_read_file(path, &sh, &len), 0);
	snprintf(want, sizeof(want), "\ntouch \"$LOG/%s\"", file);
	const char *l = strstr(sh, want);
	if (!l)
		fprintf(stderr, "%s: start.sh does not prepare $LOG/%s\n", node, file);
	assert_non_null(l);
	l++;
	snprintf(path, sizeof(path), "%s/log/%s", dir, file);
	unlink(path);
	assert_int_equal(run("LOG='%s/log'; fail() { echo \"$*\"; exit 1; }; %.*s", dir, (int)strcspn(l, "\n"), l), 0);
	free(sh);
}

/* The daemon wrote its log after dropping root: it contains what. */
static void assert_log_has(const char *dir, const char *file, const char *what)
{
	char path[8300], *log = NULL;
	size_t len;
	snprintf(path, sizeof(path), "%s/log/%s", dir, file);
	if (pi_read_file(path, &log, &len) != 0 || !strstr(log, what))
		fprintf(stderr, "%s lacks \"%s\":\n%s\n", path, what, log ? log : "(no file)");
	assert_non_null(log);
	assert_non_null(strstr(log, what));
	free(log);
}

/* Appends conf's line "\tkey ..." (the node's own setting) to b. */
static void copy_setting(struct pi_buf *b, const char *conf, const char *key)
{
	char want[64];
	snprintf(want, sizeof(want), "\n\t%s", key);
	const char *l = strstr(conf, want);
	assert_non_null(l);
	pi_buf_write(b, l + 1, strcspn(l + 1, "\n") + 1);
}

/* Starts Unbound with the node's auth-zone sections on 127.0.0.1 and asks
 * each zone for its SOA. */
static void check_zones(const struct pi_plan *p, uint32_t node, const char *dir)
{
	const char *name = p->nodes[node].name;
	char path[8300], *conf = NULL;
	size_t len;
	snprintf(path, sizeof(path), "%s/%s/unbound.conf", dir, name);
	assert_int_equal(pi_read_file(path, &conf, &len), 0);
	const char *auth = strstr(conf, "\nauth-zone:");
	if (!auth) {
		free(conf);
		return;
	}
	unsigned port = free_port();
	struct pi_buf b;
	pi_buf_init(&b);
	pi_buf_printf(&b,
		      "server:\n\tinterface: 127.0.0.1@%u\n\tchroot: \"\"\n\tdirectory: \"%s\"\n"
		      "\tpidfile: \"\"\n\tuse-syslog: no\n\tdo-daemonize: no\n\tmodule-config: \"iterator\"\n"
		      "\taccess-control: 127.0.0.0/8 refuse_non_local\n\tunblock-lan-zones: yes\n"
		      "\tinsecure-lan-zones: yes\n",
		      port, dir);
	/* The node's user and log: the zones are read and the log written
	 * after the drop, with the log prepared as start.sh does. */
	copy_setting(&b, conf, "username:");
	copy_setting(&b, conf, "logfile:");
	prepare_log(dir, name, "unbound.log");
	/* The same local-zone exemptions as the node's own config. */
	for (const char *l = strstr(conf, "\tlocal-zone:"); l && l < auth; l = strstr(l + 1, "\tlocal-zone:")) {
		const char *e = strchr(l, '\n');
		pi_buf_write(&b, l, (size_t)(e - l) + 1);
	}
	pi_buf_puts(&b, auth + 1);
	snprintf(path, sizeof(path), "%s/%s/zones-check.conf", dir, name);
	assert_int_equal(pi_write_file(path, pi_buf_str(&b), b.len, 0644), 0);
	pi_buf_free(&b);
	assert_int_equal(run("unbound-checkconf %s", path), 0);

	char logp[8400];
	snprintf(logp, sizeof(logp), "%s/%s/zones-check.log", dir, name);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		freopen(logp, "w", stderr);
		execlp("unbound", "unbound", "-d", "-c", path, (char *)NULL);
		_exit(127);
	}
	unsigned zones = 0;
	for (uint32_t z = 0; z < p->n_zones; z++) {
		const struct pi_plan_zone *zn = &p->zones[z];
		bool mine = false;
		for (uint32_t k = 0; k < zn->n_servers; k++)
			mine |= zn->servers[k] == node;
		if (!mine)
			continue;
		int rc = query_soa(port, zn->name);
		if (rc) {
			char *log = NULL;
			if (pi_read_file(logp, &log, &len) == 0)
				fprintf(stderr, "unbound for %s:\n%s\n", name, log);
			free(log);
		}
		assert_int_equal(rc, 0);
		zones++;
	}
	assert_alive(pid, "unbound");
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	assert_true(zones > 0);
	assert_log_has(dir, "unbound.log", "start of service");
	free(conf);
}

static void check_plan(const struct pi_plan *p, const char *label)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, label);
	render_to(p, dir);
	unsigned counts[8] = { 0 };
	for (uint32_t n = 0; n < p->n_nodes; n++) {
		const char *nm = p->nodes[n].name;
		assert_int_equal(run("sh -n %s/%s/start.sh", dir, nm), 0);
		if (exists(dir, nm, "bird.conf")) {
			assert_int_equal(run("bird -p -c %s/%s/bird.conf", dir, nm), 0);
			counts[0]++;
		}
		if (exists(dir, nm, "unbound.conf")) {
			assert_int_equal(run("unbound-checkconf %s/%s/unbound.conf", dir, nm), 0);
			check_zones(p, n, dir);
			counts[1]++;
		}
		if (exists(dir, nm, "dnsmasq.conf")) {
			assert_int_equal(run("dnsmasq --test -C %s/%s/dnsmasq.conf", dir, nm), 0);
			counts[2]++;
		}
		if (exists(dir, nm, "nft.conf")) {
			assert_int_equal(run("nft -c -f %s/%s/nft.conf", dir, nm), 0);
			counts[3]++;
		}
		if (exists(dir, nm, "tayga.conf")) {
			assert_int_equal(run("mkdir -p %s/run/tayga && unshare -n tayga --mktun -c %s/%s/tayga.conf", dir,
					     dir, nm),
					 0);
			counts[4]++;
		}
		if (exists(dir, nm, "lighttpd.conf")) {
			assert_int_equal(run("lighttpd -tt -f %s/%s/lighttpd.conf", dir, nm), 0);
			counts[5]++;
		}
	}
	fprintf(stderr, "%s: checked %u bird, %u unbound, %u dnsmasq, %u nft, %u tayga, %u lighttpd configs\n", label,
		counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
	assert_true(counts[0] > 0);
	assert_true(counts[1] > 0);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	/* Unbound and lighttpd read their files and write their logs here after
	 * they have dropped root, as in a node. */
	return chmod(tmpdir, 0755);
}

static int teardown(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_fixture(void **state)
{
	(void)state;
	struct pi_plan *p = fixture_plan();
	check_plan(p, "fixture");
	fixture_free(p);
}

static void test_labs(void **state)
{
	(void)state;
	char **labs = list_labs();
	for (char **l = labs; *l; l++) {
		struct pi_lab *lab;
		struct pi_plan *p = load_lab_plan(*l, &lab);
		check_plan(p, *l);
		pi_plan_free(p);
		pi_lab_free(lab);
	}
	free_names(labs);
}

/* Writes node's incidents file for inc[0..n) where the incident changes it and runs
 * `bird -p` on its bird.conf, which includes that file; returns how many were checked. */
static unsigned check_incidents(const struct pi_plan *p, const char *dir, const struct pi_incident *inc, size_t n)
{
	unsigned checked = 0;
	for (uint32_t nd = 0; nd < p->n_nodes; nd++) {
		const struct pi_router_daemon *d = pi_router_daemon_of(p, nd);
		bool touched = false;
		for (size_t i = 0; i < n; i++)
			touched |= pi_incident_touches(p, &inc[i], nd);
		if (!d || !touched)
			continue;
		struct pi_buf b;
		pi_buf_init(&b);
		d->render_incidents(p, nd, inc, n, &b);
		char path[8300];
		snprintf(path, sizeof(path), "%s/%s/%s", dir, p->nodes[nd].name, d->incidents_file);
		assert_int_equal(pi_write_file(path, pi_buf_str(&b), b.len, 0644), 0);
		pi_buf_free(&b);
		assert_int_equal(run("bird -p -c %s/%s/bird.conf", dir, p->nodes[nd].name), 0);
		checked++;
	}
	return checked;
}

static struct pi_incident make_incident(enum pi_incident_kind k, const char *a, const char *b, bool more)
{
	struct pi_incident in = { .id = 1, .kind = k, .more_specific = more };
	snprintf(k == PI_INCIDENT_LEAK ? in.pod : in.attacker, sizeof(in.pod), "%s", a);
	snprintf(in.victim, sizeof(in.victim), "%s", b);
	return in;
}

/* The default lab with a hijack, a more-specific hijack, a leak and all of
 * them at once: every changed bird.conf still loads. */
static void test_incidents(void **state)
{
	(void)state;
	struct pi_lab *lab;
	struct pi_plan *p = load_lab_plan("lab", &lab);
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/incidents", tmpdir);
	render_to(p, dir);
	struct pi_incident inc[] = {
		make_incident(PI_INCIDENT_HIJACK, "transit2", "broadband1", false),
		make_incident(PI_INCIDENT_HIJACK, "content3", "content1", true),
		make_incident(PI_INCIDENT_LEAK, "broadband1", "", false),
		make_incident(PI_INCIDENT_LEAK, "content3", "", false),
	};
	for (size_t i = 0; i < PI_ARRAY_LEN(inc); i++) {
		struct pi_diag d;
		pi_diag_init(&d);
		assert_int_equal(pi_incident_check(p, &inc[i], &d), 0);
		pi_diag_free(&d);
		inc[i].id = (unsigned)i + 1;
		unsigned n = check_incidents(p, dir, &inc[i], 1);
		fprintf(stderr, "incident %zu: %u bird configs checked\n", i + 1, n);
		assert_true(n >= 3);
	}
	assert_true(check_incidents(p, dir, inc, PI_ARRAY_LEN(inc)) > 0);
	pi_plan_free(p);
	pi_lab_free(lab);
}

/* A real lighttpd serves the fixture's page, with the client's address. */
static void test_web_page(void **state)
{
	(void)state;
	struct pi_plan *p = fixture_plan();
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/web", tmpdir);
	render_to(p, dir);
	char conf[8300], *text = NULL;
	size_t len;
	snprintf(conf, sizeof(conf), "%s/b-web1/lighttpd.conf", dir);
	assert_int_equal(pi_read_file(conf, &text, &len), 0);
	/* Same file, on a loopback port instead of the lab's :80 sockets. */
	unsigned port = free_port();
	struct pi_buf b;
	pi_buf_init(&b);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "server.port", 11) == 0 || strncmp(line, "server.bind", 11) == 0 ||
		    strncmp(line, "$SERVER[\"socket\"]", 17) == 0)
			continue;
		pi_buf_printf(&b, "%s\n", line);
	}
	pi_buf_printf(&b, "server.bind = \"127.0.0.1\"\nserver.port = %u\n", port);
	free(text);
	assert_non_null(strstr(pi_buf_str(&b), "server.username = \"www-data\""));
	snprintf(conf, sizeof(conf), "%s/b-web1/lighttpd-test.conf", dir);
	assert_int_equal(pi_write_file(conf, pi_buf_str(&b), b.len, 0644), 0);
	pi_buf_free(&b);
	assert_int_equal(run("lighttpd -tt -f %s", conf), 0);
	prepare_log(dir, "b-web1", "lighttpd.log");

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execlp("lighttpd", "lighttpd", "-D", "-f", conf, (char *)NULL);
		_exit(127);
	}
	char page[8192] = "";
	size_t got = 0;
	for (int attempt = 0; attempt < 50 && got == 0; attempt++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			const char req[] = "GET / HTTP/1.0\r\nHost: www.b.pocket\r\n\r\n";
			if (write(fd, req, sizeof(req) - 1) == (ssize_t)(sizeof(req) - 1)) {
				ssize_t n;
				while ((n = read(fd, page + got, sizeof(page) - 1 - got)) > 0)
					got += (size_t)n;
			}
		} else {
			struct timespec ts = { 0, 100000000 };
			nanosleep(&ts, NULL);
		}
		close(fd);
	}
	assert_alive(pid, "lighttpd");
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	page[got] = '\0';
	if (!strstr(page, "200 OK"))
		fprintf(stderr, "page:\n%s\n", page);
	assert_non_null(strstr(page, "200 OK"));
	assert_non_null(strstr(page, "<li>node: b-web1 (web1.b.pocket)</li>"));
	assert_non_null(strstr(page, "<li>pod: b (AS 65002)</li>"));
	assert_non_null(strstr(page, "<li>you are: 127.0.0.1</li>"));
	assert_non_null(strstr(page, "<li>you asked for: www.b.pocket</li>"));
	/* It served as www-data (below) and could still write its log. */
	assert_log_has(dir, "lighttpd.log", "server started");
	fixture_free(p);
}

/* Is prog an executable file in one of PATH's directories? */
static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char dir[4096], full[8300];
	for (const char *p = path ? path : "/usr/sbin:/usr/bin:/sbin:/bin"; *p;) {
		size_t n = strcspn(p, ":");
		snprintf(dir, sizeof(dir), "%.*s", (int)n, p);
		snprintf(full, sizeof(full), "%s/%s", n ? dir : ".", prog);
		if (access(full, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/* Why the suite cannot run here, or NULL. The configs name the users the
 * daemons drop to: as root on the host their checkers and the live daemons
 * look them up, so they must exist (the Debian packages create them). */
static const char *cannot_run(char *why, size_t len)
{
	static const char *const progs[] = { "bird", "unbound", "unbound-checkconf", "dnsmasq", "nft", "tayga",
					     "lighttpd", "unshare", "sh" };
	static const char *const users[] = { "unbound", "www-data", "dnsmasq" };
	if (geteuid() != 0)
		return "nft -c, tayga --mktun and the daemons' user switch need root; run this suite as root";
	for (size_t i = 0; i < PI_ARRAY_LEN(progs); i++) {
		if (!in_path(progs[i])) {
			snprintf(why, len, "%s is not installed (apt-get install bird2 unbound dnsmasq-base nftables tayga "
					   "lighttpd)", progs[i]);
			return why;
		}
	}
	for (size_t i = 0; i < PI_ARRAY_LEN(users); i++) {
		if (!getpwnam(users[i])) {
			snprintf(why, len, "user %s does not exist (the unbound, lighttpd and dnsmasq-base packages create "
					   "them)", users[i]);
			return why;
		}
	}
	return NULL;
}

/* stayrtr loads the cache node's vrps.json: its log says how many VRPs it took. */
static void check_vrps_in_stayrtr(const struct pi_plan *p, const char *dir)
{
	if (run("command -v stayrtr >/dev/null") != 0) {
		fprintf(stderr, "tables: stayrtr not installed, vrps.json checked by its schema only (test_tables.c)\n");
		return;
	}
	char json[8300], logp[8300], port[32], metrics[32], want[64];
	snprintf(json, sizeof(json), "%s/%s/vrps.json", dir, p->nodes[p->rpki_cache].name);
	snprintf(logp, sizeof(logp), "%s/stayrtr.log", dir);
	unsigned base = 20000 + (unsigned)getpid() % 20000;
	snprintf(port, sizeof(port), "127.0.0.1:%u", base);
	snprintf(metrics, sizeof(metrics), "127.0.0.1:%u", base + 1);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		freopen(logp, "w", stderr);
		execlp("stayrtr", "stayrtr", "-cache", json, "-bind", port, "-checktime=false", "-protocol", "1",
		       "-metrics.addr", metrics, (char *)NULL);
		_exit(127);
	}
	snprintf(want, sizeof(want), "New update (%u uniques", p->n_roas);
	bool seen = false;
	for (int i = 0; i < 100 && !seen; i++) {
		char *log = NULL;
		size_t len;
		if (pi_read_file(logp, &log, &len) == 0)
			seen = strstr(log, want) != NULL;
		free(log);
		if (!seen)
			usleep(100000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	if (!seen) {
		char *log = NULL;
		size_t len;
		if (pi_read_file(logp, &log, &len) == 0)
			fprintf(stderr, "stayrtr:\n%s\n", log);
		free(log);
	}
	assert_true(seen);
}

/* A generated table of 6,000 prefixes and ROV on every pod (tests/data/tables):
 * every bird.conf with its table.conf through bird -p, the VRPs through stayrtr. */
static void test_tables(void **state)
{
	(void)state;
	char path[4096], dir[4096];
	snprintf(path, sizeof(path), "%s/tests/data/tables/tables.yml", getenv("PI_SOURCE_DIR"));
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_lab *lab = NULL;
	struct pi_plan *p = NULL;
	int rc = pi_lab_load(path, pi_default_blueprint_dir(), &lab, &d);
	if (rc == 0)
		rc = pi_plan_build(lab, &p, &d);
	if (rc)
		pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	assert_int_equal(rc, 0);
	check_plan(p, "tables");
	snprintf(dir, sizeof(dir), "%s/tables", tmpdir);
	check_vrps_in_stayrtr(p, dir);
	pi_plan_free(p);
	pi_lab_free(lab);
}

int main(void)
{
	char why[256];
	const char *reason = cannot_run(why, sizeof(why));
	if (reason) {
		fprintf(stderr, "checkers: skipped: %s\n", reason);
		return 77; /* meson: skipped */
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_web_page),
		cmocka_unit_test(test_labs),
		cmocka_unit_test(test_incidents),
		cmocka_unit_test(test_tables),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
