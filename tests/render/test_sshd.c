/*
 * render/sshd: the team nodes' sshd_config and start.sh lines, for
 * labs/teams.yml. Keys or root's password, host key and authorized_keys
 * under the run directory, no forwarding; nodes of pods no team owns get no sshd. The
 * file goes through `sshd -t` when an sshd is found ($PI_SSHD, else
 * /usr/sbin/sshd; a test is skipped without one): with a throwaway host
 * key in a temporary directory, as an unprivileged user when run as root
 * (sshd -t as root wants its privilege separation user on the host).
 */
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
#include "../apply/lab_fixture.h"
#include "pocketinternet/render.h"

static uint32_t node_of(const char *pod)
{
	uint32_t p = pi_plan_pod_by_name(plan, pod);
	for (uint32_t n = 0; n < plan->n_nodes; n++)
		if (plan->nodes[n].pod == p)
			return n;
	fail();
	return 0;
}

static void test_team_nodes_only(void **state)
{
	(void)state;
	for (uint32_t n = 0; n < plan->n_nodes; n++) {
		struct pi_render_set set;
		pi_render_set_init(&set);
		pi_render_node(plan, n, &set);
		bool team = plan->pods[plan->nodes[n].pod].team != NULL;
		assert_int_equal(pi_render_set_find(&set, "sshd_config") != NULL, team);
		const struct pi_render_file *start = pi_render_set_find(&set, "start.sh");
		assert_int_equal(strstr(start->data, "ssh-keygen -q -t ed25519") != NULL, team);
		pi_render_set_free(&set);
	}
}

static void test_team_credentials_no_tunnels(void **state)
{
	(void)state;
	struct pi_render_opts o;
	pi_render_opts_default(&o);
	struct pi_buf b;
	pi_buf_init(&b);
	pi_render_sshd_config(plan, node_of("red-isp"), &o, &b);
	const char *t = pi_buf_str(&b);
	static const char *const lines[] = {
		"\nAuthorizedKeysFile /run/pocketinternet/ssh/authorized_keys\n",
		"\nHostKey /run/pocketinternet/ssh/ssh_host_ed25519_key\n",
		"\nPasswordAuthentication yes\n", "\nUsePAM no\n", "\nPermitEmptyPasswords no\n", "\nAllowTcpForwarding no\n",
		"\nPermitTunnel no\n", "\nAllowUsers root\n", "team red",
	};
	for (size_t i = 0; i < PI_ARRAY_LEN(lines); i++)
		assert_non_null(strstr(t, lines[i]));
	pi_buf_free(&b);
}

static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_sshd_accepts_it(void **state)
{
	(void)state;
	const char *sshd = getenv("PI_SSHD") ? getenv("PI_SSHD") : "/usr/sbin/sshd";
	if (access(sshd, X_OK) != 0 || run("command -v ssh-keygen >/dev/null") != 0)
		skip();
	char dir[] = "/tmp/pitest-sshd-XXXXXX", file[128];
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	struct pi_render_opts o = { .conf_dir = dir, .log_dir = dir, .run_dir = dir };
	assert_int_equal(run("mkdir %s/ssh && ssh-keygen -q -t ed25519 -N '' -f %s/ssh/ssh_host_ed25519_key", dir, dir), 0);
	struct pi_buf b;
	pi_buf_init(&b);
	pi_render_sshd_config(plan, node_of("blue-isp"), &o, &b);
	snprintf(file, sizeof(file), "%s/sshd_config", dir);
	assert_int_equal(pi_write_file(file, b.data, b.len, 0644), 0);
	pi_buf_free(&b);
	const char *as = "";
	if (geteuid() == 0) {
		assert_int_equal(run("chown -R 65534:65534 %s", dir), 0);
		as = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
	}
	assert_int_equal(run("%s%s -t -f %s", as, sshd, file), 0);
	/* The checker is not a rubber stamp. */
	assert_int_equal(run("echo 'NoSuchOption yes' >> %s && %s%s -t -f %s 2>/dev/null", file, as, sshd, file), 255);
	run("rm -rf %s", dir);
}

static int setup(void **state)
{
	(void)state;
	return apply_fixture_load("teams");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_team_nodes_only),
		cmocka_unit_test(test_team_credentials_no_tunnels),
		cmocka_unit_test(test_sshd_accepts_it),
	};
	return cmocka_run_group_tests(tests, setup, apply_fixture_teardown);
}
