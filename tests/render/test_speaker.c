/*
 * render: external speakers (docs/testing-bgp.md, "Bring your own
 * speaker"). The plan is deterministic and an external moves nothing that
 * was there without it; the lab side's import filter for a customer
 * external accepts its cone (its aggregates and the prefixes it lists) and
 * nothing else; each speaker's starting config names its neighbours.
 * Run with the argument "checkers" (suite 'checkers'), every rendered
 * bird.conf goes through bird -p and every speaker config through its own
 * checker (exabgp --validate, gobgpd -d, vtysh -C); 77 when one is missing.
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
#include "pi_config.h"
#include "pocketinternet/lab.h"
#include "pocketinternet/plan.h"
#include "pocketinternet/render.h"

static char bdir[4096];

#define BASE "name: ext\nseed: 7\npods: {transit: 2, ixp: 1, broadband: 2, content: 1}\n"
#define EXTS "external:\n" \
	"  - {name: tester, asn: 65001, speaker: exabgp, attach: {ixp: ixp1}}\n" \
	"  - {name: cust, asn: 65002, speaker: gobgpd, attach: {customer_of: transit1}, prefixes: [10.250.1.0/24]}\n" \
	"  - {name: frrpeer, asn: 65003, speaker: frr, attach: {peer_of: content1}}\n" \
	"  - {name: own, asn: 65004, speaker: image, image: my/bgp, command: [x], attach: {provider_of: broadband2}}\n"

/* Plans point into their lab (blueprints): labs live until the end. */
static struct pi_lab *kept_labs[64];
static size_t n_kept_labs;

static struct pi_plan *plan_of(const char *text)
{
	struct pi_diag d;
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	pi_diag_init(&d);
	assert_int_equal(pi_lab_load_mem("ext.yml", text, strlen(text), bdir, &lab, &d), 0);
	assert_int_equal(pi_plan_build(lab, &plan, &d), 0);
	assert_true(n_kept_labs < 64);
	kept_labs[n_kept_labs++] = lab;
	pi_diag_free(&d);
	return plan;
}

static char *file_of(const struct pi_plan *p, const char *node, const char *path)
{
	uint32_t n = pi_plan_node_by_name(p, node);
	assert_int_not_equal(n, PI_NONE);
	struct pi_render_set set;
	pi_render_set_init(&set);
	pi_render_node(p, n, &set);
	const struct pi_render_file *f = pi_render_set_find(&set, path);
	char *s = f ? strdup(f->data) : NULL;
	pi_render_set_free(&set);
	return s;
}

static void test_deterministic(void **state)
{
	(void)state;
	struct pi_plan *a = plan_of(BASE EXTS), *b = plan_of(BASE EXTS);
	struct pi_buf ja, jb;
	pi_buf_init(&ja);
	pi_buf_init(&jb);
	assert_int_equal(pi_plan_write_json(a, &ja), 0);
	assert_int_equal(pi_plan_write_json(b, &jb), 0);
	assert_int_equal(ja.len, jb.len);
	assert_memory_equal(ja.data, jb.data, ja.len);
	assert_non_null(strstr(ja.data, "\"speaker\": \"gobgpd\""));
	pi_buf_free(&ja);
	pi_buf_free(&jb);
	pi_plan_free(a);
	pi_plan_free(b);
}

/* Everything the lab had without externals keeps its ASN, prefixes, and
 * every link its name and subnets. */
static void test_moves_nothing(void **state)
{
	(void)state;
	struct pi_plan *a = plan_of(BASE), *b = plan_of(BASE EXTS);
	char x[PI_PREFIX_STRLEN], y[PI_PREFIX_STRLEN];
	for (uint32_t p = 0; p < a->n_pods; p++) {
		uint32_t q = pi_plan_pod_by_name(b, a->pods[p].name);
		assert_int_not_equal(q, PI_NONE);
		assert_int_equal(a->pods[p].asn, b->pods[q].asn);
		assert_string_equal(pi_prefix_fmt(&a->pods[p].v4, x), pi_prefix_fmt(&b->pods[q].v4, y));
		assert_string_equal(pi_prefix_fmt(&a->pods[p].v6, x), pi_prefix_fmt(&b->pods[q].v6, y));
	}
	for (uint32_t l = 0; l < a->n_links; l++) {
		bool found = false;
		for (uint32_t k = 0; k < b->n_links && !found; k++)
			if (strcmp(a->links[l].name, b->links[k].name) == 0) {
				found = true;
				assert_string_equal(pi_prefix_fmt(&a->links[l].v4, x), pi_prefix_fmt(&b->links[k].v4, y));
				assert_string_equal(pi_prefix_fmt(&a->links[l].v6, x), pi_prefix_fmt(&b->links[k].v6, y));
			}
		assert_true(found);
	}
	assert_int_equal(b->n_pods, a->n_pods + 4);
	pi_plan_free(a);
	pi_plan_free(b);
}

/* The pins of plan (its plan.json read back), as setup keeps them. */
static struct pi_plan_pins *pins_of(const struct pi_plan *plan)
{
	struct pi_buf j;
	struct pi_diag d;
	struct pi_plan_pins *pins = NULL;
	pi_buf_init(&j);
	pi_diag_init(&d);
	assert_int_equal(pi_plan_write_json(plan, &j), 0);
	assert_int_equal(pi_plan_pins_load(j.data, j.len, &pins, &d), 0);
	pi_buf_free(&j);
	pi_diag_free(&d);
	return pins;
}

/* attach and detach as reconcile sees them: the running plan's pins, the
 * lab with one speaker more (or less), the difference. Only the speaker's
 * node, link and sessions come or go; no link of the others changes. */
static void test_attach_detach_diff(void **state)
{
	(void)state;
	struct pi_plan *before = plan_of(BASE);
	struct pi_lab *lab = kept_labs[n_kept_labs - 1];
	struct pi_plan_pins *pins = pins_of(before);
	static const enum pi_attach where[] = { PI_ATTACH_IXP, PI_ATTACH_CUSTOMER_OF, PI_ATTACH_PEER_OF,
						PI_ATTACH_PROVIDER_OF };
	static const char *const to[] = { "ixp1", "transit2", "content1", "broadband1" };
	for (size_t k = 0; k < 4; k++) {
		char name[16];
		snprintf(name, sizeof(name), "x%zu", k);
		struct pi_lab_external e = { .name = name, .asn = 65100 + (uint32_t)k, .speaker = PI_SPEAKER_GOBGPD,
					     .attach = where[k], .to = to[k], .pos = { "attach", 0, 0 } };
		struct pi_diag d;
		pi_diag_init(&d);
		assert_int_equal(pi_lab_add_external(lab, &e, &d), 0);
		struct pi_plan *after = NULL;
		assert_int_equal(pi_plan_build_pinned(lab, pins, &after, &d), 0);
		struct pi_plan_diff diff;
		assert_int_equal(pi_plan_diff(pins, after, &diff), 0);
		assert_int_equal(diff.n_nodes_added, 1);
		assert_string_equal(after->nodes[diff.nodes_added[0]].role, "speaker");
		assert_int_equal(diff.n_nodes_removed, 0);
		/* An IXP's peering LAN gains a member: reconcile remakes no kept
		 * interface for a LAN (only for changed p2p links, of which there are none). */
		assert_int_equal(diff.n_links_changed, where[k] == PI_ATTACH_IXP ? 1 : 0);
		for (uint32_t c = 0; c < diff.n_links_changed; c++)
			assert_int_equal(after->links[diff.links_changed[c]].kind, PI_LINK_LAN);
		assert_int_equal(diff.n_links_removed, 0);
		assert_int_equal(diff.n_sessions_removed, 0);
		assert_int_equal(diff.n_sessions_added, 2); /* dual-stack */
		assert_int_equal(diff.n_links_added, where[k] == PI_ATTACH_IXP ? 0 : 1);
		pi_plan_diff_free(&diff);
		/* detach: back to the running plan exactly. */
		struct pi_plan_pins *apins = pins_of(after);
		assert_int_equal(pi_lab_remove_external(lab, name), 0);
		struct pi_plan *back = NULL;
		assert_int_equal(pi_plan_build_pinned(lab, apins, &back, &d), 0);
		assert_int_equal(pi_plan_diff(apins, back, &diff), 0);
		assert_int_equal(diff.n_nodes_removed, 1);
		assert_int_equal(diff.n_nodes_added + diff.n_links_added + diff.n_sessions_added, 0);
		assert_int_equal(diff.n_links_changed, where[k] == PI_ATTACH_IXP ? 1 : 0);
		pi_plan_diff_free(&diff);
		struct pi_plan_pins *bpins = pins_of(back);
		assert_int_equal(pi_plan_diff(pins, back, &diff), 0);
		assert_int_equal(diff.n_nodes_added + diff.n_nodes_removed + diff.n_links_added + diff.n_links_removed +
					 diff.n_links_changed + diff.n_sessions_added + diff.n_sessions_removed,
				 0);
		pi_plan_diff_free(&diff);
		pi_plan_pins_free(apins);
		pi_plan_pins_free(bpins);
		pi_plan_free(after);
		pi_plan_free(back);
		pi_diag_free(&d);
	}
	pi_plan_pins_free(pins);
	pi_plan_free(before);
}

/* The import filter text of one session in a bird.conf. */
static char *filter_of(const char *conf, const char *session)
{
	char head[128];
	snprintf(head, sizeof(head), "protocol bgp %s ", session);
	const char *s = strstr(conf, head);
	assert_non_null(s);
	const char *f = strstr(s, "import filter"), *end = strstr(f, "accept;\n\t\t};");
	assert_non_null(f);
	assert_non_null(end);
	return strndup(f, (size_t)(end - f));
}

static void test_customer_cone(void **state)
{
	(void)state;
	struct pi_plan *p = plan_of(BASE EXTS);
	uint32_t cust = pi_plan_pod_by_name(p, "cust"), fp = pi_plan_pod_by_name(p, "frrpeer");
	char buf[PI_PREFIX_STRLEN], want[64];
	/* The border holding the customer session. */
	const char *border = NULL;
	for (uint32_t s = 0; s < p->n_sessions; s++)
		if (strcmp(p->sessions[s].name, "ebgp_transit1_cust_v4") == 0)
			border = p->nodes[p->sessions[s].a].name;
	assert_non_null(border);
	char *conf = file_of(p, border, "bird.conf");
	assert_non_null(conf);
	char *flt = filter_of(conf, "ebgp_transit1_cust_v4");
	snprintf(want, sizeof(want), "%s+", pi_prefix_fmt(&p->pods[cust].v4, buf));
	assert_non_null(strstr(flt, want));
	assert_non_null(strstr(flt, "10.250.1.0/24+"));
	assert_non_null(strstr(flt, "then reject"));
	/* Another external's prefix is outside cust's cone: not accepted from it. */
	snprintf(want, sizeof(want), "%s+", pi_prefix_fmt(&p->pods[fp].v4, buf));
	assert_null(strstr(flt, want));
	free(flt);
	flt = filter_of(conf, "ebgp_transit1_cust_v6");
	snprintf(want, sizeof(want), "%s+", pi_prefix_fmt(&p->pods[cust].v6, buf));
	assert_non_null(strstr(flt, want));
	assert_null(strstr(flt, "10.250.1.0/24"));
	free(flt);
	free(conf);
	pi_plan_free(p);
}

static void test_speaker_files(void **state)
{
	(void)state;
	struct pi_plan *p = plan_of(BASE EXTS);
	char *ex = file_of(p, "tester-speaker1", "config/exabgp.conf");
	assert_non_null(ex);
	assert_non_null(strstr(ex, "local-as 65001;"));
	assert_non_null(strstr(ex, "ipv6 unicast;"));
	assert_null(file_of(p, "tester-speaker1", "bird.conf"));
	char *rd = file_of(p, "tester-speaker1", "config/README");
	assert_non_null(strstr(rd, "kill -USR1"));
	char *gb = file_of(p, "cust-speaker1", "config/announce.sh");
	assert_non_null(strstr(gb, "gobgp global rib add -a ipv4 10.250.1.0/24"));
	char *fr = file_of(p, "frrpeer-speaker1", "config/frr.conf");
	assert_non_null(strstr(fr, "router bgp 65003"));
	char *st = file_of(p, "frrpeer-speaker1", "start.sh");
	assert_non_null(strstr(st, "bgpd"));
	/* The tester's image: examples of all three, nothing started by start.sh. */
	char *own = file_of(p, "own-speaker1", "config/gobgpd.toml");
	assert_non_null(own);
	char *ost = file_of(p, "own-speaker1", "start.sh");
	assert_null(strstr(ost, "gobgpd"));
	free(ex), free(rd), free(gb), free(fr), free(st), free(own), free(ost);
	pi_plan_free(p);
	/* In the tester's namespace: example files, nothing started, the README says where they are. */
	p = plan_of(BASE "external:\n  - {name: ns, asn: 65009, speaker: gobgpd, attach: {peer_of: content1}, netns: lab-tester}\n");
	uint32_t pod = pi_plan_pod_by_name(p, "ns");
	assert_string_equal(p->pods[pod].netns, "lab-tester");
	st = file_of(p, "ns-speaker1", "start.sh");
	assert_null(strstr(st, "gobgpd"));
	rd = file_of(p, "ns-speaker1", "config/README");
	assert_non_null(strstr(rd, "network namespace lab-tester"));
	gb = file_of(p, "ns-speaker1", "config/gobgpd.toml");
	assert_non_null(gb);
	free(st), free(rd), free(gb);
	pi_plan_free(p);
}

/* ---- checkers ---- */

static char tmpdir[] = "/tmp/pi-speaker-XXXXXX";

static int run(const char *fmt, ...) PI_PRINTF(1, 2);
static int run(const char *fmt, ...)
{
	char cmd[8192], full[8400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "( %s ) >%s/out.txt 2>&1", cmd, tmpdir);
	int rc = system(full);
	if (rc != 0) {
		char path[256], *out = NULL;
		size_t len;
		snprintf(path, sizeof(path), "%s/out.txt", tmpdir);
		if (pi_read_file(path, &out, &len) == 0)
			fprintf(stderr, "FAILED: %s\n%s\n", cmd, out);
		free(out);
	}
	return rc;
}

static void test_checkers(void **state)
{
	(void)state;
	struct pi_plan *p = plan_of(BASE EXTS);
	char log[4200], rn[4200];
	snprintf(log, sizeof(log), "%s/log", tmpdir);
	snprintf(rn, sizeof(rn), "%s/run", tmpdir);
	assert_int_equal(pi_mkdir_p(log, 0755), 0);
	assert_int_equal(pi_mkdir_p(rn, 0755), 0);
	unsigned birds = 0, speakers = 0;
	for (uint32_t n = 0; n < p->n_nodes; n++) {
		char conf[4300];
		snprintf(conf, sizeof(conf), "%s/%s", tmpdir, p->nodes[n].name);
		assert_int_equal(pi_mkdir_p(conf, 0755), 0);
		struct pi_render_opts o = { conf, log, rn };
		struct pi_render_set set;
		pi_render_set_init(&set);
		pi_render_node_opts(p, n, &o, &set);
		for (size_t i = 0; i < set.files.len; i++) {
			const struct pi_render_file *f = pi_vec_at(&set.files, i);
			char path[8400], dir[8400];
			snprintf(path, sizeof(path), "%s/%s", conf, f->path);
			snprintf(dir, sizeof(dir), "%s", path);
			*strrchr(dir, '/') = '\0';
			assert_int_equal(pi_mkdir_p(dir, 0755), 0);
			assert_int_equal(pi_write_file(path, f->data, f->len, f->mode), 0);
		}
		/* Checked once the node's every file is there (bird.conf includes others). */
		for (size_t i = 0; i < set.files.len; i++) {
			const struct pi_render_file *f = pi_vec_at(&set.files, i);
			char path[8400];
			snprintf(path, sizeof(path), "%s/%s", conf, f->path);
			const char *base = strrchr(path, '/') + 1;
			if (strcmp(f->path, "bird.conf") == 0 && ++birds)
				assert_int_equal(run("bird -p -c %s", path), 0);
			else if (strcmp(base, "exabgp.conf") == 0 && ++speakers)
				assert_int_equal(run("cd %s && exabgp --validate %s", tmpdir, path), 0);
			else if (strcmp(base, "gobgpd.toml") == 0 && ++speakers)
				assert_int_equal(run("gobgpd -d -f %s", path), 0);
			else if (strcmp(base, "frr.conf") == 0 && ++speakers)
				assert_int_equal(run("vtysh -C -f %s", path), 0);
			else if (strcmp(base, "announce.sh") == 0 || strcmp(base, "start.sh") == 0)
				assert_int_equal(run("sh -n %s", path), 0);
		}
		pi_render_set_free(&set);
	}
	assert_true(birds > 0);
	assert_int_equal(speakers, 6); /* one each for three, all three for the image */
	pi_plan_free(p);
}

static bool have(const char *tool)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

int main(int argc, char **argv)
{
	const char *s = getenv("PI_SOURCE_DIR");
	snprintf(bdir, sizeof(bdir), "%s/blueprints", s && *s ? s : PI_SOURCE_DIR);
	if (argc > 1 && strcmp(argv[1], "checkers") == 0) {
		const char *tools[] = { "bird", "exabgp", "gobgpd", "vtysh" };
		for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++)
			if (!have(tools[i])) {
				fprintf(stderr, "%s is not installed (scripts/install-deps.sh): skipped\n", tools[i]);
				return 77;
			}
		if (!mkdtemp(tmpdir))
			return 1;
		const struct CMUnitTest tests[] = { cmocka_unit_test(test_checkers) };
		int rc = cmocka_run_group_tests(tests, NULL, NULL);
		for (size_t i = 0; i < n_kept_labs; i++)
			pi_lab_free(kept_labs[i]);
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
		return rc;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_moves_nothing),
		cmocka_unit_test(test_attach_detach_diff),
		cmocka_unit_test(test_customer_cone),
		cmocka_unit_test(test_speaker_files),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	for (size_t i = 0; i < n_kept_labs; i++)
		pi_lab_free(kept_labs[i]);
	return rc;
}
