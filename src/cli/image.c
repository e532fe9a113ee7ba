/*
 * image: builds or shows the node image every lab container runs. The work
 * is in the runtime module (pi_image_build); this file parses options and
 * prints progress with the elapsed time.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "pocketinternet/backend.h"

struct progress {
	bool quiet, details;
};

static void print_progress(void *ctx, enum pi_image_event ev, double elapsed_s, const char *text)
{
	const struct progress *p = ctx;
	switch (ev) {
	case PI_IMAGE_STEP:
		if (!p->quiet)
			printf("[%6.1fs] %s\n", elapsed_s, text);
		break;
	case PI_IMAGE_DETAIL:
		if (p->details)
			printf("[%6.1fs]     %s\n", elapsed_s, text);
		break;
	case PI_IMAGE_DONE:
		if (!p->quiet)
			printf("[%6.1fs] image %s is ready\n", elapsed_s, text);
		break;
	}
	fflush(stdout);
}

static int image_build(struct pi_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tag", required_argument, NULL, 't' },
		{ "base-from-debootstrap", no_argument, NULL, 'D' },
		{ "dockerfile", no_argument, NULL, 'F' },
		{ "mirror", required_argument, NULL, 'm' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct pi_image_opts o = { .base = PI_IMAGE_BASE_AUTO };
	struct progress p = { .quiet = cli->quiet, .details = !cli->quiet };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:f", opts, NULL)) != -1) {
		switch (c) {
		case 't': o.tag = optarg; break;
		case 'D': o.base = PI_IMAGE_BASE_DEBOOTSTRAP; break;
		case 'F': o.base = PI_IMAGE_BASE_REGISTRY; break;
		case 'm': o.mirror = optarg; break;
		case 'f': o.force = true; break;
		default: return pi_cli_usage_error("image", "unknown option");
		}
	}
	if (optind < argc)
		return pi_cli_usage_error("image", "unexpected argument '%s'", argv[optind]);
	o.progress = print_progress;
	o.ctx = &p;

	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_docker_image_build_default(&o, &diag);
	pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	return rc ? PI_EXIT_FAIL : PI_EXIT_OK;
}

static int image_status(struct pi_cli *cli, int argc, char **argv)
{
	(void)cli;
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1)
		if (c != 'f' || !pi_cli_format_json("image", optarg, &json))
			return c == 'f' ? PI_EXIT_USAGE : pi_cli_usage_error("image", "unknown option");
	if (argc - optind > 1)
		return pi_cli_usage_error("image", "status takes at most one TAG");
	const char *tag = optind < argc ? argv[optind] : pi_image_default_tag();
	struct pi_diag diag;
	struct pi_image_info info;
	pi_diag_init(&diag);
	int rc = pi_docker_image_status(tag, &info, &diag);
	if (json && (rc == 0 || rc == -ENOENT)) {
		json_t *j = json_pack("{s:s, s:b}", "tag", tag, "present", rc == 0);
		if (rc == 0)
			json_object_update_new(j, json_pack("{s:s, s:I, s:s}", "id", info.id, "size", (json_int_t)info.size,
							    "inputs_hash", info.hash_label));
		char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", text);
		free(text);
		json_decref(j);
	} else if (rc == 0)
		printf("%s: present, %s, %.0f MB, inputs hash %s\n", tag, info.id, (double)info.size / 1e6,
		       info.hash_label[0] ? info.hash_label : "(none)");
	else if (rc == -ENOENT)
		printf("%s: not built (run `pocketinternet image build`)\n", tag);
	else
		pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	return rc ? PI_EXIT_FAIL : PI_EXIT_OK;
}

int pi_cmd_image(struct pi_cli *cli, int argc, char **argv)
{
	if (pi_cli_wants_help(pi_cli_find("image"), argc, argv))
		return PI_EXIT_OK;
	if (argc < 2)
		return pi_cli_usage_error("image", "missing subcommand (build or status)");
	if (strcmp(argv[1], "build") == 0)
		return image_build(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return image_status(cli, argc - 1, argv + 1);
	return pi_cli_usage_error("image", "unknown subcommand '%s'", argv[1]);
}
