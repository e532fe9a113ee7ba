/*
 * cli: the command table and what every command shares (like iproute2's
 * ip/ip.c). main.c parses the global options, then dispatches argv from the
 * command name on to the handler. Each command lives in its own file.
 *
 * Exit codes (enum pi_exit): 0 success, 1 runtime failure, 2 usage or input
 * error. Commands print their own diagnostics; library layers never print.
 */
#ifndef POCKETINTERNET_CLI_H
#define POCKETINTERNET_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include "pocketinternet/lab.h"
#include "pocketinternet/apply.h"
#include "pocketinternet/plan.h"

enum pi_exit { PI_EXIT_OK = 0, PI_EXIT_FAIL = 1, PI_EXIT_USAGE = 2 };

struct pi_cli {
	const char *lab_file;      /* -c FILE, or the default lab */
	bool lab_file_given;
	const char *lab_name;      /* --lab NAME */
	const char *blueprint_dir; /* -B DIR, or the default */
	int verbose;               /* -v (repeatable) */
	bool quiet;                /* -q */
	/* Commands on a running lab set pinned: pi_cli_load_plan then builds
	 * the plan with the pins of the lab's state (plan.json), kept here. */
	bool pinned;
	struct pi_plan_pins *pins;
};

struct pi_command {
	const char *name;
	int (*run)(struct pi_cli *cli, int argc, char **argv); /* argv[0] is the command name */
	const char *summary; /* one line for `pocketinternet --help` */
	const char *usage;   /* full text for `pocketinternet CMD --help` */
};

/* Loads the lab and builds the plan, printing every diagnostic to stderr.
 * Returns PI_EXIT_OK with *lab and *plan set, or an exit code. */
int pi_cli_load_plan(struct pi_cli *cli, struct pi_lab **lab, struct pi_plan **plan);
/* True when argv has -h/--help before any "--"; prints the usage to stdout. */
bool pi_cli_wants_help(const struct pi_command *cmd, int argc, char **argv);
/* Prints "pocketinternet CMD: MSG" and the usage hint to stderr; returns PI_EXIT_USAGE. */
int pi_cli_usage_error(const char *cmd, const char *fmt, ...) PI_PRINTF(2, 3);
const struct pi_command *pi_cli_find(const char *name);
/* Opens the node backend (Docker; POCKETINTERNET_BACKEND names another),
 * printing why it cannot be used. PI_EXIT_OK or PI_EXIT_FAIL. */
struct pi_backend;
int pi_cli_backend(struct pi_backend *b);
/*
 * The lab a command on a running lab acts on: --lab NAME, else the lab of
 * -c FILE, else the one lab that runs (its lab file is then taken from
 * the nodes). With several running and neither given, lists them and asks
 * for --lab. With none running, the default lab file's lab when
 * default_when_none (teardown: a crash may have left its netns), else an
 * error. Writes the name into buf; PI_EXIT_OK or an exit code.
 */
int pi_cli_current_lab(struct pi_cli *cli, struct pi_backend *b, bool default_when_none, char *buf, size_t len);
/* pi_cli_current_lab, then loads and plans its lab file. */
int pi_cli_current_plan(struct pi_cli *cli, struct pi_backend *b, struct pi_lab **lab, struct pi_plan **plan);
/* The node by name; PI_NONE after printing the near matches. */
uint32_t pi_cli_find_node(const struct pi_plan *plan, const char *name);
/* Takes --format F / -f F / --format=F / --json from anywhere in argv
 * (a command with actions: link, incident) and drops argv[0], so argv then
 * starts at the action. PI_EXIT_OK or PI_EXIT_USAGE (printed). */
int pi_cli_take_format(const char *cmd, int *argc, char ***argv, bool *json);
/* "text" or "json" from --format; false (after printing) for anything else. */
bool pi_cli_format_json(const char *cmd, const char *arg, bool *json);
/* Positional arguments met by pi_cli_getopt: the first two, and how many. */
struct pi_cli_pos {
	const char *v[2];
	int n;
};
/* getopt_long that also takes options after positional arguments (check
 * red-isp --format json), collecting those in pos; -1 at the end of argv. */
int pi_cli_getopt(int argc, char **argv, const char *optstring, const struct option *opts, struct pi_cli_pos *pos);

/* The phase display of long steps (progress.c): one line per phase, redrawn
 * in place with a bar on a terminal, plain lines in logs. */
struct pi_cli_display {
	bool tty;
	bool quiet;
	enum pi_phase last;
	double phase_start;
	size_t last_done;
	char last_detail[256];
};
void pi_cli_display_init(struct pi_cli_display *d, bool quiet);
/* A pi_apply_progress_fn; ctx is a struct pi_cli_display. */
void pi_cli_show_progress(void *ctx, enum pi_phase phase, size_t done, size_t total, const char *detail);

/* Handlers: one file each in src/cli/; usage texts next to them. */
int pi_cmd_plan(struct pi_cli *cli, int argc, char **argv);
#define PI_PLAN_USAGE \
	"usage: pocketinternet [-c LAB.yml] plan [--format text|json|dot] [-o FILE]\n" \
	"\n" \
	"Expands the lab into its deterministic plan and prints it: a summary\n" \
	"(text), the full plan (json) or the AS-level graph for Graphviz (dot).\n" \
	"Needs neither root nor Docker.\n" \
	"\n" \
	"  -c FILE            lab file (also accepted before the command)\n" \
	"  -f, --format F     text (default), json or dot\n" \
	"  -o, --output FILE  write to FILE instead of stdout\n"
/* -- more handlers: declare them here -- */
int pi_cmd_node(struct pi_cli *cli, int argc, char **argv);
#define PI_NODE_USAGE \
	"usage: pocketinternet node stop|start|restart NODE [--timeout S] [--format text|json]\n" \
	"\n" \
	"Stops, starts or restarts one node of the running lab. Stopping it cuts\n" \
	"every link it has, as a power failure would: its neighbours' sessions go\n" \
	"down and the Internet routes around it. Starting it rewires its links,\n" \
	"sets its addresses and routes, starts its daemons, puts back link states\n" \
	"set with 'link', and waits until its BGP sessions are Established again.\n" \
	"Stopping a stopped node or starting a running one changes nothing.\n" \
	"\n" \
	"  -t, --timeout S    seconds to wait for its sessions (default 180)\n" \
	"  -f, --format F     text (default) or json\n"
int pi_cmd_attach(struct pi_cli *cli, int argc, char **argv);
#define PI_ATTACH_USAGE \
	"usage: pocketinternet attach NAME --asn N --speaker exabgp|gobgpd|frr|image\n" \
	"         (--ixp P | --customer-of P | --peer-of P | --provider-of P)\n" \
	"         [--image IMAGE [--command WORD]...] [--netns NS] [--prefix NET]...\n" \
	"         [--format text|json]\n" \
	"\n" \
	"Adds an external BGP speaker to the running lab: a node NAME-speaker1 of its\n" \
	"own AS N, dual-stack, as a member of IXP P (a route-server client) or as a\n" \
	"customer, peer or provider of pod P. The lab side is configured as for any\n" \
	"neighbour (sessions, max-prefix, filters by relationship and cone); the\n" \
	"speaker gets a starting configuration and a README in /config, writable.\n" \
	"Every other container keeps running as it was. The speaker is kept in the\n" \
	"lab's state: a later setup keeps it; 'detach NAME' removes it. See\n" \
	"docs/testing-bgp.md.\n" \
	"\n" \
	"  -a, --asn N         its AS number (no pod of the lab may have it)\n" \
	"  -s, --speaker S     exabgp, gobgpd or frr (in the node image), or image\n" \
	"      --ixp P         join IXP pod P         --customer-of P  buy transit from P\n" \
	"      --peer-of P     peer with P            --provider-of P  sell transit to P\n" \
	"  -i, --image IMAGE   with --speaker image: a local Docker image to run\n" \
	"  -C, --command WORD  its command, one word per option (default: the image's)\n" \
	"  -p, --prefix NET    a prefix it may announce besides the two the lab gives it\n" \
	"      --netns NS      wire it into network namespace NS (/run/netns/NS) that you\n" \
	"                      run on the host, instead of a container: one veth per\n" \
	"                      link, its addresses, no route anywhere else\n" \
	"  -f, --format F      text (default) or json\n"
int pi_cmd_detach(struct pi_cli *cli, int argc, char **argv);
#define PI_DETACH_USAGE \
	"usage: pocketinternet detach NAME [--format text|json]\n" \
	"\n" \
	"Removes an external speaker that 'attach' added from the running lab: its\n" \
	"node and its link go, its neighbour is reconfigured, every other container\n" \
	"keeps running as it was. A speaker listed in the lab file's external: is\n" \
	"removed by taking it out of the file and running setup.\n" \
	"\n" \
	"  -f, --format F      text (default) or json\n"
int pi_cmd_monitor(struct pi_cli *cli, int argc, char **argv);
#define PI_MONITOR_USAGE \
	"usage: pocketinternet monitor [--interval S] [--from NODES] [--to NODES] [--report FILE]\n" \
	"                              [--on-failure CMD] [--loss PCT] [--latency MS] [--format text|json]\n" \
	"\n" \
	"Watches the running lab's paths until Ctrl-C, natively from the host. Every\n" \
	"interval each pair (a vantage node and a target) is probed from inside the\n" \
	"vantage's network namespace: a traceroute, whose echoes at the target give\n" \
	"loss and RTT and whose hops give the path as pods; the AS path of the best\n" \
	"route at the vantage pod's border router; a DNS query of the target's name\n" \
	"through the vantage's resolver; an HTTP GET of a web target by name. Every\n" \
	"BGP session's state is read too. A failure is an event: loss over PCT, an\n" \
	"RTT over MS or 5 times the pair's baseline median, a path change, a session\n" \
	"going down, a name that stops resolving, an HTTP failure; with the last good\n" \
	"and first bad path and the BGP change that explains it; its recovery later.\n" \
	"Ctrl-C prints a summary (pairs, events, still open, RTT per pair).\n" \
	"\n" \
	"  -i, --interval S    seconds between rounds (default 5, at least 0.5)\n" \
	"  -F, --from NODES    vantage nodes or pods, comma-separated (default: one\n" \
	"                      subscriber of every stub pod, with IPv4 and IPv6 if any)\n" \
	"  -T, --to NODES      targets, nodes or pods (default: every web server and resolver)\n" \
	"  -r, --report FILE   append every event as a JSON line (fsync'd)\n" \
	"  -x, --on-failure CMD  run CMD (/bin/sh -c) with each failure's JSON on its stdin\n" \
	"  -l, --loss PCT      loss that is a failure (default 50)\n" \
	"  -L, --latency MS    RTT that is a failure (default: 5x the pair's baseline only)\n" \
	"  -n, --count N       stop after N rounds (default: at Ctrl-C)\n" \
	"  -f, --format F      text (default) or json: events as JSON lines on stdout\n"
int pi_cmd_verify(struct pi_cli *cli, int argc, char **argv);
#define PI_VERIFY_USAGE \
	"usage: pocketinternet verify [--only reach,dns,http,policy] [-j N] [--format text|json]\n" \
	"\n" \
	"Proves the running lab works, from the host and natively (nothing runs in\n" \
	"the nodes): every node with a routable address pings every other one over\n" \
	"IPv4 and IPv6 (raw ICMP from inside each source's network namespace);\n" \
	"every resolver resolves a sample of every zone through the pocket root,\n" \
	"and DNS64 answers an IPv6-only subscriber; every subscriber fetches every\n" \
	"web server's page by name over each family it has (NAT64 when IPv6-only)\n" \
	"and the CDN name from an anycast instance; every route in every router's\n" \
	"live RIB is checked to be valley-free, and\n" \
	"every planned BGP session to be Established at both ends. Failures come\n" \
	"first, each with what to look at; then the counts, what was excluded and\n" \
	"why, and a matrix of pods per family. Exit status 0 only when all passes.\n" \
	"\n" \
	"  -o, --only PARTS   some of reach, dns, http, policy (default: all there are)\n" \
	"  -j, --parallel N   sources probing at once (default 8)\n" \
	"  -f, --format F     text (default) or json: every failing pair\n"
int pi_cmd_incident(struct pi_cli *cli, int argc, char **argv);
#define PI_INCIDENT_USAGE \
	"usage: pocketinternet incident hijack ATTACKER VICTIM [--more-specific] [--filtered]\n" \
	"       pocketinternet incident leak POD [--filtered]\n" \
	"       pocketinternet incident session-down SESSION\n" \
	"       pocketinternet incident list\n" \
	"       pocketinternet incident clear [ID]\n" \
	"       (each also takes --format text|json)\n" \
	"\n" \
	"Stages the incidents the Internet is known for, through the router daemons\n" \
	"(a reconfigure, not a restart), and clears them again.\n" \
	"  hijack        the ATTACKER pod's border routers originate the VICTIM pod's\n" \
	"                prefixes (--more-specific: their two halves, which win by\n" \
	"                longest match). The attacker's neighbours forget to filter it\n" \
	"                unless --filtered, which shows what filtering stops.\n" \
	"  leak          POD passes routes learned from one provider or peer to its other\n" \
	"                providers and peers (neighbours accept them unless --filtered).\n" \
	"  session-down  takes a BGP session down at both ends (a name from\n" \
	"                'pocketinternet status'; POD/NAME for an iBGP session).\n" \
	"  list          the active incidents; clear ID (or all) undoes them.\n" \
	"Incidents are kept in the lab's state and survive node restarts.\n" \
	"See docs/operations.md for a worked example of each.\n"
int pi_cmd_link(struct pi_cli *cli, int argc, char **argv);
#define PI_LINK_USAGE \
	"usage: pocketinternet link list [NODE] [--format text|json]\n" \
	"       pocketinternet link down|up LINK\n" \
	"       pocketinternet link set LINK [--rate R] [--delay D] [--jitter J] [--loss P%]\n" \
	"                                    [--duplicate P%] [--corrupt P%] [--reorder P%] [--dir a|b|both]\n" \
	"       pocketinternet link reset LINK\n" \
	"\n" \
	"Operates the links of the running lab. LINK is a link's name as 'link list'\n" \
	"shows it (transit1-border1--transit2-border1, a LAN's bridge name), a node\n" \
	"pair a--b in either order, or NODE:IFACE for one port of a LAN.\n" \
	"down sets carrier down at every end, as a cut cable looks to BGP and OSPF;\n" \
	"up restores it. set shapes the link (tbf for a rate; netem, where the kernel\n" \
	"has it, for delay, jitter, loss, duplication, corruption and reordering);\n" \
	"reset removes the shaping. --dir a|b shapes only what end a (b) sends: ends\n" \
	"in the order 'link list' gives. See docs/operations.md.\n" \
	"\n" \
	"  -f, --format F     text (default) or json\n"
int pi_cmd_render(struct pi_cli *cli, int argc, char **argv);
#define PI_RENDER_USAGE \
	"usage: pocketinternet [-c LAB.yml] render -o DIR [--format text|json]\n" \
	"\n" \
	"Plans the lab and writes every node's files (bird.conf, unbound.conf, zone\n" \
	"files, dnsmasq.conf, nft.conf, tayga.conf, lighttpd.conf, resolv.conf,\n" \
	"hosts, start.sh) under DIR/<node>/, and the plan as DIR/plan.json.\n" \
	"Needs neither root nor Docker. See docs/render.md.\n" \
	"\n" \
	"  -c FILE            lab file (also accepted before the command)\n" \
	"  -o, --output DIR   where to write (yours, not group- or world-writable; see\n" \
	"                     docs/security.md)\n" \
	"  -f, --format F     text (default) or json: what was written\n"
int pi_cmd_setup(struct pi_cli *cli, int argc, char **argv);
#define PI_SETUP_USAGE \
	"usage: pocketinternet [-c LAB.yml] setup [-j N] [--timeout S] [--image TAG] [--no-build] [--keep-on-error]\n" \
	"                                         [--dry-run] [--verify] [--format text|json]\n" \
	"\n" \
	"Plans the lab, renders every node's configs into /var/lib/pocketinternet/<lab>/\n" \
	"(POCKETINTERNET_STATE overrides), builds the node image if it is missing,\n" \
	"creates one container per node (network mode none), wires links over\n" \
	"netlink, starts the daemons and waits until every planned BGP session is\n" \
	"Established and every resolver answers through the pocket root.\n" \
	"Run as root. On failure or Ctrl-C it removes what it made (unless\n" \
	"--keep-on-error).\n" \
	"\n" \
	"On a lab that runs, it applies only what changed in the lab file: new\n" \
	"nodes are created and wired, removed ones torn down, and the nodes that\n" \
	"stay keep their containers; where their files changed, their daemons are\n" \
	"reconfigured, not restarted. A lab already as its file says is left alone.\n" \
	"Numbers (ASNs, prefixes, addresses, names) of what runs stay as they are.\n" \
	"See docs/operations.md.\n" \
	"\n" \
	"  -j, --parallel N   engine/netlink work in parallel (default 8)\n" \
	"  -t, --timeout S    seconds to wait for convergence (default 180)\n" \
	"  -i, --image TAG    node image (default pocketinternet/node:<version>)\n" \
	"  -n, --no-build     fail instead of building a missing image\n" \
	"  -k, --keep-on-error  leave a failed lab in place for inspection\n" \
	"  -D, --dry-run      print what setup would change, and change nothing\n" \
	"  -v, --verify       once converged, run verify (reachability, DNS, HTTP,\n" \
	"                     policy) and report it; exit 1 when it fails\n" \
	"  -f, --format F     text (default) or json: the result as one JSON document\n"
int pi_cmd_teardown(struct pi_cli *cli, int argc, char **argv);
#define PI_TEARDOWN_USAGE \
	"usage: pocketinternet teardown [-c LAB.yml | --lab NAME | --all] [-j N] [--format text|json]\n" \
	"\n" \
	"Without -c, --lab or --all: the lab that runs, when exactly one does\n" \
	"(else the default lab file's lab).\n" \
	"Removes the lab's containers (found by label), its network namespace with\n" \
	"every bridge and veth, and its state directory. Works after a crash at any\n" \
	"point of setup and with no state on disk; running it twice is harmless.\n" \
	"It touches only objects named pi-<lab>... or labelled pocketinternet.lab.\n" \
	"\n" \
	"  -l, --lab NAME   the lab by name (no lab file needed)\n" \
	"  -a, --all        every pocketinternet lab on this host\n" \
	"  -j, --parallel N remove N nodes at a time (default 1: Debian 12's Docker\n" \
	"                   20.10 can deadlock handling two container exits at once)\n" \
	"  -f, --format F   text (default) or json\n"
int pi_cmd_status(struct pi_cli *cli, int argc, char **argv);
#define PI_STATUS_USAGE \
	"usage: pocketinternet [-c LAB.yml | --lab NAME] status [--format text|json]\n" \
	"\n" \
	"For each node whether it runs; for each planned BGP session its state at\n" \
	"both ends (from the router daemon's control socket); for each resolver\n" \
	"whether it answers through the pocket root. Every probe has a timeout.\n" \
	"Stopped nodes show as exited, their sessions as down; active incidents\n" \
	"(pocketinternet incident) are listed at the end.\n" \
	"Without -c or --lab: the lab that runs, when exactly one does.\n" \
	"Exit status 0 when everything is up, 1 otherwise.\n" \
	"\n" \
	"  -f, --format F   text (default) or json (--json is the same)\n"
int pi_cmd_exec(struct pi_cli *cli, int argc, char **argv);
#define PI_EXEC_USAGE \
	"usage: pocketinternet [-c LAB.yml | --lab NAME] exec NODE -- CMD [ARG...]\n" \
	"\n" \
	"Runs CMD in NODE through the backend (Docker's exec API). The arguments go\n" \
	"as an array, never through a shell. Output streams as CMD makes it (its\n" \
	"stdout to stdout, its stderr to stderr). When stdin is not a terminal it\n" \
	"is passed to CMD, and its end closes CMD's stdin (echo hi | ... exec N -- cat).\n" \
	"Ctrl-C sends CMD SIGINT and shows what it prints on the way out (ping's\n" \
	"summary); a second Ctrl-C sends SIGTERM, a third SIGKILL. Exits with CMD's\n" \
	"exit status (128+N when signal N ended it). Without -c or --lab: the lab\n" \
	"that runs, when exactly one does. For an interactive terminal: shell.\n"
int pi_cmd_shell(struct pi_cli *cli, int argc, char **argv);
#define PI_SHELL_USAGE \
	"usage: pocketinternet [-c LAB.yml | --lab NAME] shell NODE\n" \
	"\n" \
	"Opens an interactive login shell (bash) in NODE on a terminal of its own\n" \
	"that follows this one's size, and exits with the shell's status. Without\n" \
	"-c or --lab: the lab that runs, when exactly one does.\n"
int pi_cmd_labs(struct pi_cli *cli, int argc, char **argv);
#define PI_LABS_USAGE \
	"usage: pocketinternet labs [--format text|json]\n" \
	"\n" \
	"Lists the labs running on this host: name, lab file, nodes (running/all),\n" \
	"age and state (running, partial, stopped).\n" \
	"\n" \
	"  -f, --format F   text (default) or json\n"
int pi_cmd_configure_docker(struct pi_cli *cli, int argc, char **argv);
#define PI_CONFIGURE_DOCKER_USAGE \
	"usage: pocketinternet [-c LAB.yml] configure-docker [--dry-run] [--file PATH] [--no-restart]\n" \
	"                                                    [--force] [--format text|json]\n" \
	"\n" \
	"Sets \"bip\", \"default-address-pools\" and the IPv6 settings in Docker's\n" \
	"daemon.json to ranges outside 10.0.0.0/8, 100.64.0.0/10, 172.16.0.0/12,\n" \
	"the lab's address space (-c; without it the default 10.0.0.0/8 and\n" \
	"2001:db8::/32) and every route and interface address of the host (Docker's\n" \
	"own bridges aside), keeping every other key. Values already outside are\n" \
	"kept. Refuses a file with NUL bytes, invalid UTF-8 or duplicate keys, and\n" \
	"settings docker.service or the running dockerd already pass as flags.\n" \
	"Follows a symlink and keeps the file's BOM, owner, group and mode.\n" \
	"Writes PATH.bak-TIMESTAMP first, replaces the file atomically, then runs\n" \
	"`systemctl restart docker` (or says how to restart dockerd without systemd),\n" \
	"unless containers run: lab containers always block it, others unless the\n" \
	"engine has live-restore on. Needs root unless --dry-run.\n" \
	"\n" \
	"  -n, --dry-run   print the resulting JSON and change nothing\n" \
	"  -f, --file PATH edit PATH instead of /etc/docker/daemon.json (no restart)\n" \
	"  --no-restart    write the file but leave the engine running as it is\n" \
	"  --force         restart even though containers run (they are stopped)\n" \
	"  --format F      text (default) or json: the chosen ranges, file, backup\n" \
	"                  and what was decided about the restart\n"
int pi_cmd_image(struct pi_cli *cli, int argc, char **argv);
#define PI_IMAGE_USAGE \
	"usage: pocketinternet image build [--tag T] [--base-from-debootstrap|--dockerfile]\n" \
	"                                  [--mirror URL] [--force]\n" \
	"       pocketinternet image status [--format text|json] [TAG]\n" \
	"\n" \
	"build: builds the node image (default pocketinternet/node:VERSION) from\n" \
	"images/Dockerfile through the Engine API. Without a registry base image\n" \
	"(debian:bookworm-slim) it first makes pocketinternet/base:bookworm with\n" \
	"debootstrap, every package of images/packages.txt included (needs root).\n" \
	"\n" \
	"  -t, --tag T               tag of the node image\n" \
	"  --base-from-debootstrap   always use the debootstrap base\n" \
	"  --dockerfile              always use debian:bookworm-slim (pulled if absent)\n" \
	"  --mirror URL              Debian mirror for debootstrap (default: apt's)\n" \
	"  -f, --force               rebuild the base and the image even if up to date\n" \
	"\n" \
	"status: says whether the image exists and which inputs it was built from.\n"
int pi_cmd_capture(struct pi_cli *cli, int argc, char **argv);
#define PI_CAPTURE_USAGE \
	"usage: pocketinternet [-c LAB.yml | --lab NAME] capture WHAT [WHAT...] [-w FILE|-] [-f FILTER]\n" \
	"                      [-c COUNT] [--duration S] [-s SNAPLEN] [--pcap] [-q] [--format text|json]\n" \
	"\n" \
	"Captures packets in the running lab from the host, through each node's\n" \
	"network namespace (nothing runs in the node), and writes them as pcapng:\n" \
	"one interface per place captured, named NODE:IFACE, nanosecond times.\n" \
	"WHAT is NODE:IFACE, a NODE (all its interfaces), a link's name or a node\n" \
	"pair a--b (both ends), or a LAN's name (at its bridge: every frame once).\n" \
	"Every packet is written at once, so it streams:\n" \
	"  pocketinternet capture transit1-border1 | wireshark -k -i -\n" \
	"  pocketinternet capture broadband1-border1:to-transit1 -f 'icmp or icmp6' | tshark -l -r -\n" \
	"Ctrl-C ends it with a valid file. Progress goes to stderr.\n" \
	"\n" \
	"  -w FILE|-          write to FILE, or - for stdout (the default when stdout\n" \
	"                     is not a terminal)\n" \
	"  -f FILTER          pcap-filter(7) expression, as for tcpdump: 'icmp or icmp6'\n" \
	"  -c, --count N      stop after N packets (here -c is not the lab file: give\n" \
	"                     that before the command, or as --config FILE)\n" \
	"  -d, --duration S   stop after S seconds\n" \
	"  -s, --snaplen N    keep at most N bytes of each packet (default 262144)\n" \
	"  --pcap             classic pcap instead of pcapng (one interface only)\n" \
	"  -q, --quiet        no progress on stderr\n" \
	"  --format F         text (default) or json: the summary at the end (stdout,\n" \
	"                     or stderr when the capture goes to stdout)\n"

int pi_cmd_lg(struct pi_cli *cli, int argc, char **argv);
#define PI_LG_USAGE \
	"usage: pocketinternet [-c LAB.yml | --lab NAME] lg NODE [PREFIX|ADDRESS] [--format text|json]\n" \
	"       pocketinternet [-c LAB.yml | --lab NAME] lg NODE --sessions [--format text|json]\n" \
	"\n" \
	"A looking glass at a router of the running lab, read from its routing\n" \
	"daemon's control socket. With a PREFIX: the routes for that network; with\n" \
	"an ADDRESS: the routes of the best matching network; with neither: every\n" \
	"route. Each candidate shows its next hop, session and neighbour node, AS\n" \
	"path (with the pods' names), origin, local preference, MED and communities,\n" \
	"the lab's decoded: (ASN, 1, 1|2|3) = that AS learned it from a customer,\n" \
	"a peer (or route server) or a provider. The best route is marked '*'; every\n" \
	"other says the first criterion of the daemon's order on which the best one\n" \
	"wins, e.g. 'local preference 200 (customer) beats 100 (peer)'.\n" \
	"--sessions: the router's BGP sessions with their neighbour node, pod, ASN,\n" \
	"relationship, state and routes imported/exported/preferred.\n" \
	"See docs/observe.md.\n" \
	"\n" \
	"  -s, --sessions     the BGP sessions instead of routes\n" \
	"  -f, --format F     text (default) or json\n"

int pi_cmd_paths(struct pi_cli *cli, int argc, char **argv);
#define PI_PATHS_USAGE \
	"usage: pocketinternet [-c LAB.yml | --lab NAME] paths SRC DST [--max N] [--plan-only] [--format text|json]\n" \
	"\n" \
	"Every way from node SRC to node DST, and the one packets take:\n" \
	"  - every router-level simple path over the lab's links (a LAN is one hop\n" \
	"    between any two members; hosts and route servers forward nothing), the\n" \
	"    N shortest listed and all counted;\n" \
	"  - every AS-level path between their pods, marked 'allowed' where the routing\n" \
	"    policy lets a route travel it (valley-free: up through providers, at most\n" \
	"    one peering or IXP, down through customers);\n" \
	"  - the AS path BGP chose, from the RIB of SRC's pod's border router, and why\n" \
	"    it is not the shortest allowed one (local preference by relationship);\n" \
	"  - a traceroute from SRC, run from the host in SRC's network namespace,\n" \
	"    IPv4 and IPv6, each hop named by node, interface and pod.\n" \
	"A DST whose IPv4 address is behind CGNAT is traced to its gateway over IPv4.\n" \
	"See docs/observe.md.\n" \
	"\n" \
	"  -m, --max N        paths listed per level (default 20)\n" \
	"  --plan-only        only what the plan says: no running lab needed\n" \
	"  -f, --format F     text (default) or json\n"

int pi_cmd_trace(struct pi_cli *cli, int argc, char **argv);
#define PI_TRACE_USAGE \
	"usage: pocketinternet [-c LAB.yml | --lab NAME] trace SRC DST [-4|-6] [--ttl N] [--timeout MS]\n" \
	"                                                    [--format text|json]\n" \
	"\n" \
	"Sends one ICMP echo request from node SRC toward DST (a node: a router's\n" \
	"loopback, else its first address; or an address) and reports every node\n" \
	"and interface it crossed, in order, with the time since it was sent, and\n" \
	"where it stopped: delivered, no-route (a node had no route, a blackhole or\n" \
	"an unreachable route), ttl-expired, filtered, dropped (routed but never\n" \
	"left a node) or lost (left a node and arrived nowhere: a link down). The\n" \
	"reply and ICMP errors about the probe are shown on their way back too.\n" \
	"\n" \
	"It attaches BPF programs at tc ingress and egress of every interface of\n" \
	"every running node (a clsact qdisc and cls_bpf filters) for the trace only,\n" \
	"and removes them afterwards, also on Ctrl-C; what a killed trace left is\n" \
	"removed by the next one. Needs root, and a build with clang and libbpf.\n" \
	"Exit status 0 when the probe was delivered, 1 otherwise. See docs/observe.md.\n" \
	"\n" \
	"  -4, -6             address family (default: IPv4 when both ends have an\n" \
	"                     IPv4 address outside CGNAT space, else IPv6)\n" \
	"  -t, --ttl N        the probe's TTL / hop limit (default 64)\n" \
	"  -w, --timeout MS   how long to wait for its fate (default 2000)\n" \
	"  -f, --format F     text (default) or json\n"

int pi_cmd_serve(struct pi_cli *cli, int argc, char **argv);
#define PI_SERVE_USAGE \
	"usage: pocketinternet [-c LAB.yml | --lab NAME] serve [--listen ADDR:PORT] [--cert FILE --key FILE]\n" \
	"                                                      [--ssh [--ssh-base-port N]] [--format text|json]\n" \
	"\n" \
	"Serves the running lab to browsers: a map of the Internet coloured by live\n" \
	"session state, the verify matrix, the looking glass and paths, terminals\n" \
	"into nodes and packet captures, and the JSON API they use (docs/web.md).\n" \
	"Nothing is served without a login. The first time, a trainer account is\n" \
	"made and its password printed once, on a line starting with 'password: '.\n" \
	"An account per team is made too (`pocketinternet teams --passwords`).\n" \
	"Accounts are kept in the lab's state directory (web/accounts.json).\n" \
	"Ctrl-C or SIGTERM stops it; sessions and captures end with it.\n" \
	"\n" \
	"  --listen ADDR:PORT  where to listen (default 127.0.0.1:8080; [::1]:8080 for\n" \
	"                      IPv6). Another address exposes the lab to that network:\n" \
	"                      use --cert and --key there\n" \
	"  --cert FILE         TLS certificate (PEM), with --key: serve https\n" \
	"  --key FILE          its private key\n" \
	"  --ssh               also run the ssh-gateway (one port per team on\n" \
	"                      127.0.0.1, see `pocketinternet ssh-gateway --help`)\n" \
	"  --ssh-base-port N   its first port (default 2200; implies --ssh)\n" \
	"  -f, --format F      text (default) or json: the URL (and first password)\n" \
	"                      as one JSON line\n"

extern const struct pi_command pi_commands[];


/* Teams and exercise pods (docs/workshop.md): teams.c, save.c, check.c. */
int pi_cmd_teams(struct pi_cli *cli, int argc, char **argv);
#define PI_TEAMS_USAGE \
	"usage: pocketinternet [-c LAB.yml] teams [--passwords] [--reset-password TEAM]\n" \
	"                                         [--base-port N] [--format text|json]\n" \
	"       pocketinternet teams --ssh-key TEAM FILE.pub | --ssh-password TEAM\n" \
	"\n" \
	"Lists the lab's teams (its teams: section), the pods each owns, which of\n" \
	"them the students configure (configure: bgp or all), and how each team\n" \
	"logs in: a web account on `pocketinternet serve` named after the team,\n" \
	"and SSH with the team's key on its ssh-gateway port (docs/workshop.md).\n" \
	"\n" \
	"  --passwords          show the teams' web passwords (the accounts are made\n" \
	"                       when missing; kept 0600 in the lab's state directory)\n" \
	"  --reset-password T   a new web password for team T (a running serve takes\n" \
	"                       it at once; open sessions stay)\n" \
	"  --ssh-key T FILE     team T's public key(s): kept, and written into the\n" \
	"                       team's running nodes (its nodes only)\n" \
	"  --ssh-password T     team T logs in over SSH with its web password too\n" \
	"                       (its hash set as root's in the team's nodes only)\n" \
	"  --base-port N        the ssh-gateway's first port, to show (default 2200)\n" \
	"  -f, --format F       text (default) or json\n"
int pi_cmd_ssh_gateway(struct pi_cli *cli, int argc, char **argv);
#define PI_SSHGW_USAGE \
	"usage: pocketinternet [-c LAB.yml] ssh-gateway [--listen ADDR] [--base-port N]\n" \
	"                                               [--format text|json]\n" \
	"\n" \
	"SSH per team without touching the host's sshd: listens on one TCP port per\n" \
	"team (base + the team's place in `pocketinternet teams`) and runs, for each\n" \
	"connection, `sshd -i` inside the team's border router through the container\n" \
	"runtime, relaying the bytes; no network path joins the host and the lab.\n" \
	"The team logs in as root with its key (teams --ssh-key) or password\n" \
	"(teams --ssh-password) and reaches its\n" \
	"other nodes with `ssh -A` from there. Ctrl-C or SIGTERM stops it.\n" \
	"See docs/security.md.\n" \
	"\n" \
	"  --listen ADDR      the address to listen on (default 127.0.0.1)\n" \
	"  --base-port N      the first team's port (default 2200)\n" \
	"  -f, --format F     text (default) or json: the ports as one JSON line\n"
/* The gateway's start for ssh-gateway and serve --ssh: the kept keys
 * pushed, the ports bound and printed. A PI_EXIT_* code. */
int pi_cli_sshgw_start(struct pi_backend *b, const struct pi_plan *plan, const struct pi_sshgw_opts *o, bool json,
		       struct pi_sshgw **out);
/* --listen (c 'L') or --base-port (c 'b') into o. */
int pi_cli_sshgw_opt(int c, const char *arg, struct pi_sshgw_opts *o);
int pi_cmd_save(struct pi_cli *cli, int argc, char **argv);
#define PI_SAVE_USAGE \
	"usage: pocketinternet save POD|--team TEAM [-o DIR] [--format text|json]\n" \
	"       pocketinternet save --list [POD|--team TEAM] [--format text|json]\n" \
	"\n" \
	"Copies the current router configs (bird.conf) of the pod's routers, or of\n" \
	"every pod of the team, out of the running nodes into\n" \
	"<state>/saves/<lab>/<team or pod>/<UTC time>/<node>/. Every save is kept\n" \
	"(teardown keeps them too); --list shows them, oldest first.\n" \
	"\n" \
	"  -t, --team TEAM    every pod of the team (the save is named after it)\n" \
	"  -o, --output DIR   also copy the save to DIR/<node>/\n" \
	"      --list         list the saves instead\n" \
	"  -f, --format F     text (default) or json\n"
int pi_cmd_restore(struct pi_cli *cli, int argc, char **argv);
#define PI_RESTORE_USAGE \
	"usage: pocketinternet restore POD|--team TEAM [--from STAMP|DIR] [--format text|json]\n" \
	"\n" \
	"Puts a save back: writes each saved router config into its node and tells\n" \
	"the routing daemon to reread it (birdc configure). Works on a running lab,\n" \
	"also after teardown and setup. A stopped node reads it when it starts.\n" \
	"\n" \
	"  -t, --team TEAM    restore the team's save (else the pod's)\n" \
	"      --from X       a save's UTC stamp (see save --list) or a directory\n" \
	"                     holding <node>/bird.conf (default: the latest save)\n" \
	"  -f, --format F     text (default) or json\n"
int pi_cmd_reset(struct pi_cli *cli, int argc, char **argv);
#define PI_RESET_USAGE \
	"usage: pocketinternet reset POD|--team TEAM [--format text|json]\n" \
	"\n" \
	"Returns the pod's routers to the config the lab generates (the skeleton\n" \
	"for an exercise pod) and reconfigures their daemons. Save first if the\n" \
	"team's work should be kept.\n" \
	"\n" \
	"  -t, --team TEAM    every pod of the team\n" \
	"  -f, --format F     text (default) or json\n"
int pi_cmd_check(struct pi_cli *cli, int argc, char **argv);
#define PI_CHECK_USAGE \
	"usage: pocketinternet check POD|--team TEAM|--all [--format text|json]\n" \
	"\n" \
	"Grades exercise pods of the running lab against what their generated\n" \
	"config would achieve: every planned eBGP session Established, exports to\n" \
	"peers and providers no bigger than the pod's cone, local preference by\n" \
	"relationship (customer > peer > provider), routes from customers and peers\n" \
	"within their cones (import filters), the pod's prefixes in the RIBs\n" \
	"of its neighbours and of every transit AS, reachability to and from the\n" \
	"pod's nodes (IPv4 and IPv6), and no route leaked through the pod. Each item\n" \
	"passes or fails with a hint. Exit status 0 only when every item passes.\n" \
	"\n" \
	"  -t, --team TEAM    every pod of the team\n" \
	"  -a, --all          every exercise pod (the trainer's view)\n" \
	"  -f, --format F     text (default) or json (for an autograder)\n"

#endif
