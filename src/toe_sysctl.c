// SPDX-License-Identifier: GPL-2.0
/*
 * toe_sysctl.c - the per network namespace net.toe.* sysctls.
 *
 * net.toe.mode - when connections move to the NIC:
 *   0 off (default): never;
 *   1 explicit: only sockets that ask for it with the socket option;
 *   2 auto: every eligible connection, unless its socket refuses.
 * Values outside 0..2 are refused with EINVAL and a log line.
 */
#include <linux/sysctl.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "toe.h"

enum toe_mode {
	TOE_MODE_OFF = 0,
	TOE_MODE_EXPLICIT = 1,
	TOE_MODE_AUTO = 2,
};

/* One per network namespace; the sysctl core serializes writers. */
struct toe_net {
	int mode;			/* enum toe_mode */
	struct ctl_table_header *hdr;
};

static unsigned int toe_net_id __read_mostly;
static int toe_mode_max = TOE_MODE_AUTO;

/*
 * proc_dointvec_minmax() refuses an out-of-range write silently; an
 * operator deserves to be told which range and why.
 */
static int toe_sysctl_mode(struct ctl_table *table, int write, void *buffer,
			   size_t *lenp, loff_t *ppos)
{
	int err = proc_dointvec_minmax(table, write, buffer, lenp, ppos);

	if (write && err == -EINVAL)
		pr_warn_ratelimited("toe: net.toe.mode must be 0 (off), 1 (explicit) or 2 (auto)\n");
	return err;
}

static const struct ctl_table toe_sysctl_table[] = {
	{
		.procname	= "mode",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= toe_sysctl_mode,
		.extra1		= SYSCTL_ZERO,
		.extra2		= &toe_mode_max,
	},
	{ }
};

/**
 * toe_net_mode() - the offload mode of a network namespace.
 * @net: the namespace
 *
 * Context: any.
 * Return: 0 off, 1 explicit, 2 auto.
 */
int toe_net_mode(const struct net *net)
{
	struct toe_net *tn = net_generic(net, toe_net_id);

	return READ_ONCE(tn->mode);
}

static int __net_init toe_net_init(struct net *net)
{
	struct toe_net *tn = net_generic(net, toe_net_id);
	struct ctl_table *table;

	tn->mode = TOE_MODE_OFF;
	table = kmemdup(toe_sysctl_table, sizeof(toe_sysctl_table),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	table[0].data = &tn->mode;
	tn->hdr = register_net_sysctl(net, "net/toe", table);
	if (!tn->hdr) {
		pr_err("toe: cannot register net.toe sysctls\n");
		kfree(table);
		return -ENOMEM;
	}
	return 0;
}

static void __net_exit toe_net_exit(struct net *net)
{
	struct toe_net *tn = net_generic(net, toe_net_id);
	struct ctl_table *table = tn->hdr->ctl_table_arg;

	unregister_net_sysctl_table(tn->hdr);
	kfree(table);
}

static struct pernet_operations toe_net_ops = {
	.init	= toe_net_init,
	.exit	= toe_net_exit,
	.id	= &toe_net_id,
	.size	= sizeof(struct toe_net),
};

int toe_sysctl_init(void)
{
	return register_pernet_subsys(&toe_net_ops);
}

void toe_sysctl_exit(void)
{
	unregister_pernet_subsys(&toe_net_ops);
}
