/*
 * trace: the program sets. One bpf_object per watched netns (pi_node in its
 * .rodata is the target's index), the ring buffer and config map of the
 * first shared by every other (bpf_map__reuse_fd), attached to every
 * interface of the netns but lo at tc ingress and egress.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pi_config.h"
#include "pocketinternet/log.h"
#include "pocketinternet/netlink.h"
#include "trace_int.h"

#if PI_HAVE_TRACE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

extern const unsigned char pi_trace_bpf_obj[];
extern const size_t pi_trace_bpf_obj_len;

struct tset_if {
	int ifindex;
	char name[PI_IFNAMSIZ];
	bool own; /* its clsact is (to be) added by us */
};

struct tset_ns {
	const struct pi_trace_target *t;
	struct pi_nl *nl;
	struct stat st;
	struct bpf_object *obj;
	int prog_in, prog_out;
	struct tset_if *ifs;
	size_t n_ifs;
};

struct pi_trace_set {
	struct tset_ns *ns;
	size_t n;
	int lock_fd;
	const char *state_file;
	int events_fd, cfg_fd;
	struct ring_buffer *rb;
	pi_trace_ev_fn cb;
	void *cb_ctx;
	unsigned ifaces;
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[1024];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	pi_log_debug("trace", "libbpf%s: %s", level == LIBBPF_WARN ? " warning" : "", buf);
	return 0;
}

static int clsacts_cb(void *arg)
{
	return pi_trace_clsacts(arg);
}

/* Opens target i's netns and lists its interfaces and their clsacts. */
static int ns_prepare(struct pi_trace_set *s, uint32_t i, struct pi_diag *diag)
{
	struct tset_ns *ns = &s->ns[i];
	struct pi_nl_link *links = NULL;
	struct pi_vec cl = PI_VEC_INIT(int);
	size_t n = 0;
	int rc = pi_nl_open_netns_path(ns->t->path, &ns->nl);

	if (rc == 0 && fstat(pi_nl_ns_fd(ns->nl), &ns->st))
		rc = -errno;
	if (rc == 0)
		rc = pi_nl_links_with_prefix(ns->nl, "", &links, &n);
	if (rc == 0)
		rc = pi_nl_ns_call(ns->nl, clsacts_cb, &cl);
	if (rc) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "is the node still running? ('pocketinternet status')",
			    "trace: cannot look into %s (%s): %s", ns->t->label, ns->t->path, strerror(-rc));
		goto out;
	}
	ns->ifs = pi_xcalloc(n ? n : 1, sizeof(*ns->ifs));
	for (size_t k = 0; k < n; k++) {
		if (strcmp(links[k].name, "lo") == 0)
			continue;
		struct tset_if *f = &ns->ifs[ns->n_ifs++];
		f->ifindex = links[k].index;
		snprintf(f->name, sizeof(f->name), "%s", links[k].name);
		f->own = true;
		for (size_t c = 0; c < cl.len; c++)
			f->own &= *(int *)pi_vec_at(&cl, c) != f->ifindex;
	}
	s->ifaces += (unsigned)ns->n_ifs;
out:
	free(links);
	pi_vec_free(&cl);
	return rc;
}

/* The state file: every netns and the clsacts about to be added there. */
static int state_record(struct pi_trace_set *s)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < s->n; i++) {
		const struct tset_ns *ns = &s->ns[i];
		json_t *own = json_array();
		for (size_t k = 0; k < ns->n_ifs; k++)
			if (ns->ifs[k].own)
				json_array_append_new(own, json_string(ns->ifs[k].name));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:I, s:o}", "path", ns->t->path, "label",
						     ns->t->label, "dev", (json_int_t)ns->st.st_dev, "ino",
						     (json_int_t)ns->st.st_ino, "clsact", own));
	}
	json_t *j = json_pack("{s:i, s:o}", "pid", (int)getpid(), "netns", arr);
	int rc = pi_trace_state_write(s->lock_fd, j);
	json_decref(j);
	return rc;
}

/* Points the object's maps: pi_node, and the shared maps after the first. */
static int set_maps(struct pi_trace_set *s, struct bpf_object *obj, uint32_t i)
{
	struct bpf_map *m;
	int rc = 0;
	bpf_object__for_each_map(m, obj) {
		const char *name = bpf_map__name(m);
		if (bpf_map__is_internal(m) && strstr(name, ".rodata")) {
			if (bpf_map__value_size(m) != sizeof(i))
				return -EPROTO; /* pi_node must be all of .rodata */
			rc = bpf_map__set_initial_value(m, &i, sizeof(i));
		} else if (s->events_fd >= 0 && strcmp(name, "pi_events") == 0) {
			rc = bpf_map__reuse_fd(m, s->events_fd);
		} else if (s->cfg_fd >= 0 && strcmp(name, "pi_cfg") == 0) {
			rc = bpf_map__reuse_fd(m, s->cfg_fd);
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int load_one(struct pi_trace_set *s, uint32_t i)
{
	DECLARE_LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "pi_trace");
	struct tset_ns *ns = &s->ns[i];
	ns->obj = bpf_object__open_mem(pi_trace_bpf_obj, pi_trace_bpf_obj_len, &oo);
	if (!ns->obj)
		return errno ? -errno : -EINVAL;
	int rc = set_maps(s, ns->obj, i);
	if (rc == 0)
		rc = bpf_object__load(ns->obj);
	if (rc)
		return rc;
	struct bpf_program *in = bpf_object__find_program_by_name(ns->obj, "pi_trace_in");
	struct bpf_program *out = bpf_object__find_program_by_name(ns->obj, "pi_trace_out");
	if (!in || !out)
		return -EPROTO;
	ns->prog_in = bpf_program__fd(in);
	ns->prog_out = bpf_program__fd(out);
	if (s->events_fd < 0) {
		s->events_fd = bpf_map__fd(bpf_object__find_map_by_name(ns->obj, "pi_events"));
		s->cfg_fd = bpf_map__fd(bpf_object__find_map_by_name(ns->obj, "pi_cfg"));
	}
	return s->events_fd < 0 || s->cfg_fd < 0 ? -EPROTO : 0;
}

struct attach_arg {
	struct tset_ns *ns;
	char what[96];
};

static int attach_cb(void *arg)
{
	struct attach_arg *a = arg;
	for (size_t k = 0; k < a->ns->n_ifs; k++) {
		struct tset_if *f = &a->ns->ifs[k];
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = f->ifindex, .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
		snprintf(a->what, sizeof(a->what), "adding a clsact qdisc to %s", f->name);
		int rc = f->own ? bpf_tc_hook_create(&h) : 0;
		if (rc == -EEXIST)
			f->own = false; /* someone else's after all: leave it */
		else if (rc)
			return rc;
		for (int dir = 0; dir < 2; dir++) {
			h.attach_point = dir ? BPF_TC_EGRESS : BPF_TC_INGRESS;
			DECLARE_LIBBPF_OPTS(bpf_tc_opts, o, .prog_fd = dir ? a->ns->prog_out : a->ns->prog_in,
					    .handle = PI_TRACE_TC_HANDLE, .priority = PI_TRACE_TC_PRIO);
			snprintf(a->what, sizeof(a->what), "attaching to %s %s", f->name, dir ? "egress" : "ingress");
			if ((rc = bpf_tc_attach(&h, &o)))
				return rc;
		}
	}
	return 0;
}

static int ring_cb(void *ctx, void *data, size_t size)
{
	struct pi_trace_set *s = ctx;
	if (size >= sizeof(struct pi_trace_ev) && s->cb)
		s->cb(s->cb_ctx, data);
	return 0;
}

/* Loads and attaches every target's set. */
static int load_attach(struct pi_trace_set *s, const struct pi_trace_opts *o, struct pi_diag *diag)
{
	for (uint32_t i = 0; i < s->n; i++) {
		struct attach_arg a = { .ns = &s->ns[i] };
		if (o->cancel && *o->cancel)
			return -EINTR;
		int rc = load_one(s, i);
		if (rc) {
			pi_diag_add(diag, (struct pi_pos){ 0 }, "run with -vv to see libbpf's log (the verifier's words)",
				    "trace: loading the BPF programs failed: %s", strerror(-rc));
			return rc;
		}
		if ((rc = pi_nl_ns_call(s->ns[i].nl, attach_cb, &a))) {
			pi_diag_add(diag, (struct pi_pos){ 0 }, "the kernel needs cls_bpf and clsact (CONFIG_NET_CLS_BPF, "
								"CONFIG_NET_SCH_INGRESS)",
				    "trace: %s of %s: %s", a.what, s->ns[i].t->label, strerror(-rc));
			return rc;
		}
	}
	s->rb = ring_buffer__new(s->events_fd, ring_cb, s, NULL);
	return s->rb ? 0 : (errno ? -errno : -ENOMEM);
}

int pi_trace_set_open(const struct pi_trace_opts *o, struct pi_trace_set **out, unsigned *leftovers,
		      struct pi_diag *diag)
{
	struct pi_trace_set *s = pi_xcalloc(1, sizeof(*s));
	s->events_fd = s->cfg_fd = -1;
	s->state_file = o->state_file;
	s->ns = pi_xcalloc(o->n_targets ? o->n_targets : 1, sizeof(*s->ns));
	s->n = o->n_targets;
	for (size_t i = 0; i < s->n; i++)
		s->ns[i].t = &o->targets[i];
	libbpf_set_print(libbpf_print);
	*leftovers = 0;
	int rc = pi_trace_state_lock(o->state_file, &s->lock_fd, diag);
	if (rc == 0 && (rc = pi_trace_clean_leftovers(s->lock_fd, o->targets, o->n_targets, leftovers)))
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "trace: removing what an earlier trace left failed: %s",
			    strerror(-rc));
	for (uint32_t i = 0; rc == 0 && i < s->n; i++)
		rc = ns_prepare(s, i, diag);
	if (rc == 0 && (rc = state_record(s)))
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "trace: writing %s: %s", o->state_file, strerror(-rc));
	if (rc == 0)
		rc = load_attach(s, o, diag);
	if (rc) {
		pi_trace_set_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

int pi_trace_set_arm(struct pi_trace_set *s, uint32_t nonce)
{
	uint32_t zero = 0;
	struct pi_trace_cfg cfg = { .nonce = nonce, .on = 1 };
	return bpf_map_update_elem(s->cfg_fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

int pi_trace_set_poll(struct pi_trace_set *s, int timeout_ms, pi_trace_ev_fn cb, void *ctx)
{
	s->cb = cb;
	s->cb_ctx = ctx;
	int rc = ring_buffer__poll(s->rb, timeout_ms);
	return rc == -EINTR ? 0 : rc;
}

struct pi_nl *pi_trace_set_nl(struct pi_trace_set *s, uint32_t i)
{
	return i < s->n ? s->ns[i].nl : NULL;
}

void pi_trace_set_ifname(const struct pi_trace_set *s, uint32_t i, uint32_t ifindex, char buf[PI_IFNAMSIZ])
{
	snprintf(buf, PI_IFNAMSIZ, "if%u", ifindex);
	for (size_t k = 0; i < s->n && k < s->ns[i].n_ifs; k++)
		if ((uint32_t)s->ns[i].ifs[k].ifindex == ifindex)
			snprintf(buf, PI_IFNAMSIZ, "%s", s->ns[i].ifs[k].name);
}

unsigned pi_trace_set_ifaces(const struct pi_trace_set *s)
{
	return s->ifaces;
}

/* Our filters and our clsacts off one netns. */
static int ns_detach(struct tset_ns *ns)
{
	const char **own = pi_xcalloc(ns->n_ifs + 1, sizeof(*own));
	struct pi_trace_sweep a = { own, 0, 0 };
	for (size_t k = 0; k < ns->n_ifs; k++)
		if (ns->ifs[k].own)
			own[a.n_own++] = ns->ifs[k].name;
	int rc = pi_nl_ns_call(ns->nl, pi_trace_sweep_cb, &a);
	free(own);
	return rc;
}

void pi_trace_set_close(struct pi_trace_set *s)
{
	if (!s)
		return;
	int failed = 0;
	ring_buffer__free(s->rb);
	for (size_t i = 0; i < s->n; i++) {
		struct tset_ns *ns = &s->ns[i];
		if (ns->nl && s->lock_fd >= 0 && ns_detach(ns)) {
			failed = 1;
			pi_log_warn("trace", "detaching from %s failed: the next trace removes it", ns->t->label);
		}
		bpf_object__close(ns->obj);
		pi_nl_close(ns->nl);
		free(ns->ifs);
	}
	if (s->lock_fd >= 0) {
		if (!failed)
			unlink(s->state_file);
		close(s->lock_fd);
	}
	free(s->ns);
	free(s);
}

#else /* !PI_HAVE_TRACE */

int pi_trace_set_open(const struct pi_trace_opts *o, struct pi_trace_set **out, unsigned *leftovers,
		      struct pi_diag *diag)
{
	char why[256];
	pi_trace_available(why, sizeof(why));
	pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "trace: %s", why);
	return -ENOTSUP;
}

int pi_trace_set_arm(struct pi_trace_set *s, uint32_t nonce)
{
	return -ENOTSUP;
}

int pi_trace_set_poll(struct pi_trace_set *s, int timeout_ms, pi_trace_ev_fn cb, void *ctx)
{
	return -ENOTSUP;
}

struct pi_nl *pi_trace_set_nl(struct pi_trace_set *s, uint32_t i)
{
	return NULL;
}

void pi_trace_set_ifname(const struct pi_trace_set *s, uint32_t i, uint32_t ifindex, char buf[PI_IFNAMSIZ])
{
	snprintf(buf, PI_IFNAMSIZ, "if%u", ifindex);
}

unsigned pi_trace_set_ifaces(const struct pi_trace_set *s)
{
	return 0;
}

void pi_trace_set_close(struct pi_trace_set *s)
{
}

#endif
