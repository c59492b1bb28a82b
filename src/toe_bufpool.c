// SPDX-License-Identifier: GPL-2.0
/*
 * toe_bufpool.c - the DMA rings of the connections on a device: each
 * move's send and receive rings, and the pool that keeps the rings an
 * upload frees for the next offload. ring_lock (a mutex) guards the pool.
 */
#include <linux/dma-mapping.h>
#include <linux/slab.h>

#include "toe_sock.h"

/*
 * Rings an upload frees are kept for the next offload, up to this many
 * bytes per device. A move takes two rings of up to 4 MiB of physically
 * contiguous memory, which on a fragmented guest costs compaction, tens
 * to hundreds of milliseconds with the socket locked and the peer's
 * segments waiting in its backlog.
 */
#define TOE_RING_POOL_BYTES	(32u << 20)

/* A ring in priv->ring_pool. */
struct toe_ring_free {
	struct list_head node;
	void *data;
	dma_addr_t dma;
	u32 size;
};

/* A ring for @need bytes at least: a power of two, min..max. */
int toe_buf_alloc(struct toe_priv *priv, struct toe_buf *b, u32 base,
		  u32 need)
{
	struct toe_ring_free *f;

	b->size = roundup_pow_of_two(clamp_t(u32, need, TOE_SOCK_BUF_MIN,
					     TOE_SOCK_BUF_MAX));
	b->base = base;
	b->data = NULL;
	mutex_lock(&priv->ring_lock);
	list_for_each_entry(f, &priv->ring_pool, node) {
		if (f->size == b->size) {
			list_del(&f->node);
			priv->ring_pool_bytes -= f->size;
			b->data = f->data;
			b->dma = f->dma;
			kfree(f);
			break;
		}
	}
	mutex_unlock(&priv->ring_lock);
	if (!b->data)
		b->data = dma_alloc_coherent(priv->dma_dev, b->size,
					     &b->dma, GFP_KERNEL);
	return b->data ? 0 : -ENOMEM;
}

/* Back to the pool if it has room, else to the kernel. */
void toe_buf_free(struct toe_priv *priv, struct toe_buf *b)
{
	struct toe_ring_free *f = NULL;

	if (!b->data)
		return;
	mutex_lock(&priv->ring_lock);
	if (priv->ring_pool_bytes + b->size <= TOE_RING_POOL_BYTES)
		f = kmalloc(sizeof(*f), GFP_KERNEL);
	if (f) {
		f->data = b->data;
		f->dma = b->dma;
		f->size = b->size;
		list_add(&f->node, &priv->ring_pool);
		priv->ring_pool_bytes += b->size;
	}
	mutex_unlock(&priv->ring_lock);
	if (!f)
		dma_free_coherent(priv->dma_dev, b->size, b->data, b->dma);
	b->data = NULL;
}

/**
 * toe_ring_pool_fini() - free the rings kept for later offloads.
 * @priv: the device, being removed, with no connection on it
 */
void toe_ring_pool_fini(struct toe_priv *priv)
{
	struct toe_ring_free *f, *n;

	mutex_lock(&priv->ring_lock);
	list_for_each_entry_safe(f, n, &priv->ring_pool, node) {
		dma_free_coherent(priv->dma_dev, f->size, f->data, f->dma);
		kfree(f);
	}
	INIT_LIST_HEAD(&priv->ring_pool);
	priv->ring_pool_bytes = 0;
	mutex_unlock(&priv->ring_lock);
}

/**
 * toe_ring_pool_init() - an empty pool, for a device being added.
 * @priv: the device
 */
void toe_ring_pool_init(struct toe_priv *priv)
{
	mutex_init(&priv->ring_lock);
	INIT_LIST_HEAD(&priv->ring_pool);
	priv->ring_pool_bytes = 0;
}
