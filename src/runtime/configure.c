/*
 * configure: the library side of `pocketinternet configure-docker`. It is
 * careful with the host: Docker's ranges avoid every prefix the host
 * already routes (not only the lab's), the file is read once and refused
 * when dockerd would choke on it or on its merge (NUL bytes, bad UTF-8,
 * duplicate keys, a setting also passed as a dockerd flag), and the engine
 * is not restarted under running containers it would stop.
 */
#include <dirent.h>
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "docker_internal.h"
#include "pocketinternet/netlink.h"

extern char **environ;

static const struct pi_pos nopos = { NULL, 0, 0 };

/* ---- the host's routes ---- */

bool pi_docker_is_own_bridge(const char *dev)
{
	if (strcmp(dev, "docker0") == 0 || strcmp(dev, "docker_gwbridge") == 0)
		return true;
	if (strncmp(dev, "br-", 3) != 0 || strlen(dev) != 15)
		return false;
	return strspn(dev + 3, "0123456789abcdef") == 12;
}

void pi_docker_host_avoid(const struct pi_nl_route_prefix *routes, size_t n, struct pi_vec *out)
{
	for (size_t i = 0; i < n; i++) {
		/* Docker's own networks move with the new settings; a default
		 * route covers everything and so is no clash. */
		if (routes[i].prefix.len == 0 || pi_docker_is_own_bridge(routes[i].dev))
			continue;
		*(struct pi_prefix *)pi_vec_push(out) = routes[i].prefix;
	}
}

static int host_routes(const struct pi_docker_configure_opts *o, struct pi_vec *out, struct pi_diag *diag)
{
	if (o->routes_given) {
		pi_docker_host_avoid(o->routes, o->n_routes, out);
		return 0;
	}
	struct pi_vec routes = PI_VEC_INIT(struct pi_nl_route_prefix);
	struct pi_nl *nl = NULL;
	int rc = pi_nl_open(&nl);
	if (!rc)
		rc = pi_nl_route_prefixes(nl, &routes);
	if (rc)
		pi_diag_add(diag, nopos, "Docker's ranges must avoid the host's routes; check that netlink works here",
			    "cannot read the host's routing table: %s", nl ? pi_nl_strerror(nl) : strerror(-rc));
	else
		pi_docker_host_avoid(routes.data, routes.len, out);
	pi_nl_close(nl);
	pi_vec_free(&routes);
	return rc;
}

/* ---- dockerd flags set elsewhere ---- */

static const struct {
	const char *key, *flag;
} key_flags[] = {
	{ "bip", "--bip" },
	{ "default-address-pools", "--default-address-pool" },
	{ "ipv6", "--ipv6" },
	{ "fixed-cidr-v6", "--fixed-cidr-v6" },
	{ "fixed-cidr", "--fixed-cidr" },
};

/* The flag of a key in keys that arg sets ("--bip" or "--bip=..."), or NULL. */
static const char *flag_of(const char *arg, size_t len, const char *const *keys, size_t n_keys)
{
	for (size_t k = 0; k < n_keys; k++)
		for (size_t i = 0; i < PI_ARRAY_LEN(key_flags); i++) {
			size_t fl = strlen(key_flags[i].flag);
			if (strcmp(keys[k], key_flags[i].key) != 0 || len < fl ||
			    strncmp(arg, key_flags[i].flag, fl) != 0)
				continue;
			if (len == fl || arg[fl] == '=')
				return key_flags[i].flag;
		}
	return NULL;
}

/* One ExecStart= value still in effect, and where it came from. */
struct exec_line {
	char *value;
	char *file;
	unsigned line;
};

static void exec_lines_clear(struct pi_vec *v)
{
	for (size_t i = 0; i < v->len; i++) {
		struct exec_line *e = pi_vec_at(v, i);
		free(e->value);
		free(e->file);
	}
	v->len = 0;
}

/* Applies a unit file's ExecStart= lines (continuations joined) to v. */
static void unit_exec(const char *path, struct pi_vec *v)
{
	char *text = NULL;
	if (pi_read_file(path, &text, NULL) != 0)
		return;
	unsigned lineno = 0;
	char *p = text;
	while (*p) {
		unsigned start = ++lineno;
		struct pi_buf line;
		pi_buf_init(&line);
		for (;;) {
			size_t n = strcspn(p, "\n");
			bool cont = n > 0 && p[n - 1] == '\\';
			pi_buf_write(&line, p, cont ? n - 1 : n);
			p += n + (p[n] == '\n');
			if (!cont || !*p)
				break;
			lineno++;
		}
		const char *l = pi_buf_str(&line);
		l += strspn(l, " \t");
		if (strncmp(l, "ExecStart=", 10) == 0) {
			const char *val = l + 10;
			if (!*(val + strspn(val, " \t"))) {
				exec_lines_clear(v); /* an empty assignment resets the list */
			} else {
				struct exec_line *e = pi_vec_push(v);
				e->value = pi_xstrdup(val);
				e->file = pi_xstrdup(path);
				e->line = start;
			}
		}
		pi_buf_free(&line);
	}
	free(text);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *const unit_dirs[] = { "etc/systemd/system", "run/systemd/system", "lib/systemd/system",
					 "usr/lib/systemd/system" };

/* Drop-in names in name order; a name in an earlier directory hides the
 * same name further down, as systemd does. */
static void dropin_names(const char *root, struct pi_vec *names /* char* */)
{
	for (size_t d = 0; d < PI_ARRAY_LEN(unit_dirs); d++) {
		char dir[4200];
		snprintf(dir, sizeof(dir), "%s/%s/docker.service.d", root, unit_dirs[d]);
		DIR *dh = opendir(dir);
		if (!dh)
			continue;
		struct dirent *de;
		while ((de = readdir(dh))) {
			size_t l = strlen(de->d_name);
			if (l < 6 || strcmp(de->d_name + l - 5, ".conf") != 0)
				continue;
			bool seen = false;
			for (size_t i = 0; i < names->len && !seen; i++)
				seen = strcmp(strrchr(*(char **)pi_vec_at(names, i), '/') + 1, de->d_name) == 0;
			if (seen)
				continue;
			struct pi_buf b;
			pi_buf_init(&b);
			pi_buf_printf(&b, "%s/%s", dir, de->d_name);
			*(char **)pi_vec_push(names) = pi_buf_steal(&b);
		}
		closedir(dh);
	}
}

static int cmp_base(const void *a, const void *b)
{
	const char *x = strrchr(*(char *const *)a, '/'), *y = strrchr(*(char *const *)b, '/');
	return cmp_str(&x, &y);
}

/* The ExecStart lines systemd would run for docker.service. */
static void effective_exec(const char *root, struct pi_vec *v)
{
	struct stat st;
	for (size_t d = 0; d < PI_ARRAY_LEN(unit_dirs); d++) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s/docker.service", root, unit_dirs[d]);
		if (stat(path, &st) == 0) {
			unit_exec(path, v);
			break;
		}
	}
	struct pi_vec names = PI_VEC_INIT(char *);
	dropin_names(root, &names);
	if (names.len)
		qsort(names.data, names.len, sizeof(char *), cmp_base);
	for (size_t i = 0; i < names.len; i++) {
		unit_exec(*(char **)pi_vec_at(&names, i), v);
		free(*(char **)pi_vec_at(&names, i));
	}
	pi_vec_free(&names);
}

static int unit_conflicts(const char *root, const char *const *keys, size_t n_keys, struct pi_diag *diag)
{
	struct pi_vec v = PI_VEC_INIT(struct exec_line);
	int found = 0;
	effective_exec(root, &v);
	for (size_t i = 0; i < v.len; i++) {
		struct exec_line *e = pi_vec_at(&v, i);
		for (const char *p = e->value; *p;) {
			p += strspn(p, " \t");
			size_t n = strcspn(p, " \t");
			const char *flag = flag_of(p, n, keys, n_keys);
			if (flag) {
				pi_diag_add(diag, nopos,
					    "remove it from ExecStart (systemctl edit docker) and run configure-docker "
					    "again, or keep it and do not use configure-docker",
					    "%s:%u: docker.service passes %s to dockerd; dockerd refuses to start when "
					    "daemon.json sets it too", e->file, e->line, flag);
				found++;
			}
			p += n;
		}
	}
	exec_lines_clear(&v);
	pi_vec_free(&v);
	return found;
}

static int proc_conflicts(const char *root, const char *const *keys, size_t n_keys, struct pi_diag *diag)
{
	char path[4200], *text = NULL, *cmd = NULL;
	size_t len = 0;
	int found = 0;
	snprintf(path, sizeof(path), "%s/var/run/docker.pid", root);
	if (pi_read_file(path, &text, NULL) != 0)
		return 0;
	long pid = strtol(text, NULL, 10);
	free(text);
	snprintf(path, sizeof(path), "%s/proc/%ld/cmdline", root, pid);
	if (pid <= 0 || pi_read_file(path, &cmd, &len) != 0)
		return 0;
	/* A stale pid file may name some other process by now. */
	const char *base = strrchr(cmd, '/');
	if (strcmp(base ? base + 1 : cmd, "dockerd") != 0) {
		free(cmd);
		return 0;
	}
	for (size_t off = 0; off < len; off += strlen(cmd + off) + 1) {
		const char *flag = flag_of(cmd + off, strlen(cmd + off), keys, n_keys);
		if (flag) {
			pi_diag_add(diag, nopos,
				    "the running dockerd was started with it: drop it from how dockerd is started, "
				    "then run configure-docker again",
				    "dockerd (pid %ld) runs with %s; it would refuse to start when daemon.json sets "
				    "it too", pid, flag);
			found++;
		}
	}
	free(cmd);
	return found;
}

int pi_docker_cmdline_conflicts(const char *sysroot, const char *const *keys, size_t n_keys,
				struct pi_diag *diag)
{
	const char *root = sysroot && *sysroot ? sysroot : "";
	struct pi_diag local;
	pi_diag_init(&local);
	int found = unit_conflicts(root, keys, n_keys, &local) + proc_conflicts(root, keys, n_keys, &local);
	pi_diag_move(diag, &local);
	return found ? -EEXIST : 0;
}

/* ---- the restart ---- */

const char *pi_docker_restart_name(enum pi_docker_restart r)
{
	static const char *const names[] = { "not-needed", "not-asked", "refused-lab",
					     "refused-other", "by-hand", "systemctl" };
	return (size_t)r < PI_ARRAY_LEN(names) ? names[r] : "?";
}

void pi_docker_restart_check_init(struct pi_docker_restart_check *c)
{
	memset(c, 0, sizeof(*c));
	c->lab = (struct pi_vec)PI_VEC_INIT(struct pi_container_summary);
	c->other = (struct pi_vec)PI_VEC_INIT(struct pi_container_summary);
}

void pi_docker_restart_check_free(struct pi_docker_restart_check *c)
{
	pi_vec_free(&c->lab);
	pi_vec_free(&c->other);
}

void pi_docker_restart_decide(const struct pi_container_summary *list, size_t n, bool live_restore, bool force,
			      bool systemd, struct pi_docker_restart_check *c)
{
	c->live_restore = live_restore;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i].state, "running") != 0)
			continue;
		struct pi_vec *to = list[i].lab[0] ? &c->lab : &c->other;
		*(struct pi_container_summary *)pi_vec_push(to) = list[i];
	}
	/* Lab containers are wired by hand (veths, netns): even live-restore
	 * does not bring a half-torn lab back, so teardown comes first. */
	if (c->lab.len && !force)
		c->decision = PI_DOCKER_RESTART_REFUSED_LAB;
	else if (c->other.len && !force && !live_restore)
		c->decision = PI_DOCKER_RESTART_REFUSED_OTHER;
	else
		c->decision = systemd ? PI_DOCKER_RESTART_SYSTEMCTL : PI_DOCKER_RESTART_BY_HAND;
}

int pi_docker_live_restore(struct pi_docker *d, bool *out, struct pi_diag *diag)
{
	json_t *info = NULL;
	int rc = pi_docker_call(d, "GET", "/v" PI_DOCKER_API "/info", NULL, &info, "engine info", diag);
	if (rc)
		return rc;
	*out = json_is_true(json_object_get(info, "LiveRestoreEnabled"));
	json_decref(info);
	return 0;
}

int pi_docker_restart_engine(struct pi_docker *d, struct pi_diag *diag)
{
	const char *argv[] = { "systemctl", "restart", "docker", NULL };
	pid_t pid;
	int status, rc = posix_spawnp(&pid, argv[0], NULL, NULL, (char *const *)argv, environ);
	if (rc) {
		pi_diag_add(diag, nopos, "run `systemctl restart docker` yourself", "cannot run systemctl: %s",
			    strerror(rc));
		return -rc;
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		pi_diag_add(diag, nopos, "see `journalctl -u docker`; the previous file is in the backup",
			    "`systemctl restart docker` failed");
		return -EIO;
	}
	/* Say it worked only once the engine answers again. */
	struct pi_diag last;
	pi_diag_init(&last);
	rc = -ETIMEDOUT;
	for (int i = 0; i < 60 && rc; i++) {
		pi_diag_free(&last);
		pi_diag_init(&last);
		rc = pi_docker_ping(d, &last);
		if (rc)
			nanosleep(&(struct timespec){ 0, 500000000 }, NULL);
	}
	if (rc) {
		pi_diag_move(diag, &last);
		pi_diag_add(diag, nopos, "see `journalctl -u docker`; the previous file is in the backup",
			    "the engine did not come back after the restart");
	}
	pi_diag_free(&last);
	return rc;
}

/* Which containers run, and whether the engine keeps them, decides. */
static int weigh_restart(const struct pi_docker_configure_opts *o, const char *root,
			 struct pi_docker_configure_result *r, struct pi_diag *diag)
{
	struct pi_docker *d = o->docker;
	struct pi_vec list = PI_VEC_INIT(struct pi_container_summary);
	struct pi_diag quiet;
	bool live = false, systemd;
	char path[4200];
	struct stat st;
	pi_diag_init(&quiet);
	snprintf(path, sizeof(path), "%s/run/systemd/system", root);
	systemd = stat(path, &st) == 0;
	int rc = d ? 0 : pi_docker_new(NULL, &d, diag);
	if (rc)
		return rc;
	/* An engine that does not answer runs no containers: restarting it
	 * (systemd) or starting it (by hand) stops nothing. */
	if (pi_docker_ping(d, &quiet) == 0) {
		rc = pi_docker_container_list(d, NULL, &list, diag);
		if (!rc)
			rc = pi_docker_live_restore(d, &live, diag);
	}
	if (!rc)
		pi_docker_restart_decide(list.data, list.len, live, o->force, systemd, &r->restart);
	if (!rc && r->restart.decision == PI_DOCKER_RESTART_SYSTEMCTL)
		r->restarted = pi_docker_restart_engine(d, diag) == 0;
	if (!rc && r->restart.decision == PI_DOCKER_RESTART_SYSTEMCTL && !r->restarted)
		rc = -EIO;
	pi_diag_free(&quiet);
	pi_vec_free(&list);
	if (d != o->docker)
		pi_docker_free(d);
	return rc;
}

/* ---- configure-docker ---- */

void pi_docker_configure_result_init(struct pi_docker_configure_result *r)
{
	memset(r, 0, sizeof(*r));
	pi_buf_init(&r->changes);
	r->pools = (struct pi_vec)PI_VEC_INIT(struct pi_docker_pool);
	r->host_avoid = (struct pi_vec)PI_VEC_INIT(struct pi_prefix);
	pi_docker_restart_check_init(&r->restart);
}

void pi_docker_configure_result_free(struct pi_docker_configure_result *r)
{
	free(r->target);
	free(r->json);
	pi_buf_free(&r->changes);
	pi_vec_free(&r->pools);
	pi_vec_free(&r->host_avoid);
	pi_docker_restart_check_free(&r->restart);
	pi_docker_configure_result_init(r);
}

/* Everything Docker must stay out of: the reserved ranges, the lab's
 * spaces, the host's routes and addresses. */
static int plan_avoid(const struct pi_docker_configure_opts *o, struct pi_vec *avoid,
		      struct pi_docker_configure_result *r, struct pi_diag *diag)
{
	struct pi_prefix reserved[3];
	struct pi_vec host = PI_VEC_INIT(struct pi_prefix);
	pi_daemon_json_reserved(reserved);
	for (size_t i = 0; i < PI_ARRAY_LEN(reserved); i++)
		*(struct pi_prefix *)pi_vec_push(avoid) = reserved[i];
	for (size_t i = 0; i < o->n_avoid; i++)
		*(struct pi_prefix *)pi_vec_push(avoid) = o->avoid[i];
	int rc = host_routes(o, &host, diag);
	for (size_t i = 0; !rc && i < host.len; i++) {
		struct pi_prefix *p = pi_vec_at(&host, i);
		*(struct pi_prefix *)pi_vec_push(avoid) = *p;
		if (pi_daemon_json_in_candidates(p))
			*(struct pi_prefix *)pi_vec_push(&r->host_avoid) = *p;
	}
	pi_vec_free(&host);
	return rc;
}

/* The chosen values, read back from the merged document. */
static void summarize(struct pi_docker_configure_result *r, json_t *root)
{
	pi_json_copy(root, "bip", r->bip, sizeof(r->bip));
	pi_json_copy(root, "fixed-cidr-v6", r->fixed_cidr_v6, sizeof(r->fixed_cidr_v6));
	pi_docker_parse_pools(json_object_get(root, "default-address-pools"), &r->pools);
}

/* The merged document's keys that dockerd also takes as flags. */
static size_t flag_keys(json_t *root, const char *keys[PI_ARRAY_LEN(key_flags)])
{
	size_t n = 0;
	for (size_t i = 0; i < PI_ARRAY_LEN(key_flags); i++)
		if (json_object_get(root, key_flags[i].key))
			keys[n++] = key_flags[i].key;
	return n;
}

static int merge(const struct pi_docker_configure_opts *o, const char *path, const struct pi_daemon_json_file *f,
		 const struct pi_vec *avoid, struct pi_docker_configure_result *r, struct pi_diag *diag)
{
	struct pi_daemon_json_result m;
	size_t bom = 0;
	int rc = pi_daemon_json_check_bytes(path, f->data, f->len, &bom, diag);
	if (rc)
		return rc;
	r->bom = bom > 0;
	rc = pi_daemon_json_merge(path, f->data + bom, avoid->data, avoid->len, &m, diag);
	if (rc)
		return rc;
	r->json = m.json;
	r->changed = m.changed;
	pi_buf_free(&r->changes);
	r->changes = m.changes;
	json_t *root = json_loads(r->json, 0, NULL);
	summarize(r, root);
	const char *keys[PI_ARRAY_LEN(key_flags)];
	size_t n_keys = flag_keys(root, keys);
	json_decref(root);
	/* Unchanged means dockerd already runs with these keys: no new clash. */
	return r->changed ? pi_docker_cmdline_conflicts(o->sysroot, keys, n_keys, diag) : 0;
}

int pi_docker_configure(const struct pi_docker_configure_opts *o, struct pi_docker_configure_result *r,
			struct pi_diag *diag)
{
	const char *path = o->path ? o->path : PI_DAEMON_JSON;
	const char *root = o->sysroot && *o->sysroot ? o->sysroot : "";
	struct pi_vec avoid = PI_VEC_INIT(struct pi_prefix);
	struct pi_daemon_json_file f = { 0 };
	struct pi_diag local;
	pi_diag_init(&local);

	int rc = plan_avoid(o, &avoid, r, &local);
	if (!rc)
		rc = pi_daemon_json_read(path, &f, &local);
	if (rc)
		goto out;
	r->target = pi_xstrdup(f.target);
	rc = merge(o, path, &f, &avoid, r, &local);
	if (rc || o->dry_run || !r->changed)
		goto out; /* restart stays NOT_NEEDED */
	rc = pi_daemon_json_write_file(&f, r->json, r->bom, r->backup, sizeof(r->backup), &local);
	if (rc)
		goto out;
	r->written = true;
	if (o->no_restart)
		r->restart.decision = PI_DOCKER_RESTART_NOT_ASKED;
	else
		rc = weigh_restart(o, root, r, &local);
out:
	pi_diag_move(diag, &local);
	pi_daemon_json_file_free(&f);
	pi_vec_free(&avoid);
	return rc;
}

static json_t *names_json(const struct pi_vec *v)
{
	json_t *a = json_array();
	for (size_t i = 0; i < v->len; i++)
		json_array_append_new(a, json_string(((struct pi_container_summary *)pi_vec_at(v, i))->name));
	return a;
}

static json_t *restart_json(const struct pi_docker_configure_result *r)
{
	return json_pack("{s:s, s:b, s:b, s:o, s:o}", "decision", pi_docker_restart_name(r->restart.decision),
			 "restarted", r->restarted, "live_restore", r->restart.live_restore, "lab_running",
			 names_json(&r->restart.lab), "other_running", names_json(&r->restart.other));
}

char *pi_docker_configure_result_json(const struct pi_docker_configure_result *r)
{
	char a[PI_PREFIX_STRLEN];
	json_t *pools = json_array(), *host = json_array(), *changes = json_array();
	for (size_t i = 0; i < r->pools.len; i++) {
		const struct pi_docker_pool *p = pi_vec_at(&r->pools, i);
		json_array_append_new(pools, json_pack("{s:s, s:i}", "base", pi_prefix_fmt(&p->base, a), "size",
						       (int)p->size));
	}
	for (size_t i = 0; i < r->host_avoid.len; i++)
		json_array_append_new(host, json_string(pi_prefix_fmt(pi_vec_at(&r->host_avoid, i), a)));
	for (const char *p = r->changes.data ? r->changes.data : ""; *p;) {
		size_t n = strcspn(p, "\n");
		json_array_append_new(changes, json_stringn(p, n));
		p += n + (p[n] == '\n');
	}
	json_t *j = json_pack("{s:s?, s:b, s:b, s:b, s:s?, s:s, s:o, s:s?, s:o, s:o, s:o, s:s?}", "file", r->target,
			      "changed", r->changed, "written", r->written, "bom", r->bom, "backup",
			      r->backup[0] ? r->backup : NULL, "bip", r->bip, "default_address_pools", pools,
			      "fixed_cidr_v6", r->fixed_cidr_v6[0] ? r->fixed_cidr_v6 : NULL, "host_prefixes_avoided",
			      host, "changes", changes, "restart", restart_json(r), "document", r->json);
	char *s = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	return s;
}
