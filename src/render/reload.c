/*
 * render/reload: what a running node does when setup changes its files
 * (reconcile), as a shell script run inside the node. Pure.
 *
 * The router daemon's files are not here: apply reconfigures it over its
 * control socket. Unbound rereads its configuration and zones on SIGHUP.
 * Daemons that cannot reload (dnsmasq, lighttpd, tayga) are stopped; then
 * start.sh runs again, which starts what is not running, leaves the rest
 * alone, and reloads the files every start loads (hosts, resolv.conf, the
 * NAT44 table, addresses and static routes).
 */
#include <string.h>
#include "render_int.h"

struct reload_rule {
	const char *file;   /* a file name, or a directory ending in '/' */
	const char *daemon; /* its pid file is $RUN/<daemon>.pid */
	const char *signal; /* HUP: reloads; TERM: stopped, start.sh starts it again */
};

static const struct reload_rule rules[] = {
	{ "unbound.conf", "unbound", "HUP" }, { "root.hints", "unbound", "HUP" }, { "zones/", "unbound", "HUP" },
	{ "dnsmasq.conf", "dnsmasq", "TERM" }, { "lighttpd.conf", "lighttpd", "TERM" },
	{ "tayga.conf", "tayga", "TERM" },
};

static bool matches(const char *rule, const char *path)
{
	size_t n = strlen(rule);
	return rule[n - 1] == '/' ? strncmp(path, rule, n) == 0 : strcmp(path, rule) == 0;
}

/* Does any changed file fall under rule r? */
static bool rule_hit(size_t r, const char *const *changed, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (matches(rules[r].file, changed[i]))
			return true;
	return false;
}

static bool start_loads(const char *path)
{
	static const char *const files[] = { "hosts", "resolv.conf", "nft.conf", "start.sh" };
	for (size_t i = 0; i < PI_ARRAY_LEN(files); i++)
		if (strcmp(path, files[i]) == 0)
			return true;
	return false;
}

bool pi_render_reload_script(const struct pi_plan *plan, uint32_t node, const char *const *changed, size_t n,
			     struct pi_buf *out)
{
	bool any = false, done[PI_ARRAY_LEN(rules)] = { false };
	pi_buf_printf(out, "# reload of %s after its files changed (pocketinternet setup on a running lab)\n"
			   "RUN=/run/pocketinternet\nCONF=" PI_NODE_CONF_DIR "\n"
			   "sig() { [ -s \"$RUN/$1.pid\" ] && kill -\"$2\" \"$(cat \"$RUN/$1.pid\")\" 2>/dev/null; }\n"
			   "gone() { for i in 1 2 3 4 5 6 7 8 9 10; do sig \"$1\" 0 || return 0; sleep 0.2; done; }\n",
		      plan->nodes[node].name);
	for (size_t r = 0; r < PI_ARRAY_LEN(rules); r++) {
		if (done[r] || !rule_hit(r, changed, n))
			continue;
		for (size_t q = r; q < PI_ARRAY_LEN(rules); q++) /* one signal per daemon */
			done[q] |= strcmp(rules[q].daemon, rules[r].daemon) == 0;
		bool stop = strcmp(rules[r].signal, "TERM") == 0;
		pi_buf_printf(out, "sig %s %s%s%s\n", rules[r].daemon, rules[r].signal, stop ? "; gone " : "",
			      stop ? rules[r].daemon : "");
		any = true;
	}
	for (size_t i = 0; i < n; i++)
		any |= start_loads(changed[i]);
	pi_buf_puts(out, "exec sh \"$CONF/start.sh\"\n");
	return any;
}
