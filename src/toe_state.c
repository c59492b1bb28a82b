// SPDX-License-Identifier: GPL-2.0
/*
 * toe_state.c - convert the transferred connection state between the
 * host's CPU order (struct toe_tcb) and the device's fixed little-endian
 * layout (struct toe_conn_state).
 */
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "toe_state.h"

/**
 * toe_conn_state_encode() - lay out a connection's state for the device.
 * @tcb: the state in CPU order
 * @cs: the device structure to fill; every byte is written, reserved ones
 *      with zero, so no kernel memory leaks to the device
 *
 * Context: any.
 */
void toe_conn_state_encode(const struct toe_tcb *tcb,
			   struct toe_conn_state *cs)
{
	int i;

	memset(cs, 0, sizeof(*cs));
	cs->version = cpu_to_le16(TOE_CONN_STATE_VERSION);
	cs->size = cpu_to_le16(sizeof(*cs));
	cs->family = tcb->family;
	cs->state = tcb->state;
	cs->snd_wscale = tcb->snd_wscale;
	cs->rcv_wscale = tcb->rcv_wscale;
	memcpy(cs->local_addr, tcb->local_addr, sizeof(cs->local_addr));
	memcpy(cs->remote_addr, tcb->remote_addr, sizeof(cs->remote_addr));
	cs->local_port = tcb->local_port;
	cs->remote_port = tcb->remote_port;
	cs->flags = cpu_to_le32(tcb->flags);

	cs->snd_una = cpu_to_le32(tcb->snd_una);
	cs->snd_nxt = cpu_to_le32(tcb->snd_nxt);
	cs->write_seq = cpu_to_le32(tcb->write_seq);
	cs->snd_wl1 = cpu_to_le32(tcb->snd_wl1);
	cs->snd_wnd = cpu_to_le32(tcb->snd_wnd);
	cs->max_window = cpu_to_le32(tcb->max_window);
	cs->mss = cpu_to_le16(tcb->mss);
	cs->adv_mss = cpu_to_le16(tcb->adv_mss);

	cs->rcv_nxt = cpu_to_le32(tcb->rcv_nxt);
	cs->copied_seq = cpu_to_le32(tcb->copied_seq);
	cs->rcv_wnd = cpu_to_le32(tcb->rcv_wnd);
	cs->rcv_wup = cpu_to_le32(tcb->rcv_wup);

	cs->ts_offset = cpu_to_le32(tcb->ts_offset);
	cs->ts_recent = cpu_to_le32(tcb->ts_recent);
	cs->ts_recent_age_ms = cpu_to_le32(tcb->ts_recent_age_ms);
	cs->ts_now = cpu_to_le32(tcb->ts_now);

	cs->srtt_us = cpu_to_le32(tcb->srtt_us);
	cs->rttvar_us = cpu_to_le32(tcb->rttvar_us);
	cs->rto_us = cpu_to_le32(tcb->rto_us);
	cs->snd_cwnd = cpu_to_le32(tcb->snd_cwnd);
	cs->snd_ssthresh = cpu_to_le32(tcb->snd_ssthresh);
	cs->ca_state = tcb->ca_state;
	cs->cong_algo = tcb->cong_algo;
	cs->keepalive_probes = tcb->keepalive_probes;
	cs->keepalive_time_s = cpu_to_le32(tcb->keepalive_time_s);
	cs->keepalive_intvl_s = cpu_to_le32(tcb->keepalive_intvl_s);

	for (i = 0; i < 4; i++) {
		cs->sack_blocks[i][0] = cpu_to_le32(tcb->sack_blocks[i][0]);
		cs->sack_blocks[i][1] = cpu_to_le32(tcb->sack_blocks[i][1]);
	}
	cs->num_sacks = tcb->num_sacks;
}
EXPORT_SYMBOL_IF_KUNIT(toe_conn_state_encode);

/**
 * toe_conn_state_decode() - read a connection's state handed back by the
 * device, checking what the device could have got wrong.
 * @cs: the device structure
 * @tcb: filled in CPU order on success
 *
 * Context: any.
 * Return: 0, or -EINVAL for an unknown version or size, a family other
 * than 4 or 6, or more SACK blocks than there is room for.
 */
int toe_conn_state_decode(const struct toe_conn_state *cs,
			  struct toe_tcb *tcb)
{
	int i;

	if (le16_to_cpu(cs->version) != TOE_CONN_STATE_VERSION ||
	    le16_to_cpu(cs->size) != sizeof(*cs))
		return -EINVAL;
	if (cs->family != 4 && cs->family != 6)
		return -EINVAL;
	if (cs->num_sacks > ARRAY_SIZE(cs->sack_blocks))
		return -EINVAL;

	memset(tcb, 0, sizeof(*tcb));
	tcb->family = cs->family;
	tcb->state = cs->state;
	tcb->snd_wscale = cs->snd_wscale;
	tcb->rcv_wscale = cs->rcv_wscale;
	memcpy(tcb->local_addr, cs->local_addr, sizeof(tcb->local_addr));
	memcpy(tcb->remote_addr, cs->remote_addr, sizeof(tcb->remote_addr));
	tcb->local_port = cs->local_port;
	tcb->remote_port = cs->remote_port;
	tcb->flags = le32_to_cpu(cs->flags);

	tcb->snd_una = le32_to_cpu(cs->snd_una);
	tcb->snd_nxt = le32_to_cpu(cs->snd_nxt);
	tcb->write_seq = le32_to_cpu(cs->write_seq);
	tcb->snd_wl1 = le32_to_cpu(cs->snd_wl1);
	tcb->snd_wnd = le32_to_cpu(cs->snd_wnd);
	tcb->max_window = le32_to_cpu(cs->max_window);
	tcb->mss = le16_to_cpu(cs->mss);
	tcb->adv_mss = le16_to_cpu(cs->adv_mss);

	tcb->rcv_nxt = le32_to_cpu(cs->rcv_nxt);
	tcb->copied_seq = le32_to_cpu(cs->copied_seq);
	tcb->rcv_wnd = le32_to_cpu(cs->rcv_wnd);
	tcb->rcv_wup = le32_to_cpu(cs->rcv_wup);

	tcb->ts_offset = le32_to_cpu(cs->ts_offset);
	tcb->ts_recent = le32_to_cpu(cs->ts_recent);
	tcb->ts_recent_age_ms = le32_to_cpu(cs->ts_recent_age_ms);
	tcb->ts_now = le32_to_cpu(cs->ts_now);

	tcb->srtt_us = le32_to_cpu(cs->srtt_us);
	tcb->rttvar_us = le32_to_cpu(cs->rttvar_us);
	tcb->rto_us = le32_to_cpu(cs->rto_us);
	tcb->snd_cwnd = le32_to_cpu(cs->snd_cwnd);
	tcb->snd_ssthresh = le32_to_cpu(cs->snd_ssthresh);
	tcb->ca_state = cs->ca_state;
	tcb->cong_algo = cs->cong_algo;
	tcb->keepalive_probes = cs->keepalive_probes;
	tcb->keepalive_time_s = le32_to_cpu(cs->keepalive_time_s);
	tcb->keepalive_intvl_s = le32_to_cpu(cs->keepalive_intvl_s);

	for (i = 0; i < 4; i++) {
		tcb->sack_blocks[i][0] = le32_to_cpu(cs->sack_blocks[i][0]);
		tcb->sack_blocks[i][1] = le32_to_cpu(cs->sack_blocks[i][1]);
	}
	tcb->num_sacks = cs->num_sacks;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(toe_conn_state_decode);

/**
 * toe_tcb_figures_ok() - figures the kernel's TCP can go on from.
 * @tcb: a state from the device, decoded
 *
 * The window scales at most 14 (RFC 7323) and each window within what
 * its scale can say; the RTT, its variance and the RTO at most
 * TOE_TCB_MAX_US; cwnd and ssthresh within an int (the kernel's
 * tcp_snd_cwnd_set() warns past it).
 *
 * Context: any.
 * Return: true if every figure is in range.
 */
bool toe_tcb_figures_ok(const struct toe_tcb *tcb)
{
	u32 snd_max, rcv_max;

	if (tcb->snd_wscale > TOE_TCB_MAX_WSCALE ||
	    tcb->rcv_wscale > TOE_TCB_MAX_WSCALE)
		return false;
	snd_max = (u32)U16_MAX << tcb->snd_wscale;
	rcv_max = (u32)U16_MAX << tcb->rcv_wscale;
	return tcb->snd_wnd <= snd_max && tcb->max_window <= snd_max &&
	       tcb->rcv_wnd <= rcv_max &&
	       tcb->srtt_us <= TOE_TCB_MAX_US &&
	       tcb->rttvar_us <= TOE_TCB_MAX_US &&
	       tcb->rto_us <= TOE_TCB_MAX_US &&
	       tcb->snd_cwnd <= INT_MAX && tcb->snd_ssthresh <= INT_MAX;
}
EXPORT_SYMBOL_IF_KUNIT(toe_tcb_figures_ok);
