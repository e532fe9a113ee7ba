/*
 * apply/sshgw and sshkey with the fake backend on labs/teams.yml: one port
 * per team on 127.0.0.1; a TCP client's bytes go through the exec stream
 * in the team's border router and come back (the fake's exec_stream echoes
 * argv, then copies stdin like cat), so the relay carries both ways; the
 * client's end of file ends the command and the connection. And the keys:
 * what is a public key, where it is kept, which nodes get it.
 */
#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "lab_fixture.h"
#include "pocketinternet/apply.h"
#include "pocketinternet/backend.h"

/* ssh-keygen -t ed25519 output (a throwaway key made for this test). */
#define ED25519_KEY                                                                                                    \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJf5AhJRcnnFghN8QgQCkTLa3J1/sUUmOVn2CB1QiN4a red@laptop"

static struct pi_backend backend;

static void seed_nodes(void)
{
	struct pi_buf b;
	pi_buf_init(&b);
	for (uint32_t n = 0; n < plan->n_nodes; n++)
		pi_buf_printf(&b, "%s%s/%s", n ? "," : "", plan->lab_name, plan->nodes[n].name);
	setenv("POCKETINTERNET_FAKE_NODES", pi_buf_str(&b), 1);
	pi_buf_free(&b);
}

static int setup(void **state)
{
	(void)state;
	if (apply_fixture_load("teams"))
		return -1;
	seed_nodes();
	return pi_backend_open(&backend, &pi_backend_fake, NULL);
}

static int teardown(void **state)
{
	pi_backend_close(&backend);
	unsetenv("POCKETINTERNET_FAKE_NODES");
	return apply_fixture_teardown(state);
}

static void *run(void *g)
{
	pi_sshgw_run(g);
	return NULL;
}

static int connect_to(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Everything until the gateway closes the connection. */
static size_t read_all(int fd, char *buf, size_t len)
{
	size_t off = 0;
	ssize_t k;
	while (off + 1 < len && (k = read(fd, buf + off, len - 1 - off)) > 0)
		off += (size_t)k;
	buf[off] = '\0';
	return off;
}

static void test_relay_per_team(void **state)
{
	(void)state;
	struct pi_sshgw_opts o = { .any_port = true };
	struct pi_sshgw *g;
	assert_int_equal(pi_sshgw_start(&backend, plan, &o, &g, NULL), 0);
	assert_int_equal(pi_sshgw_teams(g), 2);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, run, g), 0);
	for (size_t t = 0; t < 2; t++) {
		const char *name, *node;
		int port = pi_sshgw_port(g, t, &name, &node);
		assert_true(port > 0);
		/* The landing node is a border router of the team's own pod. */
		uint32_t n = pi_plan_node_by_name(plan, node);
		assert_int_not_equal(n, PI_NONE);
		assert_string_equal(plan->pods[plan->nodes[n].pod].team, name);
		int fd = connect_to(port);
		static const char hello[] = "SSH-2.0-OpenSSH_9.2 test\r\n\x01\x02\xff binary too";
		assert_int_equal(write(fd, hello, sizeof(hello)), (ssize_t)sizeof(hello));
		shutdown(fd, SHUT_WR); /* the client's end of file: sshd's stdin ends */
		char buf[4096], want[512];
		size_t got = read_all(fd, buf, sizeof(buf));
		close(fd);
		/* sshd -i in inetd mode, with the node's own config, then our bytes. */
		snprintf(want, sizeof(want), "/usr/sbin/sshd -i -f /etc/pocketinternet/sshd_config -E "
					     "/var/log/pocketinternet/sshd-gateway.log\n");
		assert_int_equal(got, strlen(want) + sizeof(hello));
		assert_memory_equal(buf, want, strlen(want));
		assert_memory_equal(buf + strlen(want), hello, sizeof(hello));
		/* It ran in that node and nowhere else. */
		char call[256];
		snprintf(call, sizeof(call), "exec_stream %s\n", node);
		assert_non_null(strstr(pi_buf_str(&pi_backend_fake_state(&backend)->calls), call));
	}
	pi_sshgw_stop(g);
	pthread_join(th, NULL);
	pi_sshgw_free(g);
}

static void test_stop_ends_open_connections(void **state)
{
	(void)state;
	struct pi_sshgw_opts o = { .any_port = true };
	struct pi_sshgw *g;
	assert_int_equal(pi_sshgw_start(&backend, plan, &o, &g, NULL), 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, run, g), 0);
	int fd = connect_to(pi_sshgw_port(g, 0, NULL, NULL));
	char buf[512];
	assert_true(read(fd, buf, sizeof(buf)) > 0); /* the command runs */
	pi_sshgw_stop(g);
	pthread_join(th, NULL);
	read_all(fd, buf, sizeof(buf)); /* returns: the gateway closed it */
	close(fd);
	pi_sshgw_free(g);
}

static void test_port_in_use(void **state)
{
	(void)state;
	struct pi_sshgw_opts o = { .any_port = true };
	struct pi_sshgw *g, *g2;
	assert_int_equal(pi_sshgw_start(&backend, plan, &o, &g, NULL), 0);
	struct pi_sshgw_opts o2 = { .base_port = (unsigned)pi_sshgw_port(g, 0, NULL, NULL) };
	struct pi_diag d;
	pi_diag_init(&d);
	assert_int_equal(pi_sshgw_start(&backend, plan, &o2, &g2, &d), -EADDRINUSE);
	assert_true(d.entries.len > 0);
	struct pi_sshgw_opts bad = { .listen = "localhost", .any_port = true };
	assert_int_equal(pi_sshgw_start(&backend, plan, &bad, &g2, &d), -EINVAL);
	pi_diag_free(&d);
	pi_sshgw_free(g);
}

static void test_keys_parse(void **state)
{
	(void)state;
	struct pi_buf out;
	pi_buf_init(&out);
	const char *ok = "# red's laptop\n\n" ED25519_KEY "\r\n";
	assert_int_equal(pi_apply_ssh_keys_parse(ok, strlen(ok), &out, NULL), 0);
	assert_string_equal(pi_buf_str(&out), ED25519_KEY "\n");
	static const char *const bad[] = {
		"",
		"ssh-ed25519",
		"ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIJf5AhJRcnnFghN8QgQCkTLa3J1/sUUmOVn2CB1QiN4a", /* blob says ed25519 */
		"ssh-ed25519 !!!!",
		"command=\"sh\" " ED25519_KEY, /* no options */
		"ssh-dss AAAAB3NzaC1kc3MAAACBAP",
		ED25519_KEY "\n" ED25519_KEY "\x01",
	};
	for (size_t i = 0; i < PI_ARRAY_LEN(bad); i++) {
		struct pi_diag d;
		pi_diag_init(&d);
		assert_int_equal(pi_apply_ssh_keys_parse(bad[i], strlen(bad[i]), &out, &d), -EINVAL);
		assert_true(d.entries.len > 0);
		pi_diag_free(&d);
	}
	pi_buf_free(&out);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void test_keys_go_to_the_team_only(void **state)
{
	(void)state;
	char dir[] = "/tmp/pitest-sshkey-XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	struct pi_fake_backend *f = pi_backend_fake_state(&backend);
	pi_buf_reset(&f->calls);
	unsigned pushed;
	struct pi_diag d;
	pi_diag_init(&d);
	assert_int_equal(pi_apply_team_ssh_key_set(&backend, plan, dir, "red", ED25519_KEY, strlen(ED25519_KEY), &pushed,
						   &d),
			 0);
	struct pi_vec pods = PI_VEC_INIT(uint32_t);
	pi_plan_team_pods(plan, "red", &pods);
	uint32_t red = *(uint32_t *)pi_vec_at(&pods, 0);
	pi_vec_free(&pods);
	unsigned reds = 0;
	for (uint32_t n = 0; n < plan->n_nodes; n++) {
		char call[256];
		snprintf(call, sizeof(call), "exec_stream %s\n", plan->nodes[n].name);
		bool mine = plan->nodes[n].pod == red;
		reds += mine;
		assert_int_equal(strstr(pi_buf_str(&f->calls), call) != NULL, mine);
	}
	assert_int_equal(pushed, reds);
	struct stat sb;
	snprintf(path, sizeof(path), "%s/ssh/red.keys", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* At the gateway's start the kept keys go out again. */
	assert_int_equal(pi_apply_team_ssh_keys_push(&backend, plan, dir, &pushed, &d), 0);
	assert_int_equal(pushed, reds);
	assert_int_equal(pi_apply_team_ssh_key_set(&backend, plan, dir, "green", ED25519_KEY, strlen(ED25519_KEY),
						   &pushed, &d),
			 -ENOENT);
	pi_diag_free(&d);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_password_hash_to_the_team_only(void **state)
{
	(void)state;
	char dir[] = "/tmp/pitest-sshpw-XXXXXX", path[128], hash[256];
	assert_non_null(mkdtemp(dir));
	/* yescrypt, a fresh salt each time, and crypt(3) agrees with it. */
	char h2[256];
	assert_int_equal(pi_apply_ssh_password_hash("correct horse battery", hash, sizeof(hash)), 0);
	assert_int_equal(pi_apply_ssh_password_hash("correct horse battery", h2, sizeof(h2)), 0);
	assert_memory_equal(hash, "$y$", 3);
	assert_string_not_equal(hash, h2);
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	assert_string_equal(crypt_r("correct horse battery", hash, cd), hash);
	assert_string_not_equal(crypt_r("wrong horse battery", hash, cd), hash);
	free(cd);
	struct pi_fake_backend *f = pi_backend_fake_state(&backend);
	pi_buf_reset(&f->calls);
	struct pi_diag d;
	pi_diag_init(&d);
	unsigned pushed;
	assert_int_equal(pi_apply_team_ssh_password_set(&backend, plan, dir, "blue", "short", &pushed, &d), -EINVAL);
	assert_int_equal(pi_apply_team_ssh_password_set(&backend, plan, dir, "blue", "correct horse battery", &pushed, &d),
			 0);
	uint32_t blue = pi_plan_pod_by_name(plan, "blue-isp");
	unsigned blues = 0;
	for (uint32_t n = 0; n < plan->n_nodes; n++) {
		char call[256];
		snprintf(call, sizeof(call), "exec_stream %s\n", plan->nodes[n].name);
		blues += plan->nodes[n].pod == blue;
		assert_int_equal(strstr(pi_buf_str(&f->calls), call) != NULL, plan->nodes[n].pod == blue);
	}
	assert_int_equal(pushed, blues);
	/* The hash is kept (never the password), as chpasswd -e reads it. */
	char *text;
	size_t len;
	snprintf(path, sizeof(path), "%s/ssh/blue.hash", dir);
	assert_int_equal(pi_read_file(path, &text, &len), 0);
	assert_memory_equal(text, "root:$y$", 8);
	assert_null(strstr(text, "horse"));
	free(text);
	pi_diag_free(&d);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relay_per_team),
		cmocka_unit_test(test_stop_ends_open_connections),
		cmocka_unit_test(test_port_in_use),
		cmocka_unit_test(test_keys_parse),
		cmocka_unit_test(test_keys_go_to_the_team_only),
		cmocka_unit_test(test_password_hash_to_the_team_only),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
