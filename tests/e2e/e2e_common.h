/* Shared by the end-to-end suites: the binary, the lab under test, helpers. */
#ifndef PI_E2E_COMMON_H
#define PI_E2E_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pocketinternet/apply.h"
#include "pocketinternet/backend.h"
#include "pocketinternet/lab.h"
#include "pocketinternet/plan.h"

extern const char *bin;          /* the pocketinternet binary */
extern char lab_file[4096];
extern struct pi_lab *lab;
extern struct pi_plan *plan;     /* of the lab under test */
extern struct pi_backend backend;
extern size_t host_links_before;

/* Runs the binary with argv (NULL-terminated, without argv[0]); stdout into
 * out (stdout and stderr to our stderr when out is NULL). Exit code. */
int run_bin(struct pi_buf *out, const char *const *argv);
/* run_bin with stdout and stderr both into out. */
int run_bin_all(struct pi_buf *out, const char *const *argv);
/* Runs argv inside a node; returns its exit code, stdout in out. */
int node_exec(uint32_t node, struct pi_buf *out, const char *const *argv);
int node_exec_retry(uint32_t node, struct pi_buf *out, const char *const *argv, int seconds);
uint32_t find_node(unsigned services, unsigned without, const char *pod_blueprint, unsigned nth);
const struct pi_plan_iface *iface_with(uint32_t node, bool v4dhcp, bool v6ra);
/* Routers by loopback, servers by their first LAN address. */
struct pi_prefix node_addr(uint32_t node, unsigned family);
bool has_v4(uint32_t node);
size_t host_link_count(void);
int load_plan(const char *file);
void free_plan(void);
/* Tears down whatever runs of file's lab, then sets it up with the binary. */
int bring_up(const char *file);
/* bring_up, with or without setup --verify. */
int bring_up_opts(const char *file, bool verify);
/* Opens the Docker backend and brings up labs/<name>.yml: 0 or -1. */
int e2e_open_lab(const char *name);
/* Tears down the lab under test and frees what e2e_open_lab made. */
void e2e_close_lab(void);
/* Group fixtures: the default lab (labs/lab.yml) up for the whole group, then gone. */
int e2e_setup_default_lab(void **state);
int e2e_teardown_lab(void **state);
/* A suite's main: the binary's path from argv[1], 77 (skipped) unless root.
 * Needs <cmocka.h> included before this header's user calls it. */
struct CMUnitTest;
int e2e_main(int argc, char **argv, const char *name, const struct CMUnitTest *tests, size_t n,
	     int (*setup)(void **), int (*teardown)(void **));
uint32_t pod_of_addr(const struct pi_prefix *a);
/* What b is to a at the AS level (enum pi_rel), or -1. */
int rel_between(uint32_t a, uint32_t b);

#endif
