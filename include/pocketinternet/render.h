/*
 * render: plan in, text out. Pure: no I/O, no clock, no randomness. Each
 * node gets a set of files, written by the CLI under DIR/<node>/ and bind-
 * mounted read-only into the node's container by the backend.
 *
 * Paths inside a node's set are relative and mirror where the file is used
 * in the container, under /etc/pocketinternet/ (see docs/render.md):
 *   bird.conf, unbound.conf, zones/<zone>.zone, dnsmasq.conf, nft.conf,
 *   tayga.conf, www/index.html, lighttpd.conf, resolv.conf, hosts,
 *   start.sh (run by the backend to start the node's daemons).
 */
#ifndef POCKETINTERNET_RENDER_H
#define POCKETINTERNET_RENDER_H

#include "plan.h"
#include "util.h"

/* Where a node's rendered directory is mounted inside its container. */
#define PI_NODE_CONF_DIR "/etc/pocketinternet"

struct pi_render_file {
	char *path; /* relative to the node's directory, owned */
	char *data; /* owned, NUL-terminated */
	size_t len;
	unsigned mode; /* 0644 or 0755 */
};

struct pi_render_set {
	struct pi_vec files; /* struct pi_render_file */
};

void pi_render_set_init(struct pi_render_set *s);
void pi_render_set_free(struct pi_render_set *s);
/* Adds a file, taking ownership of buf's contents (buf is reset). */
void pi_render_set_add(struct pi_render_set *s, const char *path, struct pi_buf *buf, unsigned mode);

/* Every file one node needs. */
void pi_render_node(const struct pi_plan *plan, uint32_t node, struct pi_render_set *out);

/* Per-daemon renderers; each appends to out. Nodes that do not run the
 * daemon produce nothing. */
void pi_render_bird(const struct pi_plan *plan, uint32_t node, struct pi_buf *out);
void pi_render_unbound(const struct pi_plan *plan, uint32_t node, struct pi_buf *out);
void pi_render_zone(const struct pi_plan *plan, uint32_t zone, struct pi_buf *out);
void pi_render_dnsmasq(const struct pi_plan *plan, uint32_t node, struct pi_buf *out);
void pi_render_nft(const struct pi_plan *plan, uint32_t node, struct pi_buf *out);
void pi_render_tayga(const struct pi_plan *plan, uint32_t node, struct pi_buf *out);
void pi_render_http(const struct pi_plan *plan, uint32_t node, struct pi_buf *conf, struct pi_buf *index_html);
void pi_render_resolv(const struct pi_plan *plan, uint32_t node, struct pi_buf *out);
void pi_render_hosts(const struct pi_plan *plan, uint32_t node, struct pi_buf *out);
void pi_render_start(const struct pi_plan *plan, uint32_t node, struct pi_buf *out);

/* Writes every node's files under dir/<node>/ plus dir/plan.json. 0 or -errno;
 * on error *failed_path names the file (static buffer). This is the only
 * function of the module that does I/O. */
int pi_render_write_all(const struct pi_plan *plan, const char *dir, const char **failed_path);

#endif
