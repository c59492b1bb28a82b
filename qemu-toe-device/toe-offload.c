/*
 * toe-pci: connection offload. The device's connection slots, the TCP
 * engine (engine/) that runs the offloaded ones, and the data path
 * between the engine and the host's send and receive buffers.
 *
 * A slot is diverted from DIVERT on: frames of its 4-tuple are held, in
 * order, rather than passed to the L2 RX ring. OFFLOAD hands the slot to
 * the engine, which then takes the held frames and what follows. UPLOAD
 * takes it back from the engine into the diverted phase; UNDIVERT lets
 * the held frames go to the L2 RX ring and frees the slot. So at every
 * instant a frame of the tuple has exactly one taker: the host's L2 path,
 * the hold queue, or the engine (ARCHITECTURE.md invariant 1).
 *
 * Connection events are coalesced per slot and posted from a bottom half:
 * a burst of frames handled in one main-loop turn raises one interrupt,
 * and the engine's callbacks never write the event ring themselves.
 *
 * SEND is checked when the command runs but handed to the engine from a
 * bottom half too, so the guest's doorbell write returns at once instead
 * of waiting while the engine sends a window's worth of segments (the
 * driver rings it holding its socket lock). Anything else the engine is
 * asked about that slot first takes the SEND still pending.
 *
 * Everything here runs under the BQL, as the rest of the device does.
 * The engine is called only from here, never re-entered: its callbacks
 * record what happened and return.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/queue.h"
#include "qemu/timer.h"
#include "toe-pci.h"
#include "engine/toe-engine.h"
#include "trace.h"

#define ETH_HLEN_TOE        14
#define ETHERTYPE_IPV4      0x0800
#define ETHERTYPE_IPV6      0x86dd

/* Frames one diverted slot holds at most; more are dropped and counted. */
#define TOE_HOLD_MAX_FRAMES 1024
/* The largest IP packet the engine sends. */
#define TOE_ENGINE_MAX_PKT  65535

typedef enum TOESlotPhase {
    TOE_SLOT_FREE = 0,
    TOE_SLOT_DIVERTED,      /* frames held */
    TOE_SLOT_OFFLOADED,     /* the engine runs it */
    TOE_SLOT_CLOSING,       /* the engine let go; CLOSED not yet posted */
    TOE_SLOT_RELEASING,     /* UNDIVERTed; held frames wait for RX room */
} TOESlotPhase;

/* Pending connection events, posted in this order. */
enum {
    TOE_PEND_ACKED = 1 << 0,
    TOE_PEND_RECV = 1 << 1,
    TOE_PEND_STATE = 1 << 2,
    TOE_PEND_UPLOAD_REQ = 1 << 3,
    TOE_PEND_CLOSED = 1 << 4,
};

typedef struct TOEConn {
    TOESlotPhase phase;
    uint64_t handle;            /* the host's, from DIVERT */
    struct toe_tuple tuple;
    int eid;                    /* engine id while OFFLOADED */
    uint8_t peer_mac[6];

    uint64_t snd_buf, rcv_buf;  /* host memory */
    uint64_t status_addr;       /* struct toe_conn_status, or 0 */
    uint32_t status_seq;        /* its seqcount, even between writes */
    bool status_dirty;          /* events since it was last written */
    uint32_t snd_size, rcv_size;
    uint32_t snd_base, rcv_base;    /* sequence at offset 0 */
    uint32_t st_flags;          /* TOE_ST_*, as written to the host */

    GQueue held;                /* GByteArray frames, oldest first */

    uint32_t pending;           /* TOE_PEND_* */
    uint32_t ev_snd_una;
    uint32_t ev_rcv_nxt;        /* end of the data placed: rcv_placed */
    uint8_t ev_state;
    uint16_t ev_reason;
    uint32_t ev_close_status;   /* TOE_STS_* for CLOSED */
    QTAILQ_ENTRY(TOEConn) ev_link;  /* on TOEOffload.ev_queue if pending */

    bool send_pending;          /* a SEND waits for the bottom half */
    uint32_t send_to;           /* ... to this write_seq */
    QTAILQ_ENTRY(TOEConn) tx_link;  /* on TOEOffload.tx_queue if so */
} TOEConn;

struct TOEOffload {
    TOEPCIState *s;
    struct toe_engine *eng;
    TOEConn *slots;             /* conn_capacity of them; conn_id = index */
    GHashTable *by_tuple;       /* struct toe_tuple * -> slot index + 1 */
    QTAILQ_HEAD(, TOEConn) ev_queue;
    QEMUBH *ev_bh;
    QTAILQ_HEAD(, TOEConn) tx_queue;
    QEMUBH *tx_bh;
    QEMUTimer *timer;           /* the engine's next deadline */
    uint8_t *txbuf;             /* one frame the engine sends */
    bool releasing;             /* some slot is RELEASING */
};

static uint64_t toe_now_us(void)
{
    return qemu_clock_get_us(QEMU_CLOCK_VIRTUAL);
}

static uint32_t toe_conn_id(TOEOffload *o, TOEConn *c)
{
    return c - o->slots;
}

static guint toe_tuple_hash(gconstpointer key)
{
    const uint8_t *p = key;
    uint32_t h = 2166136261u;   /* FNV-1a */
    size_t i;

    for (i = 0; i < sizeof(struct toe_tuple); i++) {
        h = (h ^ p[i]) * 16777619u;
    }
    return h;
}

static gboolean toe_tuple_equal(gconstpointer a, gconstpointer b)
{
    return !memcmp(a, b, sizeof(struct toe_tuple));
}

/*
 * The 4-tuple of an IP packet carrying TCP, or of an ICMP error about
 * one; false for anything else or anything malformed. @outbound: the
 * packet is ours (source = local), else the peer's.
 */
static bool toe_ip_tuple(const uint8_t *ip, size_t len, bool outbound,
                         struct toe_tuple *t)
{
    const uint8_t *src, *dst;
    size_t alen, l4;
    uint8_t proto;

    memset(t, 0, sizeof(*t));
    if (len < 20) {
        return false;
    }
    if ((ip[0] >> 4) == 4) {
        l4 = (ip[0] & 0xf) * 4;
        proto = ip[9];
        src = ip + 12;
        dst = ip + 16;
        alen = 4;
        t->family = 4;
        if (l4 < 20 || (lduw_be_p(ip + 6) & 0x3fff)) {
            return false;       /* bad header, or a fragment */
        }
    } else if ((ip[0] >> 4) == 6 && len >= 40) {
        l4 = 40;
        proto = ip[6];
        src = ip + 8;
        dst = ip + 24;
        alen = 16;
        t->family = 6;
    } else {
        return false;
    }
    if (proto != 6 || len < l4 + 20) {
        return false;
    }
    memcpy(t->local_addr, outbound ? src : dst, alen);
    memcpy(t->remote_addr, outbound ? dst : src, alen);
    memcpy(&t->local_port, ip + l4 + (outbound ? 0 : 2), 2);
    memcpy(&t->remote_port, ip + l4 + (outbound ? 2 : 0), 2);
    return true;
}

static TOEConn *toe_lookup(TOEOffload *o, const struct toe_tuple *t)
{
    gpointer v = g_hash_table_lookup(o->by_tuple, t);

    return v ? &o->slots[GPOINTER_TO_UINT(v) - 1] : NULL;
}

static TOEConn *toe_slot(TOEOffload *o, uint32_t conn_id)
{
    if (conn_id >= o->s->conn_capacity ||
        o->slots[conn_id].phase == TOE_SLOT_FREE) {
        return NULL;
    }
    return &o->slots[conn_id];
}

/* Engine handles are slot indices. */
static TOEConn *toe_slot_of(TOEOffload *o, uint64_t handle)
{
    if (handle >= o->s->conn_capacity) {
        return NULL;
    }
    return &o->slots[handle];
}

static void toe_held_clear(TOEConn *c)
{
    GByteArray *f;

    while ((f = g_queue_pop_head(&c->held))) {
        g_byte_array_unref(f);
    }
}

static void toe_hold(TOEPCIState *s, TOEConn *c, const uint8_t *buf,
                     size_t size)
{
    GByteArray *f;

    if (g_queue_get_length(&c->held) >= TOE_HOLD_MAX_FRAMES) {
        s->stats.hold_dropped++;
        return;
    }
    f = g_byte_array_sized_new(size);
    g_byte_array_append(f, buf, size);
    g_queue_push_tail(&c->held, f);
    s->stats.held_frames++;
}

/*
 * Write one 32-bit field of @c's status block on its own, outside the
 * seqcount: rcv_placed and flags, which must reach the host before the
 * peer is acknowledged what they cover (see toe_hw.h).
 */
static void toe_status_put(TOEOffload *o, TOEConn *c, size_t off,
                           uint32_t val)
{
    uint32_t le = cpu_to_le32(val);

    if (c->status_addr) {
        pci_dma_write(PCI_DEVICE(o->s), c->status_addr + off, &le,
                      sizeof(le));
    }
}

static void toe_ev_pend(TOEOffload *o, TOEConn *c, uint32_t what)
{
    if (!c->pending) {
        QTAILQ_INSERT_TAIL(&o->ev_queue, c, ev_link);
    }
    c->pending |= what;
    c->status_dirty = true;
    qemu_bh_schedule(o->ev_bh);
}

static void toe_ev_drop(TOEOffload *o, TOEConn *c)
{
    if (c->pending) {
        QTAILQ_REMOVE(&o->ev_queue, c, ev_link);
        c->pending = 0;
    }
}

/* Forget @c's tuple, unless a newer slot has taken it since. */
static void toe_unmap(TOEOffload *o, TOEConn *c)
{
    if (toe_lookup(o, &c->tuple) == c) {
        g_hash_table_remove(o->by_tuple, &c->tuple);
    }
}

/* Hand the engine the SEND that waits for @c, if one does. */
static void toe_send_flush(TOEOffload *o, TOEConn *c)
{
    if (!c->send_pending) {
        return;
    }
    QTAILQ_REMOVE(&o->tx_queue, c, tx_link);
    c->send_pending = false;
    if (c->phase == TOE_SLOT_OFFLOADED) {
        toe_engine_send_queued(o->eng, c->eid, c->send_to, toe_now_us());
    }
}

static void toe_slot_free(TOEOffload *o, TOEConn *c)
{
    if (c->send_pending) {
        QTAILQ_REMOVE(&o->tx_queue, c, tx_link);
        c->send_pending = false;
    }
    toe_ev_drop(o, c);
    toe_held_clear(c);
    toe_unmap(o, c);
    c->phase = TOE_SLOT_FREE;
}

/*
 * After each call into the engine: arm the timer for its next deadline,
 * and if a connection stopped sending at tx-burst segments, let it go on
 * from the TX bottom half, after the main loop has taken the frames that
 * arrived meanwhile (a NIC sends and receives at once; this thread does
 * one or the other, so a long burst would hold the peer's ACKs back).
 */
static void toe_timer_update(TOEOffload *o)
{
    uint64_t t = toe_engine_next_deadline(o->eng);

    if (toe_engine_tx_pending(o->eng)) {
        qemu_bh_schedule(o->tx_bh);
    }

    if (t == UINT64_MAX) {
        timer_del(o->timer);
    } else {
        timer_mod(o->timer, MIN(t, (uint64_t)INT64_MAX / 1000));
    }
}

static void toe_timer_cb(void *opaque)
{
    TOEOffload *o = opaque;

    if (o->s->hung) {
        return;     /* the reset that ends the hang stops the timer */
    }
    toe_engine_timers(o->eng, toe_now_us());
    toe_timer_update(o);
}

/*
 * Engine callbacks
 */

static void toe_eng_xmit(void *opaque, const uint8_t *pkt, size_t len)
{
    TOEOffload *o = opaque;
    TOEPCIState *s = o->s;
    uint8_t *frame = o->txbuf;
    struct toe_tuple t;
    TOEConn *c;

    c = len <= TOE_ENGINE_MAX_PKT && toe_ip_tuple(pkt, len, true, &t) ?
        toe_lookup(o, &t) : NULL;
    if (!c) {
        s->stats.eng_tx_dropped++;
        return;
    }
    memcpy(frame, c->peer_mac, 6);
    memcpy(frame + 6, s->conf.macaddr.a, 6);
    stw_be_p(frame + 12, t.family == 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6);
    memcpy(frame + ETH_HLEN_TOE, pkt, len);
    s->stats.eng_tx_frames++;
    toe_fault_pass(s, TOE_FAULT_TX, frame, ETH_HLEN_TOE + len);
}

/* DMA @len bytes at offset @off of a host ring buffer, split at the wrap. */
static bool toe_buf_dma(TOEPCIState *s, uint64_t base, uint32_t size,
                        uint32_t off, void *data, size_t len, bool write)
{
    PCIDevice *pci = PCI_DEVICE(s);
    uint8_t *p = data;
    size_t first = MIN(len, (size_t)(size - off));

    if (write) {
        return pci_dma_write(pci, base + off, p, first) == MEMTX_OK &&
               pci_dma_write(pci, base, p + first, len - first) == MEMTX_OK;
    }
    return pci_dma_read(pci, base + off, p, first) == MEMTX_OK &&
           pci_dma_read(pci, base, p + first, len - first) == MEMTX_OK;
}

static int toe_eng_read_send(void *opaque, uint64_t handle, uint32_t seq,
                             void *buf, size_t len)
{
    TOEOffload *o = opaque;
    TOEConn *c = toe_slot_of(o, handle);

    if (!c || len > c->snd_size) {
        return -EIO;
    }
    if (!toe_buf_dma(o->s, c->snd_buf, c->snd_size,
                     (seq - c->snd_base) & (c->snd_size - 1), buf, len,
                     false)) {
        qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: conn %u: send buffer"
                      " 0x%" PRIx64 " unreadable\n", toe_conn_id(o, c),
                      c->snd_buf);
        return -EIO;
    }
    return 0;
}

static size_t toe_eng_deliver(void *opaque, uint64_t handle, uint32_t seq,
                              const void *data, size_t len)
{
    TOEOffload *o = opaque;
    TOEConn *c = toe_slot_of(o, handle);

    if (!c || len > c->rcv_size) {
        return 0;
    }
    if (!toe_buf_dma(o->s, c->rcv_buf, c->rcv_size,
                     (seq - c->rcv_base) & (c->rcv_size - 1), (void *)data,
                     len, true)) {
        /* Not placed, so not acknowledged: the peer sends it again. */
        qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: conn %u: receive buffer"
                      " 0x%" PRIx64 " unwritable\n", toe_conn_id(o, c),
                      c->rcv_buf);
        return 0;
    }
    /* Before the engine acknowledges any of it: see toe_hw.h. */
    c->ev_rcv_nxt = seq + len;
    toe_status_put(o, c, offsetof(struct toe_conn_status, rcv_placed),
                   c->ev_rcv_nxt);
    toe_ev_pend(o, c, TOE_PEND_RECV);
    return len;
}

static void toe_eng_acked(void *opaque, uint64_t handle, uint32_t snd_una)
{
    TOEOffload *o = opaque;
    TOEConn *c = toe_slot_of(o, handle);

    if (c) {
        c->ev_snd_una = snd_una;
        toe_ev_pend(o, c, TOE_PEND_ACKED);
    }
}

static uint32_t toe_close_status(int error)
{
    switch (error) {
    case -ETIMEDOUT:
        return TOE_STS_TIMEDOUT;
    case -EIO:
        return TOE_STS_IO;
    default:
        return TOE_STS_RESET;
    }
}

static void toe_eng_event(void *opaque, uint64_t handle,
                          const struct toe_engine_event *ev)
{
    TOEOffload *o = opaque;
    TOEConn *c = toe_slot_of(o, handle);

    if (!c || c->phase != TOE_SLOT_OFFLOADED) {
        return;
    }
    switch (ev->type) {
    case TOE_ENG_EV_PEER_FIN:
        /* Before the engine acknowledges the FIN: see toe_hw.h. */
        c->st_flags |= TOE_ST_FIN_RCVD;
        toe_status_put(o, c, offsetof(struct toe_conn_status, flags),
                       c->st_flags);
        /* fall through */
    case TOE_ENG_EV_STATE:
        c->ev_state = ev->state;
        toe_ev_pend(o, c, TOE_PEND_STATE);
        break;
    case TOE_ENG_EV_PEER_RST:
        c->ev_close_status = TOE_STS_RESET;
        break;
    case TOE_ENG_EV_ERROR:
        c->ev_close_status = toe_close_status(ev->error);
        break;
    case TOE_ENG_EV_UPLOAD_REQ:
        c->ev_reason = ev->reason;
        toe_ev_pend(o, c, TOE_PEND_UPLOAD_REQ);
        break;
    case TOE_ENG_EV_CLOSED:
        /* The engine let go: frames of the tuple go to the host again. */
        c->phase = TOE_SLOT_CLOSING;
        toe_unmap(o, c);
        c->ev_state = TOE_TCP_CLOSE;
        toe_ev_pend(o, c, TOE_PEND_STATE | TOE_PEND_CLOSED);
        break;
    }
}

/* During UPLOAD: the peer's data the engine held, as the peer sent it. */
static void toe_eng_held_pkt(void *opaque, uint64_t handle,
                             const uint8_t *pkt, size_t len)
{
    TOEOffload *o = opaque;
    TOEConn *c = toe_slot_of(o, handle);
    g_autofree uint8_t *frame = NULL;

    if (!c) {
        return;
    }
    frame = g_malloc(ETH_HLEN_TOE + len);
    memcpy(frame, o->s->conf.macaddr.a, 6);
    memcpy(frame + 6, c->peer_mac, 6);
    stw_be_p(frame + 12, c->tuple.family == 4 ? ETHERTYPE_IPV4 :
             ETHERTYPE_IPV6);
    memcpy(frame + ETH_HLEN_TOE, pkt, len);
    toe_hold(o->s, c, frame, ETH_HLEN_TOE + len);
}

static const struct toe_engine_ops toe_eng_ops = {
    .xmit = toe_eng_xmit,
    .read_send = toe_eng_read_send,
    .deliver = toe_eng_deliver,
    .acked = toe_eng_acked,
    .event = toe_eng_event,
    .held_pkt = toe_eng_held_pkt,
};

/*
 * Events
 */

/*
 * Write @c's figures to the host's struct toe_conn_status: seq odd, the
 * fields, seq even, each write ordered after the one before (the DMA API
 * orders them).
 */
static void toe_status_write(TOEOffload *o, TOEConn *c)
{
    PCIDevice *pd = PCI_DEVICE(o->s);
    struct toe_engine_conn_info info;
    struct toe_conn_status st = { 0 };
    uint64_t now_us = toe_now_us();
    uint32_t seq;

    c->status_dirty = false;
    if (!c->status_addr || toe_engine_conn_info(o->eng, c->eid, &info)) {
        return;
    }
    st.state = info.state;
    st.ca_state = info.ca_state;
    st.mss = cpu_to_le16(info.mss);
    st.snd_una = cpu_to_le32(info.snd_una);
    st.snd_nxt = cpu_to_le32(info.snd_nxt);
    st.snd_wnd = cpu_to_le32(info.snd_wnd);
    st.rcv_nxt = cpu_to_le32(info.rcv_nxt);
    st.rcv_wnd = cpu_to_le32(info.rcv_wnd);
    st.srtt_us = cpu_to_le32(info.srtt_us);
    st.rttvar_us = cpu_to_le32(info.rttvar_us);
    st.rto_us = cpu_to_le32(info.rto_us);
    st.snd_cwnd = cpu_to_le32(info.cwnd);
    st.snd_ssthresh = cpu_to_le32(info.ssthresh);
    st.retrans_out = cpu_to_le32(info.retrans_out);
    st.sacked_out = cpu_to_le32(info.sacked_out);
    st.lost_out = cpu_to_le32(info.lost_out);
    st.bytes_acked = cpu_to_le64(info.bytes_acked);
    st.bytes_received = cpu_to_le64(info.bytes_received);
    st.retrans_segs = cpu_to_le64(info.retrans_segs);
    st.rcv_placed = cpu_to_le32(c->ev_rcv_nxt);
    st.flags = cpu_to_le32(c->st_flags);
    if (info.ts_ok) {
        /* TOE_REG_CLOCK_MS reads the same clock. */
        st.ts_val = cpu_to_le32(info.ts_base +
                                (uint32_t)((now_us - info.ts_base_us) / 1000));
        st.ts_clock_ms = cpu_to_le32((uint32_t)(now_us / 1000));
        st.ts_recent = cpu_to_le32(info.ts_recent);
    }

    seq = cpu_to_le32(++c->status_seq);
    pci_dma_write(pd, c->status_addr, &seq, sizeof(seq));
    st.seq = cpu_to_le32(++c->status_seq);
    pci_dma_write(pd, c->status_addr + sizeof(seq), (uint8_t *)&st +
                  sizeof(seq), sizeof(st) - sizeof(seq));
    pci_dma_write(pd, c->status_addr, &st.seq, sizeof(st.seq));
}

static bool toe_ev_post_one(TOEOffload *o, TOEConn *c, uint16_t type,
                            uint32_t status, uint16_t reason, uint32_t value)
{
    struct toe_evt evt = {
        .type = cpu_to_le16(type),
        .handle = cpu_to_le64(c->handle),
        .conn_id = cpu_to_le32(toe_conn_id(o, c)),
        .status = cpu_to_le32(status),
        .reason = cpu_to_le16(reason),
        .value = cpu_to_le32(value),
    };

    return toe_evt_post(o->s, &evt);
}

/* Post one pending event of @c; false when the ring has no room. */
static bool toe_ev_post_next(TOEOffload *o, TOEConn *c)
{
    static const struct {
        uint32_t bit;
        uint16_t type;
    } order[] = {
        { TOE_PEND_ACKED, TOE_EVT_ACKED },
        { TOE_PEND_RECV, TOE_EVT_RECV },
        { TOE_PEND_STATE, TOE_EVT_STATE },
        { TOE_PEND_UPLOAD_REQ, TOE_EVT_UPLOAD_REQ },
        { TOE_PEND_CLOSED, TOE_EVT_CLOSED },
    };
    uint32_t value = 0, status = TOE_STS_OK;
    uint16_t reason = TOE_UPLOAD_NONE;
    unsigned i;

    for (i = 0; !(c->pending & order[i].bit); i++) {
        /* c->pending is not 0 here */
    }
    if (c->status_dirty && c->phase == TOE_SLOT_OFFLOADED) {
        toe_status_write(o, c);     /* the figures before the news */
    }
    switch (order[i].bit) {
    case TOE_PEND_ACKED:
        value = c->ev_snd_una;
        break;
    case TOE_PEND_RECV:
        value = c->ev_rcv_nxt;
        break;
    case TOE_PEND_STATE:
        value = c->ev_state;
        break;
    case TOE_PEND_UPLOAD_REQ:
        reason = c->ev_reason;
        break;
    case TOE_PEND_CLOSED:
        status = c->ev_close_status;
        break;
    }
    if (!toe_ev_post_one(o, c, order[i].type, status, reason, value)) {
        return false;
    }
    c->pending &= ~order[i].bit;
    return true;
}

/*
 * Post what is pending while the event ring has room; the rest waits for
 * the host to post event slots (toe_offload_kick()).
 */
static void toe_ev_flush(TOEOffload *o)
{
    TOEPCIState *s = o->s;
    TOERing *er = &s->ring[TOE_RING_EVT];
    bool posted = false;
    TOEConn *c;

    if (s->hung) {
        return;
    }
    while ((c = QTAILQ_FIRST(&o->ev_queue)) &&
           toe_ring_runnable(s, TOE_RING_EVT) && er->head != er->tail) {
        if (!toe_ev_post_next(o, c)) {
            break;
        }
        posted = true;
        if (!c->pending) {
            QTAILQ_REMOVE(&o->ev_queue, c, ev_link);
            if (c->phase == TOE_SLOT_CLOSING) {
                toe_slot_free(o, c);
            }
        }
    }
    if (posted) {
        toe_intr_raise(s, TOE_INTR_EVT);
    }
}

static void toe_ev_bh(void *opaque)
{
    toe_ev_flush(opaque);
}

static void toe_tx_bh(void *opaque)
{
    TOEOffload *o = opaque;
    TOEConn *c;

    if (o->s->hung) {
        return;
    }
    /* Who was cut short first, then new SENDs: one burst each a turn. */
    toe_engine_tx_resume(o->eng, toe_now_us());
    while ((c = QTAILQ_FIRST(&o->tx_queue))) {
        toe_send_flush(o, c);
    }
    toe_timer_update(o);
}

/*
 * Receive
 */

/*
 * Hand released frames to the L2 RX ring while it has room. True when
 * every RELEASING slot is empty (and freed).
 */
static bool toe_release(TOEOffload *o)
{
    uint32_t i;

    if (!o->releasing) {
        return true;
    }
    for (i = 0; i < o->s->conn_capacity; i++) {
        TOEConn *c = &o->slots[i];
        GByteArray *f;

        if (c->phase != TOE_SLOT_RELEASING) {
            continue;
        }
        while ((f = g_queue_peek_head(&c->held))) {
            if (!toe_l2_deliver(o->s, f->data, f->len)) {
                return false;       /* no room: wait for RX buffers */
            }
            g_queue_pop_head(&c->held);
            g_byte_array_unref(f);
        }
        toe_slot_free(o, c);
    }
    o->releasing = false;
    return true;
}

bool toe_offload_rx(TOEPCIState *s, const uint8_t *buf, size_t size)
{
    TOEOffload *o = s->offload;
    struct toe_tuple t;
    uint16_t type;
    TOEConn *c;

    if (!g_hash_table_size(o->by_tuple) || size < ETH_HLEN_TOE) {
        return false;
    }
    type = lduw_be_p(buf + 12);
    if ((type != ETHERTYPE_IPV4 && type != ETHERTYPE_IPV6) ||
        !toe_ip_tuple(buf + ETH_HLEN_TOE, size - ETH_HLEN_TOE, false, &t)) {
        return false;
    }
    c = toe_lookup(o, &t);
    if (!c) {
        return false;
    }
    if (o->s->hung) {
        return true;    /* the offload processor takes nothing in */
    }
    switch (c->phase) {
    case TOE_SLOT_OFFLOADED:
        s->stats.eng_rx_frames++;
        toe_engine_input(o->eng, buf + ETH_HLEN_TOE, size - ETH_HLEN_TOE,
                         toe_now_us());
        toe_timer_update(o);
        return true;
    case TOE_SLOT_DIVERTED:
    case TOE_SLOT_RELEASING:
        /* Behind what is held, so the host sees the peer's order. */
        toe_hold(s, c, buf, size);
        if (c->phase == TOE_SLOT_RELEASING) {
            toe_release(o);
        }
        return true;
    default:
        return false;
    }
}

/* The hang ended without a reset: the engine's timers run again. */
void toe_offload_resume(TOEPCIState *s)
{
    toe_timer_update(s->offload);
    toe_offload_kick(s);
}

void toe_offload_kick(TOEPCIState *s)
{
    toe_release(s->offload);
    toe_ev_flush(s->offload);
}

/*
 * Commands
 */

static bool toe_tuple_valid(const struct toe_tuple *t)
{
    static const uint8_t zero[12];

    if (t->family != 4 && t->family != 6) {
        return false;
    }
    if (t->reserved[0] || t->reserved[1] || t->reserved[2] ||
        !t->local_port || !t->remote_port) {
        return false;
    }
    /* IPv4 addresses leave the rest of the 16 bytes zero. */
    return t->family == 6 || (!memcmp(t->local_addr + 4, zero, 12) &&
                              !memcmp(t->remote_addr + 4, zero, 12));
}

static enum toe_status toe_cmd_divert(TOEOffload *o, uint64_t handle,
                                      uint64_t addr, uint32_t len,
                                      uint32_t *conn_id)
{
    struct toe_tuple t;
    TOEConn *c = NULL;
    uint32_t i;

    if (len != sizeof(t)) {
        return TOE_STS_INVAL;
    }
    if (pci_dma_read(PCI_DEVICE(o->s), addr, &t, sizeof(t)) != MEMTX_OK) {
        return TOE_STS_FAULT;
    }
    if (!toe_tuple_valid(&t)) {
        qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: DIVERT: bad tuple\n");
        return TOE_STS_INVAL;
    }
    if (toe_lookup(o, &t)) {
        return TOE_STS_BUSY;
    }
    for (i = 0; i < o->s->conn_capacity; i++) {
        if (o->slots[i].phase == TOE_SLOT_FREE) {
            c = &o->slots[i];
            break;
        }
    }
    if (!c) {
        return TOE_STS_NOSPC;
    }
    memset(c, 0, sizeof(*c));
    g_queue_init(&c->held);
    c->phase = TOE_SLOT_DIVERTED;
    c->handle = handle;
    c->tuple = t;
    c->eid = -1;
    g_hash_table_insert(o->by_tuple, &c->tuple, GUINT_TO_POINTER(i + 1));
    *conn_id = i;
    return TOE_STS_OK;
}

static bool toe_buf_valid(uint64_t addr, uint32_t size)
{
    return size >= TOE_BUF_MIN_SIZE && size <= TOE_BUF_MAX_SIZE &&
           !(size & (size - 1)) && toe_dma_range_ok(addr, size);
}

/*
 * Does the send buffer, its byte 0 being sequence @base, hold the data
 * bytes [snd_una, write_seq) (the FIN is not in it) without wrapping?
 */
static bool toe_send_span_ok(const struct toe_conn_state *st, uint32_t base,
                             uint32_t size)
{
    uint32_t una = le32_to_cpu(st->snd_una), wseq = le32_to_cpu(st->write_seq);
    bool fin = le32_to_cpu(st->flags) & TOE_CS_FIN_SENT;
    uint32_t end = wseq - (fin && wseq != una);

    return una - base <= end - base && end - base <= size;
}

static bool toe_state_tuple_is(const struct toe_conn_state *st,
                               const struct toe_tuple *t)
{
    return st->family == t->family && st->local_port == t->local_port &&
           st->remote_port == t->remote_port &&
           !memcmp(st->local_addr, t->local_addr, 16) &&
           !memcmp(st->remote_addr, t->remote_addr, 16);
}

/* Feed the engine what arrived while the slot was diverted. */
static void toe_feed_held(TOEOffload *o, TOEConn *c)
{
    GByteArray *f;

    while (c->phase == TOE_SLOT_OFFLOADED &&
           (f = g_queue_pop_head(&c->held))) {
        toe_engine_input(o->eng, f->data + ETH_HLEN_TOE,
                         f->len - ETH_HLEN_TOE, toe_now_us());
        g_byte_array_unref(f);
    }
    toe_held_clear(c);
}

static enum toe_status toe_cmd_offload(TOEOffload *o, TOEConn *c,
                                       uint64_t addr, uint32_t len)
{
    struct toe_offload_req req;
    uint32_t snd_size, rcv_size, space, i;
    int eid;

    if (c->phase != TOE_SLOT_DIVERTED) {
        return TOE_STS_BUSY;
    }
    if (len != sizeof(req)) {
        return TOE_STS_INVAL;
    }
    if (pci_dma_read(PCI_DEVICE(o->s), addr, &req, sizeof(req)) !=
        MEMTX_OK) {
        return TOE_STS_FAULT;
    }
    if (!toe_state_tuple_is(&req.state, &c->tuple)) {
        qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: OFFLOAD: state is not"
                      " the diverted tuple's\n");
        return TOE_STS_BUSY;
    }
    snd_size = le32_to_cpu(req.snd_buf_size);
    rcv_size = le32_to_cpu(req.rcv_buf_size);
    space = le32_to_cpu(req.rcv_space);
    for (i = 0; i < ARRAY_SIZE(req.reserved); i++) {
        if (req.reserved[i]) {
            return TOE_STS_INVAL;
        }
    }
    if (req.reserved0 ||
        (le64_to_cpu(req.status_addr) &&
         (le64_to_cpu(req.status_addr) & 7 ||
          !toe_dma_range_ok(le64_to_cpu(req.status_addr),
                            sizeof(struct toe_conn_status)))) ||
        !toe_buf_valid(le64_to_cpu(req.snd_buf), snd_size) ||
        !toe_buf_valid(le64_to_cpu(req.rcv_buf), rcv_size) ||
        space > rcv_size ||
        !toe_send_span_ok(&req.state, le32_to_cpu(req.snd_base), snd_size)) {
        qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: OFFLOAD: buffers refused\n");
        return TOE_STS_INVAL;
    }
    c->snd_buf = le64_to_cpu(req.snd_buf);
    c->rcv_buf = le64_to_cpu(req.rcv_buf);
    c->snd_size = snd_size;
    c->rcv_size = rcv_size;
    c->snd_base = le32_to_cpu(req.snd_base);
    c->rcv_base = le32_to_cpu(req.rcv_base);
    c->status_addr = le64_to_cpu(req.status_addr);
    c->status_seq = 0;
    /* The host wrote these into the status block (toe_hw.h). */
    c->ev_rcv_nxt = le32_to_cpu(req.state.rcv_nxt);
    c->st_flags = le32_to_cpu(req.state.flags) & TOE_CS_TSTAMP_OK ?
                  TOE_ST_TS_OK : 0;
    memcpy(c->peer_mac, req.peer_mac, 6);
    c->ev_close_status = TOE_STS_OK;

    /* The engine may send at once: the slot is the engine's first. */
    c->phase = TOE_SLOT_OFFLOADED;
    eid = toe_engine_adopt(o->eng, &req.state, toe_conn_id(o, c), space,
                           toe_now_us());
    if (eid < 0) {
        c->phase = TOE_SLOT_DIVERTED;
        qemu_log_mask(LOG_GUEST_ERROR, "toe-pci: OFFLOAD: engine refused"
                      " the state (%d)\n", eid);
        return eid == -ENOSPC ? TOE_STS_NOSPC : TOE_STS_INVAL;
    }
    c->eid = eid;
    o->s->stats.offloads++;
    toe_feed_held(o, c);
    toe_timer_update(o);
    return TOE_STS_OK;
}

static enum toe_status toe_cmd_upload(TOEOffload *o, TOEConn *c,
                                      uint64_t addr, uint32_t len)
{
    struct toe_conn_state st;
    struct toe_engine_upload res;

    if (c->phase != TOE_SLOT_OFFLOADED) {
        return TOE_STS_BUSY;
    }
    if (len != sizeof(st)) {
        return TOE_STS_INVAL;
    }
    toe_send_flush(o, c);
    toe_status_write(o, c);
    if (toe_engine_upload(o->eng, c->eid, &st, &res, toe_now_us())) {
        return TOE_STS_NOENT;
    }
    /* The state supersedes what events were still to say. */
    toe_ev_drop(o, c);
    c->phase = TOE_SLOT_DIVERTED;
    c->eid = -1;
    o->s->stats.uploads++;
    toe_timer_update(o);
    if (pci_dma_write(PCI_DEVICE(o->s), addr, &st, sizeof(st)) != MEMTX_OK) {
        return TOE_STS_FAULT;
    }
    return TOE_STS_OK;
}

static enum toe_status toe_cmd_conn(TOEOffload *o, TOEConn *c,
                                    uint16_t opcode, uint64_t arg)
{
    struct toe_engine_conn_info info;
    int ret = 0;

    if (opcode == TOE_CMD_UNDIVERT) {
        if (c->phase != TOE_SLOT_DIVERTED) {
            return TOE_STS_BUSY;
        }
        c->phase = TOE_SLOT_RELEASING;
        o->releasing = true;
        toe_release(o);
        return TOE_STS_OK;
    }
    if (opcode == TOE_CMD_ABORT && c->phase == TOE_SLOT_DIVERTED) {
        toe_slot_free(o, c);
        return TOE_STS_OK;
    }
    if (c->phase != TOE_SLOT_OFFLOADED) {
        return TOE_STS_BUSY;
    }
    if (opcode != TOE_CMD_SEND) {
        toe_send_flush(o, c);   /* what the host sent comes first */
    }
    switch (opcode) {
    case TOE_CMD_SEND:
        /*
         * The checks the engine would make, now: not behind the last
         * one, the buffer holds [snd_una, write_seq) (no more than its
         * size), and no FIN queued yet.
         */
        if (toe_engine_conn_info(o->eng, c->eid, &info)) {
            return TOE_STS_NOENT;
        }
        if (info.state != TOE_TCP_ESTABLISHED &&
            info.state != TOE_TCP_CLOSE_WAIT) {
            return TOE_STS_BUSY;
        }
        if ((int32_t)((uint32_t)arg - (c->send_pending ? c->send_to :
                                       info.write_seq)) < 0 ||
            (uint32_t)arg - info.snd_una > c->snd_size) {
            return TOE_STS_INVAL;
        }
        c->send_to = arg;
        if (!c->send_pending) {
            c->send_pending = true;
            QTAILQ_INSERT_TAIL(&o->tx_queue, c, tx_link);
            qemu_bh_schedule(o->tx_bh);
        }
        return TOE_STS_OK;
    case TOE_CMD_RECV_FREED:
        ret = arg > c->rcv_size ? -EINVAL :
              toe_engine_recv_freed(o->eng, c->eid, (uint32_t)arg,
                                    toe_now_us());
        break;
    case TOE_CMD_SHUTDOWN:
        ret = toe_engine_shutdown(o->eng, c->eid, toe_now_us());
        break;
    case TOE_CMD_ABORT:
        ret = toe_engine_abort(o->eng, c->eid, toe_now_us());
        if (!ret) {
            toe_slot_free(o, c);
        }
        break;
    case TOE_CMD_SET_OPTS:
        /* Keepalive first: it checks its values, so a refusal sets none. */
        ret = toe_engine_set_keepalive(o->eng, c->eid,
                                       arg & TOE_OPTS_KEEPALIVE,
                                       TOE_OPTS_GET_KA_TIME(arg),
                                       TOE_OPTS_GET_KA_INTVL(arg),
                                       TOE_OPTS_GET_KA_PROBES(arg),
                                       toe_now_us());
        if (!ret) {
            ret = toe_engine_set_nodelay(o->eng, c->eid,
                                         arg & TOE_OPTS_NODELAY, toe_now_us());
        }
        break;
    default:
        return TOE_STS_OPNOTSUPP;
    }
    toe_timer_update(o);
    switch (ret) {
    case 0:
        return TOE_STS_OK;
    case -EPIPE:
    case -ENOTCONN:
        return TOE_STS_BUSY;
    case -ENOENT:
        return TOE_STS_NOENT;
    default:
        return TOE_STS_INVAL;
    }
}

/*
 * The device asks for an offloaded connection back with @reason, as it
 * would on its own (the "request-upload" property: tests, management).
 */
void toe_offload_request_upload(TOEPCIState *s, uint32_t conn_id,
                                uint32_t reason, Error **errp)
{
    TOEOffload *o = s->offload;
    TOEConn *c = toe_slot(o, conn_id);

    if (!c || c->phase != TOE_SLOT_OFFLOADED) {
        error_setg(errp, "toe-pci: connection %u is not offloaded", conn_id);
        return;
    }
    if (toe_engine_request_upload(o->eng, c->eid, reason)) {
        error_setg(errp, "toe-pci: upload reason %u is not 1..%u", reason,
                   TOE_UPLOAD_REQUESTED);
    }
}

enum toe_status toe_offload_cmd(TOEPCIState *s, const struct toe_cmd *cmd,
                                uint32_t *conn_id)
{
    TOEOffload *o = s->offload;
    uint16_t opcode = le16_to_cpu(cmd->opcode);
    uint32_t len = le32_to_cpu(cmd->payload_len);
    uint64_t addr = le64_to_cpu(cmd->payload_addr);
    TOEConn *c;

    if (opcode == TOE_CMD_DIVERT) {
        return toe_cmd_divert(o, le64_to_cpu(cmd->handle), addr, len,
                              conn_id);
    }
    c = toe_slot(o, *conn_id);
    if (!c || c->phase == TOE_SLOT_CLOSING ||
        c->phase == TOE_SLOT_RELEASING) {
        return TOE_STS_NOENT;
    }
    /*
     * A slot is given again after its connection closed: a command that
     * names it with another handle is about the connection it had before,
     * and must not reach the one it has now.
     */
    if (c->handle != le64_to_cpu(cmd->handle)) {
        trace_toe_cmd_stale(*conn_id, le64_to_cpu(cmd->handle), c->handle);
        return TOE_STS_NOENT;
    }
    switch (opcode) {
    case TOE_CMD_OFFLOAD:
        return toe_cmd_offload(o, c, addr, len);
    case TOE_CMD_UPLOAD:
        return toe_cmd_upload(o, c, addr, len);
    default:
        if (len) {
            return TOE_STS_INVAL;
        }
        return toe_cmd_conn(o, c, opcode, le64_to_cpu(cmd->arg));
    }
}

/*
 * Life cycle
 */

static struct toe_engine *toe_engine_create(TOEOffload *o)
{
    struct toe_engine_config cfg;

    toe_engine_config_default(&cfg, o->s->conn_capacity);
    cfg.mem_budget = o->s->mem_budget;
    cfg.tx_burst = o->s->tx_burst;
    return toe_engine_new(&cfg, &toe_eng_ops, o);
}

void toe_offload_init(TOEPCIState *s, Error **errp)
{
    TOEOffload *o = g_new0(TOEOffload, 1);

    o->s = s;
    o->eng = toe_engine_create(o);
    if (!o->eng) {
        error_setg(errp, "the TCP engine cannot hold %u connections",
                   s->conn_capacity);
        g_free(o);
        return;
    }
    o->slots = g_new0(TOEConn, s->conn_capacity);
    o->by_tuple = g_hash_table_new(toe_tuple_hash, toe_tuple_equal);
    QTAILQ_INIT(&o->ev_queue);
    o->ev_bh = qemu_bh_new(toe_ev_bh, o);
    QTAILQ_INIT(&o->tx_queue);
    o->tx_bh = qemu_bh_new(toe_tx_bh, o);
    o->timer = timer_new_us(QEMU_CLOCK_VIRTUAL, toe_timer_cb, o);
    o->txbuf = g_malloc(ETH_HLEN_TOE + TOE_ENGINE_MAX_PKT);
    s->offload = o;
}

bool toe_offload_busy(TOEPCIState *s)
{
    return s->offload && g_hash_table_size(s->offload->by_tuple);
}

/* Every slot freed, the engine emptied, with nothing said on the wire. */
void toe_offload_reset(TOEPCIState *s)
{
    TOEOffload *o = s->offload;
    uint32_t i;

    if (!o) {
        return;
    }
    for (i = 0; i < s->conn_capacity; i++) {
        if (o->slots[i].phase != TOE_SLOT_FREE) {
            toe_slot_free(o, &o->slots[i]);
        }
    }
    o->releasing = false;
    toe_engine_free(o->eng);
    o->eng = toe_engine_create(o);
    g_assert(o->eng);   /* the same config was accepted at realize */
    timer_del(o->timer);
}

void toe_offload_fini(TOEPCIState *s)
{
    TOEOffload *o = s->offload;

    if (!o) {
        return;
    }
    toe_offload_reset(s);
    toe_engine_free(o->eng);
    timer_free(o->timer);
    qemu_bh_delete(o->ev_bh);
    qemu_bh_delete(o->tx_bh);
    g_hash_table_destroy(o->by_tuple);
    g_free(o->slots);
    g_free(o->txbuf);
    g_free(o);
    s->offload = NULL;
}
