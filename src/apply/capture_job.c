/*
 * capture_job: a capture running in the background into a pcapng file
 * (apply.h), for the web page: the capture machinery of capture.c on a
 * thread of its own. The header (SHB and IDBs) is written before the
 * thread starts and every packet block with one write(2) as it comes, so
 * the file's first file_bytes bytes are a whole pcapng file at any moment.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "apply_int.h"


struct pi_capture_job {
	struct pi_capture *cap;
	struct pi_pcap_writer w;
	int fd;
	pthread_t th;
	bool started, joined;
	volatile int cancel;
	int rc; /* pi_apply_capture_run's, once joined */
	pthread_mutex_t lock; /* guards st */
	struct pi_capture_job_stats st;
};

/* The writer's output: the file, counting what is whole in it. */
static int job_write(void *ctx, const void *data, size_t len)
{
	struct pi_capture_job *j = ctx;
	int rc = pi_pcap_write_fd(&j->fd, data, len);
	pthread_mutex_lock(&j->lock);
	if (!rc)
		j->st.file_bytes += len;
	pthread_mutex_unlock(&j->lock);
	return rc;
}

static int job_packet(void *ctx, const struct pi_capture_packet *p)
{
	struct pi_capture_job *j = ctx;
	int rc = pi_apply_capture_write_packet(&j->w, p);
	if (rc)
		return rc;
	pthread_mutex_lock(&j->lock);
	j->st.packets++;
	j->st.bytes += p->len;
	pthread_mutex_unlock(&j->lock);
	return 0;
}

static void *job_main(void *arg)
{
	struct pi_capture_job *j = arg;
	int rc = pi_apply_capture_run(j->cap, job_packet, j, NULL);
	pthread_mutex_lock(&j->lock);
	j->st.running = false;
	j->st.error = rc;
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

static struct pi_capture_job *job_new(void)
{
	struct pi_capture_job *j = pi_xcalloc(1, sizeof(*j));
	j->fd = -1;
	pthread_mutex_init(&j->lock, NULL);
	pi_buf_init(&j->w.buf);
	return j;
}

/* Opens path, writes the header, starts the thread: j owns cap from here. */
static int job_begin(struct pi_capture_job *j, const char *path, struct pi_diag *diag)
{
	j->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (j->fd < 0) {
		int e = errno;
		pi_diag_note(diag, NULL, "capture file %s: %s", path, strerror(e));
		return -e;
	}
	int rc = pi_apply_capture_writer_begin(j->cap, &j->w, false, job_write, j);
	if (rc) {
		pi_diag_note(diag, NULL, "capture file %s: %s", path, strerror(-rc));
		return rc;
	}
	j->st.running = true;
	if ((rc = pthread_create(&j->th, NULL, job_main, j))) {
		j->st.running = false;
		pi_diag_note(diag, NULL, "capture: cannot start its thread: %s", strerror(rc));
		return -rc;
	}
	j->started = true;
	return 0;
}

static int job_finish(struct pi_capture_job *j, int rc, struct pi_capture_job **out)
{
	if (rc) {
		pi_apply_capture_job_free(j);
		return rc;
	}
	*out = j;
	return 0;
}

int pi_apply_capture_job_start_targets(const struct pi_capture_target *t, size_t n, const char *filter,
				       const char *path, struct pi_capture_job **out, struct pi_diag *diag)
{
	*out = NULL;
	struct pi_capture_job *j = job_new();
	struct pi_capture_opts o = { .filter = filter, .cancel = &j->cancel };
	int rc = pi_apply_capture_open_targets(t, n, &o, &j->cap, diag);
	if (!rc)
		rc = job_begin(j, path, diag);
	return job_finish(j, rc, out);
}

int pi_apply_capture_job_start(struct pi_backend *b, const struct pi_plan *plan, const char *node, const char *iface,
			       const char *filter, const char *path, struct pi_capture_job **out, struct pi_diag *diag)
{
	*out = NULL;
	if (pi_plan_node_by_name(plan, node) == PI_NONE)
		return pi_apply_unknown_node(plan, node, diag);
	char spec[512];
	if (iface && iface[0])
		snprintf(spec, sizeof(spec), "%s:%s", node, iface);
	else
		snprintf(spec, sizeof(spec), "%s", node);
	const char *specs[] = { spec };
	struct pi_capture_job *j = job_new();
	struct pi_capture_opts o = { .filter = filter, .cancel = &j->cancel };
	int rc = pi_apply_capture_open(b, plan, specs, 1, &o, &j->cap, diag);
	if (!rc)
		rc = job_begin(j, path, diag);
	return job_finish(j, rc, out);
}

void pi_apply_capture_job_stats(const struct pi_capture_job *j, struct pi_capture_job_stats *st)
{
	struct pi_capture_job *m = (struct pi_capture_job *)j; /* the lock only */
	pthread_mutex_lock(&m->lock);
	*st = j->st;
	pthread_mutex_unlock(&m->lock);
}

int pi_apply_capture_job_stop(struct pi_capture_job *j)
{
	if (!j->started || j->joined)
		return j->rc;
	j->cancel = 1;
	pthread_join(j->th, NULL);
	j->joined = true;
	pthread_mutex_lock(&j->lock);
	j->rc = j->st.error;
	pthread_mutex_unlock(&j->lock);
	return j->rc;
}

void pi_apply_capture_job_free(struct pi_capture_job *j)
{
	if (!j)
		return;
	pi_apply_capture_job_stop(j);
	pi_apply_capture_close(j->cap);
	pi_pcap_writer_free(&j->w);
	if (j->fd >= 0)
		close(j->fd);
	pthread_mutex_destroy(&j->lock);
	free(j);
}
