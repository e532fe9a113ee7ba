/*
 * render/nat: carrier-grade NAT44 with nftables and NAT64 with tayga.
 *
 * NAT44 rewrites the sources of a pod's CGNAT subscribers (cgnat_pool, in
 * 100.64.0.0/10) to its public nat44_pool; the pod's routers send the
 * pool's return traffic to the NAT node (bird.c). NAT64 maps the pod's
 * NAT64 prefix onto nat64_pool; start.sh creates the tun device and its
 * routes before starting tayga.
 */
#include <stdio.h>
#include <string.h>
#include "render_int.h"

/* The ranges tayga 0.9.2 (addrmap.c) refuses behind the well-known prefix. */
static const char *const wkp_forbidden4[] = {
	"10.0.0.0/8",	  "100.64.0.0/10",   "172.16.0.0/12",  "192.0.2.0/24",
	"192.168.0.0/16", "198.18.0.0/15",   "198.51.100.0/24", "203.0.113.0/24",
};

void pi_render_nat64_prefix(const struct pi_plan *plan, uint32_t pod, struct pi_prefix *out)
{
	const struct pi_plan_pod *p = &plan->pods[pod];
	bool private = false;
	for (size_t i = 0; i < PI_ARRAY_LEN(wkp_forbidden4); i++) {
		struct pi_prefix f;
		pi_prefix_parse(wkp_forbidden4[i], &f);
		if (pi_prefix_is_set(&plan->v4) && pi_prefix_overlaps(&f, &plan->v4))
			private = true;
	}
	if (private && p->v6.family == PI_AF_V6 && p->v6.len <= 96) {
		struct pi_prefix agg = pi_prefix_network(&p->v6);
		uint64_t n = pi_prefix_count(&agg, 96);
		if (n != UINT64_MAX && pi_prefix_subnet(&agg, 96, n - 1, out) == 0)
			return;
	}
	pi_prefix_parse(PI_NAT64_PREFIX, out);
}

void pi_render_nft(const struct pi_plan *plan, uint32_t node, struct pi_buf *b)
{
	const struct pi_plan_node *me = pi_r_node(plan, node);
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	char c[PI_PREFIX_STRLEN], lo[PI_PREFIX_STRLEN], hi[PI_PREFIX_STRLEN], p[PI_PREFIX_STRLEN];
	if (!(me->services & PI_SVC_NAT44))
		return;

	pi_r_header(b, "#", plan, node, "nftables NAT44 (carrier-grade NAT)");
	pi_buf_puts(b, "# Load with `nft -f`; the table is replaced as a whole, so loading twice\n"
		       "# gives the same rules.\n\n");
	pi_buf_puts(b, "table ip pocketinternet_nat44\ndelete table ip pocketinternet_nat44\n\n");
	pi_buf_puts(b, "table ip pocketinternet_nat44 {\n");
	pi_buf_puts(b, "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
	if (pi_prefix_is_set(&pod->cgnat_pool) && pi_prefix_is_set(&pod->nat44_pool)) {
		struct pi_prefix pool = pi_prefix_network(&pod->nat44_pool);
		struct pi_prefix first = pool, last;
		uint64_t n = pi_prefix_count(&pool, 32);
		pi_prefix_host(&pool, n - 1, &last);
		pi_r_net(&pod->cgnat_pool, c);
		pi_buf_printf(b, "\t\t# Subscribers of pod %s (CGNAT %s) share the public pool %s.\n", pod->name, c,
			      pi_prefix_fmt(&pool, p));
		pi_buf_printf(b, "\t\tip saddr %s ip daddr != %s snat to %s-%s persistent\n", c, c,
			      pi_r_addr(&first, lo), pi_r_addr(&last, hi));
	} else {
		pi_buf_printf(b, "\t\t# Pod %s has no CGNAT or public pool in the plan: nothing to translate.\n",
			      pod->name);
	}
	pi_buf_puts(b, "\t}\n}\n");
}

static void render_tayga(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o, struct pi_buf *b)
{
	const struct pi_plan_node *me = pi_r_node(plan, node);
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	char a[PI_PREFIX_STRLEN], p[PI_PREFIX_STRLEN];
	struct pi_prefix pfx, pool = pi_prefix_network(&pod->nat64_pool), own;
	pi_render_nat64_prefix(plan, me->pod, &pfx);

	pi_r_header(b, "#", plan, node, "tayga NAT64");
	pi_buf_puts(b, "# start.sh runs `tayga --mktun`, brings the tun device up with routes for\n"
		       "# the prefix and the pool, then starts tayga.\n\n");
	pi_buf_puts(b, "tun-device nat64\n");
	if (pi_prefix_is_set(&pool) && pi_prefix_host(&pool, 1, &own) == 0) {
		pi_buf_printf(b, "# tayga's own IPv4 address (for ICMP errors), the first host of the pool.\n");
		pi_buf_printf(b, "ipv4-addr %s\n", pi_r_addr(&own, a));
	}
	if (pfx.len == 96 && pfx.addr[0] == 0x00 && pfx.addr[1] == 0x64)
		pi_buf_puts(b, "# The well-known prefix (the lab's IPv4 space is public).\n");
	else
		pi_buf_puts(b, "# A network-specific prefix from the pod's block: RFC 6052 forbids private\n"
			       "# IPv4 addresses behind 64:ff9b::/96 and tayga enforces it.\n");
	pi_buf_printf(b, "prefix %s\n", pi_prefix_fmt(&pfx, p));
	if (pi_prefix_is_set(&pool))
		pi_buf_printf(b, "# IPv6-only subscribers of pod %s appear from this pool.\ndynamic-pool %s\n", pod->name,
			      pi_prefix_fmt(&pool, p));
	pi_buf_printf(b, "data-dir %s/tayga\n", o->run_dir);
}

static void nat64_render(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			 struct pi_render_set *out)
{
	pi_r_add_conf(out, "tayga.conf", render_tayga, plan, node, o);
}

/* The tun device first, with its routes unless a router daemon installs
 * them (bird.c: protocol static servers4/6), then tayga itself. */
static void nat64_start(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o, struct pi_buf *b)
{
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	const struct pi_router_daemon *router = pi_router_daemon_of(plan, node);
	char p[PI_PREFIX_STRLEN];
	struct pi_prefix pfx;
	(void)o;
	pi_render_nat64_prefix(plan, pi_r_node(plan, node)->pod, &pfx);
	pi_buf_printf(b, "\n# NAT64: the tun device first, so that routes (and the router daemon) can use it.\n");
	pi_buf_printf(b, "mkdir -p \"$RUN/tayga\"\n");
	pi_buf_printf(b, "if ! running \"$RUN/tayga.pid\"; then\n");
	pi_buf_printf(b, "\tip link show nat64 >/dev/null 2>&1 || tayga --mktun -c \"$CONF/tayga.conf\" || fail \"tayga --mktun\"\n");
	pi_buf_printf(b, "\tip link set nat64 up || fail \"nat64 up\"\n");
	if (!router) {
		pi_buf_printf(b, "\tip -6 route replace %s dev nat64 || fail \"route to NAT64 prefix\"\n",
			      pi_prefix_fmt(&pfx, p));
		if (pi_prefix_is_set(&pod->nat64_pool))
			pi_buf_printf(b, "\tip route replace %s dev nat64 || fail \"route to NAT64 pool\"\n",
				      pi_r_net(&pod->nat64_pool, p));
	} else {
		pi_buf_printf(b, "\t# The router daemon (%s) installs the routes into nat64.\n", router->name);
	}
	pi_buf_printf(b, "\tlog \"starting tayga\"\n\ttayga -c \"$CONF/tayga.conf\" --pidfile \"$RUN/tayga.pid\" 3>&- || fail \"tayga did not start\"\nelse\n\tlog \"tayga already running\"\nfi\n");
}

/* tayga stays root: it creates and configures its tun device. */
const struct pi_render_service pi_svc_nat64 = {
	.name = "tayga",
	.svc = PI_SVC_NAT64,
	.forwards = true,
	.before_routes = true,
	.render = nat64_render,
	.start_lines = nat64_start,
};

static void render_nft(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o, struct pi_buf *b)
{
	(void)o;
	pi_render_nft(plan, node, b);
}

static void nat44_render(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			 struct pi_render_set *out)
{
	pi_r_add_conf(out, "nft.conf", render_nft, plan, node, o);
}

static void nat44_start(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o, struct pi_buf *b)
{
	(void)plan, (void)node, (void)o;
	pi_buf_puts(b, "\n# NAT44: the file replaces its table, so loading it again is harmless.\n");
	pi_buf_puts(b, "log \"loading nftables NAT44\"\nnft -f \"$CONF/nft.conf\" || fail \"nft -f nft.conf\"\n");
}

const struct pi_render_service pi_svc_nat44 = {
	.name = "nftables",
	.svc = PI_SVC_NAT44,
	.forwards = true,
	.before_routes = true,
	.render = nat44_render,
	.start_lines = nat44_start,
};
