/*
 * Packet capture on a live kernel (apply/capture.c; suite 'apply', needs
 * root; exits 77, "skipped", otherwise). Throwaway namespaces
 * "pitest-hI-<pid>-a/-b/-lan": a veth pair between a and b, and a bridge in
 * lan with a port from each. UDP packets are sent from a to b while the
 * capture's sockets are open; the pcapng written is read back with libpcap
 * (and tshark when installed): what the filter let through, on which
 * interface, in which direction, cut to the snap length, with kernel times.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "pocketinternet/apply.h"
#include "pocketinternet/lab.h"
#include "pocketinternet/netlink.h"
#include "pocketinternet/pcapng.h"

enum { NS_A, NS_B, NS_LAN, NS_N };

struct fx {
	char ns[NS_N][48];
	struct pi_nl *h[NS_N];
	struct pi_capture_target p2p[2]; /* a:pca, b:pcb */
	struct pi_capture_target bridge; /* lan:picbr */
};

static void ok(struct pi_nl *nl, int rc)
{
	if (rc != 0)
		fail_msg("netlink: %d %s", rc, pi_nl_strerror(nl));
}

static void addr(struct pi_nl *nl, const char *ifname, const char *a)
{
	struct pi_prefix p;
	assert_int_equal(pi_prefix_parse(a, &p), 0);
	ok(nl, pi_nl_addr_add(nl, ifname, &p));
	ok(nl, pi_nl_link_set_up(nl, ifname));
}

static void target(struct pi_capture_target *t, const char *ns, const char *ifname, bool promisc)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->netns, sizeof(t->netns), "%s/%s", PI_NL_NETNS_DIR, ns);
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifname);
	snprintf(t->label, sizeof(t->label), "%c:%s", ns[strlen(ns) - 1], ifname);
	t->promisc = promisc;
}

/* a <-> b directly (pca/pcb, 10.99.0.0/30) and through a bridge in lan
 * (pla/plb, 10.99.1.0/24; bridge side ppa/ppb). */
static void wire(struct fx *f)
{
	struct pi_nl **h = f->h;
	ok(h[NS_A], pi_nl_veth_create(h[NS_A], &(struct pi_nl_veth){ .name = "pca", .peer = "pcb", .ns_fd = -1,
								  .peer_ns_fd = pi_nl_ns_fd(h[NS_B]), .up = true }));
	ok(h[NS_LAN], pi_nl_bridge_create(h[NS_LAN], "picbr", 0));
	ok(h[NS_LAN], pi_nl_link_set_up(h[NS_LAN], "picbr"));
	ok(h[NS_A], pi_nl_veth_create(h[NS_A], &(struct pi_nl_veth){ .name = "pla", .peer = "ppa", .ns_fd = -1,
								  .peer_ns_fd = pi_nl_ns_fd(h[NS_LAN]), .up = true }));
	ok(h[NS_B], pi_nl_veth_create(h[NS_B], &(struct pi_nl_veth){ .name = "plb", .peer = "ppb", .ns_fd = -1,
								  .peer_ns_fd = pi_nl_ns_fd(h[NS_LAN]), .up = true }));
	for (int i = 0; i < 2; i++) {
		const char *port = i ? "ppb" : "ppa";
		ok(h[NS_LAN], pi_nl_link_set_master(h[NS_LAN], port, "picbr"));
		ok(h[NS_LAN], pi_nl_link_set_up(h[NS_LAN], port));
	}
	addr(h[NS_A], "pca", "10.99.0.1/30");
	addr(h[NS_B], "pcb", "10.99.0.2/30");
	addr(h[NS_A], "pla", "10.99.1.1/24");
	addr(h[NS_B], "plb", "10.99.1.2/24");
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	static const char *const tail[NS_N] = { "a", "b", "lan" };
	for (int i = 0; i < NS_N; i++) {
		snprintf(f->ns[i], sizeof(f->ns[i]), "pitest-hI-%d-%s", (int)getpid(), tail[i]);
		pi_nl_netns_delete(f->ns[i]); /* a crashed run's leftover */
		if (pi_nl_netns_create(f->ns[i]) || pi_nl_open_netns_name(f->ns[i], &f->h[i]))
			return -1;
	}
	wire(f);
	target(&f->p2p[0], f->ns[NS_A], "pca", false);
	target(&f->p2p[1], f->ns[NS_B], "pcb", false);
	target(&f->bridge, f->ns[NS_LAN], "picbr", true);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < NS_N; i++) {
		pi_nl_close(f->h[i]);
		pi_nl_netns_delete(f->ns[i]);
	}
	free(f);
	return 0;
}

/* n datagrams of len bytes from a to dst:port, payload byte k = seq. */
static void send_udp(struct fx *f, const char *dst, unsigned port, unsigned n, size_t len)
{
	int fd = pi_nl_socket(f->h[NS_A], AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	assert_int_equal(inet_pton(AF_INET, dst, &sa.sin_addr), 1);
	uint8_t buf[1500];
	assert_true(len <= sizeof(buf));
	for (unsigned k = 0; k < n; k++) {
		memset(buf, (int)k, len);
		assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)), (ssize_t)len);
	}
	close(fd);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct out {
	char path[64];
	int fd;
	struct pi_pcap_writer w;
};

/* Opens the capture, sends, captures for `seconds`, writes a pcapng. */
static struct pi_capture_stats capture(const struct pi_capture_target *t, size_t n, struct pi_capture_opts *o,
				       struct fx *f, const char *dst, unsigned udp, struct out *out)
{
	struct pi_capture *c;
	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_apply_capture_open_targets(t, n, o, &c, &diag);
	if (rc) {
		pi_diag_print(&diag, stderr);
		fail_msg("capture open: %s", strerror(-rc));
	}
	pi_diag_free(&diag);
	snprintf(out->path, sizeof(out->path), "/tmp/pi-test-capture-XXXXXX");
	out->fd = mkstemp(out->path);
	assert_true(out->fd >= 0);
	assert_int_equal(pi_apply_capture_writer_begin(c, &out->w, false, pi_pcap_write_fd, &out->fd), 0);
	send_udp(f, dst, 8888, 3, 100); /* the filters below leave these out */
	send_udp(f, dst, 9999, udp, 100);
	struct pi_capture_stats st;
	assert_int_equal(pi_apply_capture_run(c, pi_apply_capture_write_packet, &out->w, &st), 0);
	assert_int_equal(st.packets, out->w.packets);
	pi_pcap_writer_free(&out->w);
	close(out->fd);
	pi_apply_capture_close(c);
	return st;
}

struct seen {
	unsigned n;
	unsigned caplen[32], len[32];
	uint64_t ts[32];
	uint16_t dport[32];
	uint8_t seq[32];
};

static void read_back(const char *path, struct seen *s)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	if (!pc)
		fail_msg("libpcap cannot read %s: %s", path, err);
	struct pcap_pkthdr *h;
	const u_char *d;
	memset(s, 0, sizeof(*s));
	while (pcap_next_ex(pc, &h, &d) == 1 && s->n < 32) {
		s->caplen[s->n] = h->caplen;
		s->len[s->n] = h->len;
		s->ts[s->n] = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
		assert_true(h->caplen >= 14 + 20 + 8 + 1);
		assert_int_equal(d[12] << 8 | d[13], 0x0800); /* IPv4 */
		assert_int_equal(d[14 + 9], 17);               /* UDP */
		s->dport[s->n] = (uint16_t)(d[14 + 20 + 2] << 8 | d[14 + 20 + 3]);
		s->seq[s->n] = d[14 + 20 + 8];
		s->n++;
	}
	pcap_close(pc);
}

/* Both ends of the p2p veth: every datagram twice (sent on a, received on
 * b), nothing the filter leaves out, times in order and in the window. */
static void test_capture_p2p(void **state)
{
	struct fx *f = *state;
	struct pi_capture_opts o = { .filter = "udp port 9999", .duration_s = 1.0 };
	struct out out;
	uint64_t t0 = now_ns();
	struct pi_capture_stats st = capture(f->p2p, 2, &o, f, "10.99.0.2", 5, &out);
	uint64_t t1 = now_ns();
	assert_int_equal(st.stop, PI_CAPTURE_DURATION);
	assert_int_equal(st.packets, 10);
	assert_int_equal(st.drops, 0);
	struct seen s;
	read_back(out.path, &s);
	assert_int_equal(s.n, 10);
	unsigned per_seq[5] = { 0 };
	for (unsigned k = 0; k < s.n; k++) {
		assert_int_equal(s.dport[k], 9999);
		assert_int_equal(s.len[k], 14 + 20 + 8 + 100);
		assert_int_equal(s.caplen[k], s.len[k]);
		assert_true(s.ts[k] >= t0 && s.ts[k] <= t1);
		if (k)
			assert_true(s.ts[k] >= s.ts[k - 1]); /* handed over in time order */
		assert_true(s.seq[k] < 5);
		per_seq[s.seq[k]]++;
	}
	for (unsigned q = 0; q < 5; q++)
		assert_int_equal(per_seq[q], 2);
	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		fprintf(stderr, "test_capture_p2p: tshark is not installed; interface names not checked\n");
	} else {
		char cmd[256];
		snprintf(cmd, sizeof(cmd),
			 "tshark -r %s -T fields -e frame.interface_name -e frame.packet_flags_direction 2>/dev/null "
			 "| sort | uniq -c | awk '{print $1, $2, $3}'",
			 out.path);
		FILE *p = popen(cmd, "r");
		char got[256] = "";
		size_t len = fread(got, 1, sizeof(got) - 1, p);
		got[len] = 0;
		pclose(p);
		/* direction 1 inbound, 2 outbound (Wireshark 3.x prints 0x00000001) */
		assert_non_null(strstr(got, "5 a:pca "));
		assert_non_null(strstr(got, "5 b:pcb "));
		assert_true(strstr(got, "5 a:pca 2") || strstr(got, "5 a:pca 0x00000002"));
		assert_true(strstr(got, "5 b:pcb 1") || strstr(got, "5 b:pcb 0x00000001"));
	}
	unlink(out.path);
}

/* A LAN at its bridge: unicast between two ports is forwarded, not passed
 * up, unless the bridge is promiscuous; every datagram is seen once. */
static void test_capture_bridge(void **state)
{
	struct fx *f = *state;
	struct pi_capture_opts o = { .filter = "udp port 9999", .duration_s = 1.0 };
	struct out out;
	/* ARP first, so that the datagrams are known unicast to the bridge */
	send_udp(f, "10.99.1.2", 7777, 1, 10);
	usleep(200000);
	struct pi_capture_stats st = capture(&f->bridge, 1, &o, f, "10.99.1.2", 4, &out);
	assert_int_equal(st.packets, 4);
	struct seen s;
	read_back(out.path, &s);
	assert_int_equal(s.n, 4);
	for (unsigned k = 0; k < 4; k++)
		assert_int_equal(s.seq[k], k);
	unlink(out.path);
}

/* -c: stops at the count, long before the duration. Snap length: cut. */
static void test_capture_count_snaplen(void **state)
{
	struct fx *f = *state;
	struct pi_capture_opts o = { .filter = "udp port 9999", .duration_s = 20, .count = 3, .snaplen = 64 };
	struct out out;
	double t0 = pi_monotonic();
	struct pi_capture_stats st = capture(&f->p2p[1], 1, &o, f, "10.99.0.2", 5, &out);
	assert_true(pi_monotonic() - t0 < 5);
	assert_int_equal(st.stop, PI_CAPTURE_COUNT);
	assert_int_equal(st.packets, 3);
	struct seen s;
	read_back(out.path, &s);
	assert_int_equal(s.n, 3);
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(s.caplen[k], 64);
		assert_int_equal(s.len[k], 14 + 20 + 8 + 100);
		assert_int_equal(s.seq[k], k);
	}
	unlink(out.path);
}

static int stop_pipe(void *ctx, const struct pi_capture_packet *p)
{
	(*(unsigned *)ctx)++;
	return -EPIPE;
}

/* A cancel already set ends at once; a callback's error ends it with that error. */
static void test_capture_stop(void **state)
{
	struct fx *f = *state;
	volatile int cancel = 1;
	struct pi_capture_opts o = { .duration_s = 20, .cancel = &cancel };
	struct pi_capture *c;
	struct pi_diag diag;
	pi_diag_init(&diag);
	assert_int_equal(pi_apply_capture_open_targets(f->p2p, 2, &o, &c, &diag), 0);
	struct pi_capture_stats st;
	unsigned calls = 0;
	double t0 = pi_monotonic();
	assert_int_equal(pi_apply_capture_run(c, stop_pipe, &calls, &st), 0);
	assert_int_equal(st.stop, PI_CAPTURE_CANCEL);
	assert_true(pi_monotonic() - t0 < 1);
	pi_apply_capture_close(c);
	cancel = 0;
	assert_int_equal(pi_apply_capture_open_targets(f->p2p, 2, &o, &c, &diag), 0);
	send_udp(f, "10.99.0.2", 9999, 2, 10);
	assert_int_equal(pi_apply_capture_run(c, stop_pipe, &calls, &st), -EPIPE);
	assert_int_equal(st.stop, PI_CAPTURE_CALLBACK);
	assert_int_equal(calls, 1);
	assert_int_equal(st.packets, 0);
	pi_apply_capture_close(c);
	assert_int_equal(pi_diag_count(&diag), 0);
	pi_diag_free(&diag);
}

static void expect_error(const struct pi_capture_target *t, const struct pi_capture_opts *o, int err,
			 const char *words)
{
	struct pi_capture *c = (struct pi_capture *)&c;
	struct pi_diag diag;
	pi_diag_init(&diag);
	assert_int_equal(pi_apply_capture_open_targets(t, 1, o, &c, &diag), err);
	assert_null(c);
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	pi_diag_print(&diag, m);
	fclose(m);
	if (!strstr(text, words))
		fail_msg("'%s' not in: %s", words, text);
	free(text);
	pi_diag_free(&diag);
}

static void test_capture_errors(void **state)
{
	struct fx *f = *state;
	struct pi_capture_opts o = { .filter = "udp port" };
	expect_error(&f->p2p[0], &o, -EINVAL, "capture filter 'udp port'");
	o.filter = NULL;
	struct pi_capture_target t = f->p2p[0];
	snprintf(t.ifname, sizeof(t.ifname), "nosuch0");
	expect_error(&t, &o, -ENODEV, "interface nosuch0 is absent");
	t = f->p2p[0];
	snprintf(t.netns, sizeof(t.netns), "%s/pitest-hI-none", PI_NL_NETNS_DIR);
	expect_error(&t, &o, -ENOENT, "pitest-hI-none");
}

/* ---- through the lab's names: the fake backend's nodes are processes
 * parked in the test's namespaces ---- */

/* A child that sits in netns ns until killed; its pid. */
static pid_t park_in(const char *ns)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = pi_nl_netns_open(ns);
		char ok = fd >= 0 && setns(fd, CLONE_NEWNET) == 0;
		if (write(p[1], &ok, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	char ok = 0;
	assert_int_equal(read(p[0], &ok, 1), 1);
	assert_true(ok);
	close(p[0]);
	close(p[1]);
	return pid;
}

static struct pi_plan *default_plan(struct pi_lab **lab)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/labs/lab.yml", getenv("PI_SOURCE_DIR"));
	struct pi_plan *plan = NULL;
	struct pi_diag d;
	pi_diag_init(&d);
	assert_int_equal(pi_lab_load(path, getenv("POCKETINTERNET_BLUEPRINTS"), lab, &d), 0);
	assert_int_equal(pi_plan_build(*lab, &plan, &d), 0);
	pi_diag_free(&d);
	return plan;
}

static void fake_node(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, pid_t pid)
{
	struct pi_node_state *s = pi_vec_push(&pi_backend_fake_state(b)->nodes);
	snprintf(s->lab, sizeof(s->lab), "%s", plan->lab_name);
	snprintf(s->node, sizeof(s->node), "%s", plan->nodes[node].name);
	snprintf(s->state, sizeof(s->state), "running");
	s->running = true;
	s->pid = pid;
}

static int count_iface(void *ctx, const struct pi_capture_packet *p)
{
	((unsigned *)ctx)[p->iface]++;
	return 0;
}

/* A p2p link of the default lab named as a--b: both ends, labelled
 * node:iface, in the nodes' namespaces; one end of it by node:iface; the
 * node alone fails on its interfaces this test did not make. */
static void test_capture_lab_names(void **state)
{
	struct fx *f = *state;
	struct pi_lab *lab;
	struct pi_plan *plan = default_plan(&lab);
	const struct pi_plan_link *lk = NULL;
	for (uint32_t l = 0; l < plan->n_links && !lk; l++)
		if (plan->links[l].kind == PI_LINK_P2P)
			lk = &plan->links[l];
	const struct pi_plan_iface *ea = &plan->ifaces[lk->ifaces[0]], *eb = &plan->ifaces[lk->ifaces[1]];
	ok(f->h[NS_A], pi_nl_veth_create(f->h[NS_A], &(struct pi_nl_veth){ .name = ea->name, .peer = eb->name,
									 .ns_fd = -1, .peer_ns_fd = pi_nl_ns_fd(f->h[NS_B]),
									 .up = true }));
	addr(f->h[NS_A], ea->name, "10.99.2.1/30");
	addr(f->h[NS_B], eb->name, "10.99.2.2/30");
	pid_t pa = park_in(f->ns[NS_A]), pb = park_in(f->ns[NS_B]);
	struct pi_backend b;
	assert_int_equal(pi_backend_open(&b, &pi_backend_fake, NULL), 0);
	fake_node(&b, plan, ea->node, pa);
	fake_node(&b, plan, eb->node, pb);
	char pair[300], la[300], lb[300];
	snprintf(pair, sizeof(pair), "%s--%s", plan->nodes[eb->node].name, plan->nodes[ea->node].name);
	pi_apply_iface_label(plan, lk->ifaces[0], la, sizeof(la));
	pi_apply_iface_label(plan, lk->ifaces[1], lb, sizeof(lb));
	const char *specs[] = { pair, la }; /* la twice: captured once */
	struct pi_capture_opts o = { .filter = "udp port 9999", .duration_s = 1 };
	struct pi_capture *c;
	struct pi_diag d;
	pi_diag_init(&d);
	assert_int_equal(pi_apply_capture_open(&b, plan, specs, 2, &o, &c, &d), 0);
	assert_int_equal(pi_apply_capture_count(c), 2);
	assert_string_equal(pi_apply_capture_target(c, 0)->label, la);
	assert_string_equal(pi_apply_capture_target(c, 1)->label, lb);
	assert_non_null(strstr(pi_apply_capture_target(c, 0)->descr, lk->name));
	send_udp(f, "10.99.2.2", 9999, 3, 20);
	unsigned seen[2] = { 0 };
	assert_int_equal(pi_apply_capture_run(c, count_iface, seen, NULL), 0);
	assert_int_equal(seen[0], 3);
	assert_int_equal(seen[1], 3);
	pi_apply_capture_close(c);
	/* the node alone: its other plan interfaces are not in this netns */
	const char *node = plan->nodes[ea->node].name;
	assert_true(plan->nodes[ea->node].n_ifaces > 1);
	assert_int_equal(pi_apply_capture_open(&b, plan, &node, 1, &o, &c, &d), -ENODEV);
	assert_null(c);
	pi_diag_free(&d);
	pi_backend_close(&b);
	kill(pa, SIGKILL);
	kill(pb, SIGKILL);
	waitpid(pa, NULL, 0);
	waitpid(pb, NULL, 0);
	pi_plan_free(plan);
	pi_lab_free(lab);
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "test_capture: needs root (network namespaces); skipped\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_p2p),
		cmocka_unit_test(test_capture_bridge),
		cmocka_unit_test(test_capture_count_snaplen),
		cmocka_unit_test(test_capture_stop),
		cmocka_unit_test(test_capture_errors),
		cmocka_unit_test(test_capture_lab_names),
	};
	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
