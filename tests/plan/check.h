/*
 * check: invariants every plan must satisfy, asserted with cmocka: AS graph
 * (connected, stubs have providers, no provider loop, transit clique),
 * unique public ASNs, no overlapping prefixes, names (node, bridge,
 * interface, session) valid and unique, gateways on shared LANs, sessions
 * consistent with interfaces, zones well formed.
 */
#ifndef PI_TEST_CHECK_H
#define PI_TEST_CHECK_H

#include <stdbool.h>
#include "pocketinternet/plan.h"

void check_plan(const struct pi_plan *plan);
/* explicit_asns: the lab fixes some ASNs (then reserved ones are allowed). */
void check_plan_ex(const struct pi_plan *plan, bool explicit_asns);

#endif
