/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toe_netlink.h - the "toe" generic netlink family (toe_netlink.c): what
 * toectl reads and asks through, on the offload core's API.
 */
#ifndef _TOE_NETLINK_H
#define _TOE_NETLINK_H

int toe_netlink_init(void);
void toe_netlink_exit(void);

#endif /* _TOE_NETLINK_H */
