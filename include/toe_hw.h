/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * toe_hw.h - the hardware interface of the toe-pci TCP Offload Engine NIC.
 *
 * This is the one definition of the device's registers, rings, descriptors,
 * commands, events and the transferred connection state. It is compiled
 * into both the Linux module (src/) and the QEMU device model
 * (qemu-toe-device/); nothing else is shared between the two sides.
 *
 * Byte order: every multi-byte field in device memory (registers, ring
 * descriptors, command payloads) is little-endian. The two exceptions are
 * IP addresses and TCP ports inside struct toe_conn_state, which are kept
 * in network byte order exactly as they appear on the wire.
 *
 * Documentation/hardware.rst is the prose version of this file.
 */
#ifndef _TOE_HW_H
#define _TOE_HW_H

#include <linux/types.h>

#ifdef __KERNEL__
#include <linux/build_bug.h>
#define TOE_HW_ASSERT_SIZE(type, size) static_assert(sizeof(type) == (size))
#else
#define TOE_HW_ASSERT_SIZE(type, size) \
	_Static_assert(sizeof(type) == (size), #type " size")
#endif

/* ------------------------------------------------------------------------
 * PCI identity
 */
#define TOE_PCI_VENDOR_ID	0x1b36	/* Red Hat's QEMU range, as edu uses */
#define TOE_PCI_DEVICE_ID	0x10f0	/* unassigned in that range */
#define TOE_PCI_REVISION	0x01
#define TOE_PCI_CLASS		0x0200	/* network controller, Ethernet */

#define TOE_BAR_REGS		0	/* 4 KiB of 32-bit registers */
#define TOE_BAR_MSIX		1	/* MSI-X table and PBA */
#define TOE_BAR_REGS_SIZE	0x1000

/* ------------------------------------------------------------------------
 * Registers (BAR 0). All are 32 bits wide and must be accessed as such;
 * other widths read as 0 and are ignored on write (and counted as a
 * TOE_ERR_BAD_ACCESS).
 */
#define TOE_REG_ID		0x000	/* RO: TOE_ID_MAGIC */
#define TOE_REG_VERSION		0x004	/* RO: major << 16 | minor */
#define TOE_REG_FEATURES	0x008	/* RO: TOE_FEAT_* */
#define TOE_REG_CONN_CAPACITY	0x00c	/* RO: connections the engine holds */
#define TOE_REG_MAC_LO		0x010	/* RO: MAC bytes 0..3, byte 0 in bits 7:0 */
#define TOE_REG_MAC_HI		0x014	/* RO: MAC bytes 4..5 in bits 15:0 */
#define TOE_REG_MTU		0x018	/* RO: largest L2 payload (IP packet) */
#define TOE_REG_CTRL		0x020	/* RW: TOE_CTRL_* */
#define TOE_REG_STATUS		0x024	/* RO: TOE_STATUS_* */
#define TOE_REG_ERR_CODE	0x028	/* RC: last TOE_ERR_*, cleared on read */
#define TOE_REG_ERR_COUNT	0x02c	/* RO: errors since reset, saturating */
#define TOE_REG_INTR_CAUSE	0x030	/* RW1C: TOE_INTR_* raised */
#define TOE_REG_INTR_MASK	0x034	/* RO: TOE_INTR_* masked (1 = masked) */
#define TOE_REG_INTR_MASK_SET	0x038	/* WO: set these mask bits */
#define TOE_REG_INTR_MASK_CLR	0x03c	/* WO: clear these mask bits */
#define TOE_REG_SCRATCH		0x040	/* RW: echo register for self-test */
#define TOE_REG_CLOCK_MS	0x044	/* RO: device clock, ms, bits 31:0 */

/*
 * Ring register blocks: ring n at TOE_REG_RING_BASE + n * TOE_REG_RING_STRIDE.
 * BASE_LO/BASE_HI/SIZE may only be written while TOE_CTRL_ENABLE is clear.
 */
#define TOE_REG_RING_BASE	0x100
#define TOE_REG_RING_STRIDE	0x20
#define TOE_RING_ADDR_LO	0x00	/* RW: ring base, bits 31:0 */
#define TOE_RING_ADDR_HI	0x04	/* RW: ring base, bits 63:32 */
#define TOE_RING_SIZE		0x08	/* RW: entries, power of two */
#define TOE_RING_HEAD		0x0c	/* RO: device's free-running index */
#define TOE_RING_TAIL		0x10	/* RW: driver's free-running index */
#define TOE_REG_RING(n, reg) \
	(TOE_REG_RING_BASE + (n) * TOE_REG_RING_STRIDE + (reg))

enum toe_ring_id {
	TOE_RING_L2_TX = 0,	/* driver produces frames, device sends */
	TOE_RING_L2_RX = 1,	/* driver posts buffers, device fills */
	TOE_RING_CMD = 2,	/* driver produces commands, device runs */
	TOE_RING_EVT = 3,	/* driver posts slots, device writes events */
	TOE_NUM_RINGS
};

#define TOE_ID_MAGIC		0x31454f54	/* "TOE1" in memory order */
#define TOE_VERSION_MAJOR	1
#define TOE_VERSION_MINOR	3	/* 1: offload; 2: SET_OPTS, status;
					 * 3: placed data and clock in status
					 */
#define TOE_VERSION		((TOE_VERSION_MAJOR << 16) | TOE_VERSION_MINOR)

/* TOE_REG_FEATURES */
#define TOE_FEAT_L2		(1u << 0)	/* L2 TX/RX rings */
#define TOE_FEAT_CMD		(1u << 1)	/* command and event rings */
#define TOE_FEAT_OFFLOAD_IPV4	(1u << 2)	/* engine takes IPv4 TCP */
#define TOE_FEAT_OFFLOAD_IPV6	(1u << 3)	/* engine takes IPv6 TCP */

/* TOE_REG_CTRL */
#define TOE_CTRL_ENABLE		(1u << 0)	/* rings configured, run them */
#define TOE_CTRL_RESET		(1u << 1)	/* WO: reset; reads back as 0 */

/* TOE_REG_STATUS */
#define TOE_STATUS_READY	(1u << 0)	/* out of reset */
#define TOE_STATUS_ENABLED	(1u << 1)	/* rings running */
#define TOE_STATUS_LINK_UP	(1u << 2)	/* backend link up */
/* A ring stopped on an error; only a reset clears it. */
#define TOE_STATUS_FAULT	(1u << 3)

/* TOE_REG_INTR_CAUSE / MASK bits, and the MSI-X vector each one uses. */
#define TOE_INTR_L2_TX		(1u << 0)	/* TX descriptors completed */
#define TOE_INTR_L2_RX		(1u << 1)	/* RX descriptors filled */
#define TOE_INTR_EVT		(1u << 2)	/* events written */
#define TOE_INTR_ERR		(1u << 3)	/* see TOE_REG_ERR_CODE */
#define TOE_INTR_LINK		(1u << 4)	/* TOE_STATUS_LINK_UP changed */
#define TOE_INTR_ALL		0x1fu

enum toe_msix_vector {
	TOE_VEC_L2 = 0,		/* TOE_INTR_L2_TX | TOE_INTR_L2_RX */
	TOE_VEC_EVT = 1,	/* TOE_INTR_EVT */
	TOE_VEC_MISC = 2,	/* TOE_INTR_ERR | TOE_INTR_LINK */
	TOE_NUM_VECTORS
};

/*
 * TOE_REG_ERR_CODE: why the device last refused something. Errors are
 * counted in TOE_REG_ERR_COUNT and raise TOE_INTR_ERR. Errors marked
 * "fault" also set TOE_STATUS_FAULT and stop the ring concerned until reset.
 */
enum toe_err {
	TOE_ERR_NONE = 0,
	TOE_ERR_BAD_ACCESS = 1,		/* register access not 32-bit/aligned */
	TOE_ERR_BAD_REG = 2,		/* write to a RO/unknown register */
	TOE_ERR_BAD_RING_SIZE = 3,	/* size not a power of two in range */
	TOE_ERR_BAD_RING_ADDR = 4,	/* base unaligned, or not DMA-able */
	TOE_ERR_RING_BUSY = 5,		/* ring reconfigured while enabled */
	TOE_ERR_BAD_TAIL = 6,		/* tail - head > size */
	TOE_ERR_RING_DMA = 7,		/* fault: ring memory unreadable */
	TOE_ERR_BAD_DESC_ADDR = 8,	/* descriptor buffer not DMA-able */
	TOE_ERR_BAD_DESC_LEN = 9,	/* descriptor length out of range */
	TOE_ERR_BAD_CMD = 10,		/* command refused, see its event */
};

/* Ring sizes accepted by TOE_RING_SIZE, in entries. */
#define TOE_RING_MIN_SIZE	2
#define TOE_RING_MAX_SIZE	4096
/* Ring bases must be aligned to this. */
#define TOE_RING_ALIGN		64

/* Largest L2 frame without FCS (1500-byte MTU + Ethernet header + VLAN). */
#define TOE_L2_MAX_FRAME	1518
#define TOE_L2_MIN_FRAME	14
#define TOE_L2_MTU		1500

/* ------------------------------------------------------------------------
 * Ring indices are free-running 32-bit counters; the slot of index i is
 * i & (size - 1). The driver owns TAIL, the device owns HEAD; entries in
 * [HEAD, TAIL) belong to the device, the rest to the driver. tail - head
 * (in u32 arithmetic) is never more than size: the device refuses such a
 * TAIL with TOE_ERR_BAD_TAIL and keeps the old one.
 */
static inline __u32 toe_ring_slot(__u32 index, __u32 size)
{
	return index & (size - 1);
}

static inline __u32 toe_ring_used(__u32 head, __u32 tail)
{
	return tail - head;
}

static inline __u32 toe_ring_space(__u32 head, __u32 tail, __u32 size)
{
	return size - (tail - head);
}

static inline int toe_ring_tail_valid(__u32 head, __u32 tail, __u32 size)
{
	return (__u32)(tail - head) <= size;
}

static inline int toe_ring_size_valid(__u32 size)
{
	return size >= TOE_RING_MIN_SIZE && size <= TOE_RING_MAX_SIZE &&
	       (size & (size - 1)) == 0;
}

/* ------------------------------------------------------------------------
 * Descriptors. The driver writes a descriptor, then (after a write barrier)
 * the TAIL register. The device writes back the fields marked "device",
 * then (after its own barrier) sets TOE_DESC_DONE, then raises the cause.
 */
#define TOE_DESC_DONE		(1u << 0)	/* device finished with it */
#define TOE_DESC_ERR		(1u << 1)	/* ... and it was refused */

/* L2 TX: one frame per descriptor, buffer already holds the whole frame. */
struct toe_tx_desc {
	__le64 addr;		/* driver: frame buffer */
	__le16 len;		/* driver: frame length */
	__le16 flags;		/* driver: 0 (reserved) */
	__le16 status;		/* device: TOE_DESC_* */
	__le16 err;		/* device: TOE_ERR_* when TOE_DESC_ERR */
};
TOE_HW_ASSERT_SIZE(struct toe_tx_desc, 16);

/* L2 RX: an empty buffer posted by the driver, filled with one frame. */
struct toe_rx_desc {
	__le64 addr;		/* driver: buffer */
	__le16 buf_len;		/* driver: buffer size, >= TOE_L2_MAX_FRAME */
	__le16 len;		/* device: frame length */
	__le16 status;		/* device: TOE_DESC_* */
	__le16 err;		/* device: TOE_ERR_* when TOE_DESC_ERR */
};
TOE_HW_ASSERT_SIZE(struct toe_rx_desc, 16);

/* ------------------------------------------------------------------------
 * Commands (host to device) and events (device to host).
 *
 * The driver writes a struct toe_cmd into the command ring and advances
 * TAIL. The device runs commands in ring order; every command produces
 * exactly one TOE_EVT_CMD_DONE event echoing its tag, opcode, handle and
 * conn_id with a TOE_STS_* status. The device may also write unsolicited
 * events (for example upload requests). Events go to the event ring, whose
 * slots the driver posts like RX buffers (advancing its TAIL); the device
 * sets TOE_DESC_DONE in an event's flags last.
 *
 * Payload buffers belong to the device from the TAIL write until the
 * command's completion event, to the driver before and after.
 */
struct toe_cmd {
	__le16 opcode;		/* TOE_CMD_* */
	__le16 flags;		/* 0 (reserved) */
	__le32 tag;		/* driver's cookie, echoed in the event */
	__le64 handle;		/* host's handle, opaque to the device; a
				 * command about a connection must carry the
				 * one DIVERT gave its slot (else NOENT)
				 */
	__le32 conn_id;		/* device's connection id or TOE_CONN_NONE */
	__le32 payload_len;	/* bytes at payload_addr, <= TOE_CMD_MAX_PAYLOAD */
	union {
		__le64 payload_addr;	/* with a payload */
		__le64 arg;		/* without one: the opcode's argument */
	};
};
TOE_HW_ASSERT_SIZE(struct toe_cmd, 32);

struct toe_evt {
	__le16 type;		/* TOE_EVT_* */
	__le16 flags;		/* TOE_DESC_DONE, written last */
	__le32 tag;		/* CMD_DONE: the command's tag */
	__le64 handle;		/* the connection's host handle, or the cmd's */
	__le32 conn_id;		/* device's connection id or TOE_CONN_NONE */
	__le32 status;		/* TOE_STS_* */
	__le16 opcode;		/* CMD_DONE: the command's opcode */
	__le16 reason;		/* UPLOAD_REQ: TOE_UPLOAD_* */
	__le32 value;		/* type-specific; CMD_DONE: payload bytes used */
};
TOE_HW_ASSERT_SIZE(struct toe_evt, 32);

#define TOE_CONN_NONE		0xffffffffu
#define TOE_CMD_MAX_PAYLOAD	4096

/*
 * Opcodes. For each: what the payload holds and what the device does.
 *
 * TOE_CMD_NOP: payload optional. The device reads payload_len bytes and
 *   writes them back bitwise inverted, proving DMA both ways; completes
 *   with TOE_STS_OK and value = payload_len.
 */
enum toe_cmd_opcode {
	TOE_CMD_NOP = 0x0001,
	TOE_CMD_DIVERT = 0x0010,
	TOE_CMD_OFFLOAD = 0x0011,
	TOE_CMD_UNDIVERT = 0x0012,
	TOE_CMD_UPLOAD = 0x0013,
	TOE_CMD_SEND = 0x0014,
	TOE_CMD_RECV_FREED = 0x0015,
	TOE_CMD_SHUTDOWN = 0x0016,
	TOE_CMD_ABORT = 0x0017,
	TOE_CMD_SET_OPTS = 0x0018,
};

/*
 * Connection offload (TOE_FEAT_OFFLOAD_IPV4/IPV6). A device connection
 * slot, named by its conn_id, lives from DIVERT to UNDIVERT or ABORT:
 *
 *   DIVERT    payload struct toe_tuple; conn_id TOE_CONN_NONE. The device
 *             takes a slot and from now on holds every frame of the
 *             4-tuple that arrives, in order, instead of passing it to
 *             the L2 RX ring. Completes with the slot in the event's
 *             conn_id. INVAL (bad tuple), BUSY (tuple already diverted),
 *             NOSPC (no slot).
 *   OFFLOAD   payload struct toe_offload_req; conn_id from DIVERT, whose
 *             tuple the state must carry. The engine adopts the state and
 *             then processes the frames held, in order. INVAL (state or
 *             buffers refused), BUSY (slot not diverted, or tuple
 *             mismatch), NOSPC (engine full).
 *   UPLOAD    payload: TOE_CONN_STATE_SIZE bytes the device fills with
 *             the final struct toe_conn_state; conn_id offloaded. The
 *             engine lets go of the connection; the slot is diverted
 *             again and holds, first, the data the engine had received
 *             and not placed (as the frames the peer sent), then what
 *             arrives. The host owns [snd_una, write_seq) of its send
 *             buffer and [state's rcv_nxt at offload, rcv_nxt) of its
 *             receive buffer. BUSY (slot not offloaded).
 *   UNDIVERT  no payload; conn_id diverted (not offloaded). The held
 *             frames go to the L2 RX ring, in order, ahead of later
 *             ones of the tuple, and the slot is freed. This commits an
 *             upload, or undoes a DIVERT.
 *   SEND      arg: the new write_seq (low 32 bits). The host put the
 *             bytes up to it in the send buffer. INVAL (behind the last
 *             one, or more than the buffer holds past snd_una), BUSY
 *             (after SHUTDOWN).
 *   RECV_FREED arg: bytes of the receive buffer the host freed.
 *   SHUTDOWN  no payload: after the data queued, send a FIN.
 *   ABORT     no payload: send a RST and free the slot (offloaded or
 *             diverted; held frames are dropped).
 *   SET_OPTS  arg: the socket options the engine honours, encoded with
 *             TOE_OPTS_*; they replace the ones the state carried. INVAL
 *             (keepalive on with a zero time, interval or count).
 *
 * Every conn_id is checked: NOENT for one that is not a live slot.
 */

/* TOE_CMD_SET_OPTS's arg. */
#define TOE_OPTS_NODELAY	(1ull << 0)	/* TCP_NODELAY */
#define TOE_OPTS_KEEPALIVE	(1ull << 1)	/* SO_KEEPALIVE */
#define TOE_OPTS_KA_PROBES(v)	((__u64)((v) & 0xff) << 8)	/* TCP_KEEPCNT */
#define TOE_OPTS_KA_TIME(v)	((__u64)((v) & 0xffff) << 16)	/* TCP_KEEPIDLE, s */
#define TOE_OPTS_KA_INTVL(v)	((__u64)((v) & 0xffff) << 32)	/* TCP_KEEPINTVL, s */
#define TOE_OPTS_GET_KA_PROBES(a)	((__u32)((a) >> 8) & 0xff)
#define TOE_OPTS_GET_KA_TIME(a)		((__u32)((a) >> 16) & 0xffff)
#define TOE_OPTS_GET_KA_INTVL(a)	((__u32)((a) >> 32) & 0xffff)

/* A TCP connection's 4-tuple, as struct toe_conn_state carries it. */
struct toe_tuple {
	__u8 family;		/* 4 or 6 */
	__u8 reserved[3];	/* zero */
	__be16 local_port;
	__be16 remote_port;
	__u8 local_addr[16];	/* network order; IPv4 in the first 4 bytes */
	__u8 remote_addr[16];
};
TOE_HW_ASSERT_SIZE(struct toe_tuple, 40);

/*
 * Send and receive buffers: host memory the device reads and writes for
 * an offloaded connection, each a power of two in size. The byte of
 * sequence q lives at buf + ((q - base) & (size - 1)), where base is the
 * offload request's snd_base (at or before the state's snd_una, with
 * [snd_base, write_seq) no longer than the buffer) or rcv_base. The host
 * may so fill the send buffer before the state is final. The host keeps
 * send data until TOE_EVT_ACKED passes it and frees receive space with
 * RECV_FREED once it has read it.
 */
#define TOE_BUF_MIN_SIZE	4096
#define TOE_BUF_MAX_SIZE	(1u << 30)

enum toe_evt_type {
	TOE_EVT_CMD_DONE = 0x0001,	/* a command completed */
	TOE_EVT_UPLOAD_REQ = 0x0002,	/* device asks to give a conn back */
	TOE_EVT_ACKED = 0x0003,		/* value: snd_una */
	TOE_EVT_RECV = 0x0004,		/* value: end of data placed */
	TOE_EVT_STATE = 0x0005,		/* value: enum toe_tcp_state */
	TOE_EVT_CLOSED = 0x0006,	/* slot freed; status says why */
};

/*
 * Connection events carry the slot's conn_id and the handle the host gave
 * at DIVERT. ACKED, RECV and STATE report the latest value: the device
 * coalesces them (one of each per connection waits at most) and posts
 * them in that order, so data comes before the FIN that follows it. None
 * is dropped for want of event slots: they wait for the host to post
 * more. CLOSED (status OK for an orderly close, RESET, TIMEDOUT or IO)
 * comes last; the slot and conn_id are free after it.
 */

/* Upload request reasons (toe_evt.reason). */
enum toe_upload_reason {
	TOE_UPLOAD_NONE = 0,
	TOE_UPLOAD_URGENT = 1,		/* urgent data arrived */
	TOE_UPLOAD_OPTION = 2,		/* option the engine does not handle */
	TOE_UPLOAD_REASM_MEM = 3,	/* reassembly memory exhausted */
	TOE_UPLOAD_PMTU = 4,		/* path MTU changed */
	TOE_UPLOAD_IDLE = 5,		/* idle past the configured time */
	TOE_UPLOAD_CAPACITY = 6,	/* device needs the slot */
	TOE_UPLOAD_REQUESTED = 7,	/* asked for from outside (test/QMP) */
};

/* Command status (toe_evt.status). The driver maps each to an errno. */
enum toe_status {
	TOE_STS_OK = 0,
	TOE_STS_INVAL = 1,	/* a field is out of range */
	TOE_STS_FAULT = 2,	/* payload not DMA-able */
	TOE_STS_NOSPC = 3,	/* no connection slot or memory */
	TOE_STS_NOENT = 4,	/* no such connection */
	TOE_STS_OPNOTSUPP = 5,	/* unknown opcode */
	TOE_STS_BUSY = 6,	/* connection in a state that refuses it */
	TOE_STS_TOOBIG = 7,	/* payload_len over the limit */
	TOE_STS_RESET = 8,	/* CLOSED: the peer reset the connection */
	TOE_STS_TIMEDOUT = 9,	/* CLOSED: the peer stopped answering */
	TOE_STS_IO = 10,	/* CLOSED: the send buffer was unreadable */
};

/* ------------------------------------------------------------------------
 * The transferred connection state: what the host hands the engine at
 * offload and the engine hands back at upload. Versioned and fixed-layout;
 * little-endian except addresses and ports (network order). A receiver
 * refuses a version or size it does not know with TOE_STS_INVAL.
 */
#define TOE_CONN_STATE_VERSION	1

enum toe_tcp_state {		/* same numbering as Linux's TCP_* */
	TOE_TCP_ESTABLISHED = 1,
	TOE_TCP_SYN_SENT = 2,
	TOE_TCP_SYN_RECV = 3,
	TOE_TCP_FIN_WAIT1 = 4,
	TOE_TCP_FIN_WAIT2 = 5,
	TOE_TCP_TIME_WAIT = 6,
	TOE_TCP_CLOSE = 7,
	TOE_TCP_CLOSE_WAIT = 8,
	TOE_TCP_LAST_ACK = 9,
	TOE_TCP_LISTEN = 10,
	TOE_TCP_CLOSING = 11,
};

enum toe_cong_algo {
	TOE_CC_RENO = 0,	/* NewReno */
	TOE_CC_CUBIC = 1,
};

/* toe_conn_state.flags */
#define TOE_CS_SACK_OK		(1u << 0)	/* SACK negotiated */
#define TOE_CS_TSTAMP_OK	(1u << 1)	/* timestamps negotiated */
#define TOE_CS_WSCALE_OK	(1u << 2)	/* window scaling negotiated */
#define TOE_CS_NODELAY		(1u << 3)	/* TCP_NODELAY: no Nagle */
#define TOE_CS_KEEPALIVE	(1u << 4)	/* SO_KEEPALIVE */
#define TOE_CS_FIN_SENT		(1u << 5)	/* our FIN is at write_seq - 1 */
#define TOE_CS_FIN_RCVD		(1u << 6)	/* peer's FIN is at rcv_nxt - 1 */
/*
 * Data came that was not acknowledged yet (a delayed ACK was due): the
 * side that takes the connection sends the ACK at once. Without it, a
 * peer that had sent up to the window's edge hears nothing until its
 * retransmission timer fires.
 */
#define TOE_CS_ACK_OWED		(1u << 7)

struct toe_conn_state {
	__le16 version;		/* TOE_CONN_STATE_VERSION */
	__le16 size;		/* sizeof(struct toe_conn_state) */
	__u8 family;		/* 4 or 6 */
	__u8 state;		/* enum toe_tcp_state */
	__u8 snd_wscale;	/* peer's shift: applied to its windows */
	__u8 rcv_wscale;	/* our shift: applied to windows we send */
	__u8 local_addr[16];	/* network order; IPv4 in the first 4 bytes */
	__u8 remote_addr[16];
	__be16 local_port;
	__be16 remote_port;
	__le32 flags;		/* TOE_CS_* */

	/* Send side. */
	__le32 snd_una;		/* oldest unacknowledged */
	__le32 snd_nxt;		/* next to send */
	__le32 write_seq;	/* end of data queued by the application */
	__le32 snd_wl1;		/* seq of the segment that last updated snd_wnd */
	__le32 snd_wnd;		/* peer's window, unscaled bytes */
	__le32 max_window;	/* largest window the peer offered */
	__le16 mss;		/* current send MSS */
	__le16 adv_mss;		/* MSS we advertised */

	/* Receive side. */
	__le32 rcv_nxt;		/* next expected from the peer */
	__le32 copied_seq;	/* next the application will read */
	__le32 rcv_wnd;		/* window last advertised, bytes */
	__le32 rcv_wup;		/* rcv_nxt when that window was sent */

	/* Timestamps (RFC 7323): TSval = local clock (ms) + ts_offset. */
	__le32 ts_offset;	/* the kernel's tsoffset for this conn */
	__le32 ts_recent;	/* last TSval from the peer */
	__le32 ts_recent_age_ms;	/* how long ago ts_recent was taken */
	__le32 ts_now;		/* TSval the host would send right now */

	/* RTT, retransmission timer and congestion state. */
	__le32 srtt_us;		/* smoothed RTT, microseconds */
	__le32 rttvar_us;	/* RTT variance, microseconds */
	__le32 rto_us;		/* current retransmission timeout */
	__le32 snd_cwnd;	/* congestion window, segments */
	__le32 snd_ssthresh;	/* slow start threshold, segments */
	__u8 ca_state;		/* Linux's TCP_CA_* */
	__u8 cong_algo;		/* enum toe_cong_algo */
	__u8 keepalive_probes;
	__u8 reserved0;
	__le32 keepalive_time_s;
	__le32 keepalive_intvl_s;

	/* Receiver's SACK blocks last advertised (start, end pairs). */
	__le32 sack_blocks[4][2];
	__u8 num_sacks;
	__u8 reserved1[3];

	__u8 reserved[80];	/* zero; room for later versions */
};
TOE_HW_ASSERT_SIZE(struct toe_conn_state, 256);
#define TOE_CONN_STATE_SIZE	256

/* TOE_CMD_OFFLOAD's payload. */
struct toe_offload_req {
	struct toe_conn_state state;	/* as captured; 256 bytes */
	__u8 peer_mac[6];	/* next hop: the engine's frames go there */
	__le16 reserved0;	/* zero */
	__le64 snd_buf;		/* send buffer, holding [snd_una, write_seq) */
	__le64 rcv_buf;		/* receive buffer, empty */
	__le32 snd_buf_size;	/* power of two, TOE_BUF_MIN..MAX_SIZE */
	__le32 rcv_buf_size;	/* power of two, TOE_BUF_MIN..MAX_SIZE */
	__le32 rcv_space;	/* receive bytes the host grants now, <= size */
	__le32 snd_base;	/* sequence of snd_buf's byte 0, <= snd_una */
	__le64 status_addr;	/* struct toe_conn_status, or 0 for none */
	__le32 rcv_base;	/* sequence of rcv_buf's byte 0 */
	__le32 reserved[3];	/* zero */
};
TOE_HW_ASSERT_SIZE(struct toe_offload_req, 320);

/*
 * The connection's live figures, which the device writes into host memory
 * (toe_offload_req.status_addr, 8-byte aligned) each time it posts events
 * for the connection and once more at UPLOAD, so that the host can answer
 * for the connection (TCP_INFO, ss) without asking. Written like a
 * seqcount: @seq odd, then the fields, then @seq even; a reader that sees
 * @seq odd or changed across its copy reads again.
 */
struct toe_conn_status {
	__le32 seq;
	__u8 state;		/* enum toe_tcp_state */
	__u8 ca_state;		/* Linux's TCP_CA_* */
	__le16 mss;
	__le32 snd_una;
	__le32 snd_nxt;
	__le32 snd_wnd;
	__le32 rcv_nxt;
	__le32 rcv_wnd;
	__le32 srtt_us;
	__le32 rttvar_us;
	__le32 rto_us;
	__le32 snd_cwnd;	/* segments */
	__le32 snd_ssthresh;	/* segments */
	__le32 retrans_out;	/* segments retransmitted, not yet acked */
	__le32 sacked_out;	/* segments the peer SACKed */
	__le32 lost_out;	/* segments deemed lost */
	__le32 reserved0;
	__le64 bytes_acked;	/* since OFFLOAD */
	__le64 bytes_received;	/* since OFFLOAD, in order */
	__le64 retrans_segs;	/* since OFFLOAD */
	/* Written on their own too, see below. */
	__le32 rcv_placed;	/* end of the data in the receive buffer */
	__le32 flags;		/* TOE_ST_* */
	/* The engine's TSval clock: @ts_val at TOE_REG_CLOCK_MS @ts_clock_ms. */
	__le32 ts_val;
	__le32 ts_clock_ms;
	__le32 ts_recent;	/* last TSval from the peer */
	__le32 reserved1;
	__le64 reserved[2];
};
TOE_HW_ASSERT_SIZE(struct toe_conn_status, 128);

/*
 * toe_conn_status.flags. TOE_ST_TS_OK: the ts_* fields are valid (the
 * connection uses timestamps).
 *
 * TOE_ST_FIN_RCVD and @rcv_placed are what the host needs to take the
 * connection back without the device (after a reset, or if the device
 * stops answering; ARCHITECTURE.md invariant 2). The host writes
 * @rcv_placed = the state's rcv_nxt, @flags = 0, before OFFLOAD. The
 * device moves @rcv_placed forward by a 4-byte write of that field alone
 * right after it writes received data into the receive buffer, and sets
 * TOE_ST_FIN_RCVD by a write of @flags alone when it takes the peer's
 * FIN, in both cases before the peer can be acknowledged anything the
 * write covers. So once the device has stopped (reset), everything the
 * peer was ever told we received is in the receive buffer below
 * @rcv_placed, followed by the FIN if the flag is set. Full status writes
 * carry the same values.
 */
#define TOE_ST_FIN_RCVD		(1u << 0)
#define TOE_ST_TS_OK		(1u << 1)

#endif /* _TOE_HW_H */
