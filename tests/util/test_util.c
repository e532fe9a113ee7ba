/* Unit tests of the util layer: arena, buf, vec, rng, pool, files, safe files, in-root paths. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/openat2.h>
#include "file_int.h"
#include "pocketinternet/diag.h"
#include "pocketinternet/util.h"

static void test_arena(void **state)
{
	(void)state;
	struct pi_arena a = { 0 };
	char *s = pi_arena_strdup(&a, "hello");
	assert_string_equal(s, "hello");
	assert_string_equal(pi_arena_printf(&a, "%s-%d", "x", 42), "x-42");
	/* Many allocations and one oversized allocation all stay valid. */
	char *ptrs[5000];
	for (int i = 0; i < 5000; i++)
		ptrs[i] = pi_arena_printf(&a, "item%d", i);
	char *big = pi_arena_alloc(&a, 200000);
	memset(big, 'x', 200000);
	char *after = pi_arena_strdup(&a, "after");
	for (int i = 0; i < 5000; i++) {
		char want[32];
		snprintf(want, sizeof(want), "item%d", i);
		assert_string_equal(ptrs[i], want);
	}
	assert_string_equal(s, "hello");
	assert_string_equal(after, "after");
	assert_int_equal((uintptr_t)pi_arena_alloc(&a, 3) % 16, 0);
	pi_arena_free(&a);
	assert_null(a.head);
}

static void test_buf(void **state)
{
	(void)state;
	struct pi_buf b;
	pi_buf_init(&b);
	assert_string_equal(pi_buf_str(&b), "");
	pi_buf_puts(&b, "abc");
	pi_buf_putc(&b, '-');
	for (int i = 0; i < 1000; i++)
		pi_buf_printf(&b, "%04d", i);
	assert_int_equal(b.len, 4 + 4000);
	assert_memory_equal(b.data + 4 + 4 * 999, "0999", 4);
	char *s = pi_buf_steal(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(strncmp(s, "abc-0000", 8), 0);
	free(s);
	pi_buf_free(&b);
}

static void test_vec(void **state)
{
	(void)state;
	struct pi_vec v = PI_VEC_INIT(uint64_t);
	for (uint64_t i = 0; i < 100; i++)
		*(uint64_t *)pi_vec_push(&v) = i * i;
	assert_int_equal(v.len, 100);
	assert_int_equal(*(uint64_t *)pi_vec_at(&v, 99), 9801);
	pi_vec_free(&v);
}

static void test_rng(void **state)
{
	(void)state;
	struct pi_rng a, b, c;
	pi_rng_seed(&a, 42);
	pi_rng_seed(&b, 42);
	pi_rng_seed(&c, 43);
	int same = 0;
	for (int i = 0; i < 100; i++) {
		uint64_t x = pi_rng_next(&a);
		assert_int_equal(x, pi_rng_next(&b));
		same += x == pi_rng_next(&c);
	}
	assert_int_equal(same, 0);
	/* A known value pins the generator: plans must not change across builds. */
	pi_rng_seed(&a, 1);
	assert_int_equal(pi_rng_next(&a), 0xe99ff867dbf682c9ull);
	unsigned hist[5] = { 0 };
	for (int i = 0; i < 5000; i++) {
		uint32_t r = pi_rng_below(&a, 5);
		assert_true(r < 5);
		hist[r]++;
	}
	for (int i = 0; i < 5; i++)
		assert_true(hist[i] > 800);
	assert_int_not_equal(pi_hash64("a", 1, 0), pi_hash64("b", 1, 0));
	assert_int_equal(pi_hash64("abc", 3, 7), pi_hash64("abc", 3, 7));
}

struct pool_ctx {
	int hits[1000];
	size_t ticks;
};

static int pool_item(void *ctx, size_t i)
{
	struct pool_ctx *c = ctx;
	c->hits[i]++;
	return i == 500 ? -EIO : 0;
}

static void pool_tick(void *ctx, size_t done, size_t total)
{
	struct pool_ctx *c = ctx;
	assert_true(done <= total);
	c->ticks++;
}

static void test_pool(void **state)
{
	(void)state;
	struct pool_ctx *c = calloc(1, sizeof(*c));
	int rc = pi_pool_run(1000, 4, pool_item, pool_tick, c, NULL);
	assert_int_equal(rc, -EIO);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(c->hits[i], 1);
	assert_int_equal(c->ticks, 1000);
	volatile int cancel = 1;
	memset(c, 0, sizeof(*c));
	assert_int_equal(pi_pool_run(10, 2, pool_item, NULL, c, &cancel), -ECANCELED);
	assert_int_equal(c->hits[0], 0);
	free(c);
}

static void test_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/pi-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/a/b/c.txt", dir);
	assert_int_equal(pi_write_file(path, "data\n", 5, 0600), 0);
	char *s;
	size_t n;
	assert_int_equal(pi_read_file(path, &s, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(s, "data\n");
	free(s);
	assert_int_equal(pi_read_file("/nonexistent/x", &s, &n), -ENOENT);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_diag_move(void **state)
{
	(void)state;
	struct pi_diag a, b;
	pi_diag_init(&a);
	pi_diag_init(&b);
	pi_diag_add(&a, (struct pi_pos){ "a.yml", 1, 2 }, "hint a", "first %d", 1);
	pi_diag_add(&b, (struct pi_pos){ "b.yml", 3, 4 }, NULL, "second");
	pi_diag_add(&b, (struct pi_pos){ 0 }, "hint c", "third");
	pi_diag_move(&a, &b);
	assert_int_equal(pi_diag_count(&a), 3);
	assert_int_equal(pi_diag_count(&b), 0);
	struct pi_diag_entry *e = pi_vec_at(&a.entries, 1);
	assert_string_equal(e->msg, "second");
	assert_string_equal(e->pos.file, "b.yml");
	assert_int_equal(e->pos.col, 4);
	e = pi_vec_at(&a.entries, 2);
	assert_string_equal(e->hint, "hint c");
	/* b is reusable, and moving into NULL drops the entries. */
	pi_diag_add(&b, (struct pi_pos){ 0 }, NULL, "dropped");
	pi_diag_move(NULL, &b);
	assert_int_equal(pi_diag_count(&b), 0);
	pi_diag_free(&a);
	pi_diag_free(&b);
}

/* ---- files the tool writes as root (docs/security.md) ---- */

static void mkpath(char *buf, size_t n, const char *dir, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

static void rm_rf(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static bool diag_has(const struct pi_diag *d, const char *needle)
{
	for (size_t i = 0; i < d->entries.len; i++) {
		const struct pi_diag_entry *e = pi_vec_at(&d->entries, i);
		if (strstr(e->msg, needle) || (e->hint && strstr(e->hint, needle)))
			return true;
	}
	return false;
}

/* A symlink owned by someone other than root (the tests may run as root). */
static void plant_link(const char *target, const char *link)
{
	assert_int_equal(symlink(target, link), 0);
	if (geteuid() == 0)
		assert_int_equal(lchown(link, 65534, 65534), 0);
}

static void test_dir_open_links(void **state)
{
	(void)state;
	char t[] = "/tmp/pi-dir-XXXXXX", real[256], link[256], p[512];
	assert_non_null(mkdtemp(t));
	mkpath(real, sizeof(real), t, "real");
	assert_int_equal(mkdir(real, 0755), 0);
	struct pi_diag d;
	pi_diag_init(&d);
	/* The directory itself a symlink: refused, whoever owns the link. */
	mkpath(link, sizeof(link), t, "out");
	assert_int_equal(symlink(real, link), 0);
	assert_int_equal(pi_dir_open(link, PI_DIR_CREATE | PI_DIR_OWNED, NULL, &d), -ELOOP);
	assert_true(diag_has(&d, "out is a symbolic link"));
	/* A symlink as an earlier component, not root's: refused, nothing made. */
	mkpath(link, sizeof(link), t, "comp");
	plant_link(real, link);
	snprintf(p, sizeof(p), "%s/comp/new", t);
	assert_int_equal(pi_dir_open(p, PI_DIR_CREATE, NULL, &d), -ELOOP);
	assert_true(diag_has(&d, "comp is a symbolic link"));
	snprintf(p, sizeof(p), "%s/new", real);
	assert_int_equal(access(p, F_OK), -1);
	/* Root's links in existing parents are followed (/proc/self -> <pid>). */
	int fd = pi_dir_open("/proc/self/fdinfo", 0, NULL, &d);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(pi_dir_open("/proc/self", 0, NULL, &d), -ELOOP);
	fd = pi_dir_open("/proc/self", PI_DIR_ROOT_LINK, NULL, &d);
	assert_true(fd >= 0);
	close(fd);
	/* ... but never a user's link, even with PI_DIR_ROOT_LINK. */
	assert_int_equal(pi_dir_open(link, PI_DIR_ROOT_LINK, NULL, &d), -ELOOP);
	/* A file is not a directory. */
	snprintf(p, sizeof(p), "%s/file", t);
	assert_int_equal(pi_write_file(p, "x", 1, 0644), 0);
	assert_int_equal(pi_dir_open(p, PI_DIR_CREATE, NULL, &d), -ENOTDIR);
	pi_diag_free(&d);
	rm_rf(t);
}

static void test_dir_open_owner(void **state)
{
	(void)state;
	char t[] = "/tmp/pi-dir-XXXXXX", p[512];
	assert_non_null(mkdtemp(t));
	struct pi_diag d;
	pi_diag_init(&d);
	snprintf(p, sizeof(p), "%s/gw", t);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(chmod(p, 0775), 0);
	assert_int_equal(pi_dir_open(p, PI_DIR_OWNED, NULL, &d), -EPERM);
	assert_true(diag_has(&d, "writable by its group"));
	assert_int_equal(chmod(p, 01777), 0);
	assert_int_equal(pi_dir_open(p, PI_DIR_OWNED, NULL, &d), -EPERM);
	assert_true(diag_has(&d, "writable by group and others"));
	/* Someone else's directory (as root: made so; otherwise "/"). */
	snprintf(p, sizeof(p), "%s/theirs", t);
	assert_int_equal(mkdir(p, 0755), 0);
	if (geteuid() == 0)
		assert_int_equal(chown(p, 65534, 65534), 0);
	assert_int_equal(pi_dir_open(geteuid() == 0 ? p : "/", PI_DIR_OWNED, NULL, &d), -EPERM);
	assert_true(diag_has(&d, "not by uid"));
	/* What it creates is 0755 and the user's whatever the umask. */
	mode_t old = umask(0);
	snprintf(p, sizeof(p), "%s/a/b/c", t);
	bool created = false;
	int fd = pi_dir_open(p, PI_DIR_CREATE | PI_DIR_OWNED, &created, &d);
	umask(old);
	assert_true(fd >= 0);
	assert_true(created);
	close(fd);
	struct stat st;
	snprintf(p, sizeof(p), "%s/a/b", t);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	/* Opened again: exists, so not created. */
	snprintf(p, sizeof(p), "%s/a/./b//c/", t);
	fd = pi_dir_open(p, PI_DIR_CREATE | PI_DIR_OWNED, &created, &d);
	assert_true(fd >= 0);
	assert_false(created);
	close(fd);
	pi_diag_free(&d);
	rm_rf(t);
}

static void test_file_at(void **state)
{
	(void)state;
	char t[] = "/tmp/pi-fat-XXXXXX", p[512];
	assert_non_null(mkdtemp(t));
	int dfd = open(t, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(pi_file_create_at(dfd, "victim", "keep\n", 5, 0644), 0);
	/* A link planted where the file goes is replaced, its target untouched. */
	snprintf(p, sizeof(p), "%s/victim", t);
	assert_int_equal(symlinkat(p, dfd, "f"), 0);
	mode_t old = umask(077);
	assert_int_equal(pi_file_write_at(dfd, "f", "new\n", 4, 0755), 0);
	umask(old);
	struct stat st;
	assert_int_equal(fstatat(dfd, "f", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);
	char *s;
	size_t n;
	assert_int_equal(pi_file_read_at(dfd, "victim", &s, &n, 100), 0);
	assert_string_equal(s, "keep\n");
	free(s);
	/* create never reuses what is there, link or not. */
	assert_int_equal(symlinkat(p, dfd, "g"), 0);
	assert_int_equal(pi_file_create_at(dfd, "g", "x", 1, 0644), -EEXIST);
	assert_int_equal(pi_file_create_at(dfd, "f", "x", 1, 0644), -EEXIST);
	/* Reads refuse a link and a FIFO (without hanging), and cut at max. */
	assert_int_equal(pi_file_read_at(dfd, "g", &s, &n, 100), -ELOOP);
	assert_int_equal(mkfifoat(dfd, "fifo", 0600), 0);
	assert_int_equal(pi_file_read_at(dfd, "fifo", &s, &n, 100), -EINVAL);
	assert_int_equal(pi_file_read_at(dfd, "victim", &s, &n, 2), 0);
	assert_int_equal(n, 2);
	assert_string_equal(s, "ke");
	free(s);
	/* No temporary is left behind. */
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "ls -a '%s' | grep -q '^" PI_TMP_PREFIX "'", t);
	assert_int_not_equal(system(cmd), 0);
	close(dfd);
	rm_rf(t);
}

static void test_write_file_safe(void **state)
{
	(void)state;
	char t[] = "/tmp/pi-wfs-XXXXXX", p[512], v[512];
	assert_non_null(mkdtemp(t));
	struct pi_diag d;
	pi_diag_init(&d);
	snprintf(v, sizeof(v), "%s/victim", t);
	assert_int_equal(pi_write_file(v, "keep\n", 5, 0644), 0);
	snprintf(p, sizeof(p), "%s/plan.json", t);
	assert_int_equal(symlink(v, p), 0);
	assert_int_equal(pi_write_file_safe(p, "new", 3, 0644, &d), -ELOOP);
	assert_true(diag_has(&d, "symbolic link"));
	char *s;
	assert_int_equal(pi_read_file(v, &s, NULL), 0);
	assert_string_equal(s, "keep\n");
	free(s);
	snprintf(p, sizeof(p), "%s/sub/dir/out.txt", t);
	assert_int_equal(pi_write_file_safe(p, "ok", 2, 0644, &d), 0);
	assert_int_equal(pi_read_file(p, &s, NULL), 0);
	assert_string_equal(s, "ok");
	free(s);
	snprintf(p, sizeof(p), "%s/sub", t);
	assert_int_equal(pi_write_file_safe(p, "x", 1, 0644, &d), -EINVAL);
	pi_diag_free(&d);
	rm_rf(t);
}

static void test_remove_tree(void **state)
{
	(void)state;
	char t[] = "/tmp/pi-rm-XXXXXX", p[512];
	assert_non_null(mkdtemp(t));
	int dfd = open(t, O_RDONLY | O_DIRECTORY);
	assert_int_equal(mkdirat(dfd, "outside", 0755), 0);
	assert_int_equal(pi_file_create_at(dfd, "outside/keep", "k", 1, 0644), 0);
	assert_int_equal(mkdirat(dfd, "tree", 0755), 0);
	assert_int_equal(mkdirat(dfd, "tree/a", 0755), 0);
	assert_int_equal(mkdirat(dfd, "tree/a/b", 0755), 0);
	assert_int_equal(pi_file_create_at(dfd, "tree/a/b/f", "f", 1, 0644), 0);
	snprintf(p, sizeof(p), "%s/outside", t);
	assert_int_equal(symlinkat(p, dfd, "tree/dirlink"), 0);
	snprintf(p, sizeof(p), "%s/outside/keep", t);
	assert_int_equal(symlinkat(p, dfd, "tree/a/filelink"), 0);
	assert_int_equal(pi_remove_tree_at(dfd, "tree"), 0);
	struct stat st;
	assert_int_equal(fstatat(dfd, "tree", &st, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(fstatat(dfd, "outside/keep", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(pi_remove_tree_at(dfd, "tree"), -ENOENT);
	/* A link as the name itself goes, its target stays. */
	assert_int_equal(symlinkat("outside", dfd, "l"), 0);
	assert_int_equal(pi_remove_tree_at(dfd, "l"), 0);
	assert_int_equal(fstatat(dfd, "outside/keep", &st, 0), 0);
	close(dfd);
	rm_rf(t);
}

/* Another file system below a tree stops the removal (a mount namespace of
 * its own keeps the host's mounts untouched). */
static void test_remove_tree_mount(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
			_exit(77);
		/* The type is ignored for a propagation change; valgrind wants one. */
		if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(77);
		char t[] = "/tmp/pi-rmx-XXXXXX";
		if (!mkdtemp(t))
			_exit(1);
		int dfd = open(t, O_RDONLY | O_DIRECTORY);
		mkdirat(dfd, "tree", 0755);
		mkdirat(dfd, "tree/mnt", 0755);
		char m[600];
		snprintf(m, sizeof(m), "%s/tree/mnt", t);
		if (mount("tmpfs", m, "tmpfs", 0, NULL) < 0)
			_exit(77);
		pi_file_create_at(dfd, "tree/mnt/keep", "k", 1, 0644);
		int rc = pi_remove_tree_at(dfd, "tree");
		struct stat st;
		int kept = fstatat(dfd, "tree/mnt/keep", &st, 0) == 0;
		umount(m);
		pi_remove_tree_at(dfd, "tree");
		rmdir(t);
		_exit(rc == -EXDEV && kept ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		skip(); /* no mount namespace here: reported as skipped */
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ---- paths inside a container, resolved in its root ---- */

/* What an open gave: the file's first line, or the error. */
static void outcome(int fd, char *buf, size_t len)
{
	if (fd < 0) {
		snprintf(buf, len, "error %d", -fd);
		return;
	}
	ssize_t n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	if (n < 0)
		snprintf(buf, len, "a directory");
	close(fd);
}

/* The user-space fallback (kernels without openat2, valgrind) resolves
 * every path the way the kernel's openat2 does. */
static void test_openat2_fallback(void **state)
{
	(void)state;
	char t[] = "/tmp/pi-resolve-XXXXXX";
	assert_non_null(mkdtemp(t));
	int root = open(t, O_RDONLY | O_DIRECTORY);
	assert_int_equal(mkdirat(root, "etc", 0755), 0);
	assert_int_equal(mkdirat(root, "run", 0755), 0);
	assert_int_equal(pi_file_create_at(root, "etc/passwd", "inside\n", 7, 0644), 0);
	assert_int_equal(symlinkat("/etc/passwd", root, "run/abs"), 0);
	assert_int_equal(symlinkat("../../../../etc/passwd", root, "run/rel"), 0);
	assert_int_equal(symlinkat("/run/loop2", root, "run/loop1"), 0);
	assert_int_equal(symlinkat("/run/loop1", root, "run/loop2"), 0);
	assert_int_equal(symlinkat("/etc", root, "run/etcdir"), 0);
	static const char *const paths[] = {
		"/run/abs", "run/rel", "/run/../../../etc/passwd", "run/loop1", "/run/etcdir/passwd", "run/etcdir/",
		"/run/missing", "etc/passwd/x", "/", "..", "run/abs/", "./run/./abs",
	};
	static const uint64_t modes[] = { RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
					  RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV | RESOLVE_BENEATH, RESOLVE_BENEATH };
	for (size_t m = 0; m < PI_ARRAY_LEN(modes); m++)
		for (size_t i = 0; i < PI_ARRAY_LEN(paths); i++) {
			char kernel[64], user[64];
			outcome(pi_openat2(root, paths[i], O_RDONLY, 0, modes[m]), kernel, sizeof(kernel));
			outcome(pi_openat2_fallback(root, paths[i], O_RDONLY, 0, modes[m]), user, sizeof(user));
			if (strcmp(kernel, user) != 0)
				fail_msg("%s (resolve %#llx): openat2 gives '%s', the fallback '%s'", paths[i],
					 (unsigned long long)modes[m], kernel, user);
		}
	/* A planted link never leads to the host's file. */
	char buf[64];
	outcome(pi_openat2_fallback(root, "/run/abs", O_RDONLY, 0, RESOLVE_IN_ROOT), buf, sizeof(buf));
	assert_string_equal(buf, "inside\n");
	/* Links in procfs are refused (magic links would leave any root). */
	int host = open("/", O_RDONLY | O_DIRECTORY);
	assert_int_equal(pi_openat2_fallback(host, "/proc/self/root/etc/hostname", O_RDONLY, 0,
					     RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), -ELOOP);
	close(host);
	close(root);
	rm_rf(t);
}

static void test_root_read(void **state)
{
	(void)state;
	char t[] = "/tmp/pi-root-XXXXXX", p[512];
	assert_non_null(mkdtemp(t));
	int root = open(t, O_RDONLY | O_DIRECTORY);
	assert_int_equal(mkdirat(root, "run", 0755), 0);
	assert_int_equal(mkdirat(root, "run/pocketinternet", 0755), 0);
	/* An absolute link planted by the container means the container's file. */
	assert_int_equal(symlinkat("/etc/passwd", root, "run/pocketinternet/started"), 0);
	char *s = NULL;
	size_t n;
	assert_int_equal(pi_rootfd_read_file(root, "/run/pocketinternet/started", &s, &n, 4096), -ENOENT);
	assert_int_equal(mkdirat(root, "etc", 0755), 0);
	assert_int_equal(pi_file_create_at(root, "etc/passwd", "inside\n", 7, 0644), 0);
	assert_int_equal(pi_rootfd_read_file(root, "/run/pocketinternet/started", &s, &n, 4096), 0);
	assert_string_equal(s, "inside\n");
	free(s);
	/* ".." stops at the root, in the path and in a relative link. */
	assert_int_equal(pi_rootfd_read_file(root, "/run/../../../../etc/passwd", &s, &n, 4096), 0);
	assert_string_equal(s, "inside\n");
	free(s);
	assert_int_equal(symlinkat("../../../../../../../etc/passwd", root, "run/pocketinternet/start.out"), 0);
	assert_int_equal(pi_rootfd_read_file(root, "run/pocketinternet/start.out", &s, &n, 4096), 0);
	assert_string_equal(s, "inside\n");
	free(s);
	/* A FIFO is refused without blocking; writing one needs a reader. */
	assert_int_equal(mkfifoat(root, "run/pocketinternet/go", 0600), 0);
	assert_int_equal(pi_rootfd_read_file(root, "/run/pocketinternet/go", &s, &n, 4096), -EINVAL);
	assert_int_equal(pi_rootfd_open(root, "/run/pocketinternet/go", O_WRONLY | O_NONBLOCK, 0), -ENXIO);
	/* Magic links (/proc/<pid>/root) would leave any root. */
	int host = open("/", O_RDONLY | O_DIRECTORY);
	assert_int_equal(pi_rootfd_open(host, "/proc/self/root/etc/hostname", O_RDONLY, 0), -ELOOP);
	close(host);
	/* The pid forms: this process's root is the host's. */
	snprintf(p, sizeof(p), "%s/etc/passwd", t);
	assert_int_equal(pi_root_read_file(getpid(), p, &s, &n, 4096), 0);
	assert_string_equal(s, "inside\n");
	free(s);
	int fd = pi_root_open(getpid(), p, O_RDONLY, 0);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(pi_root_read_file(-1, p, &s, &n, 4096), -ENOENT);
	close(root);
	rm_rf(t);
}

static int listen_unix(const char *path)
{
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 4), 0);
	return l;
}

static void test_root_connect(void **state)
{
	(void)state;
	char t[] = "/tmp/pi-rsk-XXXXXX", p[512];
	assert_non_null(mkdtemp(t));
	int root = open(t, O_RDONLY | O_DIRECTORY);
	assert_int_equal(mkdirat(root, "srv", 0755), 0);
	assert_int_equal(mkdirat(root, "run", 0755), 0);
	/* The socket's directory reached through an absolute link, in-root. */
	assert_int_equal(symlinkat("/srv", root, "run/bird"), 0);
	snprintf(p, sizeof(p), "%s/srv/bird.ctl", t);
	int l = listen_unix(p);
	int c = pi_rootfd_connect_unix(root, "/run/bird/bird.ctl");
	assert_true(c >= 0);
	int a = accept(l, NULL, NULL);
	assert_true(a >= 0);
	assert_int_equal(write(c, "hi", 2), 2);
	char buf[4];
	assert_int_equal(read(a, buf, sizeof(buf)), 2);
	close(a);
	close(c);
	/* The socket itself a link to a host socket outside the root: refused,
	 * and the host socket sees no connection. */
	char host[] = "/tmp/pi-hsk-XXXXXX";
	assert_non_null(mkdtemp(host));
	snprintf(p, sizeof(p), "%s/docker.sock", host);
	int hl = listen_unix(p);
	assert_int_equal(mkdirat(root, "run/b2", 0755), 0);
	assert_int_equal(symlinkat(p, root, "run/b2/bird.ctl"), 0);
	assert_int_equal(pi_rootfd_connect_unix(root, "/run/b2/bird.ctl"), -ELOOP);
	assert_int_equal(accept(hl, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(pi_rootfd_connect_unix(root, "/srv/"), -EINVAL);
	assert_int_equal(pi_rootfd_connect_unix(root, "/srv"), -ENOTSOCK);
	close(hl);
	close(l);
	close(root);
	rm_rf(host);
	rm_rf(t);
}

static void vadd(struct pi_diag *d, const char *fmt, ...) PI_PRINTF(2, 3);
static void vadd(struct pi_diag *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pi_diag_vadd(d, (struct pi_pos){ "v.yml", 1, 1 }, "hint\x1b[2J", fmt, ap);
	va_end(ap);
}

/* Messages are stored escaped and capped; warnings do not count as errors. */
static void test_diag_escape(void **state)
{
	(void)state;
	struct pi_diag d;
	pi_diag_init(&d);
	vadd(&d, "bad '%s' and %d", "\x1b]0;t\x07" "caf\xc3\xa9\xc2\x9b\xff", 7);
	const struct pi_diag_entry *e = pi_vec_at(&d.entries, 0);
	/* ESC, BEL, the C1 CSI U+009B and a stray byte escaped; é kept */
	assert_string_equal(e->msg, "bad '\\x1b]0;t\\x07caf\xc3\xa9\\xc2\\x9b\\xff' and 7");
	assert_string_equal(e->hint, "hint\\x1b[2J");
	char big[2000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	pi_diag_warn(&d, (struct pi_pos){ 0 }, NULL, "%s", big);
	e = pi_vec_at(&d.entries, 1);
	assert_int_equal(strlen(e->msg), PI_DIAG_MSG_MAX + 3);
	assert_int_equal(e->severity, PI_DIAG_WARNING);
	assert_int_equal(pi_diag_count(&d), 2);
	assert_int_equal(pi_diag_errors(&d), 1);
	char buf[PI_DIAG_VALUE_BUF];
	assert_string_equal(pi_diag_value(buf, big + 1935), big + 1935); /* 64 bytes fit */
	const char *v = pi_diag_value(buf, big);
	assert_int_equal(strlen(v), PI_DIAG_VALUE_MAX + 3);
	assert_string_equal(v + PI_DIAG_VALUE_MAX, "...");
	pi_diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena), cmocka_unit_test(test_buf), cmocka_unit_test(test_vec),
		cmocka_unit_test(test_rng),   cmocka_unit_test(test_pool), cmocka_unit_test(test_files), cmocka_unit_test(test_diag_escape), cmocka_unit_test(test_openat2_fallback),
		cmocka_unit_test(test_diag_move),
		cmocka_unit_test(test_dir_open_links),
		cmocka_unit_test(test_dir_open_owner),
		cmocka_unit_test(test_file_at),
		cmocka_unit_test(test_write_file_safe),
		cmocka_unit_test(test_remove_tree),
		cmocka_unit_test(test_remove_tree_mount),
		cmocka_unit_test(test_root_read),
		cmocka_unit_test(test_root_connect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
