/*
 * web/events: the live state for /api/v1/events. While any page watches,
 * a poller thread reads node, link and session state and the incidents
 * every poll_ms; when the message differs from the last one it is kept
 * with a new generation and the loop is woken, which then writes it to
 * every watcher that has an older one. A new watcher gets the last at once.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pocketinternet/report.h"
#include "web_int.h"

static char *poll_once(struct pi_web *w)
{
	struct pi_diag d;
	struct pi_status st;
	struct pi_vec links = PI_VEC_INIT(struct pi_link_status), inc = PI_VEC_INIT(struct pi_incident);
	pi_diag_init(&d);
	int rc = pi_apply_status(w->b, w->plan, 8, &st, &d);
	pi_apply_link_list(w->b, w->plan, PI_NONE, &links, &d);
	pi_apply_incident_list(w->plan, NULL, &inc, &d);
	json_t *msg = json_pack("{s:s}", "type", "state");
	json_t *live = pi_report_live(w->plan, rc ? NULL : &st, &links, &inc);
	json_object_update(msg, live);
	json_decref(live);
	char *text = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(msg);
	if (!rc)
		pi_status_free(&st);
	pi_link_status_free(&links);
	pi_vec_free(&inc);
	pi_diag_free(&d);
	return text;
}

static void wait_ms(struct pi_web *w, unsigned ms)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&w->poll_cond, &w->lock, &t);
}

static void *poller(void *arg)
{
	struct pi_web *w = arg;
	pthread_mutex_lock(&w->lock);
	while (!atomic_load(&w->stop)) {
		if (!atomic_load(&w->watchers)) {
			pthread_cond_wait(&w->poll_cond, &w->lock);
			continue;
		}
		pthread_mutex_unlock(&w->lock);
		char *text = poll_once(w);
		pthread_mutex_lock(&w->lock);
		if (text && (!w->live || strcmp(text, w->live) != 0)) {
			free(w->live);
			w->live = text;
			w->live_gen++;
			lws_cancel_service(w->ctx);
		} else {
			free(text);
		}
		if (!atomic_load(&w->stop))
			wait_ms(w, w->poll_ms);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int web_events_start(struct pi_web *w)
{
	if (pthread_create(&w->poller, NULL, poller, w) != 0)
		return -EAGAIN;
	w->poller_started = true;
	return 0;
}

void web_events_stop(struct pi_web *w)
{
	if (!w->poller_started)
		return;
	pthread_mutex_lock(&w->lock);
	atomic_store(&w->stop, 1);
	pthread_cond_broadcast(&w->poll_cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->poller, NULL);
	w->poller_started = false;
	free(w->live);
	w->live = NULL;
}

int web_events_writeable(struct pi_web *w, struct lws *wsi, struct web_conn *c)
{
	pthread_mutex_lock(&w->lock);
	unsigned long gen = w->live_gen;
	size_t n = w->live && gen != c->sent_gen ? strlen(w->live) : 0;
	unsigned char *buf = n ? malloc(LWS_PRE + n) : NULL;
	if (buf)
		memcpy(buf + LWS_PRE, w->live, n);
	pthread_mutex_unlock(&w->lock);
	if (!buf)
		return 0;
	int rc = lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n ? -1 : 0;
	free(buf);
	c->sent_gen = gen;
	return rc;
}
