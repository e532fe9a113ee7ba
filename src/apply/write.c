/*
 * write: a lab's files on disk (render -o DIR, and setup's state directory)
 * and their removal at teardown. The tool runs as root, so nothing outside
 * what it made is ever written or removed (docs/security.md):
 *  - directories are opened with pi_dir_open (no planted symlink followed,
 *    the output directory owned by the user and writable by no one else);
 *  - what the tool made carries a marker, .pocketinternet, holding
 *    "pocketinternet <lab>", in the output directory and in each node's;
 *  - an existing output directory is reused only when marked, and only its
 *    marked node directories, plan.json, ops.json (what operations changed), externals.json (attached
 *    speakers), web/ (serve's accounts and captures) and the tool's temporaries may be
 *    in it: anything else is named and the write refused before any change;
 *  - files go in with O_EXCL (fresh directories) or through a temporary and
 *    renameat (existing ones), relative to directory fds.
 * Rendering stays pure (src/render); this is where its text meets the disk.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "apply_int.h"
#include "pocketinternet/render.h"

#define MARKER_TAG "pocketinternet "
#define SHOW_IN_WAY 8

static const char *const hint_link =
	"pocketinternet never writes through a symbolic link; remove the link (it was not made by pocketinternet)";

struct lab_writer {
	const struct pi_plan *plan;
	const char *dir;
	int dfd;
	bool fresh;           /* dir was just created: empty and ours */
	char marker[300];     /* "pocketinternet <lab>\n" */
	uint32_t *slots;      /* hash set of node indexes + 1, by name */
	size_t mask;
	pthread_mutex_t lock;
	int err;
	char failed[4400];
};

/* A node name is one path component the tool may create. */
static bool node_name_ok(const char *s)
{
	return *s && *s != '.' && !strchr(s, '/') && strlen(s) < 256;
}

static void index_nodes(struct lab_writer *w)
{
	size_t cap = 16;
	while (cap < 2 * (size_t)w->plan->n_nodes)
		cap <<= 1;
	w->slots = pi_xcalloc(cap, sizeof(*w->slots));
	w->mask = cap - 1;
	for (uint32_t i = 0; i < w->plan->n_nodes; i++) {
		const char *n = w->plan->nodes[i].name;
		size_t h = (size_t)pi_hash64(n, strlen(n), 0) & w->mask;
		while (w->slots[h])
			h = (h + 1) & w->mask;
		w->slots[h] = i + 1;
	}
}

static bool is_node(const struct lab_writer *w, const char *name)
{
	for (size_t h = (size_t)pi_hash64(name, strlen(name), 0) & w->mask; w->slots[h]; h = (h + 1) & w->mask)
		if (strcmp(w->plan->nodes[w->slots[h] - 1].name, name) == 0)
			return true;
	return false;
}

/* 1 when the directory fd carries the tool's marker (for lab, or any lab
 * when lab is NULL), 0 when not, -errno on a read error. */
static int marked(int fd, const char *lab)
{
	char *text = NULL;
	size_t len = 0;
	int rc = pi_file_read_at(fd, PI_MARKER, &text, &len, 512);
	if (rc == -ENOENT || rc == -ELOOP || rc == -EINVAL)
		return 0;
	if (rc)
		return rc;
	bool ok = strncmp(text, MARKER_TAG, strlen(MARKER_TAG)) == 0;
	if (ok && lab) {
		const char *name = text + strlen(MARKER_TAG);
		size_t n = strlen(lab);
		ok = strncmp(name, lab, n) == 0 && (name[n] == '\n' || name[n] == '\0') && strlen(name) <= n + 1;
	}
	free(text);
	return ok;
}

/* What a reused output directory holds: everything is either the tool's or
 * in the way. Stale marked node directories and old temporaries go to
 * remove (names, NUL-separated). */
struct scan {
	struct pi_buf remove;
	struct pi_buf in_way; /* ", "-separated, first SHOW_IN_WAY */
	unsigned n_in_way;
};

static void in_way(struct scan *s, const char *name)
{
	if (s->n_in_way++ < SHOW_IN_WAY)
		pi_buf_printf(&s->in_way, "%s%s", s->in_way.len ? ", " : "", name);
}

/* One entry of a marked output directory. */
static void scan_entry(struct lab_writer *w, struct scan *s, const struct dirent *e)
{
	const char *name = e->d_name;
	/* The lab's records: pins, operations, attached speakers (attach.c). */
	static const char *const records[] = { PI_MARKER, "plan.json", "ops.json", "externals.json" };
	for (size_t i = 0; i < PI_ARRAY_LEN(records); i++)
		if (strcmp(name, records[i]) == 0)
			return;
	if (strncmp(name, PI_TMP_PREFIX, strlen(PI_TMP_PREFIX)) == 0) {
		pi_buf_write(&s->remove, name, strlen(name) + 1);
		return;
	}
	struct stat st;
	if (e->d_type != DT_DIR && (fstatat(w->dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))) {
		in_way(s, name);
		return;
	}
	/* serve's accounts and captures (src/web), a real directory of ours. */
	if (strcmp(name, "web") == 0 && fstatat(w->dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == geteuid())
		return;
	if (is_node(w, name)) {
		/* Rewritten in place later (files by rename): only need to be ours.
		 * The directory is not writable by others, so nobody swaps it. */
		char m[600];
		snprintf(m, sizeof(m), "%s/" PI_MARKER, name);
		if (fstatat(w->dfd, m, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			in_way(s, name);
		return;
	}
	int fd = pi_dir_open_below(w->dfd, name);
	if (fd < 0 || marked(fd, NULL) != 1)
		in_way(s, name);
	else
		pi_buf_write(&s->remove, name, strlen(name) + 1);
	if (fd >= 0)
		close(fd);
}

static int scan_dir(struct lab_writer *w, struct scan *s, bool *empty)
{
	int mk = marked(w->dfd, NULL);
	if (mk < 0)
		return mk;
	int dfd = dup(w->dfd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return -errno;
	}
	*empty = true;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		*empty = false;
		if (mk)
			scan_entry(w, s, e);
		else
			in_way(s, e->d_name);
	}
	closedir(d);
	return 0;
}

/* Refuses a reused directory holding anything not the tool's; removes
 * stale marked node directories and old temporaries. */
static int prepare_dir(struct lab_writer *w, struct pi_diag *diag)
{
	struct scan s;
	pi_buf_init(&s.remove);
	pi_buf_init(&s.in_way);
	s.n_in_way = 0;
	bool empty = true;
	int rc = scan_dir(w, &s, &empty);
	if (rc)
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "cannot read %s: %s", w->dir, strerror(-rc));
	else if (s.n_in_way) {
		rc = -ENOTEMPTY;
		pi_diag_add(diag, (struct pi_pos){ 0 },
			    "move them away or choose a new directory: pocketinternet replaces only what it made "
			    "(directories holding a " PI_MARKER " marker)",
			    "refusing to write into %s: it holds %u entr%s pocketinternet did not make: %s%s", w->dir,
			    s.n_in_way, s.n_in_way == 1 ? "y" : "ies", pi_buf_str(&s.in_way),
			    s.n_in_way > SHOW_IN_WAY ? ", ..." : "");
	}
	for (size_t off = 0; !rc && off < s.remove.len; off += strlen(s.remove.data + off) + 1) {
		const char *name = s.remove.data + off;
		if ((rc = pi_remove_tree_at(w->dfd, name)) == -ENOENT)
			rc = 0;
		if (rc)
			pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "cannot remove the stale %s/%s: %s", w->dir, name,
				    strerror(-rc));
	}
	/* An empty directory the user made is as good as a fresh one. */
	w->fresh = w->fresh || (!rc && empty);
	pi_buf_free(&s.remove);
	pi_buf_free(&s.in_way);
	return rc;
}

/* The first failure, with the path, for the diagnostic after the pool. */
static int node_fail(struct lab_writer *w, int rc, const char *node, const char *file)
{
	pthread_mutex_lock(&w->lock);
	if (!w->err) {
		w->err = rc;
		snprintf(w->failed, sizeof(w->failed), "%s/%s%s%s", w->dir, node, file ? "/" : "", file ? file : "");
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

/* Opens (making it when missing) a directory inside a node's directory.
 * In a fresh node directory it cannot exist yet, so it is made with no
 * check; elsewhere an existing one must be a real directory. */
static int open_sub(int nfd, const char *sub, bool fresh)
{
	if (mkdirat(nfd, sub, 0755) < 0 && (fresh || errno != EEXIST))
		return -errno;
	return pi_dir_open_below(nfd, sub);
}

/* Writes one node's set into the open directory nfd. Files sit at most one
 * directory deep (zones/, www/), so one cached subdirectory fd serves. */
static int write_set(struct lab_writer *w, const char *node, int nfd, bool fresh, const struct pi_render_set *set)
{
	char sub[256] = "";
	int sfd = -1, rc = 0;
	for (size_t f = 0; f < set->files.len && !rc; f++) {
		const struct pi_render_file *file = pi_vec_at(&set->files, f);
		const char *slash = strchr(file->path, '/');
		int fd = nfd;
		if (slash) {
			size_t n = (size_t)(slash - file->path);
			if (n >= sizeof(sub) || strchr(slash + 1, '/'))
				return node_fail(w, -EINVAL, node, file->path);
			if (strncmp(sub, file->path, n) != 0 || sub[n] != '\0') {
				if (sfd >= 0)
					close(sfd);
				snprintf(sub, sizeof(sub), "%.*s", (int)n, file->path);
				if ((sfd = open_sub(nfd, sub, fresh)) < 0) {
					rc = node_fail(w, sfd, node, sub);
					sub[0] = '\0';
					break;
				}
			}
			fd = sfd;
		}
		const char *name = slash ? slash + 1 : file->path;
		/* An external speaker's config/ is the tester's once written: only missing files. */
		bool once = slash && strcmp(sub, PI_SPEAKER_SUBDIR) == 0;
		rc = fresh ? pi_file_create_at(fd, name, file->data, file->len, file->mode)
			   : once ? pi_file_create_at(fd, name, file->data, file->len, file->mode)
				  : pi_file_write_at(fd, name, file->data, file->len, file->mode);
		if (once && rc == -EEXIST)
			rc = 0;
		if (rc)
			node_fail(w, rc, node, file->path);
	}
	if (sfd >= 0)
		close(sfd);
	return rc;
}

static int write_node(void *ctx, size_t i)
{
	struct lab_writer *w = ctx;
	const char *node = w->plan->nodes[i].name;
	if (!node_name_ok(node))
		return node_fail(w, -EINVAL, node, NULL);
	bool fresh = mkdirat(w->dfd, node, 0755) == 0;
	if (!fresh && (w->fresh || errno != EEXIST))
		return node_fail(w, -errno, node, NULL);
	int nfd = pi_dir_open_below(w->dfd, node);
	if (nfd < 0)
		return node_fail(w, nfd, node, NULL);
	/* Made here: the mode is not the umask's to decide. Reused: it was
	 * checked to be marked; it must also be ours alone. */
	char why[200];
	int rc = fresh ? (fchmod(nfd, 0755) < 0 ? -errno : 0) : pi_dir_check_owned(nfd, why, sizeof(why));
	if (!rc && fresh)
		rc = pi_file_create_at(nfd, PI_MARKER, w->marker, strlen(w->marker), 0644);
	if (rc) {
		close(nfd);
		return node_fail(w, rc, node, NULL);
	}
	struct pi_render_set set;
	pi_render_set_init(&set);
	pi_render_node(w->plan, (uint32_t)i, &set);
	if (!fresh)
		pi_apply_keep_students_files(w->plan, (uint32_t)i, nfd, &set);
	rc = write_set(w, node, nfd, fresh, &set);
	pi_render_set_free(&set);
	close(nfd);
	return rc;
}

static const char *write_hint(int rc)
{
	switch (rc) {
	case -ELOOP:
		return hint_link;
	case -EEXIST:
	case -ENOTDIR:
	case -EISDIR:
		return "something not made by pocketinternet is in the way: move it, or choose a new directory";
	case -EPERM:
	case -EACCES:
		return "the directory must belong to the user running pocketinternet and be writable by no one else";
	case -ENOSPC:
	case -EDQUOT:
		return "free some space, or write elsewhere";
	default:
		return NULL;
	}
}

/* The top-level files: the marker first (so an interrupted write is still
 * recognised as the tool's), plan.json last. */
static int write_top(struct lab_writer *w, const char *name, const char *data, size_t len, struct pi_diag *diag)
{
	int rc = w->fresh ? pi_file_create_at(w->dfd, name, data, len, 0644)
			  : pi_file_write_at(w->dfd, name, data, len, 0644);
	if (rc)
		pi_diag_add(diag, (struct pi_pos){ 0 }, write_hint(rc), "cannot write %s/%s: %s", w->dir, name,
			    strerror(-rc));
	return rc;
}

static int write_nodes(struct lab_writer *w, struct pi_diag *diag)
{
	/* Nodes are independent: render and write them on every core. */
	pthread_mutex_init(&w->lock, NULL);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	pi_pool_run(w->plan->n_nodes, cores > 0 ? (unsigned)cores : 1, write_node, NULL, w, NULL);
	pthread_mutex_destroy(&w->lock);
	if (w->err)
		pi_diag_add(diag, (struct pi_pos){ 0 }, write_hint(w->err), "cannot write %s: %s", w->failed,
			    strerror(-w->err));
	return w->err;
}

int pi_apply_write_lab(const struct pi_plan *plan, const char *dir, struct pi_diag *diag)
{
	struct lab_writer w = { .plan = plan, .dir = dir };
	if (!node_name_ok(plan->lab_name)) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "bad lab name '%s'", plan->lab_name);
		return -EINVAL;
	}
	snprintf(w.marker, sizeof(w.marker), MARKER_TAG "%s\n", plan->lab_name);
	w.dfd = pi_dir_open(dir, PI_DIR_CREATE | PI_DIR_OWNED, &w.fresh, diag);
	if (w.dfd < 0)
		return w.dfd;
	index_nodes(&w);
	struct pi_buf json;
	pi_buf_init(&json);
	int rc = w.fresh ? 0 : prepare_dir(&w, diag);
	if (!rc)
		rc = write_top(&w, PI_MARKER, w.marker, strlen(w.marker), diag);
	if (!rc)
		rc = write_nodes(&w, diag);
	if (!rc && (rc = pi_plan_write_json(plan, &json)))
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "cannot serialise the plan: %s", strerror(-rc));
	if (!rc)
		rc = write_top(&w, "plan.json", pi_buf_str(&json), json.len, diag);
	pi_buf_free(&json);
	free(w.slots);
	close(w.dfd);
	return rc;
}

/* ---- removing state directories ---- */

/*
 * Removes root/name when it is the tool's for that lab: a real directory
 * (no symlink, no other mount) owned by the effective user and holding the
 * marker "pocketinternet <name>". Its content goes through the fd that was
 * checked, so a swap after the check removes at most an empty directory.
 * 1 removed, 0 not there or not ours, -errno.
 */
static int remove_state_dir(int rootfd, const char *root, const char *name, bool asked, struct pi_diag *diag)
{
	int fd = pi_dir_open_below(rootfd, name);
	if (fd == -ENOENT)
		return 0;
	char why[200] = "it is not a directory";
	int mk = 0;
	if (fd == -ELOOP)
		snprintf(why, sizeof(why), "it is a symbolic link");
	else if (fd == -EXDEV)
		snprintf(why, sizeof(why), "another file system is mounted there");
	else if (fd < 0 && fd != -ENOTDIR)
		snprintf(why, sizeof(why), "%s", strerror(-fd));
	else if (fd >= 0 && pi_dir_check_owned(fd, why, sizeof(why)) == 0 && (mk = marked(fd, name)) == 0)
		snprintf(why, sizeof(why), "it holds no " PI_MARKER " marker for lab %s", name);
	int rc = mk == 1 ? pi_dir_clear(fd) : 0;
	if (fd >= 0)
		close(fd);
	if (mk == 1 && !rc && unlinkat(rootfd, name, AT_REMOVEDIR) < 0)
		rc = -errno;
	if (rc) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "cannot remove %s/%s: %s", root, name, strerror(-rc));
		return rc;
	}
	if (mk == 1)
		return 1;
	if (asked) {
		pi_diag_add(diag, (struct pi_pos){ 0 },
			    "pocketinternet removes only state directories it made; if this one is yours to "
			    "delete, remove it by hand",
			    "left %s/%s alone: %s", root, name, why);
		return -EPERM;
	}
	return 0;
}

static int remove_all_labs(int rootfd, const char *root, unsigned *removed, struct pi_diag *diag)
{
	int dfd = dup(rootfd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return -errno;
	}
	/* Names first: removing while reading would skip entries. */
	struct pi_buf names;
	pi_buf_init(&names);
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			pi_buf_write(&names, e->d_name, strlen(e->d_name) + 1);
	closedir(d);
	int rc = 0;
	for (size_t off = 0; off < names.len; off += strlen(names.data + off) + 1) {
		int r = remove_state_dir(rootfd, root, names.data + off, false, diag);
		if (r > 0)
			(*removed)++;
		else if (r < 0 && !rc)
			rc = r;
	}
	pi_buf_free(&names);
	return rc;
}

int pi_apply_state_remove(const char *state_root, const char *lab, unsigned *removed, struct pi_diag *diag)
{
	*removed = 0;
	if (lab && !node_name_ok(lab)) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "bad lab name '%s'", lab);
		return -EINVAL;
	}
	struct pi_diag local;
	pi_diag_init(&local);
	/* Setup followed a root-owned link to the state root; so does this. */
	int rootfd = pi_dir_open(state_root, PI_DIR_ROOT_LINK, NULL, &local);
	if (rootfd == -ENOENT) /* nothing was ever set up here */
		pi_diag_free(&local);
	else
		pi_diag_move(diag, &local);
	if (rootfd < 0)
		return rootfd == -ENOENT ? 0 : rootfd;
	int rc;
	if (lab) {
		rc = remove_state_dir(rootfd, state_root, lab, true, diag);
		if (rc > 0)
			*removed = 1;
	} else {
		rc = remove_all_labs(rootfd, state_root, removed, diag);
	}
	close(rootfd);
	return rc < 0 ? rc : 0;
}
