/*
 * Unit tests of the daemon.json merge behind configure-docker: every other
 * key survives, the chosen ranges avoid the lab and the reserved ranges,
 * safe values are kept (so a second run changes nothing), a malformed file
 * is reported with line:column, and the write keeps a backup. The CLI's
 * --dry-run is run against the built binary when it exists.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "docker_internal.h"
#include "pocketinternet/netlink.h"

/* The lab's space plus the reserved ranges, as configure-docker builds it. */
static size_t avoid_for(const char *v4, const char *v6, struct pi_prefix *out)
{
	size_t n = 0;
	pi_daemon_json_reserved(out);
	n = 3;
	if (v4)
		assert_int_equal(pi_prefix_parse(v4, &out[n++]), 0);
	if (v6)
		assert_int_equal(pi_prefix_parse(v6, &out[n++]), 0);
	return n;
}

static void assert_avoids(json_t *root, const struct pi_prefix *avoid, size_t n)
{
	struct pi_prefix bip;
	assert_int_equal(pi_prefix_parse(json_string_value(json_object_get(root, "bip")), &bip), 0);
	bip = pi_prefix_network(&bip);
	struct pi_vec pools = PI_VEC_INIT(struct pi_docker_pool);
	assert_int_equal(pi_docker_parse_pools(json_object_get(root, "default-address-pools"), &pools), 0);
	assert_true(pools.len > 0);
	for (size_t i = 0; i < n; i++) {
		assert_false(pi_prefix_overlaps(&bip, &avoid[i]));
		for (size_t k = 0; k < pools.len; k++) {
			struct pi_docker_pool *p = pi_vec_at(&pools, k);
			assert_false(pi_prefix_overlaps(&p->base, &avoid[i]));
			assert_false(pi_prefix_overlaps(&p->base, &bip));
		}
	}
	pi_vec_free(&pools);
}

static void test_merge_keeps_keys(void **state)
{
	(void)state;
	struct pi_prefix avoid[5];
	size_t n = avoid_for("10.0.0.0/8", "2001:db8::/32", avoid);
	const char *in = "{\n  \"log-driver\": \"journald\",\n  \"storage-driver\": \"overlay2\",\n"
			 "  \"registry-mirrors\": [\"https://m.example\"],\n  \"bip\": \"172.17.0.1/16\",\n"
			 "  \"features\": {\"buildkit\": false}\n}\n";
	struct pi_daemon_json_result r;
	struct pi_diag diag;
	pi_diag_init(&diag);
	assert_int_equal(pi_daemon_json_merge("daemon.json", in, avoid, n, &r, &diag), 0);
	assert_true(r.changed);
	json_t *root = json_loads(r.json, 0, NULL);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "log-driver")), "journald");
	assert_string_equal(json_string_value(json_object_get(root, "storage-driver")), "overlay2");
	assert_string_equal(json_string_value(json_array_get(json_object_get(root, "registry-mirrors"), 0)),
			    "https://m.example");
	assert_true(json_is_false(json_object_get(json_object_get(root, "features"), "buildkit")));
	/* 172.17/16 is inside the reserved 172.16/12: replaced. */
	assert_string_equal(json_string_value(json_object_get(root, "bip")), "192.168.0.1/24");
	json_t *pool = json_array_get(json_object_get(root, "default-address-pools"), 0);
	assert_string_equal(json_string_value(json_object_get(pool, "base")), "192.168.128.0/17");
	assert_int_equal(json_integer_value(json_object_get(pool, "size")), 24);
	assert_true(json_is_false(json_object_get(root, "ipv6")));
	assert_avoids(root, avoid, n);
	assert_non_null(strstr(pi_buf_str(&r.changes), "bip: \"172.17.0.1/16\" -> \"192.168.0.1/24\""));
	assert_int_equal(r.json[strlen(r.json) - 1], '\n');
	json_decref(root);

	/* Running it again on its own output changes nothing. */
	struct pi_daemon_json_result r2;
	assert_int_equal(pi_daemon_json_merge("daemon.json", r.json, avoid, n, &r2, &diag), 0);
	assert_false(r2.changed);
	assert_string_equal(r2.json, r.json);
	assert_int_equal(r2.changes.len, 0);
	pi_daemon_json_result_free(&r);
	pi_daemon_json_result_free(&r2);
	assert_int_equal(pi_diag_count(&diag), 0);
	pi_diag_free(&diag);
}

static void test_merge_missing_file(void **state)
{
	(void)state;
	struct pi_prefix avoid[5];
	size_t n = avoid_for(NULL, NULL, avoid);
	struct pi_daemon_json_result r;
	const char *inputs[] = { NULL, "", "  \n" };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(pi_daemon_json_merge("daemon.json", inputs[i], avoid, n, &r, NULL), 0);
		assert_true(r.changed);
		json_t *root = json_loads(r.json, 0, NULL);
		assert_int_equal(json_object_size(root), 3); /* bip, pools, ipv6 */
		assert_avoids(root, avoid, n);
		json_decref(root);
		pi_daemon_json_result_free(&r);
	}
}

static void test_merge_keeps_safe_values(void **state)
{
	(void)state;
	struct pi_prefix avoid[5];
	size_t n = avoid_for("10.0.0.0/8", "2001:db8::/32", avoid);
	const char *in = "{\"bip\":\"192.168.77.1/24\",\"default-address-pools\":[{\"base\":\"198.18.0.0/16\",\"size\":24}],"
			 "\"ipv6\":true,\"fixed-cidr-v6\":\"fd12::/64\",\"debug\":true}";
	struct pi_daemon_json_result r;
	assert_int_equal(pi_daemon_json_merge("d", in, avoid, n, &r, NULL), 0);
	assert_false(r.changed);
	json_t *root = json_loads(r.json, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(root, "bip")), "192.168.77.1/24");
	assert_string_equal(json_string_value(json_object_get(root, "fixed-cidr-v6")), "fd12::/64");
	assert_true(json_is_true(json_object_get(root, "debug")));
	json_decref(root);
	pi_daemon_json_result_free(&r);
}

static void test_merge_lab_in_192_168(void **state)
{
	(void)state;
	/* A lab living in the lower half of 192.168/16 pushes Docker past it. */
	struct pi_prefix avoid[5];
	size_t n = avoid_for("192.168.0.0/17", "fd00:1::/48", avoid);
	const char *in = "{\"ipv6\": true, \"fixed-cidr-v6\": \"fd00:1::/64\", \"fixed-cidr\": \"172.17.5.0/24\"}";
	struct pi_daemon_json_result r;
	assert_int_equal(pi_daemon_json_merge("d", in, avoid, n, &r, NULL), 0);
	json_t *root = json_loads(r.json, 0, NULL);
	assert_avoids(root, avoid, n);
	assert_string_equal(json_string_value(json_object_get(root, "bip")), "192.168.128.1/24");
	/* The old fixed-cidr lay outside the new bip: dropped. */
	assert_null(json_object_get(root, "fixed-cidr"));
	assert_string_equal(json_string_value(json_object_get(root, "fixed-cidr-v6")), "fd0c:7069:d0c::/64");
	json_decref(root);
	pi_daemon_json_result_free(&r);
}

static void test_merge_v6_moved(void **state)
{
	(void)state;
	struct pi_prefix avoid[5];
	size_t n = avoid_for("10.0.0.0/8", "fd0c:7069:d0c::/64", avoid);
	const char *in = "{\"ipv6\": true, \"fixed-cidr-v6\": \"fd0c:7069:d0c::/56\"}";
	struct pi_daemon_json_result r;
	assert_int_equal(pi_daemon_json_merge("d", in, avoid, n, &r, NULL), 0);
	json_t *root = json_loads(r.json, 0, NULL);
	struct pi_prefix v6;
	assert_int_equal(pi_prefix_parse(json_string_value(json_object_get(root, "fixed-cidr-v6")), &v6), 0);
	assert_false(pi_prefix_overlaps(&v6, &avoid[4]));
	assert_int_equal(v6.len, 64);
	assert_true(json_is_true(json_object_get(root, "ipv6")));
	json_decref(root);
	pi_daemon_json_result_free(&r);

	/* An original-format lab lives in fd00::/16: the ULA lies outside it. */
	n = avoid_for("10.0.0.0/8", "fd00::/16", avoid);
	assert_int_equal(pi_daemon_json_merge("d", "{\"ipv6\": true}", avoid, n, &r, NULL), 0);
	root = json_loads(r.json, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(root, "fixed-cidr-v6")), "fd0c:7069:d0c::/64");
	json_decref(root);
	pi_daemon_json_result_free(&r);

	/* Nothing free at all for v4: a clear -ENOSPC. */
	struct pi_prefix all[5];
	size_t m = avoid_for("0.0.0.0/0", NULL, all);
	struct pi_diag diag;
	pi_diag_init(&diag);
	assert_int_equal(pi_daemon_json_merge("d", "{}", all, m, &r, &diag), -ENOSPC);
	assert_int_equal(pi_diag_count(&diag), 1);
	pi_diag_free(&diag);
}

static void test_merge_malformed(void **state)
{
	(void)state;
	struct pi_prefix avoid[5];
	size_t n = avoid_for(NULL, NULL, avoid);
	struct pi_daemon_json_result r;
	struct pi_diag diag;
	pi_diag_init(&diag);
	const char *bad = "{\n  \"debug\": true,\n  \"bip\" \"1.2.3.4/24\"\n}\n";
	assert_int_equal(pi_daemon_json_merge("/etc/docker/daemon.json", bad, avoid, n, &r, &diag), -EINVAL);
	assert_null(r.json);
	assert_int_equal(pi_diag_count(&diag), 1);
	struct pi_diag_entry *e = pi_vec_at(&diag.entries, 0);
	assert_string_equal(e->pos.file, "/etc/docker/daemon.json");
	assert_int_equal(e->pos.line, 3);
	/* jansson points at the end of the offending token, "1.2.3.4/24". */
	assert_int_equal(e->pos.col, 20);
	assert_non_null(strstr(e->msg, "':' expected"));
	assert_non_null(strstr(e->hint, "unchanged"));

	assert_int_equal(pi_daemon_json_merge("f", "[1, 2]", avoid, n, &r, &diag), -EINVAL);
	e = pi_vec_at(&diag.entries, 1);
	assert_non_null(strstr(e->msg, "not a JSON object"));
	pi_diag_free(&diag);
}

static void test_write_backup(void **state)
{
	(void)state;
	char dir[] = "/tmp/pi-djson-XXXXXX", path[256], bak[512], cmd[300];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/docker/daemon.json", dir);
	struct pi_diag diag;
	pi_diag_init(&diag);
	/* No old file: no backup, parent directory created. */
	assert_int_equal(pi_daemon_json_write(path, "{\"a\": 1}\n", bak, sizeof(bak), &diag), 0);
	assert_string_equal(bak, "");
	char *text = NULL;
	assert_int_equal(pi_read_file(path, &text, NULL), 0);
	assert_string_equal(text, "{\"a\": 1}\n");
	free(text);
	chmod(path, 0600);
	/* An old file is backed up first, twice in the same second without clobbering. */
	assert_int_equal(pi_daemon_json_write(path, "{\"b\": 2}\n", bak, sizeof(bak), &diag), 0);
	assert_non_null(strstr(bak, "daemon.json.bak-"));
	assert_int_equal(pi_read_file(bak, &text, NULL), 0);
	assert_string_equal(text, "{\"a\": 1}\n");
	free(text);
	char bak2[512];
	assert_int_equal(pi_daemon_json_write(path, "{\"c\": 3}\n", bak2, sizeof(bak2), &diag), 0);
	assert_string_not_equal(bak, bak2);
	assert_int_equal(pi_read_file(bak2, &text, NULL), 0);
	assert_string_equal(text, "{\"b\": 2}\n");
	free(text);
	assert_int_equal(pi_read_file(path, &text, NULL), 0);
	assert_string_equal(text, "{\"c\": 3}\n");
	free(text);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600); /* the old mode is kept */
	pi_diag_free(&diag);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Runs the CLI; returns its exit status and its stdout in out. */
static int run_cli(const char *args, char **out)
{
	const char *bdir = getenv("PI_BUILD_DIR");
	char cmd[1024], tmp[] = "/tmp/pi-cli-out-XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s/pocketinternet %s > %s 2>&1", bdir ? bdir : ".", args, tmp);
	int st = system(cmd);
	assert_int_equal(pi_read_file(tmp, out, NULL), 0);
	unlink(tmp);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli_dry_run(void **state)
{
	(void)state;
	const char *bdir = getenv("PI_BUILD_DIR");
	char bin[512];
	snprintf(bin, sizeof(bin), "%s/pocketinternet", bdir ? bdir : ".");
	assert_int_equal(access(bin, X_OK), 0);

	char dir[] = "/tmp/pi-dry-XXXXXX", path[256], args[512];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/daemon.json", dir);
	const char *orig = "{\"log-level\": \"warn\", \"bip\": \"10.1.0.1/16\"}\n";
	assert_int_equal(pi_write_file(path, orig, strlen(orig), 0644), 0);
	char *out = NULL, *text = NULL;
	snprintf(args, sizeof(args), "configure-docker --dry-run --file %s", path);
	assert_int_equal(run_cli(args, &out), 0);
	/* The proposed document is printed, with the other key kept ... */
	assert_non_null(strstr(out, "\"log-level\": \"warn\""));
	assert_non_null(strstr(out, "\"bip\": \"19"));
	/* ... and nothing was written. */
	assert_int_equal(pi_read_file(path, &text, NULL), 0);
	assert_string_equal(text, orig);
	free(out);
	free(text);

	/* --format json: the chosen bip avoids this host's own routes. */
	snprintf(args, sizeof(args), "configure-docker --dry-run --format json --file %s", path);
	assert_int_equal(run_cli(args, &out), 0);
	json_t *res = json_loads(out, 0, NULL);
	assert_non_null(res);
	struct pi_prefix bip;
	assert_int_equal(pi_prefix_parse(json_string_value(json_object_get(res, "bip")), &bip), 0);
	bip = pi_prefix_network(&bip);
	assert_false(json_is_true(json_object_get(res, "written")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(res, "restart"), "decision")),
			    "not-needed");
	json_decref(res);
	free(out);
	struct pi_nl *nl = NULL;
	struct pi_vec routes = PI_VEC_INIT(struct pi_nl_route_prefix), host = PI_VEC_INIT(struct pi_prefix);
	assert_int_equal(pi_nl_open(&nl), 0);
	assert_int_equal(pi_nl_route_prefixes(nl, &routes), 0);
	pi_docker_host_avoid(routes.data, routes.len, &host);
	for (size_t i = 0; i < host.len; i++)
		assert_false(pi_prefix_overlaps(&bip, pi_vec_at(&host, i)));
	pi_vec_free(&routes);
	pi_vec_free(&host);
	pi_nl_close(nl);
	snprintf(args, sizeof(args), "configure-docker --dry-run --format yaml --file %s", path);
	assert_int_equal(run_cli(args, &out), 2);
	free(out);
	snprintf(args, sizeof(args), "configure-docker --dry-run --file %s", path);

	/* A malformed file: line:column, exit 2, file untouched. */
	const char *bad = "{\n \"a\": tru\n}\n";
	assert_int_equal(pi_write_file(path, bad, strlen(bad), 0644), 0);
	assert_int_equal(run_cli(args, &out), 2);
	char want[300];
	snprintf(want, sizeof(want), "%s:2:", path);
	assert_non_null(strstr(out, want));
	assert_int_equal(pi_read_file(path, &text, NULL), 0);
	assert_string_equal(text, bad);
	free(out);
	free(text);
	snprintf(args, sizeof(args), "rm -rf %s", dir);
	assert_int_equal(system(args), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_keeps_keys),
		cmocka_unit_test(test_merge_missing_file),
		cmocka_unit_test(test_merge_keeps_safe_values),
		cmocka_unit_test(test_merge_lab_in_192_168),
		cmocka_unit_test(test_merge_v6_moved),
		cmocka_unit_test(test_merge_malformed),
		cmocka_unit_test(test_write_backup),
		cmocka_unit_test(test_cli_dry_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
