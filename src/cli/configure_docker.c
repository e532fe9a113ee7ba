/*
 * configure-docker: moves Docker's own networks (docker0 and the pools new
 * networks come from) out of the lab's address space by editing
 * /etc/docker/daemon.json, then restarts the engine so it takes effect.
 * The merge itself lives in the runtime module (pi_daemon_json_merge).
 */
#include <errno.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "pocketinternet/docker.h"

extern char **environ;

static const char restart_by_hand[] =
	"dockerd is not managed by systemd here; restart it so it reads the new file:\n"
	"  scripts/start-dockerd.sh --restart\n"
	"or by hand:\n"
	"  kill $(cat /var/run/docker.pid)   # then wait until dockerd has exited\n"
	"  nohup dockerd >/var/log/dockerd.log 2>&1 &\n";

/* Running lab containers would be stopped by an engine restart. */
static int running_lab_containers(void)
{
	struct pi_docker *d = NULL;
	struct pi_vec v = PI_VEC_INIT(struct pi_container_summary);
	int n = 0;
	if (pi_docker_new(NULL, &d, NULL) != 0)
		return 0;
	if (pi_docker_container_list(d, PI_LABEL_LAB, &v, NULL) == 0) {
		for (size_t i = 0; i < v.len; i++) {
			struct pi_container_summary *s = pi_vec_at(&v, i);
			if (strcmp(s->state, "running") == 0)
				n++;
		}
	}
	pi_vec_free(&v);
	pi_docker_free(d);
	return n;
}

static int restart_engine(void)
{
	struct stat st;
	if (stat("/run/systemd/system", &st) != 0) {
		fputs(restart_by_hand, stdout);
		return PI_EXIT_OK;
	}
	int running = running_lab_containers();
	if (running > 0) {
		printf("%d pocketinternet container%s running; restarting the engine would stop %s.\n"
		       "The engine was not restarted: run `pocketinternet teardown`, then `systemctl restart docker`.\n",
		       running, running == 1 ? " is" : "s are", running == 1 ? "it" : "them");
		return PI_EXIT_OK;
	}
	printf("restarting the engine: systemctl restart docker\n");
	fflush(stdout);
	/* systemctl is systemd's tool, not the docker CLI. */
	const char *argv[] = { "systemctl", "restart", "docker", NULL };
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], NULL, NULL, (char *const *)argv, environ);
	if (rc) {
		fprintf(stderr, "error: cannot run systemctl: %s\n  hint: run `systemctl restart docker` yourself\n",
			strerror(rc));
		return PI_EXIT_FAIL;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "error: `systemctl restart docker` failed\n"
				"  hint: see `journalctl -u docker`; the previous file is in the backup above\n");
		return PI_EXIT_FAIL;
	}
	/* Wait for the engine to answer again before saying it worked. */
	struct pi_docker *d = NULL;
	struct pi_diag diag;
	pi_diag_init(&diag);
	int ok = -1;
	if (pi_docker_new(NULL, &d, &diag) == 0) {
		for (int i = 0; i < 60 && ok != 0; i++) {
			pi_diag_free(&diag);
			pi_diag_init(&diag);
			ok = pi_docker_ping(d, &diag);
			if (ok)
				nanosleep(&(struct timespec){ 0, 500000000 }, NULL);
		}
	}
	if (ok) {
		pi_diag_print(&diag, stderr);
		fprintf(stderr, "error: the engine did not come back after the restart\n");
	} else {
		printf("the engine is back with the new settings\n");
	}
	pi_diag_free(&diag);
	pi_docker_free(d);
	return ok ? PI_EXIT_FAIL : PI_EXIT_OK;
}

int pi_cmd_configure_docker(struct pi_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "file", required_argument, NULL, 'f' },
		{ "no-restart", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool dry_run = false, no_restart = false, file_given = false;
	const char *path = PI_DAEMON_JSON;
	struct pi_lab *lab = NULL;
	struct pi_plan *plan = NULL;
	struct pi_diag diag;
	struct pi_daemon_json_result res = { 0 };
	char *text = NULL;
	int rc = PI_EXIT_OK, c;
	pi_diag_init(&diag);
	pi_buf_init(&res.changes);

	if (pi_cli_wants_help(pi_cli_find("configure-docker"), argc, argv))
		goto out;
	optind = 1;
	while ((c = getopt_long(argc, argv, "nf:", opts, NULL)) != -1) {
		switch (c) {
		case 'n': dry_run = true; break;
		case 'f': path = optarg; file_given = true; break;
		case 'R': no_restart = true; break;
		default:
			rc = pi_cli_usage_error("configure-docker", "unknown option");
			goto out;
		}
	}
	if (optind < argc) {
		rc = pi_cli_usage_error("configure-docker", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!dry_run && geteuid() != 0) {
		fprintf(stderr, "error: configure-docker rewrites %s and restarts the Docker engine\n"
				"  hint: run it as root (sudo pocketinternet configure-docker), or add --dry-run to see the result\n",
			path);
		rc = PI_EXIT_FAIL;
		goto out;
	}

	/* What Docker must stay out of: the reserved ranges and the lab's space,
	 * as the plan decides it (an original-format lab's space is not in its
	 * file), plus its anycast prefixes. */
	struct pi_prefix avoid[16];
	size_t n_avoid = 3;
	pi_daemon_json_reserved(avoid);
	const char *lab_desc = "the default lab space 10.0.0.0/8 and 2001:db8::/32";
	char v4s[PI_PREFIX_STRLEN], v6s[PI_PREFIX_STRLEN], descbuf[256];
	if (cli->lab_file_given) {
		int lrc = pi_cli_load_plan(cli, &lab, &plan);
		if (lrc) {
			rc = lrc;
			goto out;
		}
		const struct pi_prefix *cand[] = { &lab->v4, &lab->v6, &plan->v4, &plan->v6,
						   &plan->anycast4, &plan->anycast6 };
		for (size_t i = 0; i < PI_ARRAY_LEN(cand); i++)
			if (pi_prefix_is_set(cand[i]))
				avoid[n_avoid++] = *cand[i];
		snprintf(descbuf, sizeof(descbuf), "lab %s (%s, %s)", plan->lab_name ? plan->lab_name : cli->lab_file,
			 pi_prefix_is_set(&plan->v4) ? pi_prefix_fmt(&plan->v4, v4s) : "no IPv4",
			 pi_prefix_is_set(&plan->v6) ? pi_prefix_fmt(&plan->v6, v6s) : "no IPv6");
		lab_desc = descbuf;
	} else {
		pi_prefix_parse("10.0.0.0/8", &avoid[n_avoid++]);
		pi_prefix_parse("2001:db8::/32", &avoid[n_avoid++]);
	}

	int frc = pi_read_file(path, &text, NULL);
	if (frc && frc != -ENOENT) {
		fprintf(stderr, "error: cannot read %s: %s\n", path, strerror(-frc));
		rc = PI_EXIT_FAIL;
		goto out;
	}
	int mrc = pi_daemon_json_merge(path, text, avoid, n_avoid, &res, &diag);
	if (mrc) {
		pi_diag_print(&diag, stderr);
		rc = mrc == -EINVAL ? PI_EXIT_USAGE : PI_EXIT_FAIL;
		goto out;
	}

	FILE *info = dry_run ? stderr : stdout;
	if (!cli->quiet) {
		fprintf(info, "keeping Docker out of 10.0.0.0/8, 100.64.0.0/10, 172.16.0.0/12 and %s\n", lab_desc);
		if (res.changed) {
			fprintf(info, "%s%s:\n", dry_run ? "would change " : "changes to ", path);
			const char *p = pi_buf_str(&res.changes);
			while (*p) {
				const char *nl = strchr(p, '\n');
				size_t n = nl ? (size_t)(nl - p) : strlen(p);
				fprintf(info, "  %.*s\n", (int)n, p);
				p += n + (nl ? 1 : 0);
			}
		}
	}
	if (dry_run) {
		fputs(res.json, stdout);
		goto out;
	}
	if (!res.changed) {
		printf("%s already keeps Docker out of the lab's space; nothing to do\n", path);
		goto out;
	}
	char backup[4200];
	if (pi_daemon_json_write(path, res.json, backup, sizeof(backup), &diag) != 0) {
		pi_diag_print(&diag, stderr);
		rc = PI_EXIT_FAIL;
		goto out;
	}
	if (backup[0])
		printf("backup of the previous file: %s\n", backup);
	printf("wrote %s\n", path);
	if (no_restart || file_given) {
		printf("the engine was not restarted (%s); it reads the file when it next starts\n",
		       no_restart ? "--no-restart" : "--file given");
		goto out;
	}
	rc = restart_engine();
out:
	free(text);
	pi_daemon_json_result_free(&res);
	pi_diag_free(&diag);
	if (plan)
		pi_plan_free(plan);
	if (lab)
		pi_lab_free(lab);
	return rc;
}
