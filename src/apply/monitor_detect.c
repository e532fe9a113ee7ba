/*
 * monitor_detect: the pure half of `monitor`. Fed one observation per
 * watched pair and the sessions' states every interval, it keeps each
 * pair's baseline (its last good path, its RTT median) and turns what
 * changed into events: opened when a check starts failing, recovered when
 * it passes again. No I/O, no clock: the caller gives the time, so the
 * tests (tests/apply/test_monitor.c) drive it interval by interval.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apply_int.h"

#define BASELINE_N 20 /* RTT samples kept per pair for its median */
#define LATENCY_FLOOR_MS 20.0 /* the least rise over the baseline that counts */

struct pair_state {
	struct pi_mon_pair pair;
	long open[PI_MON_CHECKS]; /* index into d->events, -1 when none */
	struct pi_mon_path good;  /* the last path of an interval where all passed */
	bool has_good;
	double rtt[BASELINE_N];
	unsigned n_rtt, next_rtt;
	unsigned settled; /* intervals all else passed on the new path of an open path event */
	struct pi_mon_pair_stats st;
	double rtt_sum;
};

struct pi_mon_detect {
	struct pi_mon_detect_opts o;
	struct pair_state *p;
	size_t n_pairs;
	struct pi_mon_session *sess;
	size_t n_sess;
	bool *sess_up;
	long *sess_open;
	bool sess_baseline;
	struct pi_vec events; /* struct pi_mon_event, every one opened */
};

const char *pi_mon_check_name(enum pi_mon_check c)
{
	static const char *const names[] = { "loss", "latency", "path", "dns", "http", "session" };
	return (unsigned)c < PI_MON_CHECKS ? names[c] : "?";
}

static bool pods_equal(const uint32_t *a, unsigned na, const uint32_t *b, unsigned nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

bool pi_mon_path_differs(const struct pi_mon_path *a, const struct pi_mon_path *b)
{
	if (a->as_known && b->as_known &&
	    (a->as_route != b->as_route || !pods_equal(a->as_pods, a->n_as, b->as_pods, b->n_as)))
		return true;
	if (a->trace_known && b->trace_known &&
	    (a->trace_reached != b->trace_reached ||
	     (a->trace_reached && !pods_equal(a->trace_pods, a->n_trace, b->trace_pods, b->n_trace))))
		return true;
	return false;
}

struct pi_mon_detect *pi_mon_detect_new(const struct pi_mon_pair *pairs, size_t n_pairs,
					const struct pi_mon_session *sessions, size_t n_sessions,
					const struct pi_mon_detect_opts *opts)
{
	struct pi_mon_detect *d = pi_xcalloc(1, sizeof(*d));
	if (opts)
		d->o = *opts;
	if (d->o.loss_pct <= 0)
		d->o.loss_pct = 50;
	if (d->o.baseline_factor <= 0)
		d->o.baseline_factor = 5;
	if (!d->o.baseline_min)
		d->o.baseline_min = 3;
	if (!d->o.settle)
		d->o.settle = 3;
	d->n_pairs = n_pairs;
	d->p = pi_xcalloc(n_pairs + 1, sizeof(*d->p));
	for (size_t i = 0; i < n_pairs; i++) {
		d->p[i].pair = pairs[i];
		for (int c = 0; c < PI_MON_CHECKS; c++)
			d->p[i].open[c] = -1;
	}
	d->n_sess = n_sessions;
	d->sess = pi_xcalloc(n_sessions + 1, sizeof(*d->sess));
	if (n_sessions)
		memcpy(d->sess, sessions, n_sessions * sizeof(*sessions));
	d->sess_up = pi_xcalloc(n_sessions + 1, sizeof(bool));
	d->sess_open = pi_xcalloc(n_sessions + 1, sizeof(long));
	for (size_t k = 0; k < n_sessions; k++)
		d->sess_open[k] = -1;
	d->events = (struct pi_vec)PI_VEC_INIT(struct pi_mon_event);
	return d;
}

void pi_mon_detect_free(struct pi_mon_detect *d)
{
	if (!d)
		return;
	free(d->p);
	free(d->sess);
	free(d->sess_up);
	free(d->sess_open);
	pi_vec_free(&d->events);
	free(d);
}

static struct pi_mon_event *ev_at(const struct pi_mon_detect *d, long i)
{
	return pi_vec_at(&d->events, (size_t)i);
}

static long ev_open(struct pi_mon_detect *d, double now, enum pi_mon_check c, int pair)
{
	struct pi_mon_event *e = pi_vec_push(&d->events);
	e->id = (unsigned)d->events.len;
	e->start = now;
	e->check = c;
	e->pair = pair;
	e->from = pair >= 0 ? d->p[pair].pair.from : PI_NONE;
	e->to = pair >= 0 ? d->p[pair].pair.to : PI_NONE;
	e->session = PI_NONE;
	return (long)d->events.len - 1;
}

static void ev_recover(struct pi_mon_detect *d, long *slot, double now, struct pi_vec *out)
{
	struct pi_mon_event *e = ev_at(d, *slot);
	e->recovered_at = now;
	*(struct pi_mon_event *)pi_vec_push(out) = *e;
	*slot = -1;
}

/* ---- paths in words ---- */

static const char *pod_name(const struct pi_mon_detect *d, uint32_t pod, char *buf, size_t len)
{
	if (d->o.pod_names)
		return d->o.pod_names[pod];
	snprintf(buf, len, "pod%u", (unsigned)pod);
	return buf;
}

static const char *node_name(const struct pi_mon_detect *d, uint32_t node, char *buf, size_t len)
{
	if (node == PI_NONE)
		return "-";
	if (d->o.node_names)
		return d->o.node_names[node];
	snprintf(buf, len, "node%u", (unsigned)node);
	return buf;
}

static void pods_text(const struct pi_mon_detect *d, const uint32_t *pods, unsigned n, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < n && at < len; i++) {
		char tmp[16];
		int w = snprintf(buf + at, len - at, "%s%s", i ? " " : "", pod_name(d, pods[i], tmp, sizeof(tmp)));
		at += w > 0 ? (size_t)w : 0;
	}
}

/* BGP's path in words: its pods, "no route", or "?" when not read. */
static void as_text(const struct pi_mon_detect *d, const struct pi_mon_path *p, char *buf, size_t len)
{
	if (!p->as_known)
		snprintf(buf, len, "?");
	else if (!p->as_route)
		snprintf(buf, len, "no route");
	else
		pods_text(d, p->as_pods, p->n_as, buf, len);
}

static void trace_text(const struct pi_mon_detect *d, const struct pi_mon_path *p, char *buf, size_t len)
{
	if (!p->trace_known)
		snprintf(buf, len, "?");
	else {
		pods_text(d, p->trace_pods, p->n_trace, buf, len);
		if (!p->trace_reached)
			snprintf(buf + strlen(buf), len - strlen(buf), " (not reached)");
	}
}

/* ---- what explains a pair's failure ---- */

static bool on_path(const struct pi_mon_path *p, uint32_t pod)
{
	for (unsigned i = 0; p->as_known && p->as_route && i < p->n_as; i++)
		if (p->as_pods[i] == pod)
			return true;
	for (unsigned i = 0; p->trace_known && i < p->n_trace; i++)
		if (p->trace_pods[i] == pod)
			return true;
	return false;
}

/* A session down now (an open session event) with both ends on the old path,
 * else a changed AS path. */
static void explain(struct pi_mon_detect *d, struct pi_mon_event *e, const struct pair_state *ps)
{
	for (size_t k = 0; k < d->n_sess && ps->has_good; k++) {
		const struct pi_mon_session *s = &d->sess[k];
		if (d->sess_open[k] < 0 || !on_path(&ps->good, s->pod[0]) || !on_path(&ps->good, s->pod[1]))
			continue;
		char a[16], b[16];
		e->session = (uint32_t)k;
		snprintf(e->explain, sizeof(e->explain), "BGP session %s (%s-%s) on the old path went down", s->name,
			 pod_name(d, s->pod[0], a, sizeof(a)), pod_name(d, s->pod[1], b, sizeof(b)));
		return;
	}
	const struct pi_mon_path *g = &ps->good, *f = &e->first_bad;
	if (ps->has_good && g->as_known && f->as_known &&
	    (g->as_route != f->as_route || !pods_equal(g->as_pods, g->n_as, f->as_pods, f->n_as))) {
		char was[110], now[110];
		as_text(d, g, was, sizeof(was));
		as_text(d, f, now, sizeof(now));
		snprintf(e->explain, sizeof(e->explain), "the AS path changed: %s -> %s", was, now);
	}
}

/* ---- sessions ---- */

static void sessions_step(struct pi_mon_detect *d, double now, const bool *up, struct pi_vec *out)
{
	if (!up)
		return;
	if (!d->sess_baseline) {
		memcpy(d->sess_up, up, d->n_sess * sizeof(bool));
		d->sess_baseline = true;
		return;
	}
	for (size_t k = 0; k < d->n_sess; k++) {
		if (d->sess_open[k] >= 0 && up[k]) {
			ev_recover(d, &d->sess_open[k], now, out);
		} else if (d->sess_open[k] < 0 && d->sess_up[k] && !up[k]) {
			long i = ev_open(d, now, PI_MON_SESSION, -1);
			struct pi_mon_event *e = ev_at(d, i);
			char a[16], b[16];
			e->session = (uint32_t)k;
			snprintf(e->what, sizeof(e->what), "BGP session %s (%s-%s) is not Established", d->sess[k].name,
				 pod_name(d, d->sess[k].pod[0], a, sizeof(a)), pod_name(d, d->sess[k].pod[1], b, sizeof(b)));
			*(struct pi_mon_event *)pi_vec_push(out) = *e;
			d->sess_open[k] = i;
		}
		d->sess_up[k] = up[k];
	}
}

/* ---- pairs ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(const struct pair_state *ps)
{
	double v[BASELINE_N];
	memcpy(v, ps->rtt, ps->n_rtt * sizeof(double));
	qsort(v, ps->n_rtt, sizeof(double), cmp_double);
	return ps->n_rtt % 2 ? v[ps->n_rtt / 2] : (v[ps->n_rtt / 2 - 1] + v[ps->n_rtt / 2]) / 2;
}

/* Whether each check fails this interval: 1 fails, 0 passes, -1 not known. */
static void judge(const struct pi_mon_detect *d, const struct pair_state *ps, const struct pi_mon_obs *o, int *f,
		  char what[PI_MON_CHECKS][200])
{
	for (int c = 0; c < PI_MON_CHECKS; c++)
		f[c] = -1;
	if (o->sent) {
		double loss = 100.0 * (o->sent - o->received) / o->sent;
		f[PI_MON_LOSS] = loss > d->o.loss_pct;
		snprintf(what[PI_MON_LOSS], 200, "loss %.0f%% (%u of %u echoes answered)", loss, o->received, o->sent);
	}
	if (o->received) {
		double thr = d->o.latency_ms > 0 ? d->o.latency_ms : INFINITY;
		double base = ps->n_rtt >= d->o.baseline_min ? median(ps) : 0;
		/* A multiple of the baseline, but never within LATENCY_FLOOR_MS of it:
		 * sub-millisecond RTTs jitter by more than 5x on a busy host. */
		double rise = d->o.baseline_factor * base > base + LATENCY_FLOOR_MS ? d->o.baseline_factor * base
										    : base + LATENCY_FLOOR_MS;
		if (base > 0 && rise < thr)
			thr = rise;
		f[PI_MON_LATENCY] = o->rtt_ms > thr;
		snprintf(what[PI_MON_LATENCY], 200, "RTT %.1f ms over %.1f ms (baseline median %.1f ms)", o->rtt_ms,
			 isinf(thr) ? 0.0 : thr, base);
	}
	if (o->dns_checked) {
		f[PI_MON_DNS] = !o->dns_ok;
		snprintf(what[PI_MON_DNS], 200, "the name does not resolve: %s", o->dns_detail);
	}
	if (o->http_checked) {
		f[PI_MON_HTTP] = !o->http_ok;
		snprintf(what[PI_MON_HTTP], 200, "HTTP GET failed: %s", o->http_detail);
	}
	if (ps->has_good && (o->path.as_known || o->path.trace_known)) {
		f[PI_MON_PATH] = pi_mon_path_differs(&ps->good, &o->path);
		char was[80], now[80];
		as_text(d, &ps->good, was, sizeof(was));
		as_text(d, &o->path, now, sizeof(now));
		if (strcmp(was, now) != 0 || !o->path.trace_known || !ps->good.trace_known) {
			snprintf(what[PI_MON_PATH], 200, "the path changed (AS path %s -> %s)", was, now);
		} else { /* BGP's path is the same: the packets' is not */
			trace_text(d, &ps->good, was, sizeof(was));
			trace_text(d, &o->path, now, sizeof(now));
			snprintf(what[PI_MON_PATH], 200, "the path changed (traceroute through %.70s -> %.70s)", was, now);
		}
	}
}

/* Takes the known parts of path p as the pair's normal path. */
static void take_good(struct pair_state *ps, const struct pi_mon_path *p)
{
	if (p->as_known) {
		ps->good.as_known = true;
		ps->good.as_route = p->as_route;
		ps->good.n_as = p->n_as;
		memcpy(ps->good.as_pods, p->as_pods, sizeof(p->as_pods));
	}
	if (p->trace_known) {
		ps->good.trace_known = true;
		ps->good.trace_reached = p->trace_reached;
		ps->good.n_trace = p->n_trace;
		memcpy(ps->good.trace_pods, p->trace_pods, sizeof(p->trace_pods));
	}
	ps->has_good = ps->good.as_known || ps->good.trace_known;
}

/* A path event ends when the old path is back, or when the new one has
 * worked (every other check passing) for settle intervals: then it is the
 * pair's normal path. */
static bool path_recovered(const struct pi_mon_detect *d, struct pair_state *ps, const int *f,
			   const struct pi_mon_obs *o)
{
	if (f[PI_MON_PATH] == 0)
		return true;
	if (f[PI_MON_PATH] < 0)
		return false;
	bool others = true;
	for (int c = 0; c < PI_MON_CHECKS; c++)
		if (c != PI_MON_PATH && (f[c] == 1 || (ps->open[c] >= 0 && f[c] != 0)))
			others = false;
	const struct pi_mon_event *e = ev_at(d, ps->open[PI_MON_PATH]);
	if (!others || pi_mon_path_differs(&e->first_bad, &o->path) ||
	    (o->path.as_known && !o->path.as_route)) {
		ps->settled = 0;
		return false;
	}
	if (++ps->settled < d->o.settle)
		return false;
	take_good(ps, &o->path);
	return true;
}

static void pair_step(struct pi_mon_detect *d, double now, int i, const struct pi_mon_obs *o, struct pi_vec *out)
{
	struct pair_state *ps = &d->p[i];
	int f[PI_MON_CHECKS];
	char what[PI_MON_CHECKS][200];
	judge(d, ps, o, f, what);
	if (ps->open[PI_MON_PATH] >= 0 && path_recovered(d, ps, f, o)) {
		ev_recover(d, &ps->open[PI_MON_PATH], now, out);
		f[PI_MON_PATH] = 0; /* the new path is the normal one now */
	}
	bool any_open = false;
	for (int c = 0; c < PI_MON_SESSION; c++) {
		if (ps->open[c] >= 0 && c != PI_MON_PATH && f[c] == 0)
			ev_recover(d, &ps->open[c], now, out);
		else if (ps->open[c] < 0 && f[c] == 1) {
			long k = ev_open(d, now, (enum pi_mon_check)c, i);
			struct pi_mon_event *e = ev_at(d, k);
			memcpy(e->what, what[c], sizeof(e->what));
			e->last_good = ps->good;
			e->first_bad = o->path;
			explain(d, e, ps);
			*(struct pi_mon_event *)pi_vec_push(out) = *e;
			ps->open[c] = k;
			ps->settled = 0;
			ps->st.events++;
		}
		any_open |= ps->open[c] >= 0;
	}
	if (o->received) {
		ps->st.samples++;
		ps->rtt_sum += o->rtt_ms;
		ps->st.mean_ms = ps->rtt_sum / ps->st.samples;
		if (o->rtt_ms > ps->st.max_ms)
			ps->st.max_ms = o->rtt_ms;
	}
	if (any_open)
		return;
	take_good(ps, &o->path);
	if (o->received) {
		ps->rtt[ps->next_rtt] = o->rtt_ms;
		ps->next_rtt = (ps->next_rtt + 1) % BASELINE_N;
		ps->n_rtt += ps->n_rtt < BASELINE_N;
	}
}

size_t pi_mon_detect_step(struct pi_mon_detect *d, double now, const struct pi_mon_obs *obs, const bool *sessions_up,
			  struct pi_vec *out)
{
	size_t before = out->len;
	sessions_step(d, now, sessions_up, out);
	for (size_t i = 0; i < d->n_pairs; i++)
		pair_step(d, now, (int)i, &obs[i], out);
	return out->len - before;
}

size_t pi_mon_detect_open(const struct pi_mon_detect *d, struct pi_vec *out)
{
	size_t n = 0;
	for (size_t i = 0; i < d->events.len; i++)
		if (ev_at(d, (long)i)->recovered_at == 0) {
			*(struct pi_mon_event *)pi_vec_push(out) = *ev_at(d, (long)i);
			n++;
		}
	return n;
}

void pi_mon_detect_stats(const struct pi_mon_detect *d, size_t pair, struct pi_mon_pair_stats *out)
{
	*out = pair < d->n_pairs ? d->p[pair].st : (struct pi_mon_pair_stats){ 0 };
}

/* ---- reports ---- */

static json_t *pods_json(const struct pi_mon_detect *d, const uint32_t *pods, unsigned n)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < n; i++) {
		char tmp[16];
		json_array_append_new(a, json_string(pod_name(d, pods[i], tmp, sizeof(tmp))));
	}
	return a;
}

static json_t *path_json(const struct pi_mon_detect *d, const struct pi_mon_path *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "as_path", !p->as_known ? json_null()
				    : p->as_route ? pods_json(d, p->as_pods, p->n_as) : json_string("no route"));
	json_object_set_new(o, "traceroute", p->trace_known ? pods_json(d, p->trace_pods, p->n_trace) : json_null());
	if (p->trace_known)
		json_object_set_new(o, "traceroute_reached", json_boolean(p->trace_reached));
	return o;
}

char *pi_mon_event_json(const struct pi_mon_detect *d, const struct pi_mon_event *e)
{
	char a[16], b[16];
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(e->id));
	json_object_set_new(o, "event", json_string(e->recovered_at ? "recovered" : "failure"));
	json_object_set_new(o, "start", json_real(e->start));
	json_object_set_new(o, "recovered_at", e->recovered_at ? json_real(e->recovered_at) : json_null());
	json_object_set_new(o, "check", json_string(pi_mon_check_name(e->check)));
	json_object_set_new(o, "from", e->pair >= 0 ? json_string(node_name(d, e->from, a, sizeof(a))) : json_null());
	json_object_set_new(o, "to", e->pair >= 0 ? json_string(node_name(d, e->to, b, sizeof(b))) : json_null());
	json_object_set_new(o, "what", json_string(e->what));
	bool sess = e->session != PI_NONE && e->session < d->n_sess;
	json_object_set_new(o, "session", sess ? json_string(d->sess[e->session].name) : json_null());
	json_object_set_new(o, "explanation", e->explain[0] ? json_string(e->explain) : json_null());
	if (e->pair >= 0) {
		json_object_set_new(o, "last_good_path", path_json(d, &e->last_good));
		json_object_set_new(o, "first_bad_path", path_json(d, &e->first_bad));
	}
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(13));
	json_decref(o);
	return s ? s : pi_xstrdup("{}");
}

void pi_mon_event_text(const struct pi_mon_detect *d, const struct pi_mon_event *e, char *buf, size_t len)
{
	char a[16], b[16], pair[300] = "";
	if (e->pair >= 0)
		snprintf(pair, sizeof(pair), " %s -> %s:", node_name(d, e->from, a, sizeof(a)), node_name(d, e->to, b, sizeof(b)));
	if (e->recovered_at)
		snprintf(buf, len, "RECOVERED #%u %s%s after %.1f s", e->id, pi_mon_check_name(e->check), pair,
			 e->recovered_at - e->start);
	else
		snprintf(buf, len, "FAILURE   #%u %s%s %s%s%s", e->id, pi_mon_check_name(e->check), pair, e->what,
			 e->explain[0] ? "; " : "", e->explain);
}
