/*
 * fab: labs built in C for the planner's tests and benchmark, with the four
 * shipped blueprints (transit, ixp, broadband, content) written out as
 * structs. It keeps plan tests independent of the YAML loader and lets the
 * benchmark go past the loader's pod limit.
 */
#ifndef PI_TEST_FAB_H
#define PI_TEST_FAB_H

#include "pocketinternet/lab.h"

/* A lab with generated pods of each blueprint (0 skips it), address space
 * 10.0.0.0/8 and 2001:db8::/32, tld "pocket". Free with fab_free. */
struct pi_lab *fab_lab(const char *name, uint64_t seed, unsigned transit, unsigned ixp, unsigned broadband,
		       unsigned content);
/* Entries are kept in insertion order (the planner names generated pods
 * around explicit names whatever the order). */
void fab_add_pod(struct pi_lab *lab, const char *name, const char *bp, uint32_t asn);
void fab_add_count(struct pi_lab *lab, const char *bp, unsigned count);
void fab_add_override(struct pi_lab *lab, const char *role, unsigned count); /* to the last pod entry */
void fab_add_rel(struct pi_lab *lab, enum pi_lab_rel_kind kind, const char *a, const char *b, unsigned line);
void fab_set_space(struct pi_lab *lab, const char *v4, const char *v6);
void fab_free(struct pi_lab *lab);

#endif
