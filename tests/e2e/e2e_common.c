/* Shared by the end-to-end suites (e2e_common.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "e2e_common.h"
#include "pocketinternet/netlink.h"

const char *bin;
char lab_file[4096];
struct pi_lab *lab;
struct pi_plan *plan;
struct pi_backend backend;
size_t host_links_before;

/* Runs the pocketinternet binary; output to our stderr (the test log) and,
 * when out is given, captured. */
static int run_bin_to(struct pi_buf *out, bool both, const char *const *argv);

int run_bin(struct pi_buf *out, const char *const *argv)
{
	return run_bin_to(out, false, argv);
}

int run_bin_all(struct pi_buf *out, const char *const *argv)
{
	return run_bin_to(out, true, argv);
}

static int run_bin_to(struct pi_buf *out, bool both, const char *const *argv)
{
	int pfd[2];
	if (pipe(pfd))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		if (!out || both)
			dup2(pfd[1], 2);
		close(pfd[0]);
		const char *args[32] = { bin };
		for (int i = 0; argv[i]; i++)
			args[i + 1] = argv[i];
		execv(bin, (char **)args);
		_exit(127);
	}
	close(pfd[1]);
	char buf[4096];
	ssize_t n;
	while ((n = read(pfd[0], buf, sizeof(buf))) > 0) {
		if (out)
			pi_buf_write(out, buf, (size_t)n);
		else
			(void)!write(2, buf, (size_t)n);
	}
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs argv inside a node; returns its exit code, stdout in out. */
int node_exec(uint32_t node, struct pi_buf *out, const char *const *argv)
{
	size_t argc = 0;
	while (argv[argc])
		argc++;
	struct pi_exec_result r;
	pi_exec_result_init(&r);
	int rc = backend.ops->exec(&backend, plan->lab_name, plan->nodes[node].name, argv, argc, NULL, &r, NULL);
	if (rc == 0) {
		rc = r.exit_code;
		if (out) {
			pi_buf_reset(out);
			pi_buf_puts(out, pi_buf_str(&r.out));
		}
		fprintf(stderr, "  [%s]$", plan->nodes[node].name);
		for (size_t i = 0; i < argc; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, "  -> %d\n%s%s", rc, pi_buf_str(&r.out), pi_buf_str(&r.err));
	}
	pi_exec_result_free(&r);
	return rc;
}

/* Retries a node command until it exits 0 (the lab settles for a few seconds
 * after BGP: RAs, DHCP leases). */
int node_exec_retry(uint32_t node, struct pi_buf *out, const char *const *argv, int seconds)
{
	int rc = -1;
	for (int i = 0; i < seconds; i++) {
		rc = node_exec(node, out, argv);
		if (rc == 0)
			break;
		sleep(1);
	}
	return rc;
}

uint32_t find_node(unsigned services, unsigned without, const char *pod_blueprint, unsigned nth)
{
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		const struct pi_plan_node *n = &plan->nodes[i];
		if ((n->services & services) != services || (n->services & without))
			continue;
		if (pod_blueprint && strcmp(plan->pods[n->pod].bp ? plan->pods[n->pod].bp->name : "", pod_blueprint))
			continue;
		if (nth-- == 0)
			return i;
	}
	return PI_NONE;
}

/* The first interface of a node with the given flag. */
const struct pi_plan_iface *iface_with(uint32_t node, bool v4dhcp, bool v6ra)
{
	const struct pi_plan_node *n = &plan->nodes[node];
	for (uint32_t i = 0; i < n->n_ifaces; i++) {
		const struct pi_plan_iface *f = &plan->ifaces[n->first_iface + i];
		if ((v4dhcp && f->dhcp4) || (v6ra && f->ra6))
			return f;
	}
	return NULL;
}

/* The address a node is reached at: routers by loopback, servers (whose
 * loopbacks are not routed) by their first LAN address. */
struct pi_prefix node_addr(uint32_t node, unsigned family)
{
	const struct pi_plan_node *n = &plan->nodes[node];
	const struct pi_prefix *lo = family == PI_AF_V4 ? &n->lo4 : &n->lo6;
	if (pi_prefix_is_set(lo) && (n->services & (PI_SVC_ROUTER | PI_SVC_RS)))
		return pi_prefix_as_host(lo);
	for (uint32_t i = 0; i < n->n_ifaces; i++) {
		const struct pi_plan_iface *f = &plan->ifaces[n->first_iface + i];
		const struct pi_prefix *a = family == PI_AF_V4 ? &f->v4 : &f->v6;
		if (pi_prefix_is_set(a))
			return pi_prefix_as_host(a);
	}
	return (struct pi_prefix){ 0 };
}

bool has_v4(uint32_t node)
{
	return iface_with(node, true, false) != NULL;
}

size_t host_link_count(void)
{
	struct pi_nl *nl;
	struct pi_nl_link *links = NULL;
	size_t n = 0;
	if (pi_nl_open(&nl) == 0) {
		pi_nl_links_with_prefix(nl, "", &links, &n);
		pi_nl_close(nl);
	}
	free(links);
	return n;
}

int load_plan(const char *file)
{
	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_lab_load(file, pi_default_blueprint_dir(), &lab, &diag);
	if (!rc)
		rc = pi_plan_build(lab, &plan, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	return rc;
}

void free_plan(void)
{
	pi_plan_free(plan);
	pi_lab_free(lab);
	plan = NULL;
	lab = NULL;
}

int bring_up(const char *file)
{
	return bring_up_opts(file, true);
}

int bring_up_opts(const char *file, bool verify)
{
	snprintf(lab_file, sizeof(lab_file), "%s", file);
	if (load_plan(file))
		return -1;
	host_links_before = host_link_count();
	const char *td[] = { "-c", lab_file, "teardown", NULL };
	run_bin(NULL, td);
	/* setup --verify: every lab the suites bring up is proven to work first. */
	const char *up[] = { "-c", lab_file, "setup", "--timeout", "240", verify ? "--verify" : NULL, NULL };
	int rc = run_bin(NULL, up);
	fprintf(stderr, "setup of %s exited %d\n", file, rc);
	return rc;
}


/* The pod that owns an address (an interface or loopback of one of its nodes). */
uint32_t pod_of_addr(const struct pi_prefix *a)
{
	for (uint32_t i = 0; i < plan->n_ifaces; i++) {
		const struct pi_plan_iface *f = &plan->ifaces[i];
		const struct pi_prefix *p = a->family == PI_AF_V4 ? &f->v4 : &f->v6;
		if (pi_prefix_is_set(p) && !memcmp(p->addr, a->addr, 16))
			return plan->nodes[f->node].pod;
	}
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		struct pi_prefix p = node_addr(i, a->family);
		if (pi_prefix_is_set(&p) && !memcmp(p.addr, a->addr, 16))
			return plan->nodes[i].pod;
	}
	return PI_NONE;
}

/* What b is to a at the AS level, from the plan's relationships. */
int rel_between(uint32_t a, uint32_t b)
{
	for (uint32_t i = 0; i < plan->n_rels; i++) {
		const struct pi_plan_rel *r = &plan->rels[i];
		if (r->a == a && r->b == b)
			return (int)r->rel;
		if (r->a == b && r->b == a)
			return (int)pi_rel_invert(r->rel);
	}
	return -1;
}


int e2e_open_lab(const char *name)
{
	char file[4096];
	snprintf(file, sizeof(file), "%s/labs/%s.yml", getenv("PI_SOURCE_DIR"), name);
	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_backend_open(&backend, &pi_backend_docker, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	return rc ? -1 : bring_up(file);
}

void e2e_close_lab(void)
{
	const char *td[] = { "-c", lab_file, "teardown", NULL };
	run_bin(NULL, td);
	free_plan();
	pi_backend_close(&backend);
}

int e2e_main(int argc, char **argv, const char *name, const struct CMUnitTest *tests, size_t n,
	     int (*setup)(void **), int (*teardown)(void **))
{
	if (argc < 2) {
		fprintf(stderr, "usage (as root): %s PATH-TO-pocketinternet\n", name);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "%s: needs root; skipped\n", name);
		return 77;
	}
	bin = argv[1];
	/* Alone on the host: a lab an earlier suite failed to remove would make
	 * every command without --lab ask which lab is meant. */
	const char *all[] = { "teardown", "--all", NULL };
	run_bin(NULL, all);
	return _cmocka_run_group_tests(name, tests, n, setup, teardown);
}

int e2e_setup_default_lab(void **state)
{
	(void)state;
	return e2e_open_lab("lab") == 0 ? 0 : -1;
}

int e2e_teardown_lab(void **state)
{
	(void)state;
	e2e_close_lab();
	return 0;
}
