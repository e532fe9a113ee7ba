/* impair: shaping links (link set/reset) and reading what is in force. */
#include <stdio.h>
#include <string.h>
#include "apply_int.h"
#include "pocketinternet/netlink.h"

void pi_apply_end_impair(struct pi_nl *nl, const char *ifname, struct pi_link_end *e)
{
	(void)nl;
	(void)ifname;
	e->qdisc[0] = e->impair[0] = '\0';
}
