/*
 * pool: a bounded parallel for-loop. Setup creates, starts and wires
 * hundreds of independent things; the engine and the kernel do the work,
 * so a few threads waiting on sockets keep both cores busy.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include "pocketinternet/log.h"
#include "pocketinternet/util.h"

struct pool {
	size_t n;
	atomic_size_t next;
	size_t done;
	int first_err;
	pi_pool_fn fn;
	pi_pool_tick_fn tick;
	void *ctx;
	volatile int *cancel;
	pthread_mutex_t lock;
};

static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	for (;;) {
		if (p->cancel && *p->cancel)
			break;
		size_t i = atomic_fetch_add(&p->next, 1);
		if (i >= p->n)
			break;
		int rc = p->fn(p->ctx, i);
		pthread_mutex_lock(&p->lock);
		p->done++;
		if (rc && !p->first_err)
			p->first_err = rc;
		if (p->tick)
			p->tick(p->ctx, p->done, p->n);
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

int pi_pool_run(size_t n, unsigned threads, pi_pool_fn fn, pi_pool_tick_fn tick, void *ctx,
		volatile int *cancel)
{
	struct pool p = { .n = n, .fn = fn, .tick = tick, .ctx = ctx, .cancel = cancel };
	atomic_init(&p.next, 0);
	pthread_mutex_init(&p.lock, NULL);
	if (threads == 0)
		threads = 1;
	if (threads > n)
		threads = n ? (unsigned)n : 1;
	pthread_t tids[64];
	if (threads > PI_ARRAY_LEN(tids))
		threads = PI_ARRAY_LEN(tids);
	unsigned started = 0;
	/* The calling thread works too, so threads==1 spawns nothing. */
	for (unsigned t = 1; t < threads; t++) {
		if (pthread_create(&tids[started], NULL, pool_worker, &p) != 0)
			break;
		started++;
	}
	pool_worker(&p);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	pthread_mutex_destroy(&p.lock);
	if (cancel && *cancel && p.done < n)
		return -ECANCELED;
	return p.first_err;
}
