/*
 * End-to-end: bring real labs up in Docker with the real binary, exactly as
 * a trainer would, and prove from inside the lab that the Internet works:
 * BGP, DHCP/RA, DNS through the pocket root, HTTP over IPv4 and IPv6,
 * NAT64/DNS64, valley-free forwarding, and a teardown that leaves nothing.
 * Needs root and a running Docker engine (scripts/test.sh starts one).
 * Every packet stays between lab nodes.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "pocketinternet/apply.h"
#include "pocketinternet/backend.h"
#include "pocketinternet/lab.h"
#include "pocketinternet/netlink.h"
#include "pocketinternet/plan.h"
#include "pocketinternet/render.h"
#include "e2e_common.h"

static int group_setup(void **state)
{
	(void)state;
	return e2e_open_lab("small") == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	free_plan();
	pi_backend_close(&backend);
	return 0;
}

/* ---- the small lab ---- */

/* verify passes on a fresh lab: every pair answers, every path valley-free. */
static void test_verify_small(void **state)
{
	(void)state;
	const char *verify[] = { "-c", lab_file, "verify", NULL };
	assert_int_equal(run_bin(NULL, verify), 0);
}

static void test_bgp_established(void **state)
{
	(void)state;
	struct pi_buf out;
	pi_buf_init(&out);
	const char *argv[] = { "-c", lab_file, "status", "--json", NULL };
	assert_int_equal(run_bin(&out, argv), 0);
	json_error_t err;
	json_t *j = json_loads(pi_buf_str(&out), 0, &err);
	assert_non_null(j);
	json_t *sum = json_object_get(j, "summary");
	assert_true(json_integer_value(json_object_get(sum, "sessions")) > 0);
	assert_int_equal(json_integer_value(json_object_get(sum, "established")),
			 json_integer_value(json_object_get(sum, "sessions")));
	assert_int_equal(json_integer_value(json_object_get(sum, "sessions")), plan->n_sessions);
	assert_int_equal(json_integer_value(json_object_get(sum, "running")), plan->n_nodes);
	json_decref(j);
	pi_buf_free(&out);
}

/* Nodes run with only the capabilities they need, and no interface of
 * Docker's: network mode none, then only the lab's own links. */
static void test_container_confinement(void **state)
{
	(void)state;
	uint32_t router = find_node(PI_SVC_ROUTER, 0, NULL, 0);
	assert_int_not_equal(router, PI_NONE);
	struct pi_buf out;
	pi_buf_init(&out);
	const char *caps[] = { "grep", "CapBnd", "/proc/1/status", NULL };
	assert_int_equal(node_exec(router, &out, caps), 0);
	/* CHOWN DAC_OVERRIDE FOWNER KILL SETGID SETUID NET_BIND_SERVICE NET_ADMIN NET_RAW SYS_CHROOT */
	assert_non_null(strstr(pi_buf_str(&out), "00000000000434eb"));
	const char *links[] = { "ip", "-o", "link", "show", NULL };
	assert_int_equal(node_exec(router, &out, links), 0);
	const struct pi_plan_node *n = &plan->nodes[router];
	size_t lines = 0;
	for (const char *p = pi_buf_str(&out); (p = strchr(p, '\n')); p++)
		lines++;
	/* lo plus exactly the plan's interfaces. */
	assert_int_equal(lines, 1 + n->n_ifaces);
	for (uint32_t i = 0; i < n->n_ifaces; i++) {
		char want[PI_IFNAMSIZ + 4];
		snprintf(want, sizeof(want), ": %s@", plan->ifaces[n->first_iface + i].name);
		assert_non_null(strstr(pi_buf_str(&out), want));
	}
	pi_buf_free(&out);
}

static void test_dhcp_and_ra(void **state)
{
	(void)state;
	uint32_t client = find_node(PI_SVC_CLIENT, 0, "broadband", 0);
	assert_int_not_equal(client, PI_NONE);
	const struct pi_plan_iface *f = iface_with(client, true, false);
	assert_non_null(f);
	struct pi_buf out;
	pi_buf_init(&out);
	/* "dynamic" marks an address with a lease lifetime: it came from DHCP. */
	const char *v4[] = { "ip", "-4", "-o", "addr", "show", "dev", f->name, "dynamic", NULL };
	assert_int_equal(node_exec_retry(client, &out, v4, 30), 0);
	char want[PI_PREFIX_STRLEN];
	pi_prefix_fmt_addr(&f->v4, want);
	/* dnsmasq hands out the plan's address for this MAC. */
	assert_non_null(strstr(pi_buf_str(&out), want));
	const char *v6[] = { "ip", "-6", "-o", "addr", "show", "dev", f->name, "scope", "global", "dynamic", NULL };
	for (int i = 0; i < 30; i++) {
		node_exec(client, &out, v6);
		if (strstr(pi_buf_str(&out), "inet6"))
			break;
		sleep(1);
	}
	assert_non_null(strstr(pi_buf_str(&out), "inet6"));
	pi_buf_free(&out);
}

/* The expected A record of www.<pod>: the anycast address or a web node's. */
static void www_of(uint32_t pod, char *name, size_t len)
{
	snprintf(name, len, "www.%s", plan->pods[pod].domain);
	size_t n = strlen(name);
	if (n && name[n - 1] == '.')
		name[n - 1] = '\0';
}

static void test_dns_through_pocket_root(void **state)
{
	(void)state;
	uint32_t client = find_node(PI_SVC_CLIENT, 0, "broadband", 0);
	uint32_t web = find_node(PI_SVC_HTTP, 0, "content", 0);
	assert_int_not_equal(web, PI_NONE);
	char www[300];
	www_of(plan->nodes[web].pod, www, sizeof(www));
	struct pi_buf out;
	pi_buf_init(&out);
	const char *q[] = { "dig", "+short", "+time=2", "+tries=2", www, "A", NULL };
	assert_int_equal(node_exec_retry(client, &out, q, 20), 0);
	const struct pi_plan_node *w = &plan->nodes[web];
	char addr[PI_PREFIX_STRLEN];
	struct pi_prefix want = node_addr(web, PI_AF_V4);
	if (pi_prefix_is_set(&w->anycast4))
		want = pi_prefix_as_host(&w->anycast4);
	pi_prefix_fmt_addr(&want, addr);
	/* The answer is the plan's address for www. */
	assert_non_null(strstr(pi_buf_str(&out), addr));
	/* The pocket root itself delegates the TLD: ask one root server directly. */
	uint32_t root = PI_NONE;
	for (uint32_t i = 0; i < plan->n_nodes && root == PI_NONE; i++)
		if (plan->nodes[i].root_dns)
			root = i;
	assert_int_not_equal(root, PI_NONE);
	char root_addr[PI_PREFIX_STRLEN], tld[80];
	struct pi_prefix ra = node_addr(root, PI_AF_V4);
	pi_prefix_fmt_addr(&ra, root_addr);
	snprintf(tld, sizeof(tld), "%s.", plan->tld);
	char at[PI_PREFIX_STRLEN + 1];
	snprintf(at, sizeof(at), "@%s", root_addr);
	const char *ref[] = { "dig", "+norecurse", "+time=2", at, tld, "NS", NULL };
	assert_int_equal(node_exec(client, &out, ref), 0);
	assert_non_null(strstr(pi_buf_str(&out), "status: NOERROR"));
	assert_non_null(strstr(pi_buf_str(&out), "IN\tNS"));
	pi_buf_free(&out);
}


static void test_nat64_dns64(void **state)
{
	(void)state;
	/* The IPv6-only subscriber: a client whose interfaces have no IPv4. */
	uint32_t v6only = PI_NONE;
	for (unsigned k = 0; v6only == PI_NONE; k++) {
		uint32_t c = find_node(PI_SVC_CLIENT, 0, "broadband", k);
		if (c == PI_NONE)
			break;
		if (!has_v4(c))
			v6only = c;
	}
	assert_int_not_equal(v6only, PI_NONE);
	/* An IPv4-only server: the A-only name the plan gives every web node. */
	uint32_t web = find_node(PI_SVC_HTTP, 0, "content", 0);
	char url[320];
	snprintf(url, sizeof(url), "http://ipv4.%s/", plan->nodes[web].fqdn);
	size_t n = strlen(url);
	if (url[n - 2] == '.')
		memmove(url + n - 2, url + n - 1, 2);
	struct pi_buf out;
	pi_buf_init(&out);
	char host[300];
	snprintf(host, sizeof(host), "ipv4.%s", plan->nodes[web].fqdn);
	/* DNS64 synthesises an AAAA inside the pod's NAT64 prefix (64:ff9b::/96
	 * unless the lab's IPv4 is private: see docs/dns.md) ... */
	const char *q[] = { "dig", "+short", "+time=2", host, "AAAA", NULL };
	assert_int_equal(node_exec_retry(v6only, &out, q, 20), 0);
	struct pi_prefix pfx, got;
	pi_render_nat64_prefix(plan, plan->nodes[v6only].pod, &pfx);
	char *nl = strchr(out.data, '\n');
	if (nl)
		*nl = '\0';
	/* +short prints only the address: nothing else may come first. */
	assert_int_equal(pi_prefix_parse(pi_buf_str(&out), &got), 0);
	assert_true(pi_prefix_contains(&pfx, &got));
	/* ... and NAT64 carries the connection to the IPv4-only address. */
	const char *get[] = { "curl", "-6", "-sS", "--max-time", "5", url, NULL };
	assert_int_equal(node_exec_retry(v6only, &out, get, 10), 0);
	assert_non_null(strstr(pi_buf_str(&out), plan->nodes[web].name));
	pi_buf_free(&out);
}

static void test_traceroute_valley_free(void **state)
{
	(void)state;
	uint32_t client = find_node(PI_SVC_CLIENT, 0, "broadband", 0);
	uint32_t target = PI_NONE;
	/* A server of the other broadband pod. */
	for (unsigned k = 0; target == PI_NONE; k++) {
		uint32_t r = find_node(PI_SVC_RESOLVER, 0, "broadband", k);
		if (r == PI_NONE)
			break;
		if (plan->nodes[r].pod != plan->nodes[client].pod)
			target = r;
	}
	assert_int_not_equal(target, PI_NONE);
	char dst[PI_PREFIX_STRLEN];
	struct pi_prefix ta = node_addr(target, PI_AF_V4);
	pi_prefix_fmt_addr(&ta, dst);
	struct pi_buf out;
	pi_buf_init(&out);
	const char *tr[] = { "traceroute", "-n", "-q", "1", "-w", "2", "-m", "16", dst, NULL };
	assert_int_equal(node_exec(client, &out, tr), 0);
	/* AS sequence of the hops, repeats collapsed. */
	uint32_t path[32];
	size_t n = 0;
	path[n++] = plan->nodes[client].pod;
	char *save = NULL, *text = pi_xstrdup(pi_buf_str(&out));
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int hop;
		char addr[64];
		if (sscanf(line, " %d %63s", &hop, addr) != 2)
			continue;
		struct pi_prefix a;
		if (pi_prefix_parse(addr, &a))
			continue;
		uint32_t pod = pod_of_addr(&a);
		if (pod != PI_NONE && pod != path[n - 1] && n < 32)
			path[n++] = pod;
	}
	free(text);
	assert_int_equal(path[n - 1], plan->nodes[target].pod);
	/* Valley-free: up (to providers)*, at most one peer/IXP step, down*. */
	int phase = 0; /* 0 climbing, 1 after the top */
	for (size_t i = 0; i + 1 < n; i++) {
		int rel = rel_between(path[i], path[i + 1]);
		fprintf(stderr, "  AS step %s -> %s: %s\n", plan->pods[path[i]].name, plan->pods[path[i + 1]].name,
			rel < 0 ? "(via IXP or unknown)" : pi_rel_name((enum pi_rel)rel));
		if (rel == PI_REL_PROVIDER) {
			assert_int_equal(phase, 0);
		} else if (rel == PI_REL_CUSTOMER) {
			phase = 1;
		} else {
			/* peer, RS, or an IXP LAN hop: the single flat step at the top. */
			assert_int_equal(phase, 0);
			phase = 1;
		}
	}
	pi_buf_free(&out);
}

/* Processes in the pid namespace of the process pid (the node's first). */
static unsigned count_node_processes(int pid)
{
	char path[300], want[64], got[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
	ssize_t n = readlink(path, want, sizeof(want) - 1);
	assert_true(n > 0);
	want[n] = '\0';
	unsigned count = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/pid", e->d_name);
		n = readlink(path, got, sizeof(got) - 1);
		if (n > 0) {
			got[n] = '\0';
			count += strcmp(got, want) == 0;
		}
	}
	if (d)
		closedir(d);
	return count;
}

/* SIGKILL to every sh in the pid namespace of pid. */
static void kill_shells(int pid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char want[64], got[64], path[300], comm[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
	ssize_t n = readlink(path, want, sizeof(want) - 1);
	want[n > 0 ? n : 0] = '\0';
	while (d && (e = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/%s/ns/pid", e->d_name);
		n = readlink(path, got, sizeof(got) - 1);
		if (n <= 0 || (got[n] = '\0', strcmp(got, want) != 0))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		FILE *f = fopen(path, "r");
		if (f && fgets(comm, sizeof(comm), f) && strcmp(comm, "sh\n") == 0)
			kill(atoi(e->d_name), SIGKILL);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
}

/* A fork bomb in one node stops at the node's pids limit: the host and
 * the other nodes go on working, and BGP stays up. */
static void test_fork_bomb_contained(void **state)
{
	(void)state;
	uint32_t victim = find_node(PI_SVC_CLIENT, 0, "broadband", 1);
	assert_int_not_equal(victim, PI_NONE);
	assert_true(plan->nodes[victim].pids_limit > 0);
	const char *bomb[] = { "sh", "-c", "(b(){ b|b& }; b) >/dev/null 2>&1 </dev/null & exit 0", NULL };
	assert_int_equal(node_exec(victim, NULL, bomb), 0);
	sleep(5);
	struct pi_node_state st;
	assert_int_equal(backend.ops->inspect(&backend, plan->lab_name, plan->nodes[victim].name, &st, NULL), 0);
	unsigned procs = count_node_processes(st.pid);
	fprintf(stderr, "fork bomb: %u processes in %s (limit %u)\n", procs, plan->nodes[victim].name,
		plan->nodes[victim].pids_limit);
	assert_true(procs <= plan->nodes[victim].pids_limit);
	/* The host still forks, another node still runs commands, BGP holds. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	assert_true(pid > 0);
	waitpid(pid, NULL, 0);
	uint32_t other = find_node(PI_SVC_CLIENT, 0, "broadband", 0);
	const char *ok[] = { "true", NULL };
	assert_int_equal(node_exec(other, NULL, ok), 0);
	struct pi_status ps;
	assert_int_equal(pi_apply_status(&backend, plan, 8, &ps, NULL), 0);
	assert_int_equal(ps.established, plan->n_sessions);
	pi_status_free(&ps);
	/* Leave no bomb behind for the tests that follow: kill its shells from
	 * the host (the node's own processes are sleep and its daemons). */
	for (int pass = 0; pass < 5; pass++)
		kill_shells(st.pid);
}

/* A node that plants an absolute symlink where the host looks for its
 * router daemon's socket cannot make the host connect to a host socket. */
static void test_planted_symlink_not_followed(void **state)
{
	(void)state;
	uint32_t router = find_node(PI_SVC_ROUTER, 0, NULL, 0);
	char trap[] = "/tmp/pi-e2e-trap-XXXXXX";
	assert_non_null(mkdtemp(trap));
	char sock_path[64];
	snprintf(sock_path, sizeof(sock_path), "%.40s/host.sock", trap);
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 8), 0);
	const char *plant[] = { "sh", "-c", "mv /run/bird/bird.ctl /run/bird/real.ctl && ln -s \"$0\" /run/bird/bird.ctl",
				sock_path, NULL };
	assert_int_equal(node_exec(router, NULL, plant), 0);
	struct pi_status ps;
	assert_int_equal(pi_apply_status(&backend, plan, 8, &ps, NULL), 0);
	pi_status_free(&ps);
	int c = accept(ls, NULL, NULL);
	bool reached = c >= 0;
	if (c >= 0)
		close(c);
	const char *restore[] = { "sh", "-c", "rm /run/bird/bird.ctl && mv /run/bird/real.ctl /run/bird/bird.ctl", NULL };
	assert_int_equal(node_exec(router, NULL, restore), 0);
	close(ls);
	unlink(sock_path);
	rmdir(trap);
	assert_false(reached);
}

static void test_setup_again_is_harmless(void **state)
{
	(void)state;
	struct pi_buf out;
	pi_buf_init(&out);
	const char *up[] = { "-c", lab_file, "setup", NULL };
	assert_int_equal(run_bin(&out, up), 0);
	assert_non_null(strstr(pi_buf_str(&out), "already up"));
	pi_buf_free(&out);
}

/* With one lab running, commands find it without -c or --lab. */
static void test_current_lab_without_file(void **state)
{
	(void)state;
	struct pi_buf out;
	pi_buf_init(&out);
	const char *st[] = { "status", "--format", "json", NULL };
	assert_int_equal(run_bin(&out, st), 0);
	char want[300];
	snprintf(want, sizeof(want), "\"lab\": \"%s\"", plan->lab_name);
	assert_non_null(strstr(pi_buf_str(&out), want));
	pi_buf_reset(&out);
	const char *ex[] = { "exec", plan->nodes[0].name, "--", "hostname", NULL };
	assert_int_equal(run_bin(&out, ex), 0);
	assert_non_null(strstr(pi_buf_str(&out), plan->nodes[0].name));
	pi_buf_reset(&out);
	const char *labs[] = { "labs", "--format", "json", NULL };
	assert_int_equal(run_bin(&out, labs), 0);
	snprintf(want, sizeof(want), "\"name\": \"%s\"", plan->lab_name);
	assert_non_null(strstr(pi_buf_str(&out), want));
	assert_non_null(strstr(pi_buf_str(&out), "\"state\": \"running\""));
	char real[4096];
	assert_non_null(realpath(lab_file, real));
	assert_non_null(strstr(pi_buf_str(&out), real));
	pi_buf_free(&out);
}

static void assert_nothing_left(const char *labname)
{
	struct pi_vec found = PI_VEC_INIT(struct pi_node_state);
	assert_int_equal(backend.ops->list(&backend, labname, &found, NULL), 0);
	assert_int_equal(found.len, 0);
	pi_vec_free(&found);
	char path[4200];
	struct stat st;
	snprintf(path, sizeof(path), PI_NL_NETNS_DIR "/" PI_NAME_PREFIX "%s", labname);
	assert_int_not_equal(stat(path, &st), 0);
	pi_state_dir(NULL, labname, path, sizeof(path));
	assert_int_not_equal(stat(path, &st), 0);
	/* Nothing was left in (or ever added to) the host's own netns. */
	assert_int_equal(host_link_count(), host_links_before);
}

static void test_teardown_leaves_nothing(void **state)
{
	(void)state;
	const char *td[] = { "-c", lab_file, "teardown", NULL };
	assert_int_equal(run_bin(NULL, td), 0);
	assert_nothing_left(plan->lab_name);
	/* Idempotent. */
	assert_int_equal(run_bin(NULL, td), 0);
}

/* Starts setup of lab file, and after `after_ms` sends sig; returns the
 * exit status (or -signal). */
static int setup_and_signal(const char *file, unsigned after_ms, int sig)
{
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		execl(bin, bin, "-c", file, "setup", (char *)NULL);
		_exit(127);
	}
	struct timespec ts = { .tv_sec = after_ms / 1000, .tv_nsec = (long)(after_ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	kill(pid, sig);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

/* Ctrl-C in the middle of setup: it stops and removes what it made. */
static void test_ctrl_c_cleans_up(void **state)
{
	(void)state;
	free_plan();
	char file[4096];
	snprintf(file, sizeof(file), "%s/labs/tiny.yml", getenv("PI_SOURCE_DIR"));
	assert_int_equal(load_plan(file), 0);
	snprintf(lab_file, sizeof(lab_file), "%s", file);
	host_links_before = host_link_count();
	int rc = setup_and_signal(file, 3000, SIGINT);
	fprintf(stderr, "setup interrupted after 3 s exited %d\n", rc);
	assert_int_equal(rc, 1);
	assert_nothing_left(plan->lab_name);
}

/* A crash (SIGKILL) at any point: teardown alone cleans up. */
static void test_teardown_after_crash(void **state)
{
	(void)state;
	static const unsigned delays_ms[] = { 400, 1500, 4000 };
	for (size_t i = 0; i < PI_ARRAY_LEN(delays_ms); i++) {
		int rc = setup_and_signal(lab_file, delays_ms[i], SIGKILL);
		fprintf(stderr, "setup killed after %u ms (status %d)\n", delays_ms[i], rc);
		const char *td[] = { "-c", lab_file, "teardown", NULL };
		assert_int_equal(run_bin(NULL, td), 0);
		assert_nothing_left(plan->lab_name);
	}
}

/* ---- the original Pocket Internet sample ---- */

static void test_original_sample(void **state)
{
	(void)state;
	free_plan();
	char file[4096];
	snprintf(file, sizeof(file), "%s/labs/original-sample.yml", getenv("PI_SOURCE_DIR"));
	assert_int_equal(bring_up(file), 0);
	const char *verify[] = { "-c", lab_file, "verify", NULL };
	assert_int_equal(run_bin(NULL, verify), 0);
	/* The client pod 17.1: its first node. */
	uint32_t client = PI_NONE;
	for (uint32_t i = 0; i < plan->n_nodes && client == PI_NONE; i++)
		if (strstr(plan->pods[plan->nodes[i].pod].name, "17001") || strstr(plan->pods[plan->nodes[i].pod].name, "17-1"))
			client = i;
	assert_int_not_equal(client, PI_NONE);
	struct pi_buf out;
	pi_buf_init(&out);
	const char *v4[] = { "curl", "-sS", "--max-time", "5", "http://10.16.2.101", NULL };
	assert_int_equal(node_exec_retry(client, &out, v4, 20), 0);
	const char *v6[] = { "curl", "-sS", "--max-time", "5", "http://[fd00:16:2::101]", NULL };
	assert_int_equal(node_exec_retry(client, &out, v6, 20), 0);
	pi_buf_free(&out);
	const char *td[] = { "-c", lab_file, "teardown", NULL };
	assert_int_equal(run_bin(NULL, td), 0);
	assert_nothing_left(plan->lab_name);
}

/*
 * The original project's own files, as published: its example lab and
 * demo1, both up at once. With two labs running, commands without --lab
 * list them and ask; with --lab they act on the one named.
 */
static void test_original_project_files(void **state)
{
	(void)state;
	char demo1[4096], example[4096];
	snprintf(demo1, sizeof(demo1), "%s/tests/data/original/demo1.yml", getenv("PI_SOURCE_DIR"));
	snprintf(example, sizeof(example), "%s/tests/data/original/lab.yml", getenv("PI_SOURCE_DIR"));
	free_plan();
	assert_int_equal(bring_up(example), 0);
	free_plan();
	assert_int_equal(bring_up(demo1), 0);
	struct pi_buf out;
	pi_buf_init(&out);
	const char *st[] = { "status", NULL };
	assert_int_equal(run_bin(&out, st), 2); /* which one? (listed on stderr) */
	const char *labs[] = { "labs", "--format", "json", NULL };
	assert_int_equal(run_bin(&out, labs), 0);
	assert_non_null(strstr(pi_buf_str(&out), "\"name\": \"demo1\""));
	assert_non_null(strstr(pi_buf_str(&out), "\"name\": \"lab\""));
	const char *st_demo[] = { "--lab", "demo1", "status", "--format", "json", NULL };
	assert_int_equal(run_bin(&out, st_demo), 0);
	const char *v_demo[] = { "--lab", "demo1", "verify", NULL };
	const char *v_lab[] = { "--lab", "lab", "verify", NULL };
	assert_int_equal(run_bin(NULL, v_demo), 0);
	assert_int_equal(run_bin(NULL, v_lab), 0);
	assert_non_null(strstr(pi_buf_str(&out), "\"lab\": \"demo1\""));
	/* demo1's pod 17.1 (a router only) fetches pod 16.2's page by name. */
	uint32_t client = pi_plan_node_by_name(plan, "p17001-r1"), web = PI_NONE;
	for (uint32_t i = 0; i < plan->n_nodes; i++)
		if (plan->nodes[i].services & PI_SVC_HTTP)
			web = i;
	assert_int_not_equal(client, PI_NONE);
	assert_int_not_equal(web, PI_NONE);
	char url[300];
	snprintf(url, sizeof(url), "http://%s/", plan->nodes[web].fqdn);
	const char *get[] = { "curl", "-sS", "--max-time", "5", url, NULL };
	assert_int_equal(node_exec_retry(client, &out, get, 20), 0);
	pi_buf_free(&out);
	const char *td1[] = { "--lab", "demo1", "teardown", NULL };
	assert_int_equal(run_bin(NULL, td1), 0);
	assert_nothing_left("demo1");
	const char *td2[] = { "--lab", "lab", "teardown", NULL };
	assert_int_equal(run_bin(NULL, td2), 0);
	assert_nothing_left("lab");
}

/* The shipped labs no other test brings up whole: each verifies (setup
 * --verify in bring_up), then goes. */
static void test_other_shipped_labs_verify(void **state)
{
	(void)state;
	static const char *const labs[] = { "explicit", "tiny" };
	for (size_t i = 0; i < sizeof(labs) / sizeof(labs[0]); i++) {
		char file[4096];
		free_plan();
		snprintf(file, sizeof(file), "%s/labs/%s.yml", getenv("PI_SOURCE_DIR"), labs[i]);
		assert_int_equal(bring_up(file), 0);
		const char *td[] = { "-c", lab_file, "teardown", NULL };
		assert_int_equal(run_bin(NULL, td), 0);
	}
}

static unsigned neigh_thresh3(void)
{
	unsigned v = 0;
	FILE *f = fopen("/proc/sys/net/ipv6/neigh/default/gc_thresh3", "r");
	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* The workshop lab: full verify, then status, exec, labs and teardown with no lab file. */
static void test_workshop_current_lab(void **state)
{
	(void)state;
	free_plan();
	/* Alone on the host, whatever an earlier failed test left. */
	const char *all[] = { "teardown", "--all", NULL };
	run_bin(NULL, all);
	char file[4096];
	snprintf(file, sizeof(file), "%s/labs/workshop.yml", getenv("PI_SOURCE_DIR"));
	/* Every check, IPv6 included: this lab needs more IPv6 neighbour
	 * entries than the kernel's shared table holds by default, which setup
	 * raises (src/apply/hostneigh.c) and the last teardown restores. */
	unsigned before = neigh_thresh3();
	assert_int_equal(bring_up(file), 0);
	assert_true(neigh_thresh3() > 1024 || before > 1024);
	const char *verify[] = { "verify", NULL };
	assert_int_equal(run_bin(NULL, verify), 0);
	test_current_lab_without_file(state);
	const char *td[] = { "teardown", NULL };
	assert_int_equal(run_bin(NULL, td), 0);
	assert_nothing_left(plan->lab_name);
	assert_int_equal(neigh_thresh3(), before);
	struct pi_buf out;
	pi_buf_init(&out);
	const char *st[] = { "status", NULL };
	assert_int_equal(run_bin(&out, st), 1); /* nothing runs: it says so */
	pi_buf_free(&out);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bgp_established),
		cmocka_unit_test(test_verify_small),
		cmocka_unit_test(test_container_confinement),
		cmocka_unit_test(test_dhcp_and_ra),
		cmocka_unit_test(test_dns_through_pocket_root),
		cmocka_unit_test(test_nat64_dns64),
		cmocka_unit_test(test_traceroute_valley_free),
		cmocka_unit_test(test_planted_symlink_not_followed),
		cmocka_unit_test(test_fork_bomb_contained),
		cmocka_unit_test(test_setup_again_is_harmless),
		cmocka_unit_test(test_current_lab_without_file),
		cmocka_unit_test(test_teardown_leaves_nothing),
		cmocka_unit_test(test_ctrl_c_cleans_up),
		cmocka_unit_test(test_teardown_after_crash),
		cmocka_unit_test(test_original_sample),
		cmocka_unit_test(test_original_project_files),
		cmocka_unit_test(test_other_shipped_labs_verify),
		cmocka_unit_test(test_workshop_current_lab),
	};
	return e2e_main(argc, argv, "test-e2e", tests, sizeof(tests) / sizeof(tests[0]), group_setup, group_teardown);
}
