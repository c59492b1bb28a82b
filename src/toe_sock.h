/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toe_sock.h - a TCP socket with the "toe" upper-layer protocol: its
 * context, the move to the NIC and back, and the data path while it is
 * on the NIC.
 *
 * toe_ulp.c      the ULP and the socket operations the application calls
 * toe_offload.c  the two-phase move to the NIC
 * toe_upload.c   the move home, asked for or queued
 * toe_conn.c     the connections on a device: commands, events, a walk
 * toe_bufpool.c  their DMA rings, and the pool kept for later offloads
 * toe_tcp.c      quiescing and restoring the kernel's TCP for a socket
 * toe_shadow.c   the kernel's tcp_sock kept as a shadow while on the NIC
 */
#ifndef _TOE_SOCK_H
#define _TOE_SOCK_H

#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "toe.h"
#include "toe_state.h"
#include "uapi/toe.h"

/* Where the automatic policy is with a socket (toe_sock.pol_state). */
enum toe_pol_state {
	TOE_PS_NONE,		/* not watched: no automatic decision */
	TOE_PS_WATCH,		/* decided on at its sends and receives */
	TOE_PS_DONE,		/* decided for good (lists, the socket) */
};

/*
 * A connection's two ring buffers in host memory: each at least this big,
 * and as big as the data queued (send) or the window already promised to
 * the peer (receive) needs, up to the largest contiguous DMA allocation.
 */
#define TOE_SOCK_BUF_MIN	(1u << 20)
#define TOE_SOCK_BUF_MAX	(4u << 20)

/* A ring buffer the device reads (send) or writes (receive) by DMA. */
struct toe_buf {
	u8 *data;
	dma_addr_t dma;
	u32 size;		/* power of two */
	u32 base;		/* sequence of the byte at offset 0 */
};

/*
 * The command payload page (toe_sock.cmd_buf) also holds the connection's
 * struct toe_conn_status, which the device rewrites at each event batch.
 */
#define TOE_SOCK_STATUS_OFF	2048

static inline u32 toe_buf_off(const struct toe_buf *b, u32 seq)
{
	return (seq - b->base) & (b->size - 1);
}

/**
 * struct toe_sock - the ULP context of one socket.
 * @sk: the socket
 * @sk_proto: the proto the socket had before (tcp_prot or tcpv6_prot)
 * @sk_ops: its proto_ops before
 * @where: enum toe_where; written under the socket lock with @lock held,
 *	read under either
 * @priv: the NIC, while on it; a reference on its netdev is held
 * @handle: the host handle the device echoes: the index in priv->conns
 * @conn_id: the device's connection slot
 * @snd: send ring: [@snd_una, @write_seq) of the stream
 * @rcv: receive ring: [@copied, @rcv_end) of the stream
 * @write_seq: end of what the application wrote; socket lock
 * @copied: next byte the application reads from @rcv; socket lock
 * @pre: data the kernel had received and the application had not read
 *	when the socket went to the NIC (after an upload, only if the
 *	kernel had no memory to take it back): served before anything
 *	else; socket lock
 * @pre_len: bytes in @pre
 * @pre_off: bytes of @pre already read
 * @rcv_deficit: receive ring space kept from the engine at the offload
 *	for what @pre held (beyond the window the kernel had promised);
 *	given to it as the application reads @pre, so that @pre, @rcv and
 *	the engine's window together stay within the ring, or within what
 *	the kernel held and promised; socket lock
 * @rcv_freed_unposted: receive ring bytes the application freed and the
 *	device was not told of (the command ring was full); socket lock
 * @send_unposted: the last SEND was not posted (the ring was full); the
 *	data waits in the send ring; socket lock
 * @reserve_base: the socket's sk_reserved_mem before the offload
 *	(SO_RESERVE_MEM's); what the ULP reserves for the upload is above
 *	it (toe_tcp_reserve()); socket lock
 * @repost_work: posts again what the ring had no room for, soon after;
 *	holds a reference on the socket while queued
 * @kernel_ops: calls into the kernel's TCP that may sleep in it (sendpage,
 *	splice) under way: the connection may not move meanwhile; socket lock
 * @waiters: threads of the ULP's send and receive waiting on sk_sleep();
 *	socket lock (held while they join and leave)
 * @cmd_buf: coherent memory for command payloads; socket lock
 * @cmd_dma: its bus address
 * @status: the device's struct toe_conn_status, in @cmd_buf
 * @shadow_base: the tcp_sock's byte and retransmission counts at the
 *	offload, to which the device's (counted from then) are added;
 *	socket lock
 * @shadow_seq: the status seq last copied into the tcp_sock; owner
 * @shadow_pending: an event found the socket owned: its release copies
 *	the status then (toe_shadow_release_cb())
 * @lock: protects the fields the device's events update, below
 * @snd_una: ACKED: the peer has everything before it
 * @rcv_end: RECV: the device wrote the stream up to here into @rcv
 * @dev_state: STATE: the engine's TCP state
 * @closed: CLOSED came: the device forgot the connection
 * @close_err: ... with this error (0: orderly)
 * @upload_why: an upload was asked for (@upload_work queued), and why:
 *	enum toe_upload_why, 0 for none
 * @upload_work: brings the connection home when asked, by the device or
 *	the policy
 * @last_active: jiffies when data last moved either way on the NIC
 *	(the application's calls, the device's ACKED and RECV); any
 *	context, READ_ONCE()/WRITE_ONCE()
 * @info: counters for TOE_INFO; socket lock
 * @forbid: TOE_FORBID: never to the NIC; socket lock
 * @pol_state: enum toe_pol_state; socket lock
 * @pol_moved: the policy moved it to the NIC (idle and eviction apply);
 *	socket lock, read by the idle scan under RCU
 * @pol_next: jiffies before which the policy does not decide again
 * @pol_base: bytes acked plus received when it last came home: the
 *	threshold counts from there; socket lock
 *
 * Lifetime: attached to the socket (icsk_ulp_data) from TCP_ULP until the
 * socket's close, and in priv->conns while on the NIC. The event thread
 * looks it up under RCU and takes @lock; it is freed with kfree_rcu().
 */
struct toe_sock {
	struct sock *sk;
	struct proto *sk_proto;
	const struct proto_ops *sk_ops;

	u32 where;
	struct toe_priv *priv;
	u32 handle;
	u32 conn_id;
	struct toe_buf snd;
	struct toe_buf rcv;
	u32 write_seq;
	u32 copied;
	u8 *pre;
	u32 pre_len;
	u32 pre_off;
	u32 rcv_deficit;
	u32 rcv_freed_unposted;
	bool send_unposted;
	u32 reserve_base;
	struct delayed_work repost_work;
	int kernel_ops;
	int waiters;
	void *cmd_buf;
	dma_addr_t cmd_dma;
	struct toe_conn_status *status;
	struct {
		u64 bytes_acked;
		u64 bytes_received;
		u64 bytes_sent;
		u32 total_retrans;
	} shadow_base;
	u32 shadow_seq;
	bool shadow_pending;

	spinlock_t lock;
	u32 snd_una;
	u32 rcv_end;
	u8 dev_state;
	bool closed;
	int close_err;
	u8 upload_why;
	struct work_struct upload_work;
	unsigned long last_active;

	struct toe_info info;
	bool forbid;
	u8 pol_state;
	bool pol_moved;
	unsigned long pol_next;
	u64 pol_base;
	struct rcu_head rcu;
};

static inline struct toe_sock *toe_sk(const struct sock *sk)
{
	/* Only our own socket operations call this: the ULP is ours. */
	return (__force struct toe_sock *)inet_csk(sk)->icsk_ulp_data;
}

/*
 * The connections on a device, for the layers above the core: iterate
 * under rcu_read_lock() (a context found is not freed before the unlock,
 * kfree_rcu()), or count them. @idx is an unsigned long the walk uses;
 * toe_for_each_conn_from() starts at it.
 */
#define toe_for_each_conn(priv, idx, ts) xa_for_each(&(priv)->conns, idx, ts)
#define toe_for_each_conn_from(priv, idx, ts)				\
	xa_for_each_start(&(priv)->conns, idx, ts, idx)

/* Connections on @priv or on their way there. */
static inline u32 toe_dev_conns(struct toe_priv *priv)
{
	return atomic_read(&priv->n_conns);
}

static inline bool toe_on_nic(const struct toe_sock *ts)
{
	return READ_ONCE(ts->where) == TOE_WHERE_NIC;
}

/* Bytes the application can read now (socket lock). */
static inline u32 toe_sock_unread(struct toe_sock *ts)
{
	return ts->pre_len - ts->pre_off +
	       (ts->where == TOE_WHERE_NIC ?
		READ_ONCE(ts->rcv_end) - ts->copied : 0);
}

/**
 * struct toe_policy_ops - what the core tells the policy above it.
 *
 * The core never calls the policy's functions: it calls these, set once
 * by the module (toe_core_set_policy()) before any device or socket
 * exists and cleared after the last is gone. Each runs with the socket
 * owned, except @dev_start and @dev_stop (process context, probe and
 * remove).
 *
 * @may_offload: whether a move may start, or stay once made (false: the
 *	namespace's net.toe.mode is off)
 * @users_may_ask: whether a user without CAP_NET_ADMIN may ask to move
 *	its own connection (TOE_OFFLOAD, or the netlink family)
 * @consider: a watched socket sends or receives: move it if it decides
 *	so; may sleep (it moves)
 * @socket_chose: the socket set a SOL_TOE option itself
 * @closing: its application closes it
 * @came_home: the connection is on the host again (an upload or a
 *	failover; the latter with the device's state_lock held)
 * @uploaded: an upload queued by the device or the policy brought it
 *	home, for this reason
 * @dev_start: a device is up and registered
 * @dev_stop: a device goes away; before its connections come home
 */
struct toe_policy_ops {
	bool (*may_offload)(const struct sock *sk);
	bool (*users_may_ask)(const struct sock *sk);
	void (*consider)(struct sock *sk, struct toe_sock *ts);
	void (*socket_chose)(struct sock *sk, struct toe_sock *ts);
	void (*closing)(struct sock *sk, struct toe_sock *ts);
	void (*came_home)(struct sock *sk, struct toe_sock *ts);
	void (*uploaded)(struct sock *sk, struct toe_sock *ts,
			 enum toe_upload_why why);
	void (*dev_start)(struct toe_priv *priv);
	void (*dev_stop)(struct toe_priv *priv);
};

/* toe_ulp.c */
extern const struct toe_policy_ops *toe_pol_ops;
void toe_core_set_policy(const struct toe_policy_ops *ops);
int toe_ulp_register(void);
void toe_ulp_unregister(void);
bool toe_sock_is_ours(const struct sock *sk);
bool toe_sock_graft(struct sock *sk, struct toe_sock *ts);
int toe_ulp_attach_atomic(struct sock *sk);

/* toe_data.c: proto and proto_ops entries of the ULP's tables */
void toe_sock_wake(struct sock *sk, __poll_t mask);
int toe_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);
int toe_sendpage(struct sock *sk, struct page *page, int offset, size_t size,
		 int flags);
int toe_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags,
		int *addr_len);
__poll_t toe_poll(struct file *file, struct socket *sock,
		  struct poll_table_struct *wait);
int toe_ioctl(struct sock *sk, int cmd, unsigned long arg);
void toe_repost_work(struct work_struct *work);

/* toe_offload.c */
struct toe_priv *toe_route_priv(struct sock *sk);
int toe_offload(struct sock *sk);
int toe_offload_within(struct sock *sk, u32 limit);
int toe_offload_asked(struct sock *sk, bool privileged);
int toe_offload_to(struct sock *sk, struct toe_priv *priv, const u8 *mac,
		   u32 limit);
u8 *toe_pre_join(struct toe_sock *ts, const u8 *a, u32 alen,
		 const u8 *b, u32 blen, u32 *len, int *err);

/* toe_upload.c */
void toe_sock_init_move(struct toe_sock *ts);
int toe_upload(struct sock *sk, enum toe_upload_why why);
bool toe_sock_queue_upload(struct toe_sock *ts, enum toe_upload_why why);
bool __toe_sock_queue_upload(struct toe_sock *ts, u8 why);
void toe_upload_all(struct toe_priv *priv);
int toe_sock_come_home(struct sock *sk, struct toe_sock *ts,
		       const struct toe_tcb *tcb);
void toe_sock_lost(struct sock *sk, struct toe_sock *ts,
		   enum toe_upload_why why, bool dma_done);

/* toe_bufpool.c */
int toe_buf_alloc(struct toe_priv *priv, struct toe_buf *b, u32 base,
		  u32 need);
void toe_buf_free(struct toe_priv *priv, struct toe_buf *b);
void toe_ring_pool_init(struct toe_priv *priv);
void toe_ring_pool_fini(struct toe_priv *priv);

/* toe_conn.c */
extern const struct toe_core_cb toe_core_cb;
int toe_conn_undivert(struct toe_sock *ts);
int toe_conn_notifier_register(void);
void toe_conn_notifier_unregister(void);
int toe_set_opts(struct sock *sk, bool keepalive);
void toe_sock_event(struct toe_priv *priv, u16 type, u64 handle, u32 conn_id,
		    u32 status, u16 reason, u32 value);
void toe_conns_walk(struct toe_priv *priv,
		    void (*fn)(struct sock *sk, struct toe_sock *ts, void *arg),
		    void *arg);
void toe_sock_release_nic(struct toe_sock *ts, bool settled, bool dma_done);

/**
 * struct toe_failover_facts - what the host alone knows of a connection
 * on a device that has forgotten it (toe_failover.c).
 * @snd_una: the last one the device reported
 * @write_seq: end of what the application wrote
 * @rcv_end: the device reported the stream placed up to here
 * @copied: the application's place in the receive ring
 * @rcv_size: the receive ring's size
 * @rcv_placed: toe_conn_status.rcv_placed: the stream is placed up to here
 * @flags: toe_conn_status.flags (TOE_ST_*)
 * @status: the device's last whole status, or NULL if it wrote none
 * @clock_ms: TOE_REG_CLOCK_MS read after the reset
 * @clock_ok: @clock_ms was read from a device that came back
 */
struct toe_failover_facts {
	u32 snd_una;
	u32 write_seq;
	u32 rcv_end;
	u32 copied;
	u32 rcv_size;
	u32 rcv_placed;
	u32 flags;
	const struct toe_conn_status *status;
	u32 clock_ms;
	bool clock_ok;
};

/* toe_failover.c */
int toe_failover_tcb(struct toe_tcb *tcb, const struct toe_failover_facts *f);
void toe_failover_all(struct toe_priv *priv, bool dma_stopped, u32 clock_ms);
int toe_failover_wait(struct sock *sk, struct toe_sock *ts);

/* toe_shadow.c */
bool toe_status_read(const struct toe_conn_status *s,
		     struct toe_conn_status *out);
void toe_shadow_start(struct sock *sk, struct toe_sock *ts);
void toe_shadow_refresh(struct sock *sk, struct toe_sock *ts);
void toe_shadow_event(struct toe_sock *ts);
void toe_shadow_release_cb(struct sock *sk);

/* toe_late.c */
int toe_late_backlog_rcv(struct sock *sk, struct sk_buff *skb);

/* toe_tcp.c */
void toe_tcp_quiesce(struct sock *sk);
int toe_tcp_copy_send_queue(struct sock *sk, struct toe_buf *b, u32 snd_una,
			    u32 write_seq);
int toe_tcp_take_unread(struct sock *sk, u32 from, u8 **buf, u32 *len);
u64 toe_tcp_bytes(const struct sock *sk);
int toe_tcp_reserve(struct sock *sk, u32 base, u32 bytes);
void toe_tcp_unreserve(struct sock *sk, u32 base);
int toe_tcp_restore(struct sock *sk, const struct toe_tcb *tcb,
		    const struct toe_buf *snd, const struct kvec *unread,
		    unsigned long nr, size_t unread_len, bool *unread_taken);

#endif /* _TOE_SOCK_H */
