// SPDX-License-Identifier: GPL-2.0
/*
 * toe_kunit_fakedev.c - a fake toe device for KUnit: a struct toe_priv
 * with no PCI function behind it, whose struct toe_conn_ops answer as a
 * test tells them to (success, an error, a timeout or a hostile answer),
 * so that the offload core's moves can be driven through every failure.
 *
 * It runs no TCP: a connection it takes sends and receives nothing, and
 * what it gives back at UPLOAD is the state it was given at OFFLOAD, with
 * the application's writes since. A timeout is what the driver does
 * (toe_cmd.c): the command's caller is let go once the device is being
 * reset, and the reset then brings the connections home from host state
 * through the core's toe_core_cb.lost_state.
 */
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/etherdevice.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "toe_fakedev.h"
#include "toe_sock.h"

/* The netdev's private area: the device, then the fake that answers. */
struct toe_fake_priv {
	struct toe_priv priv;
	struct toe_fake *fake;
};

static struct toe_fake *toe_fake_of(struct toe_priv *priv)
{
	return container_of(priv, struct toe_fake_priv, priv)->fake;
}

static void toe_fake_reset_work(struct work_struct *work)
{
	struct toe_fake *f = container_of(work, struct toe_fake, reset_work);

	/* As toe_dev_clear(): waiters first, then the connections. */
	complete_all(&f->waiters_released);
	mutex_lock(&f->priv->state_lock);
	f->priv->core->lost_state(f->priv, true, 0);
	mutex_unlock(&f->priv->state_lock);
}

static void toe_fake_reset(struct toe_priv *priv, const char *why)
{
	struct toe_fake *f = toe_fake_of(priv);

	f->resets++;
	schedule_work(&f->reset_work);
}

/*
 * The answer to one command: 0 to go on with it, or what the caller gets.
 * A timeout, or a reset that ends the wait, returns once the reset has
 * let the waiters go, as toe_cmd_exec() does; a device that is down, a
 * reset under way, gets no command and does not wait for the reset.
 */
static int toe_fake_answer(struct toe_fake *f, enum toe_fake_op op)
{
	f->calls[op]++;
	if (!(f->fail & BIT(op)) || f->answer == TOE_FAKE_HOSTILE)
		return 0;
	switch (f->answer) {
	case TOE_FAKE_TIMEOUT:
	case TOE_FAKE_RESET:
		reinit_completion(&f->waiters_released);
		toe_fake_reset(f->priv, "command timeout");
		wait_for_completion(&f->waiters_released);
		return f->answer == TOE_FAKE_TIMEOUT ? -ETIMEDOUT : -ENETRESET;
	case TOE_FAKE_DOWN:
		toe_fake_reset(f->priv, "a fault elsewhere");
		return -ENETDOWN;
	default:
		return -EINVAL;
	}
}

static bool toe_fake_hostile(struct toe_fake *f, enum toe_fake_op op)
{
	return (f->fail & BIT(op)) && f->answer == TOE_FAKE_HOSTILE;
}

static struct toe_sock *toe_fake_conn(struct toe_priv *priv, u64 handle)
{
	return handle <= U32_MAX ? xa_load(&priv->conns, handle) : NULL;
}

static int toe_fake_divert(struct toe_priv *priv, u64 handle,
			   dma_addr_t tuple, u32 len, u32 *conn_id)
{
	struct toe_fake *f = toe_fake_of(priv);
	int err = toe_fake_answer(f, TOE_FAKE_DIVERT);

	if (!err) {
		f->handle = handle;
		f->conn_id = f->next_id++;
		*conn_id = f->conn_id;
	}
	return err;
}

static int toe_fake_offload(struct toe_priv *priv, u32 conn_id, u64 handle,
			    dma_addr_t req, u32 len)
{
	struct toe_fake *f = toe_fake_of(priv);
	int err = toe_fake_answer(f, TOE_FAKE_OFFLOAD);
	struct toe_sock *ts = toe_fake_conn(priv, handle);
	const struct toe_offload_req *r;

	if (err)
		return err;
	if (!ts || len != sizeof(*r))
		return -EINVAL;
	r = ts->cmd_buf;
	f->state = r->state;
	f->write_seq = le32_to_cpu(r->state.write_seq);
	return 0;
}

static int toe_fake_upload(struct toe_priv *priv, u32 conn_id, u64 handle,
			   dma_addr_t state, u32 len)
{
	struct toe_fake *f = toe_fake_of(priv);
	int err = toe_fake_answer(f, TOE_FAKE_UPLOAD);
	struct toe_sock *ts = toe_fake_conn(priv, handle);
	struct toe_conn_state *cs;

	if (err)
		return err;
	if (!ts || len != sizeof(*cs))
		return -EINVAL;
	cs = ts->cmd_buf;
	*cs = f->state;
	/* Written to the ring, never sent: snd_nxt stays. */
	cs->write_seq = cpu_to_le32(f->write_seq);
	if (toe_fake_hostile(f, TOE_FAKE_UPLOAD) && f->corrupt)
		f->corrupt(cs, f->corrupt_arg);
	else if (toe_fake_hostile(f, TOE_FAKE_UPLOAD))
		/* Acknowledged past what the host ever wrote. */
		cs->snd_una = cpu_to_le32(f->write_seq + 4096);
	return 0;
}

static int toe_fake_undivert(struct toe_priv *priv, u32 conn_id, u64 handle)
{
	return toe_fake_answer(toe_fake_of(priv), TOE_FAKE_UNDIVERT);
}

static int toe_fake_abort(struct toe_priv *priv, u32 conn_id, u64 handle)
{
	return toe_fake_answer(toe_fake_of(priv), TOE_FAKE_ABORT);
}

static int toe_fake_set_opts(struct toe_priv *priv, u32 conn_id, u64 handle,
			     u64 opts)
{
	return toe_fake_answer(toe_fake_of(priv), TOE_FAKE_SET_OPTS);
}

static int toe_fake_send(struct toe_priv *priv, u32 conn_id, u64 handle,
			 u32 write_seq)
{
	struct toe_fake *f = toe_fake_of(priv);
	int err = toe_fake_answer(f, TOE_FAKE_SEND);

	if (!err)
		f->write_seq = write_seq;
	return err;
}

static int toe_fake_recv_freed(struct toe_priv *priv, u32 conn_id,
			       u64 handle, u32 bytes)
{
	return toe_fake_answer(toe_fake_of(priv), TOE_FAKE_RECV_FREED);
}

static int toe_fake_drain_rx(struct toe_priv *priv, unsigned long timeout)
{
	struct toe_fake *f = toe_fake_of(priv);

	f->calls[TOE_FAKE_DRAIN_RX]++;
	/* A receive path that never drains, whatever the answer asked. */
	return f->fail & BIT(TOE_FAKE_DRAIN_RX) ? -ETIMEDOUT : 0;
}

static const struct toe_conn_ops toe_fake_ops = {
	.divert = toe_fake_divert,
	.offload = toe_fake_offload,
	.upload = toe_fake_upload,
	.undivert = toe_fake_undivert,
	.abort = toe_fake_abort,
	.set_opts = toe_fake_set_opts,
	.send = toe_fake_send,
	.recv_freed = toe_fake_recv_freed,
	.drain_rx = toe_fake_drain_rx,
	.reset = toe_fake_reset,
};

/**
 * toe_fake_event() - the device reports on a connection.
 * @f: the fake
 * @handle: the host handle it names (toe_fake.handle: the last diverted)
 * @conn_id: ... and the slot
 * @type: TOE_EVT_*
 * @status: TOE_STS_*
 * @reason: TOE_UPLOAD_* of an UPLOAD_REQ
 * @value: the event's value
 *
 * As the driver's event thread delivers it: under rcu_read_lock().
 */
void toe_fake_event(struct toe_fake *f, u64 handle, u32 conn_id, u16 type,
		    u32 status, u16 reason, u32 value)
{
	rcu_read_lock();
	f->priv->core->conn_event(f->priv, type, handle, conn_id, status,
				  reason, value);
	rcu_read_unlock();
}

/**
 * toe_fake_create() - a fake device holding @capacity connections.
 * @capacity: TOE_REG_CONN_CAPACITY, as it were
 *
 * Return: the fake, or an ERR_PTR().
 */
struct toe_fake *toe_fake_create(u32 capacity)
{
	struct toe_fake_priv *fp;
	struct net_device *netdev;
	struct toe_fake *f;
	struct device *dev;
	int err;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return ERR_PTR(-ENOMEM);
	/* No owner: the link to a module still in its init fails. */
	dev = __root_device_register("toe_fake", NULL);
	if (IS_ERR(dev)) {
		err = PTR_ERR(dev);
		goto err_free;
	}
	/* Plain memory: direct DMA, addresses as the CPU's. */
	dev->coherent_dma_mask = DMA_BIT_MASK(64);
	dev->dma_mask = &dev->coherent_dma_mask;
	err = -ENOMEM;
	netdev = alloc_etherdev(sizeof(*fp));
	if (!netdev)
		goto err_dev;
	fp = netdev_priv(netdev);
	fp->fake = f;
	f->dev = dev;
	f->netdev = netdev;
	f->priv = &fp->priv;
	f->priv->netdev = netdev;
	f->priv->dma_dev = dev;
	f->priv->core = &toe_core_cb;
	f->priv->ops = &toe_fake_ops;
	f->priv->features = TOE_FEAT_OFFLOAD_IPV4;
	f->priv->conn_capacity = capacity;
	mutex_init(&f->priv->state_lock);
	INIT_WORK(&f->reset_work, toe_fake_reset_work);
	init_completion(&f->waiters_released);
	err = f->priv->core->dev_add(f->priv);
	if (err)
		goto err_netdev;
	set_bit(TOE_F_HW_UP, &f->priv->flags);
	/* Up, as if opened: the core moves nothing to a NIC that is down. */
	set_bit(__LINK_STATE_START, &netdev->state);
	f->priv->core->dev_ready(f->priv);
	return f;

err_netdev:
	free_netdev(netdev);
err_dev:
	root_device_unregister(dev);
err_free:
	kfree(f);
	return ERR_PTR(err);
}

/**
 * toe_fake_remove() - the device goes, as the driver's remove begins.
 * @f: the fake, answering; the core brings every connection home
 */
void toe_fake_remove(struct toe_fake *f)
{
	if (f->removed)
		return;
	f->removed = true;
	f->priv->core->dev_remove(f->priv);
}

/**
 * toe_fake_destroy() - remove a fake device.
 * @f: the fake; its connections have been closed
 */
void toe_fake_destroy(struct toe_fake *f)
{
	toe_fake_remove(f);
	flush_work(&f->reset_work);
	f->priv->core->dev_release(f->priv);
	free_netdev(f->netdev);
	root_device_unregister(f->dev);
	kfree(f);
}
