/*
 * fixture: a small hand-built plan, independent of the planner, for the
 * render tests. Three ASes: transit t (AS 65000) sells transit to a
 * (AS 65001) and b (AS 65002); a and b also peer; b is anycast and runs a
 * web server; t runs the root and TLD name server, which is also a
 * resolver.
 */
#ifndef PI_TEST_RENDER_FIXTURE_H
#define PI_TEST_RENDER_FIXTURE_H

#include "pocketinternet/plan.h"

enum { FX_POD_T, FX_POD_A, FX_POD_B };
enum { FX_T_R1, FX_T_NS1, FX_A_R1, FX_B_R1, FX_B_WEB1, FX_N_NODES };

struct pi_plan *fixture_plan(void);
void fixture_free(struct pi_plan *p);

#endif
