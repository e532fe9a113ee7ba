/*
 * Integration tests against a real Docker engine (suite 'docker'): ping and
 * version, the node image (built when missing), a network-mode-none
 * container's whole life, exec with arguments that hold spaces and quotes,
 * listing by label, parallel use of one client from several threads, the
 * address clash check, and the message for a missing socket.
 * Everything created is labelled with a per-run lab name and removed.
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
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "docker_internal.h"

static struct pi_docker *dk;
static char lab[64];
static char lab_label[128];

static void fail_diag(struct pi_diag *d)
{
	pi_diag_print(d, stderr);
}

#define CHECK(call, diag)                                \
	do {                                             \
		int rc_ = (call);                        \
		if (rc_ != 0)                            \
			fail_diag(diag);                 \
		assert_int_equal(rc_, 0);                \
	} while (0)

static void progress(void *ctx, enum pi_image_event ev, double t, const char *text)
{
	(void)ctx;
	if (ev != PI_IMAGE_DETAIL)
		fprintf(stderr, "[%6.1fs] %s\n", t, text);
}

static int setup_all(void **state)
{
	(void)state;
	struct pi_diag diag;
	pi_diag_init(&diag);
	snprintf(lab, sizeof(lab), "pitest%ld", (long)getpid());
	snprintf(lab_label, sizeof(lab_label), PI_LABEL_LAB "=%s", lab);
	int rc = pi_docker_open(NULL, &dk, &diag);
	if (rc) {
		pi_diag_print(&diag, stderr);
		pi_diag_free(&diag);
		return -1;
	}
	/* The node image is what every later test runs. */
	rc = pi_image_ensure(dk, progress, NULL, &diag);
	if (rc < 0) {
		pi_diag_print(&diag, stderr);
		pi_diag_free(&diag);
		return -1;
	}
	pi_diag_free(&diag);
	return 0;
}

static int teardown_all(void **state)
{
	(void)state;
	/* Whatever a failed test left behind goes, found by label. */
	struct pi_vec v = PI_VEC_INIT(struct pi_container_summary);
	if (dk && pi_docker_container_list(dk, lab_label, &v, NULL) == 0)
		for (size_t i = 0; i < v.len; i++)
			pi_docker_container_remove(dk, ((struct pi_container_summary *)pi_vec_at(&v, i))->id, NULL);
	pi_vec_free(&v);
	pi_docker_free(dk);
	return 0;
}

static void test_ping_version(void **state)
{
	(void)state;
	struct pi_diag diag;
	pi_diag_init(&diag);
	CHECK(pi_docker_ping(dk, &diag), &diag);
	struct pi_docker_version v;
	CHECK(pi_docker_version(dk, &v, &diag), &diag);
	assert_true(pi_docker_api_cmp(v.api, PI_DOCKER_API) >= 0);
	assert_string_equal(v.os, "linux");
	assert_true(strlen(v.engine) > 0);
	pi_diag_free(&diag);
}

static void test_image_present(void **state)
{
	(void)state;
	struct pi_diag diag;
	pi_diag_init(&diag);
	assert_int_equal(pi_docker_image_exists(dk, pi_image_default_tag(), &diag), 1);
	assert_int_equal(pi_docker_image_exists(dk, "pocketinternet/no-such-image:0", &diag), 0);
	/* Up to date: ensure has nothing to do the second time. */
	assert_int_equal(pi_image_ensure(dk, NULL, NULL, &diag), 0);
	assert_int_equal(pi_diag_count(&diag), 0);
	pi_diag_free(&diag);
}

static void make_node(const char *node, const char *confdir, char id[PI_DOCKER_ID_LEN], struct pi_diag *diag)
{
	char name[128];
	snprintf(name, sizeof(name), "%s-%s", lab, node);
	const struct pi_docker_kv labels[] = { { PI_LABEL_LAB, lab }, { PI_LABEL_NODE, node } };
	const struct pi_docker_kv sysctls[] = { { "net.ipv6.conf.all.disable_ipv6", "0" },
						 { "net.ipv6.conf.default.disable_ipv6", "0" },
						 { "net.ipv4.ip_forward", "1" } };
	const char *caps[] = { "NET_ADMIN" };
	const char *devs[] = { "/dev/net/tun" };
	const char *env[] = { "PI_NODE=with space" };
	struct pi_docker_bind bind = { confdir, "/etc/pocketinternet", false };
	bool tun = access("/dev/net/tun", F_OK) == 0;
	struct pi_container_spec s = {
		.name = name, .image = pi_image_default_tag(), .hostname = node,
		.labels = labels, .n_labels = 2, .env = env, .n_env = 1,
		.binds = confdir ? &bind : NULL, .n_binds = confdir ? 1 : 0,
		.cap_add = caps, .n_cap_add = 1, .sysctls = sysctls, .n_sysctls = 3,
		.devices = devs, .n_devices = tun ? 1 : 0, .init = true,
	};
	CHECK(pi_docker_container_create(dk, &s, id, diag), diag);
	assert_int_equal(strlen(id), 64);
}

static void exec_ok(const char *id, const char *const *argv, size_t argc, struct pi_exec_result *r)
{
	struct pi_diag diag;
	pi_diag_init(&diag);
	pi_exec_result_free(r);
	pi_exec_result_init(r);
	CHECK(pi_docker_exec(dk, id, argv, argc, NULL, r, &diag), &diag);
	pi_diag_free(&diag);
}

static void test_container_life(void **state)
{
	(void)state;
	struct pi_diag diag;
	pi_diag_init(&diag);
	char dir[] = "/tmp/pi-live-XXXXXX", file[256];
	assert_non_null(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(file, sizeof(file), "%s/bird.conf", dir);
	assert_int_equal(pi_write_file(file, "router id 192.0.2.1;\n", 21, 0644), 0);

	char id[PI_DOCKER_ID_LEN];
	make_node("r1", dir, id, &diag);

	/* The same name twice is -EEXIST. */
	char id2[PI_DOCKER_ID_LEN];
	const struct pi_docker_kv labels[] = { { PI_LABEL_LAB, lab } };
	char name[128];
	snprintf(name, sizeof(name), "%s-r1", lab);
	struct pi_container_spec dup = { .name = name, .image = pi_image_default_tag(), .labels = labels, .n_labels = 1 };
	assert_int_equal(pi_docker_container_create(dk, &dup, id2, &diag), -EEXIST);
	pi_diag_free(&diag);
	pi_diag_init(&diag);

	CHECK(pi_docker_container_start(dk, id, &diag), &diag);
	/* Starting again is fine (304 from the engine). */
	CHECK(pi_docker_container_start(dk, id, &diag), &diag);
	struct pi_container_info info;
	CHECK(pi_docker_container_inspect(dk, id, &info, &diag), &diag);
	assert_true(info.running);
	assert_true(info.pid > 0);
	assert_string_equal(info.name, name);
	assert_string_equal(info.status, "running");
	/* Its netns is reachable from the host and is not ours. */
	char nspath[64];
	struct stat a, b;
	snprintf(nspath, sizeof(nspath), "/proc/%d/ns/net", info.pid);
	assert_int_equal(stat(nspath, &a), 0);
	assert_int_equal(stat("/proc/self/ns/net", &b), 0);
	assert_true(a.st_ino != b.st_ino);

	struct pi_exec_result r;
	pi_exec_result_init(&r);
	/* Arguments with spaces and quotes arrive intact: no shell in between. */
	const char *pr[] = { "printf", "[%s]\n", "a b", "it's \"quoted\"", "$HOME;rm -rf /" };
	exec_ok(id, pr, 5, &r);
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(pi_buf_str(&r.out), "[a b]\n[it's \"quoted\"]\n[$HOME;rm -rf /]\n");
	assert_string_equal(pi_buf_str(&r.err), "");

	/* stdout and stderr are separated, and the exit code comes back. */
	const char *sh[] = { "sh", "-c", "echo out1; echo err1 >&2; echo out2; exit 7" };
	exec_ok(id, sh, 3, &r);
	assert_int_equal(r.exit_code, 7);
	assert_string_equal(pi_buf_str(&r.out), "out1\nout2\n");
	assert_string_equal(pi_buf_str(&r.err), "err1\n");

	/* A large output crosses many frames. */
	const char *big[] = { "sh", "-c", "seq 1 20000" };
	exec_ok(id, big, 3, &r);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.out.len, 108894);
	assert_memory_equal(r.out.data + r.out.len - 6, "20000\n", 6);

	/* Network mode none: only lo; IPv6 enabled through the sysctls. */
	const char *links[] = { "ip", "-o", "link", "show" };
	exec_ok(id, links, 4, &r);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(pi_buf_str(&r.out), ": lo:"));
	assert_null(strstr(pi_buf_str(&r.out), "eth0"));
	const char *v6[] = { "cat", "/proc/sys/net/ipv6/conf/all/disable_ipv6" };
	exec_ok(id, v6, 2, &r);
	assert_string_equal(pi_buf_str(&r.out), "0\n");

	/* The bind is there and read-only. */
	const char *cat[] = { "cat", "/etc/pocketinternet/bird.conf" };
	exec_ok(id, cat, 2, &r);
	assert_string_equal(pi_buf_str(&r.out), "router id 192.0.2.1;\n");
	const char *touch[] = { "touch", "/etc/pocketinternet/x" };
	exec_ok(id, touch, 2, &r);
	assert_int_not_equal(r.exit_code, 0);
	assert_non_null(strstr(pi_buf_str(&r.err), "Read-only"));

	/* The daemons are in the image. */
	const char *bird[] = { "bird", "--version" };
	exec_ok(id, bird, 2, &r);
	assert_int_equal(r.exit_code, 0);
	assert_non_null(strstr(pi_buf_str(&r.err), "BIRD version 2"));
	const char *which[] = { "sh", "-c", "for p in unbound dnsmasq tayga nft lighttpd tcpdump tshark mtr traceroute dig dhclient; do command -v $p >/dev/null || echo missing $p; done" };
	exec_ok(id, which, 3, &r);
	assert_string_equal(pi_buf_str(&r.out), "");

	/* A program that does not exist: the engine's exit code 126/127, not an error. */
	const char *nope[] = { "/no/such/program", "x" };
	exec_ok(id, nope, 2, &r);
	assert_true(r.exit_code == 126 || r.exit_code == 127);

	/* exec options: environment and working directory. */
	const char *envs[] = { "FOO=bar baz" };
	struct pi_exec_opts eo = { .env = envs, .n_env = 1, .workdir = "/etc" };
	const char *pwd[] = { "sh", "-c", "echo \"$FOO|$PI_NODE|$(pwd)\"" };
	pi_exec_result_free(&r);
	pi_exec_result_init(&r);
	CHECK(pi_docker_exec(dk, id, pwd, 3, &eo, &r, &diag), &diag);
	assert_string_equal(pi_buf_str(&r.out), "bar baz|with space|/etc\n");
	pi_exec_result_free(&r);

	CHECK(pi_docker_container_stop(dk, id, 2, &diag), &diag);
	CHECK(pi_docker_container_inspect(dk, id, &info, &diag), &diag);
	assert_false(info.running);
	/* Stopping again is fine; exec into a stopped container is -ESRCH. */
	CHECK(pi_docker_container_stop(dk, id, 2, &diag), &diag);
	pi_exec_result_init(&r);
	assert_int_equal(pi_docker_exec(dk, id, cat, 2, NULL, &r, &diag), -ESRCH);
	pi_exec_result_free(&r);
	pi_diag_free(&diag);
	pi_diag_init(&diag);
	CHECK(pi_docker_container_remove(dk, id, &diag), &diag);
	assert_int_equal(pi_docker_container_inspect(dk, id, &info, &diag), -ENOENT);
	assert_int_equal(pi_docker_container_remove(dk, id, &diag), -ENOENT);
	/* exec into a container that is gone: -ENOENT with a message. */
	pi_exec_result_init(&r);
	size_t before = pi_diag_count(&diag);
	assert_int_equal(pi_docker_exec(dk, id, cat, 2, NULL, &r, &diag), -ENOENT);
	assert_true(pi_diag_count(&diag) > before);
	pi_exec_result_free(&r);
	pi_diag_free(&diag);
	snprintf(file, sizeof(file), "rm -rf %s", dir);
	assert_int_equal(system(file), 0);
}

static void test_list_by_label(void **state)
{
	(void)state;
	struct pi_diag diag;
	pi_diag_init(&diag);
	char a[PI_DOCKER_ID_LEN], b[PI_DOCKER_ID_LEN];
	make_node("h1", NULL, a, &diag);
	make_node("h2", NULL, b, &diag);
	CHECK(pi_docker_container_start(dk, a, &diag), &diag);
	struct pi_vec v = PI_VEC_INIT(struct pi_container_summary);
	CHECK(pi_docker_container_list(dk, lab_label, &v, &diag), &diag);
	/* all=true: the created-but-not-started one is listed too. */
	assert_int_equal(v.len, 2);
	int seen = 0;
	for (size_t i = 0; i < v.len; i++) {
		struct pi_container_summary *s = pi_vec_at(&v, i);
		assert_string_equal(s->lab, lab);
		if (strcmp(s->node, "h1") == 0) {
			assert_string_equal(s->state, "running");
			seen |= 1;
		} else if (strcmp(s->node, "h2") == 0) {
			assert_string_equal(s->state, "created");
			seen |= 2;
		}
	}
	assert_int_equal(seen, 3);
	pi_vec_free(&v);
	/* Another lab's label matches nothing of ours. */
	char other[160];
	snprintf(other, sizeof(other), PI_LABEL_LAB "=%s-other", lab);
	v = (struct pi_vec)PI_VEC_INIT(struct pi_container_summary);
	CHECK(pi_docker_container_list(dk, other, &v, &diag), &diag);
	assert_int_equal(v.len, 0);
	CHECK(pi_docker_container_kill(dk, a, NULL, &diag), &diag);
	CHECK(pi_docker_container_remove(dk, a, &diag), &diag);
	CHECK(pi_docker_container_remove(dk, b, &diag), &diag);
	CHECK(pi_docker_container_list(dk, lab_label, &v, &diag), &diag);
	assert_int_equal(v.len, 0);
	pi_vec_free(&v);
	pi_diag_free(&diag);
}

struct worker {
	int n;
	int rc;
	char out[64];
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct pi_diag diag;
	pi_diag_init(&diag);
	char node[32], name[128], id[PI_DOCKER_ID_LEN];
	snprintf(node, sizeof(node), "p%d", w->n);
	snprintf(name, sizeof(name), "%s-%s", lab, node);
	const struct pi_docker_kv labels[] = { { PI_LABEL_LAB, lab }, { PI_LABEL_NODE, node } };
	struct pi_container_spec s = { .name = name, .image = pi_image_default_tag(), .labels = labels,
				       .n_labels = 2, .init = true };
	struct pi_exec_result r;
	pi_exec_result_init(&r);
	const char *argv[] = { "hostname" };
	w->rc = pi_docker_container_create(dk, &s, id, &diag);
	if (!w->rc)
		w->rc = pi_docker_container_start(dk, id, &diag);
	if (!w->rc)
		w->rc = pi_docker_exec(dk, id, argv, 1, NULL, &r, &diag);
	snprintf(w->out, sizeof(w->out), "%s", pi_buf_str(&r.out));
	if (!w->rc)
		w->rc = pi_docker_container_remove(dk, id, &diag);
	if (w->rc)
		pi_diag_print(&diag, stderr);
	pi_exec_result_free(&r);
	pi_diag_free(&diag);
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	enum { N = 6 };
	pthread_t t[N];
	struct worker w[N];
	for (int i = 0; i < N; i++) {
		w[i] = (struct worker){ .n = i };
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].rc, 0);
		/* Docker's default hostname is the short id: 12 hex digits. */
		assert_int_equal(strlen(w[i].out), 13);
	}
}

static void test_clash(void **state)
{
	(void)state;
	struct pi_diag diag;
	pi_diag_init(&diag);
	struct pi_vec nets = PI_VEC_INIT(struct pi_docker_network);
	CHECK(pi_docker_network_list(dk, &nets, &diag), &diag);
	/* Every engine has the "none" network; find the bridge's subnet. */
	struct pi_prefix bridge = { 0 };
	bool have_none = false;
	for (size_t i = 0; i < nets.len; i++) {
		struct pi_docker_network *n = pi_vec_at(&nets, i);
		if (strcmp(n->name, "none") == 0)
			have_none = true;
		if (strcmp(n->name, "bridge") == 0 && n->n_subnets)
			bridge = n->subnets[0];
	}
	assert_true(have_none);
	pi_vec_free(&nets);
	if (!pi_prefix_is_set(&bridge))
		skip();
	/* A lab on top of docker0 clashes, and the message names it. */
	assert_int_equal(pi_docker_check_clash(dk, &bridge, 1, &diag), -EADDRINUSE);
	assert_true(pi_diag_count(&diag) >= 1);
	struct pi_diag_entry *e = pi_vec_at(&diag.entries, 0);
	assert_non_null(strstr(e->msg, "\"bridge\""));
	assert_non_null(strstr(e->hint, "configure-docker"));
	pi_diag_free(&diag);
	pi_diag_init(&diag);
	/* A documentation range that nothing uses does not. */
	struct pi_prefix spaces[2];
	pi_prefix_parse("198.51.100.0/24", &spaces[0]);
	pi_prefix_parse("2001:db8:ffff::/48", &spaces[1]);
	CHECK(pi_docker_check_clash(dk, spaces, 2, &diag), &diag);
	pi_diag_free(&diag);
}

static void test_missing_socket(void **state)
{
	(void)state;
	struct pi_docker *d = NULL;
	struct pi_diag diag;
	pi_diag_init(&diag);
	setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock", 1);
	assert_int_equal(pi_docker_open(NULL, &d, &diag), -ECONNREFUSED);
	unsetenv("DOCKER_HOST");
	struct pi_diag_entry *e = pi_vec_at(&diag.entries, 0);
	assert_non_null(strstr(e->msg, "cannot reach the Docker engine at /nonexistent/docker.sock: is dockerd running?"));
	pi_diag_free(&diag);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ping_version),
		cmocka_unit_test(test_image_present),
		cmocka_unit_test(test_container_life),
		cmocka_unit_test(test_list_by_label),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_clash),
		cmocka_unit_test(test_missing_socket),
	};
	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
