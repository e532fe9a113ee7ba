/* link list|down|up|set|reset: the links of a running lab. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "pocketinternet/report.h"

struct link_cmd {
	struct pi_cli *cli;
	struct pi_backend b;
	struct pi_lab *lab;
	struct pi_plan *plan;
	bool json;
};

static void addrs(const struct pi_plan_iface *f, char *buf, size_t len)
{
	char a[PI_PREFIX_STRLEN], b[PI_PREFIX_STRLEN];
	snprintf(buf, len, "%s%s%s", pi_prefix_is_set(&f->v4) ? pi_prefix_fmt(&f->v4, a) : "",
		 pi_prefix_is_set(&f->v4) && pi_prefix_is_set(&f->v6) ? " " : "",
		 pi_prefix_is_set(&f->v6) ? pi_prefix_fmt(&f->v6, b) : "");
}

static const char *end_word(const struct pi_link_end *e)
{
	if (!e->present)
		return "absent";
	if (!e->admin_up)
		return "down";
	return e->carrier ? "up" : "no-carrier";
}

static void list_text(const struct pi_plan *plan, const struct pi_vec *v)
{
	printf("%-44s %-4s %-10s %-8s %s\n", "LINK", "KIND", "SCOPE", "STATE", "ENDS");
	for (size_t i = 0; i < v->len; i++) {
		const struct pi_link_status *ls = pi_vec_at(v, i);
		const struct pi_plan_link *lk = &plan->links[ls->link];
		printf("%-44s %-4s %-10s %-8s\n", lk->name, lk->kind == PI_LINK_LAN ? "lan" : "p2p",
		       pi_link_scope_name(lk->scope), ls->state);
		for (size_t k = 0; k < ls->n_ends; k++) {
			const struct pi_link_end *e = &ls->ends[k];
			const struct pi_plan_iface *f = &plan->ifaces[e->iface];
			char label[300], ad[128];
			snprintf(label, sizeof(label), "%s:%s", plan->nodes[f->node].name, f->name);
			addrs(f, ad, sizeof(ad));
			printf("    %c %-44s %-10s %s%s%s\n", lk->kind == PI_LINK_LAN ? '-' : (k ? 'b' : 'a'), label,
			       end_word(e), ad, e->impair[0] ? "  shaped: " : "", e->impair);
		}
	}
}

static void print_json(json_t *j)
{
	char *t = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", t);
	free(t);
	json_decref(j);
}

static int do_list(struct link_cmd *c, int argc, char **argv)
{
	uint32_t node = PI_NONE;
	if (argc > 1)
		return pi_cli_usage_error("link", "link list takes at most one node");
	if (argc == 1 && (node = pi_cli_find_node(c->plan, argv[0])) == PI_NONE)
		return PI_EXIT_USAGE;
	struct pi_vec v = PI_VEC_INIT(struct pi_link_status);
	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_apply_link_list(&c->b, c->plan, node, &v, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	if (rc == 0 && c->json)
		pi_report_print(pi_report_links(c->plan, &v), stdout);
	else if (rc == 0)
		list_text(c->plan, &v);
	pi_link_status_free(&v);
	return rc ? PI_EXIT_FAIL : PI_EXIT_OK;
}

static int find_link(struct link_cmd *c, int argc, char **argv, struct pi_link_ref *ref)
{
	if (argc < 1)
		return pi_cli_usage_error("link", "name a link: 'pocketinternet link list' shows them");
	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_apply_link_find(c->plan, argv[0], ref, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	return rc ? PI_EXIT_USAGE : PI_EXIT_OK;
}

static void report(struct link_cmd *c, const struct pi_link_ref *ref, const char *action, int rc)
{
	char what[300];
	if (ref->iface != PI_NONE)
		pi_apply_iface_label(c->plan, ref->iface, what, sizeof(what));
	else
		snprintf(what, sizeof(what), "%s", c->plan->links[ref->link].name);
	if (c->json)
		print_json(json_pack("{s:s, s:s, s:s, s:b}", "lab", c->plan->lab_name, "link", what, "action", action,
				     "ok", rc == 0));
	else if (rc == 0)
		printf("link %s: %s\n", what, action);
}

static int do_updown(struct link_cmd *c, int argc, char **argv, bool up)
{
	struct pi_link_ref ref;
	int rc = find_link(c, argc, argv, &ref);
	if (rc)
		return rc;
	if (argc > 1)
		return pi_cli_usage_error("link", "unexpected argument '%s'", argv[1]);
	struct pi_diag diag;
	pi_diag_init(&diag);
	rc = pi_apply_link_updown(&c->b, c->plan, NULL, &ref, up, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	report(c, &ref, up ? "up" : "down", rc);
	return rc ? PI_EXIT_FAIL : PI_EXIT_OK;
}

/* link set LINK [--rate R] ... [--dir a|b|both]; link reset LINK. */
static int parse_dir(const char *s, int *dir)
{
	*dir = strcmp(s, "both") == 0 ? 0 : strcmp(s, "a") == 0 ? 1 : strcmp(s, "b") == 0 ? 2 : -1;
	return *dir < 0 ? pi_cli_usage_error("link", "--dir takes a, b or both, not '%s'", s) : PI_EXIT_OK;
}

static int parse_shape(int argc, char **argv, struct pi_impair *imp, int *dir)
{
	memset(imp, 0, sizeof(*imp));
	*dir = 0;
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *eq = strchr(opt, '=');
		char key[32];
		if (strncmp(opt, "--", 2) != 0)
			return pi_cli_usage_error("link", "unexpected argument '%s'", opt);
		snprintf(key, sizeof(key), "%.*s", (int)(eq ? (size_t)(eq - opt - 2) : strlen(opt + 2)), opt + 2);
		const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!val)
			return pi_cli_usage_error("link", "%s needs a value", opt);
		if (strcmp(key, "dir") == 0) {
			if (parse_dir(val, dir))
				return PI_EXIT_USAGE;
			continue;
		}
		char err[PI_IMPAIR_ERR_MAX];
		if (pi_impair_set(imp, key, val, err, sizeof(err)))
			return pi_cli_usage_error("link", "--%s %s: %s", key, val, err);
	}
	if (pi_impair_is_none(imp))
		return pi_cli_usage_error("link", "say how to shape the link: --rate, --delay, --jitter, --loss, "
						  "--duplicate, --corrupt or --reorder (link reset removes shaping)");
	return PI_EXIT_OK;
}

static int do_shape(struct link_cmd *c, int argc, char **argv, bool reset)
{
	struct pi_link_ref ref;
	int rc = find_link(c, argc, argv, &ref);
	if (rc)
		return rc;
	struct pi_impair imp;
	int dir = 0;
	if (reset && argc > 1)
		return pi_cli_usage_error("link", "link reset takes only the link");
	if (!reset && (rc = parse_shape(argc, argv, &imp, &dir)))
		return rc;
	struct pi_diag diag;
	pi_diag_init(&diag);
	rc = pi_apply_link_shape(&c->b, c->plan, NULL, &ref, reset ? NULL : &imp, dir, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	char text[PI_IMPAIR_FMT_MAX + 16] = "reset to the lab's default", fmt[PI_IMPAIR_FMT_MAX];
	if (!reset)
		snprintf(text, sizeof(text), "shaped: %s", pi_impair_format(&imp, fmt, sizeof(fmt)));
	report(c, &ref, text, rc);
	return rc ? PI_EXIT_FAIL : PI_EXIT_OK;
}

int pi_cmd_link(struct pi_cli *cli, int argc, char **argv)
{
	struct link_cmd c = { .cli = cli };
	int rc = pi_cli_take_format("link", &argc, &argv, &c.json);
	if (rc)
		return rc;
	if (argc < 1)
		return pi_cli_usage_error("link", "expected an action: list, down, up, set or reset");
	const char *action = argv[0];
	static const char *const actions[] = { "list", "down", "up", "set", "reset" };
	bool known = false;
	for (size_t i = 0; i < PI_ARRAY_LEN(actions); i++)
		known |= strcmp(action, actions[i]) == 0;
	if (!known)
		return pi_cli_usage_error("link", "unknown action '%s': use list, down, up, set or reset", action);
	if ((rc = pi_cli_backend(&c.b)))
		return rc;
	if ((rc = pi_cli_current_plan(cli, &c.b, &c.lab, &c.plan)) == 0) {
		if (strcmp(action, "list") == 0)
			rc = do_list(&c, argc - 1, argv + 1);
		else if (strcmp(action, "down") == 0 || strcmp(action, "up") == 0)
			rc = do_updown(&c, argc - 1, argv + 1, action[0] == 'u');
		else
			rc = do_shape(&c, argc - 1, argv + 1, strcmp(action, "reset") == 0);
	}
	pi_plan_free(c.plan);
	pi_lab_free(c.lab);
	pi_backend_close(&c.b);
	return rc;
}
