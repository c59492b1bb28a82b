/*
 * toe-pci: the register file (BAR 0), errors, interrupts and reset.
 *
 * Every register write is checked before it changes anything: a bad
 * write is refused with a TOE_ERR_* code in ERR_CODE, counted in
 * ERR_COUNT and signalled with TOE_INTR_ERR; the device state stays as it
 * was. Nothing the guest writes here can stop QEMU.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "hw/pci/msix.h"
#include "toe-pci.h"
#include "trace.h"

/* The causes each MSI-X vector carries (enum toe_msix_vector order). */
static const uint32_t toe_vector_causes[TOE_NUM_VECTORS] = {
    [TOE_VEC_L2] = TOE_INTR_L2_TX | TOE_INTR_L2_RX,
    [TOE_VEC_EVT] = TOE_INTR_EVT,
    [TOE_VEC_MISC] = TOE_INTR_ERR | TOE_INTR_LINK,
};

static const char *const toe_ring_names[TOE_NUM_RINGS] = {
    [TOE_RING_L2_TX] = "l2-tx",
    [TOE_RING_L2_RX] = "l2-rx",
    [TOE_RING_CMD] = "cmd",
    [TOE_RING_EVT] = "evt",
};

static const char *toe_reg_name(hwaddr addr)
{
    static const char *const ring_regs[] = {
        [TOE_RING_ADDR_LO / 4] = "ADDR_LO",
        [TOE_RING_ADDR_HI / 4] = "ADDR_HI",
        [TOE_RING_SIZE / 4] = "SIZE",
        [TOE_RING_HEAD / 4] = "HEAD",
        [TOE_RING_TAIL / 4] = "TAIL",
    };

    switch (addr) {
    case TOE_REG_ID: return "ID";
    case TOE_REG_VERSION: return "VERSION";
    case TOE_REG_FEATURES: return "FEATURES";
    case TOE_REG_CONN_CAPACITY: return "CONN_CAPACITY";
    case TOE_REG_MAC_LO: return "MAC_LO";
    case TOE_REG_MAC_HI: return "MAC_HI";
    case TOE_REG_MTU: return "MTU";
    case TOE_REG_CTRL: return "CTRL";
    case TOE_REG_STATUS: return "STATUS";
    case TOE_REG_ERR_CODE: return "ERR_CODE";
    case TOE_REG_ERR_COUNT: return "ERR_COUNT";
    case TOE_REG_INTR_CAUSE: return "INTR_CAUSE";
    case TOE_REG_INTR_MASK: return "INTR_MASK";
    case TOE_REG_INTR_MASK_SET: return "INTR_MASK_SET";
    case TOE_REG_INTR_MASK_CLR: return "INTR_MASK_CLR";
    case TOE_REG_SCRATCH: return "SCRATCH";
    case TOE_REG_CLOCK_MS: return "CLOCK_MS";
    }
    if (addr >= TOE_REG_RING_BASE &&
        addr < TOE_REG_RING(TOE_NUM_RINGS, 0)) {
        hwaddr off = (addr - TOE_REG_RING_BASE) % TOE_REG_RING_STRIDE;

        if (off / 4 < ARRAY_SIZE(ring_regs) && !(off & 3) &&
            ring_regs[off / 4]) {
            return ring_regs[off / 4];
        }
    }
    return "unknown";
}

/*
 * Errors and interrupts
 */

/**
 * toe_error() - report a refused guest request to the driver.
 * Sets ERR_CODE (last error wins), counts it in ERR_COUNT (saturating)
 * and raises TOE_INTR_ERR.
 */
void toe_error(TOEPCIState *s, enum toe_err code)
{
    s->err_code = code;
    if (s->err_count != UINT32_MAX) {
        s->err_count++;
    }
    trace_toe_error(code, s->err_count);
    toe_intr_raise(s, TOE_INTR_ERR);
}

/**
 * toe_ring_fault() - stop a ring whose own memory could not be accessed.
 * Only a reset (TOE_CTRL_RESET or a device reset) restarts it.
 */
void toe_ring_fault(TOEPCIState *s, enum toe_ring_id id, uint64_t addr)
{
    qemu_log_mask(LOG_GUEST_ERROR,
                  "toe-pci: %s ring memory at 0x%" PRIx64 " not accessible,"
                  " ring stopped until reset\n", toe_ring_names[id], addr);
    trace_toe_ring_fault(toe_ring_names[id], addr);
    s->ring[id].fault = true;
    s->status |= TOE_STATUS_FAULT;
    toe_error(s, TOE_ERR_RING_DMA);
}

/*
 * INTx follows the level (cause & ~mask) while MSI-X is off. With MSI-X
 * the line stays low and each vector is notified when one of its causes
 * is raised unmasked, or is unmasked while still raised.
 */
void toe_intr_update(TOEPCIState *s)
{
    PCIDevice *pci = PCI_DEVICE(s);
    int level = !msix_enabled(pci) && (s->intr_cause & ~s->intr_mask);

    trace_toe_intr(s->intr_cause, s->intr_mask, level);
    pci_set_irq(pci, level);
}

static void toe_intr_notify(TOEPCIState *s, uint32_t causes)
{
    PCIDevice *pci = PCI_DEVICE(s);
    unsigned v;

    if (msix_enabled(pci)) {
        for (v = 0; v < TOE_NUM_VECTORS; v++) {
            if (causes & toe_vector_causes[v]) {
                trace_toe_msix_notify(v, causes & toe_vector_causes[v]);
                msix_notify(pci, v);
            }
        }
    }
    toe_intr_update(s);
}

void toe_intr_raise(TOEPCIState *s, uint32_t causes)
{
    s->intr_cause |= causes;
    toe_intr_notify(s, causes & ~s->intr_mask);
}

void toe_set_link(TOEPCIState *s, bool up)
{
    bool was_up = s->status & TOE_STATUS_LINK_UP;

    trace_toe_link(up);
    if (up) {
        s->status |= TOE_STATUS_LINK_UP;
    } else {
        s->status &= ~TOE_STATUS_LINK_UP;
    }
    if (up != was_up) {
        toe_intr_raise(s, TOE_INTR_LINK);
    }
}

/*
 * Rings
 */

uint32_t toe_ring_entry_size(enum toe_ring_id id)
{
    switch (id) {
    case TOE_RING_L2_TX:
        return sizeof(struct toe_tx_desc);
    case TOE_RING_L2_RX:
        return sizeof(struct toe_rx_desc);
    case TOE_RING_CMD:
        return sizeof(struct toe_cmd);
    case TOE_RING_EVT:
        return sizeof(struct toe_evt);
    default:
        return 0;
    }
}

uint64_t toe_ring_base(const TOERing *r)
{
    return ((uint64_t)r->addr_hi << 32) | r->addr_lo;
}

/* [addr, addr + len) does not wrap around the 64-bit address space. */
bool toe_dma_range_ok(uint64_t addr, uint64_t len)
{
    return len == 0 || addr <= UINT64_MAX - (len - 1);
}

static bool toe_ring_configured(TOEPCIState *s, enum toe_ring_id id)
{
    TOERing *r;

    if (id >= TOE_NUM_RINGS) {
        return false;
    }
    r = &s->ring[id];
    return r->size &&
           toe_dma_range_ok(toe_ring_base(r),
                            (uint64_t)r->size * toe_ring_entry_size(id));
}

/* The device may work on this ring now. */
bool toe_ring_runnable(TOEPCIState *s, enum toe_ring_id id)
{
    return (s->ctrl & TOE_CTRL_ENABLE) && !s->ring[id].fault &&
           toe_ring_configured(s, id);
}

/* Let every ring catch up with what the driver posted. */
static void toe_rings_kick(TOEPCIState *s)
{
    toe_l2_tx_run(s);
    toe_cmd_run(s);
    toe_l2_rx_kick(s);
}

static void toe_ring_write(TOEPCIState *s, hwaddr addr, uint32_t val)
{
    enum toe_ring_id id = (addr - TOE_REG_RING_BASE) / TOE_REG_RING_STRIDE;
    hwaddr reg = (addr - TOE_REG_RING_BASE) % TOE_REG_RING_STRIDE;
    TOERing *r = &s->ring[id];

    switch (reg) {
    case TOE_RING_ADDR_LO:
    case TOE_RING_ADDR_HI:
    case TOE_RING_SIZE:
        if (s->ctrl & TOE_CTRL_ENABLE) {
            qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: %s ring reconfigured"
                          " while enabled\n", toe_ring_names[id]);
            toe_error(s, TOE_ERR_RING_BUSY);
            return;
        }
        if (reg == TOE_RING_ADDR_LO) {
            if (val & (TOE_RING_ALIGN - 1)) {
                qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: %s ring base 0x%x"
                              " not %d-byte aligned\n", toe_ring_names[id],
                              val, TOE_RING_ALIGN);
                toe_error(s, TOE_ERR_BAD_RING_ADDR);
                return;
            }
            r->addr_lo = val;
        } else if (reg == TOE_RING_ADDR_HI) {
            r->addr_hi = val;
        } else {
            if (!toe_ring_size_valid(val)) {
                qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: %s ring size %u"
                              " invalid\n", toe_ring_names[id], val);
                toe_error(s, TOE_ERR_BAD_RING_SIZE);
                return;
            }
            /* A new size starts the ring over: both indices back to 0. */
            r->size = val;
            r->head = 0;
            r->tail = 0;
        }
        trace_toe_ring_config(toe_ring_names[id], toe_ring_base(r), r->size);
        return;
    case TOE_RING_TAIL:
        if (!toe_ring_tail_valid(r->head, val, r->size)) {
            qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: %s ring tail %u with"
                          " head %u size %u refused\n", toe_ring_names[id],
                          val, r->head, r->size);
            toe_error(s, TOE_ERR_BAD_TAIL);
            return;
        }
        r->tail = val;
        trace_toe_ring_tail(toe_ring_names[id], r->head, r->tail);
        switch (id) {
        case TOE_RING_L2_TX:
            toe_l2_tx_run(s);
            break;
        case TOE_RING_L2_RX:
            toe_l2_rx_kick(s);
            break;
        case TOE_RING_CMD:
        case TOE_RING_EVT:     /* new event slots may unblock commands */
            toe_cmd_run(s);
            break;
        default:
            break;
        }
        return;
    default:            /* HEAD and the holes are read-only */
        qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: write to read-only %s ring"
                      " register 0x%" HWADDR_PRIx "\n", toe_ring_names[id],
                      reg);
        toe_error(s, TOE_ERR_BAD_REG);
        return;
    }
}

static uint32_t toe_ring_read(TOEPCIState *s, hwaddr addr)
{
    TOERing *r = &s->ring[(addr - TOE_REG_RING_BASE) / TOE_REG_RING_STRIDE];

    switch ((addr - TOE_REG_RING_BASE) % TOE_REG_RING_STRIDE) {
    case TOE_RING_ADDR_LO:
        return r->addr_lo;
    case TOE_RING_ADDR_HI:
        return r->addr_hi;
    case TOE_RING_SIZE:
        return r->size;
    case TOE_RING_HEAD:
        return r->head;
    case TOE_RING_TAIL:
        return r->tail;
    default:
        return 0;
    }
}

/*
 * Reset and control
 */

/**
 * toe_reset_state() - the device's own reset, synchronous.
 * Rings unconfigured with indices 0, every interrupt masked and no cause
 * pending, no error, FAULT clear and READY set. PCI config space and the
 * MSI-X table are left alone (the PCI core resets those on a bus reset).
 */
void toe_reset_state(TOEPCIState *s)
{
    NetClientState *nc = s->nic ? qemu_get_queue(s->nic) : NULL;

    trace_toe_reset();
    s->ctrl = 0;
    s->status = TOE_STATUS_READY;
    if (nc && !nc->link_down) {
        s->status |= TOE_STATUS_LINK_UP;
    }
    s->err_code = TOE_ERR_NONE;
    s->err_count = 0;
    s->intr_cause = 0;
    s->intr_mask = TOE_INTR_ALL;
    s->scratch = 0;
    s->hung = false;
    memset(s->ring, 0, sizeof(s->ring));
    toe_offload_reset(s);
    toe_fault_reset(s);
    toe_intr_update(s);
}

static void toe_ctrl_write(TOEPCIState *s, uint32_t val)
{
    bool was_enabled = s->ctrl & TOE_CTRL_ENABLE;

    if (val & ~(TOE_CTRL_ENABLE | TOE_CTRL_RESET)) {
        qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: CTRL reserved bits 0x%x\n",
                      val);
        toe_error(s, TOE_ERR_BAD_REG);
        return;
    }
    if (val & TOE_CTRL_RESET) {
        toe_reset_state(s);
        return;
    }
    s->ctrl = val & TOE_CTRL_ENABLE;
    if (s->ctrl) {
        s->status |= TOE_STATUS_ENABLED;
    } else {
        s->status &= ~TOE_STATUS_ENABLED;
    }
    if (s->ctrl && !was_enabled) {
        unsigned id;

        for (id = 0; id < ARRAY_SIZE(s->ring); id++) {
            TOERing *r = &s->ring[id];

            /* An unconfigured ring just stays idle; a wrapping one is bad. */
            if (r->size && !toe_ring_configured(s, id)) {
                qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: %s ring at 0x%"
                              PRIx64 " wraps the address space\n",
                              toe_ring_names[id], toe_ring_base(r));
                toe_error(s, TOE_ERR_BAD_RING_ADDR);
            }
        }
        toe_rings_kick(s);
    }
}

/*
 * MMIO
 */

uint64_t toe_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    TOEPCIState *s = opaque;
    uint32_t val = 0;

    if (size != 4 || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: %u-byte read at 0x%"
                      HWADDR_PRIx ", registers are 32-bit\n", size, addr);
        trace_toe_bad_access(addr, size, 0);
        toe_error(s, TOE_ERR_BAD_ACCESS);
        return 0;
    }

    switch (addr) {
    case TOE_REG_ID:
        val = TOE_ID_MAGIC;
        break;
    case TOE_REG_VERSION:
        val = TOE_VERSION;
        break;
    case TOE_REG_FEATURES:
        val = TOE_FEAT_L2 | TOE_FEAT_CMD | TOE_FEAT_OFFLOAD_IPV4 |
              TOE_FEAT_OFFLOAD_IPV6;
        break;
    case TOE_REG_CONN_CAPACITY:
        val = s->conn_capacity;
        break;
    case TOE_REG_MAC_LO:
        val = ldl_le_p(&s->conf.macaddr.a[0]);
        break;
    case TOE_REG_MAC_HI:
        val = lduw_le_p(&s->conf.macaddr.a[4]);
        break;
    case TOE_REG_MTU:
        val = TOE_L2_MTU;
        break;
    case TOE_REG_CTRL:
        val = s->ctrl;
        break;
    case TOE_REG_STATUS:
        val = s->status;
        break;
    case TOE_REG_ERR_CODE:
        val = s->err_code;
        s->err_code = TOE_ERR_NONE;
        break;
    case TOE_REG_ERR_COUNT:
        val = s->err_count;
        break;
    case TOE_REG_INTR_CAUSE:
        val = s->intr_cause;
        break;
    case TOE_REG_INTR_MASK:
        val = s->intr_mask;
        break;
    case TOE_REG_SCRATCH:
        val = s->scratch;
        break;
    case TOE_REG_CLOCK_MS:
        /* The engine's clock (its TCP timestamps advance with it). */
        val = (uint32_t)qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL);
        break;
    default:
        if (addr >= TOE_REG_RING_BASE &&
            addr < TOE_REG_RING(TOE_NUM_RINGS, 0)) {
            val = toe_ring_read(s, addr);
        }
        /* Write-only and unknown registers read as 0. */
        break;
    }
    trace_toe_reg_read(addr, toe_reg_name(addr), val);
    return val;
}

void toe_mmio_write(void *opaque, hwaddr addr, uint64_t val64, unsigned size)
{
    TOEPCIState *s = opaque;
    uint32_t val = val64;

    if (size != 4 || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: %u-byte write at 0x%"
                      HWADDR_PRIx ", registers are 32-bit\n", size, addr);
        trace_toe_bad_access(addr, size, 1);
        toe_error(s, TOE_ERR_BAD_ACCESS);
        return;
    }
    trace_toe_reg_write(addr, toe_reg_name(addr), val);

    switch (addr) {
    case TOE_REG_CTRL:
        toe_ctrl_write(s, val);
        break;
    case TOE_REG_INTR_CAUSE:
        s->intr_cause &= ~val;
        toe_intr_update(s);
        break;
    case TOE_REG_INTR_MASK_SET:
        s->intr_mask |= val & TOE_INTR_ALL;
        toe_intr_update(s);
        break;
    case TOE_REG_INTR_MASK_CLR:
        s->intr_mask &= ~val;
        /* Causes still raised fire again as they are unmasked. */
        toe_intr_notify(s, s->intr_cause & val);
        break;
    case TOE_REG_SCRATCH:
        s->scratch = val;
        break;
    default:
        if (addr >= TOE_REG_RING_BASE &&
            addr < TOE_REG_RING(TOE_NUM_RINGS, 0)) {
            toe_ring_write(s, addr, val);
            break;
        }
        qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: write 0x%x to %s register"
                      " 0x%" HWADDR_PRIx "\n", val,
                      addr <= TOE_REG_INTR_MASK ? "read-only" : "unknown",
                      addr);
        toe_error(s, TOE_ERR_BAD_REG);
        break;
    }
}
