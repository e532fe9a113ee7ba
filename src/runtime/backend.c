/*
 * backend: the table's shared part, and Docker's entry. The Docker entry
 * maps (lab, node) to the container pi-<lab>-<node>, labelled so that
 * list and teardown find it with no state on disk.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "docker.h"
#include "pocketinternet/log.h"

void pi_exec_result_init(struct pi_exec_result *r)
{
	r->exit_code = -1;
	r->truncated = false;
	pi_buf_init(&r->out);
	pi_buf_init(&r->err);
}

void pi_exec_result_free(struct pi_exec_result *r)
{
	pi_buf_free(&r->out);
	pi_buf_free(&r->err);
}

int pi_tty_fd(const struct pi_tty *t)
{
	return t->fd;
}

const struct pi_backend_ops *pi_backend_find(const char *name)
{
	static const struct pi_backend_ops *const all[] = { &pi_backend_docker, &pi_backend_fake };
	for (size_t i = 0; i < PI_ARRAY_LEN(all); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

int pi_backend_open(struct pi_backend *b, const struct pi_backend_ops *ops, struct pi_diag *diag)
{
	b->ops = ops;
	b->priv = NULL;
	int rc = ops->open(b, diag);
	if (rc)
		b->ops = NULL;
	return rc;
}

void pi_backend_close(struct pi_backend *b)
{
	if (b->ops)
		b->ops->close(b);
	b->ops = NULL;
	b->priv = NULL;
}

/* ---- docker ---- */

static void cname(const char *lab, const char *node, char *buf, size_t len)
{
	snprintf(buf, len, "pi-%s-%s", lab, node);
}

static int d_open(struct pi_backend *b, struct pi_diag *diag)
{
	struct pi_docker *d = NULL;
	int rc = pi_docker_open(NULL, &d, diag);
	b->priv = d;
	return rc;
}

static void d_close(struct pi_backend *b)
{
	pi_docker_free(b->priv);
}

struct d_progress {
	pi_backend_progress_fn fn;
	void *ctx;
};

static void d_image_progress(void *ctx, enum pi_image_event ev, double elapsed_s, const char *text)
{
	struct d_progress *p = ctx;
	(void)elapsed_s;
	if (ev == PI_IMAGE_STEP && p->fn)
		p->fn(p->ctx, text);
}

static int d_prepare(struct pi_backend *b, const char *image, bool build, pi_backend_progress_fn progress,
		     void *ctx, struct pi_diag *diag)
{
	const char *tag = image ? image : pi_image_default_tag();
	int rc = pi_docker_image_exists(b->priv, tag, diag);
	if (rc == 0 && build && !image) {
		struct d_progress p = { progress, ctx };
		rc = pi_image_ensure(b->priv, d_image_progress, &p, diag) >= 0 ? 1 : -EIO;
	}
	if (rc == 0) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "build it with 'pocketinternet image build'",
			    "the node image %s is missing", tag);
		rc = -ENOENT;
	}
	return rc < 0 ? rc : 0;
}

static int d_preflight(struct pi_backend *b, const struct pi_prefix *spaces, size_t n, struct pi_diag *diag)
{
	return pi_docker_check_clash(b->priv, spaces, n, diag);
}

static void state_from_summary(const struct pi_container_summary *c, struct pi_node_state *st)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->id, sizeof(st->id), "%s", c->id);
	snprintf(st->lab, sizeof(st->lab), "%s", c->lab);
	snprintf(st->node, sizeof(st->node), "%s", c->node);
	snprintf(st->state, sizeof(st->state), "%s", c->state);
	snprintf(st->lab_file, sizeof(st->lab_file), "%s", c->lab_file);
	st->running = strcmp(c->state, "running") == 0;
	st->created = c->created;
}

static int d_list(struct pi_backend *b, const char *lab, struct pi_vec *out, struct pi_diag *diag)
{
	char filter[256];
	if (lab)
		snprintf(filter, sizeof(filter), PI_LABEL_LAB "=%s", lab);
	else
		snprintf(filter, sizeof(filter), PI_LABEL_LAB);
	struct pi_vec found = PI_VEC_INIT(struct pi_container_summary);
	int rc = pi_docker_container_list(b->priv, filter, &found, diag);
	for (size_t i = 0; !rc && i < found.len; i++)
		state_from_summary(pi_vec_at(&found, i), pi_vec_push(out));
	pi_vec_free(&found);
	return rc;
}

/*
 * Only what the daemons and tools need, instead of the engine's default
 * set: NET_ADMIN for addresses, routes, tun and nftables; NET_RAW for OSPF,
 * ping, traceroute, dhclient and tcpdump; NET_BIND_SERVICE for ports 53,
 * 67, 80 and 179; SETUID/SETGID for daemons that drop privileges; CHOWN,
 * DAC_OVERRIDE, FOWNER for their files; KILL so start.sh can check on them;
 * SYS_CHROOT for sshd (team nodes), whose pre-authentication child chroots
 * into /run/sshd and refuses to run otherwise.
 */
static const char *const node_caps[] = { "NET_ADMIN", "NET_RAW", "NET_BIND_SERVICE", "SETUID", "SETGID",
					 "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SYS_CHROOT" };
static const char *const drop_all[] = { "ALL" };
static const char *const tun_dev[] = { "/dev/net/tun" };

static int d_create(struct pi_backend *b, const struct pi_node_spec *n, struct pi_diag *diag)
{
	char name[256], id[PI_DOCKER_ID_LEN];
	cname(n->lab, n->node, name, sizeof(name));
	const struct pi_docker_kv labels[] = {
		{ PI_LABEL_LAB, n->lab }, { PI_LABEL_NODE, n->node }, { PI_LABEL_ROLE, n->role },
		{ PI_LABEL_POD, n->pod }, { PI_LABEL_LAB_FILE, n->lab_file ? n->lab_file : "" },
	};
	const struct pi_docker_bind binds[] = { { n->conf_dir, n->conf_mount, n->conf_rw }, { n->rw_dir, n->rw_mount, true } };
	struct pi_container_spec spec = {
		.name = name, .image = n->image ? n->image : pi_image_default_tag(), .hostname = n->node,
		.labels = labels, .n_labels = PI_ARRAY_LEN(labels),
		.binds = binds, .n_binds = n->conf_dir ? (n->rw_dir ? 2 : 1) : 0,
		.cap_add = node_caps, .n_cap_add = PI_ARRAY_LEN(node_caps),
		.cap_drop = drop_all, .n_cap_drop = 1,
		/* struct pi_kv and struct pi_docker_kv have the same layout. */
		.sysctls = (const struct pi_docker_kv *)n->sysctls, .n_sysctls = n->n_sysctls,
		.devices = n->tun ? tun_dev : NULL, .n_devices = n->tun ? 1 : 0,
		.cmd = n->cmd, .n_cmd = n->n_cmd, .init = true,
		.memory_mb = n->mem_limit_mb, .pids_limit = n->pids_limit, .no_new_privileges = true,
	};
	pi_log_debug("docker", "create %s", name);
	return pi_docker_container_create(b->priv, &spec, id, diag);
}

static int d_inspect(struct pi_backend *b, const char *lab, const char *node, struct pi_node_state *out,
		     struct pi_diag *diag)
{
	char name[256];
	struct pi_container_info info;
	cname(lab, node, name, sizeof(name));
	memset(out, 0, sizeof(*out));
	snprintf(out->lab, sizeof(out->lab), "%s", lab);
	snprintf(out->node, sizeof(out->node), "%s", node);
	int rc = pi_docker_container_inspect(b->priv, name, &info, diag);
	if (rc) {
		snprintf(out->state, sizeof(out->state), "%s", rc == -ENOENT ? "absent" : "unknown");
		return rc;
	}
	snprintf(out->id, sizeof(out->id), "%s", info.id);
	snprintf(out->state, sizeof(out->state), "%s", info.status);
	out->running = info.running;
	out->pid = info.running ? info.pid : 0;
	out->exit_code = info.exit_code;
	return 0;
}

static int d_start(struct pi_backend *b, const char *lab, const char *node, int *pid, struct pi_diag *diag)
{
	char name[256];
	struct pi_node_state st;
	cname(lab, node, name, sizeof(name));
	int rc = pi_docker_container_start(b->priv, name, diag);
	if (!rc)
		rc = d_inspect(b, lab, node, &st, diag);
	if (!rc && !st.running) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "see its log with the engine's logs API",
			    "node %s exited right after start (status %s, code %d)", node, st.state, st.exit_code);
		rc = -ESRCH;
	}
	*pid = rc ? 0 : st.pid;
	return rc;
}

static int d_stop(struct pi_backend *b, const char *lab, const char *node, struct pi_diag *diag)
{
	char name[256];
	cname(lab, node, name, sizeof(name));
	return pi_docker_container_stop(b->priv, name, 5, diag);
}

static int d_remove(struct pi_backend *b, const char *lab, const char *node, struct pi_diag *diag)
{
	char name[256];
	cname(lab, node, name, sizeof(name));
	return pi_docker_container_remove(b->priv, name, diag);
}

static int d_exec(struct pi_backend *b, const char *lab, const char *node, const char *const *argv, size_t argc,
		  const struct pi_exec_opts *opts, struct pi_exec_result *res, struct pi_diag *diag)
{
	char name[256];
	cname(lab, node, name, sizeof(name));
	return pi_docker_exec(b->priv, name, argv, argc, opts, res, diag);
}

static int d_exec_stream(struct pi_backend *b, const char *lab, const char *node, const char *const *argv,
			 size_t argc, const struct pi_exec_opts *opts, int in_fd, pi_exec_out_fn out, void *ctx,
			 int *exit_code, volatile int *cancel, struct pi_diag *diag)
{
	char name[256];
	cname(lab, node, name, sizeof(name));
	return pi_docker_exec_stream(b->priv, name, argv, argc, opts, in_fd, out, ctx, exit_code, cancel, diag);
}

static int d_tty_open(struct pi_backend *b, const char *lab, const char *node, const char *const *argv,
		      size_t argc, unsigned cols, unsigned rows, struct pi_tty **out, struct pi_diag *diag)
{
	char name[256];
	cname(lab, node, name, sizeof(name));
	return pi_docker_tty_open(b->priv, name, argv, argc, cols, rows, out, diag);
}

static int d_tty_resize(struct pi_backend *b, struct pi_tty *t, unsigned cols, unsigned rows, struct pi_diag *diag)
{
	return pi_docker_tty_resize(b->priv, t, cols, rows, diag);
}

static int d_tty_close(struct pi_backend *b, struct pi_tty *t)
{
	return pi_docker_tty_close(b->priv, t);
}

const struct pi_backend_ops pi_backend_docker = {
	.name = "docker", .host_kernel = true, .open = d_open, .close = d_close, .prepare = d_prepare, .preflight = d_preflight, .list = d_list,
	.create = d_create, .start = d_start, .inspect = d_inspect, .stop = d_stop, .remove = d_remove,
	.exec = d_exec, .exec_stream = d_exec_stream,
	.tty_open = d_tty_open, .tty_resize = d_tty_resize, .tty_close = d_tty_close,
};
