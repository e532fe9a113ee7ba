/*
 * trace: the BPF side. One copy of src/apply/bpf/trace.bpf.c (embedded in
 * the binary as pi_trace_bpf_obj) is loaded per watched netns, sharing one
 * ring buffer and one config map by fd, and attached with libbpf's
 * bpf_tc_* calls (netlink: a clsact qdisc, cls_bpf direct-action filters
 * with our handle and priority) inside each netns through pi_nl_ns_call.
 *
 * Nothing may stay behind. Before a clsact qdisc is added, the state file
 * says so (JSON: the netns by path, device and inode, and its interfaces);
 * the file is locked for the trace's life. A later trace, or
 * pi_trace_cleanup, finds a file that is not locked (its trace was killed)
 * and removes what it lists, then sweeps every watched interface for
 * filters with our handle and priority. A clsact is removed only when it
 * is recorded as ours and nothing else is attached to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pi_config.h"
#include "pocketinternet/log.h"
#include "pocketinternet/netlink.h"
#include "trace_int.h"

#ifndef TC_H_CLSACT
#define TC_H_CLSACT TC_H_INGRESS
#endif
#ifndef TC_H_MIN_INGRESS
#define TC_H_MIN_INGRESS 0xFFF2U
#define TC_H_MIN_EGRESS 0xFFF3U
#endif

/* ---- netlink scans: clsacts and filters (libmnl, caller's netns) ---- */

struct tc_scan {
	struct pi_vec clsact;   /* int ifindexes holding a clsact qdisc */
	unsigned ours, total;   /* filters: ours, all */
};

static int tc_attr_cb(const struct nlattr *a, void *data)
{
	const char **kind = data;
	if (mnl_attr_get_type(a) == TCA_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		*kind = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

static int qdisc_cb(const struct nlmsghdr *nlh, void *data)
{
	struct tc_scan *sc = data;
	const struct tcmsg *t = mnl_nlmsg_get_payload(nlh);
	const char *kind = NULL;

	mnl_attr_parse(nlh, sizeof(*t), tc_attr_cb, &kind);
	if (kind && strcmp(kind, "clsact") == 0)
		*(int *)pi_vec_push(&sc->clsact) = t->tcm_ifindex;
	return MNL_CB_OK;
}

static int filter_cb(const struct nlmsghdr *nlh, void *data)
{
	struct tc_scan *sc = data;
	const struct tcmsg *t = mnl_nlmsg_get_payload(nlh);
	const char *kind = NULL;

	mnl_attr_parse(nlh, sizeof(*t), tc_attr_cb, &kind);
	if (!kind || t->tcm_handle == 0) /* the classifier itself, not a filter */
		return MNL_CB_OK;
	sc->total++;
	if (strcmp(kind, "bpf") == 0 && TC_H_MAJ(t->tcm_info) >> 16 == PI_TRACE_TC_PRIO &&
	    t->tcm_handle == PI_TRACE_TC_HANDLE)
		sc->ours++;
	return MNL_CB_OK;
}

/* A dump of qdiscs (type RTM_GETQDISC) or of ifindex's filters at parent. */
static int tc_dump(uint16_t type, int ifindex, uint32_t parent, mnl_cb_t cb, struct tc_scan *sc)
{
	char buf[32768]; /* MNL_SOCKET_BUFFER_SIZE is not a constant */
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	int rc = 0;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	struct tcmsg *t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_parent = parent;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	unsigned portid = mnl_socket_get_portid(nl);
	ssize_t n;
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		int r = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, cb, sc);
		if (r <= MNL_CB_STOP) {
			rc = r < 0 ? -errno : 0;
			break;
		}
	}
	if (n < 0)
		rc = -errno;
out:
	mnl_socket_close(nl);
	return rc;
}

/* Filters on ifindex's clsact: ours and all, ingress (dir 0) or egress (1). */
static int tc_filters(int ifindex, int dir, unsigned *ours, unsigned *total)
{
	struct tc_scan sc = { .clsact = PI_VEC_INIT(int) };
	uint32_t parent = TC_H_MAKE(TC_H_CLSACT, dir ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS);
	int rc = tc_dump(RTM_GETTFILTER, ifindex, parent, filter_cb, &sc);
	*ours = sc.ours;
	*total = sc.total;
	return rc == -ENODEV || rc == -EINVAL ? 0 : rc;
}

int pi_trace_clsacts(struct pi_vec *out)
{
	struct tc_scan sc = { .clsact = PI_VEC_INIT(int) };
	int rc = tc_dump(RTM_GETQDISC, 0, 0, qdisc_cb, &sc);
	for (size_t i = 0; i < sc.clsact.len; i++)
		*(int *)pi_vec_push(out) = *(int *)pi_vec_at(&sc.clsact, i);
	pi_vec_free(&sc.clsact);
	return rc;
}

struct residue_arg {
	unsigned filters, clsacts;
};

static int residue_cb(void *arg)
{
	struct residue_arg *r = arg;
	struct tc_scan sc = { .clsact = PI_VEC_INIT(int) };
	int rc = tc_dump(RTM_GETQDISC, 0, 0, qdisc_cb, &sc);

	for (size_t i = 0; rc == 0 && i < sc.clsact.len; i++) {
		int ifindex = *(int *)pi_vec_at(&sc.clsact, i);
		for (int dir = 0; dir < 2 && rc == 0; dir++) {
			unsigned ours, total;
			rc = tc_filters(ifindex, dir, &ours, &total);
			r->filters += ours;
		}
	}
	r->clsacts = (unsigned)sc.clsact.len;
	pi_vec_free(&sc.clsact);
	return rc;
}

int pi_trace_residue(const char *path, unsigned *filters, unsigned *clsacts)
{
	struct pi_nl *nl;
	struct residue_arg r = { 0 };
	int rc = pi_nl_open_netns_path(path, &nl);

	if (rc)
		return rc;
	rc = pi_nl_ns_call(nl, residue_cb, &r);
	pi_nl_close(nl);
	if (filters)
		*filters = r.filters;
	if (clsacts)
		*clsacts = r.clsacts;
	return rc;
}

#if PI_HAVE_TRACE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

extern const unsigned char pi_trace_bpf_obj[];
extern const size_t pi_trace_bpf_obj_len;

bool pi_trace_available(char *why, size_t len)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0 && access("/sys/fs/bpf", F_OK) != 0) {
		snprintf(why, len, "this kernel has no BPF support visible (/sys/kernel/btf, /sys/fs/bpf)");
		return false;
	}
	if (why && len)
		why[0] = '\0';
	return true;
}

/* ---- detaching, in the netns ---- */

static bool owned(const struct pi_trace_sweep *a, int ifindex)
{
	char name[IF_NAMESIZE];
	if (!if_indextoname((unsigned)ifindex, name))
		return false;
	for (size_t i = 0; i < a->n_own; i++)
		if (strcmp(a->own[i], name) == 0)
			return true;
	return false;
}

/* Our filters off ifindex; then its clsact when ours and empty. */
static int sweep_iface(struct pi_trace_sweep *a, int ifindex)
{
	unsigned left = 0;
	for (int dir = 0; dir < 2; dir++) {
		unsigned ours, total;
		int rc = tc_filters(ifindex, dir, &ours, &total);
		if (rc)
			return rc;
		left += total - ours;
		if (!ours)
			continue;
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex,
				    .attach_point = dir ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, o, .handle = PI_TRACE_TC_HANDLE, .priority = PI_TRACE_TC_PRIO);
		rc = bpf_tc_detach(&h, &o);
		if (rc && rc != -ENOENT && rc != -ENODEV)
			return rc;
		a->removed += rc == 0;
	}
	if (left == 0 && owned(a, ifindex)) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
		int rc = bpf_tc_hook_destroy(&h);
		if (rc && rc != -ENOENT && rc != -ENODEV && rc != -EINVAL)
			return rc;
		a->removed += rc == 0;
	}
	return 0;
}

int pi_trace_sweep_cb(void *arg)
{
	struct tc_scan sc = { .clsact = PI_VEC_INIT(int) };
	int rc = tc_dump(RTM_GETQDISC, 0, 0, qdisc_cb, &sc);
	for (size_t i = 0; rc == 0 && i < sc.clsact.len; i++)
		rc = sweep_iface(arg, *(int *)pi_vec_at(&sc.clsact, i));
	pi_vec_free(&sc.clsact);
	return rc;
}

/* ---- the state file ---- */

int pi_trace_state_lock(const char *path, int *fd, struct pi_diag *diag)
{
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0) {
		int err = -errno;
		pi_diag_add(diag, (struct pi_pos){ 0 }, "check that the lab's state directory exists and is yours",
			    "trace: cannot open %s: %s", path, strerror(-err));
		return err;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	int err = errno == EWOULDBLOCK ? -EBUSY : -errno;
	close(*fd);
	*fd = -1;
	pi_diag_add(diag, (struct pi_pos){ 0 }, "wait for it to end (one trace at a time per lab)",
		    "trace: another trace holds %s", path);
	return err;
}

static json_t *state_read(int fd)
{
	char buf[65536];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return json_loads(buf, 0, NULL);
}

int pi_trace_state_write(int fd, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	int rc = 0;
	if (!text)
		return -ENOMEM;
	size_t n = strlen(text);
	if (ftruncate(fd, 0) || pwrite(fd, text, n, 0) != (ssize_t)n || fsync(fd))
		rc = errno ? -errno : -EIO;
	free(text);
	return rc;
}

/* Sweeps the netns at path (if it is still the one recorded: dev, ino). */
static int sweep_path(const char *path, json_t *rec, const char *const *own, size_t n_own, unsigned *removed)
{
	struct pi_nl *nl;
	struct stat st;
	if (pi_nl_open_netns_path(path, &nl))
		return 0; /* gone: so is everything that was in it */
	int rc = 0;
	if (rec && (fstat(pi_nl_ns_fd(nl), &st) ||
		    (json_integer_value(json_object_get(rec, "dev")) != (json_int_t)st.st_dev ||
		     json_integer_value(json_object_get(rec, "ino")) != (json_int_t)st.st_ino)))
		goto out; /* another netns now: nothing of ours */
	struct pi_trace_sweep a = { own, n_own, 0 };
	rc = pi_nl_ns_call(nl, pi_trace_sweep_cb, &a);
	*removed += a.removed;
out:
	pi_nl_close(nl);
	return rc;
}

/* What the (unlocked) state file of a killed trace lists, then a sweep of
 * every target. */
int pi_trace_clean_leftovers(int fd, const struct pi_trace_target *t, size_t n, unsigned *removed)
{
	json_t *st = state_read(fd), *rec;
	size_t i;
	int rc = 0;

	json_array_foreach(json_object_get(st, "netns"), i, rec) {
		json_t *cl = json_object_get(rec, "clsact");
		size_t n_own = json_array_size(cl);
		const char **own = pi_xcalloc(n_own + 1, sizeof(*own));
		for (size_t k = 0; k < n_own; k++)
			own[k] = json_string_value(json_array_get(cl, k));
		const char *path = json_string_value(json_object_get(rec, "path"));
		int r = path ? sweep_path(path, rec, own, n_own, removed) : 0;
		rc = rc ? rc : r;
		free(own);
	}
	json_decref(st);
	for (i = 0; i < n; i++) {
		int r = sweep_path(t[i].path, NULL, NULL, 0, removed);
		rc = rc ? rc : r;
	}
	return rc;
}

int pi_trace_cleanup(const char *state_file, const struct pi_trace_target *targets, size_t n, unsigned *removed,
		     struct pi_diag *diag)
{
	unsigned count = 0;
	int fd, rc = pi_trace_state_lock(state_file, &fd, diag);
	if (rc)
		return rc;
	rc = pi_trace_clean_leftovers(fd, targets, n, &count);
	if (rc == 0)
		unlink(state_file);
	else
		pi_diag_add(diag, (struct pi_pos){ 0 }, "run it again as root; 'tc qdisc show' lists clsact qdiscs",
			    "trace: cleaning up what an earlier trace left failed: %s", strerror(-rc));
	close(fd);
	if (removed)
		*removed = count;
	return rc;
}

int pi_trace_progs_loaded(unsigned *n)
{
	uint32_t id = 0;
	*n = 0;
	while (bpf_prog_get_next_id(id, &id) == 0) {
		int fd = bpf_prog_get_fd_by_id(id);
		struct bpf_prog_info info = { 0 };
		uint32_t len = sizeof(info);
		if (fd < 0)
			continue; /* gone meanwhile */
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && strncmp(info.name, "pi_trace_", 9) == 0)
			(*n)++;
		close(fd);
	}
	return errno == ENOENT ? 0 : -errno;
}

#else /* !PI_HAVE_TRACE */

bool pi_trace_available(char *why, size_t len)
{
	snprintf(why, len, "this pocketinternet was built without trace support: install clang and libbpf-dev "
			   "(apt-get install clang libbpf-dev) and rebuild");
	return false;
}

int pi_trace_cleanup(const char *state_file, const struct pi_trace_target *targets, size_t n, unsigned *removed,
		     struct pi_diag *diag)
{
	if (removed)
		*removed = 0;
	return -ENOTSUP;
}

int pi_trace_progs_loaded(unsigned *n)
{
	*n = 0;
	return -ENOTSUP;
}

#endif
