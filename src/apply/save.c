/*
 * apply/save: keeping a team's work (docs/workshop.md, "Saving and
 * restoring"). The work is the router daemon's config of the team's pods'
 * routers, the file students edit in the node and reload with `birdc
 * configure`.
 *
 * Reading: out of the running node, through /proc/<pid>/root resolved in
 * the node's root (pi_root_read_file), so a symlink a student plants in the
 * node cannot make the tool read a host file; a node that is not running
 * is read from its config directory on the host the same way (that
 * directory is what the node sees at PI_NODE_CONF_DIR). Writing: into the
 * node's config directory on the host with pi_write_file_safe (a planted
 * symlink is replaced, never followed), then the daemon is told to
 * reconfigure over its control socket, as incidents do.
 *
 * Saves live in <state root>/saves/<lab>/, beside the labs' state
 * directories rather than in them: teardown removes a lab's state, and a
 * restore after teardown and setup is the point. That directory carries no
 * lab marker, so teardown of every lab leaves it alone too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "apply_int.h"
#include "pocketinternet/render.h"

#define CONF_MAX (4u << 20) /* a router config bigger than this is no student's */

void pi_save_result_init(struct pi_save_result *r)
{
	memset(r, 0, sizeof(*r));
	r->not_reconfigured = (struct pi_vec)PI_VEC_INIT(char[128]);
}

void pi_save_result_free(struct pi_save_result *r)
{
	pi_vec_free(&r->not_reconfigured);
}

/* The file a node's router daemon reads, in its config directory. */
static const char *conf_file(const struct pi_plan *plan, uint32_t node)
{
	return pi_router_daemon_of(plan, node) == &pi_router_bird ? "bird.conf" : NULL;
}

bool pi_apply_students_file(const struct pi_plan *plan, uint32_t node, const char *path)
{
	const char *f = conf_file(plan, node);
	return f && pi_plan_node_is_exercise(plan, node) && strcmp(path, f) == 0;
}

void pi_apply_keep_students_files(const struct pi_plan *plan, uint32_t node, int nfd, struct pi_render_set *set)
{
	struct stat sb;
	for (size_t k = 0; k < set->files.len; k++) {
		struct pi_render_file *f = pi_vec_at(&set->files, k);
		if (!pi_apply_students_file(plan, node, f->path) || fstatat(nfd, f->path, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(sb.st_mode))
			continue; /* absent, or a link: written (a link replaced) as usual */
		free(f->path);
		free(f->data);
		memmove(f, f + 1, (set->files.len - k - 1) * sizeof(*f));
		set->files.len--;
		k--;
	}
}

int pi_apply_exercise_pods(const struct pi_plan *plan, const struct pi_save_opts *o, struct pi_vec *out,
			   struct pi_diag *diag)
{
	if (!o->pod == !o->team) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "name a pod (POD) or a team (--team T)",
			    "%s", o->pod ? "give a pod or a team, not both" : "no pod or team given");
		return -EINVAL;
	}
	if (o->pod) {
		uint32_t p = pi_plan_pod_by_name(plan, o->pod);
		if (p == PI_NONE) {
			pi_diag_add(diag, (struct pi_pos){ 0 }, "see the pods with: pocketinternet plan",
				    "lab %s has no pod '%s'", plan->lab_name, o->pod);
			return -ENOENT;
		}
		*(uint32_t *)pi_vec_push(out) = p;
		return 0;
	}
	if (!pi_plan_team_pods(plan, o->team, out)) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "see the teams with: pocketinternet teams",
			    "lab %s has no team '%s'", plan->lab_name, o->team);
		return -ENOENT;
	}
	return 0;
}

static const char *owner_of(const struct pi_save_opts *o)
{
	return o->team ? o->team : o->pod;
}

static void saves_dir(const struct pi_save_opts *o, const struct pi_plan *plan, char *buf, size_t len)
{
	snprintf(buf, len, "%s/saves/%s/%s", o->state_root ? o->state_root : pi_state_root(), plan->lab_name,
		 owner_of(o));
}

/* The current config of node: from the running node, else its directory on the host. */
static int read_conf(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, const char *state_root,
		     char **out, size_t *len)
{
	const char *f = conf_file(plan, node);
	struct pi_node_state st;
	char path[4200];
	if (b->ops->inspect(b, plan->lab_name, plan->nodes[node].name, &st, NULL) == 0 && st.running && st.pid > 0) {
		snprintf(path, sizeof(path), "%s/%s", PI_NODE_CONF_DIR, f);
		return pi_root_read_file(st.pid, path, out, len, CONF_MAX);
	}
	pi_state_dir(state_root, plan->lab_name, path, sizeof(path));
	size_t l = strlen(path);
	snprintf(path + l, sizeof(path) - l, "/%s", plan->nodes[node].name);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = pi_rootfd_read_file(fd, f, out, len, CONF_MAX);
	close(fd);
	return rc;
}

int pi_apply_node_config(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, const char *state_root,
			 const char **file, char **out, size_t *len, struct pi_diag *diag)
{
	*file = conf_file(plan, node);
	*out = NULL;
	*len = 0;
	if (!*file) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "only routers have a daemon config to read",
			    "%s runs no router daemon", plan->nodes[node].name);
		return -ENOENT;
	}
	int rc = read_conf(b, plan, node, state_root ? state_root : pi_state_root(), out, len);
	if (rc)
		pi_diag_add(diag, (struct pi_pos){ 0 }, "is the lab set up? pocketinternet status",
			    "cannot read %s of %s: %s", *file, plan->nodes[node].name, strerror(-rc));
	return rc;
}

/* Writes data as dir/<node>/<file>, creating the directories. */
static int put_copy(const char *dir, unsigned flags, const char *node, const char *file, const char *data, size_t len,
		    struct pi_diag *diag)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, node);
	int fd = pi_dir_open(path, flags, NULL, diag);
	if (fd < 0)
		return fd;
	int rc = pi_file_write_at(fd, file, data, len, 0644);
	close(fd);
	if (rc)
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "cannot write %s/%s: %s", path, file, strerror(-rc));
	return rc;
}

/* A fresh <saves>/<stamp> directory (a second save in the same second gets "-2", ...). */
static int new_save_dir(const struct pi_save_opts *o, const struct pi_plan *plan, struct pi_save_result *res,
			struct pi_diag *diag)
{
	char base[PI_SAVE_STAMP_MAX];
	if (o->stamp) {
		snprintf(base, sizeof(base), "%s", o->stamp);
	} else {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(base, sizeof(base), "%Y%m%dT%H%M%SZ", &tm);
	}
	char dir[4000];
	saves_dir(o, plan, dir, sizeof(dir));
	snprintf(res->owner, sizeof(res->owner), "%s", owner_of(o));
	for (unsigned n = 1; n < 100; n++) {
		if (n == 1)
			snprintf(res->stamp, sizeof(res->stamp), "%s", base);
		else
			snprintf(res->stamp, sizeof(res->stamp), "%.24s-%u", base, n);
		snprintf(res->dir, sizeof(res->dir), "%s/%s", dir, res->stamp);
		bool created = false;
		int fd = pi_dir_open(res->dir, PI_DIR_CREATE | PI_DIR_OWNED, &created, diag);
		if (fd < 0)
			return fd;
		close(fd);
		if (created)
			return 0;
	}
	pi_diag_add(diag, (struct pi_pos){ 0 }, "wait a second and save again", "too many saves named %s", base);
	return -EEXIST;
}

/* Every router node of pods (uint32_t) into nodes. */
static void router_nodes(const struct pi_plan *plan, const struct pi_vec *pods, struct pi_vec *nodes)
{
	for (size_t i = 0; i < pods->len; i++) {
		const struct pi_plan_pod *p = &plan->pods[*(uint32_t *)pi_vec_at(pods, i)];
		for (uint32_t n = p->first_node; n < p->first_node + p->n_nodes; n++)
			if (conf_file(plan, n))
				*(uint32_t *)pi_vec_push(nodes) = n;
	}
}

static int nodes_of(const struct pi_plan *plan, const struct pi_save_opts *o, struct pi_vec *nodes,
		    struct pi_diag *diag)
{
	struct pi_vec pods = PI_VEC_INIT(uint32_t);
	int rc = pi_apply_exercise_pods(plan, o, &pods, diag);
	if (!rc)
		router_nodes(plan, &pods, nodes);
	pi_vec_free(&pods);
	if (!rc && !nodes->len) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "save, restore and reset act on routers' configs",
			    "%s has no router", owner_of(o));
		rc = -ENOENT;
	}
	return rc;
}

int pi_apply_save(struct pi_backend *b, const struct pi_plan *plan, const struct pi_save_opts *o,
		  struct pi_save_result *res, struct pi_diag *diag)
{
	struct pi_vec nodes = PI_VEC_INIT(uint32_t);
	int rc = nodes_of(plan, o, &nodes, diag);
	if (!rc)
		rc = new_save_dir(o, plan, res, diag);
	const char *root = o->state_root ? o->state_root : pi_state_root();
	for (size_t i = 0; i < nodes.len && !rc; i++) {
		uint32_t n = *(uint32_t *)pi_vec_at(&nodes, i);
		char *data = NULL;
		size_t len = 0;
		rc = read_conf(b, plan, n, root, &data, &len);
		if (rc) {
			pi_diag_add(diag, (struct pi_pos){ 0 }, "is the lab set up? pocketinternet status",
				    "cannot read %s of %s: %s", conf_file(plan, n), plan->nodes[n].name, strerror(-rc));
			break;
		}
		rc = put_copy(res->dir, PI_DIR_CREATE | PI_DIR_OWNED, plan->nodes[n].name, conf_file(plan, n), data, len,
			      diag);
		if (!rc && o->copy_dir)
			rc = put_copy(o->copy_dir, PI_DIR_CREATE, plan->nodes[n].name, conf_file(plan, n), data, len, diag);
		free(data);
		res->nodes += !rc;
		res->files += !rc;
	}
	pi_vec_free(&nodes);
	return rc;
}

/* Tells node's daemon to reread its config; a node that is not running
 * reads the file when it starts, which is noted, not an error. */
static void reconfigure(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, struct pi_save_result *res)
{
	struct pi_node_state st;
	char why[256] = "";
	int rc = b->ops->inspect(b, plan->lab_name, plan->nodes[node].name, &st, NULL);
	if (rc || !st.running) {
		snprintf(why, sizeof(why), "not running: its daemon reads the file when it starts");
	} else if (st.pid <= 0) {
		snprintf(why, sizeof(why), "the backend gives no process to reach its daemon through");
	} else {
		rc = -EBUSY;
		for (int t = 0; t < 50 && rc == -EBUSY; t++) {
			rc = pi_apply_ctl_command(plan, node, st.pid, pi_router_daemon_of(plan, node)->reconfigure_cmd, why,
						  sizeof(why));
			if (rc == -EBUSY)
				usleep(100000);
		}
		if (!rc) {
			res->reconfigured++;
			return;
		}
		if (!why[0])
			snprintf(why, sizeof(why), "%s", strerror(-rc));
	}
	char *line = pi_vec_push(&res->not_reconfigured);
	snprintf(line, 128, "%s: %s", plan->nodes[node].name, why);
}

/* Writes data as node's config on the host, then reconfigures. */
static int put_conf(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, const char *root,
		    const char *data, size_t len, struct pi_save_result *res, struct pi_diag *diag)
{
	char path[4200];
	pi_state_dir(root, plan->lab_name, path, sizeof(path));
	size_t l = strlen(path);
	snprintf(path + l, sizeof(path) - l, "/%s", plan->nodes[node].name);
	/* The node can write this directory: whatever it left at the file's
	 * name (a link to a host file) is replaced, never written through. */
	int fd = pi_dir_open(path, PI_DIR_OWNED, NULL, diag);
	if (fd < 0)
		return fd;
	int rc = pi_file_write_at(fd, conf_file(plan, node), data, len, 0644);
	close(fd);
	if (rc) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "cannot write %s/%s: %s", path, conf_file(plan, node),
			    strerror(-rc));
		return rc;
	}
	res->nodes++;
	res->files++;
	reconfigure(b, plan, node, res);
	return 0;
}

/* The save to restore from: o->from as a directory, a stamp, or the latest. */
static int find_save(const struct pi_plan *plan, const struct pi_save_opts *o, struct pi_save_result *res,
		     struct pi_diag *diag)
{
	struct stat sb;
	if (o->from && strchr(o->from, '/') && stat(o->from, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		snprintf(res->dir, sizeof(res->dir), "%s", o->from);
		return 0;
	}
	struct pi_vec list = PI_VEC_INIT(struct pi_save_entry);
	int rc = pi_apply_save_list(o->state_root, plan->lab_name, owner_of(o), &list, diag);
	const struct pi_save_entry *pick = NULL;
	for (size_t i = 0; i < list.len && !rc; i++) {
		const struct pi_save_entry *e = pi_vec_at(&list, i);
		if (o->from ? strcmp(e->stamp, o->from) == 0 : true)
			pick = e; /* sorted: the last one is the latest */
	}
	if (!rc && !pick) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "see the saves with: pocketinternet save --list",
			    o->from ? "%s has no save %s" : "%s has no save yet", owner_of(o), o->from);
		rc = -ENOENT;
	}
	if (!rc) {
		char dir[4000];
		saves_dir(o, plan, dir, sizeof(dir));
		snprintf(res->stamp, sizeof(res->stamp), "%s", pick->stamp);
		snprintf(res->dir, sizeof(res->dir), "%s/%s", dir, pick->stamp);
	}
	pi_vec_free(&list);
	return rc;
}

int pi_apply_restore(struct pi_backend *b, const struct pi_plan *plan, const struct pi_save_opts *o,
		     struct pi_save_result *res, struct pi_diag *diag)
{
	struct pi_vec nodes = PI_VEC_INIT(uint32_t);
	int rc = nodes_of(plan, o, &nodes, diag);
	if (!rc)
		rc = find_save(plan, o, res, diag);
	if (!rc)
		snprintf(res->owner, sizeof(res->owner), "%s", owner_of(o));
	const char *root = o->state_root ? o->state_root : pi_state_root();
	for (size_t i = 0; i < nodes.len && !rc; i++) {
		uint32_t n = *(uint32_t *)pi_vec_at(&nodes, i);
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s", res->dir, plan->nodes[n].name);
		int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue; /* not in this save: left as it is */
		if (fd < 0) {
			rc = -errno;
			pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "cannot open %s: %s", path, strerror(errno));
			break;
		}
		char *data = NULL;
		size_t len = 0;
		rc = pi_rootfd_read_file(fd, conf_file(plan, n), &data, &len, CONF_MAX);
		close(fd);
		if (rc == -ENOENT) {
			rc = 0;
			continue;
		}
		if (rc)
			pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "cannot read %s/%s: %s", path, conf_file(plan, n),
				    strerror(-rc));
		else
			rc = put_conf(b, plan, n, root, data, len, res, diag);
		free(data);
	}
	if (!rc && !res->nodes) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "a save holds <node>/bird.conf for the pod's routers",
			    "%s holds no config of %s's routers", res->dir, owner_of(o));
		rc = -ENOENT;
	}
	pi_vec_free(&nodes);
	return rc;
}

int pi_apply_reset(struct pi_backend *b, const struct pi_plan *plan, const struct pi_save_opts *o,
		   struct pi_save_result *res, struct pi_diag *diag)
{
	struct pi_vec nodes = PI_VEC_INIT(uint32_t);
	int rc = nodes_of(plan, o, &nodes, diag);
	if (!rc)
		snprintf(res->owner, sizeof(res->owner), "%s", owner_of(o));
	const char *root = o->state_root ? o->state_root : pi_state_root();
	for (size_t i = 0; i < nodes.len && !rc; i++) {
		uint32_t n = *(uint32_t *)pi_vec_at(&nodes, i);
		struct pi_render_set set;
		pi_render_set_init(&set);
		pi_render_node(plan, n, &set);
		const struct pi_render_file *f = pi_render_set_find(&set, conf_file(plan, n));
		if (f)
			rc = put_conf(b, plan, n, root, f->data, f->len, res, diag);
		pi_render_set_free(&set);
	}
	pi_vec_free(&nodes);
	return rc;
}

static int cmp_entry(const void *x, const void *y)
{
	const struct pi_save_entry *a = x, *b = y;
	int c = strcmp(a->owner, b->owner);
	return c ? c : strcmp(a->stamp, b->stamp);
}

/* Names in dir (no dot files) that are directories, not links. */
static void subdirs(int dfd, struct pi_buf *names)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *e;
	struct stat sb;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && fstatat(dfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode))
			pi_buf_write(names, e->d_name, strlen(e->d_name) + 1);
	closedir(d);
}

static unsigned count_subdirs(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct pi_buf n;
	pi_buf_init(&n);
	subdirs(fd, &n);
	unsigned c = 0;
	for (size_t off = 0; off < n.len; off += strlen(n.data + off) + 1)
		c++;
	pi_buf_free(&n);
	close(fd);
	return c;
}

static void list_owner(int labfd, const char *owner, struct pi_vec *out)
{
	int fd = openat(labfd, owner, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	struct pi_buf stamps;
	pi_buf_init(&stamps);
	subdirs(fd, &stamps);
	for (size_t off = 0; off < stamps.len; off += strlen(stamps.data + off) + 1) {
		const char *st = stamps.data + off;
		size_t n = strlen(st);
		if (strlen(owner) >= 64 || n >= PI_SAVE_STAMP_MAX)
			continue;
		struct pi_save_entry *e = pi_vec_push(out);
		snprintf(e->owner, sizeof(e->owner), "%s", owner);
		memcpy(e->stamp, st, n + 1);
		e->nodes = count_subdirs(fd, st);
	}
	pi_buf_free(&stamps);
	close(fd);
}

int pi_apply_save_list(const char *state_root, const char *lab, const char *owner, struct pi_vec *out,
		       struct pi_diag *diag)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/saves/%s", state_root ? state_root : pi_state_root(), lab);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		int rc = -errno;
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "cannot read %s: %s", path, strerror(errno));
		return rc;
	}
	size_t first = out->len;
	if (owner) {
		list_owner(fd, owner, out);
	} else {
		struct pi_buf owners;
		pi_buf_init(&owners);
		subdirs(fd, &owners);
		for (size_t off = 0; off < owners.len; off += strlen(owners.data + off) + 1)
			list_owner(fd, owners.data + off, out);
		pi_buf_free(&owners);
	}
	close(fd);
	if (out->len > first)
		qsort(pi_vec_at(out, first), out->len - first, sizeof(struct pi_save_entry), cmp_entry);
	return 0;
}
