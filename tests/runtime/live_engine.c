/*
 * The live Engine tests' common part: the engine they skip without, and the
 * one running container (node n1 of lab "pitest<pid>", labelled as the
 * Docker backend labels its nodes) they run their commands and terminals in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>
#include "live_engine.h"

struct pi_docker *live_dk;
struct pi_backend live_be;
char live_lab[64];
static char cid[PI_DOCKER_ID_LEN];

bool live_engine_open(void)
{
	struct pi_diag diag;
	pi_diag_init(&diag);
	if (pi_docker_open(NULL, &live_dk, &diag) != 0) {
		pi_diag_print(&diag, stderr);
		fprintf(stderr, "no Docker engine: skipped\n");
		pi_diag_free(&diag);
		return false;
	}
	pi_diag_free(&diag);
	snprintf(live_lab, sizeof(live_lab), "pitest%ld", (long)getpid());
	return true;
}

void live_engine_close(void)
{
	pi_docker_free(live_dk);
}

int live_setup_all(void **state)
{
	(void)state;
	struct pi_diag diag;
	pi_diag_init(&diag);
	int rc = pi_image_ensure(live_dk, NULL, NULL, &diag);
	char name[128];
	snprintf(name, sizeof(name), "pi-%s-n1", live_lab); /* the Docker backend's name for (lab, n1) */
	const struct pi_docker_kv labels[] = { { PI_LABEL_LAB, live_lab }, { PI_LABEL_NODE, "n1" } };
	struct pi_container_spec s = { .name = name, .image = pi_image_default_tag(), .hostname = "n1",
				       .labels = labels, .n_labels = 2, .init = true };
	if (rc >= 0)
		rc = pi_docker_container_create(live_dk, &s, cid, &diag);
	if (rc >= 0)
		rc = pi_docker_container_start(live_dk, cid, &diag);
	if (rc >= 0)
		rc = pi_backend_open(&live_be, &pi_backend_docker, &diag);
	if (rc < 0)
		pi_diag_print(&diag, stderr);
	pi_diag_free(&diag);
	return rc < 0 ? -1 : 0;
}

int live_teardown_all(void **state)
{
	(void)state;
	if (cid[0])
		pi_docker_container_remove(live_dk, cid, NULL);
	pi_backend_close(&live_be);
	return 0;
}
