/*
 * toe-pci: seeded faults on the wire, for tests.
 *
 * Every frame the device sends to or takes from the wire, whether the
 * host's L2 path or the TCP engine made it, passes one of two fault
 * stages (transmit, receive). With the chances set by the fault-drop,
 * fault-dup and fault-reorder properties, in frames per thousand, a
 * frame is dropped, passed twice, or held back and passed after the next
 * one (after TOE_FAULT_HOLD_US if no other frame comes). The choices come
 * from a xorshift sequence seeded by fault-seed. All chances 0, the
 * default, pass every frame untouched.
 *
 * The properties can be set while the VM runs (qom-set over QMP), so a
 * test can make one stretch of a run lossy. A host has no netem here;
 * this is the device's own. The read-only fault-dropped,
 * fault-duplicated and fault-reordered properties count what the stage
 * did, so that a test proves its faults happened from the device itself.
 *
 * Runs under the BQL, as the rest of the device.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qemu/timer.h"
#include "toe-pci.h"
#include "trace.h"

/* How long a frame held for reordering waits for one to overtake it. */
#define TOE_FAULT_HOLD_US   1000
#define TOE_FAULT_SCALE     1000    /* chances are per mille */

static const char *const toe_fault_dir_name[TOE_FAULT_NDIRS] = {
    [TOE_FAULT_TX] = "tx",
    [TOE_FAULT_RX] = "rx",
};

/* xorshift64*: a pseudo-random number below TOE_FAULT_SCALE. */
static uint32_t toe_fault_roll(TOEFaults *f)
{
    uint64_t x = f->rng;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    f->rng = x;
    return (uint32_t)((x * 0x2545f4914f6cdd1dULL) >> 32) % TOE_FAULT_SCALE;
}

static void toe_fault_out(TOEPCIState *s, int dir, const uint8_t *buf,
                          size_t len)
{
    if (dir == TOE_FAULT_TX) {
        qemu_send_packet(qemu_get_queue(s->nic), buf, len);
    } else {
        toe_l2_receive_frame(s, buf, len);
    }
}

/* Let the frame held back in @dir go. */
static void toe_fault_release(TOEPCIState *s, int dir)
{
    TOEFaultDir *d = &s->fault.dir[dir];
    GByteArray *held = d->held;

    if (held) {
        d->held = NULL;
        timer_del(d->timer);
        toe_fault_out(s, dir, held->data, held->len);
        g_byte_array_unref(held);
    }
}

static void toe_fault_timer_cb(void *opaque)
{
    TOEFaultDir *d = opaque;

    toe_fault_release(d->s, d - d->s->fault.dir);
}

/**
 * toe_fault_pass() - a frame through the fault stage of one direction.
 * @s: the device
 * @dir: TOE_FAULT_TX (to the wire) or TOE_FAULT_RX (from it)
 * @buf: the frame
 * @len: its length
 *
 * Passes the frame on (qemu_send_packet(), or the device's receive path)
 * zero, one or two times, now or after the next frame.
 */
void toe_fault_pass(TOEPCIState *s, int dir, const uint8_t *buf, size_t len)
{
    TOEFaults *f = &s->fault;
    TOEFaultDir *d = &f->dir[dir];
    bool had_held = d->held != NULL;
    uint32_t r;

    if (!f->drop && !f->dup && !f->reorder && !had_held) {
        toe_fault_out(s, dir, buf, len);
        return;
    }
    r = toe_fault_roll(f);
    if (r < f->drop) {
        trace_toe_fault(toe_fault_dir_name[dir], "drop", len);
        f->dropped++;
    } else if (r < f->drop + f->dup) {
        trace_toe_fault(toe_fault_dir_name[dir], "dup", len);
        f->duplicated++;
        toe_fault_out(s, dir, buf, len);
        toe_fault_out(s, dir, buf, len);
    } else if (r < f->drop + f->dup + f->reorder && !had_held) {
        trace_toe_fault(toe_fault_dir_name[dir], "hold", len);
        f->reordered++;
        d->held = g_byte_array_sized_new(len);
        g_byte_array_append(d->held, buf, len);
        timer_mod(d->timer, qemu_clock_get_us(QEMU_CLOCK_VIRTUAL) +
                  TOE_FAULT_HOLD_US);
        return;
    } else {
        toe_fault_out(s, dir, buf, len);
    }
    /* The frame held back goes after the one that overtook it. */
    toe_fault_release(s, dir);
}

/* Reset: what was held back is dropped (the wire lost it). */
void toe_fault_reset(TOEPCIState *s)
{
    int dir;

    for (dir = 0; dir < TOE_FAULT_NDIRS; dir++) {
        TOEFaultDir *d = &s->fault.dir[dir];

        timer_del(d->timer);
        if (d->held) {
            g_byte_array_unref(d->held);
            d->held = NULL;
        }
    }
}

void toe_fault_init(TOEPCIState *s)
{
    int dir;

    for (dir = 0; dir < TOE_FAULT_NDIRS; dir++) {
        s->fault.dir[dir].s = s;
        s->fault.dir[dir].timer = timer_new_us(QEMU_CLOCK_VIRTUAL,
                                               toe_fault_timer_cb,
                                               &s->fault.dir[dir]);
    }
    s->fault.rng = s->fault.seed ? s->fault.seed : 1;
}

void toe_fault_fini(TOEPCIState *s)
{
    int dir;

    toe_fault_reset(s);
    for (dir = 0; dir < TOE_FAULT_NDIRS; dir++) {
        timer_free(s->fault.dir[dir].timer);
        s->fault.dir[dir].timer = NULL;
    }
}

/*
 * The fault-* properties: settable before and after realize, so that a
 * test turns faults on and off over QMP.
 */
static uint32_t *toe_fault_knob(TOEPCIState *s, const char *name)
{
    if (!strcmp(name, "fault-drop")) {
        return &s->fault.drop;
    } else if (!strcmp(name, "fault-dup")) {
        return &s->fault.dup;
    }
    return &s->fault.reorder;
}

static void toe_fault_get(Object *obj, Visitor *v, const char *name,
                          void *opaque, Error **errp)
{
    uint32_t value = *toe_fault_knob(TOE_PCI(obj), name);

    visit_type_uint32(v, name, &value, errp);
}

static void toe_fault_set(Object *obj, Visitor *v, const char *name,
                          void *opaque, Error **errp)
{
    TOEPCIState *s = TOE_PCI(obj);
    uint32_t *knob = toe_fault_knob(s, name);
    uint32_t value, others;

    if (!visit_type_uint32(v, name, &value, errp)) {
        return;
    }
    others = s->fault.drop + s->fault.dup + s->fault.reorder - *knob;
    if (value > TOE_FAULT_SCALE - others) {
        error_setg(errp, "%s: %u per mille, with the other fault chances"
                   " (%u), is more than %u", name, value, others,
                   TOE_FAULT_SCALE);
        return;
    }
    *knob = value;
}

static void toe_fault_get_count(Object *obj, Visitor *v, const char *name,
                                void *opaque, Error **errp)
{
    TOEFaults *f = &TOE_PCI(obj)->fault;
    uint64_t value;

    if (!strcmp(name, "fault-dropped")) {
        value = f->dropped;
    } else if (!strcmp(name, "fault-duplicated")) {
        value = f->duplicated;
    } else {
        value = f->reordered;
    }
    visit_type_uint64(v, name, &value, errp);
}

static void toe_fault_get_seed(Object *obj, Visitor *v, const char *name,
                               void *opaque, Error **errp)
{
    visit_type_uint64(v, name, &TOE_PCI(obj)->fault.seed, errp);
}

static void toe_fault_set_seed(Object *obj, Visitor *v, const char *name,
                               void *opaque, Error **errp)
{
    TOEPCIState *s = TOE_PCI(obj);
    uint64_t seed;

    if (visit_type_uint64(v, name, &seed, errp)) {
        s->fault.seed = seed;
        s->fault.rng = seed ? seed : 1;     /* xorshift never leaves 0 */
    }
}

void toe_fault_class_init(ObjectClass *klass)
{
    static const char *const knobs[][2] = {
        { "fault-drop", "frames per thousand dropped, each direction" },
        { "fault-dup", "frames per thousand passed twice" },
        { "fault-reorder", "frames per thousand passed after the next" },
    };
    static const char *const counts[][2] = {
        { "fault-dropped", "frames dropped so far (read-only)" },
        { "fault-duplicated", "frames passed twice so far (read-only)" },
        { "fault-reordered", "frames held back so far (read-only)" },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(knobs); i++) {
        object_class_property_add(klass, knobs[i][0], "uint32",
                                  toe_fault_get, toe_fault_set, NULL, NULL);
        object_class_property_set_description(klass, knobs[i][0],
                                              knobs[i][1]);
    }
    for (i = 0; i < ARRAY_SIZE(counts); i++) {
        object_class_property_add(klass, counts[i][0], "uint64",
                                  toe_fault_get_count, NULL, NULL, NULL);
        object_class_property_set_description(klass, counts[i][0],
                                              counts[i][1]);
    }
    object_class_property_add(klass, "fault-seed", "uint64",
                              toe_fault_get_seed, toe_fault_set_seed,
                              NULL, NULL);
    object_class_property_set_description(klass, "fault-seed",
        "seed of the fault choices (restarts the sequence)");
}
