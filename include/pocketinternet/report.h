/*
 * report: what the tool tells about a lab, as JSON (jansson objects). The
 * CLI's --format json and the web API (src/web) print the same objects, so
 * a script reading one reads the other. Every builder is pure: it takes the
 * plan and what apply observed, and returns a new reference (never NULL)
 * the caller owns. Nothing here talks to the system.
 */
#ifndef POCKETINTERNET_REPORT_H
#define POCKETINTERNET_REPORT_H

#include <jansson.h>
#include <stdio.h>
#include "apply.h"
#include "plan.h"

/* verify --format json: {"lab", "passed", "dns"?, "http"?, "reach"?, "policy"?}. */
json_t *pi_report_verify(const struct pi_plan *plan, const struct pi_verify *v);
/* status --format json: nodes, sessions, resolvers, summary, and the
 * incidents (struct pi_incident) described in words. */
json_t *pi_report_status(const struct pi_plan *plan, const struct pi_status *st, const struct pi_vec *incidents);
/* check --format json: {"lab", "pass", "passed", "failed", "pods": [{"pod",
 * "team", "configure", "pass", "passed", "failed", "items"}]} for pods[0..n). */
json_t *pi_report_check(const struct pi_plan *plan, const uint32_t *pods, size_t n, const struct pi_check_result *r);
/* lg NODE [PREFIX] --format json: routes (struct pi_lg_route); query is
 * what the user asked for (NULL: every route). */
json_t *pi_report_lg_routes(const struct pi_plan *plan, uint32_t node, const char *query, const struct pi_vec *routes);
/* lg NODE --sessions --format json (struct pi_lg_session). */
json_t *pi_report_lg_sessions(const struct pi_plan *plan, uint32_t node, const struct pi_vec *sessions);

/* What paths SRC DST found: the plan's paths, and when have_live the live
 * part (BGP's choice, traceroute) per family. */
struct pi_report_paths {
	const struct pi_plan *plan;
	uint32_t src, dst;
	struct pi_plan_paths routers, ases;
	struct pi_paths_family live[2];
	bool have_live;
};
/* The index of the shortest AS path the policy allows, or SIZE_MAX. */
size_t pi_report_shortest_allowed(const struct pi_plan_paths *as);
json_t *pi_report_paths(const struct pi_report_paths *r);

/* link list --format json (struct pi_link_status). */
json_t *pi_report_links(const struct pi_plan *plan, const struct pi_vec *links);
/* One incident as incident list shows it: its fields and a description. */
json_t *pi_report_incident(const struct pi_plan *plan, const struct pi_incident *in);
/* incident list --format json: {"lab", "incidents": [...]}. */
json_t *pi_report_incidents(const struct pi_plan *plan, const struct pi_vec *incidents);

/* The web "tier" of a pod: "transit", "ixp", or for stub pods "broadband"
 * (its blueprint has subscriber LANs) or "content". */
const char *pi_report_pod_tier(const struct pi_plan_pod *pod);
/*
 * GET /api/v1/lab (docs/web.md): pods, relations, nodes, links, sessions,
 * incidents. st (NULL: nothing observed, every state "absent" / "down"),
 * links (struct pi_link_status, NULL: from the plan, state "absent") and
 * incidents (NULL: none) give the live state.
 */
json_t *pi_report_lab(const struct pi_plan *plan, const struct pi_status *st, const struct pi_vec *links,
		      const struct pi_vec *incidents);
/* The live part only: {"nodes": {name: state}, "links": {name: state},
 * "sessions": {name: state}, "incidents": [...]}: what the events socket sends. */
json_t *pi_report_live(const struct pi_plan *plan, const struct pi_status *st, const struct pi_vec *links,
		       const struct pi_vec *incidents);

/* A node's state word for the web: "running", "stopped" or "absent". */
const char *pi_report_node_state(const struct pi_status_node *n);
/* A session's state word: "established", "down" or BIRD's state at a. */
const char *pi_report_session_state(const struct pi_status_session *s);

/* The CLI's way of printing: indented, keys in order, a newline; then
 * drops the reference. */
void pi_report_print(json_t *j, FILE *out);

#endif
