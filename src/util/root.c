/*
 * root: reaching files inside a container from the host. A container's
 * processes own its file system and may plant a link such as
 * /run/pocketinternet/started -> /etc/shadow; resolving paths with
 * RESOLVE_IN_ROOT relative to /proc/<pid>/root makes "/" and ".." stop at
 * the container's root, so such a link names the container's own file.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "file_int.h"
#include "pocketinternet/util.h"

int pi_rootfd_open(int rootfd, const char *path, int flags, mode_t mode)
{
	/* Magic links (/proc/self/root, /proc/<pid>/fd/N) would jump out. */
	return pi_openat2(rootfd, path, flags, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

/* /proc/<pid>/root is itself a magic link: opening it from the host is
 * the point (it is the container's root directory). */
static int open_root(int pid)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/root", pid);
	int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int pi_root_open(int pid, const char *path, int flags, mode_t mode)
{
	int root = open_root(pid);
	if (root < 0)
		return root;
	int fd = pi_rootfd_open(root, path, flags, mode);
	close(root);
	return fd;
}

int pi_rootfd_read_file(int rootfd, const char *path, char **out, size_t *len, size_t max)
{
	/* O_NONBLOCK: a FIFO in the container must not hang the host. */
	int fd = pi_rootfd_open(rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0)
		return fd;
	int rc = pi_fd_read_regular(fd, max, out, len);
	close(fd);
	return rc;
}

int pi_root_read_file(int pid, const char *path, char **out, size_t *len, size_t max)
{
	int root = open_root(pid);
	if (root < 0)
		return root;
	int rc = pi_rootfd_read_file(root, path, out, len, max);
	close(root);
	return rc;
}

/*
 * connect(2) takes a path, resolved from the host's root. The parent
 * directory is opened in-root (O_PATH), then the socket itself with
 * O_NOFOLLOW, and connect goes through /proc/self/fd/<n> of that socket fd:
 * the kernel reaches exactly that inode. Connecting to
 * "/proc/self/fd/<dir>/<basename>" alone would still follow a link planted
 * as the basename from the host's root (bird.ctl -> /run/docker.sock).
 */
int pi_rootfd_connect_unix(int rootfd, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return -EINVAL;
	char parent[4096];
	if ((size_t)(base - path) >= sizeof(parent))
		return -ENAMETOOLONG;
	snprintf(parent, sizeof(parent), "%.*s", (int)(base - path), path);
	int dfd = pi_rootfd_open(rootfd, *parent ? parent : ".", O_PATH | O_DIRECTORY, 0);
	if (dfd < 0)
		return dfd;
	int sfd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	int rc = sfd < 0 ? -errno : 0;
	close(dfd);
	struct stat st;
	if (!rc && fstat(sfd, &st) < 0)
		rc = -errno;
	if (!rc && !S_ISSOCK(st.st_mode))
		rc = S_ISLNK(st.st_mode) ? -ELOOP : -ENOTSOCK;
	int s = -1;
	if (!rc && (s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		rc = -errno;
	if (!rc) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d", sfd);
		if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
			rc = -errno;
	}
	if (sfd >= 0)
		close(sfd);
	if (rc && s >= 0)
		close(s);
	return rc ? rc : s;
}

int pi_root_connect_unix(int pid, const char *path)
{
	int root = open_root(pid);
	if (root < 0)
		return root;
	int fd = pi_rootfd_connect_unix(root, path);
	close(root);
	return fd;
}
