/*
 * libFuzzer target: any bytes as an MRT dump (a lab's `announce: {mrt:}`
 * names a file from anywhere). The reader must stop with -EINVAL or read
 * what is there, never past the buffer (ASan), and hand over only prefixes
 * of a known family, in range, and paths within PI_MRT_MAX_PATH.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "pocketinternet/mrt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(void *ctx, const struct pi_prefix *net, const uint32_t *path, size_t n)
{
	(void)ctx;
	if ((net->family != PI_AF_V4 && net->family != PI_AF_V6) || net->len > pi_prefix_maxlen(net) ||
	    pi_prefix_has_host_bits(net) || n > PI_MRT_MAX_PATH || (n && !path))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[160];
	struct pi_mrt_stats st;
	int rc = pi_mrt_read(data, size, check, NULL, &st, err, sizeof(err));
	if (rc != 0 && rc != -EINVAL)
		abort();
	return 0;
}
