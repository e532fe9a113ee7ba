/*
 * Unit tests of pi_docker_configure and its parts: daemon.json byte checks
 * (NUL, UTF-8, duplicate keys, BOM), the one-read backup, symlinks with
 * owner/group/mode, host-route avoidance with a fake route list, dockerd
 * flags found in a fake tree of unit files and /proc, and the restart
 * decision over a fake container list. Every file lives in a temp dir and
 * no engine is ever asked (no restart is ever weighed: dry_run or
 * no_restart).
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
#include <unistd.h>
#include <cmocka.h>
#include "docker_internal.h"
#include "pocketinternet/netlink.h"

struct tmp {
	char dir[64];
	char path[256];  /* dir/daemon.json */
	char root[256];  /* dir/root: the fake sysroot */
};

static int tmp_setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/pi-conf-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->path, sizeof(t->path), "%s/daemon.json", t->dir);
	snprintf(t->root, sizeof(t->root), "%s/root", t->dir);
	*state = t;
	return mkdir(t->root, 0755);
}

static int tmp_teardown(void **state)
{
	struct tmp *t = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	int rc = system(cmd);
	free(t);
	return rc;
}

static void put(const char *path, const char *data, size_t len)
{
	char *slash = strrchr(path, '/'), dir[512];
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	assert_int_equal(pi_mkdir_p(dir, 0755), 0);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static void puts_at(const char *root, const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	put(path, text, strlen(text));
}

static char *slurp(const char *path, size_t *len)
{
	char *s = NULL;
	assert_int_equal(pi_read_file(path, &s, len), 0);
	return s;
}

/* Options that touch nothing of the host: fake sysroot, fake routes. */
static struct pi_docker_configure_opts opts_for(const struct tmp *t, bool dry)
{
	struct pi_docker_configure_opts o = { .path = t->path, .dry_run = dry, .no_restart = true,
					      .sysroot = t->root, .routes_given = true };
	return o;
}

static struct pi_diag_entry *entry(struct pi_diag *d, size_t i)
{
	assert_true(i < pi_diag_count(d));
	return pi_vec_at(&d->entries, i);
}

/* A refused file: error code, position, and the file left byte for byte. */
static void assert_refused(struct tmp *t, const char *data, size_t len, int want, unsigned line, unsigned col,
			   const char *msg)
{
	struct pi_docker_configure_opts o = opts_for(t, false);
	struct pi_docker_configure_result r;
	struct pi_diag diag;
	size_t got_len;
	put(t->path, data, len);
	pi_docker_configure_result_init(&r);
	pi_diag_init(&diag);
	assert_int_equal(pi_docker_configure(&o, &r, &diag), want);
	assert_false(r.written);
	struct pi_diag_entry *e = entry(&diag, 0);
	assert_string_equal(e->pos.file, t->path);
	assert_int_equal(e->pos.line, line);
	assert_int_equal(e->pos.col, col);
	assert_non_null(strstr(e->msg, msg));
	assert_non_null(e->hint);
	char *after = slurp(t->path, &got_len);
	assert_int_equal(got_len, len);
	assert_memory_equal(after, data, len);
	free(after);
	pi_diag_free(&diag);
	pi_docker_configure_result_free(&r);
}

static void test_refused_bytes(void **state)
{
	struct tmp *t = *state;
	static const char nul[] = "{\n  \"debug\": true,\n  \"a\"\0: 1\n}\n";
	assert_refused(t, nul, sizeof(nul) - 1, -EINVAL, 3, 6, "NUL byte");
	static const char latin1[] = "{\n \"labels\": [\"caf\xE9\"]\n}\n";
	assert_refused(t, latin1, sizeof(latin1) - 1, -EILSEQ, 2, 17, "not UTF-8: byte 0xe9");
	/* An overlong '/' and a UTF-16 surrogate are not UTF-8 either. */
	static const char overlong[] = "{\"a\": \"\xC0\xAF\"}";
	assert_refused(t, overlong, sizeof(overlong) - 1, -EILSEQ, 1, 8, "byte 0xc0");
	static const char surrogate[] = "{\"a\": \"\xED\xA0\x80\"}";
	assert_refused(t, surrogate, sizeof(surrogate) - 1, -EILSEQ, 1, 8, "byte 0xed");
	static const char dup[] = "{\n  \"bip\": \"192.168.5.1/24\",\n  \"debug\": true,\n  \"bip\": \"10.0.0.1/8\"\n}\n";
	assert_refused(t, dup, sizeof(dup) - 1, -EINVAL, 4, 7, "duplicate object key");
	/* Real multi-byte text is fine. */
	static const char ok[] = "{\"labels\": [\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x90\xB3\"]}";
	size_t bom = 9;
	assert_int_equal(pi_daemon_json_check_bytes("f", ok, sizeof(ok) - 1, &bom, NULL), 0);
	assert_int_equal(bom, 0);
}

static void test_bom_kept(void **state)
{
	struct tmp *t = *state;
	static const char in[] = "\xEF\xBB\xBF{\"log-level\": \"warn\"}\n";
	struct pi_docker_configure_opts o = opts_for(t, false);
	struct pi_docker_configure_result r;
	struct pi_diag diag;
	size_t len;
	put(t->path, in, sizeof(in) - 1);
	pi_docker_configure_result_init(&r);
	pi_diag_init(&diag);
	assert_int_equal(pi_docker_configure(&o, &r, &diag), 0);
	assert_true(r.bom && r.changed && r.written);
	assert_int_equal(r.restart.decision, PI_DOCKER_RESTART_NOT_ASKED);
	char *out = slurp(t->path, &len);
	assert_memory_equal(out, "\xEF\xBB\xBF{", 4);
	json_t *root = json_loads(out + 3, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(root, "log-level")), "warn");
	assert_string_equal(json_string_value(json_object_get(root, "bip")), r.bip);
	json_decref(root);
	free(out);
	char *bak = slurp(r.backup, &len);
	assert_int_equal(len, sizeof(in) - 1);
	assert_memory_equal(bak, in, len);
	free(bak);

	/* The second run sees the BOM, keeps it and has nothing to do. */
	struct pi_docker_configure_result r2;
	pi_docker_configure_result_init(&r2);
	assert_int_equal(pi_docker_configure(&o, &r2, &diag), 0);
	assert_true(r2.bom);
	assert_false(r2.changed || r2.written);
	assert_int_equal(r2.restart.decision, PI_DOCKER_RESTART_NOT_NEEDED);
	assert_int_equal(pi_diag_count(&diag), 0);
	pi_docker_configure_result_free(&r);
	pi_docker_configure_result_free(&r2);
	pi_diag_free(&diag);
}

/* The backup is the bytes that were read and merged, not a later copy. */
static void test_backup_from_one_read(void **state)
{
	struct tmp *t = *state;
	static const char first[] = "{\"debug\": true}\n";
	struct pi_daemon_json_file f;
	char backup[512];
	size_t len;
	put(t->path, first, sizeof(first) - 1);
	assert_int_equal(pi_daemon_json_read(t->path, &f, NULL), 0);
	assert_true(f.exists);
	assert_int_equal(f.len, sizeof(first) - 1);
	/* Someone edits the file between our read and our write. */
	put(t->path, "{\"changed\": 1}\n", 15);
	assert_int_equal(pi_daemon_json_write_file(&f, "{}\n", false, backup, sizeof(backup), NULL), 0);
	char *bak = slurp(backup, &len);
	assert_int_equal(len, sizeof(first) - 1);
	assert_memory_equal(bak, first, len);
	free(bak);
	pi_daemon_json_file_free(&f);
}

static void test_symlink_followed(void **state)
{
	struct tmp *t = *state;
	char real[300], link_st[300];
	static const char in[] = "{\"debug\": true}\n";
	snprintf(real, sizeof(real), "%s/conf/real-daemon.json", t->dir);
	put(real, in, sizeof(in) - 1);
	assert_int_equal(symlink(real, t->path), 0);
	assert_int_equal(chmod(real, 0640), 0);
	/* As root, an owner that is not ours proves it is kept. */
	uid_t uid = geteuid() == 0 ? 1234 : geteuid();
	gid_t gid = geteuid() == 0 ? 5678 : getegid();
	assert_int_equal(chown(real, uid, gid), 0);

	struct pi_docker_configure_opts o = opts_for(t, false);
	struct pi_docker_configure_result r;
	pi_docker_configure_result_init(&r);
	assert_int_equal(pi_docker_configure(&o, &r, NULL), 0);
	assert_true(r.written);
	assert_string_equal(r.target, real);

	struct stat st;
	assert_int_equal(lstat(t->path, &st), 0);
	assert_true(S_ISLNK(st.st_mode)); /* the link is still a link ... */
	ssize_t n = readlink(t->path, link_st, sizeof(link_st) - 1);
	assert_true(n > 0);
	link_st[n] = '\0';
	assert_string_equal(link_st, real);
	assert_int_equal(stat(real, &st), 0); /* ... to the edited target */
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, gid);
	char *out = slurp(real, NULL);
	assert_non_null(strstr(out, "\"bip\""));
	free(out);
	/* The backup sits next to the target, same owner and mode. */
	assert_int_equal(strncmp(r.backup, real, strlen(real)), 0);
	assert_int_equal(stat(r.backup, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_uid, uid);
	pi_docker_configure_result_free(&r);

	/* A link to nothing is refused, not replaced by a file. */
	assert_int_equal(unlink(t->path), 0);
	assert_int_equal(symlink("/nonexistent/pi-daemon.json", t->path), 0);
	struct pi_diag diag;
	pi_diag_init(&diag);
	pi_docker_configure_result_init(&r);
	assert_int_equal(pi_docker_configure(&o, &r, &diag), -ENOENT);
	assert_non_null(strstr(entry(&diag, 0)->msg, "symbolic link to a missing file"));
	assert_int_equal(lstat(t->path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	pi_docker_configure_result_free(&r);
	pi_diag_free(&diag);
}

static struct pi_nl_route_prefix R(const char *pfx, const char *dev)
{
	struct pi_nl_route_prefix r = { .table = 254 };
	assert_int_equal(pi_prefix_parse(pfx, &r.prefix), 0);
	snprintf(r.dev, sizeof(r.dev), "%s", dev);
	return r;
}

static void test_host_routes_avoided(void **state)
{
	struct tmp *t = *state;
	assert_true(pi_docker_is_own_bridge("docker0"));
	assert_true(pi_docker_is_own_bridge("br-0123456789ab"));
	assert_false(pi_docker_is_own_bridge("br-lan"));
	assert_false(pi_docker_is_own_bridge("br-0123456789aX"));
	assert_false(pi_docker_is_own_bridge("wlan0"));

	const struct pi_nl_route_prefix routes[] = {
		R("0.0.0.0/0", "wlan0"),         /* default: no clash */
		R("192.168.0.0/24", "wlan0"),    /* the home LAN */
		R("192.168.1.0/24", "docker0"),  /* Docker's own: moves with it */
		R("192.168.128.0/18", "tun0"),   /* a VPN in the upper half */
		R("198.18.0.0/24", "br-0123456789ab"),
		R("fd0c:7069:d0c::/64", "wg0"),  /* the first v6 candidate */
		R("::/0", "wlan0"),
	};
	struct pi_vec v = PI_VEC_INIT(struct pi_prefix);
	pi_docker_host_avoid(routes, PI_ARRAY_LEN(routes), &v);
	assert_int_equal(v.len, 3);
	pi_vec_free(&v);

	put(t->path, "{\"ipv6\": true}", 14);
	struct pi_docker_configure_opts o = opts_for(t, true);
	o.routes = routes;
	o.n_routes = PI_ARRAY_LEN(routes);
	struct pi_docker_configure_result r;
	pi_docker_configure_result_init(&r);
	assert_int_equal(pi_docker_configure(&o, &r, NULL), 0);
	/* Past the LAN; docker0's own 192.168.1.0/24 does not count. */
	assert_string_equal(r.bip, "192.168.1.1/24");
	assert_int_equal(r.pools.len, 1);
	struct pi_docker_pool *p = pi_vec_at(&r.pools, 0);
	char a[PI_PREFIX_STRLEN];
	/* No /17 of 192.168/16 is free (LAN and bip, the VPN): the next
	 * range's first /17, where Docker's own br- route does not count. */
	assert_string_equal(pi_prefix_fmt(&p->base, a), "198.18.0.0/17");
	assert_string_equal(r.fixed_cidr_v6, "fd0c:7069:d0c:1::/64");
	assert_int_equal(r.host_avoid.len, 3);
	assert_false(r.written);
	pi_docker_configure_result_free(&r);

	/* Without those routes the first ranges are taken. */
	o.n_routes = 1;
	pi_docker_configure_result_init(&r);
	assert_int_equal(pi_docker_configure(&o, &r, NULL), 0);
	assert_string_equal(r.bip, "192.168.0.1/24");
	assert_int_equal(r.host_avoid.len, 0);
	pi_docker_configure_result_free(&r);
}

static void conflicts(const char *root, const char *const *keys, size_t n, int want, const char *msg)
{
	struct pi_diag diag;
	pi_diag_init(&diag);
	assert_int_equal(pi_docker_cmdline_conflicts(root, keys, n, &diag), want);
	if (msg)
		assert_non_null(strstr(entry(&diag, 0)->msg, msg));
	else
		assert_int_equal(pi_diag_count(&diag), 0);
	pi_diag_free(&diag);
}

static void test_unit_flags(void **state)
{
	struct tmp *t = *state;
	const char *all[] = { "bip", "default-address-pools", "ipv6" };
	char want[400];
	conflicts(t->root, all, 3, 0, NULL); /* no unit at all */
	puts_at(t->root, "lib/systemd/system/docker.service",
		"[Service]\nType=notify\nExecStart=/usr/bin/dockerd -H fd:// --bip 172.30.0.1/16\n");
	snprintf(want, sizeof(want), "%s/lib/systemd/system/docker.service:3: docker.service passes --bip", t->root);
	conflicts(t->root, all, 3, -EEXIST, want);
	/* Only keys daemon.json will hold matter. */
	conflicts(t->root, all + 1, 2, 0, NULL);

	/* A unit in /etc replaces the one in /lib entirely. */
	puts_at(t->root, "etc/systemd/system/docker.service", "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n");
	conflicts(t->root, all, 3, 0, NULL);
	/* A drop-in appends after resetting; continuations are joined. */
	puts_at(t->root, "etc/systemd/system/docker.service.d/20-pools.conf",
		"[Service]\nExecStart=\nExecStart=/usr/bin/dockerd \\\n  --default-address-pool=base=10.9.0.0/16,size=24\n");
	snprintf(want, sizeof(want), "20-pools.conf:3: docker.service passes --default-address-pool");
	conflicts(t->root, all, 3, -EEXIST, want);
	/* A later drop-in resets it again. */
	puts_at(t->root, "run/systemd/system/docker.service.d/30-plain.conf",
		"[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --bipx --ipv6-other\n");
	conflicts(t->root, all, 3, 0, NULL);

	/* The running dockerd's command line counts too ... */
	puts_at(t->root, "var/run/docker.pid", "4242\n");
	static const char cmd[] = "/usr/bin/dockerd\0--ipv6\0-H\0fd://\0";
	char path[512];
	snprintf(path, sizeof(path), "%s/proc/4242/cmdline", t->root);
	put(path, cmd, sizeof(cmd) - 1);
	conflicts(t->root, all, 3, -EEXIST, "dockerd (pid 4242) runs with --ipv6");
	/* ... unless the pid file is stale and names another program. */
	static const char other[] = "/bin/sleep\0--ipv6\0";
	put(path, other, sizeof(other) - 1);
	conflicts(t->root, all, 3, 0, NULL);
	put(path, cmd, sizeof(cmd) - 1);

	/* configure refuses before writing anything. */
	static const char in[] = "{\"debug\": true}\n";
	put(t->path, in, sizeof(in) - 1);
	struct pi_docker_configure_opts o = opts_for(t, false);
	struct pi_docker_configure_result r;
	struct pi_diag diag;
	pi_diag_init(&diag);
	pi_docker_configure_result_init(&r);
	assert_int_equal(pi_docker_configure(&o, &r, &diag), -EEXIST);
	assert_false(r.written);
	assert_non_null(strstr(entry(&diag, 0)->hint, "configure-docker"));
	char *after = slurp(t->path, NULL);
	assert_string_equal(after, in);
	free(after);
	pi_docker_configure_result_free(&r);
	pi_diag_free(&diag);
}

static struct pi_container_summary C(const char *name, const char *state, const char *lab)
{
	struct pi_container_summary c;
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(c.state, sizeof(c.state), "%s", state);
	snprintf(c.lab, sizeof(c.lab), "%s", lab);
	return c;
}

static enum pi_docker_restart decide(const struct pi_container_summary *l, size_t n, bool live, bool force,
				     bool systemd, struct pi_docker_restart_check *c)
{
	pi_docker_restart_check_free(c);
	pi_docker_restart_check_init(c);
	pi_docker_restart_decide(l, n, live, force, systemd, c);
	return c->decision;
}

static void test_restart_decision(void **state)
{
	(void)state;
	const struct pi_container_summary list[] = {
		C("pi-demo-r1", "running", "demo"), C("pi-demo-r2", "exited", "demo"),
		C("web", "running", ""), C("db", "running", ""), C("old", "exited", ""),
	};
	struct pi_docker_restart_check c;
	pi_docker_restart_check_init(&c);
	/* Nothing runs: go. */
	assert_int_equal(decide(list + 4, 1, false, false, true, &c), PI_DOCKER_RESTART_SYSTEMCTL);
	assert_int_equal(decide(list + 4, 1, false, false, false, &c), PI_DOCKER_RESTART_BY_HAND);
	/* Foreign containers block, and are named ... */
	assert_int_equal(decide(list + 1, 4, false, false, true, &c), PI_DOCKER_RESTART_REFUSED_OTHER);
	assert_int_equal(c.other.len, 2);
	assert_string_equal(((struct pi_container_summary *)pi_vec_at(&c.other, 0))->name, "web");
	assert_string_equal(((struct pi_container_summary *)pi_vec_at(&c.other, 1))->name, "db");
	assert_int_equal(c.lab.len, 0);
	/* ... unless live-restore keeps them, or --force. */
	assert_int_equal(decide(list + 1, 4, true, false, true, &c), PI_DOCKER_RESTART_SYSTEMCTL);
	assert_int_equal(decide(list + 1, 4, false, true, true, &c), PI_DOCKER_RESTART_SYSTEMCTL);
	/* Lab containers block even with live-restore; --force overrides. */
	assert_int_equal(decide(list, 5, true, false, true, &c), PI_DOCKER_RESTART_REFUSED_LAB);
	assert_int_equal(c.lab.len, 1);
	assert_string_equal(((struct pi_container_summary *)pi_vec_at(&c.lab, 0))->name, "pi-demo-r1");
	assert_int_equal(decide(list, 5, false, true, false, &c), PI_DOCKER_RESTART_BY_HAND);
	assert_string_equal(pi_docker_restart_name(PI_DOCKER_RESTART_REFUSED_OTHER), "refused-other");
	pi_docker_restart_check_free(&c);
}

static void test_result_json(void **state)
{
	struct tmp *t = *state;
	put(t->path, "{\"bip\": \"172.17.0.1/16\"}", 24);
	struct pi_docker_configure_opts o = opts_for(t, false);
	const struct pi_nl_route_prefix routes[] = { R("192.168.0.0/24", "eth0") };
	o.routes = routes;
	o.n_routes = 1;
	struct pi_docker_configure_result r;
	pi_docker_configure_result_init(&r);
	assert_int_equal(pi_docker_configure(&o, &r, NULL), 0);
	char *s = pi_docker_configure_result_json(&r);
	json_t *j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "bip")), "192.168.1.1/24");
	assert_string_equal(json_string_value(json_object_get(j, "file")), r.target);
	assert_string_equal(json_string_value(json_object_get(j, "backup")), r.backup);
	assert_true(json_is_true(json_object_get(j, "written")));
	json_t *pool = json_array_get(json_object_get(j, "default_address_pools"), 0);
	assert_int_equal(json_integer_value(json_object_get(pool, "size")), 24);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "host_prefixes_avoided"), 0)),
			    "192.168.0.0/24");
	json_t *rs = json_object_get(j, "restart");
	assert_string_equal(json_string_value(json_object_get(rs, "decision")), "not-asked");
	assert_true(json_is_false(json_object_get(rs, "restarted")));
	assert_true(json_array_size(json_object_get(j, "changes")) >= 2);
	json_decref(j);
	free(s);
	pi_docker_configure_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refused_bytes, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_bom_kept, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_backup_from_one_read, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_symlink_followed, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_host_routes_avoided, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_unit_flags, tmp_setup, tmp_teardown),
		cmocka_unit_test(test_restart_decision),
		cmocka_unit_test_setup_teardown(test_result_json, tmp_setup, tmp_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
