/*
 * routerstat: a router's size over its control socket (the daemon table's
 * memory_cmd and count_cmd): how many networks each table holds, and the
 * daemon's memory. For full tables (docs/testing-bgp.md): the end-to-end
 * suite and the benchmark wait for every router to hold a table, and
 * report what it costs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "apply_int.h"

int pi_apply_router_stat(struct pi_backend *b, const struct pi_plan *plan, uint32_t node, struct pi_router_stat *out,
			 struct pi_diag *diag)
{
	const struct pi_router_daemon *d = pi_router_daemon_of(plan, node);
	if (!d || !d->memory_cmd) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, NULL, "node %s runs no router daemon", plan->nodes[node].name);
		return -ENOTSUP;
	}
	int pid, rc = pi_apply_node_pid(b, plan, node, &pid, diag);
	if (rc)
		return rc;
	struct pi_buf text;
	pi_buf_init(&text);
	char cmd[128];
	*out = (struct pi_router_stat){ 0 };
	for (int f = 0; f < 2 && rc == 0; f++) {
		d->count_cmd(f ? PI_AF_V6 : PI_AF_V4, cmd, sizeof(cmd));
		pi_buf_reset(&text);
		if ((rc = pi_apply_ctl_text(plan, node, pid, cmd, &text)) == 0 &&
		    !d->parse_count(pi_buf_str(&text), f ? &out->networks6 : &out->networks4))
			rc = -EPROTO;
	}
	pi_buf_reset(&text);
	if (rc == 0 && (rc = pi_apply_ctl_text(plan, node, pid, d->memory_cmd, &text)) == 0 &&
	    !d->parse_memory(pi_buf_str(&text), &out->mem_effective, &out->mem_overhead))
		rc = -EPROTO;
	if (rc)
		pi_diag_add(diag, (struct pi_pos){ 0 }, "is its daemon up?", "cannot read %s's size: %s",
			    plan->nodes[node].name, strerror(-rc));
	pi_buf_free(&text);
	return rc;
}
