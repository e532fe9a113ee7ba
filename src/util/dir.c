/*
 * dir: opening and removing directories the way a root tool must when the
 * paths may hold links planted by someone else (docs/security.md). A path
 * is walked one component at a time with O_NOFOLLOW, and everything after
 * that is relative to the directory fds it yields.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pocketinternet/diag.h"
#include "file_int.h"
#include "pocketinternet/util.h"

/* Links followed in one walk, as the kernel's own limit. */
#define MAX_HOPS 40

struct walk {
	const char *path; /* as the user gave it */
	unsigned flags;
	struct pi_diag *diag;
	int fd;            /* the directory reached so far */
	char todo[8192];   /* components still to walk (grows when a link is followed) */
	char shown[4096];  /* what was walked, for messages */
	int hops;
	bool created;      /* the last component was made here */
};

static const char *const hint_link =
	"pocketinternet never writes through a symbolic link it did not make; give the real "
	"path instead (realpath), after checking that what it points at is yours";

static int walk_fail(struct walk *w, int rc, const char *hint, const char *fmt, ...) PI_PRINTF(4, 5);
static int walk_fail(struct walk *w, int rc, const char *hint, const char *fmt, ...)
{
	char msg[4400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pi_diag_add(w->diag, (struct pi_pos){ 0 }, hint, "cannot use %s: %s", w->path, msg);
	return rc;
}

static void shown_add(struct walk *w, const char *comp)
{
	size_t n = strlen(w->shown);
	snprintf(w->shown + n, sizeof(w->shown) - n, "%s%s", n && w->shown[n - 1] != '/' ? "/" : "", comp);
}

int pi_dir_check_owned(int dirfd, char *why, size_t whylen)
{
	struct stat st;
	if (fstat(dirfd, &st) < 0)
		return -errno;
	if (st.st_uid != geteuid()) {
		snprintf(why, whylen, "it is owned by uid %u, not by uid %u who runs pocketinternet",
			 (unsigned)st.st_uid, (unsigned)geteuid());
		return -EPERM;
	}
	if (st.st_mode & 022) {
		snprintf(why, whylen, "it is writable by %s (mode %04o)",
			 (st.st_mode & 022) == 022 ? "group and others" : st.st_mode & 020 ? "its group" : "others",
			 (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* Puts a link's target in front of what is left to walk. */
static int walk_splice(struct walk *w, const char *target)
{
	char rest[sizeof(w->todo)];
	if ((size_t)snprintf(rest, sizeof(rest), "%s/%s", target, w->todo) >= sizeof(rest))
		return walk_fail(w, -ENAMETOOLONG, NULL, "%s: the path is too long once links are followed", w->shown);
	memcpy(w->todo, rest, sizeof(rest));
	if (target[0] == '/') {
		int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		close(w->fd);
		w->fd = fd;
		snprintf(w->shown, sizeof(w->shown), "/");
	} else {
		/* The link's own name is not a directory we are in. */
		char *slash = strrchr(w->shown, '/');
		if (slash)
			slash[slash == w->shown] = '\0';
		else
			w->shown[0] = '\0';
	}
	return 0;
}

/* comp is not a directory: a link that may be followed, or a refusal. */
static int walk_link(struct walk *w, const char *comp, bool last)
{
	shown_add(w, comp);
	int lfd = openat(w->fd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (lfd < 0 || fstat(lfd, &st) < 0) {
		int e = errno;
		if (lfd >= 0)
			close(lfd);
		return walk_fail(w, -e, NULL, "%s changed while it was opened", w->shown);
	}
	char target[4096] = "";
	ssize_t n = S_ISLNK(st.st_mode) ? readlinkat(lfd, "", target, sizeof(target) - 1) : 0;
	close(lfd);
	if (!S_ISLNK(st.st_mode))
		return walk_fail(w, -ENOTDIR, "give a directory, or a new name pocketinternet will create",
				 "%s is not a directory", w->shown);
	if (n < 0)
		return walk_fail(w, -errno, NULL, "cannot read the link %s", w->shown);
	target[n] = '\0';
	if (last && !(w->flags & PI_DIR_ROOT_LINK))
		return walk_fail(w, -ELOOP, hint_link, "%s is a symbolic link (to %s)", w->shown, target);
	if (st.st_uid != 0)
		return walk_fail(w, -ELOOP, hint_link, "%s is a symbolic link (to %s) owned by uid %u, not root",
				 w->shown, target, (unsigned)st.st_uid);
	if (++w->hops > MAX_HOPS)
		return walk_fail(w, -ELOOP, NULL, "%s: too many symbolic links", w->shown);
	return walk_splice(w, target);
}

/* One component: open it as a directory, or create it, or hand it to walk_link. */
static int walk_step(struct walk *w, const char *comp, bool last)
{
	const int oflags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	bool made = false;
	int nfd = openat(w->fd, comp, oflags);
	int err = nfd < 0 ? errno : 0;
	if (err == ENOENT && (w->flags & PI_DIR_CREATE) && strcmp(comp, "..") != 0) {
		made = mkdirat(w->fd, comp, 0755) == 0;
		err = made || errno == EEXIST ? 0 : errno;
		if (!err && (nfd = openat(w->fd, comp, oflags)) < 0)
			err = errno;
	}
	if (err == ELOOP || err == ENOTDIR)
		return walk_link(w, comp, last);
	shown_add(w, comp);
	if (err)
		return walk_fail(w, -err, err == ENOENT ? NULL : "check the directory's permissions", "%s: %s",
				 w->shown, strerror(err));
	/* What we just made must still be ours (no one swapped it in between),
	 * and its mode is not left to the umask. */
	struct stat st;
	if (made && (fstat(nfd, &st) < 0 || st.st_uid != geteuid() || fchmod(nfd, 0755) < 0)) {
		close(nfd);
		return walk_fail(w, -EPERM, NULL, "%s was replaced while it was created", w->shown);
	}
	close(w->fd);
	w->fd = nfd;
	w->created = made;
	return 0;
}

/* Pops the next component of w->todo into comp; false at the end. */
static bool walk_next(struct walk *w, char *comp, size_t cap, bool *last, int *rc)
{
	char *p = w->todo;
	for (;;) {
		while (*p == '/')
			p++;
		if (!(p[0] == '.' && (p[1] == '/' || p[1] == '\0')))
			break;
		p++;
	}
	if (!*p) {
		w->todo[0] = '\0';
		return false;
	}
	size_t n = strcspn(p, "/");
	if (n >= cap) {
		*rc = -ENAMETOOLONG;
		return false;
	}
	memcpy(comp, p, n);
	comp[n] = '\0';
	p += n;
	memmove(w->todo, p, strlen(p) + 1);
	const char *q = w->todo;
	while (*q == '/' || (q[0] == '.' && (q[1] == '/' || q[1] == '\0')))
		q++;
	*last = *q == '\0';
	return true;
}

int pi_dir_open(const char *path, unsigned flags, bool *created, struct pi_diag *diag)
{
	struct walk w = { .path = path, .flags = flags, .diag = diag };
	if (created)
		*created = false;
	if (!*path || strlen(path) >= sizeof(w.todo) / 2)
		return walk_fail(&w, -ENAMETOOLONG, NULL, "the path is empty or too long");
	snprintf(w.todo, sizeof(w.todo), "%s", path);
	snprintf(w.shown, sizeof(w.shown), "%s", path[0] == '/' ? "/" : "");
	w.fd = open(path[0] == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w.fd < 0)
		return -errno;
	char comp[256];
	bool last = false;
	int rc = 0;
	while (!rc && walk_next(&w, comp, sizeof(comp), &last, &rc))
		rc = walk_step(&w, comp, last);
	if (rc == -ENAMETOOLONG && !pi_diag_count(diag))
		walk_fail(&w, rc, NULL, "a component is longer than 255 bytes");
	char why[200];
	if (!rc && (flags & PI_DIR_OWNED) && (rc = pi_dir_check_owned(w.fd, why, sizeof(why))) == -EPERM)
		pi_diag_add(diag, (struct pi_pos){ 0 },
			    "choose a directory you own that no one else can write to (a new path is created "
			    "for you), or fix it: chown/chmod go-w",
			    "refusing to write into %s: %s", path, why);
	if (rc) {
		close(w.fd);
		return rc;
	}
	if (created)
		*created = w.created;
	return w.fd;
}

/* No link, no other mount: removing a tree must not empty a bind mount of
 * /etc that someone put below it. */
int pi_dir_open_below(int dirfd, const char *name)
{
	int fd = pi_openat2(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
			    RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH);
	if (fd >= 0)
		return fd;
	/* O_DIRECTORY reports a link as ENOTDIR; say what it is. */
	int e = -fd;
	struct stat st;
	if (e == ENOTDIR && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		e = ELOOP;
	return -e;
}

static int remove_tree(int dirfd, const char *name, int depth);

static int remove_below(int fd, int depth)
{
	if (depth > 32)
		return -ELOOP;
	int dfd = dup(fd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		int e = errno;
		if (dfd >= 0)
			close(dfd);
		return -e;
	}
	int rc = 0;
	struct dirent *e;
	while (!rc && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		/* Files (most entries) go without a stat. */
		if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) {
			if (unlinkat(fd, e->d_name, 0) == 0 || errno == ENOENT)
				continue;
			if (errno != EISDIR) {
				rc = -errno;
				break;
			}
		}
		rc = remove_tree(fd, e->d_name, depth + 1);
		if (rc == -ENOENT)
			rc = 0;
	}
	closedir(d);
	return rc;
}

static int remove_tree(int dirfd, const char *name, int depth)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) < 0 ? -errno : 0;
	int fd = pi_dir_open_below(dirfd, name);
	if (fd < 0)
		return fd;
	int rc = remove_below(fd, depth);
	close(fd);
	if (!rc && unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		rc = -errno;
	return rc;
}

int pi_dir_clear(int fd)
{
	return remove_below(fd, 0);
}

int pi_remove_tree_at(int dirfd, const char *name)
{
	return remove_tree(dirfd, name, 0);
}

int pi_write_file_safe(const char *path, const char *data, size_t len, unsigned mode, struct pi_diag *diag)
{
	char dir[4096];
	if (strlen(path) >= sizeof(dir))
		return -ENAMETOOLONG;
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	const char *base = slash ? path + (slash - dir) + 1 : path;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		pi_diag_add(diag, (struct pi_pos){ 0 }, "give a file name", "cannot write %s: not a file name", path);
		return -EISDIR;
	}
	if (slash)
		slash[slash == dir] = '\0';
	int dfd = pi_dir_open(slash ? dir : ".", PI_DIR_CREATE, NULL, diag);
	if (dfd < 0)
		return dfd;
	struct stat st;
	int rc = 0;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
		rc = S_ISLNK(st.st_mode) ? -ELOOP : -EINVAL;
		pi_diag_add(diag, (struct pi_pos){ 0 }, S_ISLNK(st.st_mode) ? hint_link : "remove it or choose another name",
			    "refusing to write %s: it is %s", path,
			    S_ISLNK(st.st_mode) ? "a symbolic link" : "not a regular file");
	}
	if (!rc && (rc = pi_file_write_at(dfd, base, data, len, mode)))
		pi_diag_add(diag, (struct pi_pos){ 0 }, "check that its directory is writable", "cannot write %s: %s",
			    path, strerror(-rc));
	close(dfd);
	return rc;
}
