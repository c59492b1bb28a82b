/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toe_trace.h - tracepoints at each step of a move (events/toe/ in
 * tracefs). A move is followed by its conn_id: toe_divert names the
 * 4-tuple and the slot, the later steps the slot.
 *
 * Offload: toe_divert, toe_capture, toe_offload (or toe_refuse, then
 * toe_undivert). Upload: toe_upload, toe_undivert. Also toe_upload_request
 * (the NIC asks), toe_set_opts (options sent to the engine) and
 * toe_policy (each decision of the offload policy, by the name of its
 * enum toe_policy_outcome).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM toe

#if !defined(_TOE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TOE_TRACE_H

#include <linux/tracepoint.h>

#include "toe_state.h"

#ifndef _TOE_TRACE_HELPERS
#define _TOE_TRACE_HELPERS	/* once, though the header is read again */
/* An address as IPv6 (IPv4 mapped), so that one format prints both. */
static inline void toe_trace_addr(u8 *to, u8 family, const u8 *addr)
{
	if (family == 6) {
		memcpy(to, addr, 16);
		return;
	}
	memset(to, 0, 10);
	to[10] = 0xff;
	to[11] = 0xff;
	memcpy(to + 12, addr, 4);
}
#endif

TRACE_EVENT(toe_divert,
	TP_PROTO(const struct toe_tcb *tcb, u32 conn_id, int err),
	TP_ARGS(tcb, conn_id, err),
	TP_STRUCT__entry(
		__field(u8, family)
		__array(u8, laddr, 16)
		__array(u8, raddr, 16)
		__field(u16, lport)
		__field(u16, rport)
		__field(u32, conn_id)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->family = tcb->family;
		toe_trace_addr(__entry->laddr, tcb->family, tcb->local_addr);
		toe_trace_addr(__entry->raddr, tcb->family, tcb->remote_addr);
		__entry->lport = be16_to_cpu(tcb->local_port);
		__entry->rport = be16_to_cpu(tcb->remote_port);
		__entry->conn_id = conn_id;
		__entry->err = err;
	),
	TP_printk("[%pI6c]:%u [%pI6c]:%u conn_id=%u err=%d",
		  __entry->laddr, __entry->lport, __entry->raddr,
		  __entry->rport, __entry->conn_id, __entry->err)
);

TRACE_EVENT(toe_capture,
	TP_PROTO(u32 conn_id, const struct toe_tcb *tcb, u32 unread),
	TP_ARGS(conn_id, tcb, unread),
	TP_STRUCT__entry(
		__field(u32, conn_id)
		__field(u32, snd_una)
		__field(u32, snd_nxt)
		__field(u32, write_seq)
		__field(u32, rcv_nxt)
		__field(u32, unread)
		__field(u32, snd_cwnd)
		__field(u32, srtt_us)
	),
	TP_fast_assign(
		__entry->conn_id = conn_id;
		__entry->snd_una = tcb->snd_una;
		__entry->snd_nxt = tcb->snd_nxt;
		__entry->write_seq = tcb->write_seq;
		__entry->rcv_nxt = tcb->rcv_nxt;
		__entry->unread = unread;
		__entry->snd_cwnd = tcb->snd_cwnd;
		__entry->srtt_us = tcb->srtt_us;
	),
	TP_printk("conn_id=%u snd_una=%u snd_nxt=%u write_seq=%u rcv_nxt=%u unread=%u cwnd=%u srtt_us=%u",
		  __entry->conn_id, __entry->snd_una, __entry->snd_nxt,
		  __entry->write_seq, __entry->rcv_nxt, __entry->unread,
		  __entry->snd_cwnd, __entry->srtt_us)
);

DECLARE_EVENT_CLASS(toe_conn_step,
	TP_PROTO(u32 conn_id, int err),
	TP_ARGS(conn_id, err),
	TP_STRUCT__entry(
		__field(u32, conn_id)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->conn_id = conn_id;
		__entry->err = err;
	),
	TP_printk("conn_id=%u err=%d", __entry->conn_id, __entry->err)
);

/* The commit: the NIC has the connection (err 0) or refused it. */
DEFINE_EVENT(toe_conn_step, toe_offload,
	TP_PROTO(u32 conn_id, int err),
	TP_ARGS(conn_id, err)
);

/* The held frames go to the kernel: an upload ends, or an offload undone. */
DEFINE_EVENT(toe_conn_step, toe_undivert,
	TP_PROTO(u32 conn_id, int err),
	TP_ARGS(conn_id, err)
);

TRACE_EVENT(toe_refuse,
	TP_PROTO(u32 conn_id, const char *why, int err),
	TP_ARGS(conn_id, why, err),
	TP_STRUCT__entry(
		__field(u32, conn_id)
		__string(why, why)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->conn_id = conn_id;
		__assign_str(why, why);
		__entry->err = err;
	),
	TP_printk("conn_id=%u why=%s err=%d", __entry->conn_id,
		  __get_str(why), __entry->err)
);

TRACE_EVENT(toe_upload,
	TP_PROTO(u32 conn_id, int why, const struct toe_tcb *tcb, int err),
	TP_ARGS(conn_id, why, tcb, err),
	TP_STRUCT__entry(
		__field(u32, conn_id)
		__field(int, why)
		__field(u32, snd_una)
		__field(u32, write_seq)
		__field(u32, rcv_nxt)
		__field(u32, snd_cwnd)
		__field(u32, srtt_us)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->conn_id = conn_id;
		__entry->why = why;
		__entry->snd_una = err ? 0 : tcb->snd_una;
		__entry->write_seq = err ? 0 : tcb->write_seq;
		__entry->rcv_nxt = err ? 0 : tcb->rcv_nxt;
		__entry->snd_cwnd = err ? 0 : tcb->snd_cwnd;
		__entry->srtt_us = err ? 0 : tcb->srtt_us;
		__entry->err = err;
	),
	TP_printk("conn_id=%u why=%d snd_una=%u write_seq=%u rcv_nxt=%u cwnd=%u srtt_us=%u err=%d",
		  __entry->conn_id, __entry->why, __entry->snd_una,
		  __entry->write_seq, __entry->rcv_nxt, __entry->snd_cwnd,
		  __entry->srtt_us, __entry->err)
);

TRACE_EVENT(toe_failover,
	TP_PROTO(u32 conn_id, const struct toe_tcb *tcb, int err),
	TP_ARGS(conn_id, tcb, err),
	TP_STRUCT__entry(
		__field(u32, conn_id)
		__field(u32, snd_una)
		__field(u32, snd_nxt)
		__field(u32, write_seq)
		__field(u32, rcv_nxt)
		__field(u32, ts_now)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->conn_id = conn_id;
		__entry->snd_una = tcb->snd_una;
		__entry->snd_nxt = tcb->snd_nxt;
		__entry->write_seq = tcb->write_seq;
		__entry->rcv_nxt = tcb->rcv_nxt;
		__entry->ts_now = tcb->ts_now;
		__entry->err = err;
	),
	TP_printk("conn_id=%u snd_una=%u snd_nxt=%u write_seq=%u rcv_nxt=%u ts_now=%u err=%d",
		  __entry->conn_id, __entry->snd_una, __entry->snd_nxt,
		  __entry->write_seq, __entry->rcv_nxt, __entry->ts_now,
		  __entry->err)
);

TRACE_EVENT(toe_upload_request,
	TP_PROTO(u32 conn_id, u16 reason),
	TP_ARGS(conn_id, reason),
	TP_STRUCT__entry(
		__field(u32, conn_id)
		__field(u16, reason)
	),
	TP_fast_assign(
		__entry->conn_id = conn_id;
		__entry->reason = reason;
	),
	TP_printk("conn_id=%u reason=%u", __entry->conn_id, __entry->reason)
);

TRACE_EVENT(toe_set_opts,
	TP_PROTO(u32 conn_id, u64 arg, int err),
	TP_ARGS(conn_id, arg, err),
	TP_STRUCT__entry(
		__field(u32, conn_id)
		__field(u64, arg)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->conn_id = conn_id;
		__entry->arg = arg;
		__entry->err = err;
	),
	TP_printk("conn_id=%u arg=%#llx err=%d", __entry->conn_id,
		  __entry->arg, __entry->err)
);

/*
 * The policy's outcomes by name (the names of TOE_POLICY_NAMES, which
 * toectl prints), so that a trace reads "outcome=offloaded"; user space
 * (perf, trace-cmd) learns the values from TRACE_DEFINE_ENUM.
 */
TRACE_DEFINE_ENUM(TOE_POL_NONE);
TRACE_DEFINE_ENUM(TOE_POL_WATCHED);
TRACE_DEFINE_ENUM(TOE_POL_OFFLOADED);
TRACE_DEFINE_ENUM(TOE_POL_BELOW_THRESHOLD);
TRACE_DEFINE_ENUM(TOE_POL_EXCLUDED);
TRACE_DEFINE_ENUM(TOE_POL_RTT_HIGH);
TRACE_DEFINE_ENUM(TOE_POL_NIC_FULL);
TRACE_DEFINE_ENUM(TOE_POL_EVICTED);
TRACE_DEFINE_ENUM(TOE_POL_IDLE);
TRACE_DEFINE_ENUM(TOE_POL_NIC_REQUEST);
TRACE_DEFINE_ENUM(TOE_POL_MODE_OFF);
TRACE_DEFINE_ENUM(TOE_POL_REFUSED);
TRACE_DEFINE_ENUM(TOE_POL_SOCKET_CHOICE);

#define show_toe_policy_outcome(o)					\
	__print_symbolic(o,						\
		{ TOE_POL_NONE, "none" },				\
		{ TOE_POL_WATCHED, "watched" },				\
		{ TOE_POL_OFFLOADED, "offloaded" },			\
		{ TOE_POL_BELOW_THRESHOLD, "below_threshold" },		\
		{ TOE_POL_EXCLUDED, "excluded" },			\
		{ TOE_POL_RTT_HIGH, "rtt_too_high" },			\
		{ TOE_POL_NIC_FULL, "nic_full" },			\
		{ TOE_POL_EVICTED, "evicted" },				\
		{ TOE_POL_IDLE, "idle" },				\
		{ TOE_POL_NIC_REQUEST, "nic_request" },			\
		{ TOE_POL_MODE_OFF, "mode_off" },			\
		{ TOE_POL_REFUSED, "refused" },				\
		{ TOE_POL_SOCKET_CHOICE, "socket_choice" })

TRACE_EVENT(toe_policy,
	TP_PROTO(u16 lport, u16 rport, int outcome, u64 bytes, u32 srtt_us),
	TP_ARGS(lport, rport, outcome, bytes, srtt_us),
	TP_STRUCT__entry(
		__field(u16, lport)
		__field(u16, rport)
		__field(int, outcome)
		__field(u64, bytes)
		__field(u32, srtt_us)
	),
	TP_fast_assign(
		__entry->lport = lport;
		__entry->rport = rport;
		__entry->outcome = outcome;
		__entry->bytes = bytes;
		__entry->srtt_us = srtt_us;
	),
	TP_printk("lport=%u rport=%u outcome=%s bytes=%llu srtt_us=%u",
		  __entry->lport, __entry->rport,
		  show_toe_policy_outcome(__entry->outcome),
		  __entry->bytes, __entry->srtt_us)
);

#endif /* _TOE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE toe_trace
#include <trace/define_trace.h>
