/*
 * toe-pci: the command ring (host to device) and the event ring (device
 * to host).
 *
 * The device runs commands in ring order. Each produces exactly one
 * TOE_EVT_CMD_DONE event, so a command is only taken off the ring when an
 * event slot is free: with the event ring full the device stops and picks
 * up again when the driver posts event slots (a TAIL write on either
 * ring). No completion is ever dropped.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "toe-pci.h"
#include "trace.h"

/* Run a NOP: read the payload, write it back bitwise inverted. */
static enum toe_status toe_cmd_nop(TOEPCIState *s, uint64_t addr,
                                   uint32_t len, uint32_t *value)
{
    PCIDevice *pci = PCI_DEVICE(s);
    g_autofree uint8_t *buf = NULL;
    uint32_t i;

    if (len) {
        buf = g_malloc(len);
        if (pci_dma_read(pci, addr, buf, len) != MEMTX_OK) {
            return TOE_STS_FAULT;
        }
        for (i = 0; i < len; i++) {
            buf[i] = ~buf[i];
        }
        if (pci_dma_write(pci, addr, buf, len) != MEMTX_OK) {
            return TOE_STS_FAULT;
        }
    }
    *value = len;
    return TOE_STS_OK;
}

/*
 * Check what every command shares, then dispatch on the opcode. Fills
 * *value (the event's value field) and returns a TOE_STS_*.
 */
static enum toe_status toe_cmd_exec(TOEPCIState *s, const struct toe_cmd *cmd,
                                    uint32_t *value, uint32_t *conn_id)
{
    uint16_t opcode = le16_to_cpu(cmd->opcode);
    uint32_t len = le32_to_cpu(cmd->payload_len);
    uint64_t addr = le64_to_cpu(cmd->payload_addr);
    enum toe_status sts;

    *value = 0;
    switch (opcode) {
    case TOE_CMD_NOP:
    case TOE_CMD_DIVERT:
    case TOE_CMD_OFFLOAD:
    case TOE_CMD_UNDIVERT:
    case TOE_CMD_UPLOAD:
    case TOE_CMD_SEND:
    case TOE_CMD_RECV_FREED:
    case TOE_CMD_SHUTDOWN:
    case TOE_CMD_ABORT:
    case TOE_CMD_SET_OPTS:
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: unknown command opcode"
                      " 0x%x\n", opcode);
        return TOE_STS_OPNOTSUPP;
    }
    if (len > TOE_CMD_MAX_PAYLOAD) {
        qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: command payload %u bytes,"
                      " limit %u\n", len, TOE_CMD_MAX_PAYLOAD);
        return TOE_STS_TOOBIG;
    }
    if (len && !toe_dma_range_ok(addr, len)) {
        qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: command payload 0x%" PRIx64
                      "+%u wraps\n", addr, len);
        return TOE_STS_FAULT;
    }

    if (opcode == TOE_CMD_NOP) {
        return toe_cmd_nop(s, addr, len, value);
    }
    sts = toe_offload_cmd(s, cmd, conn_id);
    if (sts == TOE_STS_OK && opcode == TOE_CMD_DIVERT) {
        *value = *conn_id;
    }
    return sts;
}

/*
 * Write an event into the slot at the event ring's HEAD: every field with
 * flags 0 first, then flags = TOE_DESC_DONE. False on a ring fault.
 */
bool toe_evt_post(TOEPCIState *s, struct toe_evt *evt)
{
    PCIDevice *pci = PCI_DEVICE(s);
    TOERing *r = &s->ring[TOE_RING_EVT];
    uint64_t da = toe_ring_base(r) +
                  (uint64_t)toe_ring_slot(r->head, r->size) * sizeof(*evt);
    uint8_t flags[2];

    trace_toe_evt(r->head, le16_to_cpu(evt->type), le32_to_cpu(evt->tag),
                  le16_to_cpu(evt->opcode), le32_to_cpu(evt->conn_id),
                  le32_to_cpu(evt->status), le32_to_cpu(evt->value));
    evt->flags = 0;
    stw_le_p(flags, TOE_DESC_DONE);
    if (pci_dma_write(pci, da, evt, sizeof(*evt)) != MEMTX_OK ||
        pci_dma_write(pci, da + offsetof(struct toe_evt, flags), flags,
                      sizeof(flags)) != MEMTX_OK) {
        toe_ring_fault(s, TOE_RING_EVT, da);
        return false;
    }
    r->head++;
    s->stats.events++;
    return true;
}

/* Run the commands the driver queued, as far as event slots allow. */
void toe_cmd_run(TOEPCIState *s)
{
    TOERing *cr = &s->ring[TOE_RING_CMD];
    TOERing *er = &s->ring[TOE_RING_EVT];
    bool posted = false;

    if (s->cmd_running || s->hung) {
        return;
    }
    s->cmd_running = true;

    while (toe_ring_runnable(s, TOE_RING_CMD) &&
           toe_ring_runnable(s, TOE_RING_EVT) &&
           cr->head != cr->tail) {
        uint64_t da = toe_ring_base(cr) +
                      (uint64_t)toe_ring_slot(cr->head, cr->size) *
                      sizeof(struct toe_cmd);
        struct toe_cmd cmd;
        struct toe_evt evt = { 0 };
        enum toe_status sts;
        uint32_t value, conn_id;

        if (er->head == er->tail) {
            trace_toe_cmd_stall(cr->head, er->head);
            break;      /* no event slot: wait for the driver's EVT TAIL */
        }
        if (pci_dma_read(PCI_DEVICE(s), da, &cmd, sizeof(cmd)) != MEMTX_OK) {
            toe_ring_fault(s, TOE_RING_CMD, da);
            break;
        }
        trace_toe_cmd(cr->head, le16_to_cpu(cmd.opcode), le32_to_cpu(cmd.tag),
                      le64_to_cpu(cmd.handle), le32_to_cpu(cmd.conn_id),
                      le32_to_cpu(cmd.payload_len),
                      le64_to_cpu(cmd.payload_addr));

        conn_id = le32_to_cpu(cmd.conn_id);
        sts = toe_cmd_exec(s, &cmd, &value, &conn_id);
        s->stats.cmds++;

        evt.type = cpu_to_le16(TOE_EVT_CMD_DONE);
        evt.tag = cmd.tag;
        evt.handle = cmd.handle;
        evt.conn_id = cpu_to_le32(conn_id);
        evt.status = cpu_to_le32(sts);
        evt.opcode = cmd.opcode;
        evt.reason = cpu_to_le16(TOE_UPLOAD_NONE);
        evt.value = cpu_to_le32(value);
        if (!toe_evt_post(s, &evt)) {
            break;
        }
        /* The command is consumed only once its completion is out. */
        cr->head++;
        posted = true;
        if (sts != TOE_STS_OK) {
            s->stats.cmds_refused++;
            toe_error(s, TOE_ERR_BAD_CMD);
        }
    }

    s->cmd_running = false;
    if (posted) {
        toe_intr_raise(s, TOE_INTR_EVT);
    }
    /* Connection events wait for the same slots. */
    toe_offload_kick(s);
}
