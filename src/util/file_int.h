/* util internals shared by file.c, dir.c and root.c. */
#ifndef PI_UTIL_FILE_INT_H
#define PI_UTIL_FILE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* openat2(dirfd, path, {flags | O_CLOEXEC, mode, resolve}): an fd or -errno.
 * Where the kernel has no openat2 (ENOSYS), pi_openat2_fallback resolves
 * the path in user space under the same rules (resolve.c). */
int pi_openat2(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve);
int pi_openat2_fallback(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve);

/* Reads fd to its end or max bytes; *out NUL-terminated, caller frees. */
int pi_fd_read(int fd, size_t max, char **out, size_t *len);
/* The same, refusing (-EINVAL) anything but a regular file. */
int pi_fd_read_regular(int fd, size_t max, char **out, size_t *len);

#endif
