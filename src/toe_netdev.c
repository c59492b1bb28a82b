// SPDX-License-Identifier: GPL-2.0
/*
 * toe_netdev.c - the NIC's ordinary L2 interface: net_device_ops, the TX
 * and RX rings and their NAPI context.
 *
 * TX: one descriptor per linear frame, mapped with dma_map_single(),
 * unmapped and freed when NAPI sees TOE_DESC_DONE. RX: every slot always
 * holds a mapped buffer of TOE_RX_BUF_LEN bytes; a filled one is passed up
 * and replaced, or, if no replacement can be allocated, the frame is
 * dropped and the buffer posted again, so the ring never runs dry.
 *
 * The TOE_VEC_L2 hard irq masks the L2 causes and schedules NAPI; NAPI
 * clears the causes and unmasks them when it completes, then looks at the
 * rings once more so a completion that raced with the unmask is not lost.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/etherdevice.h>
#include <linux/interrupt.h>
#include <linux/netdevice.h>

#include "toe.h"
#include "toe_desc.h"

#define TOE_TX_WAKE_THRESH	(TOE_TX_RING_SIZE / 4)

static struct toe_tx_desc *toe_tx_desc(struct toe_priv *priv, u32 index)
{
	struct toe_tx_desc *descs = priv->tx.desc;

	return &descs[toe_ring_slot(index, priv->tx.size)];
}

static struct toe_rx_desc *toe_rx_desc(struct toe_priv *priv, u32 index)
{
	struct toe_rx_desc *descs = priv->rx.desc;

	return &descs[toe_ring_slot(index, priv->rx.size)];
}

void toe_l2_stats_read(struct toe_l2_stats *s, u64 *packets, u64 *bytes,
		       u64 *errors, u64 *dropped, u64 *busy)
{
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&s->syncp);
		*packets = u64_stats_read(&s->packets);
		*bytes = u64_stats_read(&s->bytes);
		*errors = u64_stats_read(&s->errors);
		*dropped = u64_stats_read(&s->dropped);
		*busy = u64_stats_read(&s->busy);
	} while (u64_stats_fetch_retry(&s->syncp, start));
}

static void toe_stats_inc(struct toe_l2_stats *s, u64_stats_t *field)
{
	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(field);
	u64_stats_update_end(&s->syncp);
}

/* ---- RX ---------------------------------------------------------------- */

static int toe_rx_buf_alloc(struct toe_priv *priv, struct toe_rx_buf *buf,
			    bool in_napi)
{
	struct device *dev = &priv->pdev->dev;
	struct sk_buff *skb;
	dma_addr_t dma;

	if (in_napi)
		skb = napi_alloc_skb(&priv->napi, TOE_RX_BUF_LEN);
	else
		skb = netdev_alloc_skb_ip_align(priv->netdev, TOE_RX_BUF_LEN);
	if (!skb)
		return -ENOMEM;
	dma = dma_map_single(dev, skb->data, TOE_RX_BUF_LEN, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, dma)) {
		dev_kfree_skb_any(skb);
		return -ENOMEM;
	}
	buf->skb = skb;
	buf->dma = dma;
	return 0;
}

static void toe_rx_buf_free(struct toe_priv *priv, struct toe_rx_buf *buf)
{
	if (!buf->skb)
		return;
	dma_unmap_single(&priv->pdev->dev, buf->dma, TOE_RX_BUF_LEN,
			 DMA_FROM_DEVICE);
	dev_kfree_skb_any(buf->skb);
	buf->skb = NULL;
}

static int toe_rx_poll(struct toe_priv *priv, int budget)
{
	struct toe_l2_stats *st = &priv->rx_stats;
	struct toe_ring *ring = &priv->rx;
	u64 packets = 0, bytes = 0, errors = 0, dropped = 0, badlen = 0;
	int done = 0;

	while (done < budget) {
		u32 slot = toe_ring_slot(ring->clean, ring->size);
		struct toe_rx_desc *d = toe_rx_desc(priv, ring->clean);
		struct toe_rx_buf *buf = &priv->rx_bufs[slot];
		struct toe_rx_buf fresh;
		struct sk_buff *skb;
		u16 status, len;

		if (!toe_desc_done(d->status))
			break;
		dma_rmb();	/* DONE is written last: read it first */
		status = le16_to_cpu(d->status);
		len = le16_to_cpu(d->len);
		done++;

		if (status & TOE_DESC_ERR) {
			errors++;
		} else if (len < TOE_L2_MIN_FRAME || len > TOE_RX_BUF_LEN) {
			badlen++;
		} else if (toe_rx_buf_alloc(priv, &fresh, true)) {
			dropped++;
		} else {
			skb = buf->skb;
			dma_unmap_single(&priv->pdev->dev, buf->dma,
					 TOE_RX_BUF_LEN, DMA_FROM_DEVICE);
			*buf = fresh;
			skb_put(skb, len);
			skb->protocol = eth_type_trans(skb, priv->netdev);
			packets++;
			bytes += len;
			napi_gro_receive(&priv->napi, skb);
		}
		toe_rx_desc_fill(d, buf->dma, TOE_RX_BUF_LEN);
		ring->clean++;
	}
	if (done) {
		ring->tail = ring->clean + ring->size;
		toe_ring_wr(priv, ring, TOE_RING_TAIL, ring->tail);
		u64_stats_update_begin(&st->syncp);
		u64_stats_add(&st->packets, packets);
		u64_stats_add(&st->bytes, bytes);
		u64_stats_add(&st->errors, errors);
		u64_stats_add(&st->dropped, dropped);
		u64_stats_add(&st->busy, badlen);
		u64_stats_update_end(&st->syncp);
	}
	if (unlikely(errors || badlen))
		toe_warn_rl(priv, "RX: %llu descriptors with errors, %llu with a bad length\n",
			    errors, badlen);
	return done;
}

/* ---- TX ---------------------------------------------------------------- */

/*
 * Reap finished TX descriptors; NAPI context, or NAPI disabled. @wake: the
 * interface runs, so a stopped queue may be woken.
 */
static void toe_tx_clean(struct toe_priv *priv, int budget, bool wake)
{
	struct toe_l2_stats *st = &priv->txc_stats;
	struct toe_ring *ring = &priv->tx;
	u32 tail = READ_ONCE(ring->tail);
	u32 clean = ring->clean;
	unsigned int pkts = 0, bytes = 0;
	u64 errors = 0;

	while (clean != tail) {
		struct toe_tx_desc *d = toe_tx_desc(priv, clean);
		struct toe_tx_buf *buf;

		if (!toe_desc_done(d->status))
			break;
		dma_rmb();
		buf = &priv->tx_bufs[toe_ring_slot(clean, ring->size)];
		if (toe_desc_err(d->status))
			errors++;
		if (buf->skb) {
			dma_unmap_single(&priv->pdev->dev, buf->dma, buf->len,
					 DMA_TO_DEVICE);
			pkts++;
			bytes += buf->len;
			napi_consume_skb(buf->skb, budget);
			buf->skb = NULL;
		}
		clean++;
	}
	if (clean == ring->clean)
		return;
	WRITE_ONCE(ring->clean, clean);
	netdev_completed_queue(priv->netdev, pkts, bytes);
	if (errors) {
		u64_stats_update_begin(&st->syncp);
		u64_stats_add(&st->errors, errors);
		u64_stats_update_end(&st->syncp);
		toe_warn_rl(priv, "TX: %llu descriptors refused by the device\n",
			    errors);
	}

	/* Pairs with the barrier in toe_start_xmit() after stopping. */
	smp_mb();
	if (unlikely(wake && netif_queue_stopped(priv->netdev) &&
		     toe_ring_space(clean, tail, ring->size) >=
		     TOE_TX_WAKE_THRESH))
		netif_wake_queue(priv->netdev);
}

static netdev_tx_t toe_start_xmit(struct sk_buff *skb,
				  struct net_device *netdev)
{
	struct toe_priv *priv = netdev_priv(netdev);
	struct toe_l2_stats *st = &priv->tx_stats;
	struct toe_ring *ring = &priv->tx;
	struct device *dev = &priv->pdev->dev;
	struct toe_tx_buf *buf;
	unsigned int len;
	dma_addr_t dma;
	bool kick;

	if (eth_skb_pad(skb))		/* frees the skb on failure */
		goto dropped;
	len = skb->len;
	if (unlikely(len > TOE_L2_MAX_FRAME || !priv->tx_up))
		goto drop;
	if (unlikely(!toe_ring_space(READ_ONCE(ring->clean), ring->tail,
				     ring->size))) {
		netif_stop_queue(netdev);
		toe_stats_inc(st, &st->busy);
		return NETDEV_TX_BUSY;
	}
	dma = dma_map_single(dev, skb->data, len, DMA_TO_DEVICE);
	if (unlikely(dma_mapping_error(dev, dma)))
		goto drop;

	buf = &priv->tx_bufs[toe_ring_slot(ring->tail, ring->size)];
	buf->skb = skb;
	buf->dma = dma;
	buf->len = len;
	toe_tx_desc_fill(toe_tx_desc(priv, ring->tail), dma, len);
	skb_tx_timestamp(skb);
	/* The device sees the slot only once TAIL is written below. */
	WRITE_ONCE(ring->tail, ring->tail + 1);
	kick = __netdev_tx_sent_queue(netdev_get_tx_queue(netdev, 0), len,
				      netdev_xmit_more());

	u64_stats_update_begin(&st->syncp);
	u64_stats_inc(&st->packets);
	u64_stats_add(&st->bytes, len);
	u64_stats_update_end(&st->syncp);

	if (unlikely(!toe_ring_space(READ_ONCE(ring->clean), ring->tail,
				     ring->size))) {
		netif_stop_queue(netdev);
		/* Pairs with toe_tx_clean(): see its clean index or it sees
		 * the stopped queue.
		 */
		smp_mb();
		if (toe_ring_space(READ_ONCE(ring->clean), ring->tail,
				   ring->size) >= TOE_TX_WAKE_THRESH)
			netif_start_queue(netdev);
		kick = true;
	}
	if (kick)
		toe_ring_wr(priv, ring, TOE_RING_TAIL, ring->tail);
	return NETDEV_TX_OK;

drop:
	dev_kfree_skb_any(skb);
dropped:
	toe_stats_inc(st, &st->dropped);
	return NETDEV_TX_OK;
}

/* Free every TX frame the device still had; device in reset or stopped. */
static void toe_tx_purge(struct toe_priv *priv)
{
	struct toe_l2_stats *st = &priv->txc_stats;
	struct toe_ring *ring = &priv->tx;
	u64 purged = 0;
	u32 i;

	for (i = 0; i < ring->size; i++) {
		struct toe_tx_buf *buf = &priv->tx_bufs[i];

		if (!buf->skb)
			continue;
		dma_unmap_single(&priv->pdev->dev, buf->dma, buf->len,
				 DMA_TO_DEVICE);
		dev_kfree_skb_any(buf->skb);
		buf->skb = NULL;
		purged++;
	}
	memset(ring->desc, 0, ring->size * sizeof(struct toe_tx_desc));
	ring->tail = 0;
	ring->clean = 0;
	netdev_reset_queue(priv->netdev);
	if (purged) {
		u64_stats_update_begin(&st->syncp);
		u64_stats_add(&st->dropped, purged);
		u64_stats_update_end(&st->syncp);
	}
}

/**
 * toe_tx_inject() - put a raw descriptor on the TX ring (fault injection).
 * @priv: the device
 * @addr: bus address to write into the descriptor, checked by nobody
 * @len: length to write into the descriptor
 *
 * The slot carries no skb, so its completion only counts.
 *
 * Context: process.
 * Return: 0, -EIO if the rings are down, -EBUSY if the ring is full.
 */
int toe_tx_inject(struct toe_priv *priv, u64 addr, u16 len)
{
	struct toe_ring *ring = &priv->tx;
	int err = 0;

	netif_tx_lock_bh(priv->netdev);
	if (!priv->tx_up) {
		err = -EIO;
	} else if (!toe_ring_space(READ_ONCE(ring->clean), ring->tail,
				   ring->size)) {
		err = -EBUSY;
	} else {
		priv->tx_bufs[toe_ring_slot(ring->tail, ring->size)].skb = NULL;
		toe_tx_desc_fill(toe_tx_desc(priv, ring->tail), addr, len);
		WRITE_ONCE(ring->tail, ring->tail + 1);
		toe_ring_wr(priv, ring, TOE_RING_TAIL, ring->tail);
	}
	netif_tx_unlock_bh(priv->netdev);
	return err;
}

/**
 * toe_tx_inject_tail() - write a TX TAIL more than a ring ahead of HEAD.
 * @priv: the device
 *
 * The device must refuse it with TOE_ERR_BAD_TAIL and keep the old TAIL;
 * the right value is written again straight after, in case it did not.
 *
 * Context: process.
 * Return: 0 or -EIO if the rings are down.
 */
int toe_tx_inject_tail(struct toe_priv *priv)
{
	struct toe_ring *ring = &priv->tx;
	int err = 0;

	netif_tx_lock_bh(priv->netdev);
	if (priv->tx_up) {
		toe_ring_wr(priv, ring, TOE_RING_TAIL,
			    ring->tail + ring->size + 1);
		toe_ring_wr(priv, ring, TOE_RING_TAIL, ring->tail);
	} else {
		err = -EIO;
	}
	netif_tx_unlock_bh(priv->netdev);
	return err;
}

/* ---- NAPI and the L2 vector ------------------------------------------- */

static bool toe_l2_pending(struct toe_priv *priv)
{
	if (toe_desc_done(toe_rx_desc(priv, priv->rx.clean)->status))
		return true;
	return priv->tx.clean != READ_ONCE(priv->tx.tail) &&
	       toe_desc_done(toe_tx_desc(priv, priv->tx.clean)->status);
}

static int toe_napi_poll(struct napi_struct *napi, int budget)
{
	struct toe_priv *priv = container_of(napi, struct toe_priv, napi);
	int done;

	toe_tx_clean(priv, budget, true);
	done = toe_rx_poll(priv, budget);
	if (done < budget && napi_complete_done(napi, done)) {
		toe_wr(priv, TOE_REG_INTR_CAUSE, TOE_INTR_L2);
		toe_wr(priv, TOE_REG_INTR_MASK_CLR, TOE_INTR_L2);
		if (toe_l2_pending(priv))
			napi_schedule(napi);
	}
	return done;
}

/**
 * toe_l2_irq() - TOE_VEC_L2: mask the L2 causes and hand over to NAPI.
 * @irq: the vector's Linux irq
 * @data: struct toe_priv
 *
 * Return: IRQ_HANDLED.
 */
irqreturn_t toe_l2_irq(int irq, void *data)
{
	struct toe_priv *priv = data;

	toe_wr(priv, TOE_REG_INTR_MASK_SET, TOE_INTR_L2);
	napi_schedule_irqoff(&priv->napi);
	return IRQ_HANDLED;
}

/* Enable NAPI, unmask L2 and poll once for what came while masked. */
static void toe_napi_start(struct toe_priv *priv)
{
	lockdep_assert_held(&priv->state_lock);

	if (priv->napi_live)
		return;
	napi_enable(&priv->napi);
	priv->napi_live = true;
	toe_wr(priv, TOE_REG_INTR_MASK_CLR, TOE_INTR_L2);
	local_bh_disable();
	napi_schedule(&priv->napi);
	local_bh_enable();
}

static void toe_napi_stop(struct toe_priv *priv)
{
	lockdep_assert_held(&priv->state_lock);

	if (!priv->napi_live)
		return;
	napi_disable(&priv->napi);
	priv->napi_live = false;
}

/* ---- ring setup, reset and teardown ------------------------------------ */

/**
 * toe_l2_rings_alloc() - allocate the TX and RX rings and fill RX.
 * @priv: the device
 *
 * Return: 0 or -ENOMEM, with nothing left allocated.
 */
int toe_l2_rings_alloc(struct toe_priv *priv)
{
	struct device *dev = &priv->pdev->dev;
	u32 i;

	priv->tx.id = TOE_RING_L2_TX;
	priv->tx.size = TOE_TX_RING_SIZE;
	priv->rx.id = TOE_RING_L2_RX;
	priv->rx.size = TOE_RX_RING_SIZE;

	priv->tx_bufs = kcalloc(priv->tx.size, sizeof(*priv->tx_bufs),
				GFP_KERNEL);
	priv->rx_bufs = kcalloc(priv->rx.size, sizeof(*priv->rx_bufs),
				GFP_KERNEL);
	priv->tx.desc = dma_alloc_coherent(dev, priv->tx.size *
					   sizeof(struct toe_tx_desc),
					   &priv->tx.dma, GFP_KERNEL);
	priv->rx.desc = dma_alloc_coherent(dev, priv->rx.size *
					   sizeof(struct toe_rx_desc),
					   &priv->rx.dma, GFP_KERNEL);
	if (!priv->tx_bufs || !priv->rx_bufs || !priv->tx.desc ||
	    !priv->rx.desc)
		goto err;
	for (i = 0; i < priv->rx.size; i++)
		if (toe_rx_buf_alloc(priv, &priv->rx_bufs[i], false))
			goto err;
	return 0;

err:
	toe_l2_rings_free(priv);
	return -ENOMEM;
}

/* Free both rings and every buffer; the device no longer uses them. */
void toe_l2_rings_free(struct toe_priv *priv)
{
	struct device *dev = &priv->pdev->dev;
	u32 i;

	if (priv->tx_bufs && priv->tx.desc)
		toe_tx_purge(priv);
	if (priv->rx_bufs)
		for (i = 0; i < priv->rx.size; i++)
			toe_rx_buf_free(priv, &priv->rx_bufs[i]);
	if (priv->rx.desc)
		dma_free_coherent(dev, priv->rx.size *
				  sizeof(struct toe_rx_desc),
				  priv->rx.desc, priv->rx.dma);
	if (priv->tx.desc)
		dma_free_coherent(dev, priv->tx.size *
				  sizeof(struct toe_tx_desc),
				  priv->tx.desc, priv->tx.dma);
	kfree(priv->rx_bufs);
	kfree(priv->tx_bufs);
	priv->rx.desc = NULL;
	priv->tx.desc = NULL;
	priv->rx_bufs = NULL;
	priv->tx_bufs = NULL;
}

/*
 * tx_up is written under netif_tx_lock so that xmit and injections see it
 * change atomically with respect to themselves. Before register_netdev()
 * nothing can transmit, and the queues have no qdisc yet for
 * netif_tx_unlock() to reschedule, so the lock is neither needed nor safe.
 */
static void toe_tx_set_up(struct toe_priv *priv, bool up)
{
	if (priv->netdev->reg_state == NETREG_UNINITIALIZED) {
		priv->tx_up = up;
		return;
	}
	netif_tx_lock_bh(priv->netdev);
	priv->tx_up = up;
	netif_tx_unlock_bh(priv->netdev);
}

/**
 * toe_l2_quiesce() - stop NAPI and transmission before a device reset.
 * @priv: the device
 *
 * Context: process, priv->state_lock held.
 */
void toe_l2_quiesce(struct toe_priv *priv)
{
	lockdep_assert_held(&priv->state_lock);

	/* NAPI first, so it cannot wake the queue stopped below. */
	toe_napi_stop(priv);
	netif_tx_disable(priv->netdev);
	toe_tx_set_up(priv, false);
}

/**
 * toe_l2_reset() - empty TX and post every RX buffer again.
 * @priv: the device, held in reset (or not yet started)
 *
 * In-flight TX frames are freed and counted as dropped; received frames
 * not yet passed up are lost. Every RX slot keeps its mapped buffer.
 *
 * Context: process, priv->state_lock held, NAPI disabled.
 */
void toe_l2_reset(struct toe_priv *priv)
{
	struct toe_ring *rx = &priv->rx;
	u32 i;

	lockdep_assert_held(&priv->state_lock);

	toe_tx_purge(priv);
	for (i = 0; i < rx->size; i++)
		toe_rx_desc_fill(toe_rx_desc(priv, i), priv->rx_bufs[i].dma,
				 TOE_RX_BUF_LEN);
	rx->clean = 0;
	rx->tail = rx->size;
}

/**
 * toe_l2_resume() - restart L2 once the device is enabled again.
 * @priv: the device
 *
 * Context: process, priv->state_lock held.
 */
void toe_l2_resume(struct toe_priv *priv)
{
	lockdep_assert_held(&priv->state_lock);

	toe_ring_wr(priv, &priv->tx, TOE_RING_TAIL, priv->tx.tail);
	toe_ring_wr(priv, &priv->rx, TOE_RING_TAIL, priv->rx.tail);
	toe_tx_set_up(priv, true);
	if (priv->napi_on) {
		toe_napi_start(priv);
		netif_wake_queue(priv->netdev);
	}
}

/*
 * Frames RPS or RFS queued on a CPU's backlog before now: wait until each
 * backlog has taken as many as it had been given (its input_queue_head
 * has caught up with the input_queue_tail seen here), which is how RFS
 * itself tells that a flow's frames have gone through. Only while RPS or
 * RFS is configured somewhere.
 */
static int toe_l2_drain_backlogs(unsigned long end)
{
#ifdef CONFIG_RPS
	int cpu;

	if (!static_branch_unlikely(&rps_needed))
		return 0;
	for_each_online_cpu(cpu) {
		const struct softnet_data *sd = &per_cpu(softnet_data, cpu);
		unsigned int tail = READ_ONCE(sd->input_queue_tail);

		while ((int)(READ_ONCE(sd->input_queue_head) - tail) < 0) {
			if (time_after(jiffies, end))
				return -ETIMEDOUT;
			usleep_range(100, 200);
		}
	}
#endif
	return 0;
}

/**
 * toe_l2_drain_rx() - wait until what the RX ring holds has been through
 * the stack.
 * @priv: the device
 * @timeout: jiffies to wait at most
 *
 * Every frame the device had put in the L2 receive ring when this is
 * called reaches the kernel's TCP before it returns, including those RPS
 * or RFS steered to another CPU's backlog: after a DIVERT, the frames of
 * the connection sent before it have been taken by the socket, or wait
 * in its backlog.
 *
 * Context: process, may sleep.
 * Return: 0, or -ETIMEDOUT.
 */
int toe_l2_drain_rx(struct toe_priv *priv, unsigned long timeout)
{
	u32 head = toe_rd(priv, TOE_REG_RING(TOE_RING_L2_RX, TOE_RING_HEAD));
	unsigned long end = jiffies + timeout;

	/* The softirq it raises runs at the enable, not at some later tick. */
	local_bh_disable();
	napi_schedule(&priv->napi);
	local_bh_enable();
	while ((s32)(READ_ONCE(priv->rx.clean) - head) < 0 ||
	       test_bit(NAPI_STATE_SCHED, &priv->napi.state)) {
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		usleep_range(100, 200);
	}
	return toe_l2_drain_backlogs(end);
}

/* ---- net_device_ops ---------------------------------------------------- */

static int toe_open(struct net_device *netdev)
{
	struct toe_priv *priv = netdev_priv(netdev);
	int err = 0;

	mutex_lock(&priv->state_lock);
	if (!test_bit(TOE_F_HW_UP, &priv->flags)) {
		netdev_err(netdev, "device did not come back from its last reset; try ethtool --reset %s all\n",
			   netdev->name);
		err = -EIO;
		goto out;
	}
	priv->napi_on = true;
	toe_napi_start(priv);
	netif_start_queue(netdev);
	toe_link_update(priv);
out:
	mutex_unlock(&priv->state_lock);
	return err;
}

static int toe_stop(struct net_device *netdev)
{
	struct toe_priv *priv = netdev_priv(netdev);

	mutex_lock(&priv->state_lock);
	netif_tx_disable(netdev);
	priv->napi_on = false;
	toe_napi_stop(priv);
	toe_wr(priv, TOE_REG_INTR_MASK_SET, TOE_INTR_L2);
	/* Give back what already went out; the rest goes at reset/remove. */
	toe_tx_clean(priv, 0, false);
	mutex_unlock(&priv->state_lock);
	return 0;
}

static void toe_get_stats64(struct net_device *netdev,
			    struct rtnl_link_stats64 *s)
{
	struct toe_priv *priv = netdev_priv(netdev);
	u64 pkts, bytes, errors, dropped, busy;

	toe_l2_stats_read(&priv->tx_stats, &pkts, &bytes, &errors, &dropped,
			  &busy);
	s->tx_packets = pkts;
	s->tx_bytes = bytes;
	s->tx_dropped = dropped;
	toe_l2_stats_read(&priv->txc_stats, &pkts, &bytes, &errors, &dropped,
			  &busy);
	s->tx_errors = errors;
	s->tx_dropped += dropped;
	toe_l2_stats_read(&priv->rx_stats, &pkts, &bytes, &errors, &dropped,
			  &busy);
	s->rx_packets = pkts;
	s->rx_bytes = bytes;
	s->rx_errors = errors + busy;
	s->rx_length_errors = busy;
	s->rx_dropped = dropped;
}

static void toe_tx_timeout(struct net_device *netdev, unsigned int txqueue)
{
	struct toe_priv *priv = netdev_priv(netdev);

	netdev_err(netdev, "TX queue %u stuck: head %u tail %u clean %u\n",
		   txqueue,
		   toe_rd(priv, TOE_REG_RING(TOE_RING_L2_TX, TOE_RING_HEAD)),
		   priv->tx.tail, priv->tx.clean);
	toe_schedule_reset(priv, "TX timeout");
}

static const struct net_device_ops toe_netdev_ops;

/* Is @dev a toe-pci NIC (whose netdev_priv() is a struct toe_priv)? */
bool toe_netdev_is_ours(const struct net_device *dev)
{
	return dev->netdev_ops == &toe_netdev_ops;
}

static const struct net_device_ops toe_netdev_ops = {
	.ndo_open		= toe_open,
	.ndo_stop		= toe_stop,
	.ndo_start_xmit		= toe_start_xmit,
	.ndo_get_stats64	= toe_get_stats64,
	.ndo_tx_timeout		= toe_tx_timeout,
	.ndo_validate_addr	= eth_validate_addr,
};

/**
 * toe_netdev_init() - set up the net_device before registration.
 * @priv: the device, registers mapped
 *
 * Return: 0.
 */
int toe_netdev_init(struct toe_priv *priv)
{
	struct net_device *netdev = priv->netdev;
	u8 mac[ETH_ALEN];
	u32 mtu;

	netdev->netdev_ops = &toe_netdev_ops;
	netdev->ethtool_ops = &toe_ethtool_ops;
	netdev->watchdog_timeo = TOE_TX_TIMEOUT;
	netdev->min_mtu = ETH_MIN_MTU;
	mtu = toe_rd(priv, TOE_REG_MTU);
	netdev->max_mtu = mtu >= ETH_MIN_MTU && mtu < TOE_L2_MTU ?
			  mtu : TOE_L2_MTU;
	netdev->mtu = netdev->max_mtu;

	toe_mac_decode(toe_rd(priv, TOE_REG_MAC_LO),
		       toe_rd(priv, TOE_REG_MAC_HI), mac);
	if (is_valid_ether_addr(mac)) {
		eth_hw_addr_set(netdev, mac);
	} else {
		dev_warn(&priv->pdev->dev, "device MAC %pM is not valid, using a random one\n",
			 mac);
		eth_hw_addr_random(netdev);
	}

	netif_napi_add(netdev, &priv->napi, toe_napi_poll);
	netif_carrier_off(netdev);
	return 0;
}

void toe_netdev_fini(struct toe_priv *priv)
{
	netif_napi_del(&priv->napi);
}
