/*
 * toe-pci: the L2 transmit and receive rings.
 *
 * Transmit: the driver fills descriptors [HEAD, TAIL); on a TAIL write (or
 * on enable) the device sends each frame, writes the descriptor's status
 * back and advances HEAD. A bad buffer (length out of range, memory not
 * readable) completes its descriptor with TOE_DESC_ERR and the ring goes
 * on; unreadable descriptor memory stops the ring (a fault).
 *
 * Receive: the driver posts empty buffers [HEAD, TAIL). With none posted,
 * or the device not enabled, the device refuses frames so that the net
 * layer queues them (back-pressure), and flushes that queue when buffers
 * are posted or the device is enabled.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "toe-pci.h"
#include "trace.h"

/* Byte offsets of the fields the device writes back. */
#define TOE_TX_DESC_STATUS   offsetof(struct toe_tx_desc, status)
#define TOE_TX_DESC_ERR      offsetof(struct toe_tx_desc, err)
#define TOE_RX_DESC_LEN      offsetof(struct toe_rx_desc, len)
#define TOE_RX_DESC_STATUS   offsetof(struct toe_rx_desc, status)
#define TOE_RX_DESC_ERR      offsetof(struct toe_rx_desc, err)

static bool toe_bus_master(TOEPCIState *s)
{
    return PCI_DEVICE(s)->config[PCI_COMMAND] & PCI_COMMAND_MASTER;
}

static uint64_t toe_desc_addr(TOEPCIState *s, enum toe_ring_id id,
                              uint32_t index)
{
    TOERing *r = &s->ring[id];

    return toe_ring_base(r) +
           (uint64_t)toe_ring_slot(index, r->size) * toe_ring_entry_size(id);
}

static MemTxResult toe_dma_write_le16(TOEPCIState *s, uint64_t addr,
                                      uint16_t val)
{
    uint8_t buf[2];

    stw_le_p(buf, val);
    return pci_dma_write(PCI_DEVICE(s), addr, buf, sizeof(buf));
}

/*
 * Complete a TX descriptor: err first, then status with TOE_DESC_DONE, so
 * the driver never sees DONE before the rest. False on a ring fault.
 */
static bool toe_tx_complete(TOEPCIState *s, uint64_t da, uint32_t head,
                            enum toe_err err)
{
    uint16_t status = TOE_DESC_DONE | (err ? TOE_DESC_ERR : 0);

    trace_toe_tx_done(head, status, err);
    if (toe_dma_write_le16(s, da + TOE_TX_DESC_ERR, err) != MEMTX_OK ||
        toe_dma_write_le16(s, da + TOE_TX_DESC_STATUS, status) != MEMTX_OK) {
        toe_ring_fault(s, TOE_RING_L2_TX, da);
        return false;
    }
    return true;
}

/* Send what the driver queued on the TX ring, up to its TAIL. */
void toe_l2_tx_run(TOEPCIState *s)
{
    TOERing *r = &s->ring[TOE_RING_L2_TX];
    uint8_t frame[TOE_L2_MAX_FRAME];
    bool done = false;

    if (s->tx_running) {
        return;         /* re-entered from qemu_send_packet's delivery */
    }
    s->tx_running = true;

    while (toe_ring_runnable(s, TOE_RING_L2_TX) && r->head != r->tail) {
        uint64_t da = toe_desc_addr(s, TOE_RING_L2_TX, r->head);
        struct toe_tx_desc desc;
        enum toe_err err = TOE_ERR_NONE;
        uint64_t addr;
        uint16_t len;

        if (pci_dma_read(PCI_DEVICE(s), da, &desc, sizeof(desc)) != MEMTX_OK) {
            toe_ring_fault(s, TOE_RING_L2_TX, da);
            break;
        }
        addr = le64_to_cpu(desc.addr);
        len = le16_to_cpu(desc.len);
        trace_toe_tx_desc(r->head, addr, len, le16_to_cpu(desc.flags));

        if (len < TOE_L2_MIN_FRAME || len > TOE_L2_MAX_FRAME) {
            qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: TX descriptor %u: length"
                          " %u out of range\n", r->head, len);
            err = TOE_ERR_BAD_DESC_LEN;
        } else if (!toe_dma_range_ok(addr, len) ||
                   pci_dma_read(PCI_DEVICE(s), addr, frame, len) != MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: TX descriptor %u: buffer"
                          " 0x%" PRIx64 "+%u not readable\n", r->head, addr,
                          len);
            err = TOE_ERR_BAD_DESC_ADDR;
        }

        if (err) {
            s->stats.tx_errors++;
            toe_error(s, err);
        } else {
            s->stats.tx_frames++;
            toe_fault_pass(s, TOE_FAULT_TX, frame, len);
        }
        if (!toe_tx_complete(s, da, r->head, err)) {
            break;
        }
        r->head++;
        done = true;
    }

    s->tx_running = false;
    if (done) {
        toe_intr_raise(s, TOE_INTR_L2_TX);
    }
}

/*
 * Receive
 */

bool toe_l2_can_receive(NetClientState *nc)
{
    TOEPCIState *s = qemu_get_nic_opaque(nc);
    TOERing *r = &s->ring[TOE_RING_L2_RX];

    if (!(s->ctrl & TOE_CTRL_ENABLE) || !toe_bus_master(s)) {
        return false;
    }
    if (r->fault) {
        return true;    /* toe_l2_receive drops: nothing will drain it */
    }
    return toe_ring_runnable(s, TOE_RING_L2_RX) && r->head != r->tail;
}

/*
 * The driver posted buffers or enabled the device: deliver what waited,
 * the frames connection offload lets go of first (they are older).
 */
void toe_l2_rx_kick(TOEPCIState *s)
{
    toe_offload_kick(s);
    if (toe_l2_can_receive(qemu_get_queue(s->nic))) {
        qemu_flush_queued_packets(qemu_get_queue(s->nic));
    }
}

/*
 * Fill one RX descriptor with the frame. Returns true when the descriptor
 * was used (filled, or refused with TOE_DESC_ERR), false on a ring fault.
 * *delivered tells whether the frame landed in it.
 */
static bool toe_rx_fill(TOEPCIState *s, const uint8_t *buf, size_t size,
                        bool *delivered)
{
    TOERing *r = &s->ring[TOE_RING_L2_RX];
    uint64_t da = toe_desc_addr(s, TOE_RING_L2_RX, r->head);
    struct toe_rx_desc desc;
    enum toe_err err = TOE_ERR_NONE;
    uint16_t status, len = 0;
    uint64_t addr;
    uint16_t buf_len;

    *delivered = false;
    if (pci_dma_read(PCI_DEVICE(s), da, &desc, sizeof(desc)) != MEMTX_OK) {
        toe_ring_fault(s, TOE_RING_L2_RX, da);
        return false;
    }
    addr = le64_to_cpu(desc.addr);
    buf_len = le16_to_cpu(desc.buf_len);
    trace_toe_rx_desc(r->head, addr, buf_len, size);

    if (buf_len < TOE_L2_MAX_FRAME) {
        qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: RX descriptor %u: buffer"
                      " length %u below %u\n", r->head, buf_len,
                      TOE_L2_MAX_FRAME);
        err = TOE_ERR_BAD_DESC_LEN;
    } else if (!toe_dma_range_ok(addr, size) ||
               pci_dma_write(PCI_DEVICE(s), addr, buf, size) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: RX descriptor %u: buffer"
                      " 0x%" PRIx64 " not writable\n", r->head, addr);
        err = TOE_ERR_BAD_DESC_ADDR;
    } else {
        len = size;
        *delivered = true;
    }

    status = TOE_DESC_DONE | (err ? TOE_DESC_ERR : 0);
    trace_toe_rx_done(r->head, len, status, err);
    if (toe_dma_write_le16(s, da + TOE_RX_DESC_LEN, len) != MEMTX_OK ||
        toe_dma_write_le16(s, da + TOE_RX_DESC_ERR, err) != MEMTX_OK ||
        toe_dma_write_le16(s, da + TOE_RX_DESC_STATUS, status) != MEMTX_OK) {
        toe_ring_fault(s, TOE_RING_L2_RX, da);
        *delivered = false;
        return false;
    }
    if (err) {
        s->stats.rx_errors++;
        toe_error(s, err);
    }
    r->head++;
    return true;
}

/* Put a frame in the L2 RX ring: size if taken or dropped, 0 if no room. */
static ssize_t toe_l2_rx_ring(TOEPCIState *s, const uint8_t *buf, size_t size)
{
    TOERing *r = &s->ring[TOE_RING_L2_RX];
    bool used = false;

    if (r->fault || size < TOE_L2_MIN_FRAME || size > TOE_L2_MAX_FRAME) {
        trace_toe_rx_drop(size, r->fault);
        s->stats.rx_dropped++;
        return size;
    }

    /*
     * Descriptors the driver got wrong are completed with an error and
     * the frame moves on to the next one.
     */
    while (toe_ring_runnable(s, TOE_RING_L2_RX) && r->head != r->tail) {
        bool delivered;

        if (!toe_rx_fill(s, buf, size, &delivered)) {
            break;      /* ring fault */
        }
        used = true;
        if (delivered) {
            s->stats.rx_frames++;
            toe_intr_raise(s, TOE_INTR_L2_RX);
            return size;
        }
    }
    if (used) {
        toe_intr_raise(s, TOE_INTR_L2_RX);
    }
    if (r->fault) {
        s->stats.rx_dropped++;
        return size;
    }
    return 0;           /* out of buffers: queue it */
}

/*
 * A frame for the host that connection offload held back: false if the
 * RX ring has no room for it now (the caller keeps it and tries again).
 */
bool toe_l2_deliver(TOEPCIState *s, const uint8_t *buf, size_t size)
{
    return toe_l2_can_receive(qemu_get_queue(s->nic)) &&
           toe_l2_rx_ring(s, buf, size) != 0;
}

static ssize_t toe_l2_do_receive(TOEPCIState *s, const uint8_t *buf,
                                 size_t size)
{
    if (!toe_l2_can_receive(qemu_get_queue(s->nic))) {
        return 0;       /* queued by the net layer until we flush */
    }
    /* Frames of diverted and offloaded connections never reach the ring. */
    if (toe_offload_rx(s, buf, size)) {
        return size;
    }
    return toe_l2_rx_ring(s, buf, size);
}

/*
 * Frames arrive outside any MMIO access of ours, so QEMU's re-entrancy
 * guard is not engaged: a guest pointing an RX buffer at our own BAR
 * would reach our registers (even CTRL.RESET) in the middle of a fill.
 * Engage the guard for the duration, as for an MMIO access, so that such
 * DMA fails cleanly (TOE_ERR_BAD_DESC_ADDR) instead.
 *
 * A frame past the fault stage (toe-fault.c): taken, or lost if there is
 * no room for it now (only a duplicate or a late reordered frame).
 */
void toe_l2_receive_frame(TOEPCIState *s, const uint8_t *buf, size_t size)
{
    MemReentrancyGuard *guard = &DEVICE(s)->mem_reentrancy_guard;
    bool was_engaged = guard->engaged_in_io;

    guard->engaged_in_io = true;
    if (!toe_l2_do_receive(s, buf, size)) {
        trace_toe_rx_drop(size, 0);
        s->stats.rx_dropped++;
    }
    guard->engaged_in_io = was_engaged;
}

ssize_t toe_l2_receive(NetClientState *nc, const uint8_t *buf, size_t size)
{
    TOEPCIState *s = qemu_get_nic_opaque(nc);

    if (!toe_l2_can_receive(nc)) {
        return 0;       /* queued by the net layer until we flush */
    }
    toe_fault_pass(s, TOE_FAULT_RX, buf, size);
    return size;
}
