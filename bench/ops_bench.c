/*
 * pi-bench-ops: what operating a running lab costs (docs/performance.md,
 * "Operations"). As root, Docker up; never run by the tests.
 *
 *   reroute    a multihomed stub's border router pings a router of another
 *              stub every 10 ms (raw ICMP from the host, in the border's
 *              netns); one uplink at a time goes down (pi_apply_link_updown);
 *              the time from the call to the first reply after replies
 *              stopped is the reroute time (the uplink whose loss stopped
 *              no reply was not in use, and the other is tried);
 *   reconcile  the same lab with one pod more, applied by pi_apply_reconcile,
 *              against the full setup of the lab (pi_apply_setup).
 *   verify     with --verify-sizes N,M: pi_apply_verify (what `verify` runs)
 *              on generated labs of N, M pods: its time, the ping pairs per
 *              family and the probe rate.
 * Targets: reroute within 10 s; reconcile of one pod within 10% of a full
 * setup; verify of the 100-pod lab within 60 s.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "bench_lab.h"
#include "pocketinternet/apply.h"
#include "pocketinternet/netlink.h"

static uint16_t csum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* One echo to dst from fd (a raw ICMP socket in the source's netns); true on a reply within ms. */
static bool echo(int fd, const struct pi_prefix *dst, uint16_t seq, unsigned ms)
{
	uint8_t pkt[16] = { ICMP_ECHO, 0, 0, 0, 0x70, 0x69, (uint8_t)(seq >> 8), (uint8_t)seq };
	uint16_t c = csum(pkt, sizeof(pkt));
	pkt[2] = (uint8_t)(c >> 8);
	pkt[3] = (uint8_t)c;
	struct sockaddr_in to = { .sin_family = AF_INET };
	memcpy(&to.sin_addr, dst->addr, 4);
	if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return false;
	double deadline = pi_monotonic() + ms / 1000.0;
	for (;;) {
		int left = (int)((deadline - pi_monotonic()) * 1000);
		struct pollfd p = { fd, POLLIN, 0 };
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return false;
		uint8_t buf[256];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 28)
			continue;
		const uint8_t *icmp = buf + (buf[0] & 0x0f) * 4;
		if (icmp[0] == ICMP_ECHOREPLY && icmp[4] == 0x70 && icmp[5] == 0x69 && icmp[6] == (uint8_t)(seq >> 8) &&
		    icmp[7] == (uint8_t)seq)
			return true;
	}
}

struct cast {
	uint32_t border;   /* the multihomed stub's border router */
	uint32_t uplink[2];
	struct pi_prefix target;
};

static uint32_t pod_border(const struct pi_plan *p, uint32_t pod)
{
	for (uint32_t i = 0; i < p->n_nodes; i++)
		if (p->nodes[i].pod == pod && (p->nodes[i].services & PI_SVC_EBGP))
			return i;
	return PI_NONE;
}

/* A stub with two providers, and a router of another stub to ping. */
static int find_cast(const struct pi_plan *p, struct cast *c, uint32_t from)
{
	for (uint32_t s = from; s < p->n_pods; s++) {
		unsigned k = 0;
		for (uint32_t i = 0; i < p->n_rels && k < 2; i++)
			if (p->rels[i].rel == PI_REL_CUSTOMER && p->rels[i].b == s && p->pods[s].tier == PI_TIER_STUB)
				c->uplink[k++] = p->rels[i].link;
		if (k < 2)
			continue;
		c->border = pod_border(p, s);
		return 0;
	}
	return -ENOENT;
}

/* The uplink (index into c->uplink) the border's kernel route toward pod t
 * leaves by, or -1 (another way: a peer, an IXP). */
static int route_uplink(const struct pi_plan *p, const struct cast *c, struct pi_nl *nl, uint32_t t)
{
	struct pi_vec rt = PI_VEC_INIT(struct pi_nl_route_prefix);
	int k = -1;
	pi_nl_route_prefixes(nl, &rt);
	for (size_t i = 0; i < rt.len && k < 0; i++) {
		const struct pi_nl_route_prefix *r = pi_vec_at(&rt, i);
		if (r->addr || !pi_prefix_equal(&r->prefix, &p->pods[t].v4))
			continue;
		for (int u = 0; u < 2; u++) {
			const struct pi_plan_link *lk = &p->links[c->uplink[u]];
			for (uint32_t f = 0; f < lk->n_ifaces; f++)
				if (p->ifaces[lk->ifaces[f]].node == c->border && strcmp(p->ifaces[lk->ifaces[f]].name, r->dev) == 0)
					k = u;
		}
	}
	pi_vec_free(&rt);
	return k;
}

/* A stub whose traffic from the border takes one of its uplinks: the target. */
static int pick_target(const struct pi_plan *p, struct cast *c, struct pi_nl *nl)
{
	for (uint32_t t = 0; t < p->n_pods; t++) {
		if (p->pods[t].tier == PI_TIER_IXP || pod_border(p, t) == PI_NONE || t == p->nodes[c->border].pod)
			continue;
		int u = route_uplink(p, c, nl, t);
		if (u >= 0) {
			c->target = pi_prefix_as_host(&p->nodes[pod_border(p, t)].lo4);
			return u;
		}
	}
	return -1;
}

/* Pings every 5 ms for 3 s after taking the uplink down: the longest time
 * without a reply, from the call on, is how long traffic stopped (the
 * reroute time); under 25 ms means no probe was lost. */
static double reroute(struct pi_backend *b, const struct pi_plan *p, const struct cast *c, uint32_t link, int fd)
{
	struct pi_link_ref ref = { link, PI_NONE };
	struct pi_diag d;
	pi_diag_init(&d);
	double t0 = pi_monotonic(), last = t0, gap = 0;
	int rc = pi_apply_link_updown(b, p, NULL, &ref, false, &d);
	for (uint16_t seq = 1; rc == 0 && pi_monotonic() - t0 < 3 + gap; seq++) {
		if (echo(fd, &c->target, seq, 20)) {
			double now = pi_monotonic();
			if (now - last > gap)
				gap = now - last;
			last = now;
		}
		usleep(5000);
		if (pi_monotonic() - last > 30)
			break; /* never came back */
	}
	if (pi_monotonic() - last > gap)
		gap = pi_monotonic() - last;
	pi_apply_link_updown(b, p, NULL, &ref, true, &d);
	pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	return rc ? -1 : gap;
}

static int open_probe(struct pi_backend *b, const struct pi_plan *p, uint32_t node, struct pi_nl **nl)
{
	struct pi_node_state st;
	if (b->ops->inspect(b, p->lab_name, p->nodes[node].name, &st, NULL) || !st.running)
		return -ESRCH;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", st.pid);
	int rc = pi_nl_open_netns_path(path, nl);
	int fd = rc ? rc : pi_nl_socket(*nl, AF_INET, SOCK_RAW, IPPROTO_ICMP);
	/* From the loopback: an IXP LAN address, which the kernel could pick
	 * as the source, is not routed beyond the IXP's members. */
	struct sockaddr_in src = { .sin_family = AF_INET };
	memcpy(&src.sin_addr, p->nodes[node].lo4.addr, 4);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void wait_up(struct pi_backend *b, const struct pi_plan *p)
{
	for (int t = 0; t < 120; t++) {
		struct pi_status st;
		pi_apply_status(b, p, 8, &st, NULL);
		bool up = st.all_up;
		pi_status_free(&st);
		if (up)
			return;
		sleep(1);
	}
}

/* The first multihomed stub that reaches some pod through one of its
 * uplinks (many reach everything over an IXP): its probe socket and k. */
static int find_probe(struct pi_backend *b, const struct pi_plan *p, struct cast *c, struct pi_nl **nl, int *k)
{
	for (uint32_t from = 0; find_cast(p, c, from) == 0; from = p->nodes[c->border].pod + 1) {
		int fd = open_probe(b, p, c->border, nl);
		if (fd >= 0 && (*k = pick_target(p, c, *nl)) >= 0)
			return fd;
		if (fd >= 0)
			close(fd);
		pi_nl_close(*nl);
		*nl = NULL;
	}
	return -ENOENT;
}

static void bench_reroute(struct pi_backend *b, const struct pi_plan *p)
{
	struct cast c;
	struct pi_nl *nl = NULL;
	int k;
	wait_up(b, p);
	int fd = find_probe(b, p, &c, &nl, &k);
	char dst[PI_PREFIX_STRLEN];
	if (fd < 0) {
		fprintf(stderr, "pi-bench-ops: no multihomed stub reaches a pod through an uplink\n");
		return;
	}
	bool reach = false;
	for (uint16_t seq = 60000; seq < 60100 && !reach; seq++)
		reach = echo(fd, &c.target, seq, 50);
	if (reach) {
		double s = reroute(b, p, &c, c.uplink[k], fd);
		printf("| reroute | %s pings %s; %s, which carries it, goes down | traffic stopped for %.3f s |\n",
		       p->nodes[c.border].name, pi_prefix_fmt_addr(&c.target, dst), p->links[c.uplink[k]].name, s);
	} else {
		fprintf(stderr, "pi-bench-ops: %s does not answer %s's pings\n", pi_prefix_fmt_addr(&c.target, dst),
			p->nodes[c.border].name);
	}
	wait_up(b, p);
	close(fd);
	pi_nl_close(nl);
}

static struct pi_plan *pinned_plan(const char *name, unsigned pods, unsigned more_bb, unsigned more_content,
				    struct pi_lab **lab, struct pi_plan_pins *pins)
{
	char *text = bench_gen_lab_more(name, pods, more_bb, more_content);
	struct pi_plan *plan = NULL;
	struct pi_diag d;
	pi_diag_init(&d);
	if (pi_lab_load_mem(name, text, strlen(text), pi_default_blueprint_dir(), lab, &d) == 0)
		pi_plan_build_pinned(*lab, pins, &plan, &d);
	pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	free(text);
	return plan;
}

static bool trace;

/* --trace: every progress report, with the time since the step began. */
static void trace_progress(void *ctx, enum pi_phase phase, size_t done, size_t total, const char *detail)
{
	double *t0 = ctx;
	fprintf(stderr, "%7.2f %-9s %zu/%zu %s\n", pi_monotonic() - *t0, pi_phase_name(phase), done, total,
		detail ? detail : "");
}

/* Reconciles the running lab to one pod more: more_bb and more_content
 * count the pods beyond the generated `pods`, the new one included. */
static double bench_reconcile(struct pi_backend *b, const char *name, unsigned pods, unsigned more_bb,
			      unsigned more_content, double full_s)
{
	struct pi_plan_pins *pins = NULL;
	struct pi_lab *lab = NULL;
	struct pi_diag d;
	pi_diag_init(&d);
	pi_apply_load_pins(NULL, name, &pins, &d);
	struct pi_plan *plan = pinned_plan(name, pods, more_bb, more_content, &lab, pins);
	double t0 = pi_monotonic();
	struct pi_apply_opts o = { .parallel = 8, .progress = trace ? trace_progress : NULL, .ctx = &t0 };
	struct pi_apply_result res;
	int rc = plan ? pi_apply_reconcile(b, pins, plan, &o, &res, &d) : -EINVAL;
	pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	if (rc == 0) {
		unsigned n = plan->n_pods;
		const char *kind = more_content > more_bb ? "content" : "broadband", *pod = "?";
		for (unsigned k = 0; k < n; k++) /* the new one: the last of its kind */
			if (strncmp(plan->pods[k].name, kind, strlen(kind)) == 0)
				pod = plan->pods[k].name;
		double work = res.total_s - res.phase_s[PI_PHASE_CONVERGE];
		printf("| reconcile: one %s pod (%s) | %u -> %u pods: %u nodes created, %u reconfigured, %u kept | "
		       "%.1f s (%.0f%% of the full setup's %.1f s) |\n",
		       kind, pod, n - 1, n, res.containers, res.reconfigured, res.kept, res.total_s,
		       100 * res.total_s / full_s, full_s);
		printf("| of which | the work (render, remove, create, wire, reload) and the new routers' convergence | "
		       "%.1f s (%.0f%%) + %.1f s |\n",
		       work, 100 * work / full_s, res.phase_s[PI_PHASE_CONVERGE]);
	}
	pi_plan_free(plan);
	pi_lab_free(lab);
	pi_plan_pins_free(pins);
	return rc == 0 ? res.total_s : -1;
}

static size_t failed_checks(const struct pi_vec *checks)
{
	size_t n = 0;
	for (size_t i = 0; i < checks->len; i++)
		n += !((const struct pi_verify_check *)pi_vec_at(checks, i))->ok;
	return n;
}

/* What failed, so a FAILED row can be looked into. */
static void print_verify_failures(const struct pi_verify *v)
{
	fprintf(stderr, "verify failed: IPv4 %lu, IPv6 %lu pairs; DNS %zu, HTTP %zu checks; %zu policy violations\n",
		v->reach[0].failed, v->reach[1].failed, failed_checks(&v->dns), failed_checks(&v->http),
		v->violations.len);
}

static void bench_verify(struct pi_backend *b, unsigned pods)
{
	char name[32];
	snprintf(name, sizeof(name), "benchv%u", pods);
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_teardown_result tr;
	pi_apply_teardown(b, name, NULL, 0, &tr, &d);
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = pinned_plan(name, pods, 0, 0, &lab, NULL);
	double t0 = pi_monotonic();
	struct pi_apply_opts o = { .parallel = 8, .build_image = true, .rollback = true,
				   .progress = trace ? trace_progress : NULL, .ctx = &t0 };
	struct pi_apply_result res;
	if (plan && pi_apply_setup(b, plan, &o, &res, &d) == 0 && res.converged) {
		struct pi_verify v;
		/* As `setup --verify` does: the lab settles (DHCP leases, the last
		 * routes) for up to 20 s; then one verify is timed, the run a
		 * trainer makes after a change. */
		double settle = pi_monotonic();
		for (;;) {
			pi_apply_verify(b, plan, PI_VERIFY_ALL, 8, &v, &d);
			bool done = v.passed || pi_monotonic() - settle > 20;
			pi_verify_free(&v);
			if (done)
				break;
			sleep(2);
		}
		printf("| verify | %u pods: settled after setup | %.1f s |\n", pods, pi_monotonic() - settle);
		t0 = pi_monotonic();
		pi_apply_verify(b, plan, PI_VERIFY_ALL, 8, &v, &d);
		double s = pi_monotonic() - t0;
		unsigned long pairs = v.reach[0].pairs + v.reach[1].pairs;
		double reach_s = v.reach[0].seconds + v.reach[1].seconds;
		printf("| verify | %u pods, %u nodes: %lu + %lu ping pairs (IPv4 + IPv6), %zu DNS, %zu HTTP, %s | %.1f s (pings %.1f s: %.0f probes/s) |\n",
		       pods, plan->n_nodes, v.reach[0].pairs, v.reach[1].pairs, v.dns.len, v.http.len,
		       v.passed ? "passed" : "FAILED", s, reach_s, reach_s > 0 ? pairs / reach_s : 0.0);
		if (!v.passed)
			print_verify_failures(&v);
		pi_verify_free(&v);
	}
	pi_diag_print(&d, stderr);
	pi_apply_teardown(b, name, NULL, 0, &tr, &d);
	pi_diag_free(&d);
	pi_plan_free(plan);
	pi_lab_free(lab);
}

int main(int argc, char **argv)
{
	unsigned pods = 30, vsizes[8], nv = 0;
	int c;
	static const struct option opts[] = { { "pods", required_argument, NULL, 'p' },
					      { "verify-sizes", required_argument, NULL, 'v' },
					      { "trace", no_argument, NULL, 't' }, { NULL, 0, NULL, 0 } };
	while ((c = getopt_long(argc, argv, "p:v:th", opts, NULL)) != -1) {
		if (c == 't') {
			trace = true;
		} else if (c == 'v') {
			for (char *t = strtok(optarg, ","); t && nv < 8; t = strtok(NULL, ","))
				vsizes[nv++] = (unsigned)atoi(t);
		} else if (c != 'p') {
			printf("usage: pi-bench-ops [--pods N] [--verify-sizes N,M] [--trace]   (as root, Docker up)\n");
			return c == 'h' ? 0 : 2;
		} else {
			pods = (unsigned)atoi(optarg);
		}
	}
	struct pi_backend b;
	struct pi_diag d;
	pi_diag_init(&d);
	if (pi_backend_open(&b, &pi_backend_docker, &d)) {
		pi_diag_print(&d, stderr);
		return 1;
	}
	if (nv) { /* only verify */
		printf("| what | how | result |\n|---|---|---|\n");
		for (unsigned k = 0; k < nv; k++)
			bench_verify(&b, vsizes[k]);
		pi_backend_close(&b);
		return 0;
	}
	const char *name = "benchops";
	struct pi_teardown_result tr;
	pi_apply_teardown(&b, name, NULL, 0, &tr, &d);
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = pinned_plan(name, pods, 0, 0, &lab, NULL);
	double t0 = pi_monotonic();
	struct pi_apply_opts o = { .parallel = 8, .build_image = true, .rollback = true,
				   .progress = trace ? trace_progress : NULL, .ctx = &t0 };
	struct pi_apply_result res;
	if (!plan || pi_apply_setup(&b, plan, &o, &res, &d) || !res.converged) {
		pi_diag_print(&d, stderr);
		return 1;
	}
	printf("| what | how | result |\n|---|---|---|\n");
	printf("| full setup | %u pods, %u nodes | %.1f s |\n", pods, plan->n_nodes, res.total_s);
	bench_reroute(&b, plan);
	/* A pod with one router, then one whose routers run iBGP over OSPF. */
	bench_reconcile(&b, name, pods, 0, 1, res.total_s);
	bench_reconcile(&b, name, pods, 1, 1, res.total_s);
	pi_apply_teardown(&b, name, NULL, 0, &tr, &d);
	pi_diag_print(&d, stderr);
	pi_diag_free(&d);
	pi_plan_free(plan);
	pi_lab_free(lab);
	pi_backend_close(&b);
	return 0;
}
