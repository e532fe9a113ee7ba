/*
 * pi_apply_write_lab and pi_apply_state_remove against what a hostile user
 * of the same machine could plant: symlinks as the output directory, as a
 * component, as a node directory, as plan.json, as a file in a node; foreign
 * or group-writable directories; another lab's output; decoy state roots.
 * Then the same through the built binary (render -o, plan -o).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include "common.h"
#include "pocketinternet/apply.h"

static const char *bin;

struct fx {
	char t[64];
	struct pi_lab *lab;
	struct pi_plan *plan; /* labs/tiny.yml */
	struct pi_diag d;
	struct pi_arena paths;
};

static int setup(void **state)
{
	struct fx *f = pi_xcalloc(1, sizeof(*f));
	snprintf(f->t, sizeof(f->t), "/tmp/pi-write-XXXXXX");
	assert_non_null(mkdtemp(f->t));
	f->plan = load_lab_plan("tiny", &f->lab);
	pi_diag_init(&f->d);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->t);
	assert_int_equal(system(cmd), 0);
	pi_plan_free(f->plan);
	pi_lab_free(f->lab);
	pi_diag_free(&f->d);
	pi_arena_free(&f->paths);
	free(f);
	return 0;
}

/* f->t/rel, valid until teardown. */
static const char *P(struct fx *f, const char *rel)
{
	return pi_arena_printf(&f->paths, "%s/%s", f->t, rel);
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

/* pi_apply_write_lab, printing its diagnostics when rc is not the one expected. */
static int write_lab(struct fx *f, const struct pi_plan *plan, const char *dir, int want)
{
	size_t before = pi_diag_count(&f->d);
	int rc = pi_apply_write_lab(plan, dir, &f->d);
	if (rc != want) {
		for (size_t i = before; i < f->d.entries.len; i++)
			fprintf(stderr, "diag: %s\n", ((struct pi_diag_entry *)pi_vec_at(&f->d.entries, i))->msg);
	}
	return rc;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static char *slurp(const char *path)
{
	char *s = NULL;
	assert_int_equal(pi_read_file(path, &s, NULL), 0);
	return s;
}

static void assert_file(const char *path, const char *want)
{
	char *s = slurp(path);
	assert_string_equal(s, want);
	free(s);
}

static unsigned count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	unsigned n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."));
	closedir(d);
	return n;
}

/* A victim the attacks aim at: a directory with one file. */
static void make_victim(struct fx *f)
{
	assert_int_equal(mkdir(P(f, "victim"), 0755), 0);
	assert_int_equal(pi_write_file(P(f, "victim/file"), "keep\n", 5, 0644), 0);
}

static void assert_victim_intact(struct fx *f)
{
	assert_int_equal(count_entries(P(f, "victim")), 1);
	assert_file(P(f, "victim/file"), "keep\n");
}

static void test_write_lab(void **state)
{
	struct fx *f = *state;
	const char *out = P(f, "out");
	assert_int_equal(write_lab(f, f->plan, out, 0), 0);
	assert_file(P(f, "out/" PI_MARKER), "pocketinternet tiny\n");
	struct stat st;
	assert_int_equal(stat(P(f, "out/plan.json"), &st), 0);
	assert_true(st.st_size > 100);
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	for (uint32_t n = 0; n < f->plan->n_nodes; n++) {
		char rel[600];
		snprintf(rel, sizeof(rel), "out/%s/start.sh", f->plan->nodes[n].name);
		assert_int_equal(stat(P(f, rel), &st), 0);
		assert_int_equal(st.st_mode & 0777, 0755);
		snprintf(rel, sizeof(rel), "out/%s/resolv.conf", f->plan->nodes[n].name);
		assert_int_equal(stat(P(f, rel), &st), 0);
		assert_int_equal(st.st_mode & 0777, 0644);
		snprintf(rel, sizeof(rel), "out/%s/" PI_MARKER, f->plan->nodes[n].name);
		assert_file(P(f, rel), "pocketinternet tiny\n");
	}
	/* Again over itself: the same files, through temporaries that do not stay. */
	char *before = slurp(P(f, "out/transit1-border1/bird.conf"));
	assert_int_equal(write_lab(f, f->plan, out, 0), 0);
	assert_file(P(f, "out/transit1-border1/bird.conf"), before);
	free(before);
	assert_int_equal(count_entries(out), f->plan->n_nodes + 2);
	assert_int_equal(pi_diag_count(&f->d), 0);
}

static void test_symlink_output_dir(void **state)
{
	struct fx *f = *state;
	make_victim(f);
	/* The output directory itself a link. */
	assert_int_equal(symlink(P(f, "victim"), P(f, "out")), 0);
	assert_int_equal(pi_apply_write_lab(f->plan, P(f, "out"), &f->d), -ELOOP);
	assert_true(diag_has(&f->d, "is a symbolic link"));
	/* A link as a component (owned by someone else when we are root). */
	assert_int_equal(symlink(P(f, "victim"), P(f, "comp")), 0);
	if (geteuid() == 0)
		assert_int_equal(lchown(P(f, "comp"), 65534, 65534), 0);
	assert_int_equal(pi_apply_write_lab(f->plan, P(f, "comp/out"), &f->d), -ELOOP);
	assert_true(diag_has(&f->d, "comp is a symbolic link"));
	assert_victim_intact(f);
}

static void test_refused_dirs(void **state)
{
	struct fx *f = *state;
	assert_int_equal(mkdir(P(f, "open"), 0755), 0);
	assert_int_equal(chmod(P(f, "open"), 0777), 0);
	assert_int_equal(pi_apply_write_lab(f->plan, P(f, "open"), &f->d), -EPERM);
	assert_true(diag_has(&f->d, "writable by group and others"));
	assert_int_equal(count_entries(P(f, "open")), 0);
	/* Not the user's: as root a directory given away; otherwise "/". */
	const char *theirs = "/";
	if (geteuid() == 0) {
		theirs = P(f, "theirs");
		assert_int_equal(mkdir(theirs, 0755), 0);
		assert_int_equal(chown(theirs, 65534, 65534), 0);
	}
	assert_int_equal(write_lab(f, f->plan, theirs, -EPERM), -EPERM);
	assert_true(diag_has(&f->d, "not by uid"));
	if (geteuid() == 0)
		assert_int_equal(count_entries(theirs), 0);
	/* A directory of the user's own that holds other things. */
	assert_int_equal(mkdir(P(f, "home"), 0755), 0);
	assert_int_equal(pi_write_file(P(f, "home/notes.txt"), "mine", 4, 0644), 0);
	assert_int_equal(pi_apply_write_lab(f->plan, P(f, "home"), &f->d), -ENOTEMPTY);
	assert_true(diag_has(&f->d, "notes.txt"));
	assert_int_equal(count_entries(P(f, "home")), 1);
}

/* Links planted inside a previous output: a node directory, a file in a
 * node, a node's subdirectory, plan.json. */
static void test_symlinks_inside(void **state)
{
	struct fx *f = *state;
	make_victim(f);
	const char *out = P(f, "out");
	assert_int_equal(write_lab(f, f->plan, out, 0), 0);
	/* plan.json and a file in a node: replaced, never written through. */
	assert_int_equal(unlink(P(f, "out/plan.json")), 0);
	assert_int_equal(symlink(P(f, "victim/file"), P(f, "out/plan.json")), 0);
	assert_int_equal(unlink(P(f, "out/transit1-border1/start.sh")), 0);
	assert_int_equal(symlink(P(f, "victim/file"), P(f, "out/transit1-border1/start.sh")), 0);
	assert_int_equal(write_lab(f, f->plan, out, 0), 0);
	assert_victim_intact(f);
	struct stat st;
	assert_int_equal(lstat(P(f, "out/plan.json"), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(lstat(P(f, "out/transit1-border1/start.sh"), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	/* A node's zones/ as a link: refused, nothing lands in the victim. */
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", P(f, "out/transit1-auth1/zones"));
	assert_int_equal(system(cmd), 0);
	assert_int_equal(symlink(P(f, "victim"), P(f, "out/transit1-auth1/zones")), 0);
	assert_int_equal(write_lab(f, f->plan, out, -ELOOP), -ELOOP);
	assert_true(diag_has(&f->d, "transit1-auth1/zones"));
	assert_victim_intact(f);
	/* A node directory as a link: in the way, named, victim untouched. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", P(f, "out/transit1-core1"));
	assert_int_equal(system(cmd), 0);
	assert_int_equal(symlink(P(f, "victim"), P(f, "out/transit1-core1")), 0);
	assert_int_equal(write_lab(f, f->plan, out, -ENOTEMPTY), -ENOTEMPTY);
	assert_true(diag_has(&f->d, "transit1-core1"));
	assert_victim_intact(f);
	assert_int_equal(lstat(P(f, "out/transit1-core1"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
}

static void test_other_lab(void **state)
{
	struct fx *f = *state;
	struct pi_lab *lab2;
	struct pi_plan *small = load_lab_plan("small", &lab2);
	const char *out = P(f, "out");
	assert_int_equal(write_lab(f, small, out, 0), 0);
	assert_true(exists(P(f, "out/content2-web1/start.sh")));
	/* tiny over small's output: small's extra nodes are marked, so they go. */
	assert_int_equal(write_lab(f, f->plan, out, 0), 0);
	assert_false(exists(P(f, "out/content2-web1")));
	assert_true(exists(P(f, "out/content1-web1/start.sh")));
	assert_file(P(f, "out/" PI_MARKER), "pocketinternet tiny\n");
	assert_int_equal(count_entries(out), f->plan->n_nodes + 2);
	/* Unmarked entries are in the way: named, kept, nothing changes. */
	assert_int_equal(mkdir(P(f, "out/mine"), 0755), 0);
	assert_int_equal(pi_write_file(P(f, "out/mine/data"), "d", 1, 0644), 0);
	assert_int_equal(pi_write_file(P(f, "out/notes.txt"), "n", 1, 0644), 0);
	assert_int_equal(mkdir(P(f, "out/stale-marked"), 0755), 0);
	assert_int_equal(pi_write_file(P(f, "out/stale-marked/" PI_MARKER), "pocketinternet old\n", 19, 0644), 0);
	assert_int_equal(write_lab(f, small, out, -ENOTEMPTY), -ENOTEMPTY);
	assert_true(diag_has(&f->d, "mine"));
	assert_true(diag_has(&f->d, "notes.txt"));
	assert_true(diag_has(&f->d, "2 entries"));
	assert_true(exists(P(f, "out/mine/data")));
	assert_true(exists(P(f, "out/stale-marked")));
	assert_false(exists(P(f, "out/content2-web1")));
	assert_file(P(f, "out/" PI_MARKER), "pocketinternet tiny\n");
	/* A node directory without its marker is not the tool's either. */
	assert_int_equal(unlink(P(f, "out/mine/data")), 0);
	assert_int_equal(rmdir(P(f, "out/mine")), 0);
	assert_int_equal(unlink(P(f, "out/notes.txt")), 0);
	assert_int_equal(unlink(P(f, "out/transit1-core1/" PI_MARKER)), 0);
	assert_int_equal(write_lab(f, f->plan, out, -ENOTEMPTY), -ENOTEMPTY);
	assert_true(diag_has(&f->d, "transit1-core1"));
	/* An unmarked output directory with anything in it is refused whole. */
	assert_int_equal(unlink(P(f, "out/" PI_MARKER)), 0);
	assert_int_equal(write_lab(f, f->plan, out, -ENOTEMPTY), -ENOTEMPTY);
	assert_true(diag_has(&f->d, "did not make"));
	assert_true(exists(P(f, "out/stale-marked")));
	pi_plan_free(small);
	pi_lab_free(lab2);
}

/* ---- teardown's state directories, against decoys ---- */

static void mark(struct fx *f, const char *rel, const char *lab)
{
	char path[4300], text[300];
	snprintf(path, sizeof(path), "%s/" PI_MARKER, P(f, rel));
	snprintf(text, sizeof(text), "pocketinternet %s\n", lab);
	assert_int_equal(pi_write_file(path, text, strlen(text), 0644), 0);
}

static void test_state_remove_decoys(void **state)
{
	struct fx *f = *state;
	/* f->t/varlib stands in for POCKETINTERNET_STATE=/var/lib. */
	make_victim(f);
	assert_int_equal(mkdir(P(f, "varlib"), 0755), 0);
	assert_int_equal(pi_write_file(P(f, "varlib/unmarked/data"), "x", 1, 0644), 0);
	assert_int_equal(mkdir(P(f, "varlib/other"), 0755), 0);
	mark(f, "varlib/other", "zzz");
	mark(f, "victim", "lab2"); /* a decoy marked like lab2, reached by a link */
	assert_int_equal(symlink(P(f, "victim"), P(f, "varlib/lab2")), 0);
	/* A real lab made by setup, with links to outside inside it. */
	assert_int_equal(pi_apply_write_lab(f->plan, P(f, "varlib/tiny"), &f->d), 0);
	assert_int_equal(symlink(P(f, "victim"), P(f, "varlib/tiny/transit1-core1/esc")), 0);
	assert_int_equal(symlink(P(f, "victim/file"), P(f, "varlib/tiny/escfile")), 0);
	unsigned removed = 9;

	assert_int_equal(pi_apply_state_remove(P(f, "varlib"), "unmarked", &removed, &f->d), -EPERM);
	assert_true(diag_has(&f->d, "left"));
	assert_int_equal(pi_apply_state_remove(P(f, "varlib"), "other", &removed, &f->d), -EPERM);
	assert_int_equal(pi_apply_state_remove(P(f, "varlib"), "lab2", &removed, &f->d), -EPERM);
	assert_true(diag_has(&f->d, "symbolic link"));
	assert_int_equal(removed, 0);
	assert_int_equal(pi_apply_state_remove(P(f, "varlib"), "absent", &removed, &f->d), 0);
	assert_int_equal(pi_apply_state_remove(P(f, "varlib"), "../victim", &removed, &f->d), -EINVAL);
	assert_int_equal(pi_apply_state_remove(P(f, "varlib"), "tiny", &removed, &f->d), 0);
	assert_int_equal(removed, 1);
	assert_false(exists(P(f, "varlib/tiny")));
	/* --all: only directories marked with their own name go. */
	assert_int_equal(pi_apply_write_lab(f->plan, P(f, "varlib/tiny"), &f->d), 0);
	assert_int_equal(pi_apply_state_remove(P(f, "varlib"), NULL, &removed, &f->d), 0);
	assert_int_equal(removed, 1);
	assert_false(exists(P(f, "varlib/tiny")));
	assert_true(exists(P(f, "varlib/unmarked/data")));
	assert_true(exists(P(f, "varlib/other/" PI_MARKER)));
	assert_true(exists(P(f, "varlib/lab2")));
	assert_true(exists(P(f, "victim/" PI_MARKER)));
	assert_file(P(f, "victim/file"), "keep\n");
	/* A state root that does not exist: nothing to do. */
	assert_int_equal(pi_apply_state_remove(P(f, "nothing"), NULL, &removed, &f->d), 0);
	assert_int_equal(removed, 0);
}

/* ---- the binary ---- */

static int run_bin(const char *const *argv)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		const char *args[16] = { bin };
		for (int i = 0; argv[i]; i++)
			args[i + 1] = argv[i];
		execv(bin, (char **)args);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli(void **state)
{
	struct fx *f = *state;
	make_victim(f);
	char lab[4096];
	snprintf(lab, sizeof(lab), "%s/labs/tiny.yml", getenv("PI_SOURCE_DIR"));
	assert_int_equal(symlink(P(f, "victim"), P(f, "out")), 0);
	assert_int_equal(run_bin((const char *[]){ "-q", "-c", lab, "render", "-o", P(f, "out"), NULL }), 1);
	assert_int_equal(symlink(P(f, "victim/file"), P(f, "plan.txt")), 0);
	assert_int_equal(run_bin((const char *[]){ "-q", "-c", lab, "plan", "-o", P(f, "plan.txt"), NULL }), 1);
	assert_victim_intact(f);
	assert_int_equal(run_bin((const char *[]){ "-q", "-c", lab, "render", "-o", P(f, "new"), NULL }), 0);
	assert_true(exists(P(f, "new/plan.json")));
	assert_int_equal(run_bin((const char *[]){ "-q", "-c", lab, "plan", "-o", P(f, "p.txt"), NULL }), 0);
	assert_true(exists(P(f, "p.txt")));
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test-apply-write /path/to/pocketinternet\n");
		return 1;
	}
	bin = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_lab, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_output_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_lab, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_remove_decoys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
