/*
 * render/rpki: the lab's RPKI cache (docs/testing-bgp.md, "RPKI"). The
 * cache node runs stayrtr over vrps.json, the VRPs in the JSON form
 * rpki-client writes and stayrtr reads ({"roas":[{"prefix", "maxLength",
 * "asn"}]}), rendered from the plan's ROAs. No signing happens in the lab:
 * the cache serves what the plan says, as a validator would after checking
 * the signatures. stayrtr speaks RTR version 1 (RFC 8210), which BIRD 2
 * does; it rereads the file every 30 seconds.
 */
#include <stdio.h>
#include "render_int.h"

void pi_render_vrps_json(const struct pi_plan *plan, struct pi_buf *b)
{
	char nb[PI_PREFIX_STRLEN];
	pi_buf_printf(b, "{\n  \"metadata\": {\"generated\": 0, \"counts\": %u, \"lab\": \"%s\"},\n  \"roas\": [", plan->n_roas,
		      plan->lab_name ? plan->lab_name : "lab");
	for (uint32_t i = 0; i < plan->n_roas; i++) {
		const struct pi_plan_roa *r = &plan->roas[i];
		pi_buf_printf(b, "%s\n    {\"prefix\": \"%s\", \"maxLength\": %u, \"asn\": \"AS%u\"}", i ? "," : "",
			      pi_prefix_fmt(&r->net, nb), r->max_len, r->asn);
	}
	pi_buf_puts(b, "\n  ]\n}\n");
}

static void rpki_render(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			struct pi_render_set *out)
{
	(void)node, (void)o;
	struct pi_buf b;
	pi_buf_init(&b);
	pi_render_vrps_json(plan, &b);
	pi_render_set_add(out, "vrps.json", &b, 0644);
	pi_buf_free(&b);
}

static void rpki_start(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o, struct pi_buf *b)
{
	(void)plan, (void)node, (void)o;
	char cmd[512];
	/* stayrtr stays in the foreground: start.sh backgrounds it and keeps its pid. */
	snprintf(cmd, sizeof(cmd),
		 "stayrtr -cache \"$CONF/vrps.json\" -bind :%u -checktime=false -protocol 1 -refresh 30 "
		 "-metrics.addr 127.0.0.1:9847 -log.verbose=false >>\"$LOG/stayrtr.log\" 2>&1 3>&- & echo $! >\"$RUN/stayrtr.pid\"",
		 PI_RPKI_RTR_PORT);
	pi_buf_puts(b, "\n# RPKI cache: the lab's ROAs over RTR (docs/testing-bgp.md, \"RPKI\").\n");
	pi_r_start_daemon(b, "stayrtr", "$RUN/stayrtr.pid", cmd);
}

const struct pi_render_service pi_svc_rpki = {
	.name = "stayrtr",
	.svc = PI_SVC_RPKI,
	.render = rpki_render,
	.start_lines = rpki_start,
};
