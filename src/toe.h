/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toe.h - private structures of the toe-pci driver.
 *
 * One struct toe_priv per PCI function, living in the net_device's private
 * area. The four rings of include/toe_hw.h are allocated once at probe and
 * stay programmed into the device until remove; a device reset re-programs
 * the same memory (see toe_dev_reset()).
 */
#ifndef _TOE_H
#define _TOE_H

#include <linux/completion.h>
#include <linux/dcache.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "toe_hw.h"
#include "uapi/toe.h"

#define TOE_DRV_NAME		"toe"

#define TOE_TX_RING_SIZE	256
#define TOE_RX_RING_SIZE	256
#define TOE_CMD_RING_SIZE	64
#define TOE_EVT_RING_SIZE	128	/* > commands in flight + unsolicited */
#define TOE_RX_BUF_LEN		1536	/* >= TOE_L2_MAX_FRAME */
#define TOE_CMD_TIMEOUT		(2 * HZ)
#define TOE_TX_TIMEOUT		(5 * HZ)

/* TOE_REG_INTR_* bits served by each MSI-X vector. */
#define TOE_INTR_L2		(TOE_INTR_L2_TX | TOE_INTR_L2_RX)
#define TOE_INTR_MISC		(TOE_INTR_ERR | TOE_INTR_LINK)

/**
 * struct toe_ring - descriptor memory of one device ring.
 * @desc: coherent memory, @size entries of the ring's descriptor type
 * @dma: bus address of @desc, programmed into TOE_RING_ADDR_LO/HI
 * @size: entries, a power of two
 * @id: enum toe_ring_id, selects the register block
 * @tail: driver's free-running producer index (what TAIL was last set to)
 * @clean: driver's free-running consumer index: next entry to reap
 *
 * Entries in [@clean, @tail) belong to the device until it sets
 * TOE_DESC_DONE in them. Who may touch @tail and @clean is written in the
 * structure that embeds the ring.
 */
struct toe_ring {
	void *desc;
	dma_addr_t dma;
	u32 size;
	u32 id;
	u32 tail;
	u32 clean;
};

/* A TX slot: the skb the descriptor points into (NULL for injected ones). */
struct toe_tx_buf {
	struct sk_buff *skb;
	dma_addr_t dma;
	u32 len;
};

/* An RX slot: every slot always holds a mapped buffer. */
struct toe_rx_buf {
	struct sk_buff *skb;
	dma_addr_t dma;
};

/*
 * Hot-path counters. Each instance has exactly one writer at a time (named
 * where it is embedded); readers use syncp.
 */
struct toe_l2_stats {
	u64_stats_t packets;
	u64_stats_t bytes;
	u64_stats_t errors;	/* descriptors completed with TOE_DESC_ERR */
	u64_stats_t dropped;	/* frames given up by the driver */
	u64_stats_t busy;	/* TX: ring full; RX: bad length from device */
	struct u64_stats_sync syncp;
};

/* Slow-path counters: written from several contexts, so atomic. */
struct toe_dev_stats {
	atomic64_t resets;		/* completed device resets */
	atomic64_t reset_failures;	/* resets the device did not survive */
	atomic64_t faults;		/* TOE_STATUS_FAULT seen */
	atomic64_t cmds;		/* commands completed by the device */
	atomic64_t cmd_errors;		/* ... with a status other than OK */
	atomic64_t cmd_timeouts;	/* commands that never completed */
	atomic64_t events;		/* events reaped from the event ring */
	atomic64_t evt_bad;		/* events the driver refused */
	atomic64_t upload_reqs;		/* TOE_EVT_UPLOAD_REQ received */
	atomic64_t upload_reqs_by[TOE_UPLOAD_REQUESTED + 1];	/* ... by reason */
	atomic64_t offloads;		/* connections moved to the NIC */
	atomic64_t uploads;		/* ... and brought home */
	atomic64_t failovers;		/* ... of those, without the device */
	atomic64_t watchdog;		/* resets the command watchdog asked */
	atomic64_t refusals[TOE_NUM_REFUSALS];	/* offloads refused, by why */
	atomic64_t nic_tx_bytes;	/* sent on the NIC, acknowledged */
	atomic64_t nic_rx_bytes;	/* received on the NIC, placed */
	atomic64_t late_segments;	/* for a connection on the NIC, dropped */
};

/**
 * struct toe_cmd_args - one command for toe_cmd_exec().
 * @opcode: TOE_CMD_*
 * @conn_id: device connection id, or TOE_CONN_NONE
 * @handle: host handle echoed by the device
 * @payload: bus address of the payload, 0 when @payload_len is 0
 * @payload_len: payload bytes
 * @value: out: the completion event's value field
 */
struct toe_cmd_args {
	u16 opcode;
	u32 conn_id;
	u64 handle;
	dma_addr_t payload;
	u32 payload_len;
	u32 value;
};

/* What the last debugfs fault injection did; protected by dbg_lock. */
struct toe_inject_result {
	const char *kind;
	int ret;		/* what the write returned */
	int cmd_status;		/* errno of the command, 0 if none */
	u64 errors_before;	/* dev_errors before the injection */
	u64 errors_after;	/* ... and after */
	u64 resets_before;
	u64 resets_after;
};

enum toe_flags {
	TOE_F_HW_UP,		/* rings programmed and enabled */
	TOE_F_REMOVING,		/* remove started: no more resets */
	TOE_F_LIVE,		/* carrier may be reported (not unregistering) */
};

/**
 * struct toe_core_cb - what the driver calls in the offload core above it.
 *
 * The driver knows nothing of sockets: it hands connection events and
 * the loss of the device's state to these, registered once by the module
 * (toe_dev_set_core()) before the PCI driver is, and called for each
 * device in this order.
 *
 * @dev_add: probe, before the first reset (which already calls
 *	@lost_state); process context. Non-zero fails the probe.
 * @dev_ready: probe, once the netdev is registered and the device up
 * @dev_remove: remove, while the device still answers: every connection
 *	comes home
 * @dev_release: remove, after the device is halted (whose @lost_state
 *	may still give buffers back)
 * @conn_event: an event about one connection (enum toe_evt_type), in the
 *	event interrupt thread under rcu_read_lock(), in ring order; must
 *	not sleep nor wait for a command
 * @lost_state: the device was reset and has forgotten its connections;
 *	@dma_stopped says it came back (so it no longer writes host memory),
 *	@clock_ms is its TOE_REG_CLOCK_MS then (its TSval clock).
 *	Called with state_lock held (sometimes under rtnl too), interrupts
 *	off: must not take either nor wait for a command.
 */
struct toe_priv;

struct toe_core_cb {
	int (*dev_add)(struct toe_priv *priv);
	void (*dev_ready)(struct toe_priv *priv);
	void (*dev_remove)(struct toe_priv *priv);
	void (*dev_release)(struct toe_priv *priv);
	void (*conn_event)(struct toe_priv *priv, u16 type, u64 handle,
			   u32 conn_id, u32 status, u16 reason, u32 value);
	void (*lost_state)(struct toe_priv *priv, bool dma_stopped,
			   u32 clock_ms);
};

/**
 * struct toe_conn_ops - what the driver offers the core for connections.
 *
 * The core moves connections through these alone; it never builds a
 * command nor touches a register. Each is a command to the device
 * (include/toe_hw.h names them), about the connection the device calls
 * @conn_id and the host @handle; the device echoes @handle in every event
 * about the connection. Those that wait for the device's answer sleep,
 * and return 0 or the answer's errno, or one of the driver's own
 * (toe_conn_err_reset()): -ETIMEDOUT when none came (the driver has
 * reset the device), -ENETRESET when a reset ended the wait, -ENETDOWN
 * when the device takes no commands (it is being reset, or is down: the
 * command was not sent). After the first two the device may or may not
 * have done what it was asked; it does nothing more, and the reset's
 * @lost_state walks the connections still on it.
 *
 * @divert: hold the frames of the connection whose tuple (struct
 *	toe_tuple, @len bytes at bus address @tuple) names; *@conn_id is the
 *	id the device gives it
 * @offload: take the connection (struct toe_offload_req at @req)
 * @upload: give it back: the device writes struct toe_conn_state at @state
 * @undivert: let go of the frames it holds; the kernel takes them
 * @abort: drop the connection, with a reset to the peer
 * @set_opts: the socket options the engine honours (TOE_OPTS_*)
 * @send: the application wrote up to @write_seq (posted, not waited for)
 * @recv_freed: the application read @bytes more (posted)
 * @drain_rx: wait up to @timeout jiffies until every frame the device
 *	had put in its L2 receive ring has reached the kernel; -ETIMEDOUT
 *	if not
 * @reset: the device said something it cannot have meant: reset it, so
 *	that its connections come home from host state (toe_core_cb's
 *	@lost_state)
 */
struct toe_conn_ops {
	int (*divert)(struct toe_priv *priv, u64 handle, dma_addr_t tuple,
		      u32 len, u32 *conn_id);
	int (*offload)(struct toe_priv *priv, u32 conn_id, u64 handle,
		       dma_addr_t req, u32 len);
	int (*upload)(struct toe_priv *priv, u32 conn_id, u64 handle,
		      dma_addr_t state, u32 len);
	int (*undivert)(struct toe_priv *priv, u32 conn_id, u64 handle);
	int (*abort)(struct toe_priv *priv, u32 conn_id, u64 handle);
	int (*set_opts)(struct toe_priv *priv, u32 conn_id, u64 handle,
			u64 opts);
	int (*send)(struct toe_priv *priv, u32 conn_id, u64 handle,
		    u32 write_seq);
	int (*recv_freed)(struct toe_priv *priv, u32 conn_id, u64 handle,
			  u32 bytes);
	int (*drain_rx)(struct toe_priv *priv, unsigned long timeout);
	void (*reset)(struct toe_priv *priv, const char *why);
};

/**
 * toe_conn_err_reset() - whether an errno of struct toe_conn_ops is the
 * driver's, saying a reset ends the command, rather than the device's
 * answer.
 * @err: what the operation returned
 *
 * Return: true for -ETIMEDOUT, -ENETRESET and -ENETDOWN.
 */
static inline bool toe_conn_err_reset(int err)
{
	return err == -ETIMEDOUT || err == -ENETRESET || err == -ENETDOWN;
}

/*
 * struct toe_priv - per-device state; each field's lock is written next
 * to it.
 *
 * Locking, outermost first: rtnl_lock > @state_lock > netif_tx_lock >
 * @cmd_lock; @err_lock is taken in hard irq context and nests inside any.
 */
struct toe_priv {
	struct net_device *netdev;
	struct pci_dev *pdev;
	struct device *dma_dev;		/* what the core maps buffers for */
	const struct toe_core_cb *core;	/* set at probe, never changes */
	const struct toe_conn_ops *ops;	/* set at probe, never changes */
	void __iomem *regs;
	u32 version;
	u32 features;
	unsigned long flags;		/* enum toe_flags, atomic bitops */

	/* Serializes ndo_open/ndo_stop, resets and fault injections. */
	struct mutex state_lock;
	bool napi_on;			/* interface open; state_lock */
	bool napi_live;			/* napi_enable()d; state_lock */
	bool irqs_off;			/* disable_irq()ed; state_lock */
	struct work_struct reset_work;	/* queued under err_lock */
	/* Woken when a reset has brought connections home (toe_failover.c). */
	wait_queue_head_t failover_wq;
	char irq_names[TOE_NUM_VECTORS][32];

	/*
	 * L2 TX: tail and tx_stats written under netif_tx_lock (xmit and
	 * injections); clean and txc_stats by NAPI, or by a reset or
	 * ndo_stop with NAPI disabled.
	 */
	struct toe_ring tx;
	struct toe_tx_buf *tx_bufs;
	struct toe_l2_stats tx_stats;
	struct toe_l2_stats txc_stats;
	bool tx_up;			/* written under netif_tx_lock */

	/* L2 RX: only NAPI touches it; a reset excludes NAPI first. */
	struct toe_ring rx;
	struct toe_rx_buf *rx_bufs;
	struct toe_l2_stats rx_stats;
	struct napi_struct napi;

	/* Commands: ring, tags and waiters protected by cmd_lock. */
	spinlock_t cmd_lock;
	struct toe_ring cmd;
	struct list_head cmd_pending;	/* struct toe_cmd_waiter.node */
	u32 cmd_tag;
	bool cmd_ready;			/* device takes commands */

	/*
	 * The command watchdog (toe_cmd.c): only its own work item touches
	 * wd_head and wd_since.
	 */
	struct delayed_work watchdog;
	u32 wd_head;			/* command ring HEAD last seen */
	unsigned long wd_since;		/* ... since when, in jiffies */

	/* Events: reaped only by the EVT irq thread (a reset disables it). */
	struct toe_ring evt;

	/* Device error accounting (toe_err_sync()); also orders resets
	 * scheduled against TOE_F_REMOVING. Taken in hard irq context.
	 */
	spinlock_t err_lock;
	u64 err_total;			/* errors over all resets */
	u32 err_seen;			/* TOE_REG_ERR_COUNT at last sync */
	u32 err_last_code;		/* last non-zero TOE_REG_ERR_CODE */
	bool err_frozen;		/* device in reset: count unreliable */

	struct toe_dev_stats stats;

	/*
	 * From here to the debugfs fields: the offload core's and the
	 * policy's per-device state, which they set up in toe_core_cb's
	 * dev_add and dev_ready, as a net_device carries each protocol's
	 * (ip_ptr for IPv4). The driver never writes them; its command
	 * watchdog only asks whether conns is empty.
	 *
	 * Offloaded sockets (struct toe_sock), by host handle. Entries are
	 * added and removed under their socket's lock; the EVT irq thread
	 * looks them up under RCU.
	 */
	struct xarray conns;
	u32 next_handle;		/* xa_alloc_cyclic()'s, under its lock */
	/*
	 * The gate for new moves: an offload holds offload_sem for read from
	 * its look at offload_closed to its entry in conns; the device's
	 * removal takes it for write to close the gate, then brings home
	 * all it finds in conns.
	 */
	struct rw_semaphore offload_sem;
	bool offload_closed;
	/*
	 * Connections on the NIC or on their way there: a slot is taken
	 * before DIVERT and given back when the device lets go (atomic).
	 */
	atomic_t n_conns;
	u32 conn_capacity;		/* TOE_REG_CONN_CAPACITY at probe */
	/* The policy's idle scan (toe_auto.c); only it touches it. */
	struct delayed_work policy_scan;

	/*
	 * Connection rings freed by uploads, kept for the next offload
	 * (struct toe_ring_free.node, in toe_bufpool.c); ring_lock guards
	 * both fields.
	 */
	struct mutex ring_lock;
	struct list_head ring_pool;
	u32 ring_pool_bytes;

	/* debugfs: dbg_lock serializes the knobs and guards their results. */
	struct dentry *dbg_dir;
	struct mutex dbg_lock;
	int nop_ret;
	u32 nop_done;
	u32 nop_asked;
	struct toe_inject_result inject;
	void *dummy;			/* injection target buffer */
	dma_addr_t dummy_dma;
};

/* A warning about something the device did, at most a few per second. */
#define toe_warn_rl(priv, fmt, ...)					\
	do {								\
		if (net_ratelimit())					\
			netdev_warn((priv)->netdev, fmt, ##__VA_ARGS__);	\
	} while (0)

static inline u32 toe_rd(struct toe_priv *priv, u32 reg)
{
	return readl(priv->regs + reg);
}

static inline void toe_wr(struct toe_priv *priv, u32 reg, u32 val)
{
	writel(val, priv->regs + reg);
}

static inline void toe_ring_wr(struct toe_priv *priv, struct toe_ring *ring,
			       u32 reg, u32 val)
{
	toe_wr(priv, TOE_REG_RING(ring->id, reg), val);
}

/* toe_pci.c */
void toe_dev_set_core(const struct toe_core_cb *cb);
void toe_schedule_reset(struct toe_priv *priv, const char *why);
int toe_dev_reset(struct toe_priv *priv);
int toe_hw_program_ring(struct toe_priv *priv, struct toe_ring *ring,
			u64 base);
u64 toe_err_sync(struct toe_priv *priv);
const char *toe_err_name(u32 code);
void toe_link_update(struct toe_priv *priv);
int toe_inject_bad_ring_addr(struct toe_priv *priv);

/* toe_netdev.c */
bool toe_netdev_is_ours(const struct net_device *dev);
int toe_netdev_init(struct toe_priv *priv);
void toe_netdev_fini(struct toe_priv *priv);
int toe_l2_rings_alloc(struct toe_priv *priv);
void toe_l2_rings_free(struct toe_priv *priv);
void toe_l2_quiesce(struct toe_priv *priv);
void toe_l2_reset(struct toe_priv *priv);
void toe_l2_resume(struct toe_priv *priv);
int toe_l2_drain_rx(struct toe_priv *priv, unsigned long timeout);
irqreturn_t toe_l2_irq(int irq, void *data);
int toe_tx_inject(struct toe_priv *priv, u64 addr, u16 len);
int toe_tx_inject_tail(struct toe_priv *priv);
void toe_l2_stats_read(struct toe_l2_stats *s, u64 *packets, u64 *bytes,
		       u64 *errors, u64 *dropped, u64 *busy);

/* toe_ethtool.c */
extern const struct ethtool_ops toe_ethtool_ops;

/* toe_hwconn.c */
extern const struct toe_conn_ops toe_hw_conn_ops;

/* toe_cmd.c */
int toe_cmd_rings_alloc(struct toe_priv *priv);
void toe_cmd_rings_free(struct toe_priv *priv);
void toe_cmd_stop(struct toe_priv *priv);
void toe_cmd_reset(struct toe_priv *priv);
void toe_cmd_start(struct toe_priv *priv);
void toe_watchdog_start(struct toe_priv *priv);
void toe_watchdog_stop(struct toe_priv *priv);
int toe_cmd_exec(struct toe_priv *priv, struct toe_cmd_args *args);
int toe_cmd_post(struct toe_priv *priv, const struct toe_cmd_args *args);
int toe_cmd_nop(struct toe_priv *priv, void *buf, dma_addr_t dma, u32 len,
		u32 seed);
int toe_status_to_errno(u32 status);
irqreturn_t toe_evt_irq(int irq, void *data);
irqreturn_t toe_evt_thread(int irq, void *data);

/* toe_debugfs.c */
void toe_debugfs_init(void);
void toe_debugfs_exit(void);
void toe_debugfs_add(struct toe_priv *priv);
void toe_debugfs_remove(struct toe_priv *priv);

/* toe_pci.c: PCI driver registered by toe_main.c */
extern struct pci_driver toe_pci_driver;

#endif /* _TOE_H */
