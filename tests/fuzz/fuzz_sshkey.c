/*
 * libFuzzer target: the team public keys a trainer hands to `teams
 * --ssh-key` (src/apply/sshkey.c, pi_apply_ssh_keys_parse). Whatever is
 * accepted must be lines of printable ASCII only, each naming a known key
 * type, so nothing else (options, control bytes) reaches authorized_keys.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pocketinternet/apply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pi_buf out;
	struct pi_diag d;
	pi_buf_init(&out);
	pi_diag_init(&d);
	if (pi_apply_ssh_keys_parse((const char *)data, size, &out, &d) == 0) {
		for (size_t i = 0; i < out.len; i++)
			if (out.data[i] != '\n' && (out.data[i] < 0x20 || out.data[i] >= 0x7f))
				abort();
		if (!out.len || out.data[out.len - 1] != '\n' || (strncmp(out.data, "ssh-", 4) != 0 &&
								  strncmp(out.data, "ecdsa-", 6) != 0 &&
								  strncmp(out.data, "sk-", 3) != 0))
			abort();
	} else if (!d.entries.len) {
		abort(); /* a refusal always says why */
	}
	pi_diag_free(&d);
	pi_buf_free(&out);
	return 0;
}
