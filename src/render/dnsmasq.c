/*
 * render/dnsmasq: DHCPv4, DHCPv6 and router advertisements on a pod's
 * subscriber LANs. DNS stays with Unbound (port=0). Every client of the
 * plan gets its planned address through a static lease keyed by its MAC, so
 * the names in the pod's zones match; the IPv4 range is static-only.
 */
#include <stdio.h>
#include <string.h>
#include "render_int.h"

/* Debian's dnsmasq-base package creates this user (images/packages.txt). */
#define DNSMASQ_USER "dnsmasq"

/* The first client on the link gives the LAN's gateway and resolvers. */
static const struct pi_plan_node *first_client(const struct pi_plan *plan, uint32_t link, uint32_t skip)
{
	const struct pi_plan_link *l = &plan->links[link];
	for (uint32_t i = 0; i < l->n_ifaces; i++) {
		const struct pi_plan_iface *f = &plan->ifaces[l->ifaces[i]];
		if (f->node != skip && (plan->nodes[f->node].services & PI_SVC_CLIENT))
			return &plan->nodes[f->node];
	}
	return NULL;
}

static void mask4(unsigned len, char *buf)
{
	uint32_t m = len ? 0xffffffffu << (32 - len) : 0;
	snprintf(buf, 16, "%u.%u.%u.%u", m >> 24, (m >> 16) & 255, (m >> 8) & 255, m & 255);
}

static void render_conf(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o, struct pi_buf *b)
{
	const struct pi_plan_node *me = pi_r_node(plan, node);
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	char a[PI_PREFIX_STRLEN], m[16], dom[256];

	pi_r_header(b, "#", plan, node, "dnsmasq DHCP/RA configuration");
	pi_buf_puts(b, "\n# DHCP and router advertisements only: Unbound answers DNS.\nport=0\n");
	pi_buf_printf(b, "pid-file=%s/dnsmasq.pid\n", o->run_dir);
	pi_buf_printf(b, "dhcp-leasefile=%s/dnsmasq.leases\n", o->run_dir);
	pi_buf_printf(b, "log-facility=%s/dnsmasq.log\nlog-dhcp\n", o->log_dir);
	pi_buf_puts(b, "# Root only to open sockets, pid, lease and log files (it gives the log to\n"
		       "# the user itself); then this user, keeping the capabilities DHCP needs.\n");
	pi_buf_printf(b, "user=%s\n", DNSMASQ_USER);
	pi_buf_puts(b, "# The only DHCP server on these LANs.\ndhcp-authoritative\n");

	bool any = false, ra = false;
	for (uint32_t i = 0; i < me->n_ifaces; i++) {
		const struct pi_plan_iface *f = pi_plan_node_iface(plan, node, i);
		const struct pi_plan_link *l = &plan->links[f->link];
		if (l->scope != PI_SCOPE_SUBSCRIBER)
			continue;
		any = true;
		const struct pi_plan_node *cl = first_client(plan, f->link, node);
		const char *tag = f->name;
		pi_buf_printf(b, "\n# Subscriber LAN %s (%s)", l->lan ? l->lan : l->name, l->name);
		if (l->cgnat)
			pi_buf_puts(b, ", CGNAT");
		if (l->nat64)
			pi_buf_puts(b, ", IPv6-only with NAT64");
		pi_buf_printf(b, " on %s\ninterface=%s\n", f->name, f->name);

		if (pi_prefix_is_set(&l->v4)) {
			struct pi_prefix net = pi_prefix_network(&l->v4);
			mask4(l->v4.len, m);
			pi_buf_printf(b, "dhcp-range=set:%s,%s,static,%s,1h\n", tag, pi_r_addr(&net, a), m);
			const struct pi_prefix *gw = cl && pi_prefix_is_set(&cl->gw4) ? &cl->gw4 : &f->v4;
			if (pi_prefix_is_set(gw))
				pi_buf_printf(b, "dhcp-option=tag:%s,option:router,%s\n", tag, pi_r_addr(gw, a));
			const struct pi_prefix *r4 = cl && pi_prefix_is_set(&cl->resolver4) ? &cl->resolver4 : &me->resolver4;
			if (pi_prefix_is_set(r4))
				pi_buf_printf(b, "dhcp-option=tag:%s,option:dns-server,%s\n", tag, pi_r_addr(r4, a));
			if (pod->domain)
				pi_buf_printf(b, "dhcp-option=tag:%s,option:domain-name,%s\n", tag,
					      pi_r_nodot(pod->domain, dom, sizeof(dom)));
		}
		if (pi_prefix_is_set(&l->v6)) {
			ra = true;
			pi_buf_printf(b, "# SLAAC addresses; stateless DHCPv6 and RDNSS name the resolver.\n");
			pi_buf_printf(b, "dhcp-range=set:%s,::,constructor:%s,ra-stateless,%u,1h\n", tag, f->name,
				      l->v6.len);
			const struct pi_prefix *r6 = cl && pi_prefix_is_set(&cl->resolver6) ? &cl->resolver6 : &me->resolver6;
			if (pi_prefix_is_set(r6))
				pi_buf_printf(b, "dhcp-option=tag:%s,option6:dns-server,[%s]\n", tag, pi_r_addr(r6, a));
			/* We are the default router only if the plan says so. */
			bool gw = cl && pi_prefix_is_set(&cl->gw6) && pi_prefix_is_set(&f->v6) &&
				  memcmp(cl->gw6.addr, f->v6.addr, 16) == 0;
			if (gw || !cl)
				pi_buf_printf(b, "ra-param=%s,10\n", f->name);
			else
				pi_buf_printf(b, "# The pod's router on this LAN is the default gateway, not us.\n"
						 "ra-param=%s,10,0\n",
					      f->name);
		}
		/* Static leases: the addresses and names of the plan. */
		for (uint32_t j = 0; j < l->n_ifaces; j++) {
			const struct pi_plan_iface *cf = &plan->ifaces[l->ifaces[j]];
			const struct pi_plan_node *cn = &plan->nodes[cf->node];
			if (cf->node == node || !cf->dhcp4 || !pi_prefix_is_set(&cf->v4))
				continue;
			pi_buf_printf(b, "dhcp-host=%02x:%02x:%02x:%02x:%02x:%02x,%s,%s\n", cf->mac[0], cf->mac[1],
				      cf->mac[2], cf->mac[3], cf->mac[4], cf->mac[5], pi_r_addr(&cf->v4, a), cn->name);
		}
	}
	if (ra)
		pi_buf_puts(b, "\nenable-ra\n");
	if (!any)
		pi_buf_puts(b, "\n# This node is attached to no subscriber LAN in the plan.\n");
}

static void dnsmasq_render(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			   struct pi_render_set *out)
{
	pi_r_add_conf(out, "dnsmasq.conf", render_conf, plan, node, o);
}

const struct pi_render_service pi_svc_dnsmasq = {
	.name = "dnsmasq",
	.svc = PI_SVC_DHCP,
	.render = dnsmasq_render,
	/* dnsmasq gives the log to its user itself. */
	.start_cmd = "dnsmasq -C \"$CONF/dnsmasq.conf\"",
	.pidfile = "$RUN/dnsmasq.pid",
};
