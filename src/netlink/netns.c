/*
 * netlink namespaces: named network namespaces owned by the lab (bind
 * mounts under /run/netns, as `ip netns` makes them, so teardown can find
 * them by prefix after a crash), running code inside a handle's netns, and
 * per-netns sysctls through /proc/sys.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nl_int.h"
#include "pocketinternet/util.h"

#define NETNS_NAME_MAX 64

/* Serialises the /run/netns set-up so two threads never stack two bind
 * mounts of the directory on itself. */
static pthread_mutex_t netns_lock = PTHREAD_MUTEX_INITIALIZER;

int pi_nl_ns_call(struct pi_nl *nl, int (*fn)(void *arg), void *arg)
{
	int saved, rc;
	int err = pi_nl_ns_enter(nl->nsfd, &saved);

	if (err)
		return pi_nl_fail(nl, err, "setns into the handle's netns");
	rc = fn(arg);
	pi_nl_ns_leave(saved);
	return rc;
}

struct sock_args {
	int domain, type, protocol;
};

static int socket_cb(void *arg)
{
	struct sock_args *a = arg;
	int fd = socket(a->domain, a->type | SOCK_CLOEXEC, a->protocol);

	return fd < 0 ? -errno : fd;
}

int pi_nl_socket(struct pi_nl *nl, int domain, int type, int protocol)
{
	struct sock_args a = { domain, type, protocol };

	return pi_nl_ns_call(nl, socket_cb, &a);
}

/* ---- sysctl ---- */

struct sysctl_io {
	const char *path;
	const char *value; /* write when set */
	char *buf;         /* else read into */
	size_t len;
};

static int sysctl_cb(void *arg)
{
	struct sysctl_io *io = arg;
	int fd = open(io->path, (io->value ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (io->value) {
		size_t n = strlen(io->value);
		ssize_t w = write(fd, io->value, n);
		if (w < 0)
			err = -errno;
		else if ((size_t)w != n)
			err = -EIO;
	} else {
		ssize_t r = read(fd, io->buf, io->len - 1);
		if (r < 0) {
			err = -errno;
		} else {
			while (r > 0 && (io->buf[r - 1] == '\n' || io->buf[r - 1] == ' '))
				r--;
			io->buf[r] = '\0';
		}
	}
	close(fd);
	return err;
}

/* "/proc/sys/" + key, dots turned into slashes unless key has slashes. */
static int sysctl_path(const char *key, char *path, size_t len)
{
	bool slashes = strchr(key, '/') != NULL;
	size_t n = strlen("/proc/sys/");

	if (!*key || *key == '/' || *key == '.' || strstr(key, "..") || strlen(key) + n >= len)
		return -EINVAL;
	memcpy(path, "/proc/sys/", n);
	for (const char *k = key; *k; k++)
		path[n++] = (!slashes && *k == '.') ? '/' : *k;
	path[n] = '\0';
	return 0;
}

int pi_nl_sysctl_set(struct pi_nl *nl, const char *key, const char *value)
{
	char path[256];
	struct sysctl_io io = { path, value, NULL, 0 };
	int err;

	if (!key || !value || sysctl_path(key, path, sizeof(path)))
		return pi_nl_fail(nl, -EINVAL, "sysctl_set: bad key");
	/* /proc/sys/net is resolved against the netns of the thread that
	 * opens it, so open it while switched. */
	err = pi_nl_ns_call(nl, sysctl_cb, &io);
	if (err)
		return pi_nl_fail(nl, err, "sysctl_set %s=%s", key, value);
	return 0;
}

int pi_nl_sysctl_get(struct pi_nl *nl, const char *key, char *buf, size_t len)
{
	char path[256];
	struct sysctl_io io = { path, NULL, buf, len };
	int err;

	if (!key || !buf || len < 2 || sysctl_path(key, path, sizeof(path)))
		return pi_nl_fail(nl, -EINVAL, "sysctl_get: bad key or buffer");
	err = pi_nl_ns_call(nl, sysctl_cb, &io);
	if (err)
		return pi_nl_fail(nl, err, "sysctl_get %s", key);
	return 0;
}

/* ---- named namespaces ---- */

static bool netns_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > NETNS_NAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* As iproute2 does: the directory becomes a shared mount (bound onto
 * itself first if it is not a mount point), so a netns mounted here is
 * seen by every mount namespace that shares it, e.g. `ip netns`. */
static int netns_dir_prepare(void)
{
	if (mkdir(PI_NL_NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mount("", PI_NL_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	if (mount(PI_NL_NETNS_DIR, PI_NL_NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	if (mount("", PI_NL_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
		return -errno;
	return 0;
}

int pi_nl_netns_create(const char *name)
{
	char path[sizeof(PI_NL_NETNS_DIR) + NETNS_NAME_MAX + 2];
	int fd, saved = -1, err;
	bool created = false;

	if (!netns_name_valid(name))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%s", PI_NL_NETNS_DIR, name);
	pthread_mutex_lock(&netns_lock);
	err = netns_dir_prepare();
	if (err)
		goto out;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	close(fd);
	created = true;
	saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0) {
		err = -errno;
		goto out;
	}
	/* unshare() moves only this thread into the new netns; the bind
	 * mount keeps it alive after we switch back. */
	if (unshare(CLONE_NEWNET) < 0) {
		err = -errno;
		close(saved);
		saved = -1;
		goto out;
	}
	if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0)
		err = -errno;
out:
	if (saved >= 0)
		pi_nl_ns_leave(saved);
	if (err && created)
		unlink(path);
	pthread_mutex_unlock(&netns_lock);
	return err;
}

int pi_nl_netns_delete(const char *name)
{
	char path[sizeof(PI_NL_NETNS_DIR) + NETNS_NAME_MAX + 2];
	int err = 0;

	if (!netns_name_valid(name))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%s", PI_NL_NETNS_DIR, name);
	pthread_mutex_lock(&netns_lock);
	/* Detach: a process still inside keeps the netns alive, the name
	 * goes now. EINVAL means it was not mounted (a half-made entry). */
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL) {
		err = -errno;
		goto out;
	}
	if (unlink(path) < 0)
		err = -errno;
out:
	pthread_mutex_unlock(&netns_lock);
	return err;
}

int pi_nl_netns_open(const char *name)
{
	char path[sizeof(PI_NL_NETNS_DIR) + NETNS_NAME_MAX + 2];
	int fd;

	if (!netns_name_valid(name))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%s", PI_NL_NETNS_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

void pi_nl_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int pi_nl_netns_list(const char *prefix, char ***out, size_t *n)
{
	struct pi_vec v = PI_VEC_INIT(char *);
	size_t plen = prefix ? strlen(prefix) : 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*n = 0;
	d = opendir(PI_NL_NETNS_DIR);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (plen && strncmp(de->d_name, prefix, plen))
			continue;
		*(char **)pi_vec_push(&v) = pi_xstrdup(de->d_name);
	}
	closedir(d);
	*out = v.data;
	*n = v.len;
	return 0;
}

int pi_nl_netns_delete_prefix(const char *prefix)
{
	char **names;
	size_t n;
	int err, done = 0;

	if (!prefix || !*prefix)
		return -EINVAL;
	err = pi_nl_netns_list(prefix, &names, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		int r = pi_nl_netns_delete(names[i]);
		/* Gone meanwhile (another teardown) is what we wanted. */
		if (r == 0)
			done++;
		else if (r != -ENOENT && !err)
			err = r;
	}
	pi_nl_names_free(names, n);
	return err ? err : done;
}
