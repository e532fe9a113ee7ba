/*
 * render/speaker: the starting configuration of an external speaker (a
 * lab's `external:`; docs/testing-bgp.md, "Bring your own speaker").
 *
 * The files go under config/ in the node's set; apply writes them only
 * when absent and mounts that directory read-write at PI_SPEAKER_DIR, so
 * they are the tester's to edit from the first start on. Each names the
 * speaker's neighbours (its sessions in the plan, dual-stack) and
 * announces the pod's aggregates and the entry's extra prefixes. The lab
 * side is an ordinary pod's neighbour: bird.c renders it.
 */
#include <stdio.h>
#include <string.h>
#include "render_int.h"

struct spk_nb {
	char local[PI_PREFIX_STRLEN], peer[PI_PREFIX_STRLEN];
	uint8_t family;
	uint32_t peer_as;
	const char *session, *peer_node;
	enum pi_rel rel; /* what the neighbour is to the speaker */
};

/* The speaker's sessions from its side, in plan order. */
static size_t spk_neighbours(const struct pi_plan *plan, uint32_t node, struct spk_nb *out, size_t max)
{
	const struct pi_plan_node *me = &plan->nodes[node];
	size_t n = 0;
	for (uint32_t i = 0; i < me->n_session_idx && n < max; i++) {
		const struct pi_plan_session *s = &plan->sessions[me->session_idx[i]];
		bool a = s->a == node;
		uint32_t peer = a ? s->b : s->a;
		struct spk_nb *nb = &out[n++];
		pi_r_addr(a ? &s->a_addr : &s->b_addr, nb->local);
		pi_r_addr(a ? &s->b_addr : &s->a_addr, nb->peer);
		nb->family = s->family;
		nb->peer_as = plan->pods[plan->nodes[peer].pod].asn;
		nb->session = s->name;
		nb->peer_node = plan->nodes[peer].name;
		nb->rel = a ? s->rel : pi_rel_invert(s->rel);
	}
	return n;
}

#define SPK_MAX_NB 64

/* Not pi_r_header: these files are the tester's to edit. */
static void spk_header(struct pi_buf *b, const char *cmt, const struct pi_plan *plan, uint32_t node, const char *what)
{
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	pi_buf_printf(b, "%s %s for external speaker %s (AS %u) of lab %s.\n", cmt, what, pod->name, pod->asn,
		      plan->lab_name);
	pi_buf_printf(b, "%s Written by pocketinternet when missing; yours to edit (see README).\n", cmt);
}

/* The prefixes the speaker announces in one family (index i; false past the end). */
static const struct pi_prefix *spk_prefix(const struct pi_plan_pod *pod, uint8_t family, uint32_t i)
{
	const struct pi_prefix *own = family == PI_AF_V4 ? &pod->v4 : &pod->v6;
	if (pi_prefix_is_set(own) && i-- == 0)
		return own;
	for (uint32_t k = 0; k < pod->n_extra; k++)
		if (pod->extra[k].family == family && i-- == 0)
			return &pod->extra[k];
	return NULL;
}

static void spk_router_id(const struct pi_plan *plan, uint32_t node, const struct spk_nb *nb, size_t n, char *buf)
{
	const struct pi_plan_node *me = &plan->nodes[node];
	if (pi_prefix_is_set(&me->lo4)) {
		pi_r_addr(&me->lo4, buf);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (nb[i].family == PI_AF_V4) {
			snprintf(buf, PI_PREFIX_STRLEN, "%s", nb[i].local);
			return;
		}
	snprintf(buf, PI_PREFIX_STRLEN, "192.0.2.%u", node % 250 + 1); /* IPv6-only: any unique id */
}

static const char *rel_word(enum pi_rel r)
{
	switch (r) {
	case PI_REL_CUSTOMER: return "your customer";
	case PI_REL_PEER: return "your peer";
	case PI_REL_PROVIDER: return "your provider";
	case PI_REL_RS: return "the IXP route server";
	default: return pi_rel_name(r);
	}
}

/* ---- exabgp ---- */

static void render_exabgp(const struct pi_plan *plan, uint32_t node, const struct spk_nb *nb, size_t n,
			  struct pi_buf *b)
{
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	char rid[PI_PREFIX_STRLEN], px[PI_PREFIX_STRLEN];
	spk_router_id(plan, node, nb, n, rid);
	spk_header(b, "#", plan, node, "exabgp.conf");
	for (size_t i = 0; i < n; i++) {
		bool v6 = nb[i].family == PI_AF_V6;
		pi_buf_printf(b, "\n# %s: %s (%s, AS %u)\nneighbor %s {\n", nb[i].session, nb[i].peer_node,
			      rel_word(nb[i].rel), nb[i].peer_as, nb[i].peer);
		pi_buf_printf(b, "\trouter-id %s;\n\tlocal-address %s;\n\tlocal-as %u;\n\tpeer-as %u;\n", rid,
			      nb[i].local, pod->asn, nb[i].peer_as);
		pi_buf_printf(b, "\tfamily {\n\t\t%s unicast;\n\t}\n\tstatic {\n", v6 ? "ipv6" : "ipv4");
		const struct pi_prefix *p;
		for (uint32_t k = 0; (p = spk_prefix(pod, nb[i].family, k)); k++)
			pi_buf_printf(b, "\t\troute %s next-hop self;\n", pi_r_net(p, px));
		pi_buf_puts(b, "\t}\n}\n");
	}
}

/* ---- gobgpd ---- */

static void render_gobgpd(const struct pi_plan *plan, uint32_t node, const struct spk_nb *nb, size_t n,
			  struct pi_buf *b)
{
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	char rid[PI_PREFIX_STRLEN];
	spk_router_id(plan, node, nb, n, rid);
	spk_header(b, "#", plan, node, "gobgpd.toml");
	pi_buf_puts(b, "# Its routes are added by announce.sh over the gobgp CLI.\n");
	pi_buf_printf(b, "\n[global.config]\n  as = %u\n  router-id = \"%s\"\n", pod->asn, rid);
	for (size_t i = 0; i < n; i++) {
		bool v6 = nb[i].family == PI_AF_V6;
		pi_buf_printf(b, "\n# %s: %s (%s)\n[[neighbors]]\n  [neighbors.config]\n", nb[i].session, nb[i].peer_node,
			      rel_word(nb[i].rel));
		pi_buf_printf(b, "    neighbor-address = \"%s\"\n    peer-as = %u\n", nb[i].peer, nb[i].peer_as);
		pi_buf_printf(b, "  [neighbors.transport.config]\n    local-address = \"%s\"\n", nb[i].local);
		pi_buf_printf(b, "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"%s\"\n",
			      v6 ? "ipv6-unicast" : "ipv4-unicast");
	}
}

static void render_gobgp_announce(const struct pi_plan *plan, uint32_t node, struct pi_buf *b)
{
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	char px[PI_PREFIX_STRLEN];
	pi_buf_puts(b, "#!/bin/sh\n");
	spk_header(b, "#", plan, node, "announce.sh");
	pi_buf_puts(b, "# The routes gobgpd announces (its configuration file holds none). Run\n"
		       "# once gobgpd answers; running it again adds nothing new.\n"
		       "i=0\nuntil gobgp global >/dev/null 2>&1; do\n"
		       "\ti=$((i + 1)); [ $i -gt 50 ] && { echo \"gobgpd does not answer\" >&2; exit 1; }\n"
		       "\tsleep 0.2\ndone\n");
	for (int f = 0; f < 2; f++) {
		uint8_t family = f ? PI_AF_V6 : PI_AF_V4;
		const struct pi_prefix *p;
		for (uint32_t k = 0; (p = spk_prefix(pod, family, k)); k++)
			pi_buf_printf(b, "gobgp global rib add -a %s %s\n", f ? "ipv6" : "ipv4", pi_r_net(p, px));
	}
}

/* ---- FRR (bgpd alone, without zebra) ---- */

static void frr_af(const struct pi_plan_pod *pod, const struct spk_nb *nb, size_t n, uint8_t family, struct pi_buf *b)
{
	char px[PI_PREFIX_STRLEN];
	const struct pi_prefix *p;
	pi_buf_printf(b, " !\n address-family %s unicast\n", family == PI_AF_V6 ? "ipv6" : "ipv4");
	for (uint32_t k = 0; (p = spk_prefix(pod, family, k)); k++)
		pi_buf_printf(b, "  network %s\n", pi_r_net(p, px));
	for (size_t i = 0; i < n; i++)
		if (nb[i].family == family)
			pi_buf_printf(b, "  neighbor %s activate\n", nb[i].peer);
	pi_buf_puts(b, " exit-address-family\n");
}

static void render_frr(const struct pi_plan *plan, uint32_t node, const struct spk_nb *nb, size_t n,
		       struct pi_buf *b)
{
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	char rid[PI_PREFIX_STRLEN];
	spk_router_id(plan, node, nb, n, rid);
	spk_header(b, "!", plan, node, "frr.conf");
	pi_buf_printf(b, "frr defaults traditional\nhostname %s\n!\nrouter bgp %u\n bgp router-id %s\n",
		      plan->nodes[node].name, pod->asn, rid);
	/* No zebra: the networks are announced without a route behind them. */
	pi_buf_puts(b, " no bgp ebgp-requires-policy\n no bgp network import-check\n no bgp default ipv4-unicast\n");
	for (size_t i = 0; i < n; i++) {
		pi_buf_printf(b, " neighbor %s remote-as %u\n neighbor %s description %s %s\n", nb[i].peer, nb[i].peer_as,
			      nb[i].peer, nb[i].session, nb[i].peer_node);
		pi_buf_printf(b, " neighbor %s update-source %s\n", nb[i].peer, nb[i].local);
		/* A route server does not put its AS in the path. */
		if (nb[i].rel == PI_REL_RS)
			pi_buf_printf(b, " no neighbor %s enforce-first-as\n", nb[i].peer);
	}
	frr_af(pod, nb, n, PI_AF_V4, b);
	frr_af(pod, nb, n, PI_AF_V6, b);
	pi_buf_puts(b, "exit\n!\n");
}

/* ---- README ---- */

static const char *reload_line(enum pi_speaker s)
{
	switch (s) {
	case PI_SPEAKER_EXABGP:
		return "kill -USR1 $(cat " PI_NODE_RUN_DIR "/exabgp.pid)    # exabgp re-reads exabgp.conf";
	case PI_SPEAKER_GOBGPD:
		return "kill -HUP $(cat " PI_NODE_RUN_DIR "/gobgpd.pid)    # gobgpd re-reads gobgpd.toml; routes: sh "
		       PI_SPEAKER_DIR "/announce.sh or the gobgp CLI";
	case PI_SPEAKER_FRR:
		return "vtysh -f " PI_SPEAKER_DIR "/frr.conf && vtysh -c 'clear bgp * soft'";
	case PI_SPEAKER_IMAGE:
		break;
	}
	return "restart your image's process (the starting configurations here are examples)";
}

static void render_readme(const struct pi_plan *plan, uint32_t node, const struct spk_nb *nb, size_t n,
			  struct pi_buf *b)
{
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	char v4[PI_PREFIX_STRLEN], v6[PI_PREFIX_STRLEN];
	pi_buf_printf(b, "External speaker %s (AS %u, %s) of lab %s.\n\n", pod->name, pod->asn,
		      pi_speaker_name(pod->speaker), plan->lab_name);
	if (pod->netns) {
		pi_buf_printf(b, "It is network namespace %s of the host, which you run: pocketinternet wired\n"
				 "its links and addresses and started nothing there. These files (on the host,\n"
				 "in the lab's state directory, %s/%s/) are examples for what you run.\n\n",
			      pod->netns, plan->nodes[node].name, PI_SPEAKER_SUBDIR);
	} else {
		pi_buf_printf(b, "Reload: %s\n\n", reload_line(pod->speaker));
		pi_buf_printf(b, "This directory is %s inside the node, writable: your edits stay; pocketinternet\n"
				 "writes a file here only when it is missing.\n\n",
			      PI_SPEAKER_DIR);
	}
	pi_buf_printf(b, "Your prefixes: %s %s", pi_r_net(&pod->v4, v4), pi_r_net(&pod->v6, v6));
	for (uint32_t k = 0; k < pod->n_extra; k++)
		pi_buf_printf(b, " %s", pi_r_net(&pod->extra[k], v4));
	pi_buf_puts(b, "\n(the lab accepts these from you where your relationship lets it).\n\nNeighbours:\n");
	for (size_t i = 0; i < n; i++)
		pi_buf_printf(b, "  %-40s %s AS %u from %s (%s)\n", nb[i].peer, nb[i].peer_node, nb[i].peer_as, nb[i].local,
			      rel_word(nb[i].rel));
}

/* ---- the service entry ---- */

static void speaker_render(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			   struct pi_render_set *out)
{
	(void)o;
	struct spk_nb nb[SPK_MAX_NB];
	size_t n = spk_neighbours(plan, node, nb, SPK_MAX_NB);
	enum pi_speaker sp = pi_r_pod(plan, node)->speaker;
	bool all = sp == PI_SPEAKER_IMAGE; /* examples for whatever the image runs */
	struct pi_buf b;
	pi_buf_init(&b);
	render_readme(plan, node, nb, n, &b);
	pi_render_set_add(out, PI_SPEAKER_SUBDIR "/README", &b, 0644);
	if (all || sp == PI_SPEAKER_EXABGP) {
		render_exabgp(plan, node, nb, n, &b);
		pi_render_set_add(out, PI_SPEAKER_SUBDIR "/exabgp.conf", &b, 0644);
	}
	if (all || sp == PI_SPEAKER_GOBGPD) {
		render_gobgpd(plan, node, nb, n, &b);
		pi_render_set_add(out, PI_SPEAKER_SUBDIR "/gobgpd.toml", &b, 0644);
		render_gobgp_announce(plan, node, &b);
		pi_render_set_add(out, PI_SPEAKER_SUBDIR "/announce.sh", &b, 0755);
	}
	if (all || sp == PI_SPEAKER_FRR) {
		render_frr(plan, node, nb, n, &b);
		pi_render_set_add(out, PI_SPEAKER_SUBDIR "/frr.conf", &b, 0644);
	}
	pi_buf_free(&b);
}

static void speaker_start(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			  struct pi_buf *b)
{
	(void)o;
	if (pi_r_pod(plan, node)->netns)
		return; /* the tester's namespace: nothing of ours runs there */
	switch (pi_r_pod(plan, node)->speaker) {
	case PI_SPEAKER_EXABGP:
		/* The named pipes exabgpcli talks through, where exabgp looks for them. */
		pi_buf_puts(b, "mkdir -p /run/exabgp && for p in in out; do [ -p /run/exabgp/exabgp.$p ] || "
			       "mkfifo -m 600 /run/exabgp/exabgp.$p; done || fail \"exabgp's pipes\"\n");
		pi_r_start_daemon(b, "exabgp", "$RUN/exabgp.pid",
				  "env exabgp.daemon.daemonize=true exabgp.daemon.pid=\"$RUN/exabgp.pid\" "
				  "exabgp.daemon.user=root exabgp.log.destination=\"$LOG/exabgp.log\" "
				  "exabgp " PI_SPEAKER_DIR "/exabgp.conf");
		break;
	case PI_SPEAKER_GOBGPD:
		pi_r_start_daemon(b, "gobgpd", "$RUN/gobgpd.pid",
				  "{ gobgpd -f " PI_SPEAKER_DIR "/gobgpd.toml -p --api-hosts=127.0.0.1:50051 "
				  ">> \"$LOG/gobgpd.log\" 2>&1 & echo $! > \"$RUN/gobgpd.pid\"; } && "
				  "sh " PI_SPEAKER_DIR "/announce.sh");
		break;
	case PI_SPEAKER_FRR:
		pi_r_start_daemon(b, "bgpd", "$RUN/bgpd.pid",
				  "mkdir -p /var/run/frr && /usr/lib/frr/bgpd -d -Z -S -n -f " PI_SPEAKER_DIR
				  "/frr.conf -i \"$RUN/bgpd.pid\" --log file:\"$LOG/bgpd.log\"");
		break;
	case PI_SPEAKER_IMAGE:
		break; /* the image's own command runs it; start.sh is not run there */
	}
}

static bool speaker_runs(const struct pi_plan *plan, uint32_t node)
{
	return (plan->nodes[node].services & PI_SVC_SPEAKER) != 0;
}

const struct pi_render_service pi_svc_speaker = {
	.name = "speaker",
	.svc = PI_SVC_SPEAKER,
	.runs = speaker_runs,
	.render = speaker_render,
	.start_lines = speaker_start,
};
