/* The generated labs the benchmarks share (bench_lab.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench_lab.h"

/* A lab of n pods shaped like the shipped ones: a small transit core, an
 * IXP per 50 pods, the rest access and content networks. */
char *bench_gen_lab(const char *name, unsigned n)
{
	return bench_gen_lab_more(name, n, 0, 0);
}

/* The same lab with more broadband and content pods: the planner's pins keep
 * the first ones where they were, so the new pods come last. */
char *bench_gen_lab_more(const char *name, unsigned n, unsigned more_bb, unsigned more_content)
{
	unsigned transit = n / 25 < 2 ? 2 : n / 25 > 12 ? 12 : n / 25;
	unsigned ixp = n / 50 ? n / 50 : 1;
	if (transit + ixp >= n)
		ixp = n > transit ? n - transit - 1 : 0;
	unsigned rest = n - transit - ixp;
	unsigned bb = rest / 2 + more_bb, content = rest - rest / 2 + more_content;
	struct pi_buf b;
	pi_buf_init(&b);
	pi_buf_printf(&b, "name: %s\nseed: 7\naddress_space:\n  ipv4: 10.0.0.0/8\n  ipv6: 2001:db8::/32\npods:\n", name);
	pi_buf_printf(&b, "  transit: %u\n", transit);
	if (ixp)
		pi_buf_printf(&b, "  ixp: %u\n", ixp);
	if (bb)
		pi_buf_printf(&b, "  broadband: %u\n", bb);
	if (content)
		pi_buf_printf(&b, "  content: %u\n", content);
	return pi_buf_steal(&b);
}

int bench_load_plan(const char *name, unsigned pods, struct pi_lab **lab, struct pi_plan **plan)
{
	char *text = bench_gen_lab(name, pods);
	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_lab_load_mem(name, text, strlen(text), pi_default_blueprint_dir(), lab, &diag);
	if (!rc)
		rc = pi_plan_build(*lab, plan, &diag);
	if (rc)
		pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	free(text);
	return rc;
}

