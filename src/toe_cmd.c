// SPDX-License-Identifier: GPL-2.0
/*
 * toe_cmd.c - the command and event rings.
 *
 * A caller of toe_cmd_exec() writes one struct toe_cmd, advances the
 * command ring's TAIL and sleeps on a completion. The device answers every
 * command with exactly one TOE_EVT_CMD_DONE event carrying the command's
 * tag; the EVT vector's irq thread reaps events, matches the tag against
 * the list of waiters and completes the waiter. A command that gets no
 * answer within TOE_CMD_TIMEOUT schedules a device reset, and its caller
 * waits for that reset before returning: only once the device has been
 * reset is the payload buffer the caller's again. A reset completes every
 * waiter with -ENETRESET; a command asked for while the device is down
 * is not sent, and gets -ENETDOWN. These two and -ETIMEDOUT are the
 * driver's own (toe_conn_err_reset()): no answer of the device maps to
 * them.
 *
 * toe_cmd_post() queues a command nobody waits for (the data path's SEND
 * and RECV_FREED, issued with the socket lock held): its tag has
 * TOE_CMD_TAG_POSTED set, and its answer is only counted, and logged if
 * it is an error.
 *
 * Posted commands have no waiter to time out, so a watchdog looks at the
 * command ring every TOE_WATCHDOG_PERIOD: if the device has taken none of
 * the commands waiting there for TOE_CMD_TIMEOUT, it has stopped
 * answering, and the watchdog resets it (whose failover brings its
 * connections home). While connections are on the NIC and the ring is
 * idle, it posts a NOP, so that a device that stopped is found even when
 * nobody sends or reads.
 */
#include <linux/dma-mapping.h>
#include <linux/errno.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <kunit/visibility.h>

#include "toe.h"
#include "toe_desc.h"

/* Tags of posted commands; toe_cmd_exec() uses the others. */
#define TOE_CMD_TAG_POSTED	0x80000000u

/* A sleeping toe_cmd_exec() caller; on priv->cmd_pending under cmd_lock. */
struct toe_cmd_waiter {
	struct list_head node;		/* empty once answered */
	struct completion done;
	u32 tag;
	u16 opcode;
	int ret;			/* errno of the answer */
	u32 value;			/* the event's value */
};

/**
 * toe_status_to_errno() - map a command status from the device to an errno.
 * @status: TOE_STS_* from a TOE_EVT_CMD_DONE or TOE_EVT_CLOSED event
 *
 * The one place where device status codes become errnos.
 *
 * Return: 0 for TOE_STS_OK, a negative errno otherwise; -EIO for a status
 * this driver does not know.
 */
int toe_status_to_errno(u32 status)
{
	switch (status) {
	case TOE_STS_OK:
		return 0;
	case TOE_STS_INVAL:
		return -EINVAL;
	case TOE_STS_FAULT:
		return -EFAULT;
	case TOE_STS_NOSPC:
		return -ENOSPC;
	case TOE_STS_NOENT:
		return -ENOENT;
	case TOE_STS_OPNOTSUPP:
		return -EOPNOTSUPP;
	case TOE_STS_BUSY:
		return -EBUSY;
	case TOE_STS_TOOBIG:
		return -EMSGSIZE;
	case TOE_STS_RESET:
		return -ECONNRESET;
	case TOE_STS_TIMEDOUT:
		return -ETIMEDOUT;
	default:
		return -EIO;
	}
}
EXPORT_SYMBOL_IF_KUNIT(toe_status_to_errno);

static int toe_ring_alloc(struct toe_priv *priv, struct toe_ring *ring,
			  u32 id, u32 size, size_t esize)
{
	ring->desc = dma_alloc_coherent(&priv->pdev->dev, size * esize,
					&ring->dma, GFP_KERNEL);
	if (!ring->desc)
		return -ENOMEM;
	ring->id = id;
	ring->size = size;
	ring->tail = 0;
	ring->clean = 0;
	return 0;
}

static void toe_ring_free(struct toe_priv *priv, struct toe_ring *ring,
			  size_t esize)
{
	if (!ring->desc)
		return;
	dma_free_coherent(&priv->pdev->dev, ring->size * esize, ring->desc,
			  ring->dma);
	ring->desc = NULL;
}

/**
 * toe_cmd_rings_alloc() - allocate the command and event rings.
 * @priv: the device
 *
 * Return: 0 or -ENOMEM.
 */
int toe_cmd_rings_alloc(struct toe_priv *priv)
{
	int err;

	err = toe_ring_alloc(priv, &priv->cmd, TOE_RING_CMD,
			     TOE_CMD_RING_SIZE, sizeof(struct toe_cmd));
	if (err)
		return err;
	err = toe_ring_alloc(priv, &priv->evt, TOE_RING_EVT,
			     TOE_EVT_RING_SIZE, sizeof(struct toe_evt));
	if (err)
		toe_ring_free(priv, &priv->cmd, sizeof(struct toe_cmd));
	return err;
}

void toe_cmd_rings_free(struct toe_priv *priv)
{
	toe_ring_free(priv, &priv->evt, sizeof(struct toe_evt));
	toe_ring_free(priv, &priv->cmd, sizeof(struct toe_cmd));
}

/* Refuse new commands; the device is about to be reset. */
void toe_cmd_stop(struct toe_priv *priv)
{
	spin_lock(&priv->cmd_lock);
	priv->cmd_ready = false;
	spin_unlock(&priv->cmd_lock);
}

/**
 * toe_cmd_reset() - forget every command and event after a device reset.
 * @priv: the device, held in reset or never started
 *
 * Completes every waiter with -ENETRESET, empties both rings and posts every
 * event slot again (the new TAIL is written by toe_cmd_start()).
 *
 * Context: process; the EVT irq is disabled.
 */
void toe_cmd_reset(struct toe_priv *priv)
{
	struct toe_cmd_waiter *w, *tmp;

	spin_lock(&priv->cmd_lock);
	list_for_each_entry_safe(w, tmp, &priv->cmd_pending, node) {
		list_del_init(&w->node);
		w->ret = -ENETRESET;
		complete(&w->done);
	}
	memset(priv->cmd.desc, 0, priv->cmd.size * sizeof(struct toe_cmd));
	priv->cmd.tail = 0;
	priv->cmd.clean = 0;
	spin_unlock(&priv->cmd_lock);

	memset(priv->evt.desc, 0, priv->evt.size * sizeof(struct toe_evt));
	priv->evt.clean = 0;
	priv->evt.tail = priv->evt.size;
}

/* Post the event slots and take commands again; the device is enabled. */
void toe_cmd_start(struct toe_priv *priv)
{
	toe_ring_wr(priv, &priv->evt, TOE_RING_TAIL, priv->evt.tail);
	spin_lock(&priv->cmd_lock);
	priv->cmd_ready = true;
	spin_unlock(&priv->cmd_lock);
}

/*
 * Write one command at the ring's tail and ring the doorbell. @w waits
 * for the answer (it goes on the pending list with its tag), or is NULL
 * for a posted command. Return: 0, -ENETDOWN (device being reset, or
 * down) or -EBUSY (ring full).
 */
static int toe_cmd_queue(struct toe_priv *priv,
			 const struct toe_cmd_args *args,
			 struct toe_cmd_waiter *w)
{
	struct toe_ring *ring = &priv->cmd;
	struct toe_cmd *cmds = ring->desc;
	u32 head, tag;

	lockdep_assert_held(&priv->cmd_lock);
	if (!priv->cmd_ready)
		return -ENETDOWN;
	head = toe_rd(priv, TOE_REG_RING(ring->id, TOE_RING_HEAD));
	if (toe_ring_used(head, ring->tail) >= ring->size)
		return -EBUSY;
	tag = ++priv->cmd_tag;
	tag = w ? tag & ~TOE_CMD_TAG_POSTED : tag | TOE_CMD_TAG_POSTED;
	toe_cmd_fill(&cmds[toe_ring_slot(ring->tail, ring->size)],
		     args->opcode, tag, args->handle, args->conn_id,
		     args->payload, args->payload_len);
	if (w) {
		w->tag = tag;
		list_add_tail(&w->node, &priv->cmd_pending);
	}
	ring->tail++;
	/* writel() orders the command's bytes before the doorbell. */
	toe_ring_wr(priv, ring, TOE_RING_TAIL, ring->tail);
	return 0;
}

/**
 * toe_cmd_exec() - run one command on the device and wait for its answer.
 * @priv: the device
 * @args: the command; @args->value receives the event's value
 *
 * Fields are passed to the device as they are: the device checks them
 * (which is what the fault injection relies on). The payload buffer
 * belongs to the device until this function returns.
 *
 * Context: process, may sleep; must not be called from the EVT irq
 * thread or with priv->state_lock held (a timeout waits for a reset).
 * Return: 0, the errno of the device's status (toe_status_to_errno()),
 * -ENETDOWN if the device is being reset or is down (the command was not
 * sent), -ENETRESET if it was reset while the command ran, -ETIMEDOUT
 * if it never answered, or if the command ring stayed full
 * for as long (a reset is then under way).
 */
int toe_cmd_exec(struct toe_priv *priv, struct toe_cmd_args *args)
{
	struct toe_cmd_waiter w = { .opcode = args->opcode };
	bool timed_out = false;
	unsigned long end;
	int err;

	might_sleep();
	init_completion(&w.done);

	/* A full ring is waited out, as long as a command's answer would be. */
	end = jiffies + TOE_CMD_TIMEOUT;
	for (;;) {
		spin_lock(&priv->cmd_lock);
		err = toe_cmd_queue(priv, args, &w);
		spin_unlock(&priv->cmd_lock);
		if (err != -EBUSY || time_after(jiffies, end))
			break;
		usleep_range(500, 1000);
	}
	if (err == -EBUSY) {
		/* Never queued: nothing to wait for once the reset is asked. */
		atomic64_inc(&priv->stats.cmd_timeouts);
		netdev_err(priv->netdev,
			   "command %#x: the ring stayed full for %u ms, resetting the device\n",
			   args->opcode, jiffies_to_msecs(TOE_CMD_TIMEOUT));
		toe_schedule_reset(priv, "command ring full");
		return -ETIMEDOUT;
	}
	if (err)
		return err;

	if (!wait_for_completion_timeout(&w.done, TOE_CMD_TIMEOUT)) {
		spin_lock(&priv->cmd_lock);
		timed_out = !list_empty(&w.node);
		spin_unlock(&priv->cmd_lock);
	}
	if (timed_out) {
		atomic64_inc(&priv->stats.cmd_timeouts);
		netdev_err(priv->netdev,
			   "command %#x tag %u: no answer in %u ms, resetting the device\n",
			   args->opcode, w.tag,
			   jiffies_to_msecs(TOE_CMD_TIMEOUT));
		toe_schedule_reset(priv, "command timeout");
		/* The reset (or remove) completes us once DMA has stopped. */
		wait_for_completion(&w.done);
		return -ETIMEDOUT;
	}
	args->value = w.value;
	return w.ret;
}

/**
 * toe_cmd_post() - queue one command and do not wait for its answer.
 * @priv: the device
 * @args: the command; no payload (the caller could not know when the
 *	device is done with it)
 *
 * Context: process or the EVT irq thread; does not sleep.
 * Return: 0, -EINVAL with a payload, -EBUSY if the command ring is full,
 * -ENETDOWN if the device is being reset, or down.
 */
int toe_cmd_post(struct toe_priv *priv, const struct toe_cmd_args *args)
{
	int err;

	if (args->payload_len)
		return -EINVAL;
	spin_lock(&priv->cmd_lock);
	err = toe_cmd_queue(priv, args, NULL);
	spin_unlock(&priv->cmd_lock);
	return err;
}

/* Match a TOE_EVT_CMD_DONE to its waiter and wake it. */
static void toe_cmd_done(struct toe_priv *priv, const struct toe_evt_info *e)
{
	struct toe_cmd_waiter *w, *found = NULL;

	if (e->tag & TOE_CMD_TAG_POSTED) {
		atomic64_inc(&priv->stats.cmds);
		if (e->status != TOE_STS_OK) {
			atomic64_inc(&priv->stats.cmd_errors);
			toe_warn_rl(priv, "command %#x for conn %u: status %u\n",
				    e->opcode, e->conn_id, e->status);
		}
		return;
	}

	spin_lock(&priv->cmd_lock);
	list_for_each_entry(w, &priv->cmd_pending, node) {
		if (w->tag == e->tag) {
			found = w;
			break;
		}
	}
	if (!found) {
		spin_unlock(&priv->cmd_lock);
		atomic64_inc(&priv->stats.evt_bad);
		toe_warn_rl(priv, "completion for unknown command tag %u\n",
			    e->tag);
		return;
	}
	list_del_init(&found->node);
	if (found->opcode != e->opcode) {
		atomic64_inc(&priv->stats.evt_bad);
		toe_warn_rl(priv,
			    "command tag %u: answer is for opcode %#x, not %#x\n",
			    e->tag, e->opcode, found->opcode);
		found->ret = -EIO;
	} else {
		found->ret = toe_status_to_errno(e->status);
		/* Only the driver says that a reset ended a command. */
		if (toe_conn_err_reset(found->ret))
			found->ret = -EIO;
		found->value = e->value;
	}
	complete(&found->done);
	spin_unlock(&priv->cmd_lock);

	atomic64_inc(&priv->stats.cmds);
	if (e->status != TOE_STS_OK)
		atomic64_inc(&priv->stats.cmd_errors);
}

static void toe_evt_dispatch(struct toe_priv *priv,
			     const struct toe_evt_info *e)
{
	atomic64_inc(&priv->stats.events);
	switch (e->type) {
	case TOE_EVT_CMD_DONE:
		toe_cmd_done(priv, e);
		break;
	case TOE_EVT_UPLOAD_REQ:
	case TOE_EVT_ACKED:
	case TOE_EVT_RECV:
	case TOE_EVT_STATE:
	case TOE_EVT_CLOSED:
		priv->core->conn_event(priv, e->type, e->handle, e->conn_id,
				       e->status, e->reason, e->value);
		break;
	default:
		atomic64_inc(&priv->stats.evt_bad);
		toe_warn_rl(priv, "unknown event type %#x\n", e->type);
		break;
	}
}

static bool toe_evt_pending(struct toe_priv *priv)
{
	struct toe_evt *evts = priv->evt.desc;
	struct toe_ring *ring = &priv->evt;

	return toe_desc_done(evts[toe_ring_slot(ring->clean, ring->size)].flags);
}

/* Reap every finished event and post its slot again. */
static void toe_evt_reap(struct toe_priv *priv)
{
	struct toe_ring *ring = &priv->evt;
	struct toe_evt *evts = ring->desc;
	struct toe_evt_info info;
	u32 n = 0;

	while (toe_evt_pending(priv)) {
		struct toe_evt *e = &evts[toe_ring_slot(ring->clean,
							ring->size)];

		dma_rmb();	/* DONE is written last: read it first */
		toe_evt_decode(e, &info);
		memset(e, 0, sizeof(*e));
		ring->clean++;
		toe_evt_dispatch(priv, &info);
		n++;
	}
	if (n) {
		ring->tail = ring->clean + ring->size;
		toe_ring_wr(priv, ring, TOE_RING_TAIL, ring->tail);
	}
}

/**
 * toe_evt_irq() - EVT vector, hard part: mask the cause, wake the thread.
 * @irq: the vector's Linux irq
 * @data: struct toe_priv
 *
 * Return: IRQ_WAKE_THREAD.
 */
irqreturn_t toe_evt_irq(int irq, void *data)
{
	struct toe_priv *priv = data;

	toe_wr(priv, TOE_REG_INTR_MASK_SET, TOE_INTR_EVT);
	return IRQ_WAKE_THREAD;
}

/*
 * Rounds of reaping (each at most a ring of events) one run of the event
 * thread makes: a device that writes events without end does not keep
 * the thread, which runs at real-time priority, from returning.
 */
#define TOE_EVT_ROUNDS		4

/**
 * toe_evt_thread() - EVT vector, threaded part: reap and dispatch events.
 * @irq: the vector's Linux irq
 * @data: struct toe_priv
 *
 * The only reader of the event ring; a reset excludes it with
 * disable_irq(). Clears the cause before reaping and looks again after
 * unmasking, so an event written in between is never left behind. After
 * TOE_EVT_ROUNDS rounds it returns with the cause unmasked: the device
 * raises the vector again for a cause still set as it is unmasked
 * (hardware.rst), and whatever waits for the thread gets its turn.
 *
 * Return: IRQ_HANDLED.
 */
irqreturn_t toe_evt_thread(int irq, void *data)
{
	struct toe_priv *priv = data;
	int round;

	for (round = 1; ; round++) {
		toe_wr(priv, TOE_REG_INTR_CAUSE, TOE_INTR_EVT);
		toe_evt_reap(priv);
		toe_wr(priv, TOE_REG_INTR_MASK_CLR, TOE_INTR_EVT);
		if (!toe_evt_pending(priv) || round == TOE_EVT_ROUNDS)
			break;
		toe_wr(priv, TOE_REG_INTR_MASK_SET, TOE_INTR_EVT);
	}
	return IRQ_HANDLED;
}

#define TOE_WATCHDOG_PERIOD	(HZ / 2)

static void toe_watchdog(struct work_struct *work)
{
	struct toe_priv *priv = container_of(to_delayed_work(work),
					     struct toe_priv, watchdog);
	struct toe_cmd_args nop = {
		.opcode = TOE_CMD_NOP,
		.conn_id = TOE_CONN_NONE,
	};
	u32 head, tail;
	bool ready;

	spin_lock(&priv->cmd_lock);
	ready = priv->cmd_ready;
	tail = priv->cmd.tail;
	spin_unlock(&priv->cmd_lock);
	head = ready ? toe_rd(priv, TOE_REG_RING(TOE_RING_CMD,
						 TOE_RING_HEAD)) : tail;
	if (head == tail || head != priv->wd_head) {
		/* Idle, or the device took something: all is well. */
		priv->wd_head = head;
		priv->wd_since = jiffies;
		if (ready && head == tail && !xa_empty(&priv->conns))
			toe_cmd_post(priv, &nop);
	} else if (time_after(jiffies, priv->wd_since + TOE_CMD_TIMEOUT)) {
		atomic64_inc(&priv->stats.watchdog);
		netdev_err(priv->netdev,
			   "device took none of %u commands in %u ms, resetting it\n",
			   tail - head,
			   jiffies_to_msecs(jiffies - priv->wd_since));
		toe_schedule_reset(priv, "command watchdog");
		priv->wd_since = jiffies;
	}
	schedule_delayed_work(&priv->watchdog, TOE_WATCHDOG_PERIOD);
}

/**
 * toe_watchdog_start() - start watching the command ring.
 * @priv: the device, up
 */
void toe_watchdog_start(struct toe_priv *priv)
{
	INIT_DELAYED_WORK(&priv->watchdog, toe_watchdog);
	priv->wd_since = jiffies;
	schedule_delayed_work(&priv->watchdog, TOE_WATCHDOG_PERIOD);
}

/**
 * toe_watchdog_stop() - stop it for good (device removal).
 * @priv: the device
 */
void toe_watchdog_stop(struct toe_priv *priv)
{
	cancel_delayed_work_sync(&priv->watchdog);
}

static u8 toe_nop_pattern(u32 seed, u32 i)
{
	return (u8)(seed * 31 + i * 7 + (i >> 8));
}

/**
 * toe_cmd_nop() - one TOE_CMD_NOP round trip with a payload.
 * @priv: the device
 * @buf: coherent buffer of at least @len bytes
 * @dma: its bus address
 * @len: payload bytes, 0 to TOE_CMD_MAX_PAYLOAD
 * @seed: varies the pattern between calls
 *
 * Fills @buf with a pattern, runs the NOP and checks that the device
 * wrote back every byte inverted and reported @len bytes used.
 *
 * Context: process, may sleep (see toe_cmd_exec()).
 * Return: 0, an errno from toe_cmd_exec(), or -EPROTO if the payload or
 * the reported length is wrong.
 */
int toe_cmd_nop(struct toe_priv *priv, void *buf, dma_addr_t dma, u32 len,
		u32 seed)
{
	struct toe_cmd_args args = {
		.opcode = TOE_CMD_NOP,
		.conn_id = TOE_CONN_NONE,
		.handle = seed,
		.payload = len ? dma : 0,
		.payload_len = len,
	};
	u8 *p = buf;
	u32 i;
	int err;

	for (i = 0; i < len; i++)
		p[i] = toe_nop_pattern(seed, i);
	err = toe_cmd_exec(priv, &args);
	if (err)
		return err;
	if (args.value != len) {
		netdev_err(priv->netdev, "NOP: device used %u bytes of %u\n",
			   args.value, len);
		return -EPROTO;
	}
	for (i = 0; i < len; i++) {
		u8 want = ~toe_nop_pattern(seed, i);

		if (p[i] != want) {
			netdev_err(priv->netdev,
				   "NOP: payload byte %u is %#04x, expected %#04x\n",
				   i, p[i], want);
			return -EPROTO;
		}
	}
	return 0;
}
