/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toe_capture.h - reading a live TCP socket for the device: whether the
 * engine can carry it, and its control block as a struct toe_tcb.
 */
#ifndef _TOE_CAPTURE_H
#define _TOE_CAPTURE_H

#include <net/sock.h>

#include "toe_state.h"

/*
 * Why a socket cannot move to the NIC. Each is counted where the refusal
 * happens; toe_refusal_name() gives the name the counters show.
 */
enum toe_refusal {
	TOE_REFUSE_NONE = 0,
	TOE_REFUSE_NOT_TCP,	/* not a TCP stream socket */
	TOE_REFUSE_FAMILY,	/* neither IPv4 nor IPv6 */
	TOE_REFUSE_STATE,	/* not ESTABLISHED */
	TOE_REFUSE_REPAIR,	/* in TCP_REPAIR mode */
	TOE_REFUSE_MD5,		/* TCP-MD5 signatures (RFC 2385) */
	TOE_REFUSE_ULP,		/* another upper-layer protocol (kTLS, MPTCP) */
	TOE_REFUSE_URGENT,	/* urgent data pending, either way */
	TOE_REFUSE_CONG,	/* congestion control the engine does not run */
	TOE_NUM_REFUSALS
};

const char *toe_refusal_name(enum toe_refusal why);
enum toe_refusal toe_sock_refusal(struct sock *sk);
void toe_tcb_capture(struct sock *sk, struct toe_tcb *tcb);

#endif /* _TOE_CAPTURE_H */
