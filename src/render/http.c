/*
 * render/http: lighttpd serving one page per web node.
 *
 * Why lighttpd: a small daemon with a short, readable configuration, in
 * Debian's base packages. The page names the pod and the node, and shows
 * the client's address through server-side includes (mod_ssi, part of the
 * lighttpd package: no CGI, no shell, no extra package), so a trainer can
 * see at once which anycast instance answered and whether NAT was on the
 * way. A <meta name="pocketinternet-node"> names the node for programs
 * (pi_http_get fills server_node from it).
 */
#include <stdio.h>
#include <string.h>
#include "render_int.h"

/* In Debian's base-passwd; the lighttpd package runs as it too. */
#define HTTP_USER "www-data"

static void render_http(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			struct pi_buf *conf, struct pi_buf *html)
{
	const struct pi_plan_node *me = pi_r_node(plan, node);
	const struct pi_plan_pod *pod = pi_r_pod(plan, node);
	char a[PI_PREFIX_STRLEN], fq[256], dom[256];

	pi_r_header(conf, "#", plan, node, "lighttpd configuration");
	pi_buf_puts(conf, "\nserver.modules = ( \"mod_ssi\" )\n");
	pi_buf_printf(conf, "server.document-root = \"%s/www\"\n", o->conf_dir);
	pi_buf_puts(conf, "server.port = 80\n");
	pi_buf_puts(conf, "# Every address of the node, IPv6 included (anycast addresses too).\n"
			  "server.bind = \"0.0.0.0\"\n$SERVER[\"socket\"] == \"[::]:80\" { }\n");
	pi_buf_printf(conf, "server.pid-file = \"%s/lighttpd.pid\"\n", o->run_dir);
	pi_buf_printf(conf, "server.errorlog = \"%s/lighttpd.log\"\n", o->log_dir);
	pi_buf_puts(conf, "# Root only to bind port 80 and write the pid file; the error log is opened\n"
			  "# after the switch, so start.sh gives it to this user first.\n");
	pi_buf_printf(conf, "server.username = \"%s\"\nserver.groupname = \"%s\"\n", HTTP_USER, HTTP_USER);
	pi_buf_printf(conf, "server.tag = \"pocketinternet %s\"\n", me->name);
	pi_buf_puts(conf, "index-file.names = ( \"index.html\" )\n");
	pi_buf_puts(conf, "mimetype.assign = ( \".html\" => \"text/html; charset=utf-8\" )\n");
	pi_buf_puts(conf, "# The page shows the client's address: index.html goes through mod_ssi.\n"
			  "ssi.extension = ( \".html\" )\n");

	const char *fqdn = me->fqdn ? pi_r_nodot(me->fqdn, fq, sizeof(fq)) : me->name;
	pi_buf_puts(html, "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n");
	/* Machine-readable: which node served the page, for `verify` to tell
	 * anycast instances apart (apply.h PI_HTTP_NODE_META). Node names are
	 * [a-z0-9-], nothing to escape; early, so the first 4 KiB hold it. */
	pi_buf_printf(html, "<meta name=\"pocketinternet-node\" content=\"%s\">\n", me->name);
	pi_buf_printf(html, "<title>%s</title>\n</head>\n<body>\n", fqdn);
	pi_buf_printf(html, "<h1>Hello from %s</h1>\n", pod->domain ? pi_r_nodot(pod->domain, dom, sizeof(dom)) : pod->name);
	pi_buf_puts(html, "<ul>\n");
	pi_buf_printf(html, "<li>pod: %s (AS %u)</li>\n", pod->name, pod->asn);
	pi_buf_printf(html, "<li>node: %s (%s)</li>\n", me->name, fqdn);
	if (pi_prefix_is_set(&me->anycast4) || pi_prefix_is_set(&me->anycast6)) {
		pi_buf_puts(html, "<li>anycast instance:");
		if (pi_prefix_is_set(&me->anycast4))
			pi_buf_printf(html, " %s", pi_r_addr(&me->anycast4, a));
		if (pi_prefix_is_set(&me->anycast6))
			pi_buf_printf(html, " %s", pi_r_addr(&me->anycast6, a));
		pi_buf_puts(html, "</li>\n");
	}
	pi_buf_puts(html, "<li>you are: <!--#echo var=\"REMOTE_ADDR\" --></li>\n");
	pi_buf_puts(html, "<li>you asked for: <!--#echo var=\"HTTP_HOST\" --></li>\n");
	pi_buf_puts(html, "</ul>\n");
	pi_buf_printf(html, "<p>Lab %s, built by pocketinternet.</p>\n</body>\n</html>\n",
		      plan->lab_name ? plan->lab_name : "?");
}

static void http_render(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			struct pi_render_set *out)
{
	struct pi_buf conf, html;
	pi_buf_init(&conf);
	pi_buf_init(&html);
	render_http(plan, node, o, &conf, &html);
	pi_render_set_add(out, "lighttpd.conf", &conf, 0644);
	pi_render_set_add(out, "www/index.html", &html, 0644);
	pi_buf_free(&conf);
	pi_buf_free(&html);
}

const struct pi_render_service pi_svc_http = {
	.name = "lighttpd",
	.svc = PI_SVC_HTTP,
	.render = http_render,
	.start_cmd = "lighttpd -f \"$CONF/lighttpd.conf\"",
	.pidfile = "$RUN/lighttpd.pid",
	.user = HTTP_USER,
	.log = "lighttpd.log",
};
