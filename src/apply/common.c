/* Names and small helpers every apply step shares. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apply_int.h"

const char *pi_state_root(void)
{
	const char *e = getenv("POCKETINTERNET_STATE");
	return e && *e ? e : PI_STATE_ROOT;
}

void pi_state_dir(const char *root, const char *lab, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", root ? root : pi_state_root(), lab);
}

void pi_lab_netns_name(const char *lab, char *buf, size_t len)
{
	snprintf(buf, len, PI_NAME_PREFIX "%s", lab);
}

const char *pi_phase_name(enum pi_phase p)
{
	static const char *const names[] = { "plan", "render", "image", "create", "start", "wire", "daemons", "converge" };
	return p < PI_PHASE_COUNT ? names[p] : "?";
}

void pi_apply_diag_merge(struct pi_diag *dst, struct pi_diag *src, pthread_mutex_t *lock)
{
	if (!src->entries.len)
		return;
	pthread_mutex_lock(lock);
	pi_diag_move(dst, src);
	pthread_mutex_unlock(lock);
}

int pi_apply_node_pid(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, int *pid,
		      struct pi_diag *diag)
{
	struct pi_node_state st;
	const char *name = plan->nodes[node].name;
	int rc = b->ops->inspect(b, plan->lab_name, name, &st, diag);
	*pid = 0;
	if (rc == -ENOENT) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "bring the lab up with 'pocketinternet setup'",
			    "lab %s is not running: node %s does not exist", plan->lab_name, name);
		return rc;
	}
	if (rc)
		return rc;
	if (!st.running || st.pid <= 0) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "start it with 'pocketinternet node start NODE'",
			    "node %s is stopped (%s)", name, st.state);
		return -ESRCH;
	}
	*pid = st.pid;
	return 0;
}
