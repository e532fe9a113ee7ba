/*
 * End-to-end: monitor on the default lab. It watches a single-homed
 * broadband pod's subscriber (one provider, no IXP) to a web server; after
 * two intervals the pod's only uplink goes down: a failure event for that
 * pair with the path change must come within two intervals (--report and
 * stdout), the --on-failure command must get the event as valid JSON, and
 * after link up the recovery must be reported. Ctrl-C prints the summary.
 * Needs root and a running Docker engine.
 */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "e2e_common.h"

#define INTERVAL_S 2

/* Whether pod has a LAN port on an IXP's LAN. */
static bool at_ixp(uint32_t pod)
{
	for (uint32_t n = 0; n < plan->n_nodes; n++)
		for (uint32_t i = 0; plan->nodes[n].pod == pod && i < plan->nodes[n].n_ifaces; i++) {
			uint32_t l = plan->ifaces[plan->nodes[n].first_iface + i].link;
			if (l != PI_NONE && plan->links[l].pod != PI_NONE && plan->pods[plan->links[l].pod].tier == PI_TIER_IXP)
				return true;
		}
	return false;
}

/* A broadband pod with exactly one neighbour AS, its provider, and no IXP; *link its uplink. */
static uint32_t single_homed(const char **link)
{
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		if (strcmp(plan->pods[p].bp->name, "broadband") || at_ixp(p))
			continue;
		unsigned rels = 0, provider = PI_NONE;
		for (uint32_t i = 0; i < plan->n_rels; i++) {
			const struct pi_plan_rel *r = &plan->rels[i];
			if (r->a != p && r->b != p)
				continue;
			rels++;
			uint32_t q = r->a == p ? r->b : r->a;
			if (rel_between(p, q) == PI_REL_PROVIDER) {
				provider = q;
				*link = plan->links[r->link].name;
			}
		}
		if (rels == 1 && provider != PI_NONE)
			return p;
	}
	return PI_NONE;
}

static pid_t spawn_bin(const char *const *argv, const char *out_file)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(out_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0)
			dup2(fd, STDOUT_FILENO);
		const char *args[32] = { bin };
		for (int i = 0; argv[i] && i < 30; i++)
			args[i + 1] = argv[i];
		execv(bin, (char **)args);
		_exit(127);
	}
	return pid;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The first event in the JSON lines of file for from->to with check and
 * kind ("failure", "recovered"; id 0: any), or NULL. */
static json_t *find_event(const char *file, const char *from, const char *to, const char *check, const char *kind,
			  json_int_t id)
{
	FILE *f = fopen(file, "r");
	if (!f)
		return NULL;
	char line[8192];
	json_t *found = NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);
		const char *jf = json_string_value(json_object_get(j, "from")), *jt = json_string_value(json_object_get(j, "to"));
		const char *jc = json_string_value(json_object_get(j, "check")), *je = json_string_value(json_object_get(j, "event"));
		if (j && jf && jt && jc && je && !strcmp(jf, from) && !strcmp(jt, to) && !strcmp(jc, check) &&
		    !strcmp(je, kind) && (!id || json_integer_value(json_object_get(j, "id")) == id))
			found = j;
		else
			json_decref(j);
	}
	fclose(f);
	return found;
}

static json_t *wait_event(const char *file, const char *from, const char *to, const char *check, const char *kind,
			  json_int_t id, double seconds)
{
	double end = now_s() + seconds;
	json_t *j;
	while (!(j = find_event(file, from, to, check, kind, id)) && now_s() < end)
		usleep(200 * 1000);
	return j;
}

static void test_monitor_link_down_up(void **state)
{
	(void)state;
	const char *link = NULL;
	uint32_t pod = single_homed(&link);
	assert_int_not_equal(pod, PI_NONE);
	uint32_t sub = PI_NONE;
	for (uint32_t n = 0; n < plan->n_nodes && sub == PI_NONE; n++)
		if (plan->nodes[n].pod == pod && (plan->nodes[n].services & PI_SVC_CLIENT))
			sub = n;
	uint32_t web = find_node(PI_SVC_HTTP, 0, "content", 0);
	assert_int_not_equal(sub, PI_NONE);
	assert_int_not_equal(web, PI_NONE);
	const char *from = plan->nodes[sub].name, *to = plan->nodes[web].name;
	fprintf(stderr, "  watching %s -> %s; uplink %s\n", from, to, link);
	char report[] = "/tmp/pi-e2e-monitor-report-XXXXXX", hook[] = "/tmp/pi-e2e-monitor-hook-XXXXXX",
	     out[] = "/tmp/pi-e2e-monitor-out-XXXXXX";
	close(mkstemp(report));
	close(mkstemp(hook));
	close(mkstemp(out));
	char hook_cmd[256], interval[16];
	snprintf(hook_cmd, sizeof(hook_cmd), "cat > %s", hook);
	snprintf(interval, sizeof(interval), "%d", INTERVAL_S);
	const char *mon[] = { "monitor", "--interval", interval, "--from", from, "--to", to, "--report", report,
			      "--on-failure", hook_cmd, "--format", "json", NULL };
	pid_t pid = spawn_bin(mon, out);
	sleep(3 * INTERVAL_S); /* its first intervals: the baseline */
	assert_null(find_event(report, from, to, "path", "failure", 0)); /* nothing failed yet */
	const char *down[] = { "link", "down", link, NULL };
	assert_int_equal(run_bin(NULL, down), 0);
	double t0 = now_s();
	/* Two intervals, plus a round of probes that time out (DNS with its retry,
	 * HTTP, the traceroute: up to about 8 s) when it began just before. */
	json_t *ev = wait_event(report, from, to, "path", "failure", 0, 2 * INTERVAL_S + 8);
	fprintf(stderr, "  path event after %.1f s\n", now_s() - t0);
	assert_non_null(ev);
	json_t *bad = json_object_get(json_object_get(ev, "first_bad_path"), "as_path");
	json_t *good = json_object_get(json_object_get(ev, "last_good_path"), "as_path");
	assert_true(json_is_array(good) && json_array_size(good) >= 2);
	assert_false(json_equal(good, bad)); /* the path change: e.g. "no route" */
	json_int_t id = json_integer_value(json_object_get(ev, "id"));
	json_t *again = find_event(out, from, to, "path", "failure", id); /* stdout has it too */
	assert_non_null(again);
	json_decref(again);

	const char *up[] = { "link", "up", link, NULL };
	assert_int_equal(run_bin(NULL, up), 0);
	json_t *rec = wait_event(report, from, to, "path", "recovered", id, 90);
	assert_non_null(rec);
	assert_true(json_real_value(json_object_get(rec, "recovered_at")) >= json_real_value(json_object_get(ev, "start")));
	json_decref(rec);
	json_decref(ev);

	/* The hook got a failure as JSON. Several hooks may write the file at
	 * once ('cat >' truncates): the first JSON value in it must parse. */
	json_error_t err;
	json_t *h = json_load_file(hook, JSON_DISABLE_EOF_CHECK, &err);
	if (!h)
		fprintf(stderr, "hook file: %s\n", err.text);
	assert_non_null(h);
	assert_string_equal(json_string_value(json_object_get(h, "event")), "failure");
	assert_non_null(json_string_value(json_object_get(h, "check")));
	json_decref(h);

	assert_int_equal(kill(pid, SIGINT), 0);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	struct pi_buf text;
	pi_buf_init(&text);
	FILE *f = fopen(out, "r");
	assert_non_null(f);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf) - 1, f)) > 0) {
		buf[n] = '\0';
		pi_buf_printf(&text, "%s", buf);
	}
	fclose(f);
	assert_non_null(strstr(pi_buf_str(&text), "pair(s) watched"));
	pi_buf_free(&text);
	unlink(report);
	unlink(hook);
	unlink(out);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monitor_link_down_up),
	};
	return e2e_main(argc, argv, "test-monitor", tests, sizeof(tests) / sizeof(tests[0]), e2e_setup_default_lab, e2e_teardown_lab);
}
