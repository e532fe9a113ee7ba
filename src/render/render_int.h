/*
 * render_int: what the render module's files share and nobody else sees.
 *
 * Every renderer has a public form with the container's default paths
 * (render.h) and an _o form taking struct pi_render_opts, so that tests
 * can point the files at a temporary directory and run the daemons'
 * checkers on them.
 */
#ifndef PI_RENDER_INT_H
#define PI_RENDER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include "pocketinternet/plan.h"
#include "pocketinternet/render.h"

void pi_render_bird_o(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o, struct pi_buf *out);
void pi_render_unbound_o(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			 struct pi_buf *out);
void pi_render_dnsmasq_o(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			 struct pi_buf *out);
void pi_render_tayga_o(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o, struct pi_buf *out);
void pi_render_http_o(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
		      struct pi_buf *conf, struct pi_buf *index_html);
void pi_render_start_o(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
		       struct pi_buf *out);

/* ---- small shared helpers (util.c) ---- */
static inline const struct pi_plan_node *pi_r_node(const struct pi_plan *p, uint32_t n) { return &p->nodes[n]; }
static inline const struct pi_plan_pod *pi_r_pod(const struct pi_plan *p, uint32_t n)
{
	return &p->pods[p->nodes[n].pod];
}
/* BIRD runs on routers and route servers. */
bool pi_r_runs_bird(const struct pi_plan_node *n);
bool pi_r_runs_unbound(const struct pi_plan_node *n);
/* Does any node attached to link run BIRD as a router (other than skip)? */
bool pi_r_link_has_router(const struct pi_plan *plan, uint32_t link, uint32_t skip_node);
/* The pod runs an IPv6-only LAN that reaches IPv4 through NAT64. */
bool pi_r_pod_has_nat64(const struct pi_plan *plan, uint32_t pod);
/* Is zone z served by node? */
bool pi_r_zone_served_by(const struct pi_plan *plan, uint32_t z, uint32_t node);
/* The zones a node can serve: the lab-wide ones, then its own pod's (the
 * plan's zone index keeps this independent of the lab's size). Iterate with
 * for (z = pi_r_zone_first(p, n); z != PI_NONE; z = pi_r_zone_next(p, n, z)),
 * which yields only the zones node serves. */
uint32_t pi_r_zone_first(const struct pi_plan *plan, uint32_t node);
uint32_t pi_r_zone_next(const struct pi_plan *plan, uint32_t node, uint32_t z);
const char *pi_r_rel_name(enum pi_rel r);
/* "a.b.c." -> "a.b.c" into buf. */
const char *pi_r_nodot(const char *name, char *buf, size_t n);
/* Comment header naming the node, its role, pod and the lab; each line starts with cmt. */
void pi_r_header(struct pi_buf *b, const char *cmt, const struct pi_plan *plan, uint32_t node, const char *what);
/* A lab address in presentation form without the length. */
const char *pi_r_addr(const struct pi_prefix *p, char *buf);
/* The network of p with its length ("10.1.0.0/16"). */
const char *pi_r_net(const struct pi_prefix *p, char *buf);

#endif
