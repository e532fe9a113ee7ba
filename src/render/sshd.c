/*
 * render/sshd: the SSH server of a team's nodes (docs/security.md, "SSH per
 * team"). Every node of a pod some team owns gets sshd_config; start.sh
 * makes the node's host key inside the node (never on the host), an empty
 * authorized_keys, and runs sshd as a daemon. The node has no network but
 * the lab's (Docker NetworkMode none), so listening on every address is
 * listening on the lab only: a team's shell reaches its other nodes there.
 *
 * The way in from outside is `pocketinternet ssh-gateway`: it runs
 * `sshd -i -f <conf>/sshd_config` in the team's border router through the
 * backend's exec stream, so no network path joins the host and the lab.
 * The team's credentials are written into each of its nodes by apply
 * (sshkey.c): its public keys into authorized_keys under the run
 * directory, its password's hash as root's; other teams' nodes never hold
 * them and refuse them.
 */
#include "render_int.h"

static bool sshd_runs(const struct pi_plan *plan, uint32_t node)
{
	return plan->pods[plan->nodes[node].pod].team != NULL;
}

void pi_render_sshd_config(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o, struct pi_buf *b)
{
	pi_r_header(b, "#", plan, node, "sshd_config");
	pi_buf_printf(b, "# The SSH server of team %s: a daemon on the node's lab addresses (start.sh)\n"
			 "# and, on the border router, `sshd -i` run by pocketinternet ssh-gateway.\n",
		      plan->pods[plan->nodes[node].pod].team);
	pi_buf_puts(b, "Port 22\nAddressFamily any\nListenAddress 0.0.0.0\nListenAddress ::\n");
	pi_buf_printf(b, "HostKey %s/ssh/ssh_host_ed25519_key\n", o->run_dir);
	pi_buf_printf(b, "PidFile %s/sshd.pid\n", o->run_dir);
	pi_buf_puts(b, "\n# The team's keys (teams --ssh-key) and password (teams --ssh-password)\n"
		       "# alone, written in by pocketinternet; root's password is locked until then.\n");
	pi_buf_printf(b, "AuthorizedKeysFile %s/ssh/authorized_keys\n", o->run_dir);
	pi_buf_puts(b, "PubkeyAuthentication yes\nPasswordAuthentication yes\nPermitEmptyPasswords no\n"
		       "KbdInteractiveAuthentication no\nUsePAM no\n");
	pi_buf_puts(b, "# Students are root in their nodes: they edit the router's config and reload it.\n"
		       "PermitRootLogin yes\nAllowUsers root\n");
	pi_buf_puts(b, "\n# A shell and the agent (ssh -A, to hop to the team's other nodes); no\n"
		       "# tunnels that would carry other traffic through the gateway.\n"
		       "AllowAgentForwarding yes\nAllowTcpForwarding no\nAllowStreamLocalForwarding no\n"
		       "GatewayPorts no\nPermitTunnel no\nX11Forwarding no\nPermitUserEnvironment no\n");
	pi_buf_puts(b, "PrintMotd no\nLoginGraceTime 30\nMaxAuthTries 3\nClientAliveInterval 60\n");
}

static void sshd_render(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o,
			struct pi_render_set *out)
{
	struct pi_buf b;
	pi_buf_init(&b);
	pi_render_sshd_config(plan, node, o, &b);
	pi_render_set_add(out, "sshd_config", &b, 0644);
	pi_buf_free(&b);
}

static void sshd_start(const struct pi_plan *plan, uint32_t node, const struct pi_render_opts *o, struct pi_buf *b)
{
	(void)plan, (void)node, (void)o;
	pi_buf_puts(b, "\n# sshd (team access): the host key is made here, in the node, once per start.\n"
		       "if [ -x /usr/sbin/sshd ]; then\n"
		       "\tmkdir -p /run/sshd \"$RUN/ssh\" && chmod 0700 \"$RUN/ssh\" || fail \"cannot make sshd's directories\"\n"
		       "\t[ -s \"$RUN/ssh/ssh_host_ed25519_key\" ] ||\n"
		       "\t\tssh-keygen -q -t ed25519 -N '' -f \"$RUN/ssh/ssh_host_ed25519_key\" || fail \"cannot make the host key\"\n"
		       "\t[ -e \"$RUN/ssh/authorized_keys\" ] || install -m 0600 /dev/null \"$RUN/ssh/authorized_keys\"\n"
		       "\t# Without PAM, sshd refuses a locked (\"!\") account even its keys: \"*\" is no password.\n"
		       "\tcase \"$(getent shadow root | cut -d: -f2)\" in '!'*) usermod -p '*' root ;; esac\n");
	pi_r_start_daemon(b, "sshd", "$RUN/sshd.pid", "/usr/sbin/sshd -f \"$CONF/sshd_config\" -E \"$LOG/sshd.log\"");
	pi_buf_puts(b, "else\n\tlog \"note: no sshd in this image (rebuild it: pocketinternet image build)\"\nfi\n");
}

const struct pi_render_service pi_svc_sshd = {
	.name = "sshd",
	.runs = sshd_runs,
	.render = sshd_render,
	.start_lines = sshd_start,
};
