/* The runtime tests' fake Docker Engine on a unix socket, for the Docker
 * backend's exec_stream and terminal sessions without Docker. */
#ifndef PI_TEST_FAKE_ENGINE_H
#define PI_TEST_FAKE_ENGINE_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>
#include "docker_internal.h"

/* How the engine behaves, beside what the test's start function does. */
enum {
	FAKE_SLEEPER = 1 << 0,       /* a real process (pid) stands for the command */
	FAKE_REFUSE = 1 << 1,        /* the start is answered 409: c1 is not running */
	FAKE_REAP_ON_STATE = 1 << 2, /* the exec's inspect reaps the SLEEPER's process */
};

struct fake_engine;

/* Serves the hijacked start of exec e1 on connection c (its request head is
 * in start_head): fake_engine_upgrade, then the command's output. Runs on
 * the engine's thread: it never asserts, a client that hung up is no test
 * failure there. */
typedef void fake_engine_start_fn(struct fake_engine *e, int c);

struct fake_engine {
	int lfd;
	char dir[64], sock[100];
	pthread_t th;
	unsigned flags;
	fake_engine_start_fn *start;
	pthread_mutex_t lock;
	char create_body[1024]; /* of the exec create */
	char start_head[1024];  /* the exec start's request */
	char resizes[256];      /* "h=24&w=80;h=30&w=100;" */
	bool running, ended;
	pid_t pid;     /* FAKE_SLEEPER: a real process standing for the command */
	int exit_code; /* once ended */
	int child_sig; /* the signal that ended the SLEEPER's process */
};

/* Listens on a fresh socket and returns a client of it; the engine knows
 * container c1 and its exec e1. */
struct pi_docker *fake_engine_start(struct fake_engine *e, unsigned flags, fake_engine_start_fn *start);
/* Frees d, stops listening, kills a SLEEPER that did not end, removes the socket. */
void fake_engine_stop(struct fake_engine *e, struct pi_docker *d);

/* For the start function: writes s to c, whatever comes of it. */
void fake_engine_put(int c, const char *s);
/* Answers 101 with first (terminal bytes, or "") in the same write; running. */
void fake_engine_upgrade(struct fake_engine *e, int c, const char *first);
/* The command ended with code. */
void fake_engine_end(struct fake_engine *e, int code);

#endif
