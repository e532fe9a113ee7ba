/*
 * render/bird_stats: how big a BIRD is, read from its control socket's
 * replies (pure parsers; apply asks). `show memory` ends with
 *   Total:              50.6 kB     57.7 kB
 * (effective, then overhead), `show route table master4 count` says
 *   2 of 2 routes for 2 networks in table master4
 * Used for full tables (docs/testing-bgp.md): convergence is every router
 * holding the table, its cost BIRD's memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "render_int.h"

static uint64_t unit(const char *u)
{
	if (strncmp(u, "kB", 2) == 0)
		return 1024;
	if (strncmp(u, "MB", 2) == 0)
		return 1024 * 1024;
	if (strncmp(u, "GB", 2) == 0)
		return 1024ull * 1024 * 1024;
	return 1;
}

bool pi_bird_parse_memory(const char *text, uint64_t *effective, uint64_t *overhead)
{
	const char *t = strstr(text, "Total:");
	if (!t)
		return false;
	double e, o;
	char ue[8], uo[8];
	/* !(x >= 0 && x < 1e9): also NaN; any unit times 1e9 fits 64 bits. */
	if (sscanf(t, "Total: %lf %7s %lf %7s", &e, ue, &o, uo) != 4 || !(e >= 0 && e < 1e9) || !(o >= 0 && o < 1e9))
		return false;
	*effective = (uint64_t)(e * (double)unit(ue));
	*overhead = (uint64_t)(o * (double)unit(uo));
	return true;
}

void pi_bird_count_cmd(uint8_t family, char *buf, size_t len)
{
	snprintf(buf, len, "show route table master%d count", family == PI_AF_V6 ? 6 : 4);
}

bool pi_bird_parse_count(const char *text, uint64_t *networks)
{
	const char *f = strstr(text, " routes for ");
	unsigned long long n;
	if (!f || sscanf(f, " routes for %llu networks", &n) != 1)
		return false;
	*networks = n;
	return true;
}
