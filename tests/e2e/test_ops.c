/*
 * End-to-end: operating a running lab (docs/operations.md), on the default
 * lab, brought up once and shared by every test in order: links down and up
 * with BGP rerouting, shaping, nodes stopped and started. Needs root and a
 * running Docker engine. Every packet stays between lab nodes.
 */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "e2e_common.h"
#include "pocketinternet/netlink.h"
#include "pocketinternet/render.h"

/* ---- helpers ---- */

static void qdisc_of(uint32_t node, const char *ifname, struct pi_impair *imp, char kind[16]);

static json_t *bin_json(const char *const *argv, int *rc)
{
	struct pi_buf out;
	pi_buf_init(&out);
	*rc = run_bin(&out, argv);
	json_error_t err;
	json_t *j = json_loads(pi_buf_str(&out), 0, &err);
	if (!j)
		fprintf(stderr, "not JSON (%s): %s\n", err.text, pi_buf_str(&out));
	pi_buf_free(&out);
	return j;
}

/* The pods a traceroute's hops cross, repeats collapsed, starting at src's. */
static size_t trace_pods(uint32_t src, const char *dst, uint32_t *path, size_t max)
{
	struct pi_buf out;
	pi_buf_init(&out);
	const char *tr[] = { "traceroute", "-n", "-q", "1", "-w", "1", "-m", "16", dst, NULL };
	size_t n = 0;
	if (node_exec(src, &out, tr) == 0) {
		path[n++] = plan->nodes[src].pod;
		char *save = NULL, *text = pi_xstrdup(pi_buf_str(&out));
		for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			int hop;
			char addr[64];
			struct pi_prefix a;
			if (sscanf(l, " %d %63s", &hop, addr) != 2 || pi_prefix_parse(addr, &a))
				continue;
			uint32_t pod = pod_of_addr(&a);
			if (pod != PI_NONE && pod != path[n - 1] && n < max)
				path[n++] = pod;
		}
		free(text);
	}
	pi_buf_free(&out);
	return n;
}

/* A broadband pod with two providers, and its providers. */
static uint32_t multihomed(uint32_t prov[2])
{
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		if (strcmp(plan->pods[p].bp->name, "broadband"))
			continue;
		unsigned k = 0;
		for (uint32_t q = 0; q < plan->n_pods && k < 2; q++)
			if (rel_between(p, q) == PI_REL_PROVIDER)
				prov[k++] = q;
		if (k == 2)
			return p;
	}
	return PI_NONE;
}

/* The first node of pod with all of services. */
static uint32_t pod_node(uint32_t pod, unsigned services)
{
	for (uint32_t i = 0; i < plan->n_nodes; i++)
		if (plan->nodes[i].pod == pod && (plan->nodes[i].services & services) == services)
			return i;
	return PI_NONE;
}

/* The external link between pods a and b. */
static const char *ext_link(uint32_t a, uint32_t b)
{
	for (uint32_t i = 0; i < plan->n_rels; i++) {
		const struct pi_plan_rel *r = &plan->rels[i];
		if ((r->a == a && r->b == b) || (r->a == b && r->b == a))
			return plan->links[r->link].name;
	}
	return NULL;
}

/* The provider pod a traceroute from src to dst leaves its pod through. */
static uint32_t exit_provider(uint32_t src, const char *dst, const uint32_t prov[2])
{
	uint32_t path[32];
	size_t n = trace_pods(src, dst, path, 32);
	for (size_t i = 1; i < n; i++)
		if (path[i] == prov[0] || path[i] == prov[1])
			return path[i];
	return PI_NONE;
}

/* ---- links ---- */

/* The multihomed pod's traffic leaves by one provider; with that uplink down
 * it takes the other; with it up again every session is back. */
static void test_link_down_reroutes(void **state)
{
	(void)state;
	uint32_t prov[2];
	uint32_t pod = multihomed(prov);
	assert_int_not_equal(pod, PI_NONE);
	uint32_t src = pod_node(pod, PI_SVC_ROUTER | PI_SVC_EBGP);
	uint32_t web = find_node(PI_SVC_HTTP, 0, "content", 0);
	char dst[PI_PREFIX_STRLEN];
	struct pi_prefix a = node_addr(web, PI_AF_V4);
	pi_prefix_fmt_addr(&a, dst);
	uint32_t first = exit_provider(src, dst, prov);
	assert_int_not_equal(first, PI_NONE);
	uint32_t other = first == prov[0] ? prov[1] : prov[0];
	const char *link = ext_link(pod, first);
	assert_non_null(link);
	const char *down[] = { "link", "down", link, NULL };
	assert_int_equal(run_bin(NULL, down), 0);
	uint32_t now = PI_NONE;
	for (int t = 0; t < 30 && now != other; t++) {
		now = exit_provider(src, dst, prov);
		if (now != other)
			sleep(1);
	}
	fprintf(stderr, "  %s left by %s, after link down by %s\n", plan->pods[pod].name, plan->pods[first].name,
		now == PI_NONE ? "nothing" : plan->pods[now].name);
	assert_int_equal(now, other);
	int rc;
	const char *list[] = { "link", "list", plan->nodes[src].name, "--format", "json", NULL };
	json_t *j = bin_json(list, &rc);
	assert_non_null(j);
	size_t i;
	json_t *l;
	bool seen = false;
	json_array_foreach(json_object_get(j, "links"), i, l)
		if (strcmp(json_string_value(json_object_get(l, "name")), link) == 0) {
			assert_string_equal(json_string_value(json_object_get(l, "state")), "down");
			seen = true;
		}
	assert_true(seen);
	json_decref(j);
	const char *up[] = { "link", "up", link, NULL };
	assert_int_equal(run_bin(NULL, up), 0);
	const char *st[] = { "status", "--format", "json", NULL };
	for (int t = 0; t < 60; t++) {
		j = bin_json(st, &rc);
		json_decref(j);
		if (rc == 0)
			break;
		sleep(1);
	}
	assert_int_equal(rc, 0);
}

static void test_unknown_link_near_matches(void **state)
{
	(void)state;
	struct pi_buf out;
	pi_buf_init(&out);
	char typo[256];
	snprintf(typo, sizeof(typo), "%s", plan->links[0].name);
	typo[strlen(typo) - 1] = '\0'; /* drop the last character */
	const char *down[] = { "link", "down", typo, NULL };
	assert_int_not_equal(run_bin(NULL, down), 0);
	pi_buf_free(&out);
}

/* verify passes on the default lab; with a single-homed pod's only uplink
 * down it fails and names that pod's nodes; with the link up it passes. */
static void test_verify(void **state)
{
	(void)state;
	const char *verify[] = { "verify", "--format", "json", NULL };
	int rc;
	json_t *j = bin_json(verify, &rc);
	json_decref(j);
	assert_int_equal(rc, 0);
	uint32_t single = PI_NONE, prov = PI_NONE;
	for (uint32_t p = 0; p < plan->n_pods && single == PI_NONE; p++) {
		unsigned k = 0, ixp = 0;
		for (uint32_t q = 0; q < plan->n_pods; q++) {
			if (rel_between(p, q) == PI_REL_PROVIDER && k++ == 0)
				prov = q;
			ixp += rel_between(p, q) == PI_REL_RS;
		}
		if (k == 1 && !ixp && plan->pods[p].tier == PI_TIER_STUB)
			single = p;
	}
	assert_int_not_equal(single, PI_NONE);
	const char *link = ext_link(single, prov);
	const char *down[] = { "link", "down", link, NULL }, *up[] = { "link", "up", link, NULL };
	assert_int_equal(run_bin(NULL, down), 0);
	sleep(2);
	j = bin_json(verify, &rc);
	assert_int_equal(rc, 1);
	json_t *fails = json_object_get(json_object_get(json_object_get(j, "reach"), "ipv6"), "failures");
	assert_true(json_array_size(fails) > 0);
	size_t i;
	json_t *f;
	bool named = false;
	json_array_foreach(fails, i, f)
		named |= strncmp(json_string_value(json_object_get(f, "to")), plan->pods[single].name,
				 strlen(plan->pods[single].name)) == 0;
	assert_true(named);
	json_decref(j);
	assert_int_equal(run_bin(NULL, up), 0);
	for (int t = 0; t < 40; t++) {
		j = bin_json(verify, &rc);
		json_decref(j);
		if (rc == 0)
			break;
		sleep(1);
	}
	assert_int_equal(rc, 0);
}

/* ---- nodes ---- */

static void ping_ok(uint32_t from, uint32_t to)
{
	char dst[PI_PREFIX_STRLEN];
	struct pi_prefix a = node_addr(to, PI_AF_V6);
	pi_prefix_fmt_addr(&a, dst);
	const char *ping[] = { "ping", "-c", "1", "-W", "2", dst, NULL };
	assert_int_equal(node_exec_retry(from, NULL, ping, 30), 0);
}

/* A stopped transit border leaves every multihomed pod reachable; status
 * shows it stopped; started again it converges. */
static void test_node_stop_start(void **state)
{
	(void)state;
	uint32_t prov[2];
	uint32_t pod = multihomed(prov);
	uint32_t border = pod_node(prov[0], PI_SVC_ROUTER | PI_SVC_EBGP);
	const char *stop[] = { "node", "stop", plan->nodes[border].name, NULL };
	assert_int_equal(run_bin(NULL, stop), 0);
	int rc;
	const char *st[] = { "status", "--format", "json", NULL };
	json_t *j = bin_json(st, &rc);
	assert_int_not_equal(rc, 0);
	size_t i;
	json_t *n;
	json_array_foreach(json_object_get(j, "nodes"), i, n)
		if (strcmp(json_string_value(json_object_get(n, "node")), plan->nodes[border].name) == 0)
			assert_false(json_is_true(json_object_get(n, "running")));
	json_decref(j);
	/* Every multihomed pod's routers are reached from a content pod. */
	uint32_t from = find_node(PI_SVC_HTTP, 0, "content", 0);
	for (uint32_t p = 0; p < plan->n_pods; p++) {
		unsigned k = 0;
		for (uint32_t q = 0; q < plan->n_pods; q++)
			k += rel_between(p, q) == PI_REL_PROVIDER;
		if (k >= 2)
			ping_ok(from, pod_node(p, PI_SVC_ROUTER | PI_SVC_EBGP));
	}
	const char *start[] = { "node", "start", plan->nodes[border].name, NULL };
	assert_int_equal(run_bin(NULL, start), 0);
	(void)pod;
	j = bin_json(st, &rc);
	json_decref(j);
	assert_int_equal(rc, 0);
}

/* ---- incidents ---- */

/* The origin AS of node's best route for net, from its router daemon; 0 when none. */
static uint32_t best_origin(uint32_t node, const struct pi_prefix *net)
{
	char pfx[PI_PREFIX_STRLEN], cmd[128];
	snprintf(cmd, sizeof(cmd), "show route for %s all", pi_prefix_fmt(net, pfx));
	const char *argv[] = { "birdc", cmd, NULL };
	struct pi_buf out;
	pi_buf_init(&out);
	uint32_t origin = 0;
	if (node_exec(node, &out, argv) == 0) {
		struct pi_vec rib = PI_VEC_INIT(struct pi_rib_route);
		pi_router_bird.parse_rib(pi_buf_str(&out), plan->pods[plan->nodes[node].pod].asn, &rib);
		for (size_t i = 0; i < rib.len; i++) {
			const struct pi_rib_route *r = pi_vec_at(&rib, i);
			if (r->best && r->bgp && r->as_path_len)
				origin = r->as_path[r->as_path_len - 1];
		}
		pi_vec_free(&rib);
	}
	pi_buf_free(&out);
	return origin;
}

/* A transit pod and a stub that is not its customer, and a customer of the
 * transit pod other than the stub: it should prefer the hijack (shorter). */
static bool hijack_cast(uint32_t *attacker, uint32_t *victim, uint32_t *watcher)
{
	for (uint32_t t = 0; t < plan->n_pods; t++) {
		if (plan->pods[t].tier != PI_TIER_TRANSIT)
			continue;
		*attacker = t;
		*victim = *watcher = PI_NONE;
		for (uint32_t p = 0; p < plan->n_pods; p++) {
			if (plan->pods[p].tier != PI_TIER_STUB)
				continue;
			if (rel_between(p, t) == PI_REL_PROVIDER) {
				if (*watcher == PI_NONE)
					*watcher = p;
			} else if (*victim == PI_NONE && rel_between(p, t) < 0) {
				*victim = p;
			}
		}
		if (*victim != PI_NONE && *watcher != PI_NONE)
			return true;
	}
	return false;
}

static uint32_t wait_origin(uint32_t node, const struct pi_prefix *net, uint32_t want)
{
	uint32_t got = 0;
	for (int t = 0; t < 40 && got != want; t++) {
		got = best_origin(node, net);
		if (got != want)
			sleep(1);
	}
	return got;
}

/* A hijack is in the RIB of an AS that prefers it, and gone after clear. */
static void test_hijack(void **state)
{
	(void)state;
	uint32_t attacker = PI_NONE, victim = PI_NONE, watcher = PI_NONE;
	assert_true(hijack_cast(&attacker, &victim, &watcher));
	uint32_t border = pod_node(watcher, PI_SVC_ROUTER | PI_SVC_EBGP);
	const struct pi_prefix *net = &plan->pods[victim].v4;
	assert_int_equal(wait_origin(border, net, plan->pods[victim].asn), plan->pods[victim].asn);
	const char *set[] = { "incident", "hijack", plan->pods[attacker].name, plan->pods[victim].name, NULL };
	assert_int_equal(run_bin(NULL, set), 0);
	fprintf(stderr, "  %s hijacks %s; watching from %s\n", plan->pods[attacker].name, plan->pods[victim].name,
		plan->nodes[border].name);
	assert_int_equal(wait_origin(border, net, plan->pods[attacker].asn), plan->pods[attacker].asn);
	int rc;
	const char *list[] = { "incident", "list", "--format", "json", NULL };
	json_t *j = bin_json(list, &rc);
	assert_int_equal(json_array_size(json_object_get(j, "incidents")), 1);
	json_decref(j);
	const char *st[] = { "status", "--format", "json", NULL };
	j = bin_json(st, &rc);
	assert_int_equal(json_array_size(json_object_get(j, "incidents")), 1); /* status shows it too */
	json_decref(j);
	const char *clear[] = { "incident", "clear", NULL };
	assert_int_equal(run_bin(NULL, clear), 0);
	assert_int_equal(wait_origin(border, net, plan->pods[victim].asn), plan->pods[victim].asn);
}

static size_t violations(void)
{
	struct pi_vec v = PI_VEC_INIT(struct pi_policy_violation);
	unsigned routes = 0;
	pi_apply_policy_check(&backend, plan, 8, &v, &routes, NULL);
	size_t n = v.len;
	if (n) {
		const struct pi_policy_violation *x = pi_vec_at(&v, 0);
		char pfx[PI_PREFIX_STRLEN];
		fprintf(stderr, "  %zu of %u routes not valley-free, e.g. at %s for %s: %s\n", n, routes,
			plan->nodes[x->node].name, pi_prefix_fmt(&x->net, pfx), x->why);
	}
	pi_vec_free(&v);
	return n;
}

static size_t wait_violations(bool some)
{
	size_t n = 0;
	for (int t = 0; t < 40; t++) {
		n = violations();
		if ((n > 0) == some)
			break;
		sleep(1);
	}
	return n;
}

/* A leak gives paths that are not valley-free, found by the tool's own
 * check; clearing it takes them away. */
static void test_leak(void **state)
{
	(void)state;
	uint32_t prov[2];
	uint32_t pod = multihomed(prov);
	assert_int_equal(wait_violations(false), 0);
	const char *set[] = { "incident", "leak", plan->pods[pod].name, NULL };
	assert_int_equal(run_bin(NULL, set), 0);
	assert_true(wait_violations(true) > 0);
	const char *clear[] = { "incident", "clear", NULL };
	assert_int_equal(run_bin(NULL, clear), 0);
	assert_int_equal(wait_violations(false), 0);
}

/* The lab file's impairments: take effect when setup applies the changed
 * file to the running lab, and go when the rule goes. */
static void test_lab_impairments(void **state)
{
	(void)state;
	char path[256];
	snprintf(path, sizeof(path), "/tmp/pi-ops-imp-%d.yml", (int)getpid());
	char *text = NULL;
	size_t n = 0;
	assert_int_equal(pi_read_file(lab_file, &text, &n), 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\nimpairments:\n  - {match: {scope: subscriber}, rate: 20mbit}\n", text);
	fclose(f);
	free(text);
	const struct pi_plan_iface *sub = NULL;
	for (uint32_t i = 0; i < plan->n_ifaces && !sub; i++)
		if (plan->links[plan->ifaces[i].link].scope == PI_SCOPE_SUBSCRIBER)
			sub = &plan->ifaces[i];
	assert_non_null(sub);
	const char *up[] = { "-c", path, "setup", NULL };
	assert_int_equal(run_bin(NULL, up), 0);
	struct pi_impair imp;
	char kind[16];
	qdisc_of(sub->node, sub->name, &imp, kind);
	assert_string_equal(kind, "tbf");
	assert_int_equal(imp.rate_bps, 20000000);
	const char *back[] = { "-c", lab_file, "setup", NULL };
	assert_int_equal(run_bin(NULL, back), 0);
	qdisc_of(sub->node, sub->name, &imp, kind);
	assert_string_equal(kind, "");
	unlink(path);
}

/* ---- changing a running lab ---- */

/* Container IDs of the running lab, by node name ("name id\n" lines). */
static void ids(struct pi_buf *out)
{
	struct pi_vec v = PI_VEC_INIT(struct pi_node_state);
	pi_buf_reset(out);
	assert_int_equal(backend.ops->list(&backend, plan->lab_name, &v, NULL), 0);
	for (size_t i = 0; i < v.len; i++) {
		const struct pi_node_state *n = pi_vec_at(&v, i);
		pi_buf_printf(out, "%s %s\n", n->node, n->id);
	}
	pi_vec_free(&v);
}

/* The id of node in an ids() list, or NULL. */
static const char *id_of(struct pi_buf *list, const char *node, char *buf, size_t len)
{
	char key[256];
	snprintf(key, sizeof(key), "%s ", node);
	for (const char *l = pi_buf_str(list); l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, key, strlen(key)) == 0) {
			snprintf(buf, len, "%.*s", (int)strcspn(l + strlen(key), "\n"), l + strlen(key));
			return buf;
		}
	return NULL;
}

static uint32_t pod_node_pod(const char *bp)
{
	for (uint32_t p = 0; p < plan->n_pods; p++)
		if (strcmp(plan->pods[p].bp->name, bp) == 0)
			return p;
	return 0;
}

/* The default lab with two more broadband pods and one content pod less. */
static void write_changed_lab(char *path, size_t len)
{
	snprintf(path, len, "/tmp/pi-ops-%d.yml", (int)getpid());
	char *text = NULL;
	size_t n = 0;
	assert_int_equal(pi_read_file(lab_file, &text, &n), 0);
	struct pi_buf b;
	pi_buf_init(&b);
	for (char *l = text, *e; l && *l; l = e ? e + 1 : NULL) {
		e = strchr(l, '\n');
		int ll = e ? (int)(e - l) : (int)strlen(l);
		unsigned k;
		if (sscanf(l, "  broadband: %u", &k) == 1)
			pi_buf_printf(&b, "  broadband: %u\n", k + 2);
		else if (sscanf(l, "  content: %u", &k) == 1)
			pi_buf_printf(&b, "  content: %u\n", k - 1);
		else
			pi_buf_printf(&b, "%.*s\n", ll, l);
	}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(pi_buf_str(&b), f);
	fclose(f);
	free(text);
	pi_buf_free(&b);
}

/* Two pods added and one removed on the running lab: every other container
 * keeps its ID, and the result passes the checks of a fresh setup. */
static void test_reconcile(void **state)
{
	(void)state;
	char changed[256];
	write_changed_lab(changed, sizeof(changed));
	struct pi_buf before, after;
	pi_buf_init(&before);
	pi_buf_init(&after);
	ids(&before);
	const char *dry[] = { "-c", changed, "setup", "--dry-run", NULL };
	assert_int_equal(run_bin(NULL, dry), 0);
	ids(&after);
	assert_string_equal(pi_buf_str(&before), pi_buf_str(&after)); /* --dry-run touched nothing */
	const char *up[] = { "-c", changed, "setup", NULL };
	assert_int_equal(run_bin(NULL, up), 0);
	ids(&after);
	unsigned kept = 0, gone = 0;
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		char a[80], b[80];
		const char *was = id_of(&before, plan->nodes[i].name, a, sizeof(a));
		const char *now = id_of(&after, plan->nodes[i].name, b, sizeof(b));
		assert_non_null(was);
		if (!now) {
			gone++;
			continue;
		}
		assert_string_equal(was, now);
		kept++;
	}
	fprintf(stderr, "  %u containers kept their IDs, %u removed\n", kept, gone);
	assert_true(gone > 0);
	assert_true(kept > 0);
	const char *st[] = { "-c", changed, "status", "--format", "json", NULL };
	int rc;
	json_t *j = bin_json(st, &rc);
	json_decref(j);
	assert_int_equal(rc, 0);
	assert_int_equal(wait_violations(false), 0);
	/* A new pod's subscriber fetches a kept pod's page by name. */
	unsigned nb = 0;
	for (uint32_t p = 0; p < plan->n_pods; p++)
		nb += strcmp(plan->pods[p].bp->name, "broadband") == 0;
	char sub[64], url[128];
	snprintf(sub, sizeof(sub), "broadband%u-sub1", nb + 1);
	snprintf(url, sizeof(url), "http://www.%s", plan->pods[pod_node_pod("content")].domain);
	url[strlen(url) - 1] = '/'; /* the domain's final dot */
	const char *get[] = { "-c", changed, "exec", sub, "--", "curl", "-sS", "--retry", "5", "--retry-all-errors",
			      "--max-time", "5", url, NULL };
	assert_int_equal(run_bin(NULL, get), 0);
	/* Back to the lab file as it was: the removed pod comes back. */
	const char *back[] = { "-c", lab_file, "setup", NULL };
	assert_int_equal(run_bin(NULL, back), 0);
	unlink(changed);
	pi_buf_free(&before);
	pi_buf_free(&after);
}

/* ---- shaping ---- */

/* The impairment in force on node's iface, read over netlink in its netns. */
static void qdisc_of(uint32_t node, const char *ifname, struct pi_impair *imp, char kind[16])
{
	struct pi_node_state st;
	assert_int_equal(backend.ops->inspect(&backend, plan->lab_name, plan->nodes[node].name, &st, NULL), 0);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", st.pid);
	struct pi_nl *nl;
	assert_int_equal(pi_nl_open_netns_path(path, &nl), 0);
	assert_int_equal(pi_nl_qdisc_get(nl, ifname, imp, kind), 0);
	pi_nl_close(nl);
}

/* Bytes per second of a download of url from node, as curl measures it. */
static double speed(uint32_t node, const char *url)
{
	struct pi_buf out;
	pi_buf_init(&out);
	const char *get[] = { "curl", "-sS", "--max-time", "60", "-o", "/dev/null", "-w", "%{speed_download}", url, NULL };
	assert_int_equal(node_exec_retry(node, &out, get, 5), 0);
	double v = atof(pi_buf_str(&out));
	pi_buf_free(&out);
	return v;
}

/* A rate limit is in force (seen over netlink) and a transfer through the
 * link is clearly slower; a netem request on a kernel without it changes
 * nothing and says what is missing. */
static void test_rate_limit(void **state)
{
	(void)state;
	uint32_t prov[2];
	uint32_t pod = multihomed(prov);
	uint32_t border = pod_node(pod, PI_SVC_ROUTER | PI_SVC_EBGP);
	uint32_t web = find_node(PI_SVC_HTTP, 0, "content", 0);
	/* 4 MB on the web server (its document root is its read-only config
	 * mount: written on the host), fetched by the border router over its uplinks. */
	char dir[4096], big[4400];
	pi_state_dir(NULL, plan->lab_name, dir, sizeof(dir));
	snprintf(big, sizeof(big), "%s/%s/www/big.bin", dir, plan->nodes[web].name);
	FILE *f = fopen(big, "w");
	assert_non_null(f);
	for (int i = 0; i < 4096; i++) {
		static const char kb[1024];
		fwrite(kb, 1, sizeof(kb), f);
	}
	fclose(f);
	char url[256];
	struct pi_prefix a = node_addr(web, PI_AF_V4);
	char dst[PI_PREFIX_STRLEN];
	snprintf(url, sizeof(url), "http://%s/big.bin", pi_prefix_fmt_addr(&a, dst));
	double fast = speed(border, url);
	const char *link = ext_link(pod, prov[0]), *link2 = ext_link(pod, prov[1]);
	const char *set[] = { "link", "set", link, "--rate", "8mbit", NULL };
	const char *set2[] = { "link", "set", link2, "--rate", "8mbit", NULL };
	assert_int_equal(run_bin(NULL, set), 0);
	assert_int_equal(run_bin(NULL, set2), 0);
	const struct pi_plan_link *lk = NULL;
	for (uint32_t l = 0; l < plan->n_links; l++)
		if (strcmp(plan->links[l].name, link) == 0)
			lk = &plan->links[l];
	assert_non_null(lk);
	struct pi_impair imp;
	char kind[16];
	const struct pi_plan_iface *end = &plan->ifaces[lk->ifaces[0]];
	qdisc_of(end->node, end->name, &imp, kind);
	assert_string_equal(kind, "tbf");
	assert_int_equal(imp.rate_bps, 8000000);
	double slow = speed(border, url);
	fprintf(stderr, "  download %.0f B/s unshaped, %.0f B/s at 8 Mbit/s\n", fast, slow);
	assert_true(slow * 4 < fast);
	assert_true(slow < 2 * 1000000.0); /* 8 Mbit/s is 1 MB/s: a little burst at most */
	/* netem: refused with the module named, and the rate stays. */
	struct pi_buf err;
	pi_buf_init(&err);
	const char *delay[] = { "link", "set", link, "--delay", "20ms", NULL };
	if (!pi_nl_netem_available(NULL, 0)) {
		assert_int_not_equal(run_bin_all(&err, delay), 0);
		assert_non_null(strstr(pi_buf_str(&err), "sch_netem"));
		qdisc_of(end->node, end->name, &imp, kind);
		assert_string_equal(kind, "tbf");
		assert_int_equal(imp.delay_us, 0);
	}
	pi_buf_free(&err);
	const char *reset[] = { "link", "reset", link, NULL };
	const char *reset2[] = { "link", "reset", link2, NULL };
	assert_int_equal(run_bin(NULL, reset), 0);
	assert_int_equal(run_bin(NULL, reset2), 0);
	qdisc_of(end->node, end->name, &imp, kind);
	assert_string_equal(kind, "");
	unlink(big);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_link_down_reroutes),
		cmocka_unit_test(test_unknown_link_near_matches),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_node_stop_start),
		cmocka_unit_test(test_hijack),
		cmocka_unit_test(test_leak),
		cmocka_unit_test(test_reconcile),
		cmocka_unit_test(test_lab_impairments),
	};
	return e2e_main(argc, argv, "test-ops", tests, sizeof(tests) / sizeof(tests[0]), e2e_setup_default_lab, e2e_teardown_lab);
}
