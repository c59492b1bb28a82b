// SPDX-License-Identifier: GPL-2.0-only
/*
 * unit-timers.c - keepalive (RFC 1122 4.2.3.6, Linux's semantics) and the
 * engine's deadlines.
 */
#include <endian.h>

#include "unit.h"

#define S	1000000ull

static int ka(struct fx *f, bool on, uint32_t idle_s, uint32_t intvl_s,
	      uint32_t probes)
{
	return toe_engine_set_keepalive(f->eng, f->id, on, idle_s, intvl_s,
					probes, f->now);
}

/*
 * Idle for idle_s: a probe at snd_una - 1 with no data; then one every
 * intvl_s; after @probes unanswered, RST and -ETIMEDOUT.
 */
static void keepalive_probes(void)
{
	struct fx *f = fx_setup(4);
	struct upkt *p;
	int i;

	if (!f)
		return;
	if (!EXPECT_EQ(ka(f, true, 10, 2, 3), 0))
		return;
	fx_run_until(f, FX_T0 + 10 * S - 1);
	EXPECT_NO_PKT(f);
	for (i = 0; i < 3; i++) {
		unit_ctx("probe %d", i);
		fx_run_until(f, FX_T0 + (10 + 2 * i) * S);
		p = EXPECT_PKT(f, TF_ACK, FX_ISS - 1, FX_IRS, 0);
		EXPECT_EQ(p->t, FX_T0 + (10 + 2 * i) * S);
		EXPECT_NO_PKT(f);
		EXPECT_NO_EV(f);
	}
	unit_ctx("after the probes");
	fx_run_until(f, FX_T0 + 16 * S - 1);
	EXPECT_NO_PKT(f);
	EXPECT_NO_EV(f);
	fx_run_until(f, FX_T0 + 16 * S);
	EXPECT_PKT(f, TF_RST | TF_ACK, FX_ISS, FX_IRS, 0);
	EXPECT_EV(f, TOE_ENG_EV_ERROR, -ETIMEDOUT);
	EXPECT_EV(f, TOE_ENG_EV_CLOSED, ANY);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), -ENOENT);
	fx_run(f, 100 * S);
	EXPECT_NO_PKT(f);
}

/* An answered probe resets the count; the next one waits idle_s again. */
static void keepalive_answered(void)
{
	struct fx *f = fx_setup(6);
	uint64_t t = FX_T0;
	int i;

	if (!f)
		return;
	if (!EXPECT_EQ(ka(f, true, 10, 2, 2), 0))
		return;
	for (i = 0; i < 5; i++) {
		unit_ctx("round %d", i);
		/* Idle since the last segment from the peer (or adopt). */
		fx_run_until(f, t + 10 * S - 1);
		EXPECT_NO_PKT(f);
		fx_run_until(f, t + 10 * S);
		EXPECT_PKT(f, TF_ACK, FX_ISS - 1, FX_IRS, 0);
		fx_run(f, 1 * S);
		fx_ack(f, FX_ISS);
		EXPECT_NO_PKT(f);
		t = f->now;
	}
	EXPECT_NO_EV(f);
	EXPECT_EQ(toe_engine_find_handle(f->eng, f->handle), f->id);
}

/* Traffic from the peer postpones the first probe. */
static void keepalive_postponed_by_traffic(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	if (!EXPECT_EQ(ka(f, true, 10, 2, 2), 0))
		return;
	fx_run(f, 8 * S);
	fx_send_peer(f, 10);
	fx_run(f, f->cfg.delack_us);
	fx_drain(f);
	fx_run_until(f, FX_T0 + 18 * S - 1);
	EXPECT_NO_PKT(f);
	fx_run_until(f, FX_T0 + 18 * S);
	EXPECT_PKT(f, TF_ACK, FX_ISS - 1, FX_IRS + 10, 0);
}

/* Keepalive adopted with the state starts from adopt. */
static void keepalive_from_state(void)
{
	struct fx *f = fx_new();
	struct toe_conn_state st;

	fx_state(f, &st, 4);
	st.flags = htole32(le32toh(st.flags) | TOE_CS_KEEPALIVE);
	st.keepalive_time_s = htole32(30);
	st.keepalive_intvl_s = htole32(5);
	st.keepalive_probes = 1;
	if (!EXPECT(fx_adopt(f, &st) >= 0))
		return;
	EXPECT_EQ(toe_engine_next_deadline(f->eng), FX_T0 + 30 * S);
	fx_run_until(f, FX_T0 + 30 * S);
	EXPECT_PKT(f, TF_ACK, FX_ISS - 1, FX_IRS, 0);
	fx_run_until(f, FX_T0 + 35 * S);
	EXPECT_PKT(f, TF_RST | TF_ACK, FX_ISS, FX_IRS, 0);
	EXPECT_EV(f, TOE_ENG_EV_ERROR, -ETIMEDOUT);
}

/* Off is off; bad arguments are refused. */
static void keepalive_off(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	EXPECT_EQ(ka(f, true, 0, 2, 2), -EINVAL);
	EXPECT_EQ(ka(f, true, 10, 0, 2), -EINVAL);
	EXPECT_EQ(ka(f, true, 10, 2, 0), -EINVAL);
	EXPECT_EQ(toe_engine_set_keepalive(f->eng, f->id + 1, true, 10, 2, 2,
					   f->now), -ENOENT);
	if (!EXPECT_EQ(ka(f, true, 10, 2, 2), 0))
		return;
	if (!EXPECT_EQ(ka(f, false, 10, 2, 2), 0))
		return;
	EXPECT_EQ(toe_engine_next_deadline(f->eng), UINT64_MAX);
	fx_run(f, 1000 * S);
	EXPECT_NO_PKT(f);
	EXPECT_NO_EV(f);
}

/* With data in flight the retransmission timer speaks, not keepalive. */
static void keepalive_not_with_data_in_flight(void)
{
	struct fx *f = fx_alloc();
	int n = 0;
	struct upkt *p;

	f->cfg.retries = 30;
	f->cfg.max_rto_us = 1000000;
	fx_start(f);
	{
		struct toe_conn_state st;

		fx_state(f, &st, 4);
		if (!EXPECT_OP(fx_adopt(f, &st), >=, 0))
			return;
	}
	if (!EXPECT_EQ(ka(f, true, 1, 1, 1), 0))
		return;
	if (!EXPECT_EQ(fx_queue(f, 100), 0))
		return;
	fx_drain(f);
	fx_run(f, 10 * S);
	while ((p = fx_pop(f))) {
		EXPECT_EQ(p->seq, FX_ISS);
		EXPECT_EQ(p->len, 100);
		n++;
	}
	EXPECT_GE(n, 5);
	EXPECT_NO_EV(f);
}

/* toe_engine_timers() returns the next deadline, as next_deadline does. */
static void timers_return_deadline(void)
{
	struct fx *f = fx_setup(4);

	if (!f)
		return;
	EXPECT_EQ(toe_engine_timers(f->eng, f->now), UINT64_MAX);
	fx_send_peer(f, 10);
	EXPECT_EQ(toe_engine_timers(f->eng, f->now),
		  f->now + f->cfg.delack_us);
	EXPECT_EQ(toe_engine_timers(f->eng, f->now + f->cfg.delack_us),
		  UINT64_MAX);
	EXPECT_PKT(f, TF_ACK, FX_ISS, FX_IRS + 10, 0);
}

/*
 * A caller's clock read before its previous call must not take the
 * timestamp clock back: the peer would drop the segment (PAWS).
 */
static void clock_never_backwards(void)
{
	struct fx *f = fx_setup(4);
	struct upkt *p;
	uint32_t first;

	if (!f)
		return;
	f->now += 50000;
	if (!EXPECT_EQ(fx_queue(f, FX_MSS), 0))
		return;
	p = EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS, FX_IRS, FX_MSS);
	first = p->tsval;
	f->now -= 30000;		/* a stale reading */
	EXPECT_EQ(fx_queue(f, FX_MSS), 0);
	p = EXPECT_PKT(f, TF_ACK | TF_PSH, FX_ISS + FX_MSS, FX_IRS, FX_MSS);
	EXPECT_EQ(p->tsval, first);
}

static const struct unit_case cases[] = {
	UNIT_CASE(keepalive_probes),
	UNIT_CASE(keepalive_answered),
	UNIT_CASE(keepalive_postponed_by_traffic),
	UNIT_CASE(keepalive_from_state),
	UNIT_CASE(keepalive_off),
	UNIT_CASE(keepalive_not_with_data_in_flight),
	UNIT_CASE(timers_return_deadline),
	UNIT_CASE(clock_never_backwards),
	{ NULL, NULL }
};

const struct unit_suite unit_timers_suite = { "timers", cases };
