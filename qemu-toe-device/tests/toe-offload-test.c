/*
 * QTest testcase for toe-pci's connection offload: the test is both the
 * driver (commands, events, the send and receive buffers in guest
 * memory) and the peer (TCP segments through the socket netdev), and
 * checks what each side sees as a connection is diverted, offloaded,
 * runs on the device's engine and comes back.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include <poll.h>
#include "qapi/qmp/qdict.h"
#include "toe-qtest.h"

#define SND_BUF      0x500000
#define RCV_BUF      0x510000
#define BUF_SIZE     0x4000          /* each of SND_BUF and RCV_BUF */
#define STATE_BUF    0x520000        /* UPLOAD writes the state here */
#define RX_BUFS      0x530000        /* L2 RX buffers, BUF_STRIDE apart */
#define STATUS_BUF   0x528000        /* struct toe_conn_status */
#define HANDLE       0xabc0          /* the host handle of every DIVERT */

#define ISS          1000u           /* our snd_una at offload */
#define IRS          5000u           /* our rcv_nxt at offload */
#define PEER_MAC     "\x02\x00\x00\x00\x00\x01"
#define DEV_MAC      "\x52\x54\x00\x12\x34\x56"
#define LPORT        40000
#define RPORT        5001

/* The driver's side of the rings, and the peer's view of the stream. */
typedef struct Off {
    TOETest t;
    int family;
    uint32_t cmd_idx, evt_idx;
    uint32_t rx_posted;
    uint32_t peer_seq;      /* next sequence the peer sends */
} Off;

/* A segment as the peer saw it on the wire. */
typedef struct Seg {
    uint8_t flags;
    uint32_t seq, ack;
    uint16_t win;
    uint8_t payload[2048];
    size_t len;
} Seg;

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

static void local_addr(int family, uint8_t a[16])
{
    static const uint8_t v6[16] = { 0x20, 0x01, 0, 2, [15] = 2 };
    static const uint8_t v4[4] = { 198, 18, 0, 2 };

    memset(a, 0, 16);
    memcpy(a, family == 4 ? v4 : v6, family == 4 ? 4 : 16);
}

static void remote_addr(int family, uint8_t a[16])
{
    local_addr(family, a);
    a[family == 4 ? 3 : 15] = 1;
}

static void post_rx(Off *o, uint32_t n);

/* A QEMU with the rings set up and @rx L2 RX buffers posted. */
static void off_start(Off *o, int family, uint32_t rx)
{
    memset(o, 0, sizeof(*o));
    o->family = family;
    o->peer_seq = IRS;
    toe_start(&o->t, NULL);
    /*
     * The L2 RX ring, so a frame that reaches the host can be seen: the
     * device takes frames (for the engine too) only while it has one.
     */
    ring_setup(&o->t, TOE_RING_L2_RX, RING_RX, RING_ENTRIES);
    cmd_setup(&o->t, RING_ENTRIES);
    post_rx(o, rx);
}

static void post_rx(Off *o, uint32_t n)
{
    uint32_t i;

    for (i = 0; i < n; i++, o->rx_posted++) {
        put_rx(&o->t, o->rx_posted,
               RX_BUFS + (o->rx_posted % RING_ENTRIES) * BUF_STRIDE,
               TOE_L2_MAX_FRAME);
    }
    wr(&o->t, TOE_REG_RING(TOE_RING_L2_RX, TOE_RING_TAIL), o->rx_posted);
}

static uint32_t rx_head(Off *o)
{
    return rd(&o->t, TOE_REG_RING(TOE_RING_L2_RX, TOE_RING_HEAD));
}

/* Let the main loop run: bottom halves, timers, the socket. */
static void run(Off *o, int64_t ns)
{
    qtest_clock_step(o->t.qts, ns);
}

/*
 * The next event, or false if none comes within a while. Consumed slots
 * are posted again at once.
 */
static bool next_evt(Off *o, struct toe_evt *e)
{
    int i;

    for (i = 0; i < 200; i++) {
        *e = get_evt(&o->t, o->evt_idx);
        if (le16_to_cpu(e->flags) & TOE_DESC_DONE) {
            qtest_memset(o->t.qts,
                         RING_EVT + (o->evt_idx % RING_ENTRIES) * sizeof(*e),
                         0, sizeof(*e));
            o->evt_idx++;
            wr(&o->t, TOE_REG_RING(TOE_RING_EVT, TOE_RING_TAIL),
               o->evt_idx + RING_ENTRIES);
            return true;
        }
        run(o, 100000);
    }
    return false;
}

/* Wait for an event of @type, skipping connection events before it. */
static struct toe_evt wait_evt(Off *o, uint16_t type)
{
    struct toe_evt e;

    while (next_evt(o, &e)) {
        if (le16_to_cpu(e.type) == type) {
            return e;
        }
        g_assert_cmpuint(le16_to_cpu(e.type), !=, TOE_EVT_CMD_DONE);
    }
    g_assert_not_reached();
}

/* Run one command and return its status; *ev gets the completion. */
static uint32_t cmd_handle(Off *o, uint16_t opcode, uint64_t handle,
                           uint32_t conn_id, uint32_t len,
                           uint64_t addr_or_arg, struct toe_evt *ev)
{
    struct toe_cmd c = {
        .opcode = cpu_to_le16(opcode),
        .tag = cpu_to_le32(o->cmd_idx),
        .handle = cpu_to_le64(handle),
        .conn_id = cpu_to_le32(conn_id),
        .payload_len = cpu_to_le32(len),
        .payload_addr = cpu_to_le64(addr_or_arg),
    };
    struct toe_evt e;

    qtest_memwrite(o->t.qts, RING_CMD + (o->cmd_idx % RING_ENTRIES) *
                   sizeof(c), &c, sizeof(c));
    o->cmd_idx++;
    wr(&o->t, TOE_REG_RING(TOE_RING_CMD, TOE_RING_TAIL), o->cmd_idx);
    e = wait_evt(o, TOE_EVT_CMD_DONE);
    g_assert_cmpuint(le32_to_cpu(e.tag), ==, o->cmd_idx - 1);
    g_assert_cmphex(le16_to_cpu(e.opcode), ==, opcode);
    if (ev) {
        *ev = e;
    }
    return le32_to_cpu(e.status);
}

/* cmd_handle() with the handle every connection here is diverted with. */
static uint32_t cmd(Off *o, uint16_t opcode, uint32_t conn_id, uint32_t len,
                    uint64_t addr_or_arg, struct toe_evt *ev)
{
    return cmd_handle(o, opcode, HANDLE, conn_id, len, addr_or_arg, ev);
}

static void make_tuple(Off *o, struct toe_tuple *tp)
{
    memset(tp, 0, sizeof(*tp));
    tp->family = o->family;
    tp->local_port = cpu_to_be16(LPORT);
    tp->remote_port = cpu_to_be16(RPORT);
    local_addr(o->family, tp->local_addr);
    remote_addr(o->family, tp->remote_addr);
}

/* DIVERT the test's tuple; returns the slot. */
static uint32_t divert(Off *o)
{
    struct toe_tuple tp;
    struct toe_evt e;

    make_tuple(o, &tp);
    qtest_memwrite(o->t.qts, PAYLOAD, &tp, sizeof(tp));
    g_assert_cmpuint(cmd(o, TOE_CMD_DIVERT, TOE_CONN_NONE, sizeof(tp),
                         PAYLOAD, &e), ==, TOE_STS_OK);
    g_assert_cmpuint(le32_to_cpu(e.conn_id), ==, le32_to_cpu(e.value));
    return le32_to_cpu(e.conn_id);
}

/* An ESTABLISHED connection, nothing in flight, no options. */
static void make_req(Off *o, struct toe_offload_req *req)
{
    struct toe_conn_state *st = &req->state;

    memset(req, 0, sizeof(*req));
    st->version = cpu_to_le16(TOE_CONN_STATE_VERSION);
    st->size = cpu_to_le16(sizeof(*st));
    st->family = o->family;
    st->state = TOE_TCP_ESTABLISHED;
    local_addr(o->family, st->local_addr);
    remote_addr(o->family, st->remote_addr);
    st->local_port = cpu_to_be16(LPORT);
    st->remote_port = cpu_to_be16(RPORT);
    st->snd_una = cpu_to_le32(ISS);
    st->snd_nxt = cpu_to_le32(ISS);
    st->write_seq = cpu_to_le32(ISS);
    st->snd_wl1 = cpu_to_le32(IRS);
    st->snd_wnd = cpu_to_le32(60000);
    st->max_window = cpu_to_le32(60000);
    st->mss = cpu_to_le16(1400);
    st->adv_mss = cpu_to_le16(1400);
    st->rcv_nxt = cpu_to_le32(IRS);
    st->copied_seq = cpu_to_le32(IRS);
    st->rcv_wnd = cpu_to_le32(BUF_SIZE);
    st->rcv_wup = cpu_to_le32(IRS);
    st->srtt_us = cpu_to_le32(1000);
    st->rttvar_us = cpu_to_le32(500);
    st->rto_us = cpu_to_le32(200000);
    st->snd_cwnd = cpu_to_le32(10);
    st->snd_ssthresh = cpu_to_le32(0x7fffffff);
    st->cong_algo = TOE_CC_RENO;
    memcpy(req->peer_mac, PEER_MAC, 6);
    req->snd_buf = cpu_to_le64(SND_BUF);
    req->rcv_buf = cpu_to_le64(RCV_BUF);
    req->snd_buf_size = cpu_to_le32(BUF_SIZE);
    req->rcv_buf_size = cpu_to_le32(BUF_SIZE);
    req->rcv_space = cpu_to_le32(BUF_SIZE);
    req->snd_base = cpu_to_le32(ISS);
    req->rcv_base = cpu_to_le32(IRS);
}

static uint32_t offload_req(Off *o, uint32_t id,
                            const struct toe_offload_req *req)
{
    qtest_memwrite(o->t.qts, PAYLOAD, req, sizeof(*req));
    return cmd(o, TOE_CMD_OFFLOAD, id, sizeof(*req), PAYLOAD, NULL);
}

static uint32_t offload(Off *o, uint32_t id)
{
    struct toe_offload_req req;

    make_req(o, &req);
    return offload_req(o, id, &req);
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    for (; len > 1; p += 2, len -= 2) {
        sum += lduw_be_p(p);
    }
    if (len) {
        sum += p[0] << 8;
    }
    return sum;
}

/* The TCP checksum over the pseudo-header; 0 for a correct segment. */
static uint16_t tcp_sum(int family, const uint8_t *src, const uint8_t *dst,
                        const uint8_t *tcp, size_t len)
{
    size_t alen = family == 4 ? 4 : 16;
    uint32_t sum = 0;

    sum = csum_add(sum, src, alen);
    sum = csum_add(sum, dst, alen);
    sum += 6 + len;
    return csum_fold(csum_add(sum, tcp, len));
}

/* The peer sends a segment with @len bytes of data at its next seq. */
static size_t build_seg(Off *o, uint8_t *f, uint8_t flags, uint32_t ack,
                        const uint8_t *data, size_t len)
{
    uint8_t src[16], dst[16], *ip = f + 14, *tcp;
    size_t iplen = o->family == 4 ? 20 : 40;

    remote_addr(o->family, src);
    local_addr(o->family, dst);
    memcpy(f, DEV_MAC, 6);
    memcpy(f + 6, PEER_MAC, 6);
    stw_be_p(f + 12, o->family == 4 ? 0x0800 : 0x86dd);
    memset(ip, 0, iplen + 20);
    if (o->family == 4) {
        ip[0] = 0x45;
        stw_be_p(ip + 2, 20 + 20 + len);
        stw_be_p(ip + 6, 0x4000);       /* DF */
        ip[8] = 64;
        ip[9] = 6;
        memcpy(ip + 12, src, 4);
        memcpy(ip + 16, dst, 4);
        stw_be_p(ip + 10, csum_fold(csum_add(0, ip, 20)));
    } else {
        ip[0] = 0x60;
        stw_be_p(ip + 4, 20 + len);
        ip[6] = 6;
        ip[7] = 64;
        memcpy(ip + 8, src, 16);
        memcpy(ip + 24, dst, 16);
    }
    tcp = ip + iplen;
    stw_be_p(tcp, RPORT);
    stw_be_p(tcp + 2, LPORT);
    stl_be_p(tcp + 4, o->peer_seq);
    stl_be_p(tcp + 8, ack);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    stw_be_p(tcp + 14, 65535);
    memcpy(tcp + 20, data, len);
    stw_be_p(tcp + 16, tcp_sum(o->family, src, dst, tcp, 20 + len));
    o->peer_seq += len + !!(flags & (TH_SYN | TH_FIN));
    return 14 + iplen + 20 + len;
}

static size_t peer_send(Off *o, uint8_t flags, uint32_t ack,
                        const uint8_t *data, size_t len, uint8_t *frame)
{
    size_t n = build_seg(o, frame, flags, ack, data, len);

    sock_send_frame(&o->t, frame, n);
    return n;
}

/* Parse what the device sent: our tuple, checksums right. */
static void parse_seg(Off *o, const uint8_t *f, size_t n, Seg *s)
{
    uint8_t src[16], dst[16];
    const uint8_t *ip = f + 14, *tcp;
    size_t iplen = o->family == 4 ? 20 : 40, alen = o->family == 4 ? 4 : 16;
    size_t tlen, hlen;

    local_addr(o->family, src);
    remote_addr(o->family, dst);
    g_assert_cmpuint(n, >=, 14 + iplen + 20);
    g_assert(!memcmp(f, PEER_MAC, 6));
    g_assert(!memcmp(f + 6, DEV_MAC, 6));
    g_assert_cmphex(lduw_be_p(f + 12), ==,
                    o->family == 4 ? 0x0800 : 0x86dd);
    if (o->family == 4) {
        g_assert_cmphex(ip[0], ==, 0x45);
        g_assert_cmpuint(ip[9], ==, 6);
        g_assert_cmphex(csum_fold(csum_add(0, ip, 20)), ==, 0);
        tlen = lduw_be_p(ip + 2) - 20;
        g_assert(!memcmp(ip + 12, src, 4) && !memcmp(ip + 16, dst, 4));
    } else {
        g_assert_cmphex(ip[0] >> 4, ==, 6);
        g_assert_cmpuint(ip[6], ==, 6);
        tlen = lduw_be_p(ip + 4);
        g_assert(!memcmp(ip + 8, src, 16) && !memcmp(ip + 24, dst, 16));
    }
    g_assert_cmpuint(14 + iplen + tlen, <=, n);
    tcp = ip + iplen;
    g_assert_cmphex(tcp_sum(o->family, src, dst, tcp, tlen), ==, 0);
    (void)alen;
    g_assert_cmpuint(lduw_be_p(tcp), ==, LPORT);
    g_assert_cmpuint(lduw_be_p(tcp + 2), ==, RPORT);
    hlen = (tcp[12] >> 4) * 4;
    g_assert_cmpuint(hlen, >=, 20);
    g_assert_cmpuint(hlen, <=, tlen);
    s->seq = ldl_be_p(tcp + 4);
    s->ack = ldl_be_p(tcp + 8);
    s->flags = tcp[13];
    s->win = lduw_be_p(tcp + 14);
    s->len = tlen - hlen;
    g_assert_cmpuint(s->len, <=, sizeof(s->payload));
    memcpy(s->payload, tcp + hlen, s->len);
}

/* The next segment the device sends, letting virtual time run for it. */
static bool peer_recv(Off *o, Seg *s)
{
    uint8_t f[2048];
    int i;

    for (i = 0; i < 400; i++) {
        struct pollfd p = { .fd = o->t.sock[0], .events = POLLIN };

        if (poll(&p, 1, 0) == 1) {
            parse_seg(o, f, sock_recv_frame(&o->t, f, sizeof(f)), s);
            return true;
        }
        run(o, 1000000);    /* 1 ms: the delayed ACK is 40 */
    }
    return false;
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
    size_t i;

    for (i = 0; i < len; i++) {
        p[i] = seed + i * 7;
    }
}

/*
 * The whole life of an offload: a segment arrives while the tuple is
 * diverted and is held; the engine takes it at OFFLOAD, places the data
 * in the receive buffer and acknowledges it; data the driver queues goes
 * out and the peer's ACK comes back as an event; UPLOAD returns the state
 * and holds what arrives next; UNDIVERT hands it to the L2 RX ring.
 */
static void lifecycle(int family)
{
    Off o;
    uint8_t data[300], got[300], frame[2048], rx[2048];
    struct toe_conn_state st;
    struct toe_rx_desc d;
    struct toe_evt e;
    size_t n;
    uint32_t id;
    Seg s;

    off_start(&o, family, 4);
    id = divert(&o);

    /* Held while diverted: the host's ring does not see it. */
    fill(data, 100, 1);
    peer_send(&o, TH_ACK | TH_PSH, ISS, data, 100, frame);
    run(&o, 1000000);
    g_assert_cmpuint(rx_head(&o), ==, 0);

    g_assert_cmpuint(offload(&o, id), ==, TOE_STS_OK);
    e = wait_evt(&o, TOE_EVT_RECV);
    g_assert_cmpuint(le32_to_cpu(e.conn_id), ==, id);
    g_assert_cmphex(le64_to_cpu(e.handle), ==, HANDLE);
    g_assert_cmpuint(le32_to_cpu(e.value), ==, IRS + 100);
    qtest_memread(o.t.qts, RCV_BUF, got, 100);
    g_assert(!memcmp(got, data, 100));
    g_assert(peer_recv(&o, &s));
    g_assert_cmphex(s.flags & (TH_ACK | TH_RST | TH_SYN), ==, TH_ACK);
    g_assert_cmpuint(s.ack, ==, IRS + 100);
    g_assert_cmpuint(s.seq, ==, ISS);
    g_assert_cmpuint(s.len, ==, 0);
    g_assert_cmpuint(rx_head(&o), ==, 0);

    /* Send: the bytes come from the send buffer. */
    fill(data, sizeof(data), 9);
    qtest_memwrite(o.t.qts, SND_BUF, data, sizeof(data));
    g_assert_cmpuint(cmd(&o, TOE_CMD_SEND, id, 0, ISS + sizeof(data), NULL),
                     ==, TOE_STS_OK);
    g_assert(peer_recv(&o, &s));
    g_assert_cmpuint(s.seq, ==, ISS);
    g_assert_cmpuint(s.len, ==, sizeof(data));
    g_assert(!memcmp(s.payload, data, sizeof(data)));
    peer_send(&o, TH_ACK, ISS + sizeof(data), NULL, 0, frame);
    e = wait_evt(&o, TOE_EVT_ACKED);
    g_assert_cmpuint(le32_to_cpu(e.value), ==, ISS + sizeof(data));

    /* The host frees what it read; more than the buffer is refused. */
    g_assert_cmpuint(cmd(&o, TOE_CMD_RECV_FREED, id, 0, 100, NULL), ==,
                     TOE_STS_OK);
    g_assert_cmpuint(cmd(&o, TOE_CMD_RECV_FREED, id, 0, BUF_SIZE + 1, NULL),
                     ==, TOE_STS_INVAL);

    /* Upload: the state is where the connection got to. */
    qtest_memset(o.t.qts, STATE_BUF, 0xee, sizeof(st));
    g_assert_cmpuint(cmd(&o, TOE_CMD_UPLOAD, id, sizeof(st), STATE_BUF,
                         NULL), ==, TOE_STS_OK);
    qtest_memread(o.t.qts, STATE_BUF, &st, sizeof(st));
    g_assert_cmpuint(le16_to_cpu(st.version), ==, TOE_CONN_STATE_VERSION);
    g_assert_cmpuint(st.family, ==, family);
    g_assert_cmpuint(st.state, ==, TOE_TCP_ESTABLISHED);
    g_assert_cmpuint(le32_to_cpu(st.snd_una), ==, ISS + sizeof(data));
    g_assert_cmpuint(le32_to_cpu(st.write_seq), ==, ISS + sizeof(data));
    g_assert_cmpuint(le32_to_cpu(st.rcv_nxt), ==, IRS + 100);

    /* Diverted again: held, not answered, not on the host's ring. */
    fill(data, 50, 3);
    n = peer_send(&o, TH_ACK | TH_PSH, ISS + 300, data, 50, frame);
    g_assert(!peer_recv(&o, &s));
    g_assert_cmpuint(rx_head(&o), ==, 0);
    g_assert_cmpuint(cmd(&o, TOE_CMD_SEND, id, 0, ISS + 400, NULL), ==,
                     TOE_STS_BUSY);

    /* UNDIVERT: the held frame reaches the host as it was sent. */
    g_assert_cmpuint(cmd(&o, TOE_CMD_UNDIVERT, id, 0, 0, NULL), ==,
                     TOE_STS_OK);
    g_assert_cmpuint(rx_head(&o), ==, 1);
    d = get_rx(&o.t, 0);
    g_assert_cmpuint(le16_to_cpu(d.len), ==, n);
    qtest_memread(o.t.qts, RX_BUFS, rx, n);
    g_assert(!memcmp(rx, frame, n));
    /* The slot is gone; later frames go straight to the host. */
    g_assert_cmpuint(cmd(&o, TOE_CMD_UPLOAD, id, sizeof(st), STATE_BUF,
                         NULL), ==, TOE_STS_NOENT);
    peer_send(&o, TH_ACK, ISS + 300, NULL, 0, frame);
    run(&o, 1000000);
    g_assert_cmpuint(rx_head(&o), ==, 2);
    toe_stop(&o.t);
}

static void test_lifecycle_ipv4(void)
{
    lifecycle(4);
}

static void test_lifecycle_ipv6(void)
{
    lifecycle(6);
}

/* DIVERT then UNDIVERT undoes a move: the host sees every frame. */
static void test_divert_undone(void)
{
    Off o;
    uint8_t data[64], frame[2][256];
    size_t n[2];
    uint32_t id;
    int i;

    off_start(&o, 4, 4);
    id = divert(&o);
    for (i = 0; i < 2; i++) {
        fill(data, sizeof(data), i);
        n[i] = peer_send(&o, TH_ACK | TH_PSH, ISS, data, sizeof(data),
                         frame[i]);
    }
    run(&o, 1000000);
    g_assert_cmpuint(rx_head(&o), ==, 0);
    g_assert_cmpuint(cmd(&o, TOE_CMD_UNDIVERT, id, 0, 0, NULL), ==,
                     TOE_STS_OK);
    g_assert_cmpuint(rx_head(&o), ==, 2);
    for (i = 0; i < 2; i++) {
        uint8_t rx[256];

        g_assert_cmpuint(le16_to_cpu(get_rx(&o.t, i).len), ==, n[i]);
        qtest_memread(o.t.qts, RX_BUFS + i * BUF_STRIDE, rx, n[i]);
        g_assert(!memcmp(rx, frame[i], n[i]));
    }
    toe_stop(&o.t);
}

/* With no RX buffer free, released frames wait; nothing is lost. */
static void test_release_waits_for_rx(void)
{
    Off o;
    uint8_t frame[256];
    uint32_t id;
    int i;

    off_start(&o, 4, 1);
    id = divert(&o);
    for (i = 0; i < 3; i++) {
        peer_send(&o, TH_ACK, ISS, NULL, 0, frame);
    }
    run(&o, 1000000);
    g_assert_cmpuint(cmd(&o, TOE_CMD_UNDIVERT, id, 0, 0, NULL), ==,
                     TOE_STS_OK);
    g_assert_cmpuint(rx_head(&o), ==, 1);
    post_rx(&o, 3);
    g_assert_cmpuint(rx_head(&o), ==, 3);
    peer_send(&o, TH_ACK, ISS, NULL, 0, frame);
    run(&o, 1000000);
    g_assert_cmpuint(rx_head(&o), ==, 4);
    toe_stop(&o.t);
}

/* What the driver can get wrong is refused, with the slot unharmed. */
static void test_bad_offload_commands(void)
{
    Off o;
    struct toe_offload_req req;
    struct toe_tuple tp;
    uint8_t frame[256];
    uint32_t id;
    Seg s;

    off_start(&o, 4, 4);
    make_tuple(&o, &tp);
    qtest_memwrite(o.t.qts, PAYLOAD, &tp, sizeof(tp));
    g_assert_cmpuint(cmd(&o, TOE_CMD_DIVERT, TOE_CONN_NONE, sizeof(tp) - 1,
                         PAYLOAD, NULL), ==, TOE_STS_INVAL);
    tp.family = 5;
    qtest_memwrite(o.t.qts, PAYLOAD, &tp, sizeof(tp));
    g_assert_cmpuint(cmd(&o, TOE_CMD_DIVERT, TOE_CONN_NONE, sizeof(tp),
                         PAYLOAD, NULL), ==, TOE_STS_INVAL);
    g_assert_cmpuint(cmd(&o, TOE_CMD_DIVERT, TOE_CONN_NONE, sizeof(tp),
                         NO_MEMORY, NULL), ==, TOE_STS_FAULT);
    id = divert(&o);
    make_tuple(&o, &tp);
    qtest_memwrite(o.t.qts, PAYLOAD, &tp, sizeof(tp));
    g_assert_cmpuint(cmd(&o, TOE_CMD_DIVERT, TOE_CONN_NONE, sizeof(tp),
                         PAYLOAD, NULL), ==, TOE_STS_BUSY);

    /* Ids that are not live slots. */
    g_assert_cmpuint(cmd(&o, TOE_CMD_UPLOAD, id + 1, TOE_CONN_STATE_SIZE,
                         STATE_BUF, NULL), ==, TOE_STS_NOENT);
    g_assert_cmpuint(cmd(&o, TOE_CMD_SEND, 0xfffffff0, 0, ISS, NULL), ==,
                     TOE_STS_NOENT);
    g_assert_cmpuint(cmd(&o, TOE_CMD_ABORT, TOE_CONN_NONE, 0, 0, NULL), ==,
                     TOE_STS_NOENT);

    /* Commands for an offloaded slot, on one that is only diverted. */
    g_assert_cmpuint(cmd(&o, TOE_CMD_SEND, id, 0, ISS, NULL), ==,
                     TOE_STS_BUSY);
    g_assert_cmpuint(cmd(&o, TOE_CMD_UPLOAD, id, TOE_CONN_STATE_SIZE,
                         STATE_BUF, NULL), ==, TOE_STS_BUSY);

    /* OFFLOAD payloads that cannot be taken. */
    make_req(&o, &req);
    qtest_memwrite(o.t.qts, PAYLOAD, &req, sizeof(req));
    g_assert_cmpuint(cmd(&o, TOE_CMD_OFFLOAD, id, sizeof(req) - 4, PAYLOAD,
                         NULL), ==, TOE_STS_INVAL);
    req.snd_buf_size = cpu_to_le32(BUF_SIZE + 1);
    g_assert_cmpuint(offload_req(&o, id, &req), ==, TOE_STS_INVAL);
    make_req(&o, &req);
    req.rcv_buf = cpu_to_le64(UINT64_MAX - 100);
    g_assert_cmpuint(offload_req(&o, id, &req), ==, TOE_STS_INVAL);
    make_req(&o, &req);
    req.rcv_space = cpu_to_le32(BUF_SIZE + 1);
    g_assert_cmpuint(offload_req(&o, id, &req), ==, TOE_STS_INVAL);
    make_req(&o, &req);
    req.state.write_seq = cpu_to_le32(ISS + BUF_SIZE + 1);
    g_assert_cmpuint(offload_req(&o, id, &req), ==, TOE_STS_INVAL);
    make_req(&o, &req);
    req.snd_base = cpu_to_le32(ISS + 1);        /* after snd_una */
    g_assert_cmpuint(offload_req(&o, id, &req), ==, TOE_STS_INVAL);
    make_req(&o, &req);
    req.reserved[2] = 1;
    g_assert_cmpuint(offload_req(&o, id, &req), ==, TOE_STS_INVAL);
    make_req(&o, &req);
    req.state.version = cpu_to_le16(99);        /* the engine refuses */
    g_assert_cmpuint(offload_req(&o, id, &req), ==, TOE_STS_INVAL);
    make_req(&o, &req);
    req.state.remote_port = cpu_to_be16(RPORT + 1);
    g_assert_cmpuint(offload_req(&o, id, &req), ==, TOE_STS_BUSY);

    /* After all that the slot still offloads, and works. */
    g_assert_cmpuint(offload(&o, id), ==, TOE_STS_OK);
    g_assert_cmpuint(offload(&o, id), ==, TOE_STS_BUSY);
    g_assert_cmpuint(cmd(&o, TOE_CMD_UNDIVERT, id, 0, 0, NULL), ==,
                     TOE_STS_BUSY);
    g_assert_cmpuint(cmd(&o, TOE_CMD_SEND, id, 0, ISS + BUF_SIZE + 1,
                         NULL), ==, TOE_STS_INVAL);
    g_assert_cmpuint(cmd(&o, TOE_CMD_SEND, id, 4, ISS + 1, NULL), ==,
                     TOE_STS_INVAL);
    g_assert_cmpuint(cmd(&o, TOE_CMD_UPLOAD, id, 8, STATE_BUF, NULL), ==,
                     TOE_STS_INVAL);

    /*
     * A command that names the slot with another handle is about the
     * connection the slot had before: it reaches nothing.
     */
    g_assert_cmpuint(cmd_handle(&o, TOE_CMD_SET_OPTS, HANDLE + 1, id, 0,
                                TOE_OPTS_NODELAY, NULL), ==, TOE_STS_NOENT);
    g_assert_cmpuint(cmd_handle(&o, TOE_CMD_RECV_FREED, HANDLE + 1, id, 0,
                                4096, NULL), ==, TOE_STS_NOENT);
    g_assert_cmpuint(cmd_handle(&o, TOE_CMD_UPLOAD, HANDLE + 1, id,
                                TOE_CONN_STATE_SIZE, STATE_BUF, NULL), ==,
                     TOE_STS_NOENT);
    g_assert_cmpuint(cmd_handle(&o, TOE_CMD_ABORT, 0, id, 0, 0, NULL), ==,
                     TOE_STS_NOENT);

    peer_send(&o, TH_ACK | TH_PSH, ISS, (const uint8_t *)"hello", 5, frame);
    g_assert(peer_recv(&o, &s));
    g_assert_cmpuint(s.ack, ==, IRS + 5);

    /* ABORT: a RST on the wire, and the slot is free. */
    g_assert_cmpuint(cmd(&o, TOE_CMD_ABORT, id, 0, 0, NULL), ==,
                     TOE_STS_OK);
    g_assert(peer_recv(&o, &s));
    g_assert(s.flags & TH_RST);
    g_assert_cmpuint(cmd(&o, TOE_CMD_ABORT, id, 0, 0, NULL), ==,
                     TOE_STS_NOENT);
    toe_stop(&o.t);
}

/* The peer resets the connection: STATE CLOSE, then CLOSED, slot free. */
static void test_peer_reset(void)
{
    Off o;
    uint8_t frame[256];
    struct toe_evt e;
    uint32_t id;

    off_start(&o, 4, 4);
    id = divert(&o);
    g_assert_cmpuint(offload(&o, id), ==, TOE_STS_OK);
    peer_send(&o, TH_RST | TH_ACK, ISS, NULL, 0, frame);
    e = wait_evt(&o, TOE_EVT_STATE);
    g_assert_cmpuint(le32_to_cpu(e.value), ==, TOE_TCP_CLOSE);
    e = wait_evt(&o, TOE_EVT_CLOSED);
    g_assert_cmpuint(le32_to_cpu(e.conn_id), ==, id);
    g_assert_cmpuint(le32_to_cpu(e.status), ==, TOE_STS_RESET);
    g_assert_cmpuint(cmd(&o, TOE_CMD_SEND, id, 0, ISS, NULL), ==,
                     TOE_STS_NOENT);
    /* The tuple can be diverted again. */
    g_assert_cmpuint(divert(&o), ==, id);
    toe_stop(&o.t);
}

/*
 * Events wait for slots and are coalesced meanwhile: three segments with
 * the event ring full give one RECV, with the latest value.
 */
static void test_events_coalesce(void)
{
    Off o;
    uint8_t data[100], frame[256];
    struct toe_evt e;
    uint32_t id, head;
    int i;

    off_start(&o, 4, 4);
    id = divert(&o);
    g_assert_cmpuint(offload(&o, id), ==, TOE_STS_OK);
    /* Take back every posted event slot: the ring is full. */
    head = rd(&o.t, TOE_REG_RING(TOE_RING_EVT, TOE_RING_HEAD));
    g_assert_cmpuint(head, ==, o.evt_idx);
    wr(&o.t, TOE_REG_RING(TOE_RING_EVT, TOE_RING_TAIL), head);
    for (i = 0; i < 3; i++) {
        fill(data, sizeof(data), i);
        peer_send(&o, TH_ACK | TH_PSH, ISS, data, sizeof(data), frame);
    }
    run(&o, 5000000);
    g_assert_cmpuint(rd(&o.t, TOE_REG_RING(TOE_RING_EVT, TOE_RING_HEAD)), ==,
                     head);
    /* Slots again: what waited comes out. */
    wr(&o.t, TOE_REG_RING(TOE_RING_EVT, TOE_RING_TAIL), head + RING_ENTRIES);
    e = wait_evt(&o, TOE_EVT_RECV);
    g_assert_cmpuint(le32_to_cpu(e.value), ==, IRS + 300);
    g_assert_cmpuint(le32_to_cpu(e.conn_id), ==, id);
    /* Nothing else was pending: the next event is the next command's. */
    g_assert_cmpuint(cmd(&o, TOE_CMD_RECV_FREED, id, 0, 300, NULL), ==,
                     TOE_STS_OK);
    toe_stop(&o.t);
}

/*
 * The buffers' byte 0 may be a sequence before snd_una and rcv_nxt (the
 * host fills the send buffer before its state is final): data is read
 * and placed relative to snd_base and rcv_base.
 */
static void test_buffer_bases(void)
{
    struct toe_offload_req req;
    uint8_t data[50], got[20], frame[256];
    struct toe_evt e;
    uint32_t id;
    Off o;
    Seg s;

    off_start(&o, 4, 4);
    id = divert(&o);
    make_req(&o, &req);
    req.snd_base = cpu_to_le32(ISS - 100);
    req.rcv_base = cpu_to_le32(IRS - 10);
    req.state.write_seq = cpu_to_le32(ISS + sizeof(data));
    fill(data, sizeof(data), 5);
    qtest_memset(o.t.qts, SND_BUF, 0xee, 100);
    qtest_memwrite(o.t.qts, SND_BUF + 100, data, sizeof(data));
    g_assert_cmpuint(offload_req(&o, id, &req), ==, TOE_STS_OK);
    g_assert(peer_recv(&o, &s));
    g_assert_cmpuint(s.seq, ==, ISS);
    g_assert_cmpuint(s.len, ==, sizeof(data));
    g_assert(!memcmp(s.payload, data, sizeof(data)));

    fill(data, sizeof(got), 6);
    peer_send(&o, TH_ACK | TH_PSH, ISS + sizeof(data), data, sizeof(got),
              frame);
    e = wait_evt(&o, TOE_EVT_RECV);
    g_assert_cmpuint(le32_to_cpu(e.value), ==, IRS + sizeof(got));
    qtest_memread(o.t.qts, RCV_BUF + 10, got, sizeof(got));
    g_assert(!memcmp(got, data, sizeof(got)));
    toe_stop(&o.t);
}

/*
 * The "request-upload" property makes the device ask for a connection
 * back, as it would on its own: an UPLOAD_REQ event with the reason. A
 * slot that is not offloaded, or a reason out of range, is refused.
 */
static void test_request_upload(void)
{
    struct toe_evt e;
    QDict *r;
    uint32_t id;
    Off o;

    off_start(&o, 4, 4);
    id = divert(&o);
    r = qtest_qmp(o.t.qts, "{ 'execute': 'qom-set', 'arguments': {"
                  " 'path': '/machine/peripheral/toe', 'property':"
                  " 'request-upload', 'value': %u } }",
                  id << 8 | TOE_UPLOAD_IDLE);
    g_assert(qdict_haskey(r, "error"));         /* only diverted */
    qobject_unref(r);
    g_assert_cmpuint(offload(&o, id), ==, TOE_STS_OK);
    r = qtest_qmp(o.t.qts, "{ 'execute': 'qom-set', 'arguments': {"
                  " 'path': '/machine/peripheral/toe', 'property':"
                  " 'request-upload', 'value': %u } }", id << 8 | 99);
    g_assert(qdict_haskey(r, "error"));
    qobject_unref(r);
    r = qtest_qmp(o.t.qts, "{ 'execute': 'qom-set', 'arguments': {"
                  " 'path': '/machine/peripheral/toe', 'property':"
                  " 'request-upload', 'value': %u } }",
                  id << 8 | TOE_UPLOAD_CAPACITY);
    g_assert(!qdict_haskey(r, "error"));
    qobject_unref(r);
    e = wait_evt(&o, TOE_EVT_UPLOAD_REQ);
    g_assert_cmpuint(le32_to_cpu(e.conn_id), ==, id);
    g_assert_cmpuint(le16_to_cpu(e.reason), ==, TOE_UPLOAD_CAPACITY);
    toe_stop(&o.t);
}

/* The figures the device writes at each event, read as the host would. */
static void read_status(Off *o, struct toe_conn_status *st)
{
    qtest_memread(o->t.qts, STATUS_BUF, st, sizeof(*st));
    g_assert_cmpuint(le32_to_cpu(st->seq), >, 0);
    g_assert_cmpuint(le32_to_cpu(st->seq) % 2, ==, 0);
}

/*
 * The status block follows the connection; SET_OPTS reaches the engine:
 * keepalive with bad values is refused and changes nothing, good values
 * make the engine probe an idle peer.
 */
static void test_status_and_opts(void)
{
    const uint64_t ka = TOE_OPTS_NODELAY | TOE_OPTS_KEEPALIVE |
                        TOE_OPTS_KA_PROBES(3) | TOE_OPTS_KA_TIME(1) |
                        TOE_OPTS_KA_INTVL(1);
    struct toe_offload_req req;
    struct toe_conn_status st;
    uint8_t data[100], frame[256];
    uint32_t id, seq;
    struct toe_evt e;
    Seg s;
    int i;
    Off o;

    off_start(&o, 4, 4);
    qtest_memset(o.t.qts, STATUS_BUF, 0, sizeof(st));
    id = divert(&o);
    make_req(&o, &req);
    req.status_addr = cpu_to_le64(STATUS_BUF + 4);      /* misaligned */
    g_assert_cmpuint(offload_req(&o, id, &req), ==, TOE_STS_INVAL);
    req.status_addr = cpu_to_le64(STATUS_BUF);
    g_assert_cmpuint(offload_req(&o, id, &req), ==, TOE_STS_OK);

    fill(data, sizeof(data), 3);
    peer_send(&o, TH_ACK | TH_PSH, ISS, data, sizeof(data), frame);
    e = wait_evt(&o, TOE_EVT_RECV);
    g_assert_cmpuint(le32_to_cpu(e.value), ==, IRS + 100);
    read_status(&o, &st);
    g_assert_cmpuint(st.state, ==, TOE_TCP_ESTABLISHED);
    g_assert_cmpuint(le32_to_cpu(st.rcv_nxt), ==, IRS + 100);
    g_assert_cmpuint(le32_to_cpu(st.snd_una), ==, ISS);
    g_assert_cmpuint(le64_to_cpu(st.bytes_received), ==, 100);
    g_assert_cmpuint(le32_to_cpu(st.snd_cwnd), ==, 10);
    g_assert_cmpuint(le32_to_cpu(st.srtt_us), ==, 1000);
    g_assert_cmpuint(le16_to_cpu(st.mss), ==, 1400);
    seq = le32_to_cpu(st.seq);

    /* Keepalive on with a zero time: refused, nothing set. */
    g_assert_cmpuint(cmd(&o, TOE_CMD_SET_OPTS, id, 0,
                         TOE_OPTS_KEEPALIVE | TOE_OPTS_KA_PROBES(3) |
                         TOE_OPTS_KA_INTVL(1), NULL), ==, TOE_STS_INVAL);
    g_assert_cmpuint(cmd(&o, TOE_CMD_SET_OPTS, id, 0, ka, NULL), ==,
                     TOE_STS_OK);
    /* The delayed ACK of the data, then a probe at snd_una - 1. */
    for (i = 0; i < 10; i++) {
        if (!peer_recv(&o, &s)) {
            continue;           /* 400 ms of quiet */
        }
        if (s.seq == ISS - 1 && !s.len) {
            break;
        }
        g_assert_cmpuint(s.seq, ==, ISS);
    }
    g_assert_cmpint(i, <, 10);
    g_assert_cmpuint(s.ack, ==, IRS + 100);

    /* UPLOAD writes the figures once more; the options come back. */
    g_assert_cmpuint(cmd(&o, TOE_CMD_UPLOAD, id, TOE_CONN_STATE_SIZE,
                         STATE_BUF, NULL), ==, TOE_STS_OK);
    read_status(&o, &st);
    g_assert_cmpuint(le32_to_cpu(st.seq), >, seq);
    qtest_memread(o.t.qts, STATE_BUF, &req.state, sizeof(req.state));
    g_assert_cmphex(le32_to_cpu(req.state.flags) &
                    (TOE_CS_NODELAY | TOE_CS_KEEPALIVE), ==,
                    TOE_CS_NODELAY | TOE_CS_KEEPALIVE);
    g_assert_cmpuint(le32_to_cpu(req.state.keepalive_time_s), ==, 1);
    g_assert_cmpuint(req.state.keepalive_probes, ==, 3);
    toe_stop(&o.t);
}

static void set_hang(Off *o, bool on)
{
    QDict *r = qtest_qmp(o->t.qts, "{ 'execute': 'qom-set', 'arguments': {"
                         " 'path': '/machine/peripheral/toe', 'property':"
                         " 'hang', 'value': %i } }", on);

    g_assert(!qdict_haskey(r, "error"));
    qobject_unref(r);
}

static bool get_hang(Off *o)
{
    QDict *r = qtest_qmp(o->t.qts, "{ 'execute': 'qom-get', 'arguments': {"
                         " 'path': '/machine/peripheral/toe', 'property':"
                         " 'hang' } }");
    bool v = qdict_get_bool(r, "return");

    qobject_unref(r);
    return v;
}

/*
 * What the host needs to go on without the device: rcv_placed and the
 * FIN flag are in host memory by the time the peer has their ACK, and
 * CLOCK_MS runs with virtual time. Then the device hangs: it takes no
 * frame and no command until the hang ends, and a reset ends it.
 */
static void test_placed_and_hang(void)
{
    struct toe_offload_req req;
    struct toe_conn_status st;
    uint8_t data[100], frame[256];
    uint32_t id, clk, head;
    Seg s;
    Off o;

    off_start(&o, 4, 4);
    qtest_memset(o.t.qts, STATUS_BUF, 0, sizeof(st));
    id = divert(&o);
    make_req(&o, &req);
    req.status_addr = cpu_to_le64(STATUS_BUF);
    g_assert_cmpuint(offload_req(&o, id, &req), ==, TOE_STS_OK);

    clk = rd(&o.t, TOE_REG_CLOCK_MS);
    run(&o, 5000000);
    g_assert_cmpuint(rd(&o.t, TOE_REG_CLOCK_MS) - clk, ==, 5);

    fill(data, sizeof(data), 5);
    peer_send(&o, TH_ACK | TH_PSH, ISS, data, sizeof(data), frame);
    g_assert(peer_recv(&o, &s));
    g_assert_cmpuint(s.ack, ==, IRS + 100);
    read_status(&o, &st);
    g_assert_cmpuint(le32_to_cpu(st.rcv_placed), ==, IRS + 100);
    g_assert_cmphex(le32_to_cpu(st.flags), ==, 0);    /* no FIN, no TS */

    /* Hung: the segment is not taken, nor a command. */
    set_hang(&o, true);
    g_assert(get_hang(&o));
    peer_send(&o, TH_ACK | TH_PSH, ISS, data, 50, frame);
    g_assert(!peer_recv(&o, &s));
    qtest_memread(o.t.qts, STATUS_BUF, &st, sizeof(st));
    g_assert_cmpuint(le32_to_cpu(st.rcv_placed), ==, IRS + 100);
    head = rd(&o.t, TOE_REG_RING(TOE_RING_CMD, TOE_RING_HEAD));
    put_cmd(&o.t, o.cmd_idx % RING_ENTRIES, TOE_CMD_NOP, o.cmd_idx, 0, 0);
    o.cmd_idx++;
    wr(&o.t, TOE_REG_RING(TOE_RING_CMD, TOE_RING_TAIL), o.cmd_idx);
    run(&o, 100000000);
    g_assert_cmpuint(rd(&o.t, TOE_REG_RING(TOE_RING_CMD, TOE_RING_HEAD)),
                     ==, head);

    /* The hang ends: the command runs, the peer's resend is taken. */
    set_hang(&o, false);
    g_assert_cmpuint(rd(&o.t, TOE_REG_RING(TOE_RING_CMD, TOE_RING_HEAD)),
                     ==, head + 1);
    wait_evt(&o, TOE_EVT_CMD_DONE);
    o.peer_seq -= 50;
    peer_send(&o, TH_ACK | TH_PSH, ISS, data, 50, frame);
    g_assert(peer_recv(&o, &s));
    g_assert_cmpuint(s.ack, ==, IRS + 150);
    peer_send(&o, TH_ACK | TH_FIN, ISS, NULL, 0, frame);
    g_assert(peer_recv(&o, &s));
    g_assert_cmpuint(s.ack, ==, IRS + 151);
    qtest_memread(o.t.qts, STATUS_BUF, &st, sizeof(st));
    g_assert_cmpuint(le32_to_cpu(st.rcv_placed), ==, IRS + 150);
    g_assert_cmphex(le32_to_cpu(st.flags), ==, TOE_ST_FIN_RCVD);

    /* A device reset ends a hang. */
    set_hang(&o, true);
    wr(&o.t, TOE_REG_CTRL, TOE_CTRL_RESET);
    g_assert(!get_hang(&o));
    toe_stop(&o.t);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/toe-pci/offload/lifecycle-ipv4", test_lifecycle_ipv4);
    qtest_add_func("/toe-pci/offload/lifecycle-ipv6", test_lifecycle_ipv6);
    qtest_add_func("/toe-pci/offload/divert-undone", test_divert_undone);
    qtest_add_func("/toe-pci/offload/release-waits-for-rx",
                   test_release_waits_for_rx);
    qtest_add_func("/toe-pci/offload/bad-commands",
                   test_bad_offload_commands);
    qtest_add_func("/toe-pci/offload/peer-reset", test_peer_reset);
    qtest_add_func("/toe-pci/offload/events-coalesce", test_events_coalesce);
    qtest_add_func("/toe-pci/offload/status-and-opts", test_status_and_opts);
    qtest_add_func("/toe-pci/offload/buffer-bases", test_buffer_bases);
    qtest_add_func("/toe-pci/offload/request-upload", test_request_upload);
    qtest_add_func("/toe-pci/offload/placed-and-hang", test_placed_and_hang);
    return g_test_run();
}
