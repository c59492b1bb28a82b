// SPDX-License-Identifier: GPL-2.0
/*
 * toe_sysctl.c - the per network namespace net.toe.* sysctls: the knobs
 * of the offload policy (struct toe_net). Documentation/driver.rst gives
 * each one's meaning, default and range.
 *
 * A value out of range, or a list that cannot be read, is refused with
 * EINVAL and a log line that says what is allowed.
 */
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <kunit/visibility.h>

#include "toe_policy.h"

static unsigned int toe_net_id __read_mostly;

static int toe_mode_max = TOE_MODE_AUTO;
static unsigned long toe_auto_bytes_max = 1ul << 40;
static int toe_srtt_max = 60 * USEC_PER_SEC;
static int toe_conns_max = 65536;
static int toe_ms_max = 24 * 3600 * MSEC_PER_SEC;

/*
 * The proc_do*_minmax() handlers refuse an out-of-range write with no
 * word of why: an operator deserves to be told the range.
 */
static int toe_sysctl_int(struct ctl_table *table, int write, void *buffer,
			  size_t *lenp, loff_t *ppos)
{
	int err = proc_dointvec_minmax(table, write, buffer, lenp, ppos);

	if (write && err == -EINVAL)
		pr_warn_ratelimited("toe: net.toe.%s must be between %d and %d\n",
				    table->procname, *(int *)table->extra1,
				    *(int *)table->extra2);
	return err;
}

static int toe_sysctl_ulong(struct ctl_table *table, int write, void *buffer,
			    size_t *lenp, loff_t *ppos)
{
	int err = proc_doulongvec_minmax(table, write, buffer, lenp, ppos);

	if (write && err == -EINVAL)
		pr_warn_ratelimited("toe: net.toe.%s must be between %lu and %lu\n",
				    table->procname,
				    *(unsigned long *)table->extra1,
				    *(unsigned long *)table->extra2);
	return err;
}

/* Setting the mode to off also brings every connection home. */
static int toe_sysctl_mode(struct ctl_table *table, int write, void *buffer,
			   size_t *lenp, loff_t *ppos)
{
	struct toe_net *tn = container_of(table->data, struct toe_net, mode);
	int old = READ_ONCE(tn->mode);
	int err = toe_sysctl_int(table, write, buffer, lenp, ppos);

	if (write && !err && old != TOE_MODE_OFF &&
	    READ_ONCE(tn->mode) == TOE_MODE_OFF && tn->net)
		toe_auto_mode_off(tn->net);
	return err;
}

/*
 * net.toe.include and net.toe.exclude: read back as normalized; a write
 * replaces the whole list, or, if any rule cannot be read, nothing.
 */
static int toe_sysctl_rules(struct ctl_table *table, int write, void *buffer,
			    size_t *lenp, loff_t *ppos)
{
	struct toe_rules __rcu **slot = table->data;
	struct toe_net *tn = table->extra1;
	struct ctl_table tmp = {
		.procname = table->procname,
		.maxlen = TOE_RULES_TEXT_MAX,
	};
	struct toe_rules *cur, *r = NULL;
	int err;

	tmp.data = kzalloc(TOE_RULES_TEXT_MAX, GFP_KERNEL);
	if (!tmp.data)
		return -ENOMEM;
	mutex_lock(&tn->rules_lock);
	cur = rcu_dereference_protected(*slot,
					lockdep_is_held(&tn->rules_lock));
	if (!write) {
		if (cur)
			strscpy(tmp.data, cur->text, TOE_RULES_TEXT_MAX);
		err = proc_dostring(&tmp, 0, buffer, lenp, ppos);
		goto out;
	}
	/*
	 * A list is written whole, in one write(): a piece of one would
	 * replace the list, and a longer one would be cut where it still
	 * parses (rport=4430 as rport=443).
	 */
	if (*ppos || *lenp >= TOE_RULES_TEXT_MAX) {
		pr_warn_ratelimited("toe: net.toe.%s is written whole, in one write of less than %u bytes\n",
				    table->procname, TOE_RULES_TEXT_MAX);
		err = -EINVAL;
		goto out;
	}
	err = proc_dostring(&tmp, 1, buffer, lenp, ppos);
	if (err)
		goto out;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r) {
		err = -ENOMEM;
		goto out;
	}
	err = toe_rules_parse(tmp.data, r);
	if (err) {
		pr_warn_ratelimited("toe: net.toe.%s not changed\n",
				    table->procname);
		kfree(r);
		goto out;
	}
	rcu_assign_pointer(*slot, r);
	if (cur)
		kfree_rcu(cur, rcu);
out:
	mutex_unlock(&tn->rules_lock);
	kfree(tmp.data);
	return err;
}

/* The order is the order of toe_net_init()'s .data assignments. */
enum {
	TOE_CTL_MODE, TOE_CTL_AUTO_BYTES, TOE_CTL_MAX_SRTT, TOE_CTL_MAX_CONNS,
	TOE_CTL_IDLE, TOE_CTL_EVICT_IDLE, TOE_CTL_NIC_REQUEST,
	TOE_CTL_USER_OFFLOAD, TOE_CTL_INCLUDE, TOE_CTL_EXCLUDE, TOE_CTL_NUM
};

#define TOE_CTL_INT(name, max) {				\
	.procname	= name,					\
	.maxlen		= sizeof(int),				\
	.mode		= 0644,					\
	.proc_handler	= toe_sysctl_int,			\
	.extra1		= SYSCTL_ZERO,				\
	.extra2		= max,					\
}

#define TOE_CTL_RULES(name) {					\
	.procname	= name,					\
	.maxlen		= TOE_RULES_TEXT_MAX,			\
	.mode		= 0644,					\
	.proc_handler	= toe_sysctl_rules,			\
}

/* The knobs; toe_net_init() points a copy at each namespace's toe_net. */
const struct ctl_table toe_sysctl_template[] = {
	[TOE_CTL_MODE] = {
		.procname	= "mode",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= toe_sysctl_mode,
		.extra1		= SYSCTL_ZERO,
		.extra2		= &toe_mode_max,
	},
	[TOE_CTL_AUTO_BYTES] = {
		.procname	= "auto_bytes",
		.maxlen		= sizeof(unsigned long),
		.mode		= 0644,
		.proc_handler	= toe_sysctl_ulong,
		.extra1		= SYSCTL_LONG_ZERO,
		.extra2		= &toe_auto_bytes_max,
	},
	[TOE_CTL_MAX_SRTT] = TOE_CTL_INT("max_srtt_us", &toe_srtt_max),
	[TOE_CTL_MAX_CONNS] = TOE_CTL_INT("max_conns", &toe_conns_max),
	[TOE_CTL_IDLE] = TOE_CTL_INT("idle_ms", &toe_ms_max),
	[TOE_CTL_EVICT_IDLE] = TOE_CTL_INT("evict_idle_ms", &toe_ms_max),
	[TOE_CTL_NIC_REQUEST] = TOE_CTL_INT("nic_request", SYSCTL_ONE),
	[TOE_CTL_USER_OFFLOAD] = TOE_CTL_INT("user_offload", SYSCTL_ONE),
	[TOE_CTL_INCLUDE] = TOE_CTL_RULES("include"),
	[TOE_CTL_EXCLUDE] = TOE_CTL_RULES("exclude"),
	{ }
};
EXPORT_SYMBOL_IF_KUNIT(toe_sysctl_template);

/**
 * toe_net() - the policy of a network namespace.
 * @net: the namespace
 *
 * Context: any.
 * Return: its struct toe_net.
 */
struct toe_net *toe_net(const struct net *net)
{
	return net_generic(net, toe_net_id);
}

/**
 * toe_net_mode() - the offload mode of a network namespace.
 * @net: the namespace
 *
 * Context: any.
 * Return: enum toe_mode.
 */
int toe_net_mode(const struct net *net)
{
	return READ_ONCE(toe_net(net)->mode);
}

/**
 * toe_net_conf() - a snapshot of the knobs a decision reads.
 * @tn: the namespace's policy
 * @c: out; its lists are valid until rcu_read_unlock()
 *
 * Context: under rcu_read_lock().
 */
void toe_net_conf(struct toe_net *tn, struct toe_policy_conf *c)
{
	c->auto_bytes = READ_ONCE(tn->auto_bytes);
	c->max_srtt_us = READ_ONCE(tn->max_srtt_us);
	c->max_conns = READ_ONCE(tn->max_conns);
	c->evict_idle_ms = READ_ONCE(tn->evict_idle_ms);
	c->include = rcu_dereference(tn->include);
	c->exclude = rcu_dereference(tn->exclude);
}

static int __net_init toe_net_init(struct net *net)
{
	struct toe_net *tn = toe_net(net);
	struct ctl_table *table;

	tn->net = net;
	tn->mode = TOE_MODE_EXPLICIT;
	tn->auto_bytes = 128 * 1024;
	tn->evict_idle_ms = 1000;
	mutex_init(&tn->rules_lock);
	table = kmemdup(toe_sysctl_template, sizeof(toe_sysctl_template),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	table[TOE_CTL_MODE].data = &tn->mode;
	table[TOE_CTL_AUTO_BYTES].data = &tn->auto_bytes;
	table[TOE_CTL_MAX_SRTT].data = &tn->max_srtt_us;
	table[TOE_CTL_MAX_CONNS].data = &tn->max_conns;
	table[TOE_CTL_IDLE].data = &tn->idle_ms;
	table[TOE_CTL_EVICT_IDLE].data = &tn->evict_idle_ms;
	table[TOE_CTL_NIC_REQUEST].data = &tn->nic_request;
	table[TOE_CTL_USER_OFFLOAD].data = &tn->user_offload;
	table[TOE_CTL_INCLUDE].data = &tn->include;
	table[TOE_CTL_INCLUDE].extra1 = tn;
	table[TOE_CTL_EXCLUDE].data = &tn->exclude;
	table[TOE_CTL_EXCLUDE].extra1 = tn;
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
	struct toe_net *tn = toe_net(net);
	struct ctl_table *table = tn->hdr->ctl_table_arg;

	unregister_net_sysctl_table(tn->hdr);
	kfree(table);
	/* No reader is left: the namespace's sockets are gone. */
	kfree(rcu_dereference_protected(tn->include, 1));
	kfree(rcu_dereference_protected(tn->exclude, 1));
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
