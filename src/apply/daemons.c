/*
 * daemons and convergence.
 *
 * Each container's command waits on a FIFO until its links are wired, then
 * runs start.sh and leaves the exit status in a file. Setup opens the FIFO
 * and reads the status inside the node's root (resolved there, so a symlink
 * a node plants never leads to a host file): starting the daemons of 500
 * nodes costs no exec (one exec took ~0.8 s of the engine's time with
 * hundreds of containers running) and no process on the host.
 *
 * Convergence polls the router daemons' control sockets and the resolvers,
 * with backoff, until every awaited BGP session is Established at both ends
 * and every awaited resolver answers: all of them in a fresh lab, those of
 * the wanted nodes otherwise (setup_int.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "setup_int.h"
#include "pocketinternet/render.h"

#define START_OUT_MAX 65536

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int go_one(void *ctx, size_t i)
{
	struct setup *s = ctx;
	if (!setup_wants(s, (uint32_t)i) || setup_no_start(s->plan, (uint32_t)i))
		return 0;
	int err = ENOENT;
	/* The FIFO appears right after the container starts: wait for it briefly. */
	for (unsigned ms = 0; ms < 10000; ms += 20) {
		int fd = pi_root_open(s->rt[i].pid, NODE_RUN "/go", O_WRONLY | O_NONBLOCK | O_CLOEXEC, 0);
		if (fd >= 0) {
			ssize_t w = write(fd, "go\n", 3);
			close(fd);
			return w == 3 ? 0 : -EIO;
		}
		err = -fd;
		if (err != ENOENT && err != ENXIO)
			break;
		sleep_ms(20);
	}
	pthread_mutex_lock(&s->lock);
	pi_diag_add(s->diag, (struct pi_pos){ 0 }, "is the node image current? rebuild it with 'pocketinternet image build'",
		    "node %s never waited for its start signal (%s)", s->plan->nodes[i].name, strerror(err));
	pthread_mutex_unlock(&s->lock);
	return -err;
}

/* 1 when start.sh has finished (0 ok), 0 while it runs, <0 on failure. */
static int started(struct setup *s, size_t i)
{
	char *text = NULL;
	if (pi_root_read_file(s->rt[i].pid, NODE_RUN "/started", &text, NULL, 64) < 0)
		return 0;
	int status = atoi(text);
	free(text);
	if (status == 0)
		return 1;
	char *out = NULL;
	pi_root_read_file(s->rt[i].pid, NODE_RUN "/start.out", &out, NULL, START_OUT_MAX);
	size_t len = out ? strlen(out) : 0;
	pi_diag_add(s->diag, (struct pi_pos){ 0 }, "look at /var/log/pocketinternet/ in the node: pocketinternet shell NODE",
		    "starting the daemons of %s failed (exit %d): %s", s->plan->nodes[i].name, status,
		    out ? (len > 400 ? out + len - 400 : out) : "");
	free(out);
	return -EIO;
}

/* Polls started() over the wanted nodes until all finished, one failed, the
 * user cancelled or 120 s passed. */
static int wait_started(struct setup *s, bool *done, size_t n_wanted)
{
	size_t n = s->plan->n_nodes, n_done = 0;
	double deadline = pi_monotonic() + 120;
	unsigned delay_ms = 20;
	for (;;) {
		for (size_t i = 0; i < n; i++) {
			if (done[i])
				continue;
			int st = started(s, i);
			if (st < 0)
				return st;
			if (st > 0) {
				done[i] = true;
				n_done++;
			}
		}
		pi_setup_progress(s, n_done, n_wanted, NULL);
		if (n_done == n_wanted)
			return 0;
		if (pi_setup_cancelled(s))
			return -ECANCELED;
		if (pi_monotonic() > deadline) {
			pi_diag_add(s->diag, (struct pi_pos){ 0 }, "look at start.out in the nodes' " NODE_RUN,
				    "%zu nodes did not finish starting their daemons within 120 s", n_wanted - n_done);
			return -ETIMEDOUT;
		}
		sleep_ms(delay_ms);
		if (delay_ms < 250)
			delay_ms *= 2;
	}
}

int pi_setup_daemons(struct setup *s)
{
	size_t n = s->plan->n_nodes, n_wanted = 0;
	bool *done = pi_xcalloc(n ? n : 1, sizeof(bool));
	for (size_t i = 0; i < n; i++) {
		done[i] = !setup_wants(s, (uint32_t)i) || setup_no_start(s->plan, (uint32_t)i);
		n_wanted += !done[i];
	}
	s->phase = PI_PHASE_DAEMONS;
	pi_setup_progress(s, 0, n_wanted, "signalling");
	int rc = pi_pool_run(n, s->opts->parallel ? s->opts->parallel : 8, go_one, NULL, s, s->opts->cancel);
	if (!rc)
		rc = wait_started(s, done, n_wanted);
	free(done);
	return rc;
}

/* ---- converge ---- */

/* A round probes each awaited resolver this long at most, and rounds are at
 * most CONVERGE_ROUND_MS apart: the last session or resolver is seen within
 * about half a second of coming up, not after a round of a second or more. */
#define CONVERGE_PROBE_MS 300
#define CONVERGE_ROUND_MS 300

struct converge {
	struct setup *s;
	/* Per node: awaited sessions still to see Established / resolver still silent. */
	uint32_t *pending;
	bool *resolver_pending;
	bool *session_awaited; /* per session */
	bool *kicked;          /* per node: its resolver was told to start afresh */
	double bgp_up_at;      /* when every awaited session was up (0: not yet) */
};

static uint32_t count_up(const struct converge *c, uint32_t i, const struct pi_vec *st)
{
	const struct pi_plan *p = c->s->plan;
	const struct pi_plan_node *n = &p->nodes[i];
	uint32_t up = 0;
	for (uint32_t k = 0; k < n->n_session_idx; k++) {
		if (!c->session_awaited[n->session_idx[k]])
			continue;
		char name[64];
		pi_apply_session_name(p, n->session_idx[k], name, sizeof(name));
		for (size_t j = 0; j < st->len; j++) {
			const struct pi_bgp_state *b = pi_vec_at(st, j);
			if (strcmp(b->name, name) == 0 && b->established) {
				up++;
				break;
			}
		}
	}
	return up;
}

static int converge_one(void *ctx, size_t i)
{
	struct converge *c = ctx;
	struct setup *s = c->s;
	if (c->pending[i]) {
		struct pi_vec st = PI_VEC_INIT(struct pi_bgp_state);
		if (pi_apply_node_sessions(s->plan, (uint32_t)i, s->rt[i].pid, &st) == 0) {
			uint32_t awaited = 0;
			const struct pi_plan_node *n = &s->plan->nodes[i];
			for (uint32_t k = 0; k < n->n_session_idx; k++)
				awaited += c->session_awaited[n->session_idx[k]];
			c->pending[i] = awaited - count_up(c, (uint32_t)i, &st);
		}
		pi_vec_free(&st);
	}
	/* A resolver still walking from the root goes on after the probe gives
	 * up, and answers the next round's probe from its cache. */
	if (c->resolver_pending[i] && pi_apply_resolver_answers(s->plan, (uint32_t)i, s->rt[i].pid, CONVERGE_PROBE_MS))
		c->resolver_pending[i] = false;
	return 0;
}

/* What to wait for: sessions with a wanted end whose both ends run, and the
 * wanted nodes' resolvers. */
static void converge_init(struct converge *c)
{
	struct setup *s = c->s;
	const struct pi_plan *p = s->plan;
	c->pending = pi_xcalloc(p->n_nodes + 1, sizeof(uint32_t));
	c->resolver_pending = pi_xcalloc(p->n_nodes + 1, sizeof(bool));
	c->session_awaited = pi_xcalloc(p->n_sessions + 1, sizeof(bool));
	c->kicked = pi_xcalloc(p->n_nodes + 1, sizeof(bool));
	for (uint32_t k = 0; k < p->n_sessions; k++) {
		const struct pi_plan_session *x = &p->sessions[k];
		if (!(setup_wants(s, x->a) || setup_wants(s, x->b)) || s->rt[x->a].pid <= 0 || s->rt[x->b].pid <= 0 ||
		    setup_is_speaker(p, x->a) || setup_is_speaker(p, x->b))
			continue;
		/* An exercise pod's students bring these up, not setup. */
		if (pi_plan_session_by_students(p, k, x->a) || pi_plan_session_by_students(p, k, x->b))
			continue;
		c->session_awaited[k] = true;
		s->res->sessions_total++;
		c->pending[x->a]++;
		c->pending[x->b]++;
	}
	for (uint32_t i = 0; i < p->n_nodes; i++)
		/* An exercise pod's resolver reaches the root once the students' routing works. */
		if ((p->nodes[i].services & PI_SVC_RESOLVER) && setup_wants(s, i) && s->rt[i].pid > 0 &&
		    p->pods[p->nodes[i].pod].exercise == PI_EXERCISE_NONE) {
			c->resolver_pending[i] = true;
			s->res->resolvers_total++;
		}
}

/* One round: 1 when everything awaited is up. */
static int converge_round(struct converge *c)
{
	struct setup *s = c->s;
	const struct pi_plan *p = s->plan;
	pi_pool_run(p->n_nodes, s->opts->parallel ? s->opts->parallel : 8, converge_one, NULL, c, s->opts->cancel);
	size_t ends_pending = 0, res_pending = 0, ends_total = 2 * (size_t)s->res->sessions_total;
	for (uint32_t i = 0; i < p->n_nodes; i++) {
		ends_pending += c->pending[i];
		res_pending += c->resolver_pending[i];
	}
	s->res->sessions_up = (unsigned)((ends_total - ends_pending) / 2);
	s->res->resolvers_up = s->res->resolvers_total - (unsigned)res_pending;
	char detail[128];
	snprintf(detail, sizeof(detail), "BGP %u/%u, resolvers %u/%u", s->res->sessions_up, s->res->sessions_total,
		 s->res->resolvers_up, s->res->resolvers_total);
	pi_setup_progress(s, ends_total - ends_pending + s->res->resolvers_up, ends_total + s->res->resolvers_total,
			  detail);
	if (ends_pending == 0 && c->bgp_up_at == 0)
		c->bgp_up_at = pi_monotonic();
	return ends_pending == 0 && res_pending == 0;
}

/*
 * A resolver that started before the routes did has seen the root servers
 * time out, and Unbound then waits out its back-off before it asks them
 * again: seconds after BGP has converged. Once every session is up, a
 * resolver still silent a second later is told to reload (its reload
 * script: SIGHUP, which also clears Unbound's server cache), once.
 */
static int kick_one(void *ctx, size_t i)
{
	struct converge *c = ctx;
	struct setup *s = c->s;
	if (!c->resolver_pending[i] || c->kicked[i])
		return 0;
	c->kicked[i] = true;
	struct pi_buf sh;
	pi_buf_init(&sh);
	const char *conf[] = { "unbound.conf" };
	if (pi_render_reload_script(s->plan, (uint32_t)i, conf, 1, &sh)) {
		const char *argv[] = { "sh", "-c", pi_buf_str(&sh) };
		struct pi_exec_result r;
		pi_exec_result_init(&r);
		s->b->ops->exec(s->b, s->plan->lab_name, s->plan->nodes[i].name, argv, 3, NULL, &r, NULL);
		pi_exec_result_free(&r);
	}
	pi_buf_free(&sh);
	return 0;
}

static void kick_resolvers(struct converge *c)
{
	struct setup *s = c->s;
	if (c->bgp_up_at == 0 || pi_monotonic() - c->bgp_up_at < 1.0 || s->opts->start_only)
		return;
	pi_pool_run(s->plan->n_nodes, s->opts->parallel ? s->opts->parallel : 8, kick_one, NULL, c, NULL);
}

int pi_setup_converge(struct setup *s)
{
	struct converge c = { .s = s };
	s->res->sessions_total = s->res->sessions_up = 0;
	s->res->resolvers_total = s->res->resolvers_up = 0;
	converge_init(&c);
	unsigned timeout = s->opts->converge_timeout_s ? s->opts->converge_timeout_s : 180;
	double deadline = pi_monotonic() + timeout;
	unsigned delay_ms = 100;
	for (;;) {
		if (converge_round(&c)) {
			s->res->converged = true;
			break;
		}
		if (pi_setup_cancelled(s) || pi_monotonic() > deadline)
			break;
		kick_resolvers(&c);
		sleep_ms(delay_ms);
		if (delay_ms < CONVERGE_ROUND_MS)
			delay_ms = delay_ms * 3 / 2;
	}
	free(c.pending);
	free(c.resolver_pending);
	free(c.session_awaited);
	free(c.kicked);
	return pi_setup_cancelled(s) ? -ECANCELED : 0;
}
