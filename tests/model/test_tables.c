/*
 * The loader's `announce:` and `rpki:` (docs/lab-format.md): what they
 * hold, an MRT dump read at load time (built here), and every refusal with
 * its file:line:col, including a lab space that would overlap the
 * generated tables' reserved space.
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
#include "pocketinternet/lab.h"
#include "../util/mrt_fixture.h"

static const char *bp_dir(void)
{
	const char *s = getenv("POCKETINTERNET_BLUEPRINTS");
	assert_non_null(s);
	return s;
}

static struct pi_lab *load(const char *file, const char *text, struct pi_diag *d)
{
	struct pi_lab *lab = NULL;
	pi_diag_init(d);
	int rc = pi_lab_load_mem(file, text, strlen(text), bp_dir(), &lab, d);
	if (rc == 0)
		assert_non_null(lab);
	return lab;
}

/* The only error of a load that must fail: at line:col, its message containing what. */
static void fails_at(const char *text, unsigned line, unsigned col, const char *what)
{
	struct pi_diag d;
	struct pi_lab *lab = load("t.yml", text, &d);
	if (lab || pi_diag_errors(&d) != 1)
		pi_diag_print(&d, stderr);
	assert_null(lab);
	assert_int_equal(pi_diag_errors(&d), 1);
	const struct pi_diag_entry *e = pi_vec_at(&d.entries, 0);
	if (!strstr(e->msg, what) || e->pos.line != line || e->pos.col != col)
		fprintf(stderr, "got %u:%u %s\n", e->pos.line, e->pos.col, e->msg);
	assert_non_null(strstr(e->msg, what));
	assert_int_equal(e->pos.line, line);
	assert_int_equal(e->pos.col, col);
	assert_string_equal(e->pos.file, "t.yml");
	pi_diag_free(&d);
}

static void test_announce_counts(void **state)
{
	(void)state;
	struct pi_diag d;
	struct pi_lab *lab = load("t.yml",
				  "pods:\n"
				  "  - {name: big, blueprint: transit, announce: {count: 5000, count6: 300, lengths6: 48}}\n"
				  "  - {blueprint: broadband, count: 2}\n",
				  &d);
	assert_non_null(lab);
	const struct pi_lab_announce *a = lab->pods[0].announce;
	assert_non_null(a);
	assert_int_equal(a->count4, 5000);
	assert_int_equal(a->count6, 300);
	assert_int_equal(a->len4, 0); /* realistic */
	assert_int_equal(a->len6, 48);
	assert_null(a->mrt);
	assert_int_equal(a->pos.line, 2);
	assert_null(lab->pods[1].announce);
	assert_false(lab->rpki.enabled);
	pi_lab_free(lab);
	pi_diag_free(&d);
}

/* Blocks: twice the prefixes' room, at least /16 (v4) and /28 (v6) when realistic. */
static void test_block_len(void **state)
{
	(void)state;
	assert_int_equal(pi_lab_table_block_len(PI_AF_V4, 1, 0), 16);
	assert_int_equal(pi_lab_table_block_len(PI_AF_V4, 5000, 0), 10);       /* 10,000 /24s: a /10 */
	assert_int_equal(pi_lab_table_block_len(PI_AF_V4, 1000000, 0), 3);     /* the whole 32.0.0.0/3 */
	assert_int_equal(pi_lab_table_block_len(PI_AF_V4, 1000, 24), 13);      /* fixed: no /16 floor */
	/* IPv6: room for the realistic /32s (15 %) and /29s (3 %) too. */
	assert_int_equal(pi_lab_table_block_len(PI_AF_V6, 1000, 0), 23);      /* 300 /32s */
	assert_int_equal(pi_lab_table_block_len(PI_AF_V6, 200000, 0), 15);    /* 12,000 /29s */
	assert_int_equal(pi_lab_table_block_len(PI_AF_V6, 2000000, 0), 12);
	assert_int_equal(pi_lab_table_block_len(PI_AF_V6, 1000, 48), 37);    /* fixed: twice the /48s */
}

static void test_announce_errors(void **state)
{
	(void)state;
	fails_at("pods:\n  - {blueprint: transit, count: 2, announce: {count: 10}}\n", 2, 36, "only a named pod");
	fails_at("pods:\n  - {name: t, blueprint: transit, announce: {count: 10, mrt: x.mrt}}\n", 2, 57,
		 "both mrt and count");
	fails_at("pods:\n  - {name: t, blueprint: transit, announce: {lengths: 24}}\n", 2, 45, "needs count");
	fails_at("pods:\n  - {name: t, blueprint: transit, announce: {count: 10, lengths: 25}}\n", 2, 66, "lengths");
	fails_at("pods:\n  - {name: t, blueprint: transit, announce: {count: 10, lengths: some}}\n", 2, 66, "lengths");
	fails_at("pods:\n  - {name: t, blueprint: transit, announce: {count: 3000000}}\n", 2, 53, "announce count");
	fails_at("pods:\n  - {name: t, blueprint: transit, announce: {count: 10, size: 3}}\n", 2, 57, "size");
	/* Two pods whose blocks do not fit 32.0.0.0/3 together (1.5M /24s ask a /3 each). */
	fails_at("pods:\n  - {name: a, blueprint: transit, announce: {count: 1500000}}\n"
		 "  - {name: b, blueprint: transit, announce: {count: 1500000}}\n",
		 3, 45, "need more than 32.0.0.0/3");
	fails_at("pods:\n  - {name: t, blueprint: transit, announce: {mrt: /nonexistent/rib.mrt}}\n", 2, 51,
		 "cannot read MRT file");
}

/* A lab space inside the reserved space is refused where it is written, but only with a table. */
static void test_space_overlap(void **state)
{
	(void)state;
	fails_at("address_space: {ipv4: 33.0.0.0/8}\npods:\n"
		 "  - {name: t, blueprint: transit, announce: {count: 10}}\n",
		 1, 23, "overlaps 32.0.0.0/3");
	fails_at("address_space:\n  ipv6: 3001:db8::/32\npods:\n"
		 "  - {name: t, blueprint: transit, announce: {count6: 10}}\n",
		 2, 9, "overlaps 3000::/8");
	struct pi_diag d;
	struct pi_lab *lab = load("t.yml", "address_space: {ipv4: 33.0.0.0/8}\npods: {transit: 2}\n", &d);
	assert_non_null(lab);
	pi_lab_free(lab);
	pi_diag_free(&d);
}

static void test_announce_mrt(void **state)
{
	(void)state;
	static const uint32_t p1[] = { 65010, 3333 }, p2[] = { 65010, 174, 15169 }, p3[] = { 65010, 64999 };
	struct pi_buf b;
	pi_buf_init(&b);
	mrt_peer_index(&b, 65010);
	mrt_rib(&b, 0, "193.0.0.0/21", p1, 2);
	mrt_rib(&b, 1, "2001:4860::/32", p2, 3);
	mrt_rib(&b, 2, "10.1.0.0/16", p3, 2); /* inside the lab's space: left out, with a warning */
	char dir[] = "/tmp/pi-mrt-lab-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char file[256], labf[256];
	snprintf(file, sizeof(file), "%s/rib.mrt", dir);
	snprintf(labf, sizeof(labf), "%s/lab.yml", dir);
	assert_int_equal(pi_write_file(file, b.data, b.len, 0644), 0);
	const char *text = "pods:\n  - {name: t, blueprint: transit, announce: {mrt: rib.mrt}}\n  - {blueprint: broadband, count: 1}\n";
	struct pi_diag d;
	/* Relative to the lab file's directory. */
	struct pi_lab *lab = load(labf, text, &d);
	if (!lab)
		pi_diag_print(&d, stderr);
	assert_non_null(lab);
	assert_int_equal(pi_diag_count(&d), 1); /* the warning */
	assert_non_null(strstr(((const struct pi_diag_entry *)pi_vec_at(&d.entries, 0))->msg, "left out"));
	const struct pi_lab_announce *a = lab->pods[0].announce;
	assert_int_equal(a->n_routes, 2);
	char nb[PI_PREFIX_STRLEN];
	assert_string_equal(pi_prefix_fmt(&a->routes[1].net, nb), "2001:4860::/32");
	assert_int_equal(a->routes[1].n_path, 3);
	assert_int_equal(a->asns[a->routes[1].path_off + 2], 15169);
	pi_lab_free(lab);
	pi_diag_free(&d);
	/* Compressed, as collectors publish them: say so. */
	assert_int_equal(pi_write_file(file, "\x1f\x8b\x08\x00rest", 8, 0644), 0);
	lab = load(labf, text, &d);
	assert_null(lab);
	assert_non_null(strstr(((const struct pi_diag_entry *)pi_vec_at(&d.entries, 0))->msg, "is compressed"));
	pi_diag_free(&d);
	/* Not an MRT dump: refused at the mrt value. */
	assert_int_equal(pi_write_file(file, "not mrt at all", 14, 0644), 0);
	lab = load(labf, text, &d);
	assert_null(lab);
	assert_non_null(strstr(((const struct pi_diag_entry *)pi_vec_at(&d.entries, 0))->msg, "MRT file"));
	assert_int_equal(((const struct pi_diag_entry *)pi_vec_at(&d.entries, 0))->pos.line, 2);
	pi_diag_free(&d);
	unlink(file);
	rmdir(dir);
	pi_buf_free(&b);
}

static void test_rpki_section(void **state)
{
	(void)state;
	struct pi_diag d;
	struct pi_lab *lab = load("t.yml",
				  "pods: {transit: 2, content: 2}\n"
				  "rpki:\n  rov: [transit1, transit2]\n  cache: transit2\n"
				  "  mistakes:\n    - {pod: content1, kind: wrong-origin}\n    - {pod: content2, kind: missing}\n",
				  &d);
	assert_non_null(lab);
	assert_true(lab->rpki.enabled);
	assert_false(lab->rpki.rov_all);
	assert_int_equal(lab->rpki.n_rov, 2);
	assert_string_equal(lab->rpki.rov[1], "transit2");
	assert_int_equal(lab->rpki.rov_pos[1].line, 3);
	assert_string_equal(lab->rpki.cache, "transit2");
	assert_int_equal(lab->rpki.n_mistakes, 2);
	assert_int_equal(lab->rpki.mistakes[0].kind, PI_RPKI_WRONG_ORIGIN);
	assert_int_equal(lab->rpki.mistakes[1].kind, PI_RPKI_MISSING);
	assert_string_equal(pi_rpki_mistake_name(PI_RPKI_TOO_SHORT_MAXLEN), "too-short-maxlen");
	pi_lab_free(lab);
	pi_diag_free(&d);
	lab = load("t.yml", "pods: {transit: 2}\nrpki: {rov: all}\n", &d);
	assert_non_null(lab);
	assert_true(lab->rpki.rov_all);
	pi_lab_free(lab);
	pi_diag_free(&d);
}

static void test_rpki_errors(void **state)
{
	(void)state;
	fails_at("pods: {transit: 2}\nrpki: {rov: some}\n", 2, 13, "rov must be");
	fails_at("pods: {transit: 2}\nrpki: {rov: [transit1, transit1]}\n", 2, 24, "listed twice");
	fails_at("pods: {transit: 2}\nrpki: {mistakes: [{pod: transit1, kind: typo}]}\n", 2, 41, "kind");
	fails_at("pods: {transit: 2}\nrpki: {mistakes: [{pod: transit1}]}\n", 2, 19, "needs pod and kind");
	fails_at("pods: {transit: 2}\nrpki: {validate: all}\n", 2, 8, "validate");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_announce_counts), cmocka_unit_test(test_block_len),
		cmocka_unit_test(test_announce_errors), cmocka_unit_test(test_space_overlap),
		cmocka_unit_test(test_announce_mrt),	cmocka_unit_test(test_rpki_section),
		cmocka_unit_test(test_rpki_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
