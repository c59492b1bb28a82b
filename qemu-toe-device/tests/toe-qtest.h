/*
 * toe-qtest.h - what the toe-pci qtests share: the guest memory layout,
 * starting QEMU with the device on a socket netdev whose other end the
 * test holds, register access, ring and descriptor helpers, and frames
 * through the socket.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TOE_QTEST_H
#define TOE_QTEST_H

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "libqtest.h"
#include "libqos/pci.h"
#include "libqos/pci-pc.h"
#include "hw/net/toe/toe_hw.h"

/* Guest-physical layout used by the tests (RAM on the pc machine). */
#define RING_TX      0x400000
#define RING_RX      0x401000
#define RING_CMD     0x402000
#define RING_EVT     0x403000
#define BUF_BASE     0x410000
#define BUF_STRIDE   0x800
#define PAYLOAD      0x420000
#define NO_MEMORY    (1ULL << 45)     /* nothing is mapped there */

#define RING_ENTRIES 8
#define TEST_MAC     "52:54:00:12:34:56"

typedef struct TOETest {
    QTestState *qts;
    QPCIBus *bus;
    QPCIDevice *dev;
    QPCIBar bar;
    int sock[2];        /* [0] the test's end of the socket netdev */
} TOETest;

static inline void toe_start(TOETest *t, const char *extra)
{
    g_assert_cmpint(socketpair(PF_UNIX, SOCK_STREAM, 0, t->sock), ==, 0);
    t->qts = qtest_initf("-M pc -netdev socket,fd=%d,id=n0 "
                         "-device toe-pci,id=toe,addr=04.0,netdev=n0,mac=" TEST_MAC
                         "%s%s", t->sock[1], extra ? "," : "",
                         extra ? extra : "");
    t->bus = qpci_new_pc(t->qts, NULL);
    t->dev = qpci_device_find(t->bus, QPCI_DEVFN(4, 0));
    g_assert(t->dev);
    qpci_device_enable(t->dev);
    t->bar = qpci_iomap(t->dev, TOE_BAR_REGS, NULL);
}

static inline uint32_t rd(TOETest *t, uint32_t reg)
{
    return qpci_io_readl(t->dev, t->bar, reg);
}

static inline void wr(TOETest *t, uint32_t reg, uint32_t val)
{
    qpci_io_writel(t->dev, t->bar, reg, val);
}

/* The device answers, so QEMU survived whatever came before. */
static inline void assert_alive(TOETest *t)
{
    g_assert_cmphex(rd(t, TOE_REG_ID), ==, TOE_ID_MAGIC);
}

static inline void assert_err(TOETest *t, uint32_t code)
{
    g_assert_cmpuint(rd(t, TOE_REG_ERR_CODE), ==, code);
    g_assert_cmpuint(rd(t, TOE_REG_ERR_CODE), ==, TOE_ERR_NONE); /* RC */
    g_assert(rd(t, TOE_REG_INTR_CAUSE) & TOE_INTR_ERR);
    wr(t, TOE_REG_INTR_CAUSE, TOE_INTR_ERR);
}

static inline void toe_stop(TOETest *t)
{
    assert_alive(t);
    g_free(t->dev);
    qpci_free_pc(t->bus);
    qtest_quit(t->qts);
    close(t->sock[0]);
    close(t->sock[1]);
}

static inline void ring_setup(TOETest *t, enum toe_ring_id id,
                              uint64_t base, uint32_t size)
{
    wr(t, TOE_REG_RING(id, TOE_RING_ADDR_LO), (uint32_t)base);
    wr(t, TOE_REG_RING(id, TOE_RING_ADDR_HI), base >> 32);
    wr(t, TOE_REG_RING(id, TOE_RING_SIZE), size);
}

static inline void put_tx(TOETest *t, uint32_t idx, uint64_t addr,
                          uint16_t len)
{
    struct toe_tx_desc d = {
        .addr = cpu_to_le64(addr),
        .len = cpu_to_le16(len),
    };

    qtest_memwrite(t->qts, RING_TX + (idx % RING_ENTRIES) * sizeof(d),
                   &d, sizeof(d));
}

static inline struct toe_tx_desc get_tx(TOETest *t, uint32_t idx)
{
    struct toe_tx_desc d;

    qtest_memread(t->qts, RING_TX + (idx % RING_ENTRIES) * sizeof(d),
                  &d, sizeof(d));
    return d;
}

static inline void put_rx(TOETest *t, uint32_t idx, uint64_t addr,
                          uint16_t buf_len)
{
    struct toe_rx_desc d = {
        .addr = cpu_to_le64(addr),
        .buf_len = cpu_to_le16(buf_len),
    };

    qtest_memwrite(t->qts, RING_RX + (idx % RING_ENTRIES) * sizeof(d),
                   &d, sizeof(d));
}

static inline struct toe_rx_desc get_rx(TOETest *t, uint32_t idx)
{
    struct toe_rx_desc d;

    qtest_memread(t->qts, RING_RX + (idx % RING_ENTRIES) * sizeof(d),
                  &d, sizeof(d));
    return d;
}

static inline void put_cmd(TOETest *t, uint32_t idx, uint16_t opcode,
                           uint32_t tag, uint32_t len, uint64_t addr)
{
    struct toe_cmd c = {
        .opcode = cpu_to_le16(opcode),
        .tag = cpu_to_le32(tag),
        .handle = cpu_to_le64(0x1122334455667788ULL + tag),
        .conn_id = cpu_to_le32(TOE_CONN_NONE),
        .payload_len = cpu_to_le32(len),
        .payload_addr = cpu_to_le64(addr),
    };

    qtest_memwrite(t->qts, RING_CMD + (idx % RING_ENTRIES) * sizeof(c),
                   &c, sizeof(c));
}

static inline struct toe_evt get_evt(TOETest *t, uint32_t idx)
{
    struct toe_evt e;

    qtest_memread(t->qts, RING_EVT + (idx % RING_ENTRIES) * sizeof(e),
                  &e, sizeof(e));
    return e;
}

/* Command and event rings set up, enabled, every event slot posted. */
static inline void cmd_setup(TOETest *t, uint32_t evt_slots)
{
    qtest_memset(t->qts, RING_EVT, 0, RING_ENTRIES * sizeof(struct toe_evt));
    ring_setup(t, TOE_RING_CMD, RING_CMD, RING_ENTRIES);
    ring_setup(t, TOE_RING_EVT, RING_EVT, RING_ENTRIES);
    wr(t, TOE_REG_RING(TOE_RING_EVT, TOE_RING_TAIL), evt_slots);
    wr(t, TOE_REG_CTRL, TOE_CTRL_ENABLE);
}

/* Read one frame the device sent from the socket netdev's stream. */
static inline size_t sock_recv_frame(TOETest *t, uint8_t *buf,
                                     size_t max)
{
    uint32_t len;

    g_assert_cmpint(recv(t->sock[0], &len, 4, MSG_WAITALL), ==, 4);
    len = ntohl(len);
    g_assert_cmpuint(len, <=, max);
    g_assert_cmpint(recv(t->sock[0], buf, len, MSG_WAITALL), ==, len);
    return len;
}

static inline void sock_send_frame(TOETest *t, const uint8_t *buf,
                                   uint32_t len)
{
    uint32_t be = htonl(len);

    g_assert_cmpint(send(t->sock[0], &be, 4, 0), ==, 4);
    g_assert_cmpint(send(t->sock[0], buf, len, 0), ==, len);
}

#endif
