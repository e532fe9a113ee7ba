/*
 * What capture accepts, without root or Docker (suite 'apply'): the default
 * lab's plan and the fake backend, whose nodes have no process. Every
 * mistake is refused before a socket is opened: a lab that is not running,
 * a stopped node, unknown nodes, interfaces and links with near matches.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "lab_fixture.h"
#include "pocketinternet/apply.h"
#include "pocketinternet/lab.h"


/* Opens a capture on spec through b; the diagnostics' text into *text (free). */
static int try_open(struct pi_backend *b, const char *spec, char **text)
{
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_capture_opts o = { 0 };
	struct pi_capture *c = (struct pi_capture *)&c;
	int rc = pi_apply_capture_open(b, plan, &spec, 1, &o, &c, &d);
	assert_null(c);
	size_t len = 0;
	FILE *m = open_memstream(text, &len);
	pi_diag_print(&d, m);
	fclose(m);
	pi_diag_free(&d);
	return rc;
}

static void expect(struct pi_backend *b, const char *spec, int err, const char *w1, const char *w2)
{
	char *text = NULL;
	assert_int_equal(try_open(b, spec, &text), err);
	if (!strstr(text, w1) || (w2 && !strstr(text, w2)))
		fail_msg("for '%s' expected '%s' and '%s' in: %s", spec, w1, w2 ? w2 : "", text);
	free(text);
}

static const struct pi_plan_link *first_p2p(void)
{
	for (uint32_t l = 0; l < plan->n_links; l++)
		if (plan->links[l].kind == PI_LINK_P2P)
			return &plan->links[l];
	return NULL;
}

static void add_node(struct pi_backend *b, const char *node, bool running)
{
	struct pi_node_state *s = pi_vec_push(&pi_backend_fake_state(b)->nodes);
	snprintf(s->lab, sizeof(s->lab), "%s", plan->lab_name);
	snprintf(s->node, sizeof(s->node), "%s", node);
	snprintf(s->state, sizeof(s->state), running ? "running" : "exited");
	s->running = running;
}

static void test_not_running(void **state)
{
	(void)state;
	struct pi_backend b;
	assert_int_equal(pi_backend_open(&b, &pi_backend_fake, NULL), 0);
	const struct pi_plan_iface *f = &plan->ifaces[first_p2p()->ifaces[0]];
	char spec[300];
	pi_apply_iface_label(plan, first_p2p()->ifaces[0], spec, sizeof(spec));
	expect(&b, spec, -ENOENT, "is not running", "pocketinternet setup");
	/* a stopped node, named alone, by its link, or by one interface */
	add_node(&b, plan->nodes[f->node].name, false);
	expect(&b, spec, -ESRCH, "is stopped", "node start");
	expect(&b, plan->nodes[f->node].name, -ESRCH, "is stopped", NULL);
	expect(&b, first_p2p()->name, -ESRCH, "is stopped", NULL);
	pi_backend_close(&b);
}

static void test_unknown_names(void **state)
{
	(void)state;
	struct pi_backend b;
	assert_int_equal(pi_backend_open(&b, &pi_backend_fake, NULL), 0);
	const struct pi_plan_iface *f = &plan->ifaces[first_p2p()->ifaces[0]];
	const char *node = plan->nodes[f->node].name;
	char spec[300];
	/* a typo in the node of node:iface */
	snprintf(spec, sizeof(spec), "%.*sX:%s", (int)strlen(node) - 1, node, f->name);
	expect(&b, spec, -ENOENT, "has no node", node);
	/* a typo in the interface: the node's interfaces are offered */
	snprintf(spec, sizeof(spec), "%s:%sX", node, f->name);
	char want[300];
	snprintf(want, sizeof(want), "node %s has no interface '%sX'", node, f->name);
	expect(&b, spec, -ENOENT, want, f->name);
	/* neither a node nor a link: both kinds offered */
	snprintf(spec, sizeof(spec), "%.*s", (int)strlen(first_p2p()->name) - 1, first_p2p()->name);
	expect(&b, spec, -ENOENT, "has no node or link", first_p2p()->name);
	snprintf(spec, sizeof(spec), "%sq", node);
	expect(&b, spec, -ENOENT, "has no node or link", node);
	pi_backend_close(&b);
}

/* A background job refuses the same way, and makes no file. */
static void expect_job(struct pi_backend *b, const char *node, const char *iface, int err, const char *w1,
		       const char *w2)
{
	char path[] = "/tmp/pi-capjob-names-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	struct pi_diag d;
	pi_diag_init(&d);
	struct pi_capture_job *j = (struct pi_capture_job *)&j;
	assert_int_equal(pi_apply_capture_job_start(b, plan, node, iface, NULL, path, &j, &d), err);
	assert_null(j);
	assert_int_equal(access(path, F_OK), -1);
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	pi_diag_print(&d, m);
	fclose(m);
	pi_diag_free(&d);
	if (!strstr(text, w1) || (w2 && !strstr(text, w2)))
		fail_msg("for '%s' expected '%s' and '%s' in: %s", node, w1, w2 ? w2 : "", text);
	free(text);
}

static void test_job_refusals(void **state)
{
	(void)state;
	struct pi_backend b;
	assert_int_equal(pi_backend_open(&b, &pi_backend_fake, NULL), 0);
	const struct pi_plan_iface *f = &plan->ifaces[first_p2p()->ifaces[0]];
	const char *node = plan->nodes[f->node].name;
	char typo[300];
	snprintf(typo, sizeof(typo), "%.*s", (int)strlen(node) - 1, node);
	expect_job(&b, typo, NULL, -ENOENT, "has no node", node);
	/* a link's name is no node here */
	expect_job(&b, first_p2p()->name, NULL, -ENOENT, "has no node", NULL);
	expect_job(&b, node, NULL, -ENOENT, "is not running", "pocketinternet setup");
	add_node(&b, node, false);
	expect_job(&b, node, f->name, -ESRCH, "is stopped", "node start");
	char bad[300];
	snprintf(bad, sizeof(bad), "%sX", f->name);
	expect_job(&b, node, bad, -ENOENT, "has no interface", f->name);
	pi_backend_close(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_running),
		cmocka_unit_test(test_unknown_names),
		cmocka_unit_test(test_job_refusals),
	};
	return cmocka_run_group_tests(tests, apply_fixture_setup, apply_fixture_teardown);
}
