// SPDX-License-Identifier: GPL-2.0
/*
 * toe_pci.c - PCI probe and remove, MSI-X, the MISC vector (link and
 * device errors), and device reset with recovery.
 *
 * Reset with recovery (toe_dev_reset()) is the one way the device is
 * (re)started: probe uses its second half, remove its first. It runs
 * under priv->state_lock, from ethtool --reset, the debugfs "reset" knob,
 * or the reset work (queued by a device fault, a command timeout, the
 * command watchdog or a TX timeout):
 *
 *   down:  stop NAPI and TX, refuse commands, disable the three vectors
 *          (waiting for running handlers), mask every cause;
 *   clear: TOE_CTRL_RESET, free in-flight TX frames, post RX buffers and
 *          event slots again, complete command waiters with -ENETRESET;
 *   home:  every connection the device ran comes home from host state
 *          (toe_failover_all()), before any of its frames can reach the
 *          kernel's TCP again;
 *   start: re-program the four rings, enable, unmask, restart NAPI and
 *          TX, restore the carrier from TOE_STATUS_LINK_UP.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/etherdevice.h>
#include <linux/interrupt.h>
#include <linux/iopoll.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "toe.h"

#define TOE_RESET_TIMEOUT_US	(100 * USEC_PER_MSEC)
#define TOE_SELFTEST_NOP_LEN	256
#define TOE_SCRATCH_PATTERN	0x5aa5c33cu
/* Outside any guest RAM, and not aligned to TOE_RING_ALIGN either. */
#define TOE_INJECT_RING_ADDR	0xfff0000000000008ull
#define TOE_INJECT_WAIT_MS	500

static const char * const toe_err_names[] = {
	[TOE_ERR_NONE]		= "none",
	[TOE_ERR_BAD_ACCESS]	= "bad-access",
	[TOE_ERR_BAD_REG]	= "bad-reg",
	[TOE_ERR_BAD_RING_SIZE]	= "bad-ring-size",
	[TOE_ERR_BAD_RING_ADDR]	= "bad-ring-addr",
	[TOE_ERR_RING_BUSY]	= "ring-busy",
	[TOE_ERR_BAD_TAIL]	= "bad-tail",
	[TOE_ERR_RING_DMA]	= "ring-dma",
	[TOE_ERR_BAD_DESC_ADDR]	= "bad-desc-addr",
	[TOE_ERR_BAD_DESC_LEN]	= "bad-desc-len",
	[TOE_ERR_BAD_CMD]	= "bad-cmd",
};

/* A TOE_ERR_* code's name, for logs and debugfs. */
const char *toe_err_name(u32 code)
{
	if (code < ARRAY_SIZE(toe_err_names) && toe_err_names[code])
		return toe_err_names[code];
	return "unknown";
}

/* ---- error accounting -------------------------------------------------- */

static void __toe_err_sync(struct toe_priv *priv)
{
	u32 cnt;

	lockdep_assert_held(&priv->err_lock);
	if (priv->err_frozen)
		return;
	cnt = toe_rd(priv, TOE_REG_ERR_COUNT);
	if (cnt > priv->err_seen)
		priv->err_total += cnt - priv->err_seen;
	priv->err_seen = cnt;
}

/**
 * toe_err_sync() - fold the device's error counter into the driver's.
 * @priv: the device
 *
 * TOE_REG_ERR_COUNT restarts from zero at every device reset; the driver
 * keeps the total over all resets, which is what ethtool's dev_errors
 * shows. Reading is cheap, so every reader syncs first.
 *
 * Context: any.
 * Return: device errors seen since probe.
 */
u64 toe_err_sync(struct toe_priv *priv)
{
	unsigned long flags;
	u64 total;

	spin_lock_irqsave(&priv->err_lock, flags);
	__toe_err_sync(priv);
	total = priv->err_total;
	spin_unlock_irqrestore(&priv->err_lock, flags);
	return total;
}

/* Count what the device has before a reset zeroes its counter. */
static void toe_err_freeze(struct toe_priv *priv)
{
	unsigned long flags;

	spin_lock_irqsave(&priv->err_lock, flags);
	__toe_err_sync(priv);
	priv->err_frozen = true;
	spin_unlock_irqrestore(&priv->err_lock, flags);
}

static void toe_err_thaw(struct toe_priv *priv)
{
	unsigned long flags;

	spin_lock_irqsave(&priv->err_lock, flags);
	priv->err_seen = 0;
	priv->err_frozen = false;
	__toe_err_sync(priv);
	spin_unlock_irqrestore(&priv->err_lock, flags);
}

/* Read (and so clear) TOE_REG_ERR_CODE, remember it, count the errors. */
static u32 toe_err_collect(struct toe_priv *priv)
{
	unsigned long flags;
	u32 code;

	spin_lock_irqsave(&priv->err_lock, flags);
	code = toe_rd(priv, TOE_REG_ERR_CODE);
	if (code != TOE_ERR_NONE)
		priv->err_last_code = code;
	__toe_err_sync(priv);
	spin_unlock_irqrestore(&priv->err_lock, flags);
	return code;
}

/**
 * toe_schedule_reset() - ask for a device reset from any context.
 * @priv: the device
 * @why: for the log
 *
 * Does nothing once remove has started; remove releases whoever waits.
 *
 * Context: any.
 */
void toe_schedule_reset(struct toe_priv *priv, const char *why)
{
	unsigned long flags;

	spin_lock_irqsave(&priv->err_lock, flags);
	if (!test_bit(TOE_F_REMOVING, &priv->flags)) {
		netdev_warn(priv->netdev, "%s: resetting the device\n", why);
		schedule_work(&priv->reset_work);
	}
	spin_unlock_irqrestore(&priv->err_lock, flags);
}

/*
 * Carrier changes queue linkwatch work holding the netdev, so none may
 * happen once unregistering started: remove clears TOE_F_LIVE first.
 */
static void toe_carrier_set(struct toe_priv *priv, bool on)
{
	if (!test_bit(TOE_F_LIVE, &priv->flags))
		return;
	if (on)
		netif_carrier_on(priv->netdev);
	else
		netif_carrier_off(priv->netdev);
}

/* Carrier follows TOE_STATUS_LINK_UP while the rings run. Any context. */
void toe_link_update(struct toe_priv *priv)
{
	u32 status = toe_rd(priv, TOE_REG_STATUS);

	toe_carrier_set(priv, test_bit(TOE_F_HW_UP, &priv->flags) &&
			      (status & TOE_STATUS_LINK_UP));
}

static irqreturn_t toe_misc_irq(int irq, void *data)
{
	struct toe_priv *priv = data;
	u32 cause, code;

	cause = toe_rd(priv, TOE_REG_INTR_CAUSE) & TOE_INTR_MISC;
	toe_wr(priv, TOE_REG_INTR_CAUSE, cause);
	if (cause & TOE_INTR_LINK)
		toe_link_update(priv);
	if (cause & TOE_INTR_ERR) {
		code = toe_err_collect(priv);
		toe_warn_rl(priv, "device error %u (%s)\n", code,
			    toe_err_name(code));
		if (toe_rd(priv, TOE_REG_STATUS) & TOE_STATUS_FAULT) {
			atomic64_inc(&priv->stats.faults);
			toe_schedule_reset(priv, "device fault");
		}
	}
	return IRQ_HANDLED;
}

/* ---- device control ---------------------------------------------------- */

/* TOE_CTRL_RESET and wait for TOE_STATUS_READY. Process context. */
static int toe_hw_reset(struct toe_priv *priv)
{
	u32 status;
	int err;

	toe_wr(priv, TOE_REG_CTRL, TOE_CTRL_RESET);
	err = readl_poll_timeout(priv->regs + TOE_REG_STATUS, status,
				 (status & TOE_STATUS_READY) &&
				 !(status & TOE_STATUS_ENABLED),
				 10, TOE_RESET_TIMEOUT_US);
	if (err)
		dev_err(&priv->pdev->dev, "device not ready after reset (status %#x)\n",
			status);
	return err;
}

/**
 * toe_hw_program_ring() - write a ring's base and size registers.
 * @priv: the device, not enabled
 * @ring: the ring
 * @base: bus address to program (the ring's own, or a bad one on purpose)
 *
 * Return: 0.
 */
int toe_hw_program_ring(struct toe_priv *priv, struct toe_ring *ring,
			u64 base)
{
	toe_ring_wr(priv, ring, TOE_RING_ADDR_LO, lower_32_bits(base));
	toe_ring_wr(priv, ring, TOE_RING_ADDR_HI, upper_32_bits(base));
	toe_ring_wr(priv, ring, TOE_RING_SIZE, ring->size);
	return 0;
}

static int toe_hw_enable(struct toe_priv *priv)
{
	u32 status;
	int err;

	toe_hw_program_ring(priv, &priv->tx, priv->tx.dma);
	toe_hw_program_ring(priv, &priv->rx, priv->rx.dma);
	toe_hw_program_ring(priv, &priv->cmd, priv->cmd.dma);
	toe_hw_program_ring(priv, &priv->evt, priv->evt.dma);
	toe_wr(priv, TOE_REG_CTRL, TOE_CTRL_ENABLE);
	err = readl_poll_timeout(priv->regs + TOE_REG_STATUS, status,
				 status & (TOE_STATUS_ENABLED |
					   TOE_STATUS_FAULT),
				 10, TOE_RESET_TIMEOUT_US);
	if (!err && (status & TOE_STATUS_FAULT))
		err = -EIO;
	if (err)
		dev_err(&priv->pdev->dev, "device refused to enable its rings (status %#x, error %s)\n",
			status, toe_err_name(toe_err_collect(priv)));
	return err;
}

static void toe_irqs_disable(struct toe_priv *priv)
{
	int i;

	if (priv->irqs_off)
		return;
	for (i = 0; i < TOE_NUM_VECTORS; i++)
		disable_irq(pci_irq_vector(priv->pdev, i));
	priv->irqs_off = true;
}

static void toe_irqs_enable(struct toe_priv *priv)
{
	int i;

	if (!priv->irqs_off)
		return;
	for (i = 0; i < TOE_NUM_VECTORS; i++)
		enable_irq(pci_irq_vector(priv->pdev, i));
	priv->irqs_off = false;
}

/* First half of a reset: nothing touches the rings any more. */
static void toe_dev_down(struct toe_priv *priv)
{
	lockdep_assert_held(&priv->state_lock);

	toe_l2_quiesce(priv);
	toe_cmd_stop(priv);
	toe_irqs_disable(priv);
	toe_wr(priv, TOE_REG_INTR_MASK_SET, TOE_INTR_ALL);
	clear_bit(TOE_F_HW_UP, &priv->flags);
	toe_carrier_set(priv, false);
}

/* Reset the device and give every ring back to the driver, empty. */
static int toe_dev_clear(struct toe_priv *priv)
{
	int err;

	lockdep_assert_held(&priv->state_lock);

	toe_err_freeze(priv);
	err = toe_hw_reset(priv);
	toe_err_thaw(priv);
	/* Even if the device did not answer: release TX frames and waiters. */
	toe_l2_reset(priv);
	toe_cmd_reset(priv);
	toe_wr(priv, TOE_REG_INTR_MASK_SET, TOE_INTR_ALL);
	toe_wr(priv, TOE_REG_INTR_CAUSE, TOE_INTR_ALL);
	/* It has forgotten its connections: the host brings them home. */
	priv->core->lost_state(priv, !err, toe_rd(priv, TOE_REG_CLOCK_MS));
	return err;
}

/* Second half: program, enable and restart everything. */
static int toe_dev_start(struct toe_priv *priv)
{
	int err;

	lockdep_assert_held(&priv->state_lock);

	err = toe_hw_enable(priv);
	if (err)
		return err;
	set_bit(TOE_F_HW_UP, &priv->flags);
	toe_irqs_enable(priv);
	toe_wr(priv, TOE_REG_INTR_MASK_CLR, TOE_INTR_EVT | TOE_INTR_MISC);
	toe_cmd_start(priv);
	toe_l2_resume(priv);
	toe_link_update(priv);
	return 0;
}

static int toe_dev_up(struct toe_priv *priv)
{
	int err;

	err = toe_dev_clear(priv);
	if (!err)
		err = toe_dev_start(priv);
	return err;
}

/**
 * toe_dev_reset() - reset the device and bring everything back.
 * @priv: the device
 *
 * In-flight TX frames are dropped (TCP retransmits them), waiting commands
 * fail with -ENETRESET, the carrier is restored from the device's link state.
 * If the device does not come back, the interface stays down without
 * carrier until a later reset succeeds.
 *
 * Context: process, priv->state_lock held.
 * Return: 0 or a negative errno from the device's restart.
 */
int toe_dev_reset(struct toe_priv *priv)
{
	int err;

	lockdep_assert_held(&priv->state_lock);

	toe_dev_down(priv);
	err = toe_dev_up(priv);
	if (err) {
		atomic64_inc(&priv->stats.reset_failures);
		netdev_err(priv->netdev, "device did not recover from reset: %d\n",
			   err);
		return err;
	}
	atomic64_inc(&priv->stats.resets);
	netdev_info(priv->netdev, "device reset, %s\n",
		    netif_carrier_ok(priv->netdev) ? "link up" : "link down");
	return 0;
}

static void toe_reset_work(struct work_struct *work)
{
	struct toe_priv *priv = container_of(work, struct toe_priv,
					     reset_work);

	mutex_lock(&priv->state_lock);
	if (!test_bit(TOE_F_REMOVING, &priv->flags))
		toe_dev_reset(priv);
	mutex_unlock(&priv->state_lock);
}

/**
 * toe_inject_bad_ring_addr() - program the TX ring outside RAM on purpose.
 * @priv: the device
 *
 * Resets the device, programs the TX ring at an unaligned address outside
 * guest RAM, enables and rings the TX doorbell; the device must refuse
 * the ring (TOE_ERR_BAD_RING_ADDR, or TOE_ERR_RING_DMA and a fault) at
 * one of these steps. Then resets again and recovers, as after a fault.
 *
 * Context: process, priv->state_lock held.
 * Return: 0 if the device counted an error and recovered, -EPROTO if it
 * took the ring without an error, or the recovery's errno.
 */
int toe_inject_bad_ring_addr(struct toe_priv *priv)
{
	unsigned long timeout;
	bool refused;
	u64 before;
	u32 code;
	int err;

	lockdep_assert_held(&priv->state_lock);

	toe_dev_down(priv);
	err = toe_dev_clear(priv);
	if (err)
		goto recover;
	before = toe_err_sync(priv);
	toe_hw_program_ring(priv, &priv->tx, TOE_INJECT_RING_ADDR);
	toe_hw_program_ring(priv, &priv->rx, priv->rx.dma);
	toe_hw_program_ring(priv, &priv->cmd, priv->cmd.dma);
	toe_hw_program_ring(priv, &priv->evt, priv->evt.dma);
	toe_wr(priv, TOE_REG_CTRL, TOE_CTRL_ENABLE);
	if (toe_err_sync(priv) == before)
		toe_ring_wr(priv, &priv->tx, TOE_RING_TAIL, 1);

	timeout = jiffies + msecs_to_jiffies(TOE_INJECT_WAIT_MS);
	for (;;) {
		refused = toe_err_sync(priv) > before;
		if (refused || time_after(jiffies, timeout))
			break;
		usleep_range(1000, 2000);
	}
	code = toe_err_collect(priv);
	netdev_info(priv->netdev, "inject bad-ring-addr: %s, device error %s\n",
		    refused ? "refused" : "NOT refused", toe_err_name(code));
	if (!refused)
		err = -EPROTO;
recover:
	if (!toe_dev_up(priv)) {
		atomic64_inc(&priv->stats.resets);
	} else {
		atomic64_inc(&priv->stats.reset_failures);
		netdev_err(priv->netdev, "device did not recover from the bad ring address\n");
		err = err ?: -EIO;
	}
	return err;
}

/* ---- probe and remove -------------------------------------------------- */

static int toe_hw_check(struct toe_priv *priv)
{
	struct device *dev = &priv->pdev->dev;
	u32 id, echo;

	id = toe_rd(priv, TOE_REG_ID);
	if (id != TOE_ID_MAGIC) {
		dev_err(dev, "ID register reads %#x, not %#x\n", id,
			TOE_ID_MAGIC);
		return -ENODEV;
	}
	priv->version = toe_rd(priv, TOE_REG_VERSION);
	if (priv->version >> 16 != TOE_VERSION_MAJOR) {
		dev_err(dev, "device interface version %u.%u, driver knows %u.x\n",
			priv->version >> 16, priv->version & 0xffff,
			TOE_VERSION_MAJOR);
		return -ENODEV;
	}
	priv->features = toe_rd(priv, TOE_REG_FEATURES);
	priv->conn_capacity = toe_rd(priv, TOE_REG_CONN_CAPACITY);
	if ((priv->features & (TOE_FEAT_L2 | TOE_FEAT_CMD)) !=
	    (TOE_FEAT_L2 | TOE_FEAT_CMD)) {
		dev_err(dev, "device lacks L2 or command rings (features %#x)\n",
			priv->features);
		return -ENODEV;
	}
	toe_wr(priv, TOE_REG_SCRATCH, TOE_SCRATCH_PATTERN);
	echo = toe_rd(priv, TOE_REG_SCRATCH);
	if (echo == TOE_SCRATCH_PATTERN) {
		toe_wr(priv, TOE_REG_SCRATCH, ~TOE_SCRATCH_PATTERN);
		echo = ~toe_rd(priv, TOE_REG_SCRATCH);
	}
	if (echo != TOE_SCRATCH_PATTERN) {
		dev_err(dev, "self-test: scratch register does not echo (%#x)\n",
			echo);
		return -EIO;
	}
	return 0;
}

/* A NOP with a payload proves the command path, DMA both ways and the
 * EVT interrupt, whose thread completes the wait.
 */
static int toe_selftest(struct toe_priv *priv)
{
	int err;

	err = toe_cmd_nop(priv, priv->dummy, priv->dummy_dma,
			  TOE_SELFTEST_NOP_LEN, 0);
	if (err)
		dev_err(&priv->pdev->dev, "self-test: NOP round trip failed: %d\n",
			err);
	return err;
}

static int toe_irqs_request(struct toe_priv *priv)
{
	struct pci_dev *pdev = priv->pdev;
	int nvec, err;

	nvec = pci_alloc_irq_vectors(pdev, TOE_NUM_VECTORS, TOE_NUM_VECTORS,
				     PCI_IRQ_MSIX);
	if (nvec < 0) {
		dev_err(&pdev->dev, "cannot get %d MSI-X vectors: %d\n",
			TOE_NUM_VECTORS, nvec);
		return nvec;
	}
	snprintf(priv->irq_names[TOE_VEC_L2], sizeof(priv->irq_names[0]),
		 "toe-l2@%s", pci_name(pdev));
	snprintf(priv->irq_names[TOE_VEC_EVT], sizeof(priv->irq_names[0]),
		 "toe-evt@%s", pci_name(pdev));
	snprintf(priv->irq_names[TOE_VEC_MISC], sizeof(priv->irq_names[0]),
		 "toe-misc@%s", pci_name(pdev));

	err = request_irq(pci_irq_vector(pdev, TOE_VEC_L2), toe_l2_irq, 0,
			  priv->irq_names[TOE_VEC_L2], priv);
	if (err)
		goto err_vectors;
	err = request_threaded_irq(pci_irq_vector(pdev, TOE_VEC_EVT),
				   toe_evt_irq, toe_evt_thread, 0,
				   priv->irq_names[TOE_VEC_EVT], priv);
	if (err)
		goto err_l2;
	err = request_irq(pci_irq_vector(pdev, TOE_VEC_MISC), toe_misc_irq, 0,
			  priv->irq_names[TOE_VEC_MISC], priv);
	if (err)
		goto err_evt;
	return 0;

err_evt:
	free_irq(pci_irq_vector(pdev, TOE_VEC_EVT), priv);
err_l2:
	free_irq(pci_irq_vector(pdev, TOE_VEC_L2), priv);
err_vectors:
	dev_err(&pdev->dev, "cannot request MSI-X interrupts: %d\n", err);
	pci_free_irq_vectors(pdev);
	return err;
}

static void toe_irqs_free(struct toe_priv *priv)
{
	struct pci_dev *pdev = priv->pdev;

	free_irq(pci_irq_vector(pdev, TOE_VEC_MISC), priv);
	free_irq(pci_irq_vector(pdev, TOE_VEC_EVT), priv);
	free_irq(pci_irq_vector(pdev, TOE_VEC_L2), priv);
	pci_free_irq_vectors(pdev);
}

/* No reset work runs or will run after this. */
static void toe_reset_block(struct toe_priv *priv)
{
	unsigned long flags;

	spin_lock_irqsave(&priv->err_lock, flags);
	set_bit(TOE_F_REMOVING, &priv->flags);
	spin_unlock_irqrestore(&priv->err_lock, flags);
	cancel_work_sync(&priv->reset_work);
}

/* Stop the device for good: no DMA, no interrupts, no waiters. */
static void toe_dev_halt(struct toe_priv *priv)
{
	mutex_lock(&priv->state_lock);
	toe_dev_down(priv);
	toe_dev_clear(priv);
	toe_irqs_enable(priv);		/* balanced for free_irq() */
	mutex_unlock(&priv->state_lock);
}

static void toe_dev_stop(struct toe_priv *priv)
{
	toe_reset_block(priv);
	toe_dev_halt(priv);
}

/* The offload core above the driver; set before the driver registers. */
static const struct toe_core_cb *toe_core;

/**
 * toe_dev_set_core() - name the offload core the devices report to.
 * @cb: its callbacks, for every device probed from now on
 *
 * Called once by the module before pci_register_driver(), and never while
 * a device is bound.
 */
void toe_dev_set_core(const struct toe_core_cb *cb)
{
	toe_core = cb;
}

static int toe_probe(struct pci_dev *pdev, const struct pci_device_id *ent)
{
	struct net_device *netdev;
	struct toe_priv *priv;
	int err;

	if (WARN_ON_ONCE(!toe_core))
		return -ENODEV;

	netdev = alloc_netdev(sizeof(*priv), "toe%d", NET_NAME_ENUM,
			      ether_setup);
	if (!netdev)
		return -ENOMEM;
	SET_NETDEV_DEV(netdev, &pdev->dev);
	priv = netdev_priv(netdev);
	priv->netdev = netdev;
	priv->pdev = pdev;
	priv->dma_dev = &pdev->dev;
	priv->core = toe_core;
	priv->ops = &toe_hw_conn_ops;
	mutex_init(&priv->state_lock);
	mutex_init(&priv->dbg_lock);
	spin_lock_init(&priv->cmd_lock);
	spin_lock_init(&priv->err_lock);
	INIT_LIST_HEAD(&priv->cmd_pending);
	INIT_WORK(&priv->reset_work, toe_reset_work);
	u64_stats_init(&priv->tx_stats.syncp);
	u64_stats_init(&priv->txc_stats.syncp);
	u64_stats_init(&priv->rx_stats.syncp);
	set_bit(TOE_F_LIVE, &priv->flags);
	pci_set_drvdata(pdev, priv);
	err = priv->core->dev_add(priv);
	if (err)
		goto err_free_netdev;

	err = pci_enable_device_mem(pdev);
	if (err) {
		dev_err(&pdev->dev, "cannot enable PCI device: %d\n", err);
		goto err_free_netdev;
	}
	err = pci_request_mem_regions(pdev, TOE_DRV_NAME);
	if (err) {
		dev_err(&pdev->dev, "cannot claim BARs: %d\n", err);
		goto err_disable;
	}
	pci_set_master(pdev);
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (err) {
		dev_err(&pdev->dev, "no 64-bit DMA: %d\n", err);
		goto err_release;
	}
	priv->regs = pci_iomap(pdev, TOE_BAR_REGS, TOE_BAR_REGS_SIZE);
	if (!priv->regs) {
		dev_err(&pdev->dev, "cannot map BAR %d\n", TOE_BAR_REGS);
		err = -ENOMEM;
		goto err_release;
	}
	err = toe_hw_check(priv);
	if (err)
		goto err_unmap;
	toe_wr(priv, TOE_REG_INTR_MASK_SET, TOE_INTR_ALL);
	err = toe_hw_reset(priv);
	if (err)
		goto err_unmap;

	err = toe_netdev_init(priv);
	if (err)
		goto err_unmap;
	err = toe_l2_rings_alloc(priv);
	if (err) {
		dev_err(&pdev->dev, "cannot allocate L2 rings\n");
		goto err_napi;
	}
	err = toe_cmd_rings_alloc(priv);
	if (err) {
		dev_err(&pdev->dev, "cannot allocate command rings\n");
		goto err_l2_rings;
	}
	priv->dummy = dma_alloc_coherent(&pdev->dev, 2 * TOE_CMD_MAX_PAYLOAD,
					 &priv->dummy_dma, GFP_KERNEL);
	if (!priv->dummy) {
		err = -ENOMEM;
		goto err_cmd_rings;
	}
	err = toe_irqs_request(priv);
	if (err)
		goto err_dummy;

	mutex_lock(&priv->state_lock);
	err = toe_dev_up(priv);
	mutex_unlock(&priv->state_lock);
	if (err)
		goto err_stop;
	err = toe_selftest(priv);
	if (err)
		goto err_stop;
	err = register_netdev(netdev);
	if (err) {
		dev_err(&pdev->dev, "cannot register netdev: %d\n", err);
		goto err_stop;
	}
	toe_debugfs_add(priv);
	toe_watchdog_start(priv);
	priv->core->dev_ready(priv);

	netdev_info(netdev, "toe-pci %u.%u at %s, MAC %pM, features %#x, %u connections\n",
		    priv->version >> 16, priv->version & 0xffff, pci_name(pdev),
		    netdev->dev_addr, priv->features, priv->conn_capacity);
	return 0;

err_stop:
	toe_dev_stop(priv);
	toe_irqs_free(priv);
err_dummy:
	dma_free_coherent(&pdev->dev, 2 * TOE_CMD_MAX_PAYLOAD, priv->dummy,
			  priv->dummy_dma);
err_cmd_rings:
	toe_cmd_rings_free(priv);
err_l2_rings:
	toe_l2_rings_free(priv);
err_napi:
	toe_netdev_fini(priv);
err_unmap:
	pci_iounmap(pdev, priv->regs);
err_release:
	pci_release_mem_regions(pdev);
err_disable:
	pci_disable_device(pdev);
err_free_netdev:
	free_netdev(netdev);
	return err;
}

static void toe_remove(struct pci_dev *pdev)
{
	struct toe_priv *priv = pci_get_drvdata(pdev);
	struct net_device *netdev = priv->netdev;

	/* Every connection comes home while the device still answers. */
	priv->core->dev_remove(priv);
	toe_watchdog_stop(priv);
	toe_debugfs_remove(priv);
	toe_reset_block(priv);
	clear_bit(TOE_F_LIVE, &priv->flags);
	synchronize_irq(pci_irq_vector(pdev, TOE_VEC_MISC));
	unregister_netdev(netdev);
	toe_dev_halt(priv);
	/* After the halt, whose failover may give buffers back. */
	priv->core->dev_release(priv);
	toe_irqs_free(priv);
	dma_free_coherent(&pdev->dev, 2 * TOE_CMD_MAX_PAYLOAD, priv->dummy,
			  priv->dummy_dma);
	toe_cmd_rings_free(priv);
	toe_l2_rings_free(priv);
	toe_netdev_fini(priv);
	pci_iounmap(pdev, priv->regs);
	pci_release_mem_regions(pdev);
	pci_disable_device(pdev);
	free_netdev(netdev);
}

static void toe_shutdown(struct pci_dev *pdev)
{
	struct toe_priv *priv = pci_get_drvdata(pdev);

	/* Stop DMA before the next kernel or firmware owns memory. */
	toe_wr(priv, TOE_REG_INTR_MASK_SET, TOE_INTR_ALL);
	toe_wr(priv, TOE_REG_CTRL, TOE_CTRL_RESET);
}

static const struct pci_device_id toe_pci_ids[] = {
	{ PCI_DEVICE(TOE_PCI_VENDOR_ID, TOE_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, toe_pci_ids);

struct pci_driver toe_pci_driver = {
	.name		= TOE_DRV_NAME,
	.id_table	= toe_pci_ids,
	.probe		= toe_probe,
	.remove		= toe_remove,
	.shutdown	= toe_shutdown,
};
