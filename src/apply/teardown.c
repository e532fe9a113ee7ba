/*
 * teardown: remove a lab by what it is called, not by what a state file
 * says, so it works after a crash at any point of setup and when run twice.
 * Containers are found by label; the lab netns (bridges and LAN port ends)
 * by name; p2p veths die with their containers' netns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "apply_int.h"
#include "pocketinternet/log.h"
#include "pocketinternet/netlink.h"

struct teardown {
	struct pi_backend *b;
	struct pi_vec *found;
	struct pi_diag *diag;
	pthread_mutex_t lock;
};

static int remove_one(void *ctx, size_t i)
{
	struct teardown *t = ctx;
	struct pi_node_state *n = pi_vec_at(t->found, i);
	struct pi_diag local;
	pi_diag_init(&local);
	pi_log_info("remove", "%s", n->node);
	int rc = t->b->ops->remove(t->b, n->lab, n->node, &local);
	if (rc == -ENOENT) /* someone else removed it meanwhile */
		rc = 0;
	if (rc)
		pi_apply_diag_merge(t->diag, &local, &t->lock);
	pi_diag_free(&local);
	return rc;
}

/* True for names we make: [a-z0-9-]; protects against "../" in --lab. */
static bool lab_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

int pi_apply_teardown(struct pi_backend *b, const char *lab, const char *state_root, unsigned parallel,
		      struct pi_teardown_result *res, struct pi_diag *diag)
{
	memset(res, 0, sizeof(*res));
	if (lab && !lab_name_ok(lab)) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "lab names use only a-z, 0-9 and '-'", "bad lab name '%s'", lab);
		return -EINVAL;
	}
	struct teardown t = { .b = b, .diag = diag };
	pthread_mutex_init(&t.lock, NULL);
	struct pi_vec found = PI_VEC_INIT(struct pi_node_state);
	t.found = &found;
	int rc = b->ops->list(b, lab, &found, diag);
	if (rc)
		goto out;
	/*
	 * One node at a time unless asked: every removal makes the engine
	 * handle a container exit, and Docker 20.10.24 as Debian 12 ships it
	 * can deadlock in libnetwork when two exits are handled at once (the
	 * getSvcRecords / processEndpointDelete lock inversion fixed upstream
	 * by moby/libnetwork#2679). A wedged engine is far worse than a slower
	 * teardown.
	 */
	rc = pi_pool_run(found.len, parallel ? parallel : 1, remove_one, NULL, &t, NULL);
	res->containers = (unsigned)found.len;

	/* Named netns: the lab's, or for --all every pi-* one. */
	char **names = NULL;
	size_t n_names = 0;
	if (pi_nl_netns_list(PI_NAME_PREFIX, &names, &n_names) == 0) {
		for (size_t i = 0; i < n_names; i++) {
			char want[128];
			bool mine = !lab;
			if (lab) {
				pi_lab_netns_name(lab, want, sizeof(want));
				mine = strcmp(names[i], want) == 0;
			}
			if (mine && pi_nl_netns_delete(names[i]) == 0)
				res->netns++;
		}
		pi_nl_names_free(names, n_names);
	}

	/* State directories: only those setup made and marked (write.c). */
	int r = pi_apply_state_remove(state_root ? state_root : pi_state_root(), lab, &res->state_dirs, diag);
	rc = rc ? rc : r;
	if (b->ops->host_kernel && (r = pi_apply_host_neigh_release(lab, NULL, state_root, diag)))
		rc = rc ? rc : r;
out:
	pi_vec_free(&found);
	pthread_mutex_destroy(&t.lock);
	return rc;
}
