/*
 * render_int: what the render module's files share and nobody else sees.
 *
 * Renderers take struct pi_render_opts, so that tests can point the files
 * at a temporary directory and run the daemons' checkers on them; daemons
 * are reached through two tables: struct pi_render_service below and
 * struct pi_router_daemon (render.h).
 */
#ifndef PI_RENDER_INT_H
#define PI_RENDER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include "pocketinternet/plan.h"
#include "pocketinternet/render.h"

void pi_render_start_o(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
		       struct pi_buf *out);
/* BIRD's files and start.sh lines (bird.c), for its pi_router_daemon entry (bird_ctl.c). */
void pi_bird_render_files(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			  struct pi_render_set *out);
void pi_bird_start_lines(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			 struct pi_buf *out);

/* Exercise pods' skeleton comments (skeleton.c): the header, the origination
 * the students add, one planned session k seen from node, and (level all)
 * OSPF; servers: the router has a servers4/6 static protocol to export. */
void pi_bird_skeleton_head(struct pi_buf *b, const struct pi_plan *plan, uint32_t node);
void pi_bird_skeleton_origin(struct pi_buf *b, const struct pi_plan *plan, uint32_t node);
void pi_bird_skeleton_session(struct pi_buf *b, const struct pi_plan *plan, uint32_t node, uint32_t k);
void pi_bird_skeleton_ospf(struct pi_buf *b, const struct pi_plan *plan, uint32_t node, bool servers);
/* table.conf: the pod's table beyond its aggregates (bird_table.c). */
#define PI_BIRD_TABLE_FILE "table.conf"
void pi_bird_render_table(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			  struct pi_buf *out);
/* Route origin validation (bird_rpki.c): is it on at node (a border of a
 * ROV pod, with a cache); the ROA tables and RTR session; the import filter
 * line; the channel option it needs. Each writes nothing when it is off. */
bool pi_bird_rov_on(const struct pi_plan *plan, uint32_t node);
void pi_bird_emit_rpki(struct pi_buf *b, const struct pi_plan *plan, uint32_t node);
void pi_bird_rov_filter(struct pi_buf *flt, const struct pi_plan *plan, uint32_t node, int f);
void pi_bird_rov_channel(struct pi_buf *b, const struct pi_plan *plan, uint32_t node);

/* BIRD's size (bird_stats.c): memory and networks per table. */
bool pi_bird_parse_memory(const char *text, uint64_t *effective, uint64_t *overhead);
void pi_bird_count_cmd(uint8_t family, char *buf, size_t len);
bool pi_bird_parse_count(const char *text, uint64_t *networks);

/* ---- incidents (incident.c) ---- */
/* Does node hold eBGP sessions (or the ebgp service)? Its router originates and filters. */
bool pi_r_is_border(const struct pi_plan *plan, uint32_t node);
/* Does node (outside pod) hear pod's routes directly: an eBGP or route server session with one of
 * its routers, or a route server that pod is a member of? */
bool pi_r_incident_neighbour(const struct pi_plan *plan, uint32_t node, uint32_t pod);
/* BIRD's RIB (bird_rib.c). */
void pi_bird_rib_cmd(const struct pi_prefix *dst, uint8_t family, char *buf, size_t len);
void pi_bird_parse_rib(const char *text, uint32_t local_as, struct pi_vec *out);
/* BIRD's incidents file (bird_incidents.c). */
void pi_bird_render_incidents(const struct pi_plan *plan, uint32_t node, const struct pi_incident *inc, size_t n,
			      struct pi_buf *out);

/*
 * The services a node can run, one entry each (services.c holds the table,
 * each daemon's file its entry). The same table decides which files a node
 * gets (pi_render_node_opts) and what start.sh starts (host.c), so a service
 * is known in exactly one place. Entries are in start order.
 */
struct pi_render_service {
	const char *name;
	unsigned svc;	     /* PI_SVC_* bits: the node runs the service when it has one */
	/* Or this, when the bits do not say it all (NULL: only the bits). */
	bool (*runs)(const struct pi_plan *plan, uint32_t node);
	bool forwards;	     /* a node running it forwards packets (start.sh sets the sysctls) */
	bool before_routes;  /* starts before the plan's static routes: it makes devices or rules */
	/* Adds the service's files (NULL: none). */
	void (*render)(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
		       struct pi_render_set *out);
	/* Appends the start.sh lines that start it ... */
	void (*start_lines)(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			    struct pi_buf *out);
	/* ... or, when NULL, start.sh runs start_cmd unless pidfile names a live
	 * process; a daemon that drops root to user before it opens $LOG/log
	 * gets that file made and given to user first. */
	const char *start_cmd, *pidfile, *user, *log;
};
extern const struct pi_render_service pi_svc_nat64, pi_svc_nat44, pi_svc_unbound, pi_svc_dnsmasq, pi_svc_http,
	pi_svc_dhclient, pi_svc_rpki, pi_svc_speaker, pi_svc_sshd;
extern const struct pi_render_service *const pi_render_services[];
extern const size_t pi_render_n_services;
bool pi_r_service_runs(const struct pi_render_service *s, const struct pi_plan *plan, uint32_t node);

/* start.sh: starts a daemon unless pidfile names a live process (host.c). */
void pi_r_start_daemon(struct pi_buf *b, const char *what, const char *pidfile, const char *cmd);
/* One file rendered by fn, added to out as path (mode 0644). */
typedef void pi_r_conf_fn(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			  struct pi_buf *out);
void pi_r_add_conf(struct pi_render_set *out, const char *path, pi_r_conf_fn *fn, const struct pi_plan *plan,
		   uint32_t node, const struct pi_render_opts *o);

/* ---- small shared helpers (util.c) ---- */
static inline const struct pi_plan_node *pi_r_node(const struct pi_plan *p, uint32_t n) { return &p->nodes[n]; }
static inline const struct pi_plan_pod *pi_r_pod(const struct pi_plan *p, uint32_t n)
{
	return &p->pods[p->nodes[n].pod];
}
/* Does any node attached to link route (PI_SVC_ROUTER), other than skip? */
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
