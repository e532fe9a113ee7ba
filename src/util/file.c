/*
 * file: whole-file reads and atomic writes. The *_at forms work relative to
 * a directory fd and never follow a symlink at the name they are given:
 * they are what the tool uses, as root, inside directories it opened with
 * pi_dir_open (docs/security.md).
 */
#include <errno.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "file_int.h"
#include "pocketinternet/util.h"

int pi_fd_read(int fd, size_t max, char **out, size_t *len)
{
	struct pi_buf b;
	pi_buf_init(&b);
	char chunk[65536];
	int rc = 0;
	while (b.len < max) {
		size_t want = max - b.len < sizeof(chunk) ? max - b.len : sizeof(chunk);
		ssize_t n = read(fd, chunk, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		pi_buf_write(&b, chunk, (size_t)n);
	}
	if (rc) {
		pi_buf_free(&b);
		return rc;
	}
	if (len)
		*len = b.len;
	*out = b.data ? pi_buf_steal(&b) : pi_xstrdup("");
	return 0;
}

int pi_read_file(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = pi_fd_read(fd, SIZE_MAX, out, len);
	close(fd);
	return rc;
}

int pi_file_read_at(int dirfd, const char *name, char **out, size_t *len, size_t max)
{
	/* O_NONBLOCK: a FIFO planted at name must not hang the reader; it is
	 * refused below anyway. */
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = pi_fd_read_regular(fd, max, out, len);
	close(fd);
	return rc;
}

int pi_fd_read_regular(int fd, size_t max, char **out, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	return pi_fd_read(fd, max, out, len);
}

int pi_mkdir_p(const char *path, unsigned mode)
{
	char tmp[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Writes everything and sets the mode exactly (the umask must not decide
 * whether start.sh is executable); closes fd. */
static int fill_fd(int fd, const void *data, size_t len, unsigned mode)
{
	int rc = 0;
	for (size_t off = 0; off < len && !rc;) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno != EINTR)
			rc = -errno;
		else if (w > 0)
			off += (size_t)w;
	}
	if (!rc && fchmod(fd, mode) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	return rc;
}

int pi_file_create_at(int dirfd, const char *name, const void *data, size_t len, unsigned mode)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
	if (fd < 0)
		return -errno;
	int rc = fill_fd(fd, data, len, mode);
	if (rc)
		unlinkat(dirfd, name, 0);
	return rc;
}

/* ".pi-tmp-" and 16 random letters: nobody can guess it to plant a link
 * first, and O_EXCL refuses whatever is there anyway. */
static void tmp_name(char buf[32])
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[16];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		/* Never seen on Linux >= 3.17; the name is still O_EXCL. */
		uint64_t h = pi_hash64(buf, 32, (uint64_t)getpid() ^ (uint64_t)(uintptr_t)buf);
		memcpy(r, &h, sizeof(h));
		memcpy(r + 8, &h, sizeof(h));
	}
	memcpy(buf, PI_TMP_PREFIX, sizeof(PI_TMP_PREFIX) - 1);
	size_t p = sizeof(PI_TMP_PREFIX) - 1;
	for (size_t i = 0; i < sizeof(r); i++)
		buf[p++] = set[r[i] % (sizeof(set) - 1)];
	buf[p] = '\0';
}

int pi_file_write_at(int dirfd, const char *name, const void *data, size_t len, unsigned mode)
{
	char tmp[32];
	int fd = -1;
	for (int tries = 0; tries < 16 && fd < 0; tries++) {
		tmp_name(tmp);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	int rc = fill_fd(fd, data, len, mode);
	if (!rc && renameat(dirfd, tmp, dirfd, name) < 0)
		rc = -errno;
	if (rc)
		unlinkat(dirfd, tmp, 0);
	return rc;
}

int pi_write_file(const char *path, const char *data, size_t len, unsigned mode)
{
	char dir[4096];
	size_t n = strlen(path);
	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, n + 1);
	char *slash = strrchr(dir, '/');
	const char *base = path;
	if (slash) {
		base = path + (slash - dir) + 1;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		int rc = pi_mkdir_p(dir, 0755);
		if (rc)
			return rc;
	}
	int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	int rc = pi_file_write_at(dfd, base, data, len, mode);
	close(dfd);
	return rc;
}

int pi_send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}
