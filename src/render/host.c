/*
 * render/host: what every node gets whatever it runs: resolv.conf, hosts,
 * and start.sh, the script the backend runs inside the container once its
 * links are wired. start.sh starts the node's services from the service
 * table (services.c) in its order (NAT devices before the routes and the
 * router daemon that use them, routing before the services),
 * leaves running daemons alone so it can be run again, logs under the log
 * directory and exits non-zero when a daemon failed to start.
 */
#include <stdio.h>
#include <string.h>
#include "render_int.h"

void pi_render_resolv(const struct pi_plan *plan, uint32_t node, struct pi_buf *b)
{
	const struct pi_plan_node *me = pi_r_node(plan, node);
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	char a[PI_PREFIX_STRLEN], dom[256];
	pi_r_header(b, "#", plan, node, "resolv.conf");
	/* An IPv6-only node cannot reach an IPv4 resolver: naming one only makes
	 * every lookup print "network unreachable" first. */
	bool has4 = false;
	for (uint32_t i = 0; i < me->n_ifaces; i++)
		has4 |= pi_prefix_is_set(&pi_plan_node_iface(plan, node, i)->v4);
	if (pi_prefix_is_set(&me->resolver4) && (has4 || !pi_prefix_is_set(&me->resolver6)))
		pi_buf_printf(b, "nameserver %s\n", pi_r_addr(&me->resolver4, a));
	if (pi_prefix_is_set(&me->resolver6))
		pi_buf_printf(b, "nameserver %s\n", pi_r_addr(&me->resolver6, a));
	if (!pi_prefix_is_set(&me->resolver4) && !pi_prefix_is_set(&me->resolver6))
		pi_buf_puts(b, "# The plan names no resolver for this node.\n");
	if (pod->domain)
		pi_buf_printf(b, "search %s\n", pi_r_nodot(pod->domain, dom, sizeof(dom)));
	pi_buf_puts(b, "options timeout:2 attempts:2\n");
}

static void hosts_line(struct pi_buf *b, const struct pi_prefix *p, const char *fqdn, const char *name)
{
	char a[PI_PREFIX_STRLEN];
	if (pi_prefix_is_set(p))
		pi_buf_printf(b, "%-40s %s %s\n", pi_r_addr(p, a), fqdn, name);
}

void pi_render_hosts(const struct pi_plan *plan, uint32_t node, struct pi_buf *b)
{
	const struct pi_plan_node *me = pi_r_node(plan, node);
	char fq[256];
	const char *fqdn = me->fqdn ? pi_r_nodot(me->fqdn, fq, sizeof(fq)) : me->name;
	pi_r_header(b, "#", plan, node, "hosts");
	pi_buf_puts(b, "# Only this node: every other name comes from the lab's DNS.\n");
	pi_buf_printf(b, "%-40s localhost\n%-40s localhost ip6-localhost ip6-loopback\n", "127.0.0.1", "::1");
	hosts_line(b, &me->lo4, fqdn, me->name);
	hosts_line(b, &me->lo6, fqdn, me->name);
	for (uint32_t i = 0; i < me->n_ifaces; i++) {
		const struct pi_plan_iface *f = pi_plan_node_iface(plan, node, i);
		hosts_line(b, &f->v4, fqdn, me->name);
		hosts_line(b, &f->v6, fqdn, me->name);
	}
}

void pi_r_start_daemon(struct pi_buf *b, const char *what, const char *pidfile, const char *cmd)
{
	pi_buf_printf(b, "if running \"%s\"; then\n\tlog \"%s already running\"\nelse\n", pidfile, what);
	/* 3>&-: a daemon must not keep the exec stream (fd 3) open, or the engine
	 * waits for it to close before it reports the exec finished. */
	pi_buf_printf(b, "\tlog \"starting %s\"\n\t%s 3>&- || fail \"%s did not start\"\nfi\n", what, cmd, what);
}

/* For a daemon that drops root before it opens its log: $LOG/file made and
 * given to user first (the log directory itself stays root's). */
static void own_log(struct pi_buf *b, const char *what, const char *file, const char *user)
{
	pi_buf_printf(b, "# %s drops root (user %s) before it opens its log.\n", what, user);
	pi_buf_printf(b, "touch \"$LOG/%s\" && chown %s: \"$LOG/%s\" || fail \"cannot give $LOG/%s to %s\"\n", file, user,
		      file, file, user);
}

static void start_preamble(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o, struct pi_buf *b)
{
	pi_buf_puts(b, "#!/bin/sh\n");
	pi_r_header(b, "#", plan, node, "start.sh");
	pi_buf_puts(b, "#\n# Run by the backend inside the container after its links are wired.\n"
		       "# Running it again leaves running daemons alone. Exit status 0 when every\n"
		       "# daemon of the node is running.\n\n");
	pi_buf_puts(b, "set -u\n");
	pi_buf_printf(b, "CONF=%s\nLOG=%s\nRUN=%s\n", o->conf_dir, o->log_dir, o->run_dir);
	pi_buf_puts(b, "mkdir -p \"$LOG\" \"$RUN\" || exit 1\n");
	pi_buf_puts(b, "# Everything goes to start.log; failures are also reported on stderr.\n"
		       "exec 3>&2 >>\"$LOG/start.log\" 2>&1\n"
		       "status=0\n"
		       "log() { echo \"$(date '+%F %T') $*\"; }\n"
		       "fail() { log \"FAILED: $*\"; echo \"start.sh: $*\" >&3; status=1; }\n"
		       "running() { [ -s \"$1\" ] && kill -0 \"$(cat \"$1\")\" 2>/dev/null; }\n");
	pi_buf_printf(b, "log \"starting node %s\"\n\n", pi_r_node(plan, node)->name);

	pi_buf_puts(b, "# Identity and name resolution (Docker's own files are replaced in place).\n");
	pi_buf_puts(b, "cat \"$CONF/hosts\" >/etc/hosts || fail \"cannot write /etc/hosts\"\n");
	pi_buf_puts(b, "cat \"$CONF/resolv.conf\" >/etc/resolv.conf || fail \"cannot write /etc/resolv.conf\"\n");
}

/* Loopback and anycast addresses: the backend sets them too; replace is a no-op then. */
static void start_addresses(const struct pi_plan_node *me, struct pi_buf *b)
{
	char a[PI_PREFIX_STRLEN], p[PI_PREFIX_STRLEN];
	struct pi_prefix extra[4] = { me->lo4, me->lo6, me->anycast4, me->anycast6 };
	bool any_extra = false;
	for (int i = 0; i < 4; i++) {
		if (!pi_prefix_is_set(&extra[i]))
			continue;
		if (!any_extra)
			pi_buf_puts(b, "\n# Loopback and anycast addresses (a no-op when the backend set them).\n");
		any_extra = true;
		struct pi_prefix h = pi_prefix_as_host(&extra[i]);
		pi_buf_printf(b, "ip addr replace %s dev lo || fail \"address %s\"\n", pi_prefix_fmt(&h, p),
			      pi_prefix_fmt(&h, a));
	}
}

/* Static routes of the plan (hosts' defaults), except on DHCP-configured families. */
static void start_routes(const struct pi_plan *plan, uint32_t node, struct pi_buf *b)
{
	const struct pi_plan_node *me = pi_r_node(plan, node);
	char a[PI_PREFIX_STRLEN], p[PI_PREFIX_STRLEN];
	bool dhcp4 = false, ra6 = false;
	for (uint32_t i = 0; i < me->n_ifaces; i++) {
		dhcp4 |= pi_plan_node_iface(plan, node, i)->dhcp4;
		ra6 |= pi_plan_node_iface(plan, node, i)->ra6;
	}
	bool header = false;
	for (uint32_t r = me->first_route; r < me->first_route + me->n_routes; r++) {
		const struct pi_plan_route *rt = &plan->routes[r];
		if (!pi_prefix_is_set(&rt->via))
			continue;
		/* DHCP and router advertisements give those defaults; the gateway is
		 * not even on-link until the RA has configured the prefix. */
		if ((rt->dst.family == PI_AF_V4 && dhcp4) || (rt->dst.family == PI_AF_V6 && ra6))
			continue;
		if (!header)
			pi_buf_puts(b, "\n# Static routes of the plan (a no-op when the backend set them).\n");
		header = true;
		pi_buf_printf(b, "ip -%d route replace %s via %s || fail \"route %s\"\n", rt->dst.family == PI_AF_V6 ? 6 : 4,
			      pi_r_net(&rt->dst, p), pi_r_addr(&rt->via, a), pi_r_net(&rt->dst, p));
	}
}

/* The node's services in table order, those that start before the static
 * routes or those that start after them. */
static void start_services(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			   bool before_routes, struct pi_buf *b)
{
	for (size_t i = 0; i < pi_render_n_services; i++) {
		const struct pi_render_service *s = pi_render_services[i];
		if (s->before_routes != before_routes || !pi_r_service_runs(s, plan, node))
			continue;
		if (s->start_lines) {
			s->start_lines(plan, node, o, b);
			continue;
		}
		pi_buf_puts(b, "\n");
		if (s->user)
			own_log(b, s->name, s->log, s->user);
		pi_r_start_daemon(b, s->name, s->pidfile, s->start_cmd);
	}
}

void pi_render_start_o(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o, struct pi_buf *b)
{
	start_preamble(plan, node, o, b);
	bool fwd = false;
	for (size_t i = 0; i < pi_render_n_services; i++)
		fwd |= pi_render_services[i]->forwards && pi_r_service_runs(pi_render_services[i], plan, node);
	if (fwd) {
		pi_buf_puts(b, "\n# Forwarding: normally set by the backend when it creates the container;\n"
			       "# /proc/sys may be read-only here, so failing is only noted.\n");
		pi_buf_puts(b, "for s in net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1; do\n"
			       "\tsysctl -qw \"$s\" 2>/dev/null || log \"note: cannot set $s\"\ndone\n");
	}
	start_addresses(pi_r_node(plan, node), b);
	start_services(plan, node, o, true, b);
	start_routes(plan, node, b);
	start_services(plan, node, o, false, b);
	pi_buf_printf(b, "\nlog \"node %s: start.sh done (status $status)\"\nexit $status\n", pi_r_node(plan, node)->name);
}

static bool dhclient_runs(const struct pi_plan *plan, uint32_t node)
{
	for (uint32_t i = 0; i < plan->nodes[node].n_ifaces; i++)
		if (pi_plan_node_iface(plan, node, i)->dhcp4)
			return true;
	return false;
}

/* DHCPv4 on every interface the plan marks dhcp4 (IPv6 comes from RAs). */
static void dhclient_start(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o, struct pi_buf *b)
{
	const struct pi_plan_node *me = pi_r_node(plan, node);
	char a[PI_PREFIX_STRLEN], cmd[1024], pid[512];
	(void)o;
	for (uint32_t i = 0; i < me->n_ifaces; i++) {
		const struct pi_plan_iface *f = pi_plan_node_iface(plan, node, i);
		if (!f->dhcp4)
			continue;
		pi_buf_printf(b, "\n# DHCPv4 on %s (the plan reserves %s for us).\n", f->name,
			      pi_prefix_is_set(&f->v4) ? pi_r_addr(&f->v4, a) : "an address");
		snprintf(pid, sizeof(pid), "$RUN/dhclient-%s.pid", f->name);
		snprintf(cmd, sizeof(cmd), "dhclient -4 -nw -pf \"%s\" -lf \"$RUN/dhclient-%s.leases\" %s", pid, f->name,
			 f->name);
		pi_r_start_daemon(b, "dhclient", pid, cmd);
	}
}

const struct pi_render_service pi_svc_dhclient = {
	.name = "dhclient",
	.svc = PI_SVC_CLIENT,
	.runs = dhclient_runs,
	.start_lines = dhclient_start,
};
