/*
 * hostneigh: room in the kernel's neighbour tables for every running lab.
 *
 * ARP and NDP entries of every network namespace live in two tables shared
 * by the whole host, and gc_thresh3 (1024 by default) caps each of them.
 * A 40-pod lab needs about as many IPv6 entries as that (a global and a
 * link-local address per neighbour, plus the multicast groups OSPFv3 and
 * MLD send to), so above the cap new neighbours cannot be resolved: pairs
 * on the same LAN lose IPv6 at random, and BIRD's OSPFv3 logs "Socket
 * error: Invalid argument". Setup therefore raises the caps to what the
 * running labs need, and the last teardown puts back what it found:
 *   <state root>/host-neigh.json
 *   {"orig": {"ipv4": [t1, t2, t3], "ipv6": [...]}, "labs": {"<lab>": [v4, v6]}}
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "apply_int.h"
#include "pocketinternet/log.h"

#define NEIGH_FILE "host-neigh.json"
#define NEIGH_BASE 1024u /* the kernel's default cap: room for the host and other users */

static const char *const fam_name[2] = { "ipv4", "ipv6" };

void pi_plan_neigh_need(const struct pi_plan *plan, struct pi_neigh_need *out)
{
	memset(out, 0, sizeof(*out));
	for (uint32_t l = 0; l < plan->n_links; l++) {
		const struct pi_plan_link *lk = &plan->links[l];
		unsigned k = lk->n_ifaces, pairs = k ? k * (k - 1) : 0;
		if (lk->v4.family)
			out->v4 += pairs + k; /* each neighbour, and 224.0.0.5 for OSPF */
		if (lk->v6.family)
			out->v6 += 2 * pairs + 4 * k; /* global + link-local; ff02::2, 5, 6, 16 */
	}
}

static void thresh_path(const char *proc_root, int fam, int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s/net/%s/neigh/default/gc_thresh%d", proc_root ? proc_root : "/proc/sys",
		 fam_name[fam], i + 1);
}

static int thresh_get(const char *proc_root, int fam, int i, unsigned *v)
{
	char path[4200], *text = NULL;
	size_t len = 0;
	thresh_path(proc_root, fam, i, path, sizeof(path));
	int rc = pi_read_file(path, &text, &len);
	if (rc == 0)
		*v = (unsigned)strtoul(text, NULL, 10);
	free(text);
	return rc;
}

static int thresh_set(const char *proc_root, int fam, int i, unsigned v, struct pi_diag *diag)
{
	char path[4200], text[32];
	thresh_path(proc_root, fam, i, path, sizeof(path));
	int n = snprintf(text, sizeof(text), "%u\n", v);
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	int rc = fd < 0 ? -errno : (write(fd, text, (size_t)n) == n ? 0 : -errno);
	if (fd >= 0)
		close(fd);
	if (rc && diag)
		pi_diag_add(diag, (struct pi_pos){ path, 0, 0 }, "run setup as root, or raise it by hand (sysctl)",
			    "cannot set the kernel's neighbour table size: %s", strerror(-rc));
	return rc;
}

static void neigh_file(const char *state_root, char *buf, size_t len)
{
	snprintf(buf, len, "%s/" NEIGH_FILE, state_root ? state_root : pi_state_root());
}

static json_t *neigh_load(const char *state_root)
{
	char path[4200], *text = NULL;
	size_t len = 0;
	neigh_file(state_root, path, sizeof(path));
	json_t *root = pi_read_file(path, &text, &len) == 0 ? json_loadb(text, len, 0, NULL) : NULL;
	free(text);
	if (!json_is_object(root)) {
		json_decref(root);
		root = json_object();
	}
	if (!json_is_object(json_object_get(root, "labs")))
		json_object_set_new(root, "labs", json_object());
	return root;
}

static int neigh_save(const char *state_root, json_t *root, struct pi_diag *diag)
{
	char path[4200];
	neigh_file(state_root, path, sizeof(path));
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		return -ENOMEM;
	int rc = pi_write_file_safe(path, text, strlen(text), 0644, diag);
	free(text);
	return rc;
}

/* The caps as they were before the first lab raised them. */
static int remember_orig(json_t *root, const char *proc_root)
{
	if (json_object_get(root, "orig"))
		return 0;
	json_t *orig = json_object();
	for (int fam = 0; fam < 2; fam++) {
		json_t *a = json_array();
		for (int i = 0; i < 3; i++) {
			unsigned v = 0;
			int rc = thresh_get(proc_root, fam, i, &v);
			if (rc) {
				json_decref(a);
				json_decref(orig);
				return rc;
			}
			json_array_append_new(a, json_integer(v));
		}
		json_object_set_new(orig, fam_name[fam], a);
	}
	json_object_set_new(root, "orig", orig);
	return 0;
}

/* Raises gc_thresh3, then gc_thresh2, of one family to fit `need` entries;
 * never lowers them. */
static int raise_family(const char *proc_root, int fam, unsigned need, struct pi_diag *diag)
{
	const unsigned want[3] = { 0, NEIGH_BASE / 2 + need, NEIGH_BASE + 2 * need };
	for (int i = 2; i >= 1; i--) {
		unsigned cur = 0;
		int rc = thresh_get(proc_root, fam, i, &cur);
		if (rc)
			return rc;
		if (cur >= want[i])
			continue;
		if ((rc = thresh_set(proc_root, fam, i, want[i], diag)))
			return rc;
		pi_log_info("setup", "kernel %s neighbour table: gc_thresh%d %u -> %u (shared by every namespace)",
			    fam_name[fam], i + 1, cur, want[i]);
	}
	return 0;
}

int pi_apply_host_neigh_raise(const struct pi_plan *plan, const char *proc_root, const char *state_root,
			      struct pi_diag *diag)
{
	json_t *root = neigh_load(state_root);
	int rc = remember_orig(root, proc_root);
	struct pi_neigh_need need;
	pi_plan_neigh_need(plan, &need);
	json_t *labs = json_object_get(root, "labs");
	json_object_set_new(labs, plan->lab_name, json_pack("[I, I]", (json_int_t)need.v4, (json_int_t)need.v6));
	unsigned total[2] = { 0, 0 };
	const char *k;
	json_t *v;
	json_object_foreach (labs, k, v) {
		total[0] += (unsigned)json_integer_value(json_array_get(v, 0));
		total[1] += (unsigned)json_integer_value(json_array_get(v, 1));
	}
	if (rc == 0)
		rc = neigh_save(state_root, root, diag);
	for (int fam = 0; rc == 0 && fam < 2; fam++)
		rc = raise_family(proc_root, fam, total[fam], diag);
	json_decref(root);
	return rc;
}

int pi_apply_host_neigh_release(const char *lab, const char *proc_root, const char *state_root, struct pi_diag *diag)
{
	char path[4200];
	neigh_file(state_root, path, sizeof(path));
	if (access(path, F_OK) != 0)
		return 0;
	json_t *root = neigh_load(state_root);
	json_t *labs = json_object_get(root, "labs");
	if (lab)
		json_object_del(labs, lab);
	int rc = 0;
	if (lab && json_object_size(labs) > 0) {
		rc = neigh_save(state_root, root, diag);
		json_decref(root);
		return rc;
	}
	/* The last lab is gone: put back what the first one found. */
	json_t *orig = json_object_get(root, "orig");
	for (int fam = 0; orig && rc == 0 && fam < 2; fam++) {
		json_t *a = json_object_get(orig, fam_name[fam]);
		for (int i = 0; rc == 0 && i < 3; i++)
			if (json_is_integer(json_array_get(a, (size_t)i)))
				rc = thresh_set(proc_root, fam, i, (unsigned)json_integer_value(json_array_get(a, (size_t)i)),
						diag);
	}
	if (rc == 0 && unlink(path) != 0 && errno != ENOENT)
		rc = -errno;
	json_decref(root);
	return rc;
}
