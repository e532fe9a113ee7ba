/*
 * policy: propagate every AS's routes across the AS graph using the policy
 * the rendered router daemon configs actually contain, and check the
 * result. The configs come through render's router daemon table
 * (pi_router_daemon_of); each daemon has a reader below that finds the
 * policy in its syntax (a new daemon needs one). BIRD's reader reads,
 * per BGP session end: the export filter
 * (export_all = everything; export_own_and_customers = own routes and
 * routes tagged FROM_CUSTOMER; a route server's `export where source =
 * RTS_BGP` = everything), the import tag (learned_from(FROM_X, LP_X)) and
 * the accepted cone (`net ~ [ ... ]`). Origins come from the `protocol
 * static origin4` blocks. Route servers are transparent (no AS in the path).
 *
 * Asserted: every best path is valley-free (up* peer? down*), the import
 * tag matches the plan's relationship, and every AS reaches every other
 * AS's aggregates. Original-format labs have no relationships (their peers
 * pass everything on, as in the original project): only reachability.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "common.h"
#include "fixture.h"

#define MAXPATH 64

enum exp_mode { EXP_NONE, EXP_ALL, EXP_OWN_CUST };

struct end {
	enum exp_mode exp;
	int tag; /* 1 customer, 2 peer, 3 provider, 0 none (route server) */
	int lp;
	struct pi_prefix cone[256];
	int n_cone; /* -1: no cone check (provider) */
};

struct route {
	bool have;
	int lp;
	int len;
	uint32_t path[MAXPATH]; /* pods, nearest first, origin last */
	int tags[MAXPATH];      /* tag at each receiving AS, from the origin outward */
	int n_tags;
	bool own;
};

static int kind_of(const char *s)
{
	if (strstr(s, "learned_from(FROM_CUSTOMER"))
		return 1;
	if (strstr(s, "learned_from(FROM_PEER"))
		return 2;
	if (strstr(s, "learned_from(FROM_PROVIDER"))
		return 3;
	return 0;
}

static void bird_parse_end(const char *blk, int fam, struct end *e)
{
	memset(e, 0, sizeof(*e));
	char all[32], own[48];
	snprintf(all, sizeof(all), "export filter export_all%d;", fam);
	snprintf(own, sizeof(own), "export filter export_own_and_customers%d;", fam);
	if (strstr(blk, all) || strstr(blk, "export where source = RTS_BGP;"))
		e->exp = EXP_ALL;
	else if (strstr(blk, own))
		e->exp = EXP_OWN_CUST;
	e->tag = kind_of(blk);
	e->lp = e->tag == 1 ? PI_LP_CUSTOMER : e->tag == 2 ? PI_LP_PEER : e->tag == 3 ? PI_LP_PROVIDER : 100;
	const char *c = strstr(blk, "if ! (net ~ [");
	if (!c) {
		e->n_cone = -1;
		return;
	}
	c += strlen("if ! (net ~ [");
	const char *end = strchr(c, ']');
	assert_non_null(end);
	while (c < end) {
		while (c < end && (*c == ' ' || *c == ',' || *c == '\n' || *c == '\t'))
			c++;
		const char *t = c;
		while (c < end && *c != '+' && *c != ',' && *c != ' ')
			c++;
		if (c == t)
			break;
		char buf[PI_PREFIX_STRLEN];
		snprintf(buf, sizeof(buf), "%.*s", (int)(c - t), t);
		assert_true(e->n_cone < 256);
		assert_int_equal(pi_prefix_parse(buf, &e->cone[e->n_cone]), 0);
		e->n_cone++;
		if (c < end && *c == '+')
			c++;
	}
}

/* The origin prefix of one family in a BIRD config (protocol static originN). */
static bool bird_origin(const char *conf, int fam, struct pi_prefix *out)
{
	char hdr[32], buf[PI_PREFIX_STRLEN];
	/* At a line start: an exercise skeleton names it in a comment. */
	snprintf(hdr, sizeof(hdr), "\nprotocol static origin%d {", fam);
	const char *o = strstr(conf, hdr);
	if (!o)
		return false;
	const char *r = strstr(o, "\troute ");
	assert_non_null(r);
	assert_int_equal(sscanf(r, "\troute %63s unreachable;", buf), 1);
	assert_int_equal(pi_prefix_parse(buf, out), 0);
	return true;
}

/* How to read the routing policy out of one router daemon's files. */
struct policy_reader {
	const char *daemon; /* pi_router_daemon.name */
	/* The session's part of the config (malloc'd), or NULL. */
	char *(*session_block)(const char *conf, const char *name);
	void (*parse_end)(const char *blk, int fam, struct end *e);
	bool (*origin)(const char *conf, int fam, struct pi_prefix *out);
};

static const struct policy_reader readers[] = {
	{ "bird", bird_protocol_block, bird_parse_end, bird_origin },
};

/* A router node's daemon files, concatenated, and the reader for them; NULL
 * for nodes that run no router daemon. */
static char *router_conf(const struct pi_plan *p, uint32_t node, const struct policy_reader **rd)
{
	const struct pi_router_daemon *d = pi_router_daemon_of(p, node);
	if (!d)
		return NULL;
	*rd = NULL;
	for (size_t i = 0; i < PI_ARRAY_LEN(readers); i++)
		if (strcmp(readers[i].daemon, d->name) == 0)
			*rd = &readers[i];
	if (!*rd)
		fail_msg("no policy reader for router daemon %s: add one to tests/render/test_policy.c", d->name);
	struct pi_render_opts o;
	struct pi_render_set set;
	struct pi_buf b;
	pi_render_opts_default(&o);
	pi_render_set_init(&set);
	pi_buf_init(&b);
	d->render(p, node, &o, &set);
	assert_true(set.files.len > 0);
	for (size_t i = 0; i < set.files.len; i++)
		pi_buf_puts(&b, ((const struct pi_render_file *)pi_vec_at(&set.files, i))->data);
	pi_render_set_free(&set);
	return pi_buf_steal(&b);
}

/* One end of plan session k: the daemon's name for it, its block and policy. */
static void read_end(const struct pi_plan *p, uint32_t k, uint32_t node, const char *conf,
		     const struct policy_reader *rd, int fam, struct end *e)
{
	char name[64];
	pi_router_daemon_of(p, node)->session_name(p, k, name, sizeof(name));
	char *blk = rd->session_block(conf, name);
	if (!blk)
		fprintf(stderr, "%s: no session %s\n", p->nodes[node].name, name);
	assert_non_null(blk);
	rd->parse_end(blk, fam, e);
	free(blk);
}

static bool in_cone(const struct end *e, const struct pi_prefix *p)
{
	if (e->n_cone < 0)
		return true;
	for (int i = 0; i < e->n_cone; i++)
		if (pi_prefix_contains(&e->cone[i], p))
			return true;
	return false;
}

/* What the rendered policy tags a route with, given the plan's relationship. */
static int expected_tag(enum pi_rel what_sender_is)
{
	switch (what_sender_is) {
	case PI_REL_CUSTOMER: return 1;
	case PI_REL_PEER: return 2;
	case PI_REL_RS: return 2;
	case PI_REL_PROVIDER: return 3;
	default: return 0;
	}
}

static bool valley_free(const struct route *r)
{
	int phase = 1, peers = 0;
	for (int i = 0; i < r->n_tags; i++) {
		int t = r->tags[i];
		if (t < phase)
			return false; /* going up again after a peer or provider hop */
		if (t == 2 && ++peers > 1)
			return false;
		phase = t;
	}
	return true;
}

struct edge {
	uint32_t from, to;   /* speakers */
	uint32_t from_node, to_node;
	struct end tx, rx;   /* sender's export, receiver's import */
	bool from_rs, to_rs;
};

/* Two edges per eBGP session of family fam, with each end's rendered policy. */
static size_t build_edges(const struct pi_plan *p, int fam, char **conf, const struct policy_reader **rd,
			  struct edge *edges)
{
	size_t n_edges = 0;
	for (uint32_t i = 0; i < p->n_sessions; i++) {
		const struct pi_plan_session *s = &p->sessions[i];
		if (s->rel == PI_REL_IBGP || s->family != (fam == 4 ? PI_AF_V4 : PI_AF_V6))
			continue;
		/* An exercise pod's side is the students' to write: no rendered policy to compose. */
		if (pi_plan_session_by_students(p, i, s->a) || pi_plan_session_by_students(p, i, s->b))
			continue;
		assert_non_null(conf[s->a]);
		assert_non_null(conf[s->b]);
		struct end ea, eb;
		read_end(p, i, s->a, conf[s->a], rd[s->a], fam, &ea);
		read_end(p, i, s->b, conf[s->b], rd[s->b], fam, &eb);
		bool a_rs = (p->nodes[s->a].services & PI_SVC_RS) && s->rel == PI_REL_RS_CLIENT;
		bool b_rs = s->rel == PI_REL_RS;
		/* The rendered tag agrees with the plan (b is rel to a). */
		if (!a_rs)
			assert_int_equal(ea.tag, expected_tag(s->rel));
		if (!b_rs)
			assert_int_equal(eb.tag, expected_tag(pi_rel_invert(s->rel)));
		uint32_t spa = a_rs ? p->n_pods + s->a : p->nodes[s->a].pod;
		uint32_t spb = b_rs ? p->n_pods + s->b : p->nodes[s->b].pod;
		edges[n_edges++] = (struct edge){ spa, spb, s->a, s->b, ea, eb, a_rs, b_rs };
		edges[n_edges++] = (struct edge){ spb, spa, s->b, s->a, eb, ea, b_rs, a_rs };
	}
	return n_edges;
}

/* One synchronous round for origin o: each speaker picks its best route
 * from its neighbours' routes of the last round (cur) into next. */
static void propagate_round(const struct edge *edges, size_t n_edges, uint32_t o, const struct pi_prefix *origin,
			    const struct route *cur, struct route *next)
{
	for (size_t k = 0; k < n_edges; k++) {
		const struct edge *e = &edges[k];
		const struct route *r = &cur[e->from];
		if (!r->have || e->to == o)
			continue;
		bool tx = e->tx.exp == EXP_ALL ||
			  (e->tx.exp == EXP_OWN_CUST && (r->own || (r->n_tags && r->tags[r->n_tags - 1] == 1)));
		if (!tx || !in_cone(&e->rx, origin))
			continue;
		struct route c = *r;
		c.own = false;
		if (!e->to_rs) {
			bool loop = false;
			for (int i = 0; i < r->len; i++)
				if (r->path[i] == e->to)
					loop = true;
			if (loop || r->len + 1 > MAXPATH)
				continue;
			memmove(c.path + 1, r->path, sizeof(uint32_t) * (size_t)r->len);
			c.path[0] = e->to;
			c.len = r->len + 1;
			c.tags[c.n_tags++] = e->rx.tag;
			c.lp = e->rx.lp;
		} else {
			c.lp = 100;
		}
		c.have = true;
		struct route *best = &next[e->to];
		if (!best->have || c.lp > best->lp || (c.lp == best->lp && c.len < best->len))
			*best = c;
	}
}

static void simulate(const struct pi_plan *p, int fam)
{
	uint32_t n_speakers = p->n_pods + p->n_nodes;
	char **conf = calloc(p->n_nodes, sizeof(char *));
	const struct policy_reader **rd = calloc(p->n_nodes, sizeof(*rd));
	for (uint32_t n = 0; n < p->n_nodes; n++)
		conf[n] = router_conf(p, n, &rd[n]);

	struct edge *edges = calloc(2 * (size_t)p->n_sessions + 1, sizeof(struct edge));
	size_t n_edges = build_edges(p, fam, conf, rd, edges);

	/* Origins: the prefixes each pod's border routers originate. */
	struct pi_prefix *origin = calloc(p->n_pods, sizeof(struct pi_prefix));
	bool *has_origin = calloc(p->n_pods, sizeof(bool));
	for (uint32_t n = 0; n < p->n_nodes; n++) {
		struct pi_prefix pf;
		if (!conf[n] || !rd[n]->origin(conf[n], fam, &pf))
			continue;
		has_origin[p->nodes[n].pod] = true;
		origin[p->nodes[n].pod] = pf;
	}

	struct route *cur = calloc(n_speakers, sizeof(struct route));
	struct route *next = calloc(n_speakers, sizeof(struct route));
	unsigned checked = 0;
	for (uint32_t o = 0; o < p->n_pods; o++) {
		if (!has_origin[o])
			continue;
		memset(cur, 0, n_speakers * sizeof(struct route));
		cur[o] = (struct route){ .have = true, .lp = 1000, .len = 1, .path = { o }, .own = true };
		bool changed = true;
		int rounds = 0;
		while (changed && rounds++ < 200) {
			memcpy(next, cur, n_speakers * sizeof(struct route));
			for (uint32_t sp = 0; sp < n_speakers; sp++)
				if (sp != o)
					next[sp].have = false;
			propagate_round(edges, n_edges, o, &origin[o], cur, next);
			changed = memcmp(next, cur, n_speakers * sizeof(struct route)) != 0;
			memcpy(cur, next, n_speakers * sizeof(struct route));
		}
		assert_false(changed); /* Gao-Rexford policies converge */
		for (uint32_t d = 0; d < p->n_pods; d++) {
			if (d == o || !has_origin[d])
				continue;
			if (!cur[d].have)
				fprintf(stderr, "%s: no route to %s's prefix\n", p->pods[d].name, p->pods[o].name);
			assert_true(cur[d].have);
			checked++;
			/* The original format has no relationships: full transit, by design. */
			if (p->legacy)
				continue;
			if (!valley_free(&cur[d])) {
				fprintf(stderr, "path of %s to %s is not valley-free:", p->pods[d].name, p->pods[o].name);
				for (int i = 0; i < cur[d].len; i++)
					fprintf(stderr, " %s", p->pods[cur[d].path[i]].name);
				fprintf(stderr, "\n");
			}
			assert_true(valley_free(&cur[d]));
		}
	}
	assert_true(checked > 0);
	free(cur);
	free(next);
	free(origin);
	free(has_origin);
	free(edges);
	for (uint32_t n = 0; n < p->n_nodes; n++)
		free(conf[n]);
	free(conf);
	free(rd);
}

static void test_fixture(void **state)
{
	(void)state;
	struct pi_plan *p = fixture_plan();
	simulate(p, 4);
	simulate(p, 6);
	fixture_free(p);
}

/* A customer's route must not go from one provider to another through it. */
static void test_fixture_no_transit_for_peers(void **state)
{
	(void)state;
	struct pi_plan *p = fixture_plan();
	const struct policy_reader *rd;
	char *a = router_conf(p, FX_A_R1, &rd);
	uint32_t k = PI_NONE;
	for (uint32_t i = 0; i < p->n_sessions; i++)
		if (p->sessions[i].a == FX_A_R1 && p->sessions[i].b == FX_B_R1 && p->sessions[i].family == PI_AF_V4)
			k = i;
	assert_int_not_equal(k, PI_NONE);
	struct end e;
	read_end(p, k, FX_A_R1, a, rd, 4, &e);
	/* a exports to its peer b only own and customer routes: t's routes
	 * (tagged provider at a) do not pass. */
	assert_int_equal(e.exp, EXP_OWN_CUST);
	free(a);
	fixture_free(p);
}

static void test_every_lab(void **state)
{
	(void)state;
	char **labs = list_labs();
	unsigned n = 0;
	for (char **l = labs; *l; l++) {
		struct pi_lab *lab;
		struct pi_plan *p = load_lab_plan(*l, &lab);
		simulate(p, 4);
		if (pi_prefix_is_set(&p->v6))
			simulate(p, 6);
		pi_plan_free(p);
		pi_lab_free(lab);
		n++;
	}
	assert_true(n >= 1);
	free_names(labs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_fixture_no_transit_for_peers),
		cmocka_unit_test(test_every_lab),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
