/* exec / shell / status: looking into a running lab. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "pocketinternet/apply.h"
#include "pocketinternet/docker.h"

/* The lab name from --lab, else from the lab file (loading only, no plan). */
static int lab_name_of(struct pi_cli *cli, const char *given, char *buf, size_t len)
{
	if (given) {
		snprintf(buf, len, "%s", given);
		return PI_EXIT_OK;
	}
	struct pi_diag diag;
	struct pi_lab *lab;
	pi_diag_init(&diag);
	const char *file = cli->lab_file ? cli->lab_file : pi_default_lab_file();
	int rc = pi_lab_load(file, cli->blueprint_dir, &lab, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	if (rc)
		return PI_EXIT_USAGE;
	snprintf(buf, len, "%s", lab->name);
	pi_lab_free(lab);
	return PI_EXIT_OK;
}

int pi_cmd_exec(struct pi_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "lab", required_argument, NULL, 'l' }, { NULL, 0, NULL, 0 } };
	const char *lab_opt = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "+c:l:", opts, NULL)) != -1) {
		if (c == 'c')
			cli->lab_file = optarg;
		else if (c == 'l')
			lab_opt = optarg;
		else
			return pi_cli_usage_error("exec", "bad option");
	}
	if (optind >= argc)
		return pi_cli_usage_error("exec", "missing NODE");
	const char *node = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind >= argc)
		return pi_cli_usage_error("exec", "missing the command to run (after --)");
	char lab[128], name[300];
	int rc = lab_name_of(cli, lab_opt, lab, sizeof(lab));
	if (rc)
		return rc;
	pi_container_name(lab, node, name, sizeof(name));
	struct pi_docker *d = pi_cli_docker();
	if (!d)
		return PI_EXIT_FAIL;
	struct pi_diag diag;
	struct pi_exec_result r;
	pi_diag_init(&diag);
	pi_exec_result_init(&r);
	rc = pi_docker_exec(d, name, (const char *const *)argv + optind, (size_t)(argc - optind), NULL, &r, &diag);
	if (rc) {
		pi_diag_print(&diag, stderr);
		if (rc == -ENOENT)
			fprintf(stderr, "  hint: is lab '%s' up and is '%s' one of its nodes? see 'pocketinternet status'\n",
				lab, node);
		rc = PI_EXIT_FAIL;
	} else {
		fwrite(pi_buf_str(&r.out), 1, r.out.len, stdout);
		fwrite(pi_buf_str(&r.err), 1, r.err.len, stderr);
		/* The command's own status, like ssh and docker exec. */
		rc = r.exit_code;
	}
	pi_exec_result_free(&r);
	pi_diag_free(&diag);
	pi_docker_free(d);
	return rc;
}

int pi_cmd_shell(struct pi_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "lab", required_argument, NULL, 'l' }, { NULL, 0, NULL, 0 } };
	const char *lab_opt = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "c:l:", opts, NULL)) != -1) {
		if (c == 'c')
			cli->lab_file = optarg;
		else if (c == 'l')
			lab_opt = optarg;
		else
			return pi_cli_usage_error("shell", "bad option");
	}
	if (optind + 1 != argc)
		return pi_cli_usage_error("shell", "give exactly one NODE");
	if (!isatty(0) || !isatty(1)) {
		fprintf(stderr, "pocketinternet shell: needs a terminal; use 'pocketinternet exec NODE -- CMD' in scripts\n");
		return PI_EXIT_USAGE;
	}
	char lab[128], name[300];
	int rc = lab_name_of(cli, lab_opt, lab, sizeof(lab));
	if (rc)
		return rc;
	pi_container_name(lab, argv[optind], name, sizeof(name));
	struct pi_docker *d = pi_cli_docker();
	if (!d)
		return PI_EXIT_FAIL;
	struct pi_diag diag;
	pi_diag_init(&diag);
	static const char *const sh[] = { "/bin/bash", "-l" };
	int exit_code = 0;
	rc = pi_docker_exec_tty(d, name, sh, 2, &exit_code, &diag);
	if (rc) {
		pi_diag_print(&diag, stderr);
		rc = PI_EXIT_FAIL;
	} else {
		rc = exit_code;
	}
	pi_diag_free(&diag);
	pi_docker_free(d);
	return rc;
}

/* ---- status ---- */

struct status_node {
	struct pi_container_info info;
	const char *state;
	struct pi_vec bgp; /* struct pi_bgp_state */
};

struct status_ctx {
	struct pi_docker *d;
	const struct pi_plan *plan;
	struct status_node *nodes;
};

static int status_one(void *ctx, size_t i)
{
	struct status_ctx *c = ctx;
	const struct pi_plan_node *n = &c->plan->nodes[i];
	struct status_node *sn = &c->nodes[i];
	char name[300];
	pi_container_name(c->plan->lab_name, n->name, name, sizeof(name));
	int irc = pi_docker_container_inspect(c->d, name, &sn->info, NULL);
	sn->state = irc == -ENOENT ? "absent" : irc ? "unknown" : sn->info.status;
	if (irc)
		sn->info.running = false;
	sn->bgp = (struct pi_vec)PI_VEC_INIT(struct pi_bgp_state);
	if (sn->info.running && (n->services & (PI_SVC_ROUTER | PI_SVC_RS))) {
		static const char *const birdc[] = { "birdc", "-s", PI_BIRD_CTL, "show", "protocols" };
		struct pi_exec_result r;
		pi_exec_result_init(&r);
		if (pi_docker_exec(c->d, sn->info.id, birdc, 5, NULL, &r, NULL) == 0)
			pi_bird_parse_protocols(pi_buf_str(&r.out), &sn->bgp);
		pi_exec_result_free(&r);
	}
	return 0;
}

int pi_cmd_status(struct pi_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'J' }, { NULL, 0, NULL, 0 } };
	bool as_json = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (c == 'c')
			cli->lab_file = optarg;
		else if (c == 'J')
			as_json = true;
		else
			return pi_cli_usage_error("status", "bad option");
	}
	if (optind < argc)
		return pi_cli_usage_error("status", "unexpected argument '%s'", argv[optind]);
	struct pi_lab *lab;
	struct pi_plan *plan;
	int rc = pi_cli_load_plan(cli, &lab, &plan);
	if (rc)
		return rc;
	struct pi_docker *d = pi_cli_docker();
	if (!d) {
		pi_plan_free(plan);
		pi_lab_free(lab);
		return PI_EXIT_FAIL;
	}
	struct pi_diag diag;
	pi_diag_init(&diag);
	json_t *jnodes = json_array(), *jsess = json_array(), *jres = json_array();
	unsigned running = 0, up = 0, answering = 0, resolvers = 0;
	/* Per node: container state, and for routers BIRD's view via birdc
	 * (exec API), 8 nodes at a time: one exec costs the engine most of a
	 * second when hundreds of containers run. */
	struct status_node *sn = pi_xcalloc(plan->n_nodes ? plan->n_nodes : 1, sizeof(*sn));
	struct status_ctx sc = { .d = d, .plan = plan, .nodes = sn };
	pi_pool_run(plan->n_nodes, 8, status_one, NULL, &sc, NULL);
	struct pi_vec *bgp = pi_xcalloc(plan->n_nodes ? plan->n_nodes : 1, sizeof(struct pi_vec));
	int *pids = pi_xcalloc(plan->n_nodes ? plan->n_nodes : 1, sizeof(int));
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		const struct pi_plan_node *n = &plan->nodes[i];
		running += sn[i].info.running;
		pids[i] = sn[i].info.running ? sn[i].info.pid : 0;
		bgp[i] = sn[i].bgp;
		json_array_append_new(jnodes, json_pack("{s:s, s:s, s:s, s:s, s:b}", "node", n->name, "pod",
							plan->pods[n->pod].name, "role", n->role, "state", sn[i].state,
							"running", sn[i].info.running));
	}
	free(sn);
	for (uint32_t k = 0; k < plan->n_sessions; k++) {
		const struct pi_plan_session *s = &plan->sessions[k];
		const char *st[2] = { "down", "down" };
		uint32_t ends[2] = { s->a, s->b };
		for (int e = 0; e < 2; e++)
			for (size_t j = 0; j < bgp[ends[e]].len; j++) {
				struct pi_bgp_state *b = pi_vec_at(&bgp[ends[e]], j);
				if (strcmp(b->name, s->name) == 0)
					st[e] = b->info[0] ? b->info : b->state;
			}
		bool est = strcmp(st[0], "Established") == 0 && strcmp(st[1], "Established") == 0;
		up += est;
		json_array_append_new(jsess, json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:b}", "name", s->name,
						       "a", plan->nodes[s->a].name, "b", plan->nodes[s->b].name,
						       "relationship", pi_rel_name(s->rel), "family", s->family,
						       "a_state", st[0], "b_state", st[1], "established", est));
	}
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		const struct pi_plan_node *n = &plan->nodes[i];
		if (!(n->services & PI_SVC_RESOLVER))
			continue;
		resolvers++;
		bool ok = false;
		if (pids[i]) {
			struct pi_prefix server;
			if (pi_prefix_is_set(&n->resolver4))
				server = pi_prefix_as_host(&n->resolver4);
			else
				pi_prefix_parse("127.0.0.1", &server);
			char q[300];
			snprintf(q, sizeof(q), "%s.", plan->tld);
			ok = pi_dns_probe(pids[i], &server, q, 6, 1500) == 0;
		}
		answering += ok;
		json_array_append_new(jres, json_pack("{s:s, s:b}", "node", n->name, "answers", ok));
	}
	if (as_json) {
		json_t *root = json_pack("{s:s, s:o, s:o, s:o, s:{s:i, s:i, s:i, s:i, s:i, s:i}}", "lab", plan->lab_name,
					 "nodes", jnodes, "sessions", jsess, "resolvers", jres, "summary", "nodes",
					 plan->n_nodes, "running", running, "sessions", plan->n_sessions, "established",
					 up, "resolvers", resolvers, "answering", answering);
		char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", text);
		free(text);
		json_decref(root);
	} else {
		printf("lab %s: %u/%u nodes running, %u/%u BGP sessions Established, %u/%u resolvers answer\n\n",
		       plan->lab_name, running, plan->n_nodes, up, plan->n_sessions, answering, resolvers);
		size_t i;
		json_t *v;
		printf("%-32s %-12s %-10s\n", "NODE", "ROLE", "STATE");
		json_array_foreach(jnodes, i, v) printf("%-32s %-12s %-10s\n", json_string_value(json_object_get(v, "node")),
						     json_string_value(json_object_get(v, "role")),
						     json_string_value(json_object_get(v, "state")));
		printf("\n%-36s %-9s %-42s %s\n", "BGP SESSION", "REL", "A", "B");
		json_array_foreach(jsess, i, v)
		{
			char a[80], b[80];
			snprintf(a, sizeof(a), "%s %s", json_string_value(json_object_get(v, "a")),
				 json_string_value(json_object_get(v, "a_state")));
			snprintf(b, sizeof(b), "%s %s", json_string_value(json_object_get(v, "b")),
				 json_string_value(json_object_get(v, "b_state")));
			printf("%-36s %-9s %-42s %s\n", json_string_value(json_object_get(v, "name")),
			       json_string_value(json_object_get(v, "relationship")), a, b);
		}
		printf("\n%-32s %s\n", "RESOLVER", "ANSWERS");
		json_array_foreach(jres, i, v) printf("%-32s %s\n", json_string_value(json_object_get(v, "node")),
						   json_is_true(json_object_get(v, "answers")) ? "yes" : "no");
		json_decref(jnodes);
		json_decref(jsess);
		json_decref(jres);
	}
	for (uint32_t i = 0; i < plan->n_nodes; i++)
		pi_vec_free(&bgp[i]);
	free(bgp);
	free(pids);
	pi_diag_free(&diag);
	pi_docker_free(d);
	rc = running == plan->n_nodes && up == plan->n_sessions && answering == resolvers ? PI_EXIT_OK : PI_EXIT_FAIL;
	pi_plan_free(plan);
	pi_lab_free(lab);
	return rc;
}
