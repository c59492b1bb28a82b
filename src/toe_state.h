/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toe_state.h - the transferred connection state in CPU order, and its
 * conversion to and from the device's struct toe_conn_state.
 */
#ifndef _TOE_STATE_H
#define _TOE_STATE_H

#include <linux/limits.h>
#include <linux/time64.h>
#include <linux/types.h>

#include "toe_hw.h"

/*
 * struct toe_tcb - what moves between the two stacks, in CPU order.
 *
 * Field meanings are those of struct toe_conn_state. Addresses and ports
 * stay in network order, as on the wire.
 */
struct toe_tcb {
	u8 family;
	u8 state;
	u8 snd_wscale;
	u8 rcv_wscale;
	u8 local_addr[16];
	u8 remote_addr[16];
	__be16 local_port;
	__be16 remote_port;
	u32 flags;

	u32 snd_una;
	u32 snd_nxt;
	u32 write_seq;
	u32 snd_wl1;
	u32 snd_wnd;
	u32 max_window;
	u16 mss;
	u16 adv_mss;

	u32 rcv_nxt;
	u32 copied_seq;
	u32 rcv_wnd;
	u32 rcv_wup;

	u32 ts_offset;
	u32 ts_recent;
	u32 ts_recent_age_ms;
	u32 ts_now;

	u32 srtt_us;
	u32 rttvar_us;
	u32 rto_us;
	u32 snd_cwnd;
	u32 snd_ssthresh;
	u8 ca_state;
	u8 cong_algo;
	u8 keepalive_probes;
	u32 keepalive_time_s;
	u32 keepalive_intvl_s;

	u32 sack_blocks[4][2];
	u8 num_sacks;
};

/*
 * The largest RTT, RTT variance or RTO a state may give: twice TCP's
 * 120 s ceiling on the RTO, and small enough that the kernel's fixed
 * point forms (srtt_us << 3) fit 32 bits.
 */
#define TOE_TCB_MAX_US		(240U * USEC_PER_SEC)
/* RFC 7323: a window shift is at most 14, so a window at most this. */
#define TOE_TCB_MAX_WSCALE	14
#define TOE_TCB_MAX_WND		((u32)U16_MAX << TOE_TCB_MAX_WSCALE)

void toe_conn_state_encode(const struct toe_tcb *tcb,
			   struct toe_conn_state *cs);
int toe_conn_state_decode(const struct toe_conn_state *cs,
			  struct toe_tcb *tcb);
bool toe_tcb_figures_ok(const struct toe_tcb *tcb);

#endif /* _TOE_STATE_H */
