/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toe_capture.h - reading a live TCP socket for the device: whether the
 * engine can carry it, and its control block as a struct toe_tcb.
 */
#ifndef _TOE_CAPTURE_H
#define _TOE_CAPTURE_H

#include <net/sock.h>

#include "toe_state.h"
#include "uapi/toe.h"

/* Refusals are counted under these names (enum toe_refusal, uapi/toe.h). */
const char *toe_refusal_name(enum toe_refusal why);
const char *toe_refusal_desc(enum toe_refusal why);
enum toe_refusal toe_sock_refusal(struct sock *sk);
void toe_tcb_capture(struct sock *sk, struct toe_tcb *tcb);

#endif /* _TOE_CAPTURE_H */
