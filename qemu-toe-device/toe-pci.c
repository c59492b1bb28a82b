/*
 * toe-pci: a TCP Offload Engine NIC, the PCI/QOM shell.
 *
 * BAR 0 holds the registers of toe_hw.h, BAR 1 the MSI-X table and PBA
 * (TOE_NUM_VECTORS vectors). The device attaches to any QEMU netdev.
 * This file wires the device into QEMU: BARs, MSI-X, INTx, the netdev,
 * properties, reset and VMState. The behaviour is in toe-regs.c,
 * toe-l2.c, toe-cmd.c and toe-offload.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qemu/error-report.h"
#include "qemu/module.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "toe-pci.h"
#include "trace.h"

static const MemoryRegionOps toe_mmio_ops = {
    .read = toe_mmio_read,
    .write = toe_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    /*
     * Accept every width and alignment here so that toe_mmio_* can refuse
     * the wrong ones with TOE_ERR_BAD_ACCESS rather than have the memory
     * core drop them silently.
     */
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
};

static void toe_link_status_changed(NetClientState *nc)
{
    TOEPCIState *s = qemu_get_nic_opaque(nc);

    toe_set_link(s, !nc->link_down);
}

static NetClientInfo toe_net_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NICState),
    .can_receive = toe_l2_can_receive,
    .receive = toe_l2_receive,
    .link_status_changed = toe_link_status_changed,
};

/* Turning bus mastering on may let frames the net layer held through. */
static void toe_pci_write_config(PCIDevice *pci, uint32_t addr, uint32_t val,
                                 int len)
{
    TOEPCIState *s = TOE_PCI(pci);
    bool msix_was_enabled = msix_enabled(pci);

    pci_default_write_config(pci, addr, val, len);
    if (range_covers_byte(addr, len, PCI_COMMAND)) {
        toe_l2_rx_kick(s);
    }
    /* MSI-X enable toggles move interrupts between INTx and MSI-X. */
    if (msix_enabled(pci) != msix_was_enabled) {
        toe_intr_update(s);
    }
}

static void toe_pci_realize(PCIDevice *pci, Error **errp)
{
    TOEPCIState *s = TOE_PCI(pci);
    DeviceState *dev = DEVICE(pci);
    unsigned v;
    int ret;

    if (s->conn_capacity == 0 || s->conn_capacity > TOE_CONN_CAPACITY_MAX) {
        error_setg(errp, "conn-capacity must be between 1 and %u",
                   TOE_CONN_CAPACITY_MAX);
        return;
    }
    if (s->mem_budget < TOE_MEM_BUDGET_MIN ||
        s->mem_budget > TOE_MEM_BUDGET_MAX) {
        error_setg(errp, "mem-budget must be between %llu and %llu bytes",
                   (unsigned long long)TOE_MEM_BUDGET_MIN,
                   (unsigned long long)TOE_MEM_BUDGET_MAX);
        return;
    }

    pci->config[PCI_INTERRUPT_PIN] = 1;
    memory_region_init_io(&s->mmio, OBJECT(s), &toe_mmio_ops, s,
                          "toe-pci-regs", TOE_BAR_REGS_SIZE);
    pci_register_bar(pci, TOE_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->mmio);

    ret = msix_init_exclusive_bar(pci, TOE_NUM_VECTORS, TOE_BAR_MSIX, errp);
    if (ret) {
        return;
    }
    for (v = 0; v < TOE_NUM_VECTORS; v++) {
        msix_vector_use(pci, v);
    }

    qemu_macaddr_default_if_unset(&s->conf.macaddr);
    s->nic = qemu_new_nic(&toe_net_info, &s->conf,
                          object_get_typename(OBJECT(s)), dev->id,
                          &dev->mem_reentrancy_guard, s);
    qemu_format_nic_info_str(qemu_get_queue(s->nic), s->conf.macaddr.a);

    toe_fault_init(s);
    toe_offload_init(s, errp);
    if (!s->offload) {
        toe_fault_fini(s);
        qemu_del_nic(s->nic);
        s->nic = NULL;
        msix_unuse_all_vectors(pci);
        msix_uninit_exclusive_bar(pci);
        return;
    }
    toe_reset_state(s);
}

static void toe_pci_exit(PCIDevice *pci)
{
    TOEPCIState *s = TOE_PCI(pci);

    toe_offload_fini(s);
    toe_fault_fini(s);
    qemu_del_nic(s->nic);
    s->nic = NULL;
    msix_unuse_all_vectors(pci);
    msix_uninit_exclusive_bar(pci);
}

static void toe_pci_reset(DeviceState *dev)
{
    toe_reset_state(TOE_PCI(dev));
}

static const VMStateDescription vmstate_toe_ring = {
    .name = "toe-pci/ring",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(addr_lo, TOERing),
        VMSTATE_UINT32(addr_hi, TOERing),
        VMSTATE_UINT32(size, TOERing),
        VMSTATE_UINT32(head, TOERing),
        VMSTATE_UINT32(tail, TOERing),
        VMSTATE_BOOL(fault, TOERing),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_toe_stats = {
    .name = "toe-pci/stats",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_UINT64(tx_frames, TOEStats),
        VMSTATE_UINT64(tx_errors, TOEStats),
        VMSTATE_UINT64(rx_frames, TOEStats),
        VMSTATE_UINT64(rx_errors, TOEStats),
        VMSTATE_UINT64(rx_dropped, TOEStats),
        VMSTATE_UINT64(cmds, TOEStats),
        VMSTATE_UINT64(cmds_refused, TOEStats),
        VMSTATE_UINT64(events, TOEStats),
        VMSTATE_END_OF_LIST()
    }
};

/* A migrated ring must still be one the registers could have set up. */
static int toe_pci_post_load(void *opaque, int version_id)
{
    TOEPCIState *s = opaque;
    unsigned i;

    for (i = 0; i < TOE_NUM_RINGS; i++) {
        TOERing *r = &s->ring[i];

        if ((r->size && !toe_ring_size_valid(r->size)) ||
            (r->addr_lo & (TOE_RING_ALIGN - 1)) ||
            !toe_ring_tail_valid(r->head, r->tail, r->size)) {
            return -EINVAL;
        }
    }
    s->ctrl &= TOE_CTRL_ENABLE;
    return 0;
}

/*
 * The engine's connections are not migrated: refuse while any slot is in
 * use, so that the host uploads them first rather than lose them.
 */
static int toe_pci_pre_save(void *opaque)
{
    TOEPCIState *s = opaque;

    if (toe_offload_busy(s)) {
        error_report("toe-pci: connections are offloaded; upload them"
                     " before migrating");
        return -EBUSY;
    }
    return 0;
}

static const VMStateDescription vmstate_toe_pci = {
    .name = "toe-pci",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = toe_pci_pre_save,
    .post_load = toe_pci_post_load,
    .fields = (VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, TOEPCIState),
        VMSTATE_MSIX(parent_obj, TOEPCIState),
        VMSTATE_UINT32(ctrl, TOEPCIState),
        VMSTATE_UINT32(status, TOEPCIState),
        VMSTATE_UINT32(err_code, TOEPCIState),
        VMSTATE_UINT32(err_count, TOEPCIState),
        VMSTATE_UINT32(intr_cause, TOEPCIState),
        VMSTATE_UINT32(intr_mask, TOEPCIState),
        VMSTATE_UINT32(scratch, TOEPCIState),
        VMSTATE_STRUCT_ARRAY(ring, TOEPCIState, TOE_NUM_RINGS, 1,
                             vmstate_toe_ring, TOERing),
        VMSTATE_STRUCT(stats, TOEPCIState, 1, vmstate_toe_stats, TOEStats),
        VMSTATE_END_OF_LIST()
    }
};

static Property toe_pci_properties[] = {
    DEFINE_NIC_PROPERTIES(TOEPCIState, conf),
    DEFINE_PROP_UINT32("conn-capacity", TOEPCIState, conn_capacity,
                       TOE_CONN_CAPACITY_DEFAULT),
    DEFINE_PROP_UINT32("tx-burst", TOEPCIState, tx_burst,
                       TOE_TX_BURST_DEFAULT),
    DEFINE_PROP_SIZE("mem-budget", TOEPCIState, mem_budget,
                     TOE_MEM_BUDGET_DEFAULT),
    DEFINE_PROP_END_OF_LIST(),
};

/* Write-only: (conn_id << 8) | reason, see toe_offload_request_upload(). */
static void toe_pci_set_request_upload(Object *obj, Visitor *v,
                                       const char *name, void *opaque,
                                       Error **errp)
{
    uint32_t value;

    if (!visit_type_uint32(v, name, &value, errp)) {
        return;
    }
    toe_offload_request_upload(TOE_PCI(obj), value >> 8, value & 0xff, errp);
}

static bool toe_pci_get_hang(Object *obj, Error **errp)
{
    return TOE_PCI(obj)->hung;
}

/* Stop the offload processor, as a firmware hang would (toe-pci.h). */
static void toe_pci_set_hang(Object *obj, bool value, Error **errp)
{
    TOEPCIState *s = TOE_PCI(obj);
    bool was = s->hung;

    s->hung = value;
    if (was && !value) {
        toe_cmd_run(s);
        toe_offload_resume(s);
    }
}

static void toe_pci_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = toe_pci_realize;
    k->exit = toe_pci_exit;
    k->config_write = toe_pci_write_config;
    k->vendor_id = TOE_PCI_VENDOR_ID;
    k->device_id = TOE_PCI_DEVICE_ID;
    k->revision = TOE_PCI_REVISION;
    k->class_id = TOE_PCI_CLASS;
    dc->desc = "TCP Offload Engine NIC";
    dc->reset = toe_pci_reset;
    dc->vmsd = &vmstate_toe_pci;
    device_class_set_props(dc, toe_pci_properties);
    object_class_property_add(klass, "request-upload", "uint32", NULL,
                              toe_pci_set_request_upload, NULL, NULL);
    object_class_property_set_description(klass, "request-upload",
        "(conn_id << 8) | reason: ask the host for that connection back,"
        " as the device would (enum toe_upload_reason)");
    object_class_property_add_bool(klass, "hang", toe_pci_get_hang,
                                   toe_pci_set_hang);
    object_class_property_set_description(klass, "hang",
        "stop the offload processor (commands, events, the engine) until"
        " the next device reset");
    toe_fault_class_init(klass);
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
}

static const TypeInfo toe_pci_info = {
    .name = TYPE_TOE_PCI,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(TOEPCIState),
    .class_init = toe_pci_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void toe_pci_register_types(void)
{
    type_register_static(&toe_pci_info);
}

type_init(toe_pci_register_types)
