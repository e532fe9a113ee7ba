/* serve: the classroom in a browser (library: src/web, docs/web.md). */
#include <getopt.h>
#include <pthread.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "pocketinternet/web.h"

static struct pi_web *serving;
static struct pi_sshgw *gateway;

static void on_signal(int sig)
{
	(void)sig;
	if (serving)
		pi_web_stop(serving);
	if (gateway)
		pi_sshgw_stop(gateway);
}

struct serve_ssh {
	bool on;
	struct pi_sshgw_opts o;
};

static int parse(int argc, char **argv, struct pi_web_opts *o, struct serve_ssh *ssh, bool *json)
{
	static const struct option opts[] = { { "listen", required_argument, NULL, 'L' },
					      { "cert", required_argument, NULL, 'C' },
					      { "key", required_argument, NULL, 'K' },
					      { "format", required_argument, NULL, 'f' },
					      { "ssh", no_argument, NULL, 'S' },
					      { "ssh-base-port", required_argument, NULL, 'b' },
					      { NULL, 0, NULL, 0 } };
	int c, rc;
	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		if (c == 'S')
			ssh->on = true;
		else if (c == 'b' && (rc = pi_cli_sshgw_opt(c, optarg, &ssh->o)))
			return rc;
		else if (c == 'b')
			ssh->on = true;
		else if (c == 'L')
			o->listen = optarg;
		else if (c == 'C')
			o->cert = optarg;
		else if (c == 'K')
			o->key = optarg;
		else if (c != 'f' || !pi_cli_format_json("serve", optarg, json))
			return c == 'f' ? PI_EXIT_USAGE : pi_cli_usage_error("serve", "bad option");
	}
	if (optind < argc)
		return pi_cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
	if (!o->cert != !o->key)
		return pi_cli_usage_error("serve", "TLS needs both --cert FILE and --key FILE");
	return PI_EXIT_OK;
}

/* The URL, and the trainer's password the first time (its own line). */
static void announce(const struct pi_plan *plan, struct pi_web *w, const char *password, bool json)
{
	char url[300];
	pi_web_url(w, url, sizeof(url));
	if (json) {
		json_t *j = json_pack("{s:s, s:s, s:s?, s:s?}", "lab", plan->lab_name, "url", url, "user",
				      password[0] ? "trainer" : NULL, "password", password[0] ? password : NULL);
		char *t = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
		printf("%s\n", t);
		free(t);
		json_decref(j);
	} else {
		printf("serving lab %s at %s (Ctrl-C stops)\n", plan->lab_name, url);
		if (password[0])
			printf("a trainer account was made; this password is shown only once:\nuser: trainer\npassword: %s\n",
			       password);
	}
	fflush(stdout);
}

static void *gateway_main(void *arg)
{
	pi_sshgw_run(arg);
	return NULL;
}

static int serve(struct pi_backend *b, const struct pi_plan *plan, struct pi_web_opts *o, struct serve_ssh *ssh,
		 bool json)
{
	char state[4096], password[64];
	signal(SIGPIPE, SIG_IGN); /* a reader of our output may go (tests read the first lines only) */
	pi_state_dir(pi_state_root(), plan->lab_name, state, sizeof(state));
	o->state_dir = state;
	struct pi_diag diag;
	pi_diag_init(&diag);
	struct pi_web *w;
	int rc = pi_web_start(b, plan, o, &w, password, sizeof(password), &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	if (rc)
		return rc == -EINVAL ? PI_EXIT_USAGE : PI_EXIT_FAIL;
	announce(plan, w, password, json);
	memset(password, 0, sizeof(password));
	pthread_t th;
	struct pi_sshgw *g = NULL;
	if (ssh->on && (rc = pi_cli_sshgw_start(b, plan, &ssh->o, json, &g)) == 0 &&
	    pthread_create(&th, NULL, gateway_main, g) != 0)
		rc = PI_EXIT_FAIL;
	if (rc) {
		pi_sshgw_free(g);
		pi_web_free(w);
		return rc;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	gateway = g;
	serving = w;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rc = pi_web_run(w);
	serving = NULL;
	if (g) {
		pi_sshgw_stop(g);
		pthread_join(th, NULL);
		gateway = NULL;
		pi_sshgw_free(g);
	}
	pi_web_free(w);
	if (rc)
		fprintf(stderr, "pocketinternet serve: the server stopped: %s\n", strerror(-rc));
	return rc ? PI_EXIT_FAIL : PI_EXIT_OK;
}

int pi_cmd_serve(struct pi_cli *cli, int argc, char **argv)
{
	struct pi_web_opts o = { 0 };
	struct serve_ssh ssh = { 0 };
	bool json = false;
	int rc = parse(argc, argv, &o, &ssh, &json);
	struct pi_backend b;
	if (rc || (rc = pi_cli_backend(&b)))
		return rc;
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	if ((rc = pi_cli_current_plan(cli, &b, &lab, &plan)) == 0)
		rc = serve(&b, plan, &o, &ssh, json);
	pi_plan_free(plan);
	pi_lab_free(lab);
	pi_backend_close(&b);
	return rc;
}
