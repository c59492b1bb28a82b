/*
 * toe-pci: TCP Offload Engine NIC - state shared by the device's files.
 *
 * toe-pci.c   the PCI/QOM shell: BARs, MSI-X, properties, VMState, netdev
 * toe-regs.c  the register file, errors, interrupts, reset
 * toe-l2.c    the L2 transmit and receive rings
 * toe-cmd.c   the command and event rings
 * toe-offload.c  connection slots, the TCP engine and its data path
 * toe-fault.c the wire's seeded faults (drop, duplicate, reorder), for tests
 *
 * The hardware interface itself is toe_hw.h (include/ in the toe tree),
 * the same header the Linux driver compiles.
 *
 * All of this runs under the BQL: MMIO, the net layer's receive callbacks
 * and reset are serialised by it, so the state needs no lock of its own.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_NET_TOE_PCI_H
#define HW_NET_TOE_PCI_H

#include "hw/pci/pci.h"
#include "net/net.h"
#include "qemu/units.h"
#include "qom/object.h"
#include "toe_hw.h"

#define TYPE_TOE_PCI "toe-pci"
OBJECT_DECLARE_SIMPLE_TYPE(TOEPCIState, TOE_PCI)

#define TOE_CONN_CAPACITY_DEFAULT 1024
/*
 * Segments the engine sends for one connection before the main loop
 * takes what arrived meanwhile: about a millisecond of frames under TCG.
 */
#define TOE_TX_BURST_DEFAULT 32
#define TOE_CONN_CAPACITY_MAX     65536     /* the engine's limit */
/*
 * Bytes the engine may hold for all connections: out-of-order data and
 * data it received that the host has not taken yet. Past it, the engine
 * drops what it cannot hold and asks for the connection back
 * (TOE_UPLOAD_REASM_MEM).
 */
#define TOE_MEM_BUDGET_DEFAULT    (64 * MiB)
#define TOE_MEM_BUDGET_MIN        (64 * KiB)
#define TOE_MEM_BUDGET_MAX        (1 * GiB)

/* One descriptor ring as the driver configured it. */
typedef struct TOERing {
    uint32_t addr_lo;   /* TOE_RING_ADDR_LO as written (aligned) */
    uint32_t addr_hi;   /* TOE_RING_ADDR_HI as written */
    uint32_t size;      /* entries; 0 until a valid size is written */
    uint32_t head;      /* device's free-running index */
    uint32_t tail;      /* driver's free-running index */
    bool fault;         /* stopped on a ring DMA error until reset */
} TOERing;

/* Device-side statistics: traced and migrated, not guest-visible (yet). */
typedef struct TOEStats {
    uint64_t tx_frames;
    uint64_t tx_errors;         /* descriptors refused */
    uint64_t rx_frames;
    uint64_t rx_errors;         /* descriptors refused */
    uint64_t rx_dropped;        /* frames too long/short, or ring faulted */
    uint64_t cmds;
    uint64_t cmds_refused;
    uint64_t events;
    uint64_t offloads;          /* OFFLOAD commands the engine took */
    uint64_t uploads;
    uint64_t held_frames;       /* frames held for diverted slots */
    uint64_t hold_dropped;      /* ... dropped: a slot's queue was full */
    uint64_t eng_rx_frames;     /* frames the engine took from the wire */
    uint64_t eng_tx_frames;     /* frames the engine sent */
    uint64_t eng_tx_dropped;    /* engine packets with no slot to send by */
} TOEStats;

typedef struct TOEOffload TOEOffload;

enum { TOE_FAULT_TX, TOE_FAULT_RX, TOE_FAULT_NDIRS };

/* One direction's fault stage (toe-fault.c). */
typedef struct TOEFaultDir {
    TOEPCIState *s;
    GByteArray *held;           /* a frame held back to be overtaken */
    QEMUTimer *timer;           /* lets it go if nothing overtakes it */
} TOEFaultDir;

/* Wire faults: the fault-* properties, settable at run time. */
typedef struct TOEFaults {
    uint32_t drop, dup, reorder;    /* per mille; sum <= 1000 */
    /* What the stage did, both directions, read back by tests. */
    uint64_t dropped, duplicated, reordered;
    uint64_t seed;
    uint64_t rng;                   /* xorshift state, never 0 */
    TOEFaultDir dir[TOE_FAULT_NDIRS];
} TOEFaults;

struct TOEPCIState {
    PCIDevice parent_obj;

    MemoryRegion mmio;          /* BAR 0: registers */
    NICState *nic;
    NICConf conf;

    /* Properties. */
    uint32_t conn_capacity;
    uint32_t tx_burst;          /* segments per connection per turn */
    uint64_t mem_budget;        /* bytes the engine may hold */

    /* Register state. */
    uint32_t ctrl;              /* TOE_CTRL_ENABLE only */
    uint32_t status;            /* TOE_STATUS_* */
    uint32_t err_code;          /* last TOE_ERR_*, cleared on read */
    uint32_t err_count;         /* saturating */
    uint32_t intr_cause;
    uint32_t intr_mask;
    uint32_t scratch;
    TOERing ring[TOE_NUM_RINGS];

    TOEStats stats;
    TOEOffload *offload;        /* toe-offload.c's; not migrated */
    TOEFaults fault;            /* not migrated */
    /*
     * The "hang" property: the offload processor has stopped. No command
     * is taken, no event posted, and the engine neither sends nor takes
     * frames (those of its connections are dropped); the L2 path goes
     * on. A device reset ends it. Not migrated.
     */
    bool hung;

    /* Not migrated: recursion guards for the ring engines. */
    bool tx_running;
    bool cmd_running;
};

/* toe-regs.c */
uint64_t toe_mmio_read(void *opaque, hwaddr addr, unsigned size);
void toe_mmio_write(void *opaque, hwaddr addr, uint64_t val, unsigned size);
void toe_reset_state(TOEPCIState *s);
void toe_error(TOEPCIState *s, enum toe_err code);
void toe_ring_fault(TOEPCIState *s, enum toe_ring_id id, uint64_t addr);
void toe_intr_raise(TOEPCIState *s, uint32_t causes);
void toe_intr_update(TOEPCIState *s);
void toe_set_link(TOEPCIState *s, bool up);
bool toe_ring_runnable(TOEPCIState *s, enum toe_ring_id id);
uint64_t toe_ring_base(const TOERing *r);
uint32_t toe_ring_entry_size(enum toe_ring_id id);
bool toe_dma_range_ok(uint64_t addr, uint64_t len);

/* toe-l2.c */
void toe_l2_tx_run(TOEPCIState *s);
bool toe_l2_can_receive(NetClientState *nc);
ssize_t toe_l2_receive(NetClientState *nc, const uint8_t *buf, size_t size);
void toe_l2_rx_kick(TOEPCIState *s);

bool toe_l2_deliver(TOEPCIState *s, const uint8_t *buf, size_t size);
void toe_l2_receive_frame(TOEPCIState *s, const uint8_t *buf, size_t size);

/* toe-fault.c */
void toe_fault_init(TOEPCIState *s);
void toe_fault_fini(TOEPCIState *s);
void toe_fault_reset(TOEPCIState *s);
void toe_fault_class_init(ObjectClass *klass);
void toe_fault_pass(TOEPCIState *s, int dir, const uint8_t *buf, size_t len);

/* toe-cmd.c */
void toe_cmd_run(TOEPCIState *s);
bool toe_evt_post(TOEPCIState *s, struct toe_evt *evt);

/* toe-offload.c */
void toe_offload_init(TOEPCIState *s, Error **errp);
void toe_offload_reset(TOEPCIState *s);
void toe_offload_fini(TOEPCIState *s);
bool toe_offload_busy(TOEPCIState *s);
void toe_offload_request_upload(TOEPCIState *s, uint32_t conn_id,
                                uint32_t reason, Error **errp);
bool toe_offload_rx(TOEPCIState *s, const uint8_t *buf, size_t size);
void toe_offload_kick(TOEPCIState *s);
void toe_offload_resume(TOEPCIState *s);
enum toe_status toe_offload_cmd(TOEPCIState *s, const struct toe_cmd *cmd,
                                uint32_t *conn_id);

#endif
