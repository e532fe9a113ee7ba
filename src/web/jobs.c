/*
 * web/jobs: slow work (verify, the looking glass, paths, the lab's live
 * state, password hashing) on worker threads. The loop queues a job and
 * goes on; a worker runs it and moves it to the done list, then wakes the
 * loop with lws_cancel_service; the loop (EVENT_WAIT_CANCELLED) replies to
 * the client if it is still there. A job's wsi is only touched on the
 * service thread: a client that leaves sets it to NULL (http.c).
 */
#include <stdlib.h>
#include <string.h>
#include "web_int.h"

struct web_job *web_job_new(struct pi_web *w, struct lws *wsi, web_job_fn run, web_job_fn done)
{
	struct web_job *j = pi_xcalloc(1, sizeof(*j));
	j->w = w;
	j->wsi = wsi;
	j->run = run;
	j->done = done;
	j->status = 500;
	return j;
}

/* On the service thread. A request waiting for its job must outlive lws's
 * idle timeout (5 s): verify of a lab with failures runs longer. */
void web_job_queue(struct web_job *j)
{
	struct pi_web *w = j->w;
	if (j->wsi)
		lws_set_timeout(j->wsi, PENDING_TIMEOUT_USER_OK, WEB_JOB_TIMEOUT_S);
	pthread_mutex_lock(&w->lock);
	if (w->queue_tail)
		w->queue_tail->next = j;
	else
		w->queue = j;
	w->queue_tail = j;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void web_job_reply(struct web_job *j, int status, json_t *body)
{
	j->status = status;
	free(j->body);
	j->body = json_dumps(body, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	j->body_len = j->body ? strlen(j->body) : 0;
	json_decref(body);
}

static void *worker(void *arg)
{
	struct pi_web *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->queue && !atomic_load(&w->stop))
			pthread_cond_wait(&w->cond, &w->lock);
		if (atomic_load(&w->stop))
			break;
		struct web_job *j = w->queue;
		w->queue = j->next;
		if (!w->queue)
			w->queue_tail = NULL;
		pthread_mutex_unlock(&w->lock);
		j->run(j);
		pthread_mutex_lock(&w->lock);
		j->next = w->done;
		w->done = j;
		lws_cancel_service(w->ctx);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int web_jobs_start(struct pi_web *w, unsigned n)
{
	w->workers = pi_xcalloc(n, sizeof(pthread_t));
	for (; w->n_workers < n; w->n_workers++)
		if (pthread_create(&w->workers[w->n_workers], NULL, worker, w) != 0)
			return -EAGAIN;
	return 0;
}

static void job_free(struct web_job *j)
{
	free(j->body);
	free(j);
}

/* Waits for the workers (a running verify finishes first). */
void web_jobs_stop(struct pi_web *w)
{
	pthread_mutex_lock(&w->lock);
	atomic_store(&w->stop, 1);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (unsigned i = 0; i < w->n_workers; i++)
		pthread_join(w->workers[i], NULL);
	free(w->workers);
	w->workers = NULL;
	w->n_workers = 0;
}

/* Drops what was queued or done and never replied (after the context is
 * gone: closing connections still clears their jobs' wsi). */
void web_jobs_free(struct pi_web *w)
{
	for (struct web_job *j = w->queue, *next; j; j = next) {
		next = j->next;
		job_free(j);
	}
	for (struct web_job *j = w->done, *next; j; j = next) {
		next = j->next;
		job_free(j);
	}
	w->queue = w->queue_tail = w->done = NULL;
}

void web_jobs_collect(struct pi_web *w)
{
	pthread_mutex_lock(&w->lock);
	struct web_job *list = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->lock);
	for (struct web_job *j = list, *next; j; j = next) {
		next = j->next;
		if (j->done)
			j->done(j);
		if (j->wsi) {
			struct web_conn *c = lws_wsi_user(j->wsi);
			c->job = NULL;
			web_reply(j->wsi, c, j->status, "application/json", j->body, j->body_len);
			j->body = NULL;
		}
		job_free(j);
	}
}
