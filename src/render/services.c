/*
 * render/services: the table of what a node can run. Which files a node gets
 * and what its start.sh starts both come from here, so adding a daemon is
 * one entry (in the daemon's own file) plus one line below. Routers and
 * route servers run a router daemon, chosen by pi_router_daemon_of: the
 * "router" entry hands over to it.
 */
#include "render_int.h"

const struct pi_router_daemon *pi_router_daemon_of(const struct pi_plan *plan, uint32_t node)
{
	/* One router daemon today; a lab-wide or per-node choice goes here. */
	if (plan->nodes[node].services & (PI_SVC_ROUTER | PI_SVC_RS))
		return &pi_router_bird;
	return NULL;
}

static bool router_runs(const struct pi_plan *plan, uint32_t node)
{
	return pi_router_daemon_of(plan, node) != NULL;
}

static void router_render(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			  struct pi_render_set *out)
{
	pi_router_daemon_of(plan, node)->render(plan, node, o, out);
}

static void router_start(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			 struct pi_buf *out)
{
	pi_router_daemon_of(plan, node)->start_lines(plan, node, o, out);
}

static const struct pi_render_service svc_router = {
	.name = "router",
	.svc = PI_SVC_ROUTER | PI_SVC_RS,
	.runs = router_runs,
	.forwards = true,
	.render = router_render,
	.start_lines = router_start,
};

/* Start order: NAT devices and rules before the routes and the router
 * daemon that use them, routing before the services reached through it,
 * DHCP clients, then the team's sshd, last. */
const struct pi_render_service *const pi_render_services[] = {
	&pi_svc_nat64, &pi_svc_nat44, &svc_router, &pi_svc_unbound, &pi_svc_dnsmasq, &pi_svc_http, &pi_svc_rpki, &pi_svc_dhclient,
	&pi_svc_speaker, &pi_svc_sshd,
};
const size_t pi_render_n_services = PI_ARRAY_LEN(pi_render_services);

bool pi_r_service_runs(const struct pi_render_service *s, const struct pi_plan *plan, uint32_t node)
{
	if (s->runs)
		return s->runs(plan, node);
	return (plan->nodes[node].services & s->svc) != 0;
}
