/* util internals shared by file.c, dir.c and root.c. */
#ifndef PI_UTIL_FILE_INT_H
#define PI_UTIL_FILE_INT_H

#include <stddef.h>

/* Reads fd to its end or max bytes; *out NUL-terminated, caller frees. */
int pi_fd_read(int fd, size_t max, char **out, size_t *len);
/* The same, refusing (-EINVAL) anything but a regular file. */
int pi_fd_read_regular(int fd, size_t max, char **out, size_t *len);

#endif
