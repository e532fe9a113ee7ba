/* verify internals: the parts of pi_apply_verify (verify.c). */
#ifndef PI_VERIFY_INT_H
#define PI_VERIFY_INT_H

#include "apply_int.h"

/* verify_reach.c */
void pi_verify_reach_init(const struct pi_plan *p, uint8_t fam, struct pi_verify_reach *r);
void pi_verify_reach_run(struct pi_backend *b, const struct pi_plan *p, unsigned parallel, struct pi_verify_reach *r);
void pi_verify_reach_free(struct pi_verify_reach *r);

/* What the DNS and HTTP parts share (verify.c). */
struct verify_part {
	struct pi_backend *b;
	const struct pi_plan *plan;
	unsigned parallel;
	struct pi_vec *dns, *http; /* struct pi_verify_check */
	pthread_mutex_t lock;
};
void pi_verify_add(struct verify_part *vp, struct pi_vec *v, const struct pi_verify_check *c);
/* The netns of a running node, or -1 after recording a failed check in v. */
int pi_verify_open(struct verify_part *vp, uint32_t node, struct pi_vec *v);
/* A server's address (its first interface's, IPv4 first); unset when none. */
struct pi_prefix pi_verify_node_address(const struct pi_plan *p, uint32_t node);
bool pi_verify_has_v4(const struct pi_plan *p, uint32_t node);

/* verify_dns.c, verify_http.c */
void pi_verify_dns_run(struct verify_part *vp);
void pi_verify_http_run(struct verify_part *vp);

#endif
