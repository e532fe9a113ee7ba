/*
 * web/capture: /api/v1/capture, packet captures started from the page.
 * apply captures in the background into a pcapng file that is valid at
 * every moment (<state dir>/web/captures/ID.pcapng), so it can be
 * downloaded while it runs. Starting and stopping go to a worker; the
 * counters are read on the loop. The files go when serve stops.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pocketinternet/apply.h"
#include "web_int.h"

#define CAPTURES_MAX 64

struct web_capture {
	struct web_capture *next;
	unsigned id;
	char node[128], iface[32], pod[64];
	char path[4300];
	struct pi_capture_job *job;
	bool stopping;
};

static json_t *capture_json(const struct web_capture *cap)
{
	struct pi_capture_job_stats st = { 0 };
	if (cap->job)
		pi_apply_capture_job_stats(cap->job, &st);
	return json_pack("{s:i, s:s, s:s?, s:b, s:I, s:I}", "id", (json_int_t)cap->id, "node", cap->node, "iface",
			 cap->iface[0] ? cap->iface : NULL, "running", st.running, "packets", (json_int_t)st.packets,
			 "bytes", (json_int_t)st.bytes);
}

static void start_run(struct web_job *j)
{
	struct web_capture *cap = j->out;
	struct pi_diag d;
	pi_diag_init(&d);
	if (pi_apply_capture_job_start(j->w->b, j->w->plan, cap->node, cap->iface[0] ? cap->iface : NULL,
				       j->arg[0][0] ? j->arg[0] : NULL, cap->path, &cap->job, &d) != 0) {
		const struct pi_diag_entry *e = d.entries.len ? pi_vec_at(&d.entries, 0) : NULL;
		cap->job = NULL;
		web_job_reply(j, 400, json_pack("{s:s, s:s?}", "error", e ? e->msg : "the capture could not start", "hint",
						e ? e->hint : NULL));
	} else {
		web_job_reply(j, 200, json_pack("{s:i}", "id", (json_int_t)cap->id));
	}
	pi_diag_free(&d);
}

static void start_done(struct web_job *j)
{
	struct web_capture *cap = j->out;
	if (!cap->job) {
		free(cap);
		return;
	}
	cap->next = j->w->captures;
	j->w->captures = cap;
}

static void stop_run(struct web_job *j)
{
	struct web_capture *cap = j->out;
	pi_apply_capture_job_stop(cap->job);
	web_job_reply(j, 200, capture_json(cap));
}

static void stop_done(struct web_job *j)
{
	((struct web_capture *)j->out)->stopping = false;
}

static int captures_dir(struct pi_web *w, char *path, size_t len)
{
	struct pi_diag d;
	pi_diag_init(&d);
	snprintf(path, len, "%s/web/captures", w->state_dir);
	bool created = false;
	int fd = pi_dir_open(path, PI_DIR_CREATE | PI_DIR_OWNED, &created, &d);
	if (fd >= 0) {
		if (created)
			fchmod(fd, 0700);
		close(fd);
	}
	pi_diag_free(&d);
	return fd < 0 ? fd : 0;
}

static void start(struct pi_web *w, struct lws *wsi, struct web_conn *c, const struct pi_web_account *a)
{
	struct pi_web_capture_req r;
	char dir[4200];
	if (pi_web_parse_capture(c->req ? c->req : "", c->req_len, &r) != 0 || !pi_web_name_ok(r.node) ||
	    (r.has_iface && !pi_web_name_ok(r.iface))) {
		web_reply_error(wsi, c, 400, "POST {\"node\": NODE, \"iface\": IFACE|null, \"filter\": FILTER|null}", NULL);
		return;
	}
	const char *pod = web_node_pod(w, r.node, NULL);
	unsigned n = 0;
	for (struct web_capture *x = w->captures; x; x = x->next)
		n++;
	const char *err = NULL, *hint = NULL;
	int status = 0;
	if (!pod)
		status = 404, err = "the lab has no such node";
	else if (!pi_web_may(a, PI_WEB_CAPTURE, pod))
		status = 403, err = "this account may not capture on this pod";
	else if (n >= CAPTURES_MAX)
		status = 503, err = "too many captures", hint = "stop and download some first";
	else if (captures_dir(w, dir, sizeof(dir)) != 0)
		status = 500, err = "cannot make the captures directory", hint = "check the lab's state directory";
	if (err) {
		web_reply_error(wsi, c, status, err, hint);
		return;
	}
	struct web_capture *cap = pi_xcalloc(1, sizeof(*cap));
	cap->id = w->next_capture++;
	snprintf(cap->node, sizeof(cap->node), "%s", r.node);
	snprintf(cap->iface, sizeof(cap->iface), "%s", r.has_iface ? r.iface : "");
	snprintf(cap->pod, sizeof(cap->pod), "%s", pod);
	snprintf(cap->path, sizeof(cap->path), "%s/%u.pcapng", dir, cap->id);
	struct web_job *j = web_job_new(w, wsi, start_run, start_done);
	j->out = cap;
	snprintf(j->arg[0], sizeof(j->arg[0]), "%s", r.has_filter ? r.filter : "");
	c->job = j;
	web_job_queue(j);
}

static void download(struct lws *wsi, struct web_conn *c, const struct web_capture *cap)
{
	unsigned char hdr[512], *p = hdr, *end = hdr + sizeof(hdr);
	char disp[256];
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s-%u.pcapng\"", cap->node, cap->id);
	if (lws_add_http_header_by_name(wsi, (const unsigned char *)"content-disposition:", (unsigned char *)disp,
					(int)strlen(disp), &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:", (const unsigned char *)"no-store", 8,
					&p, end) ||
	    lws_serve_http_file(wsi, cap->path, "application/vnd.tcpdump.pcap-ng", (char *)hdr, (int)(p - hdr)) < 0)
		web_reply_error(wsi, c, 500, "the capture file cannot be read", NULL);
}

void web_capture_route(struct pi_web *w, struct lws *wsi, struct web_conn *c, const struct pi_web_account *a)
{
	if (strcmp(c->uri, "/api/v1/capture") == 0) {
		if (c->post)
			start(w, wsi, c, a);
		else
			web_reply_error(wsi, c, 400, "POST /api/v1/capture starts one", NULL);
		return;
	}
	char *end;
	unsigned long id = strtoul(c->uri + strlen("/api/v1/capture/"), &end, 10);
	struct web_capture *cap = w->captures;
	while (cap && cap->id != id)
		cap = cap->next;
	if (!cap) {
		web_reply_error(wsi, c, 404, "no such capture", "POST /api/v1/capture starts one");
	} else if (!pi_web_may(a, PI_WEB_CAPTURE, cap->pod)) {
		/* Stats, stop and download alike: another team's capture is theirs. */
		web_reply_error(wsi, c, 403, "this account may not read captures on this pod", NULL);
	} else if (!*end && !c->post) {
		web_reply_json(wsi, c, 200, capture_json(cap));
	} else if (strcmp(end, "/stop") == 0 && c->post && !cap->stopping) {
		struct web_job *j = web_job_new(w, wsi, stop_run, stop_done);
		j->out = cap;
		cap->stopping = true;
		c->job = j;
		web_job_queue(j);
	} else if (strcmp(end, "/pcapng") == 0 && !c->post) {
		download(wsi, c, cap);
	} else {
		web_reply_error(wsi, c, 404, "no such API", "docs/web.md lists the API");
	}
}

/* At shutdown: every capture stopped and its file removed. */
void web_captures_free(struct pi_web *w)
{
	for (struct web_capture *cap = w->captures, *next; cap; cap = next) {
		next = cap->next;
		pi_apply_capture_job_stop(cap->job);
		pi_apply_capture_job_free(cap->job);
		unlink(cap->path);
		free(cap);
	}
	w->captures = NULL;
}
