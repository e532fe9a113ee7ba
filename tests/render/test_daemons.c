/*
 * daemons: the router daemon table (BIRD's entry: control protocol framing,
 * `show protocols` parsing, session names) and the service table that
 * decides both a node's files and its start.sh.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "common.h"
#include "fixture.h"

static const struct pi_router_daemon *bird = &pi_router_bird;

/* What BIRD 2.0.12 sends on its socket for `show protocols`: codes, a
 * continuation block, times and a date-time, an inactive session. */
static const char reply[] =
	"2002-Name       Proto      Table      State  Since         Info\n"
	"1002-device1    Device     ---        up     12:00:00.123  \n"
	" kernel4    Kernel     master4    up     12:00:00.123  \n"
	" ospf4      OSPF       master4    up     12:00:00.123  Running\n"
	" ebgp_t_a_v4 BGP        ---        up     12:00:01.456  Established   \n"
	" ebgp_t_b_v6 BGP        ---        start  12:00:01.456  Active        Socket: Connection refused\n"
	" ibgp_core_v4 BGP       ---        start  2026-11-22 12:00:01  Connect       \n"
	"0000 \n";

static void test_request(void **state)
{
	(void)state;
	struct pi_buf b;
	pi_buf_init(&b);
	bird->ctl_request(bird->sessions_cmd, &b);
	assert_string_equal(pi_buf_str(&b), "show protocols\n");
	pi_buf_free(&b);
	assert_non_null(strstr(bird->user_sessions_cmd, bird->sessions_cmd));
	assert_string_equal(bird->ctl_socket, "/run/bird/bird.ctl");
}

static void test_reply_done(void **state)
{
	(void)state;
	/* The greeting: nothing yet, half a line, the line. */
	const char greet[] = "0001 BIRD 2.0.12 ready.\n";
	assert_int_equal(bird->ctl_reply_done("", 0, true), 0);
	assert_int_equal(bird->ctl_reply_done(greet, 10, true), 0);
	assert_int_equal(bird->ctl_reply_done(greet, sizeof(greet) - 2, true), 0); /* no newline yet */
	assert_int_equal(bird->ctl_reply_done(greet, sizeof(greet) - 1, true), 1);
	/* A long reply is not complete at any earlier byte: rows ("1002-",
	 * " kernel4") and headings do not end it, only "0000 " does. */
	for (size_t n = 0; n + 1 < sizeof(reply) - 1; n++)
		assert_int_equal(bird->ctl_reply_done(reply, n, false), 0);
	assert_int_equal(bird->ctl_reply_done(reply, sizeof(reply) - 1, false), 1);
	/* Errors: run-time (8xxx) and parse (9xxx). */
	assert_int_equal(bird->ctl_reply_done("8003 No protocols match\n", 24, false), -EPROTO);
	assert_int_equal(bird->ctl_reply_done("9001 syntax error, unexpected END\n", 34, false), -EPROTO);
	assert_int_equal(bird->ctl_reply_done("9001 syntax", 11, false), 0);
	/* Not NUL-terminated: only len counts. */
	char buf[64];
	memcpy(buf, "0000 \nXXXX", 10);
	assert_int_equal(bird->ctl_reply_done(buf, 5, false), 0);
	assert_int_equal(bird->ctl_reply_done(buf, 6, false), 1);
}

static void test_reply_text(void **state)
{
	(void)state;
	struct pi_buf b;
	pi_buf_init(&b);
	bird->ctl_reply_text(reply, sizeof(reply) - 1, &b);
	const char *t = pi_buf_str(&b);
	assert_true(strncmp(t, "Name       Proto", 16) == 0);
	assert_non_null(strstr(t, "\ndevice1    Device"));
	assert_non_null(strstr(t, "\nkernel4    Kernel"));
	assert_non_null(strstr(t, "\nebgp_t_a_v4 BGP"));
	assert_null(strstr(t, "1002"));
	assert_null(strstr(t, "0000"));
	pi_buf_free(&b);
	pi_buf_init(&b);
	bird->ctl_reply_text("8003 No protocols match\n", 24, &b);
	assert_string_equal(pi_buf_str(&b), "No protocols match\n");
	pi_buf_free(&b);
}

static const struct pi_bgp_state *find(const struct pi_vec *v, const char *name)
{
	for (size_t i = 0; i < v->len; i++) {
		const struct pi_bgp_state *s = pi_vec_at(v, i);
		if (strcmp(s->name, name) == 0)
			return s;
	}
	return NULL;
}

static void check_parsed(const struct pi_vec *v)
{
	assert_int_equal(v->len, 3); /* BGP only */
	const struct pi_bgp_state *s = find(v, "ebgp_t_a_v4");
	assert_non_null(s);
	assert_string_equal(s->state, "up");
	assert_string_equal(s->info, "Established");
	assert_true(s->established);
	s = find(v, "ebgp_t_b_v6");
	assert_non_null(s);
	assert_string_equal(s->state, "start");
	assert_string_equal(s->info, "Active");
	assert_false(s->established);
	s = find(v, "ibgp_core_v4"); /* the date does not pass for the info */
	assert_non_null(s);
	assert_string_equal(s->info, "Connect");
	assert_false(s->established);
}

static void test_parse_sessions(void **state)
{
	(void)state;
	/* The text as ctl_reply_text gives it, and as birdc prints it. */
	struct pi_buf b;
	pi_buf_init(&b);
	bird->ctl_reply_text(reply, sizeof(reply) - 1, &b);
	struct pi_vec v = PI_VEC_INIT(struct pi_bgp_state);
	bird->parse_sessions(pi_buf_str(&b), &v);
	check_parsed(&v);
	pi_vec_free(&v);
	pi_buf_free(&b);

	/* With the reply codes still on; a BGP session on the coded first row. */
	struct pi_vec w = PI_VEC_INIT(struct pi_bgp_state);
	bird->parse_sessions(reply, &w);
	check_parsed(&w);
	pi_vec_free(&w);
	struct pi_vec x = PI_VEC_INIT(struct pi_bgp_state);
	bird->parse_sessions("1002-first_v4  BGP  ---  up  2026-11-22  Established\n0000 \n", &x);
	assert_int_equal(x.len, 1);
	assert_string_equal(((struct pi_bgp_state *)pi_vec_at(&x, 0))->name, "first_v4");
	assert_true(((struct pi_bgp_state *)pi_vec_at(&x, 0))->established);
	pi_vec_free(&x);
}

/* Every planned session is a `protocol bgp NAME` at both ends, under the
 * name the entry gives it; only nodes with a router daemon get its config
 * and start it on its control socket. */
static void check_names(const struct pi_plan *p)
{
	for (uint32_t k = 0; k < p->n_sessions; k++) {
		const struct pi_plan_session *s = &p->sessions[k];
		uint32_t ends[2] = { s->a, s->b };
		for (int e = 0; e < 2; e++) {
			const struct pi_router_daemon *d = pi_router_daemon_of(p, ends[e]);
			assert_ptr_equal(d, &pi_router_bird);
			/* An exercise pod's side is the students' to write (test_skeleton.c). */
			if (pi_plan_session_by_students(p, k, ends[e]))
				continue;
			char name[64], want[128];
			d->session_name(p, k, name, sizeof(name));
			snprintf(want, sizeof(want), "\nprotocol bgp %s from ", name);
			char *conf = render_file(p, ends[e], "bird.conf");
			assert_non_null(conf);
			if (!strstr(conf, want))
				fprintf(stderr, "%s: no session %s\n", p->nodes[ends[e]].name, name);
			assert_non_null(strstr(conf, want));
			free(conf);
		}
	}
	for (uint32_t n = 0; n < p->n_nodes; n++) {
		const struct pi_router_daemon *d = pi_router_daemon_of(p, n);
		bool routes = (p->nodes[n].services & (PI_SVC_ROUTER | PI_SVC_RS)) != 0;
		assert_int_equal(d != NULL, routes);
		char *conf = render_file(p, n, "bird.conf"), *sh = render_file(p, n, "start.sh");
		assert_int_equal(conf != NULL, routes);
		assert_int_equal(strstr(sh, "/run/bird/bird.ctl") != NULL, routes);
		free(conf);
		free(sh);
	}
}

static void test_session_names(void **state)
{
	(void)state;
	struct pi_plan *f = fixture_plan();
	check_names(f);
	fixture_free(f);
	char **labs = list_labs();
	for (char **l = labs; *l; l++) {
		struct pi_lab *lab;
		struct pi_plan *p = load_lab_plan(*l, &lab);
		check_names(p);
		pi_plan_free(p);
		pi_lab_free(lab);
	}
	free_names(labs);
}

/* The hand-built plan names its sessions too; without a name the entry
 * still gives both ends the same one. */
static void test_session_name_fallback(void **state)
{
	(void)state;
	struct pi_plan *p = fixture_plan();
	char name[64];
	p->sessions[0].name = NULL;
	bird->session_name(p, 0, name, sizeof(name));
	assert_true(strncmp(name, "s0_", 3) == 0);
	char *a = render_file(p, p->sessions[0].a, "bird.conf"), *b = render_file(p, p->sessions[0].b, "bird.conf");
	char want[128];
	snprintf(want, sizeof(want), "\nprotocol bgp %s from ", name);
	assert_non_null(strstr(a, want));
	assert_non_null(strstr(b, want));
	free(a);
	free(b);
	fixture_free(p);
}

/* The service table gives a node a daemon's files exactly when its start.sh
 * starts that daemon. */
static void test_files_match_start(void **state)
{
	(void)state;
	static const struct {
		const char *file, *start;
	} pairs[] = {
		{ "bird.conf", "bird -c \"$CONF/bird.conf\"" },	       { "unbound.conf", "unbound -c \"$CONF/unbound.conf\"" },
		{ "dnsmasq.conf", "dnsmasq -C \"$CONF/dnsmasq.conf\"" }, { "nft.conf", "nft -f \"$CONF/nft.conf\"" },
		{ "tayga.conf", "tayga -c \"$CONF/tayga.conf\"" },       { "lighttpd.conf", "lighttpd -f \"$CONF/lighttpd.conf\"" },
	};
	struct pi_lab *lab;
	struct pi_plan *p = load_lab_plan("tiny", &lab);
	unsigned seen[PI_ARRAY_LEN(pairs)] = { 0 };
	for (uint32_t n = 0; n < p->n_nodes; n++) {
		struct pi_render_set set;
		pi_render_set_init(&set);
		pi_render_node(p, n, &set);
		const char *sh = pi_render_set_find(&set, "start.sh")->data;
		for (size_t i = 0; i < PI_ARRAY_LEN(pairs); i++) {
			bool has = pi_render_set_find(&set, pairs[i].file) != NULL;
			assert_int_equal(has, strstr(sh, pairs[i].start) != NULL);
			seen[i] += has;
		}
		pi_render_set_free(&set);
	}
	for (size_t i = 0; i < PI_ARRAY_LEN(pairs); i++)
		assert_true(seen[i] > 0);
	pi_plan_free(p);
	pi_lab_free(lab);
}

/* Reconcile's reload script: unbound is signalled to reread, daemons that
 * cannot reload are stopped, start.sh always runs again, and the router
 * daemon's own files are left to its control socket. */
static void test_reload_script(void **state)
{
	(void)state;
	struct pi_lab *lab;
	struct pi_plan *p = load_lab_plan("tiny", &lab);
	struct pi_buf b;
	pi_buf_init(&b);
	const char *zones[] = { "zones/pocket.zone", "unbound.conf" };
	assert_true(pi_render_reload_script(p, 0, zones, 2, &b));
	const char *t = pi_buf_str(&b);
	assert_non_null(strstr(t, "sig unbound HUP\n"));
	assert_null(strstr(strstr(t, "sig unbound HUP\n") + 1, "sig unbound HUP")); /* once per daemon */
	assert_non_null(strstr(t, "exec sh \"$CONF/start.sh\""));
	pi_buf_reset(&b);
	const char *dns[] = { "dnsmasq.conf" };
	assert_true(pi_render_reload_script(p, 0, dns, 1, &b));
	assert_non_null(strstr(pi_buf_str(&b), "sig dnsmasq TERM; gone dnsmasq"));
	pi_buf_reset(&b);
	const char *hosts[] = { "hosts" };
	assert_true(pi_render_reload_script(p, 0, hosts, 1, &b)); /* start.sh rewrites /etc/hosts */
	pi_buf_reset(&b);
	const char *bird_only[] = { "bird.conf", "incidents.conf", "www/index.html" };
	assert_false(pi_render_reload_script(p, 0, bird_only, 3, &b));
	pi_buf_free(&b);
	pi_plan_free(p);
	pi_lab_free(lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_reply_done),
		cmocka_unit_test(test_reply_text),
		cmocka_unit_test(test_parse_sessions),
		cmocka_unit_test(test_session_names),
		cmocka_unit_test(test_session_name_fallback),
		cmocka_unit_test(test_files_match_start),
		cmocka_unit_test(test_reload_script),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
