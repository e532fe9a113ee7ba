/*
 * monitor: the live half of `monitor` (docs/observe.md, "monitor"). Every
 * interval each watched pair is probed natively from its vantage's netns,
 * in parallel: pi_apply_paths_live gives the AS path at the vantage pod's
 * border router and a traceroute whose echoes at the target's hop are the
 * pair's loss and RTT; a DNS query for the target's name goes to the
 * vantage's resolver; a web target's page is fetched by name. The
 * sessions come from pi_apply_status. monitor_detect.c turns all that
 * into events.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "verify_int.h"

#define TRACE_PROBES 3
#define TRACE_TIMEOUT_MS 1000
#define DNS_TIMEOUT_MS 1000
#define HTTP_TIMEOUT_MS 2000

/* ---- choosing the pairs ---- */

static bool is_client(const struct pi_plan *p, uint32_t n)
{
	return (p->nodes[n].services & PI_SVC_CLIENT) != 0;
}

static bool is_target(const struct pi_plan *p, uint32_t n)
{
	return (p->nodes[n].services & (PI_SVC_HTTP | PI_SVC_RESOLVER)) != 0;
}

/* A pod's subscriber to watch from: one with IPv4 and IPv6 when it has one. */
static uint32_t pod_vantage(const struct pi_plan *p, uint32_t pod)
{
	uint32_t best = PI_NONE;
	for (uint32_t n = 0; n < p->n_nodes; n++) {
		if (p->nodes[n].pod != pod || !is_client(p, n))
			continue;
		bool v4 = pi_verify_has_v4(p, n), v6 = false;
		for (uint32_t i = 0; i < p->nodes[n].n_ifaces; i++)
			v6 |= pi_prefix_is_set(&p->ifaces[p->nodes[n].first_iface + i].v6);
		if (v4 && v6)
			return n;
		if (best == PI_NONE)
			best = n;
	}
	return best;
}

/* Marks the nodes a comma list names (a pod: its nodes that pass want). */
static int mark(const struct pi_plan *p, const char *list, bool (*want)(const struct pi_plan *, uint32_t), bool *sel,
		struct pi_diag *diag)
{
	char *dup = pi_xstrdup(list), *save = NULL;
	int rc = 0;
	for (char *w = strtok_r(dup, ",", &save); w && rc == 0; w = strtok_r(NULL, ",", &save)) {
		uint32_t n = pi_plan_node_by_name(p, w), pod = pi_plan_pod_by_name(p, w);
		if (n != PI_NONE)
			sel[n] = true;
		else if (pod != PI_NONE)
			for (uint32_t k = 0; k < p->n_nodes; k++)
				sel[k] |= p->nodes[k].pod == pod && want(p, k);
		else {
			pi_diag_add(diag, (struct pi_pos){ 0 }, "see the nodes and pods with: pocketinternet status",
				    "monitor: '%s' is neither a node nor a pod of the lab %s", w, p->lab_name);
			rc = -ENOENT;
		}
	}
	free(dup);
	return rc;
}

static void add_pair(const struct pi_plan *p, uint32_t from, uint32_t to, struct pi_vec *out)
{
	struct pi_prefix a = pi_verify_node_address(p, to);
	if (a.family == PI_AF_V4 && !pi_verify_has_v4(p, from)) /* an IPv6-only vantage: the target's IPv6 */
		for (uint32_t i = 0; i < p->nodes[to].n_ifaces; i++) {
			const struct pi_prefix *v6 = &p->ifaces[p->nodes[to].first_iface + i].v6;
			if (pi_prefix_is_set(v6)) {
				a = pi_prefix_as_host(v6);
				break;
			}
		}
	if (!pi_prefix_is_set(&a) || from == to)
		return;
	struct pi_mon_pair *pr = pi_vec_push(out);
	pr->from = from;
	pr->to = to;
	pr->addr = a;
	pr->web = (p->nodes[to].services & PI_SVC_HTTP) != 0;
	snprintf(pr->name, sizeof(pr->name), "%s", p->nodes[to].fqdn ? p->nodes[to].fqdn : "");
}

int pi_monitor_pairs(const struct pi_plan *plan, const char *from, const char *to, struct pi_vec *out,
		     struct pi_diag *diag)
{
	bool *src = pi_xcalloc(plan->n_nodes + 1, sizeof(bool)), *dst = pi_xcalloc(plan->n_nodes + 1, sizeof(bool));
	int rc = 0;
	if (from)
		rc = mark(plan, from, is_client, src, diag);
	else
		for (uint32_t pod = 0; pod < plan->n_pods; pod++) {
			uint32_t v = plan->pods[pod].tier == PI_TIER_STUB ? pod_vantage(plan, pod) : PI_NONE;
			if (v != PI_NONE)
				src[v] = true;
		}
	if (rc == 0 && to)
		rc = mark(plan, to, is_target, dst, diag);
	else
		for (uint32_t n = 0; n < plan->n_nodes; n++)
			dst[n] = is_target(plan, n);
	for (uint32_t s = 0; rc == 0 && s < plan->n_nodes; s++)
		for (uint32_t t = 0; src[s] && t < plan->n_nodes; t++)
			if (dst[t])
				add_pair(plan, s, t, out);
	if (rc == 0 && out->len == 0) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "--from takes nodes or pods with subscribers, --to nodes with "
			    "an address or pods with web servers or resolvers", "monitor: no pair to watch");
		rc = -EINVAL;
	}
	free(src);
	free(dst);
	return rc;
}

/* ---- probing one pair ---- */

struct mon_ctx {
	struct pi_backend *b;
	const struct pi_plan *plan;
	const struct pi_mon_pair *pairs;
	struct pi_mon_obs *obs;
};

/* The BGP and traceroute parts of a paths_live family, as pods; the echoes at the target's hop. */
static void take_paths(const struct pi_paths_family *f, struct pi_mon_obs *o)
{
	struct pi_mon_path *p = &o->path;
	p->as_known = f->bgp_rc == 0 && f->border != PI_NONE;
	p->as_route = f->bgp_found && f->n_bgp_pods > 0;
	p->n_as = p->as_route ? f->n_bgp_pods : 0;
	memcpy(p->as_pods, f->bgp_pods, p->n_as * sizeof(uint32_t));
	p->trace_known = f->trace_rc == 0 || f->trace_rc == -ETIMEDOUT || f->trace_rc == -EHOSTUNREACH;
	p->trace_reached = f->trace_rc == 0;
	p->n_trace = f->n_trace_pods < PI_MON_MAX_PATH ? f->n_trace_pods : PI_MON_MAX_PATH;
	memcpy(p->trace_pods, f->trace_pods, p->n_trace * sizeof(uint32_t));
	/* Routers rate-limit ICMP time-exceeded: a hop that did not answer is
	 * a gap, not a shorter path, so such a trace says nothing of the path. */
	for (size_t k = 0; p->trace_known && p->trace_reached && k + 1 < f->n_hops; k++)
		if (f->hops[k].reply == PI_TROUTE_NONE)
			p->trace_known = false;
	if (!p->trace_known && f->trace_rc != 0 && f->trace_rc != -ETIMEDOUT && f->trace_rc != -EHOSTUNREACH)
		return;
	o->sent = TRACE_PROBES;
	const struct pi_troute_hop *h = f->n_hops ? &f->hops[f->n_hops - 1] : NULL;
	if (!h || h->reply != PI_TROUTE_ECHO_REPLY)
		return;
	double sum = 0;
	for (unsigned k = 0; k < h->probes && k < PI_TROUTE_MAX_PROBES; k++)
		if (h->rtt_ms[k] >= 0) {
			sum += h->rtt_ms[k];
			o->received++;
		}
	o->sent = h->probes ? h->probes : TRACE_PROBES;
	o->rtt_ms = o->received ? sum / o->received : 0;
}

static struct pi_prefix resolver_for(const struct pi_plan_node *n, uint8_t fam)
{
	const struct pi_prefix *r = fam == PI_AF_V4 ? &n->resolver4 : &n->resolver6;
	if (!pi_prefix_is_set(r))
		r = fam == PI_AF_V4 ? &n->resolver6 : &n->resolver4;
	return pi_prefix_is_set(r) ? pi_prefix_as_host(r) : (struct pi_prefix){ 0 };
}

/* The target's name through the vantage's resolver, then (web) its page by that name. */
static void services(const struct pi_plan *p, const struct pi_mon_pair *pr, int nsfd, struct pi_mon_obs *o)
{
	struct pi_prefix res = resolver_for(&p->nodes[pr->from], pr->addr.family);
	if (!pr->name[0] || !pi_prefix_is_set(&res))
		return;
	bool v6 = pr->addr.family == PI_AF_V6;
	struct pi_dns_answer a;
	struct pi_prefix addr = { 0 };
	int rc = pi_dns_query_fd(nsfd, &res, pr->name, v6 ? PI_DNS_TYPE_AAAA : PI_DNS_TYPE_A, DNS_TIMEOUT_MS, &a);
	for (unsigned k = 0; rc == 0 && k < a.n && !pi_prefix_is_set(&addr); k++)
		if (a.rr[k].addr.family == pr->addr.family)
			addr = a.rr[k].addr;
	o->dns_checked = true;
	o->dns_ok = pi_prefix_is_set(&addr);
	char buf[PI_PREFIX_STRLEN];
	snprintf(o->dns_detail, sizeof(o->dns_detail), "%s %.60s: %.50s", v6 ? "AAAA" : "A", pr->name,
		 rc ? strerror(-rc) : o->dns_ok ? pi_prefix_fmt_addr(&addr, buf) : "no address in the answer");
	if (!pr->web || !o->dns_ok)
		return;
	char host[256];
	snprintf(host, sizeof(host), "%s", pr->name);
	if (host[0] && host[strlen(host) - 1] == '.')
		host[strlen(host) - 1] = '\0';
	struct pi_http_result r;
	rc = pi_http_get_fd(nsfd, &addr, 80, host, "/", HTTP_TIMEOUT_MS, &r);
	o->http_checked = true;
	o->http_ok = rc == 0 && r.status == 200;
	if (rc)
		snprintf(o->http_detail, sizeof(o->http_detail), "http://%.80s/: %.30s", host, strerror(-rc));
	else
		snprintf(o->http_detail, sizeof(o->http_detail), "http://%.80s/: status %d", host, r.status);
}

static int probe_pair(void *ctx, size_t i)
{
	struct mon_ctx *c = ctx;
	const struct pi_mon_pair *pr = &c->pairs[i];
	struct pi_mon_obs *o = &c->obs[i];
	memset(o, 0, sizeof(*o));
	struct pi_diag quiet;
	pi_diag_init(&quiet);
	struct pi_troute_opts t = { .probes = TRACE_PROBES, .timeout_ms = TRACE_TIMEOUT_MS };
	struct pi_paths_family fam[2];
	memset(fam, 0, sizeof(fam));
	if (pi_apply_paths_live(c->b, c->plan, pr->from, pr->to, NULL, &t, fam, &quiet) == 0)
		take_paths(&fam[pr->addr.family == PI_AF_V6], o);
	else
		o->sent = TRACE_PROBES; /* the vantage does not run: nothing answers it */
	int pid;
	if (pi_apply_node_pid(c->b, c->plan, pr->from, &pid, &quiet) == 0) {
		int nsfd = pi_apply_pid_netns(pid);
		if (nsfd >= 0) {
			services(c->plan, pr, nsfd, o);
			close(nsfd);
		}
	}
	pi_diag_free(&quiet);
	return 0;
}

/* ---- the loop ---- */

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct pi_mon_detect *detector(const struct pi_plan *p, const struct pi_monitor_opts *o, struct pi_vec *pairs,
				      const char **pod_names, const char **node_names)
{
	struct pi_mon_session *s = pi_xcalloc(p->n_sessions + 1, sizeof(*s));
	for (uint32_t k = 0; k < p->n_sessions; k++) {
		snprintf(s[k].name, sizeof(s[k].name), "%s", p->sessions[k].name);
		s[k].pod[0] = p->nodes[p->sessions[k].a].pod;
		s[k].pod[1] = p->nodes[p->sessions[k].b].pod;
	}
	for (uint32_t k = 0; k < p->n_pods; k++)
		pod_names[k] = p->pods[k].name;
	for (uint32_t k = 0; k < p->n_nodes; k++)
		node_names[k] = p->nodes[k].name;
	struct pi_mon_detect_opts dopt = o->detect;
	dopt.pod_names = pod_names;
	dopt.node_names = node_names;
	struct pi_mon_detect *d = pi_mon_detect_new(pairs->data, pairs->len, s, p->n_sessions, &dopt);
	free(s);
	return d;
}

/* One interval: probe every pair, read the sessions, detect, report. */
static void interval(struct mon_ctx *c, struct pi_mon_detect *d, const struct pi_monitor_opts *o, unsigned parallel,
		     size_t n_pairs, struct pi_vec *ev)
{
	pi_pool_run(n_pairs, parallel, probe_pair, NULL, c, NULL);
	struct pi_status st;
	struct pi_diag quiet;
	pi_diag_init(&quiet);
	bool *up = NULL;
	if (pi_apply_status(c->b, c->plan, parallel, &st, &quiet) == 0) {
		up = pi_xcalloc(c->plan->n_sessions + 1, sizeof(bool));
		for (uint32_t k = 0; k < c->plan->n_sessions; k++)
			up[k] = st.sessions[k].established;
		pi_status_free(&st);
	}
	pi_diag_free(&quiet);
	ev->len = 0;
	pi_mon_detect_step(d, wall_now(), c->obs, up, ev);
	free(up);
	for (size_t i = 0; i < ev->len && o->event; i++) {
		const struct pi_mon_event *e = pi_vec_at(ev, i);
		char *json = pi_mon_event_json(d, e);
		o->event(o->ctx, d, e, json);
		free(json);
	}
}

/* Sleeps until deadline (monotonic), waking early on cancel. */
static void wait_until(double deadline, volatile int *cancel)
{
	while (!(cancel && *cancel)) {
		double left = deadline - pi_monotonic();
		if (left <= 0)
			return;
		struct timespec ts = { 0, (long)((left < 0.1 ? left : 0.1) * 1e9) };
		nanosleep(&ts, NULL);
	}
}

int pi_apply_monitor(struct pi_backend *b, const struct pi_plan *plan, const struct pi_monitor_opts *o,
		     struct pi_monitor_result *res, struct pi_diag *diag)
{
	memset(res, 0, sizeof(*res));
	res->pairs = (struct pi_vec)PI_VEC_INIT(struct pi_mon_pair);
	res->stats = (struct pi_vec)PI_VEC_INIT(struct pi_mon_pair_stats);
	int rc = pi_monitor_pairs(plan, o->from, o->to, &res->pairs, diag);
	if (rc)
		return rc;
	const char **pods = pi_xcalloc(plan->n_pods + 1, sizeof(char *)), **nodes = pi_xcalloc(plan->n_nodes + 1, sizeof(char *));
	struct pi_mon_detect *d = detector(plan, o, &res->pairs, pods, nodes);
	struct mon_ctx c = { b, plan, res->pairs.data, pi_xcalloc(res->pairs.len + 1, sizeof(struct pi_mon_obs)) };
	struct pi_vec ev = PI_VEC_INIT(struct pi_mon_event);
	double every = o->interval_s > 0 ? o->interval_s : 5, next = pi_monotonic();
	while (!(o->cancel && *o->cancel) && (!o->max_intervals || res->intervals < o->max_intervals)) {
		next += every;
		interval(&c, d, o, o->parallel ? o->parallel : 8, res->pairs.len, &ev);
		res->intervals++;
		if (o->tick)
			o->tick(o->ctx, res->intervals);
		wait_until(next, o->cancel);
	}
	for (size_t i = 0; i < res->pairs.len; i++)
		pi_mon_detect_stats(d, i, pi_vec_push(&res->stats));
	ev.len = 0;
	res->open = (unsigned)pi_mon_detect_open(d, &ev);
	for (size_t i = 0; i < res->pairs.len; i++)
		res->events += ((struct pi_mon_pair_stats *)pi_vec_at(&res->stats, i))->events;
	pi_vec_free(&ev);
	free(c.obs);
	pi_mon_detect_free(d);
	free(pods);
	free(nodes);
	return 0;
}

void pi_monitor_result_free(struct pi_monitor_result *r)
{
	pi_vec_free(&r->pairs);
	pi_vec_free(&r->stats);
}
