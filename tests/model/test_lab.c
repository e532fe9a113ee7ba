/*
 * Tests for the model loader: the shipped labs and blueprints load with the
 * expected contents, every file in tests/bad/ yields exactly the errors its
 * "# expect: LINE:COL text" comments announce, and hostile input is refused
 * cleanly.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "pi_config.h"
#include "pocketinternet/lab.h"
#include "../../src/model/model.h"

static const char *src_dir(void)
{
	const char *s = getenv("PI_SOURCE_DIR");
	return s && *s ? s : PI_SOURCE_DIR;
}

static char *path_of(const char *rel)
{
	size_t n = strlen(src_dir()) + strlen(rel) + 2;
	char *p = malloc(n);
	snprintf(p, n, "%s/%s", src_dir(), rel);
	return p;
}

static char *bp_dir(void)
{
	return path_of("blueprints");
}

static struct pi_lab *load_ok(const char *rel)
{
	char *path = path_of(rel), *bdir = bp_dir();
	struct pi_diag d;
	struct pi_lab *lab = NULL;
	pi_diag_init(&d);
	int rc = pi_lab_load(path, bdir, &lab, &d);
	if (rc != 0)
		pi_diag_print(&d, stderr);
	assert_int_equal(rc, 0);
	/* warnings (an ignored `config:` of the original format) are tested on their own */
	assert_int_equal(pi_diag_errors(&d), 0);
	assert_non_null(lab);
	pi_diag_free(&d);
	free(path);
	free(bdir);
	return lab;
}

static unsigned total_pods(const struct pi_lab *lab)
{
	unsigned n = 0;
	for (size_t i = 0; i < lab->n_pods; i++)
		n += lab->pods[i].count;
	return n;
}

static unsigned pods_of(const struct pi_lab *lab, const char *bp)
{
	unsigned n = 0;
	for (size_t i = 0; i < lab->n_pods; i++)
		if (strcmp(lab->pods[i].blueprint, bp) == 0)
			n += lab->pods[i].count;
	return n;
}

static void test_default_lab(void **state)
{
	(void)state;
	struct pi_lab *lab = load_ok("labs/lab.yml");
	char buf[PI_PREFIX_STRLEN];
	assert_string_equal(lab->name, "pocket");
	assert_string_equal(lab->tld, "pocket");
	assert_int_equal(lab->seed, 1);
	assert_false(lab->is_legacy);
	assert_string_equal(pi_prefix_fmt(&lab->v4, buf), "10.0.0.0/8");
	assert_string_equal(pi_prefix_fmt(&lab->v6, buf), "2001:db8::/32");
	assert_int_equal(lab->v4_pos.line, 7);
	assert_int_equal(lab->n_blueprints, 4);
	/* sorted by name */
	assert_string_equal(lab->blueprints[0].name, "broadband");
	assert_string_equal(lab->blueprints[3].name, "transit");
	assert_int_equal(total_pods(lab), 12);
	assert_int_equal(pods_of(lab, "transit"), 3);
	assert_int_equal(pods_of(lab, "ixp"), 2);
	assert_int_equal(pods_of(lab, "broadband"), 4);
	assert_int_equal(pods_of(lab, "content"), 3);
	/* the short form keeps file order and resolves blueprints */
	assert_string_equal(lab->pods[0].blueprint, "transit");
	assert_ptr_equal(lab->pods[0].bp, pi_lab_blueprint(lab, "transit"));
	assert_null(lab->pods[0].name);
	assert_int_equal(lab->pods[0].first_index, 1);
	assert_int_equal(lab->pods[0].pos.line, 10);
	assert_int_equal(lab->pods[0].pos.col, 3);
	assert_int_equal(lab->n_rels, 0);
	pi_lab_free(lab);
}

static void test_small_labs(void **state)
{
	(void)state;
	struct pi_lab *lab = load_ok("labs/tiny.yml");
	assert_int_equal(total_pods(lab), 5);
	assert_int_equal(pods_of(lab, "transit"), 2);
	assert_string_equal(lab->tld, "pocket"); /* the default */
	pi_lab_free(lab);

	lab = load_ok("labs/small.yml");
	assert_string_equal(lab->name, "small");
	assert_int_equal(lab->seed, 42);
	assert_int_equal(total_pods(lab), 7);
	assert_int_equal(pods_of(lab, "transit"), 2);
	assert_int_equal(pods_of(lab, "ixp"), 1);
	assert_int_equal(pods_of(lab, "broadband"), 2);
	assert_int_equal(pods_of(lab, "content"), 2);
	pi_lab_free(lab);

	lab = load_ok("labs/workshop.yml");
	assert_int_equal(total_pods(lab), 40);
	assert_int_equal(lab->n_pods, 4);
	assert_int_equal(lab->pods[2].count, 20);
	assert_int_equal(lab->pods[2].n_overrides, 3);
	assert_string_equal(lab->pods[2].overrides[1].role, "sub");
	assert_int_equal(lab->pods[2].overrides[1].count, 1);
	pi_lab_free(lab);
}

static void test_explicit_lab(void **state)
{
	(void)state;
	struct pi_lab *lab = load_ok("labs/explicit.yml");
	assert_string_equal(lab->tld, "example");
	assert_int_equal(lab->n_pods, 6);
	assert_int_equal(total_pods(lab), 7);
	/* explicit pods first, in file order */
	assert_string_equal(lab->pods[0].name, "tier1-a");
	assert_int_equal(lab->pods[0].asn, 64500);
	assert_int_equal(lab->pods[0].count, 1);
	assert_int_equal(lab->pods[0].first_index, 0);
	assert_string_equal(lab->pods[3].name, "homenet");
	assert_int_equal(lab->pods[3].n_overrides, 2);
	assert_null(lab->pods[5].name);
	assert_int_equal(lab->pods[5].count, 2);
	assert_int_equal(lab->pods[5].first_index, 1);
	assert_int_equal(lab->pods[5].asn, 0);
	/* 2 peers + 5 provider + 4 ixp members */
	assert_int_equal(lab->n_rels, 11);
	assert_int_equal(lab->rels[0].kind, PI_LAB_REL_PEER);
	assert_int_equal(lab->rels[1].kind, PI_LAB_REL_PROVIDER);
	assert_string_equal(lab->rels[1].a, "tier1-a");
	assert_string_equal(lab->rels[1].b, "homenet");
	assert_string_equal(lab->rels[4].b, "broadband1");
	unsigned ixp = 0;
	for (size_t i = 0; i < lab->n_rels; i++) {
		if (lab->rels[i].kind != PI_LAB_REL_IXP)
			continue;
		ixp++;
		assert_string_equal(lab->rels[i].b, "dix");
	}
	assert_int_equal(ixp, 4);
	assert_string_equal(lab->rels[9].a, "broadband2");
	pi_lab_free(lab);
}

static void test_legacy_sample(void **state)
{
	(void)state;
	struct pi_lab *lab = load_ok("labs/original-sample.yml");
	assert_true(lab->is_legacy);
	assert_string_equal(lab->name, "original-sample");
	assert_string_equal(lab->tld, "lab");
	assert_int_equal(lab->n_pods, 0);
	const struct pi_legacy *lg = &lab->legacy;
	assert_int_equal(lg->n_pods, 3);
	assert_int_equal(lg->pods[0].x, 16);
	assert_int_equal(lg->pods[0].y, 1);
	assert_int_equal(lg->pods[0].kind, PI_LEGACY_DNS);
	assert_int_equal(lg->pods[0].routers, 2);
	assert_int_equal(lg->pods[1].kind, PI_LEGACY_WEB);
	assert_int_equal(lg->pods[2].x, 17);
	assert_int_equal(lg->pods[2].kind, PI_LEGACY_BASE);
	assert_int_equal(lg->pods[2].routers, 1); /* from the older `number:` spelling */
	assert_true(lg->pods[2].v4 && lg->pods[2].v6);
	assert_int_equal(lg->n_peerings, 2);
	assert_int_equal(lg->peerings[1].left_router, 2);
	assert_int_equal(lg->peerings[1].right_x, 17);
	assert_int_equal(lg->peerings[1].right_y, 1);
	pi_lab_free(lab);

	/* no name: the file stem, sanitised */
	const char *text = "pods:\n  - number: 16.1\n    kind: base\n    stacks: [v6]\n";
	struct pi_diag d;
	pi_diag_init(&d);
	char *bdir = bp_dir();
	assert_int_equal(pi_lab_load_mem("/x/My_Old.Lab.yml", text, strlen(text), bdir, &lab, &d), 0);
	assert_string_equal(lab->name, "my-old-lab");
	assert_true(lab->is_legacy);
	assert_false(lab->legacy.pods[0].v4);
	assert_true(lab->legacy.pods[0].v6);
	assert_int_equal(lab->legacy.pods[0].routers, 1);
	pi_lab_free(lab);
	pi_diag_free(&d);
	free(bdir);
}

static void test_blueprints(void **state)
{
	(void)state;
	struct pi_lab *lab = load_ok("labs/tiny.yml");
	const struct pi_blueprint *bb = pi_lab_blueprint(lab, "broadband");
	assert_non_null(bb);
	assert_int_equal(bb->tier, PI_TIER_STUB);
	assert_int_equal(bb->providers.min, 1);
	assert_int_equal(bb->providers.max, 2);
	assert_int_equal(bb->ixps.max, 1);
	assert_false(bb->anycast);
	const struct pi_bp_role *acc = pi_blueprint_role(bb, "access");
	assert_non_null(acc);
	assert_int_equal(acc->services, PI_SVC_ROUTER | PI_SVC_DHCP | PI_SVC_NAT44 | PI_SVC_NAT64);
	assert_int_equal(acc->count.value, 1);
	assert_int_equal(acc->v4_hosts, 8);
	const struct pi_bp_role *sub = pi_blueprint_role(bb, "sub");
	assert_int_equal(sub->count.value, 2);
	assert_int_equal(sub->count.min, 1);
	assert_int_equal(sub->count.max, 8);
	assert_null(pi_blueprint_role(bb, "nope"));
	assert_int_equal(bb->n_lans, 3);
	assert_string_equal(bb->lans[1].name, "subs");
	assert_true(bb->lans[1].subscriber && bb->lans[1].cgnat && !bb->lans[1].nat64);
	assert_int_equal(bb->lans[1].v4_len, 24);
	assert_int_equal(bb->lans[2].v4_len, 0); /* IPv6-only */
	assert_int_equal(bb->lans[2].v6_len, 64);
	assert_true(bb->lans[2].nat64);
	assert_int_equal(bb->lans[2].n_members, 2);

	const struct pi_blueprint *tr = pi_lab_blueprint(lab, "transit");
	assert_int_equal(tr->tier, PI_TIER_TRANSIT);
	assert_int_equal(tr->n_roles, 5);
	assert_string_equal(tr->roles[0].name, "border"); /* file order */
	/* The RPKI cache's role: no node unless a lab's rpki section asks. */
	assert_string_equal(tr->roles[4].name, "rpki");
	assert_int_equal(tr->roles[4].services, PI_SVC_RPKI);
	assert_int_equal(tr->roles[4].count.value, 0);
	assert_int_equal(tr->roles[0].services, PI_SVC_ROUTER | PI_SVC_EBGP);
	assert_int_equal(tr->n_links, 1);
	assert_string_equal(tr->links[0].a, "border");
	assert_string_equal(tr->links[0].b, "core");
	assert_int_equal(tr->links[0].pattern, PI_PAT_FULL);

	const struct pi_blueprint *ix = pi_lab_blueprint(lab, "ixp");
	assert_int_equal(ix->tier, PI_TIER_IXP);
	assert_int_equal(ix->roles[0].services, PI_SVC_RS);
	assert_true(pi_lab_blueprint(lab, "content")->anycast);
	/* pods stay small enough for 2 cores */
	for (size_t i = 0; i < lab->n_blueprints; i++) {
		unsigned nodes = 0;
		for (size_t j = 0; j < lab->blueprints[i].n_roles; j++)
			nodes += lab->blueprints[i].roles[j].count.value;
		assert_true(nodes >= 1 && nodes <= 8);
	}
	pi_lab_free(lab);

	for (unsigned bit = 1; bit <= PI_SVC_CLIENT; bit <<= 1)
		assert_int_equal(pi_service_from_name(pi_service_name(bit)), bit);
	assert_int_equal(pi_service_from_name("auth-dns"), PI_SVC_AUTHDNS);
	assert_int_equal(pi_service_from_name("bogus"), 0);
	assert_null(pi_service_name(3));
}

/* A fifth blueprint is a file, not code: copy the shipped ones next to a new one. */
static void test_fifth_blueprint(void **state)
{
	(void)state;
	char dir[] = "/tmp/pi-bp-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *src = bp_dir();
	const char *names[] = { "transit", "ixp", "broadband", "content" };
	char path[512];
	for (size_t i = 0; i < 4; i++) {
		char *text;
		size_t len;
		snprintf(path, sizeof(path), "%s/%s.yml", src, names[i]);
		assert_int_equal(pi_read_file(path, &text, &len), 0);
		snprintf(path, sizeof(path), "%s/%s.yml", dir, names[i]);
		assert_int_equal(pi_write_file(path, text, len, 0644), 0);
		free(text);
	}
	const char *ent = "description: An enterprise network\n"
			  "tier: stub\n"
			  "providers: {min: 2, max: 2}\n"
			  "roles:\n"
			  "  edge: {services: [router, ebgp]}\n"
			  "  office: {services: [http, auth-dns], count: 2, min: 1, max: 3}\n"
			  "lans:\n"
			  "  - {name: lan, members: [edge, office], ipv4: 29}\n";
	snprintf(path, sizeof(path), "%s/enterprise.yml", dir);
	assert_int_equal(pi_write_file(path, ent, strlen(ent), 0644), 0);
	snprintf(path, sizeof(path), "%s/as2.yml", dir);
	assert_int_equal(pi_write_file(path, ent, strlen(ent), 0644), 0);
	const char *labtext = "pods: {transit: 2, enterprise: 2, as2: 1}\n"
			      "relationships:\n"
			      "  - {provider: transit1, customer: enterprise2}\n"
			      "  - {provider: transit2, customer: as2-1}\n";
	struct pi_diag d;
	struct pi_lab *lab;
	pi_diag_init(&d);
	int rc = pi_lab_load_mem("five.yml", labtext, strlen(labtext), dir, &lab, &d);
	pi_diag_print(&d, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(lab->n_blueprints, 6);
	assert_string_equal(lab->blueprints[0].name, "as2");
	assert_string_equal(lab->blueprints[3].name, "enterprise");
	assert_int_equal(lab->blueprints[3].providers.min, 2);
	assert_string_equal(lab->name, "five");
	assert_int_equal(lab->n_rels, 2);
	pi_lab_free(lab);
	pi_diag_free(&d);
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s.yml", dir, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/enterprise.yml", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/as2.yml", dir);
	unlink(path);
	rmdir(dir);
	free(src);
}

/* ---- tests/bad: "# expect: LINE:COL text" lines say what must be reported ---- */
struct expect {
	unsigned line, col;
	char text[200];
};

static size_t read_expects(const char *text, struct expect *ex, size_t max)
{
	size_t n = 0;
	const char *p = text;
	while ((p = strstr(p, "# expect: ")) && n < max) {
		p += strlen("# expect: ");
		int used = 0;
		if (sscanf(p, "%u:%u %n", &ex[n].line, &ex[n].col, &used) != 2)
			fail_msg("bad expect line: %.40s", p);
		const char *eol = strchr(p + used, '\n');
		size_t len = eol ? (size_t)(eol - (p + used)) : strlen(p + used);
		if (len >= sizeof(ex[n].text))
			len = sizeof(ex[n].text) - 1;
		memcpy(ex[n].text, p + used, len);
		ex[n].text[len] = '\0';
		n++;
	}
	return n;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool check_bad_file(const char *dir, const char *fname)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, fname);
	char *text;
	size_t len;
	assert_int_equal(pi_read_file(path, &text, &len), 0);
	struct expect ex[32];
	size_t n = read_expects(text, ex, 32);
	if (n == 0)
		fail_msg("%s: no '# expect:' line", fname);
	struct pi_diag d;
	pi_diag_init(&d);
	int rc;
	if (strncmp(fname, "bp-", 3) == 0) {
		rc = pi_blueprint_check_mem("bad", path, text, len, &d);
	} else {
		struct pi_lab *lab = NULL;
		char *bdir = bp_dir();
		rc = pi_lab_load(path, bdir, &lab, &d);
		assert_null(lab);
		free(bdir);
	}
	free(text);
	bool ok = rc == -EINVAL && pi_diag_count(&d) == n;
	bool used[64] = { false };
	for (size_t i = 0; ok && i < n; i++) {
		bool found = false;
		for (size_t j = 0; j < pi_diag_count(&d) && !found; j++) {
			const struct pi_diag_entry *e = pi_vec_at(&d.entries, j);
			if (used[j] || e->pos.line != ex[i].line || e->pos.col != ex[i].col || !strstr(e->msg, ex[i].text))
				continue;
			/* every error points into the bad file and says what to do */
			if (!e->pos.file || strcmp(e->pos.file, path) != 0 || !e->hint || !*e->hint)
				continue;
			found = used[j] = true;
		}
		if (!found) {
			fprintf(stderr, "%s: expected %u:%u %s\n", fname, ex[i].line, ex[i].col, ex[i].text);
			ok = false;
		}
	}
	if (!ok) {
		fprintf(stderr, "%s: rc %d, %zu diagnostics, %zu expected:\n", fname, rc, pi_diag_count(&d), n);
		pi_diag_print(&d, stderr);
	}
	pi_diag_free(&d);
	return ok;
}

static void test_bad_files(void **state)
{
	(void)state;
	char *dir = path_of("tests/bad");
	DIR *dh = opendir(dir);
	assert_non_null(dh);
	char *names[512];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(dh)) && n < 512) {
		size_t l = strlen(e->d_name);
		if (l > 4 && strcmp(e->d_name + l - 4, ".yml") == 0)
			names[n++] = strdup(e->d_name);
	}
	closedir(dh);
	qsort(names, n, sizeof(*names), cmp_name);
	assert_true(n >= 20);
	/* Check them all before failing, so one run shows every mismatch. */
	size_t failed = 0;
	for (size_t i = 0; i < n; i++) {
		failed += !check_bad_file(dir, names[i]);
		free(names[i]);
	}
	free(dir);
	if (failed)
		fail_msg("%zu of %zu files in tests/bad differ from their expect lines", failed, n);
}

/* ---- collecting: one load reports every problem ---- */
static size_t count_errors(const char *text, int *rc)
{
	struct pi_diag d;
	struct pi_lab *lab = (struct pi_lab *)1;
	char *bdir = bp_dir();
	pi_diag_init(&d);
	*rc = pi_lab_load_mem("t.yml", text, strlen(text), bdir, &lab, &d);
	assert_null(lab);
	size_t n = pi_diag_count(&d);
	pi_diag_free(&d);
	free(bdir);
	return n;
}

static void test_collects_all(void **state)
{
	(void)state;
	int rc;
	/* three independent problems, three diagnostics */
	assert_int_equal(count_errors("name: Bad_Name\n"
				      "seed: -1\n"
				      "pods: {transit: 2, trnsit: 1}\n",
				      &rc),
			 3);
	assert_int_equal(rc, -EINVAL);
	/* reported in position order, whatever order the checks ran in */
	{
		const char *text = "pods: {transit: 1}\nrelationships: [{peers: [x, y]}]\nbogus: 1\nseed: z\n";
		struct pi_diag d;
		struct pi_lab *lab;
		char *bdir = bp_dir();
		pi_diag_init(&d);
		assert_int_equal(pi_lab_load_mem("o.yml", text, strlen(text), bdir, &lab, &d), -EINVAL);
		assert_int_equal(pi_diag_count(&d), 4);
		unsigned prev = 0;
		for (size_t i = 0; i < 4; i++) {
			const struct pi_diag_entry *e = pi_vec_at(&d.entries, i);
			assert_true(e->pos.line >= prev);
			prev = e->pos.line;
		}
		pi_diag_free(&d);
		free(bdir);
	}
	/* errors deep in several pods and relationships are all found */
	assert_int_equal(count_errors("pods:\n"
				      "  - {blueprint: broadband, roles: {sub: 99}}\n"
				      "  - {blueprint: content, roles: {webb: 1}}\n"
				      "  - {name: a, blueprint: transit, asn: 0}\n"
				      "relationships:\n"
				      "  - {provider: a, customer: nobody}\n"
				      "  - {peers: [a]}\n",
				      &rc),
			 5);
	/* the flood is capped, and says so */
	struct pi_buf b;
	pi_buf_init(&b);
	pi_buf_puts(&b, "pods: {transit: 1}\n");
	for (int i = 0; i < 300; i++)
		pi_buf_printf(&b, "k%d: 1\n", i);
	struct pi_diag d;
	struct pi_lab *lab;
	char *bdir = bp_dir();
	pi_diag_init(&d);
	assert_int_equal(pi_lab_load_mem("flood.yml", b.data, b.len, bdir, &lab, &d), -EINVAL);
	assert_int_equal(pi_diag_count(&d), PI_LD_MAX_ERRORS + 1);
	const struct pi_diag_entry *first = pi_vec_at(&d.entries, 0);
	const struct pi_diag_entry *last = pi_vec_at(&d.entries, PI_LD_MAX_ERRORS);
	assert_int_equal(first->pos.line, 2);
	assert_non_null(strstr(last->msg, "too many errors"));
	pi_diag_free(&d);
	free(bdir);
	pi_buf_free(&b);
}

/* ---- hostile and odd input: refused with a diagnostic, never a crash ---- */
static void test_hostile(void **state)
{
	(void)state;
	static const char *const inputs[] = {
		"",
		"\n\n# only a comment\n",
		"[",
		"{a: 1",
		"pods: *nothing\n",
		"a: &x [*x]\n",
		"---\npods: {transit: 1}\n---\npods: {ixp: 1}\n",
		"pods:\n\t- x\n",
		"\xff\xfe\x00garbage",
		"just a string\n",
		"- a\n- b\n",
		"pods: {transit: 1}\nname: \"a\\0b\"\n",
		"pods: {transit: 99999999999999999999999}\n",
		"pods: [{blueprint: [a]}, 3, {name: {x: 1}}]\n",
		"pods:\n  - number: 16.1\n  - number: [1]\n  - {number: \"40.300\"}\n",
		"pods: {transit: 1}\n{a: b}: c\n",
		"? [a, b]\n: c\n",
	};
	char *bdir = bp_dir();
	for (size_t i = 0; i < PI_ARRAY_LEN(inputs); i++) {
		struct pi_diag d;
		struct pi_lab *lab = (struct pi_lab *)1;
		pi_diag_init(&d);
		size_t len = i == 8 ? 10 : strlen(inputs[i]);
		int rc = pi_lab_load_mem("h.yml", inputs[i], len, bdir, &lab, &d);
		if (rc == 0 || pi_diag_count(&d) == 0)
			fail_msg("input %zu was accepted", i);
		assert_null(lab);
		pi_diag_free(&d);
	}
	/* deep nesting and alias bombs are bounded */
	struct pi_buf b;
	pi_buf_init(&b);
	for (int i = 0; i < 10000; i++)
		pi_buf_putc(&b, '[');
	struct pi_diag d;
	struct pi_lab *lab;
	pi_diag_init(&d);
	assert_int_equal(pi_lab_load_mem("deep.yml", b.data, b.len, bdir, &lab, &d), -EINVAL);
	pi_diag_free(&d);
	pi_buf_reset(&b);
	pi_buf_puts(&b, "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
	for (char c = 'b'; c <= 'j'; c++)
		pi_buf_printf(&b, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", c, c, c - 1, c - 1,
			      c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	pi_buf_puts(&b, "pods: *j\n");
	pi_diag_init(&d);
	assert_int_equal(pi_lab_load_mem("bomb.yml", b.data, b.len, bdir, &lab, &d), -EINVAL);
	const struct pi_diag_entry *e = pi_vec_at(&d.entries, 0);
	assert_non_null(strstr(e->msg, "expands to more than"));
	pi_diag_free(&d);
	/* bounded sizes are reported, and cost nothing quadratic */
	pi_buf_reset(&b);
	pi_buf_puts(&b, "tier: stub\nroles:\n");
	for (int i = 0; i < 40; i++)
		pi_buf_printf(&b, "  r%d: {services: [router, ebgp]}\n", i);
	pi_diag_init(&d);
	assert_int_equal(pi_blueprint_check_mem("big", "big.yml", b.data, b.len, &d), -EINVAL);
	e = pi_vec_at(&d.entries, 0);
	assert_string_equal(e->msg, "too many roles (40)");
	assert_int_equal(e->pos.line, 3);
	pi_diag_free(&d);
	pi_buf_reset(&b);
	pi_buf_puts(&b, "pods: {transit: 2}\nrelationships:\n");
	for (int i = 0; i < PI_LAB_MAX_RELS + 10; i++)
		pi_buf_puts(&b, "  - {peers: [transit1, transit2]}\n");
	pi_diag_init(&d);
	assert_int_equal(pi_lab_load_mem("rels.yml", b.data, b.len, bdir, &lab, &d), -EINVAL);
	assert_non_null(strstr(((struct pi_diag_entry *)pi_vec_at(&d.entries, 0))->msg, "too many relationships"));
	pi_diag_free(&d);
	pi_buf_free(&b);
	free(bdir);
}

static void test_aliases_work(void **state)
{
	(void)state;
	/* anchors must live inside known keys: an extra top-level key is an error */
	const char *lab_text = "pods:\n"
			       "  - {blueprint: broadband, count: 2, roles: &small {sub: 1, v6only: 0}}\n"
			       "  - {blueprint: broadband, roles: *small}\n"
			       "  - {blueprint: transit}\n";
	struct pi_diag d;
	struct pi_lab *lab;
	char *bdir = bp_dir();
	pi_diag_init(&d);
	int rc = pi_lab_load_mem("alias.yml", lab_text, strlen(lab_text), bdir, &lab, &d);
	pi_diag_print(&d, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(lab->n_pods, 3);
	assert_int_equal(lab->pods[1].n_overrides, 2);
	assert_int_equal(lab->pods[1].first_index, 3);
	assert_int_equal(lab->pods[2].first_index, 1);
	pi_lab_free(lab);
	pi_diag_free(&d);
	free(bdir);
}

static void test_io_errors(void **state)
{
	(void)state;
	struct pi_diag d;
	struct pi_lab *lab;
	pi_diag_init(&d);
	assert_int_equal(pi_lab_load("/nonexistent/lab.yml", NULL, &lab, &d), -ENOENT);
	assert_null(lab);
	assert_int_equal(pi_diag_count(&d), 1);
	pi_diag_free(&d);

	/* a missing blueprint dir is reported once; the lab is still checked */
	pi_diag_init(&d);
	const char *text = "pods: {transit: 1}\nbogus: 1\n";
	assert_int_equal(pi_lab_load_mem("x.yml", text, strlen(text), "/nonexistent-bp", &lab, &d), -ENOENT);
	assert_int_equal(pi_diag_count(&d), 2);
	pi_diag_free(&d);
}

/* One load, expecting failure; returns the first entry's copy in *first. */
static int load_fail(const char *text, size_t len, struct pi_diag *d)
{
	char *bdir = bp_dir();
	struct pi_lab *lab = (struct pi_lab *)1;
	pi_diag_init(d);
	int rc = pi_lab_load_mem("h.yml", text, len, bdir, &lab, d);
	assert_null(lab);
	assert_true(pi_diag_count(d) > 0);
	free(bdir);
	return rc;
}

static const struct pi_diag_entry *entry(const struct pi_diag *d, size_t i)
{
	return pi_vec_at(&d->entries, i);
}

/* libyaml's reader errors come as byte offsets: they must become line:col. */
static void test_reader_errors_positioned(void **state)
{
	(void)state;
	struct pi_diag d;
	static const char nul[] = "pods: {transit: 1}\nname: ab\0c\n";
	assert_int_equal(load_fail(nul, sizeof(nul) - 1, &d), -EINVAL);
	assert_int_equal(entry(&d, 0)->pos.line, 2);
	assert_int_equal(entry(&d, 0)->pos.col, 9);
	assert_non_null(strstr(entry(&d, 0)->hint, "NUL"));
	pi_diag_free(&d);
	/* "é" is one character: the bad byte after it is column 10 */
	static const char utf[] = "pods: {transit: 1}\nname: \xc3\xa9" "ab\xff\n";
	assert_int_equal(load_fail(utf, sizeof(utf) - 1, &d), -EINVAL);
	assert_int_equal(entry(&d, 0)->pos.line, 2);
	assert_int_equal(entry(&d, 0)->pos.col, 10);
	assert_non_null(strstr(entry(&d, 0)->msg, "UTF-8"));
	pi_diag_free(&d);
}

/* A lab file must not reach the terminal as escape sequences, nor flood it. */
static void test_values_escaped(void **state)
{
	(void)state;
	struct pi_diag d;
	const char *text = "pods: {transit: 1}\nname: \"\\e]0;owned\\a\\e[31mred\"\n";
	assert_int_equal(load_fail(text, strlen(text), &d), -EINVAL);
	const struct pi_diag_entry *e = entry(&d, 0);
	assert_int_equal(e->pos.line, 2);
	assert_null(strchr(e->msg, '\x1b'));
	assert_null(strchr(e->msg, '\a'));
	assert_non_null(strstr(e->msg, "\\x1b]0;owned\\x07\\x1b[31mred"));
	pi_diag_free(&d);
	/* a long value is cut at PI_DIAG_VALUE_MAX bytes */
	struct pi_buf b;
	pi_buf_init(&b);
	pi_buf_puts(&b, "pods: {transit: 1}\nseed: ");
	for (int i = 0; i < 5000; i++)
		pi_buf_putc(&b, 'x');
	pi_buf_putc(&b, '\n');
	assert_int_equal(load_fail(b.data, b.len, &d), -EINVAL);
	e = entry(&d, 0);
	assert_true(strlen(e->msg) < 200);
	assert_non_null(strstr(e->msg, "xxx..."));
	pi_diag_free(&d);
	pi_buf_free(&b);
}

/* 100,000 anchors, each used once: linear with the anchor table (a list
 * search took over a minute; the meson timeout catches a regression). */
static void test_anchor_flood(void **state)
{
	(void)state;
	struct pi_buf b;
	pi_buf_init(&b);
	for (int i = 0; i < 100000; i++)
		pi_buf_printf(&b, "- &a%d x\n- *a%d\n", i, i);
	struct pi_diag d;
	struct pi_arena arena = { 0 };
	struct pi_ld ld;
	struct pi_ynode *root = NULL;
	pi_diag_init(&d);
	pi_ld_init(&ld, &arena, &d);
	ld.file = "flood.yml";
	assert_int_equal(pi_yaml_parse(&ld, b.data, b.len, &root), 0);
	assert_int_equal(pi_diag_count(&d), 0);
	assert_non_null(root);
	assert_int_equal(root->n, 200000);
	assert_ptr_equal(root->kids[199999], root->kids[199998]);
	pi_ld_done(&ld);
	pi_arena_free(&arena);
	pi_diag_free(&d);
	pi_buf_free(&b);
}

/* -c must name a regular file of at most 16 MB, checked on the open file. */
static void test_file_kinds(void **state)
{
	(void)state;
	struct pi_diag d;
	struct pi_lab *lab;
	pi_diag_init(&d);
	assert_int_equal(pi_lab_load("/dev/zero", NULL, &lab, &d), -EINVAL);
	assert_null(lab);
	assert_string_equal(entry(&d, 0)->pos.file, "/dev/zero");
	assert_non_null(strstr(entry(&d, 0)->msg, "not a regular file"));
	pi_diag_free(&d);

	char dir[] = "/tmp/pi-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char fifo[64], big[64];
	snprintf(fifo, sizeof(fifo), "%s/fifo.yml", dir);
	snprintf(big, sizeof(big), "%s/big.yml", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	pi_diag_init(&d);
	/* no writer: a blocking open or read would hang here */
	assert_int_equal(pi_lab_load(fifo, NULL, &lab, &d), -EINVAL);
	assert_non_null(strstr(entry(&d, 0)->msg, "not a regular file"));
	pi_diag_free(&d);

	FILE *f = fopen(big, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), PI_LAB_FILE_MAX + 1), 0);
	fclose(f);
	pi_diag_init(&d);
	assert_int_equal(pi_lab_load(big, NULL, &lab, &d), -EFBIG);
	assert_non_null(strstr(entry(&d, 0)->msg, "the limit is 16777216"));
	pi_diag_free(&d);
	unlink(fifo);
	unlink(big);
	rmdir(dir);
}

/* The original project's published files, as they are (tests/data/original). */
static void test_original_files(void **state)
{
	(void)state;
	char *path = path_of("tests/data/original/lab.yml"), *bdir = bp_dir();
	struct pi_diag d;
	struct pi_lab *lab = NULL;
	pi_diag_init(&d);
	assert_int_equal(pi_lab_load(path, bdir, &lab, &d), 0);
	assert_non_null(lab);
	assert_string_equal(lab->title, "Main Demo Lab");
	assert_true(lab->is_legacy);
	assert_int_equal(lab->legacy.n_pods, 3);
	/* "-v6" was meant as [v6] */
	assert_false(lab->legacy.pods[2].v4);
	assert_true(lab->legacy.pods[2].v6);
	assert_int_equal(lab->legacy.n_peerings, 2);
	/* warnings only: the slip, the v4-only/v6-only peering, the ignored config */
	assert_int_equal(pi_diag_errors(&d), 0);
	assert_int_equal(pi_diag_count(&d), 3);
	static const struct {
		unsigned line, col;
		const char *text;
	} want[] = { { 24, 7, "read as [v6]" }, { 31, 5, "no IP stack in common" }, { 36, 1, "'config'" } };
	for (size_t i = 0; i < PI_ARRAY_LEN(want); i++) {
		const struct pi_diag_entry *e = entry(&d, i);
		assert_int_equal(e->severity, PI_DIAG_WARNING);
		assert_int_equal(e->pos.line, want[i].line);
		assert_int_equal(e->pos.col, want[i].col);
		assert_non_null(strstr(e->msg, want[i].text));
	}
	assert_non_null(strstr(entry(&d, 2)->msg, "ignored"));
	pi_lab_free(lab);
	pi_diag_free(&d);
	free(path);

	/* demo1 was published as a docker-compose file: one clear error */
	path = path_of("tests/data/original/demo1-docker-compose.yml");
	pi_diag_init(&d);
	assert_int_equal(pi_lab_load(path, bdir, &lab, &d), -EINVAL);
	assert_int_equal(pi_diag_count(&d), 1);
	assert_int_equal(entry(&d, 0)->pos.line, 2);
	assert_non_null(strstr(entry(&d, 0)->msg, "docker-compose file"));
	pi_diag_free(&d);
	free(path);
	free(bdir);

	lab = load_ok("tests/data/original/demo1.yml");
	assert_string_equal(lab->title, "RIPE NCC Copenhagen Hackathon Demo");
	assert_int_equal(lab->legacy.n_pods, 3);
	pi_lab_free(lab);

	/* a title must be printable and short */
	const char *text = "pods: {transit: 1}\ntitle: \"a\\tb\"\n";
	assert_int_equal(load_fail(text, strlen(text), &d), -EINVAL);
	assert_non_null(strstr(entry(&d, 0)->msg, "control characters"));
	pi_diag_free(&d);
}

static void test_limits(void **state)
{
	(void)state;
	struct pi_diag d;
	const char *text = "pods: {transit: 1}\n"
			   "limits:\n"
			   "  memory: {router: 512M, default: 12X, client: 1T}\n"
			   "  pids: {server: 5, routr: 100}\n";
	assert_int_equal(load_fail(text, strlen(text), &d), -EINVAL);
	static const struct {
		unsigned line, col;
		const char *text;
	} want[] = { { 3, 35, "is not a size like 256M" },
		     { 3, 48, "'1T' is not a size" },
		     { 4, 18, "limits.pids.server is 5, outside 16..65536" },
		     { 4, 21, "unknown key 'routr'" } };
	assert_int_equal(pi_diag_count(&d), PI_ARRAY_LEN(want));
	for (size_t i = 0; i < PI_ARRAY_LEN(want); i++) {
		const struct pi_diag_entry *e = entry(&d, i);
		if (e->pos.line != want[i].line || e->pos.col != want[i].col || !strstr(e->msg, want[i].text)) {
			pi_diag_print(&d, stderr);
			fail_msg("entry %zu", i);
		}
	}
	pi_diag_free(&d);
}

static void test_paths(void **state)
{
	(void)state;
	setenv("POCKETINTERNET_BLUEPRINTS", "/some/where", 1);
	assert_string_equal(pi_default_blueprint_dir(), "/some/where");
	unsetenv("POCKETINTERNET_BLUEPRINTS");
	assert_string_equal(pi_default_blueprint_dir(), PI_SOURCE_DIR "/blueprints");
	assert_non_null(strstr(pi_default_lab_file(), "labs/lab.yml"));

	struct pi_arena a = { 0 };
	assert_string_equal(pi_lab_name_from_file(&a, "labs/lab.yml"), "lab");
	assert_string_equal(pi_lab_name_from_file(&a, "/x/9Demo__One.yaml"), "demo-one");
	assert_string_equal(pi_lab_name_from_file(&a, "___.yml"), "lab");
	assert_string_equal(pi_lab_name_from_file(&a, "a-very-long-lab-name-indeed.yml"), "a-very-long-lab");
	pi_arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_lab),  cmocka_unit_test(test_small_labs),
		cmocka_unit_test(test_explicit_lab), cmocka_unit_test(test_legacy_sample),
		cmocka_unit_test(test_blueprints),   cmocka_unit_test(test_fifth_blueprint),
		cmocka_unit_test(test_bad_files),    cmocka_unit_test(test_collects_all),
		cmocka_unit_test(test_hostile),      cmocka_unit_test(test_aliases_work),
		cmocka_unit_test(test_io_errors),    cmocka_unit_test(test_paths),
		cmocka_unit_test(test_reader_errors_positioned), cmocka_unit_test(test_values_escaped),
		cmocka_unit_test(test_anchor_flood), cmocka_unit_test(test_file_kinds),
		cmocka_unit_test(test_original_files), cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
