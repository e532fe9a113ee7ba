/* Shared by the live Engine tests (suite 'docker'): the engine, a running
 * node container n1 of a lab of their own, and the Docker backend on it. */
#ifndef PI_TEST_LIVE_ENGINE_H
#define PI_TEST_LIVE_ENGINE_H

#include <stdbool.h>
#include "docker_internal.h"

extern struct pi_docker *live_dk;
extern struct pi_backend live_be; /* open once live_setup_all passed */
extern char live_lab[64];         /* "pitest<pid>" */

/* Opens the engine and names the lab; false, said on stderr, when no engine
 * answers: the test is skipped then (exit 77). */
bool live_engine_open(void);
void live_engine_close(void);
/* Group setup: the node image (built when missing), n1 created and started
 * with the lab's labels, the backend opened. Teardown removes n1. */
int live_setup_all(void **state);
int live_teardown_all(void **state);

#endif
