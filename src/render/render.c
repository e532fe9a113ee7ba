/*
 * render: the file set of one node, and writing every node's set to disk.
 * Everything except pi_render_write_all is pure (plan in, text out).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "render_int.h"

void pi_render_opts_default(struct pi_render_opts *o)
{
	o->conf_dir = PI_NODE_CONF_DIR;
	o->log_dir = PI_NODE_LOG_DIR;
	o->run_dir = PI_NODE_RUN_DIR;
}

void pi_render_set_init(struct pi_render_set *s)
{
	struct pi_vec v = PI_VEC_INIT(struct pi_render_file);
	s->files = v;
}

void pi_render_set_free(struct pi_render_set *s)
{
	for (size_t i = 0; i < s->files.len; i++) {
		struct pi_render_file *f = pi_vec_at(&s->files, i);
		free(f->path);
		free(f->data);
	}
	pi_vec_free(&s->files);
}

void pi_render_set_add(struct pi_render_set *s, const char *path, struct pi_buf *buf, unsigned mode)
{
	struct pi_render_file *f = pi_vec_push(&s->files);
	f->path = pi_xstrdup(path);
	f->len = buf->len;
	f->data = buf->data ? pi_buf_steal(buf) : pi_xstrdup("");
	f->mode = mode;
}

const struct pi_render_file *pi_render_set_find(const struct pi_render_set *s, const char *path)
{
	for (size_t i = 0; i < s->files.len; i++) {
		const struct pi_render_file *f = pi_vec_at(&s->files, i);
		if (strcmp(f->path, path) == 0)
			return f;
	}
	return NULL;
}

void pi_render_zone_path(const struct pi_plan *plan, uint32_t zone, char *buf, size_t bufsz)
{
	const char *name = plan->zones[zone].name;
	char nd[256];
	if (strcmp(name, ".") == 0)
		snprintf(buf, bufsz, "zones/root.zone");
	else
		snprintf(buf, bufsz, "zones/%s.zone", pi_r_nodot(name, nd, sizeof(nd)));
}

void pi_render_node_opts(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			 struct pi_render_set *out)
{
	struct pi_buf b;
	pi_buf_init(&b);
	pi_render_hosts(plan, node, &b);
	pi_render_set_add(out, "hosts", &b, 0644);
	pi_render_resolv(plan, node, &b);
	pi_render_set_add(out, "resolv.conf", &b, 0644);
	/* The same table start.sh starts from: a node gets the files of what it runs. */
	for (size_t i = 0; i < pi_render_n_services; i++) {
		const struct pi_render_service *s = pi_render_services[i];
		if (s->render && pi_r_service_runs(s, plan, node))
			s->render(plan, node, o, out);
	}
	pi_render_start_o(plan, node, o, &b);
	pi_render_set_add(out, "start.sh", &b, 0755);
	pi_buf_free(&b);
}

void pi_render_node(const struct pi_plan *plan, uint32_t node, struct pi_render_set *out)
{
	struct pi_render_opts o;
	pi_render_opts_default(&o);
	pi_render_node_opts(plan, node, &o, out);
}

/* The public form with the container's paths. */
void pi_render_start(const struct pi_plan *plan, uint32_t node, struct pi_buf *out)
{
	struct pi_render_opts o;
	pi_render_opts_default(&o);
	pi_render_start_o(plan, node, &o, out);
}

/* One file into a directory render just made: no temporary file and no
 * mkdir per component (pi_write_file's care), which for 50,000 nodes was
 * most of the time spent in the kernel. */
static int write_plain(const char *path, const char *data, size_t len, unsigned mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	int rc = 0;
	for (size_t off = 0; off < len && !rc;) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno != EINTR)
			rc = -errno;
		else if (w > 0)
			off += (size_t)w;
	}
	if (!rc && fchmod(fd, mode) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	return rc;
}

struct write_all {
	const struct pi_plan *plan;
	const char *dir;
	pthread_mutex_t lock;
	char failed[4096];
	int err;
};

static int write_node(void *ctx, size_t i)
{
	struct write_all *w = ctx;
	const struct pi_plan *plan = w->plan;
	char path[4096];
	struct pi_render_set set;
	pi_render_set_init(&set);
	pi_render_node(plan, (uint32_t)i, &set);
	snprintf(path, sizeof(path), "%s/%s", w->dir, plan->nodes[i].name);
	int rc = mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
	for (size_t f = 0; f < set.files.len && !rc; f++) {
		const struct pi_render_file *file = pi_vec_at(&set.files, f);
		snprintf(path, sizeof(path), "%s/%s/%s", w->dir, plan->nodes[i].name, file->path);
		char *slash = strrchr(path, '/');
		if (strchr(file->path, '/')) {
			*slash = '\0';
			rc = mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
			*slash = '/';
		}
		if (!rc)
			rc = write_plain(path, file->data, file->len, file->mode);
	}
	pi_render_set_free(&set);
	if (rc) {
		pthread_mutex_lock(&w->lock);
		if (!w->err) {
			w->err = rc;
			snprintf(w->failed, sizeof(w->failed), "%s", path);
		}
		pthread_mutex_unlock(&w->lock);
	}
	return rc;
}

int pi_render_write_all(const struct pi_plan *plan, const char *dir, const char **failed_path)
{
	static char failed[4096];
	char path[4096];
	struct pi_buf json;
	pi_buf_init(&json);
	*failed_path = NULL;
	int rc = pi_mkdir_p(dir, 0755);
	if (rc) {
		snprintf(failed, sizeof(failed), "%s", dir);
		goto out;
	}
	/* Nodes are independent: render and write them on every core. */
	struct write_all w = { .plan = plan, .dir = dir };
	pthread_mutex_init(&w.lock, NULL);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	pi_pool_run(plan->n_nodes, cores > 0 ? (unsigned)cores : 1, write_node, NULL, &w, NULL);
	pthread_mutex_destroy(&w.lock);
	if ((rc = w.err)) {
		snprintf(failed, sizeof(failed), "%s", w.failed);
		goto out;
	}
	rc = pi_plan_write_json(plan, &json);
	snprintf(path, sizeof(path), "%s/plan.json", dir);
	if (!rc)
		rc = pi_write_file(path, pi_buf_str(&json), json.len, 0644);
	if (rc)
		snprintf(failed, sizeof(failed), "%s", path);
out:
	if (rc)
		*failed_path = failed;
	pi_buf_free(&json);
	return rc;
}
