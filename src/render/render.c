/*
 * render: the file set of one node. Pure (plan in, text out); the files
 * reach the disk through pi_apply_write_lab (src/apply/write.c).
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
