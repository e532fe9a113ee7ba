/*
 * End-to-end: `pocketinternet capture` on the default lab (suite 'e2e',
 * root and a Docker engine; docs/observe.md). A ping between two broadband
 * subscribers in different pods is captured on both subscribers'
 * interfaces, stopped with SIGINT, and read back with tshark: the echo
 * requests and replies are on the interfaces named. A capture streamed
 * into `tshark -r -` prints packets while it still runs. Needs tshark.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "e2e_common.h"

struct sub {
	uint32_t node;
	const struct pi_plan_iface *f; /* its RA (SLAAC) interface */
	char label[300];               /* node:iface */
	char addr[PI_PREFIX_STRLEN];   /* its IPv6 address there */
};

/* Two broadband subscribers with IPv6 (from RA), in different pods. */
static bool subscribers(struct sub s[2])
{
	unsigned k = 0;
	for (unsigned nth = 0; k < 2; nth++) {
		uint32_t n = find_node(PI_SVC_CLIENT, 0, "broadband", nth);
		if (n == PI_NONE)
			return false;
		const struct pi_plan_iface *f = iface_with(n, false, true);
		if (!f || !pi_prefix_is_set(&f->v6) || (k == 1 && plan->nodes[n].pod == plan->nodes[s[0].node].pod))
			continue;
		s[k].node = n;
		s[k].f = f;
		snprintf(s[k].label, sizeof(s[k].label), "%s:%s", plan->nodes[n].name, f->name);
		struct pi_prefix a = pi_prefix_as_host(&f->v6);
		pi_prefix_fmt_addr(&a, s[k].addr);
		k++;
	}
	return true;
}

static int group_setup(void **state)
{
	(void)state;
	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		fprintf(stderr, "test-capture: tshark is needed (apt-get install tshark)\n");
		return -1;
	}
	return e2e_open_lab("lab") == 0 ? 0 : -1;
}

/* Starts `pocketinternet argv...` in the background, stderr to ours. */
static pid_t spawn_bin(const char *const *argv)
{
	pid_t pid = fork();
	if (pid == 0) {
		const char *args[32] = { bin };
		for (int i = 0; argv[i] && i < 30; i++)
			args[i + 1] = argv[i];
		execv(bin, (char **)args);
		_exit(127);
	}
	return pid;
}

static void ping_ok(const struct sub *from, const struct sub *to, const char *count)
{
	const char *ping[] = { "ping", "-6", "-n", "-c", count, "-i", "0.3", "-W", "2", to->addr, NULL };
	assert_int_equal(node_exec_retry(from->node, NULL, ping, 30), 0);
}

/* How many ICMPv6 echo requests (128) and replies (129) tshark finds on iface. */
static void echoes(const char *file, const char *iface, unsigned *req, unsigned *rep)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "tshark -r '%s' -Y 'icmpv6.type == 128 || icmpv6.type == 129' -T fields "
		 "-e frame.interface_name -e icmpv6.type 2>/dev/null",
		 file);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char line[512], name[300];
	unsigned type;
	*req = *rep = 0;
	while (fgets(line, sizeof(line), p)) {
		if (sscanf(line, "%299s %u", name, &type) != 2 || strcmp(name, iface) != 0)
			continue;
		*req += type == 128;
		*rep += type == 129;
	}
	assert_int_equal(pclose(p), 0);
}

/* Both subscribers' interfaces and the first one's LAN (at its bridge in
 * the lab's netns); Ctrl-C (SIGINT) ends it with a file tshark reads to
 * the end. */
static void test_capture_ping(void **state)
{
	(void)state;
	struct sub s[2];
	assert_true(subscribers(s));
	ping_ok(&s[0], &s[1], "1"); /* routes and neighbours are in place */
	char file[] = "/tmp/pi-e2e-capture-XXXXXX";
	int fd = mkstemp(file);
	assert_true(fd >= 0);
	close(fd);
	const char *lan = plan->links[s[0].f->link].name;
	char lan_label[300];
	snprintf(lan_label, sizeof(lan_label), "pi-%s:%s", plan->lab_name, lan);
	const char *cap[] = { "capture", s[0].label, s[1].label, lan, "-f", "icmp6", "-w", file, NULL };
	pid_t pid = spawn_bin(cap);
	sleep(3); /* it looks the lab up and opens its sockets */
	ping_ok(&s[0], &s[1], "3");
	sleep(1);
	assert_int_equal(kill(pid, SIGINT), 0);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	unsigned req, rep;
	const char *where[] = { s[0].label, s[1].label, lan_label };
	for (int k = 0; k < 3; k++) {
		echoes(file, where[k], &req, &rep);
		fprintf(stderr, "  %s: %u echo requests, %u replies\n", where[k], req, rep);
		assert_true(req >= 3);
		assert_true(rep >= 3);
	}
	/* tshark exits nonzero on a cut file: the whole file is read */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "tshark -r '%s' >/dev/null 2>&1", file);
	assert_int_equal(system(cmd), 0);
	unlink(file);
}

/* `capture ... | tshark -r -`: a packet is printed while the capture
 * (--duration 8) still runs. */
static void test_capture_streams(void **state)
{
	(void)state;
	struct sub s[2];
	assert_true(subscribers(s));
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
		 "'%s' capture '%s' -f 'icmp6 and ip6[40] == 128' --duration 8 -q | "
		 "tshark -l -r - -T fields -e frame.interface_name -e icmpv6.type 2>/dev/null",
		 bin, s[0].label);
	double t0 = pi_monotonic();
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	sleep(3);
	ping_ok(&s[0], &s[1], "2");
	char line[512] = "";
	assert_non_null(fgets(line, sizeof(line), p));
	double at = pi_monotonic() - t0;
	fprintf(stderr, "  first line after %.1f s: %s", at, line);
	assert_true(at < 7.5); /* before the capture's 8 s were up */
	char want[320];
	snprintf(want, sizeof(want), "%s\t128", s[0].label);
	assert_non_null(strstr(line, want));
	while (fgets(line, sizeof(line), p))
		;
	assert_int_equal(pclose(p), 0);
	assert_true(pi_monotonic() - t0 >= 8);
}

/* Mistakes are refused before anything is written: a typo, -w unchanged. */
static void test_capture_refusals(void **state)
{
	(void)state;
	struct sub s[2];
	assert_true(subscribers(s));
	char typo[320], file[] = "/tmp/pi-e2e-capture-XXXXXX";
	snprintf(typo, sizeof(typo), "%s:%sx", plan->nodes[s[0].node].name, s[0].f->name);
	int fd = mkstemp(file);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	struct pi_buf out;
	pi_buf_init(&out);
	const char *bad[] = { "capture", typo, "-w", file, NULL };
	assert_int_equal(run_bin_all(&out, bad), 2);
	assert_non_null(strstr(pi_buf_str(&out), "has no interface"));
	assert_non_null(strstr(pi_buf_str(&out), s[0].f->name)); /* offered as a near match */
	pi_buf_reset(&out);
	const char *filter[] = { "capture", s[0].label, "-f", "icmp6 and", "-w", file, NULL };
	assert_int_equal(run_bin_all(&out, filter), 2);
	assert_non_null(strstr(pi_buf_str(&out), "capture filter"));
	char buf[16] = "";
	fd = open(file, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 4);
	close(fd);
	assert_string_equal(buf, "keep");
	unlink(file);
	pi_buf_free(&out);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_ping),
		cmocka_unit_test(test_capture_streams),
		cmocka_unit_test(test_capture_refusals),
	};
	return e2e_main(argc, argv, "test-capture", tests, sizeof(tests) / sizeof(tests[0]), group_setup, e2e_teardown_lab);
}
