// SPDX-License-Identifier: GPL-2.0
/*
 * toe_policy_kunit.c - KUnit suite for the offload policy: the decision
 * over a table of cases, the address and port lists, and the bounds of
 * every net.toe knob, written through its own sysctl handler.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysctl.h>
#include <kunit/test.h>

#include "toe_policy.h"

/* A connection from 198.18.0.1:5001 to 198.18.0.2:40000, 1 MiB moved. */
static void conn_default(struct toe_policy_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->v4 = true;
	c->laddr.s6_addr32[0] = htonl(0xc6120001);
	c->raddr.s6_addr32[0] = htonl(0xc6120002);
	c->lport = 5001;
	c->rport = 40000;
	c->bytes = 1 << 20;
	c->srtt_us = 2000;
	c->nic_conns = 3;
	c->nic_capacity = 64;
}

struct decide_case {
	const char *name;
	const char *include;
	const char *exclude;
	u64 auto_bytes;
	u32 max_srtt_us;
	u32 max_conns;
	u32 evict_idle_ms;
	u64 bytes;		/* 0: the default 1 MiB */
	u32 nic_conns;		/* ~0: the default 3 */
	u32 victim_idle_ms;
	bool v6;
	enum toe_policy_verdict want;
};

#define DEF	(~0u)

static const struct decide_case decide_cases[] = {
	{ "over the threshold, room", NULL, NULL, 128 << 10, 0, 0, 0, 0, DEF,
	  0, false, TOE_VERDICT_OFFLOAD },
	{ "below the threshold", NULL, NULL, 128 << 10, 0, 0, 0, 1000, DEF, 0,
	  false, TOE_VERDICT_WAIT },
	{ "exactly the threshold", NULL, NULL, 4096, 0, 0, 0, 4096, DEF, 0,
	  false, TOE_VERDICT_OFFLOAD },
	{ "threshold 0 takes everything", NULL, NULL, 0, 0, 0, 0, 1, DEF, 0,
	  false, TOE_VERDICT_OFFLOAD },
	{ "threshold checked before the lists", NULL, "lport=5001", 4096, 0,
	  0, 0, 10, DEF, 0, false, TOE_VERDICT_WAIT },
	{ "excluded by local port", NULL, "lport=5001", 0, 0, 0, 0, 0, DEF, 0,
	  false, TOE_VERDICT_EXCLUDED },
	{ "excluded by remote port range", NULL, "rport=30000-45000", 0, 0, 0,
	  0, 0, DEF, 0, false, TOE_VERDICT_EXCLUDED },
	{ "port range not matching", NULL, "rport=1-39999", 0, 0, 0, 0, 0, DEF,
	  0, false, TOE_VERDICT_OFFLOAD },
	{ "excluded by remote prefix", NULL, "raddr=198.18.0.0/15", 0, 0, 0, 0,
	  0, DEF, 0, false, TOE_VERDICT_EXCLUDED },
	{ "remote prefix not matching", NULL, "raddr=198.19.0.0/16", 0, 0, 0,
	  0, 0, DEF, 0, false, TOE_VERDICT_OFFLOAD },
	{ "IPv4 rule never matches IPv6", NULL, "raddr=0.0.0.0/0", 0, 0, 0, 0,
	  0, DEF, 0, true, TOE_VERDICT_OFFLOAD },
	{ "excluded by IPv6 prefix", NULL, "laddr=2001:db8::/32", 0, 0, 0, 0,
	  0, DEF, 0, true, TOE_VERDICT_EXCLUDED },
	{ "included", "lport=5000-5099", NULL, 0, 0, 0, 0, 0, DEF, 0, false,
	  TOE_VERDICT_OFFLOAD },
	{ "not included", "lport=6000", NULL, 0, 0, 0, 0, 0, DEF, 0, false,
	  TOE_VERDICT_EXCLUDED },
	{ "include then exclude", "lport=5001", "raddr=198.18.0.2", 0, 0, 0, 0,
	  0, DEF, 0, false, TOE_VERDICT_EXCLUDED },
	{ "any include rule will do", "lport=1 rport=40000", NULL, 0, 0, 0, 0,
	  0, DEF, 0, false, TOE_VERDICT_OFFLOAD },
	{ "RTT over the ceiling", NULL, NULL, 0, 1000, 0, 0, 0, DEF, 0, false,
	  TOE_VERDICT_RTT_HIGH },
	{ "RTT at the ceiling", NULL, NULL, 0, 2000, 0, 0, 0, DEF, 0, false,
	  TOE_VERDICT_OFFLOAD },
	{ "NIC at its capacity", NULL, NULL, 0, 0, 0, 0, 0, 64, 0, false,
	  TOE_VERDICT_NIC_FULL },
	{ "at max_conns", NULL, NULL, 0, 0, 8, 0, 0, 8, 0, false,
	  TOE_VERDICT_NIC_FULL },
	{ "below max_conns", NULL, NULL, 0, 0, 8, 0, 0, 7, 0, false,
	  TOE_VERDICT_OFFLOAD },
	{ "max_conns cannot raise the capacity", NULL, NULL, 0, 0, 100, 0, 0,
	  64, 0, false, TOE_VERDICT_NIC_FULL },
	{ "full, one idle long enough", NULL, NULL, 0, 0, 8, 1000, 0, 8, 1500,
	  false, TOE_VERDICT_EVICT },
	{ "full, none idle long enough", NULL, NULL, 0, 0, 8, 1000, 0, 8, 999,
	  false, TOE_VERDICT_NIC_FULL },
	{ "full, eviction off", NULL, NULL, 0, 0, 8, 0, 0, 8, 100000, false,
	  TOE_VERDICT_NIC_FULL },
	{ "excluded is never evicting", NULL, "lport=5001", 0, 0, 8, 1000, 0,
	  8, 5000, false, TOE_VERDICT_EXCLUDED },
};

static void decide_case_desc(const struct decide_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(decide, decide_cases, decide_case_desc);

static struct toe_rules *rules_or_null(struct kunit *test, const char *text)
{
	struct toe_rules *r;

	if (!text)
		return NULL;
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_EQ(test, toe_rules_parse(text, r), 0);
	return r;
}

static void decision_table(struct kunit *test)
{
	const struct decide_case *dc = test->param_value;
	struct toe_policy_conf conf = {
		.auto_bytes = dc->auto_bytes,
		.max_srtt_us = dc->max_srtt_us,
		.max_conns = dc->max_conns,
		.evict_idle_ms = dc->evict_idle_ms,
	};
	struct toe_policy_conn c;

	conf.include = rules_or_null(test, dc->include);
	conf.exclude = rules_or_null(test, dc->exclude);
	conn_default(&c);
	if (dc->bytes)
		c.bytes = dc->bytes;
	if (dc->nic_conns != DEF)
		c.nic_conns = dc->nic_conns;
	c.victim_idle_ms = dc->victim_idle_ms;
	if (dc->v6) {
		c.v4 = false;
		c.laddr = (struct in6_addr){ .s6_addr32 = {
			htonl(0x20010db8), 0, 0, htonl(1) } };
		c.raddr = (struct in6_addr){ .s6_addr32 = {
			htonl(0x20010db8), 0, 0, htonl(2) } };
	}
	KUNIT_EXPECT_EQ(test, toe_policy_decide(&conf, &c), dc->want);
}

static void limit_never_above_capacity(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, toe_policy_limit(0, 64), 64u);
	KUNIT_EXPECT_EQ(test, toe_policy_limit(8, 64), 8u);
	KUNIT_EXPECT_EQ(test, toe_policy_limit(64, 64), 64u);
	KUNIT_EXPECT_EQ(test, toe_policy_limit(65, 64), 64u);
	KUNIT_EXPECT_EQ(test, toe_policy_limit(8, 0), 0u);
}

static void rules_read_back_normalized(struct kunit *test)
{
	static const struct { const char *in, *out; unsigned int n; } ok[] = {
		{ "", "", 0 },
		{ "  ,\n", "", 0 },
		{ "lport=80", "lport=80", 1 },
		{ "rport=1-65535", "rport=1-65535", 1 },
		{ "raddr=198.18.5.7/15", "raddr=198.18.0.0/15", 1 },
		{ "laddr=10.1.2.3", "laddr=10.1.2.3/32", 1 },
		{ "laddr=2001:db8::1/32", "laddr=2001:db8::/32", 1 },
		{ "raddr=::/0", "raddr=::/0", 1 },
		{ "lport=5001,rport=7\nraddr=198.18.0.0/15",
		  "lport=5001 rport=7 raddr=198.18.0.0/15", 3 },
	};
	struct toe_rules *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		KUNIT_EXPECT_EQ_MSG(test, toe_rules_parse(ok[i].in, r), 0,
				    "'%s'", ok[i].in);
		KUNIT_EXPECT_STREQ(test, r->text, ok[i].out);
		KUNIT_EXPECT_EQ(test, r->n, ok[i].n);
	}
}

static void rules_refuse_what_they_cannot_read(struct kunit *test)
{
	static const char *const bad[] = {
		"lport", "lport=", "lport=0", "lport=65536", "lport=9-3",
		"lport=1-2-3", "lport=x", "port=80", "raddr=1.2.3",
		"raddr=1.2.3.4/33", "raddr=::1/129", "raddr=1.2.3.4/",
		"laddr=1.2.3.4x", "lport=80 bogus",
	};
	struct toe_rules *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	char *many;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ_MSG(test, toe_rules_parse(bad[i], r), -EINVAL,
				    "'%s'", bad[i]);

	/* One rule more than a list holds. */
	many = kunit_kzalloc(test, TOE_RULES_TEXT_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, many);
	for (i = 0; i < TOE_RULES_MAX; i++)
		strlcat(many, "lport=1 ", TOE_RULES_TEXT_MAX);
	KUNIT_EXPECT_EQ(test, toe_rules_parse(many, r), 0);
	KUNIT_EXPECT_EQ(test, r->n, (unsigned int)TOE_RULES_MAX);
	strlcat(many, "lport=2", TOE_RULES_TEXT_MAX);
	KUNIT_EXPECT_EQ(test, toe_rules_parse(many, r), -EINVAL);
}

static void rules_match_ports_and_prefixes(struct kunit *test)
{
	struct toe_rules *r = rules_or_null(test, "rport=40000 laddr=10.0.0.0/8");
	struct toe_policy_conn c;

	conn_default(&c);
	KUNIT_EXPECT_TRUE(test, toe_rules_match(r, &c));
	c.rport = 40001;
	KUNIT_EXPECT_FALSE(test, toe_rules_match(r, &c));
	c.laddr.s6_addr32[0] = htonl(0x0a090807);
	KUNIT_EXPECT_TRUE(test, toe_rules_match(r, &c));
	KUNIT_EXPECT_FALSE(test, toe_rules_match(NULL, &c));
}

/* Write @val to a copy of the knob @name whose data is @data. */
static int knob_write(struct kunit *test, const char *name, void *data,
		      const char *val)
{
	const struct ctl_table *t;
	struct ctl_table copy;
	size_t len = strlen(val);
	char *buf = kunit_kzalloc(test, len + 1, GFP_KERNEL);
	loff_t pos = 0;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	memcpy(buf, val, len);
	for (t = toe_sysctl_template; t->procname; t++)
		if (!strcmp(t->procname, name))
			break;
	KUNIT_ASSERT_NOT_NULL_MSG(test, t->procname, "no knob %s", name);
	copy = *t;
	copy.data = data;
	return copy.proc_handler(&copy, 1, buf, &len, &pos);
}

static void int_knobs_keep_their_bounds(struct kunit *test)
{
	static const struct { const char *name; int max; } knobs[] = {
		{ "mode", TOE_MODE_AUTO },
		{ "max_srtt_us", 60 * USEC_PER_SEC },
		{ "max_conns", 65536 },
		{ "idle_ms", 24 * 3600 * MSEC_PER_SEC },
		{ "evict_idle_ms", 24 * 3600 * MSEC_PER_SEC },
		{ "nic_request", 1 },
		{ "user_offload", 1 },
	};
	/* The mode's handler finds its namespace around the value. */
	struct toe_net *tn = kunit_kzalloc(test, sizeof(*tn), GFP_KERNEL);
	char v[16];
	int i;

	KUNIT_ASSERT_NOT_NULL(test, tn);
	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		int *val = &tn->mode;

		tn->mode = 1;
		KUNIT_EXPECT_EQ_MSG(test, knob_write(test, knobs[i].name, val,
						     "-1"), -EINVAL,
				    "%s", knobs[i].name);
		snprintf(v, sizeof(v), "%d", knobs[i].max + 1);
		KUNIT_EXPECT_EQ_MSG(test, knob_write(test, knobs[i].name, val,
						     v), -EINVAL,
				    "%s", knobs[i].name);
		KUNIT_EXPECT_EQ(test, *val, 1);
		snprintf(v, sizeof(v), "%d", knobs[i].max);
		KUNIT_EXPECT_EQ_MSG(test, knob_write(test, knobs[i].name, val,
						     v), 0,
				    "%s", knobs[i].name);
		KUNIT_EXPECT_EQ(test, *val, knobs[i].max);
		KUNIT_EXPECT_EQ(test, knob_write(test, knobs[i].name, val,
						 "0"), 0);
		KUNIT_EXPECT_EQ(test, *val, 0);
	}
}

static void auto_bytes_keeps_its_bounds(struct kunit *test)
{
	unsigned long val = 5;

	KUNIT_EXPECT_EQ(test, knob_write(test, "auto_bytes", &val,
					 "1099511627777"), -EINVAL);
	KUNIT_EXPECT_EQ(test, val, 5ul);
	KUNIT_EXPECT_EQ(test, knob_write(test, "auto_bytes", &val,
					 "1099511627776"), 0);
	KUNIT_EXPECT_EQ(test, val, 1ul << 40);
	KUNIT_EXPECT_EQ(test, knob_write(test, "auto_bytes", &val, "0"), 0);
	KUNIT_EXPECT_EQ(test, val, 0ul);
}

static void outcome_names(struct kunit *test)
{
	int i;

	for (i = 0; i < TOE_NUM_POLICY; i++)
		KUNIT_EXPECT_STRNEQ(test, toe_policy_name(i), "unknown");
	KUNIT_EXPECT_STREQ(test, toe_policy_name(TOE_NUM_POLICY), "unknown");
	KUNIT_EXPECT_STREQ(test, toe_policy_name(TOE_POL_NIC_FULL),
			   "nic_full");
}

static struct kunit_case toe_policy_test_cases[] = {
	KUNIT_CASE_PARAM(decision_table, decide_gen_params),
	KUNIT_CASE(limit_never_above_capacity),
	KUNIT_CASE(rules_read_back_normalized),
	KUNIT_CASE(rules_refuse_what_they_cannot_read),
	KUNIT_CASE(rules_match_ports_and_prefixes),
	KUNIT_CASE(int_knobs_keep_their_bounds),
	KUNIT_CASE(auto_bytes_keeps_its_bounds),
	KUNIT_CASE(outcome_names),
	{}
};

static struct kunit_suite toe_policy_suite = {
	.name = "toe_policy",
	.test_cases = toe_policy_test_cases,
};

kunit_test_suite(toe_policy_suite);
