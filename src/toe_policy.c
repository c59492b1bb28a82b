// SPDX-License-Identifier: GPL-2.0
/*
 * toe_policy.c - the offload policy's decision, its address and port
 * lists, and the counters of what it decided.
 *
 * Everything here is a pure function of its arguments (the counters
 * aside), so that KUnit can check it over a table of cases; toe_auto.c
 * gathers the facts and acts.
 */
#include <linux/ctype.h>
#include <linux/inet.h>
#include <linux/kernel.h>
#include <net/ipv6.h>
#include <kunit/visibility.h>

#include "toe_policy.h"

static const char *const toe_policy_names[TOE_NUM_POLICY] = TOE_POLICY_NAMES;

/**
 * toe_policy_name() - the name an outcome is counted under.
 * @what: the outcome
 *
 * Return: a static string.
 */
const char *toe_policy_name(enum toe_policy_outcome what)
{
	if ((unsigned int)what >= TOE_NUM_POLICY)
		return "unknown";
	return toe_policy_names[what];
}
EXPORT_SYMBOL_IF_KUNIT(toe_policy_name);

/**
 * toe_policy_limit() - how many connections one NIC may hold.
 * @max_conns: net.toe.max_conns, 0 for no limit of its own
 * @nic_capacity: what the NIC says it holds
 *
 * The knob may lower the NIC's capacity, never raise it.
 *
 * Return: the limit.
 */
u32 toe_policy_limit(u32 max_conns, u32 nic_capacity)
{
	if (max_conns && max_conns < nic_capacity)
		return max_conns;
	return nic_capacity;
}
EXPORT_SYMBOL_IF_KUNIT(toe_policy_limit);

static bool toe_prefix4_match(__be32 a, __be32 prefix, u8 plen)
{
	__be32 mask = plen ? htonl(~0u << (32 - plen)) : 0;

	return !((a ^ prefix) & mask);
}

static bool toe_rule_match(const struct toe_rule *r,
			   const struct toe_policy_conn *c)
{
	const struct in6_addr *a;
	u16 port;

	switch (r->kind) {
	case TOE_RULE_LPORT:
	case TOE_RULE_RPORT:
		port = r->kind == TOE_RULE_LPORT ? c->lport : c->rport;
		return port >= r->port_lo && port <= r->port_hi;
	case TOE_RULE_LADDR:
	case TOE_RULE_RADDR:
		if (r->v4 != c->v4)
			return false;
		a = r->kind == TOE_RULE_LADDR ? &c->laddr : &c->raddr;
		if (r->v4)
			return toe_prefix4_match(a->s6_addr32[0],
						 r->addr.s6_addr32[0], r->plen);
		return ipv6_prefix_equal(a, &r->addr, r->plen);
	}
	return false;
}

/**
 * toe_rules_match() - does a connection match a list?
 * @r: the list
 * @conn: the connection
 *
 * Return: true if it matches any of the list's rules.
 */
bool toe_rules_match(const struct toe_rules *r,
		     const struct toe_policy_conn *conn)
{
	unsigned int i;

	for (i = 0; r && i < r->n; i++)
		if (toe_rule_match(&r->rule[i], conn))
			return true;
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(toe_rules_match);

static int toe_parse_ports(const char *val, struct toe_rule *r)
{
	char lo[8], *dash;
	unsigned int a, b;

	dash = strchr(val, '-');
	if (dash) {
		if (dash - val >= sizeof(lo))
			return -EINVAL;
		memcpy(lo, val, dash - val);
		lo[dash - val] = '\0';
		if (kstrtouint(lo, 10, &a) || kstrtouint(dash + 1, 10, &b))
			return -EINVAL;
	} else {
		if (kstrtouint(val, 10, &a))
			return -EINVAL;
		b = a;
	}
	if (!a || a > b || b > 65535)
		return -EINVAL;
	r->port_lo = a;
	r->port_hi = b;
	return 0;
}

static int toe_parse_prefix(const char *val, struct toe_rule *r)
{
	const char *end, *slash = strchr(val, '/');
	unsigned int plen;
	int i;

	memset(&r->addr, 0, sizeof(r->addr));
	if (in4_pton(val, -1, r->addr.s6_addr, '/', &end)) {
		r->v4 = true;
		plen = 32;
	} else if (in6_pton(val, -1, r->addr.s6_addr, '/', &end)) {
		r->v4 = false;
		plen = 128;
	} else {
		return -EINVAL;
	}
	if (*end && end != slash)
		return -EINVAL;
	if (slash) {
		unsigned int max = plen;

		if (kstrtouint(slash + 1, 10, &plen) || plen > max)
			return -EINVAL;
	}
	r->plen = plen;
	/* Keep only the prefix, so that reading back shows what matches. */
	for (i = 0; i < 16; i++) {
		int bits = (int)plen - 8 * i;

		if (bits <= 0)
			r->addr.s6_addr[i] = 0;
		else if (bits < 8)
			r->addr.s6_addr[i] &= 0xff << (8 - bits);
	}
	return 0;
}

static int toe_rule_print(const struct toe_rule *r, char *buf, size_t len)
{
	static const char *const kinds[] = {
		[TOE_RULE_LPORT] = "lport", [TOE_RULE_RPORT] = "rport",
		[TOE_RULE_LADDR] = "laddr", [TOE_RULE_RADDR] = "raddr",
	};

	if (r->kind == TOE_RULE_LPORT || r->kind == TOE_RULE_RPORT) {
		if (r->port_lo == r->port_hi)
			return scnprintf(buf, len, "%s=%u", kinds[r->kind],
					 r->port_lo);
		return scnprintf(buf, len, "%s=%u-%u", kinds[r->kind],
				 r->port_lo, r->port_hi);
	}
	if (r->v4)
		return scnprintf(buf, len, "%s=%pI4/%u", kinds[r->kind],
				 r->addr.s6_addr, r->plen);
	return scnprintf(buf, len, "%s=%pI6c/%u", kinds[r->kind], &r->addr,
			 r->plen);
}

static int toe_rule_parse(char *tok, struct toe_rule *r)
{
	char *val = strchr(tok, '=');

	if (!val)
		return -EINVAL;
	*val++ = '\0';
	memset(r, 0, sizeof(*r));
	if (!strcmp(tok, "lport") || !strcmp(tok, "rport")) {
		r->kind = tok[0] == 'l' ? TOE_RULE_LPORT : TOE_RULE_RPORT;
		return toe_parse_ports(val, r);
	}
	if (!strcmp(tok, "laddr") || !strcmp(tok, "raddr")) {
		r->kind = tok[0] == 'l' ? TOE_RULE_LADDR : TOE_RULE_RADDR;
		return toe_parse_prefix(val, r);
	}
	return -EINVAL;
}

/**
 * toe_rules_parse() - read an address and port list.
 * @text: rules separated by spaces, commas or newlines, each one of
 *	lport=PORT[-PORT], rport=PORT[-PORT], laddr=ADDR[/LEN] or
 *	raddr=ADDR[/LEN] (ADDR IPv4 or IPv6); empty for no rules
 * @r: out: the list, with its text normalized
 *
 * Logs the rule it cannot read, and why.
 *
 * Return: 0, or -EINVAL for a rule it cannot read or more than
 * %TOE_RULES_MAX of them.
 */
int toe_rules_parse(const char *text, struct toe_rules *r)
{
	char *copy, *cur, *tok, *orig;
	size_t used = 0;
	int err = 0;

	memset(r, 0, sizeof(*r));
	copy = kstrndup(text, TOE_RULES_TEXT_MAX, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	cur = copy;
	while ((tok = strsep(&cur, " ,\t\n"))) {
		if (!*tok)
			continue;
		if (r->n == TOE_RULES_MAX) {
			pr_warn_ratelimited("toe: more than %u rules in a list\n",
					    TOE_RULES_MAX);
			err = -EINVAL;
			break;
		}
		orig = kstrdup(tok, GFP_KERNEL);
		err = toe_rule_parse(tok, &r->rule[r->n]);
		if (err) {
			pr_warn_ratelimited("toe: cannot read rule '%s': want lport=N[-M], rport=N[-M], laddr=ADDR[/LEN] or raddr=ADDR[/LEN]\n",
					    orig ?: "?");
			kfree(orig);
			break;
		}
		kfree(orig);
		if (used)
			used += scnprintf(r->text + used, sizeof(r->text) - used,
					  " ");
		used += toe_rule_print(&r->rule[r->n], r->text + used,
				       sizeof(r->text) - used);
		r->n++;
	}
	kfree(copy);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(toe_rules_parse);

/**
 * toe_policy_decide() - should a connection on the host move to the NIC?
 * @c: the knobs
 * @conn: the connection, and the NIC its route leaves through
 *
 * In order: the byte threshold, the include list, the exclude list, the
 * RTT ceiling, then room on the NIC or an idle connection to evict.
 *
 * Return: what to do.
 */
enum toe_policy_verdict toe_policy_decide(const struct toe_policy_conf *c,
					  const struct toe_policy_conn *conn)
{
	if (conn->bytes < c->auto_bytes)
		return TOE_VERDICT_WAIT;
	if (c->include && c->include->n && !toe_rules_match(c->include, conn))
		return TOE_VERDICT_EXCLUDED;
	if (toe_rules_match(c->exclude, conn))
		return TOE_VERDICT_EXCLUDED;
	if (c->max_srtt_us && conn->srtt_us > c->max_srtt_us)
		return TOE_VERDICT_RTT_HIGH;
	if (conn->nic_conns < toe_policy_limit(c->max_conns, conn->nic_capacity))
		return TOE_VERDICT_OFFLOAD;
	if (c->evict_idle_ms && conn->victim_idle_ms >= c->evict_idle_ms)
		return TOE_VERDICT_EVICT;
	return TOE_VERDICT_NIC_FULL;
}
EXPORT_SYMBOL_IF_KUNIT(toe_policy_decide);
