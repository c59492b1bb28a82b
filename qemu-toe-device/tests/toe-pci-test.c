/*
 * QTest testcase for the toe-pci TCP Offload Engine NIC.
 *
 * Each case starts a QEMU with one toe-pci on a socket netdev whose other
 * end the test holds, drives the registers and rings as a hostile guest
 * would, checks the error codes and write-backs, and checks that QEMU is
 * still alive afterwards (qtest_quit fails on a crashed QEMU).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "hw/pci/pci_regs.h"
#include "qapi/qmp/qdict.h"
#include "toe-qtest.h"

static void test_identity(void)
{
    TOETest t;
    QDict *r;

    toe_start(&t, "conn-capacity=77,mem-budget=1M");
    r = qtest_qmp(t.qts, "{ 'execute': 'qom-get', 'arguments': {"
                  " 'path': '/machine/peripheral/toe', 'property':"
                  " 'mem-budget' } }");
    g_assert_cmpuint(qdict_get_int(r, "return"), ==, 1024 * 1024);
    qobject_unref(r);
    g_assert_cmphex(qpci_config_readw(t.dev, PCI_VENDOR_ID), ==,
                    TOE_PCI_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(t.dev, PCI_DEVICE_ID), ==,
                    TOE_PCI_DEVICE_ID);
    g_assert_cmphex(rd(&t, TOE_REG_VERSION), ==, TOE_VERSION);
    g_assert_cmphex(rd(&t, TOE_REG_FEATURES), ==, TOE_FEAT_L2 | TOE_FEAT_CMD |
                    TOE_FEAT_OFFLOAD_IPV4 | TOE_FEAT_OFFLOAD_IPV6);
    g_assert_cmpuint(rd(&t, TOE_REG_CONN_CAPACITY), ==, 77);
    g_assert_cmpuint(rd(&t, TOE_REG_MTU), ==, TOE_L2_MTU);
    g_assert_cmphex(rd(&t, TOE_REG_MAC_LO), ==, 0x12005452);
    g_assert_cmphex(rd(&t, TOE_REG_MAC_HI), ==, 0x5634);
    g_assert_cmphex(rd(&t, TOE_REG_STATUS), ==,
                    TOE_STATUS_READY | TOE_STATUS_LINK_UP);
    g_assert_cmphex(rd(&t, TOE_REG_INTR_MASK), ==, TOE_INTR_ALL);
    g_assert_cmphex(rd(&t, TOE_REG_INTR_CAUSE), ==, 0);
    g_assert_cmpuint(rd(&t, TOE_REG_ERR_COUNT), ==, 0);
    wr(&t, TOE_REG_SCRATCH, 0xdeadbeef);
    g_assert_cmphex(rd(&t, TOE_REG_SCRATCH), ==, 0xdeadbeef);
    toe_stop(&t);
}

static void test_bad_registers(void)
{
    TOETest t;

    toe_start(&t, NULL);
    wr(&t, TOE_REG_SCRATCH, 0x12345678);

    /* Wrong widths and alignments: refused, counted, nothing changes. */
    qpci_io_writew(t.dev, t.bar, TOE_REG_SCRATCH, 0xffff);
    assert_err(&t, TOE_ERR_BAD_ACCESS);
    qpci_io_writeb(t.dev, t.bar, TOE_REG_SCRATCH + 1, 0xff);
    assert_err(&t, TOE_ERR_BAD_ACCESS);
    qpci_io_writeq(t.dev, t.bar, TOE_REG_SCRATCH, ~0ULL);
    assert_err(&t, TOE_ERR_BAD_ACCESS);
    qpci_io_writel(t.dev, t.bar, TOE_REG_SCRATCH + 2, 0xffffffff);
    assert_err(&t, TOE_ERR_BAD_ACCESS);
    g_assert_cmphex(qpci_io_readw(t.dev, t.bar, TOE_REG_ID), ==, 0);
    assert_err(&t, TOE_ERR_BAD_ACCESS);
    g_assert_cmphex(rd(&t, TOE_REG_SCRATCH), ==, 0x12345678);

    /* Read-only, write-only-by-device and unknown registers. */
    wr(&t, TOE_REG_ID, 0);
    assert_err(&t, TOE_ERR_BAD_REG);
    wr(&t, TOE_REG_STATUS, 0);
    assert_err(&t, TOE_ERR_BAD_REG);
    wr(&t, TOE_REG_INTR_MASK, 0);
    assert_err(&t, TOE_ERR_BAD_REG);
    wr(&t, 0x0ffc, 1);
    assert_err(&t, TOE_ERR_BAD_REG);
    wr(&t, TOE_REG_RING(TOE_RING_CMD, TOE_RING_HEAD), 3);
    assert_err(&t, TOE_ERR_BAD_REG);
    wr(&t, TOE_REG_CTRL, 0x80000000);
    assert_err(&t, TOE_ERR_BAD_REG);
    g_assert_cmpuint(rd(&t, TOE_REG_CTRL), ==, 0);
    g_assert_cmphex(rd(&t, TOE_REG_ID), ==, TOE_ID_MAGIC);
    g_assert_cmpuint(rd(&t, TOE_REG_ERR_COUNT), ==, 11);

    /* Reset clears the error state. */
    wr(&t, TOE_REG_CTRL, TOE_CTRL_RESET);
    g_assert_cmpuint(rd(&t, TOE_REG_ERR_COUNT), ==, 0);
    g_assert_cmphex(rd(&t, TOE_REG_SCRATCH), ==, 0);
    g_assert_cmphex(rd(&t, TOE_REG_CTRL), ==, 0);
    toe_stop(&t);
}

static void test_bad_ring_config(void)
{
    TOETest t;
    enum toe_ring_id id = TOE_RING_L2_RX;

    toe_start(&t, NULL);
    wr(&t, TOE_REG_RING(id, TOE_RING_ADDR_LO), RING_RX + 8);
    assert_err(&t, TOE_ERR_BAD_RING_ADDR);
    g_assert_cmphex(rd(&t, TOE_REG_RING(id, TOE_RING_ADDR_LO)), ==, 0);
    wr(&t, TOE_REG_RING(id, TOE_RING_SIZE), 3);
    assert_err(&t, TOE_ERR_BAD_RING_SIZE);
    wr(&t, TOE_REG_RING(id, TOE_RING_SIZE), 0);
    assert_err(&t, TOE_ERR_BAD_RING_SIZE);
    wr(&t, TOE_REG_RING(id, TOE_RING_SIZE), TOE_RING_MAX_SIZE * 2);
    assert_err(&t, TOE_ERR_BAD_RING_SIZE);
    g_assert_cmpuint(rd(&t, TOE_REG_RING(id, TOE_RING_SIZE)), ==, 0);

    /* No buffer can be posted to an unconfigured ring. */
    wr(&t, TOE_REG_RING(id, TOE_RING_TAIL), 1);
    assert_err(&t, TOE_ERR_BAD_TAIL);

    ring_setup(&t, id, RING_RX, RING_ENTRIES);
    g_assert_cmphex(rd(&t, TOE_REG_RING(id, TOE_RING_ADDR_LO)), ==, RING_RX);
    g_assert_cmpuint(rd(&t, TOE_REG_RING(id, TOE_RING_SIZE)), ==,
                     RING_ENTRIES);
    wr(&t, TOE_REG_RING(id, TOE_RING_TAIL), RING_ENTRIES + 1);
    assert_err(&t, TOE_ERR_BAD_TAIL);
    wr(&t, TOE_REG_RING(id, TOE_RING_TAIL), 0xffffffff);   /* "behind" */
    assert_err(&t, TOE_ERR_BAD_TAIL);
    g_assert_cmpuint(rd(&t, TOE_REG_RING(id, TOE_RING_TAIL)), ==, 0);

    /* Reconfiguring while enabled is refused. */
    wr(&t, TOE_REG_CTRL, TOE_CTRL_ENABLE);
    g_assert(rd(&t, TOE_REG_STATUS) & TOE_STATUS_ENABLED);
    wr(&t, TOE_REG_RING(id, TOE_RING_SIZE), 16);
    assert_err(&t, TOE_ERR_RING_BUSY);
    wr(&t, TOE_REG_RING(id, TOE_RING_ADDR_HI), 1);
    assert_err(&t, TOE_ERR_RING_BUSY);
    g_assert_cmpuint(rd(&t, TOE_REG_RING(id, TOE_RING_SIZE)), ==,
                     RING_ENTRIES);
    g_assert_cmpuint(rd(&t, TOE_REG_RING(id, TOE_RING_ADDR_HI)), ==, 0);

    /* A reset leaves every ring unconfigured. */
    wr(&t, TOE_REG_CTRL, TOE_CTRL_RESET);
    g_assert_cmpuint(rd(&t, TOE_REG_RING(id, TOE_RING_SIZE)), ==, 0);
    g_assert_cmphex(rd(&t, TOE_REG_STATUS), ==,
                    TOE_STATUS_READY | TOE_STATUS_LINK_UP);
    toe_stop(&t);
}

static void test_nop_roundtrip(void)
{
    TOETest t;
    uint8_t payload[64], back[64];
    struct toe_evt e;
    int i;

    toe_start(&t, NULL);
    for (i = 0; i < sizeof(payload); i++) {
        payload[i] = i * 7;
    }
    qtest_memwrite(t.qts, PAYLOAD, payload, sizeof(payload));
    cmd_setup(&t, RING_ENTRIES);

    put_cmd(&t, 0, TOE_CMD_NOP, 0xabc, sizeof(payload), PAYLOAD);
    put_cmd(&t, 1, TOE_CMD_NOP, 0xabd, 0, 0);
    wr(&t, TOE_REG_RING(TOE_RING_CMD, TOE_RING_TAIL), 2);

    g_assert_cmpuint(rd(&t, TOE_REG_RING(TOE_RING_CMD, TOE_RING_HEAD)), ==, 2);
    g_assert_cmpuint(rd(&t, TOE_REG_RING(TOE_RING_EVT, TOE_RING_HEAD)), ==, 2);
    e = get_evt(&t, 0);
    g_assert_cmphex(le16_to_cpu(e.type), ==, TOE_EVT_CMD_DONE);
    g_assert_cmphex(le16_to_cpu(e.flags), ==, TOE_DESC_DONE);
    g_assert_cmphex(le32_to_cpu(e.tag), ==, 0xabc);
    g_assert_cmphex(le64_to_cpu(e.handle), ==, 0x1122334455667788ULL + 0xabc);
    g_assert_cmphex(le32_to_cpu(e.conn_id), ==, TOE_CONN_NONE);
    g_assert_cmpuint(le32_to_cpu(e.status), ==, TOE_STS_OK);
    g_assert_cmphex(le16_to_cpu(e.opcode), ==, TOE_CMD_NOP);
    g_assert_cmpuint(le32_to_cpu(e.value), ==, sizeof(payload));
    qtest_memread(t.qts, PAYLOAD, back, sizeof(back));
    for (i = 0; i < sizeof(payload); i++) {
        g_assert_cmphex(back[i], ==, (uint8_t)~payload[i]);
    }
    e = get_evt(&t, 1);
    g_assert_cmphex(le32_to_cpu(e.tag), ==, 0xabd);
    g_assert_cmpuint(le32_to_cpu(e.status), ==, TOE_STS_OK);
    g_assert_cmpuint(le32_to_cpu(e.value), ==, 0);

    g_assert(rd(&t, TOE_REG_INTR_CAUSE) & TOE_INTR_EVT);
    g_assert_cmpuint(rd(&t, TOE_REG_ERR_COUNT), ==, 0);
    toe_stop(&t);
}

static void test_bad_commands(void)
{
    static const struct {
        uint16_t opcode;
        uint32_t len;
        uint64_t addr;
        uint32_t status;
    } cases[] = {
        { 0x7777, 0, 0, TOE_STS_OPNOTSUPP },
        { 0, 0, 0, TOE_STS_OPNOTSUPP },
        { TOE_CMD_NOP, TOE_CMD_MAX_PAYLOAD + 1, PAYLOAD, TOE_STS_TOOBIG },
        { TOE_CMD_NOP, 0xffffffff, PAYLOAD, TOE_STS_TOOBIG },
        { TOE_CMD_NOP, 16, NO_MEMORY, TOE_STS_FAULT },
        { TOE_CMD_NOP, 16, ~0ULL - 4, TOE_STS_FAULT },
    };
    TOETest t;
    int i;

    toe_start(&t, NULL);
    cmd_setup(&t, RING_ENTRIES);
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        struct toe_evt e;

        put_cmd(&t, i, cases[i].opcode, i, cases[i].len, cases[i].addr);
        wr(&t, TOE_REG_RING(TOE_RING_CMD, TOE_RING_TAIL), i + 1);
        e = get_evt(&t, i);
        g_assert_cmphex(le16_to_cpu(e.flags), ==, TOE_DESC_DONE);
        g_assert_cmpuint(le32_to_cpu(e.tag), ==, i);
        g_assert_cmpuint(le32_to_cpu(e.status), ==, cases[i].status);
        g_assert_cmphex(le16_to_cpu(e.opcode), ==, cases[i].opcode);
        assert_err(&t, TOE_ERR_BAD_CMD);
    }
    g_assert_cmpuint(rd(&t, TOE_REG_ERR_COUNT), ==, ARRAY_SIZE(cases));
    g_assert_cmpuint(rd(&t, TOE_REG_STATUS) & TOE_STATUS_FAULT, ==, 0);
    toe_stop(&t);
}

/* With the event ring full the device waits; it never drops an event. */
static void test_event_backpressure(void)
{
    TOETest t;

    toe_start(&t, NULL);
    cmd_setup(&t, 1);
    put_cmd(&t, 0, TOE_CMD_NOP, 10, 0, 0);
    put_cmd(&t, 1, TOE_CMD_NOP, 11, 0, 0);
    put_cmd(&t, 2, TOE_CMD_NOP, 12, 0, 0);
    wr(&t, TOE_REG_RING(TOE_RING_CMD, TOE_RING_TAIL), 3);
    g_assert_cmpuint(rd(&t, TOE_REG_RING(TOE_RING_CMD, TOE_RING_HEAD)), ==, 1);
    g_assert_cmpuint(rd(&t, TOE_REG_RING(TOE_RING_EVT, TOE_RING_HEAD)), ==, 1);
    g_assert_cmpuint(le32_to_cpu(get_evt(&t, 0).tag), ==, 10);
    g_assert_cmpuint(le16_to_cpu(get_evt(&t, 1).flags), ==, 0);

    wr(&t, TOE_REG_RING(TOE_RING_EVT, TOE_RING_TAIL), 3);
    g_assert_cmpuint(rd(&t, TOE_REG_RING(TOE_RING_CMD, TOE_RING_HEAD)), ==, 3);
    g_assert_cmpuint(le32_to_cpu(get_evt(&t, 1).tag), ==, 11);
    g_assert_cmpuint(le32_to_cpu(get_evt(&t, 2).tag), ==, 12);
    toe_stop(&t);
}

/* Command ring memory that is not there: fault, ring stopped till reset. */
static void test_cmd_ring_fault(void)
{
    TOETest t;

    toe_start(&t, NULL);
    ring_setup(&t, TOE_RING_CMD, NO_MEMORY, RING_ENTRIES);
    ring_setup(&t, TOE_RING_EVT, RING_EVT, RING_ENTRIES);
    wr(&t, TOE_REG_RING(TOE_RING_EVT, TOE_RING_TAIL), RING_ENTRIES);
    wr(&t, TOE_REG_RING(TOE_RING_CMD, TOE_RING_TAIL), 1);
    wr(&t, TOE_REG_CTRL, TOE_CTRL_ENABLE);
    g_assert(rd(&t, TOE_REG_STATUS) & TOE_STATUS_FAULT);
    assert_err(&t, TOE_ERR_RING_DMA);
    g_assert_cmpuint(rd(&t, TOE_REG_RING(TOE_RING_CMD, TOE_RING_HEAD)), ==, 0);
    g_assert_cmpuint(rd(&t, TOE_REG_RING(TOE_RING_EVT, TOE_RING_HEAD)), ==, 0);

    wr(&t, TOE_REG_CTRL, TOE_CTRL_RESET);
    g_assert_cmphex(rd(&t, TOE_REG_STATUS) & TOE_STATUS_FAULT, ==, 0);
    cmd_setup(&t, RING_ENTRIES);
    put_cmd(&t, 0, TOE_CMD_NOP, 1, 0, 0);
    wr(&t, TOE_REG_RING(TOE_RING_CMD, TOE_RING_TAIL), 1);
    g_assert_cmpuint(le32_to_cpu(get_evt(&t, 0).status), ==, TOE_STS_OK);
    toe_stop(&t);
}

static void test_l2_tx(void)
{
    TOETest t;
    uint8_t frame[100], got[TOE_L2_MAX_FRAME];
    struct toe_tx_desc d;
    int i;

    toe_start(&t, NULL);
    for (i = 0; i < sizeof(frame); i++) {
        frame[i] = i;
    }
    qtest_memwrite(t.qts, BUF_BASE, frame, sizeof(frame));
    ring_setup(&t, TOE_RING_L2_TX, RING_TX, RING_ENTRIES);
    put_tx(&t, 0, BUF_BASE, TOE_L2_MIN_FRAME - 1);          /* too short */
    put_tx(&t, 1, BUF_BASE, TOE_L2_MAX_FRAME + 1);          /* too long */
    put_tx(&t, 2, NO_MEMORY, 60);                          /* no memory */
    put_tx(&t, 3, BUF_BASE, sizeof(frame));                /* good */
    wr(&t, TOE_REG_RING(TOE_RING_L2_TX, TOE_RING_TAIL), 4);
    /* Nothing moves before ENABLE. */
    g_assert_cmpuint(rd(&t, TOE_REG_RING(TOE_RING_L2_TX, TOE_RING_HEAD)), ==,
                     0);
    wr(&t, TOE_REG_CTRL, TOE_CTRL_ENABLE);
    g_assert_cmpuint(rd(&t, TOE_REG_RING(TOE_RING_L2_TX, TOE_RING_HEAD)), ==,
                     4);

    for (i = 0; i < 3; i++) {
        d = get_tx(&t, i);
        g_assert_cmphex(le16_to_cpu(d.status), ==,
                        TOE_DESC_DONE | TOE_DESC_ERR);
        g_assert_cmpuint(le16_to_cpu(d.err), ==,
                         i < 2 ? TOE_ERR_BAD_DESC_LEN : TOE_ERR_BAD_DESC_ADDR);
    }
    d = get_tx(&t, 3);
    g_assert_cmphex(le16_to_cpu(d.status), ==, TOE_DESC_DONE);
    g_assert_cmpuint(le16_to_cpu(d.err), ==, 0);
    g_assert_cmpuint(rd(&t, TOE_REG_ERR_CODE), ==, TOE_ERR_BAD_DESC_ADDR);
    g_assert_cmpuint(rd(&t, TOE_REG_ERR_COUNT), ==, 3);
    g_assert(rd(&t, TOE_REG_INTR_CAUSE) & TOE_INTR_L2_TX);
    g_assert_cmpuint(rd(&t, TOE_REG_STATUS) & TOE_STATUS_FAULT, ==, 0);

    g_assert_cmpuint(sock_recv_frame(&t, got, sizeof(got)), ==,
                     sizeof(frame));
    g_assert(memcmp(got, frame, sizeof(frame)) == 0);
    toe_stop(&t);
}

/* qom-set one fault-* property; true if the device took the value. */
static bool set_fault(TOETest *t, const char *knob, uint32_t value)
{
    QDict *r = qtest_qmp(t->qts, "{ 'execute': 'qom-set', 'arguments': {"
                         " 'path': '/machine/peripheral/toe', 'property':"
                         " %s, 'value': %u } }", knob, value);
    bool ok = !qdict_haskey(r, "error");

    qobject_unref(r);
    return ok;
}

/*
 * The wire's seeded faults (toe-fault.c): every frame duplicated, then
 * every frame dropped, then none: frames A, B and C reach the wire as
 * A, A, C. Chances that add up to more than 1000 per mille are refused.
 */
static void test_wire_faults(void)
{
    TOETest t;
    uint8_t frame[3][64], got[TOE_L2_MAX_FRAME];
    int i;

    toe_start(&t, "fault-dup=1000,fault-seed=7");
    for (i = 0; i < 3; i++) {
        memset(frame[i], 'A' + i, sizeof(frame[i]));
        qtest_memwrite(t.qts, BUF_BASE + i * 256, frame[i], sizeof(frame[i]));
    }
    ring_setup(&t, TOE_RING_L2_TX, RING_TX, RING_ENTRIES);
    wr(&t, TOE_REG_CTRL, TOE_CTRL_ENABLE);
    for (i = 0; i < 3; i++) {
        if (i == 1) {
            g_assert(set_fault(&t, "fault-dup", 0));
            g_assert(set_fault(&t, "fault-drop", 1000));
            g_assert(!set_fault(&t, "fault-reorder", 1));   /* 1001 */
        } else if (i == 2) {
            g_assert(set_fault(&t, "fault-drop", 0));
        }
        put_tx(&t, i, BUF_BASE + i * 256, sizeof(frame[i]));
        wr(&t, TOE_REG_RING(TOE_RING_L2_TX, TOE_RING_TAIL), i + 1);
        g_assert_cmphex(le16_to_cpu(get_tx(&t, i).status), ==, TOE_DESC_DONE);
    }
    for (i = 0; i < 3; i++) {
        g_assert_cmpuint(sock_recv_frame(&t, got, sizeof(got)), ==,
                         sizeof(frame[0]));
        g_assert(memcmp(got, frame[i < 2 ? 0 : 2], sizeof(frame[0])) == 0);
    }
    toe_stop(&t);
}

static void test_l2_rx(void)
{
    TOETest t;
    uint8_t frame[200], big[TOE_L2_MAX_FRAME + 10], got[sizeof(frame)];
    struct toe_rx_desc d;
    int i;

    toe_start(&t, NULL);
    for (i = 0; i < sizeof(frame); i++) {
        frame[i] = 0xa0 ^ i;
    }
    memset(big, 0x55, sizeof(big));
    ring_setup(&t, TOE_RING_L2_RX, RING_RX, RING_ENTRIES);
    wr(&t, TOE_REG_CTRL, TOE_CTRL_ENABLE);

    /* No buffer posted: the frames wait in QEMU, nothing is lost. */
    sock_send_frame(&t, big, sizeof(big));      /* dropped when delivered */
    sock_send_frame(&t, frame, sizeof(frame));
    qtest_clock_step(t.qts, 1000000);
    g_assert_cmpuint(rd(&t, TOE_REG_RING(TOE_RING_L2_RX, TOE_RING_HEAD)), ==,
                     0);

    /* A too-small buffer is refused; the frame lands in the next one. */
    put_rx(&t, 0, BUF_BASE, 64);
    put_rx(&t, 1, BUF_BASE + BUF_STRIDE, TOE_L2_MAX_FRAME);
    wr(&t, TOE_REG_RING(TOE_RING_L2_RX, TOE_RING_TAIL), 2);
    for (i = 0; i < 100 &&
         rd(&t, TOE_REG_RING(TOE_RING_L2_RX, TOE_RING_HEAD)) < 2; i++) {
        qtest_clock_step(t.qts, 1000000);
    }
    g_assert_cmpuint(rd(&t, TOE_REG_RING(TOE_RING_L2_RX, TOE_RING_HEAD)), ==,
                     2);
    d = get_rx(&t, 0);
    g_assert_cmphex(le16_to_cpu(d.status), ==, TOE_DESC_DONE | TOE_DESC_ERR);
    g_assert_cmpuint(le16_to_cpu(d.err), ==, TOE_ERR_BAD_DESC_LEN);
    d = get_rx(&t, 1);
    g_assert_cmphex(le16_to_cpu(d.status), ==, TOE_DESC_DONE);
    g_assert_cmpuint(le16_to_cpu(d.len), ==, sizeof(frame));
    qtest_memread(t.qts, BUF_BASE + BUF_STRIDE, got, sizeof(got));
    g_assert(memcmp(got, frame, sizeof(frame)) == 0);
    g_assert(rd(&t, TOE_REG_INTR_CAUSE) & TOE_INTR_L2_RX);
    assert_err(&t, TOE_ERR_BAD_DESC_LEN);

    /* An RX ring in memory that is not there: fault, QEMU lives on. */
    wr(&t, TOE_REG_CTRL, TOE_CTRL_RESET);
    ring_setup(&t, TOE_RING_L2_RX, NO_MEMORY, RING_ENTRIES);
    wr(&t, TOE_REG_RING(TOE_RING_L2_RX, TOE_RING_TAIL), RING_ENTRIES);
    wr(&t, TOE_REG_CTRL, TOE_CTRL_ENABLE);
    sock_send_frame(&t, frame, sizeof(frame));
    for (i = 0; i < 100 && !(rd(&t, TOE_REG_STATUS) & TOE_STATUS_FAULT);
         i++) {
        qtest_clock_step(t.qts, 1000000);
    }
    g_assert(rd(&t, TOE_REG_STATUS) & TOE_STATUS_FAULT);
    g_assert_cmpuint(rd(&t, TOE_REG_ERR_CODE), ==, TOE_ERR_RING_DMA);
    toe_stop(&t);
}

/*
 * Buffers and payloads pointing at the device's own registers: the DMA
 * must fail cleanly (never reach CTRL, never recurse) and QEMU live on.
 */
static void test_dma_into_own_bar(void)
{
    TOETest t;
    uint64_t regs;
    uint8_t frame[64];
    struct toe_rx_desc d;
    int i;

    toe_start(&t, NULL);
    regs = t.bar.addr;
    memset(frame, 0xff, sizeof(frame));     /* would be CTRL.RESET|ENABLE */

    /* A NOP whose payload is CTRL: the write-back must not reset us. */
    cmd_setup(&t, RING_ENTRIES);
    put_cmd(&t, 0, TOE_CMD_NOP, 1, 4, regs + TOE_REG_CTRL);
    wr(&t, TOE_REG_RING(TOE_RING_CMD, TOE_RING_TAIL), 1);
    g_assert_cmpuint(le32_to_cpu(get_evt(&t, 0).status), ==, TOE_STS_FAULT);
    g_assert_cmphex(rd(&t, TOE_REG_CTRL), ==, TOE_CTRL_ENABLE);
    assert_err(&t, TOE_ERR_BAD_CMD);

    /* A TX frame read from the registers. */
    wr(&t, TOE_REG_CTRL, TOE_CTRL_RESET);
    ring_setup(&t, TOE_RING_L2_TX, RING_TX, RING_ENTRIES);
    put_tx(&t, 0, regs, 64);
    wr(&t, TOE_REG_RING(TOE_RING_L2_TX, TOE_RING_TAIL), 1);
    wr(&t, TOE_REG_CTRL, TOE_CTRL_ENABLE);
    g_assert_cmphex(le16_to_cpu(get_tx(&t, 0).status), ==,
                    TOE_DESC_DONE | TOE_DESC_ERR);
    assert_err(&t, TOE_ERR_BAD_DESC_ADDR);

    /* An RX buffer over the registers; the frame goes to the next one. */
    wr(&t, TOE_REG_CTRL, TOE_CTRL_RESET);
    ring_setup(&t, TOE_RING_L2_RX, RING_RX, RING_ENTRIES);
    put_rx(&t, 0, regs + TOE_REG_CTRL - 4, TOE_L2_MAX_FRAME);
    put_rx(&t, 1, BUF_BASE, TOE_L2_MAX_FRAME);
    wr(&t, TOE_REG_RING(TOE_RING_L2_RX, TOE_RING_TAIL), 2);
    wr(&t, TOE_REG_CTRL, TOE_CTRL_ENABLE);
    sock_send_frame(&t, frame, sizeof(frame));
    for (i = 0; i < 100 &&
         rd(&t, TOE_REG_RING(TOE_RING_L2_RX, TOE_RING_HEAD)) < 2; i++) {
        qtest_clock_step(t.qts, 1000000);
    }
    g_assert_cmpuint(rd(&t, TOE_REG_RING(TOE_RING_L2_RX, TOE_RING_HEAD)), ==,
                     2);
    d = get_rx(&t, 0);
    g_assert_cmphex(le16_to_cpu(d.status), ==, TOE_DESC_DONE | TOE_DESC_ERR);
    g_assert_cmpuint(le16_to_cpu(d.err), ==, TOE_ERR_BAD_DESC_ADDR);
    d = get_rx(&t, 1);
    g_assert_cmphex(le16_to_cpu(d.status), ==, TOE_DESC_DONE);
    g_assert_cmpuint(le16_to_cpu(d.len), ==, sizeof(frame));
    g_assert_cmphex(rd(&t, TOE_REG_CTRL), ==, TOE_CTRL_ENABLE);
    g_assert_cmpuint(rd(&t, TOE_REG_RING(TOE_RING_L2_RX, TOE_RING_SIZE)), ==,
                     RING_ENTRIES);
    toe_stop(&t);
}

/*
 * A seeded storm of random register writes of every width over rings
 * full of garbage descriptors (g_test_rand_*: rerun with --seed to
 * reproduce). Whatever happens, QEMU must still answer.
 */
static void test_random_writes(void)
{
    static const uint32_t ring_regs[] = {
        TOE_RING_ADDR_LO, TOE_RING_ADDR_HI, TOE_RING_SIZE, TOE_RING_TAIL,
    };
    TOETest t;
    uint8_t junk[0x4000];
    int i, n = g_test_quick() ? 2000 : 20000;

    toe_start(&t, NULL);
    for (i = 0; i < sizeof(junk); i++) {
        junk[i] = g_test_rand_int();
    }
    qtest_memwrite(t.qts, RING_TX, junk, sizeof(junk));
    wr(&t, TOE_REG_INTR_MASK_CLR, TOE_INTR_ALL);
    for (i = 0; i < n; i++) {
        uint32_t val = g_test_rand_int();
        uint64_t off;

        switch (g_test_rand_int_range(0, 6)) {
        case 0:
        case 4:
        case 5:     /* a ring register, aimed at our junk or anywhere */
            off = TOE_REG_RING(g_test_rand_int_range(0, TOE_NUM_RINGS),
                               ring_regs[g_test_rand_int_range(0, 4)]);
            if (off % TOE_REG_RING_STRIDE == TOE_RING_ADDR_LO &&
                g_test_rand_bit()) {
                val = RING_TX + (val & 0x3fc0);
            } else if (off % TOE_REG_RING_STRIDE == TOE_RING_ADDR_HI &&
                       g_test_rand_bit()) {
                val = 0;
            } else if (off % TOE_REG_RING_STRIDE != TOE_RING_ADDR_LO &&
                       g_test_rand_bit()) {
                val &= 0x1f;
            }
            wr(&t, off, val);
            break;
        case 1: {   /* CTRL: off (to reconfigure), on, reset, junk */
            static const uint32_t ctrl[] = {
                0, 0, TOE_CTRL_ENABLE, TOE_CTRL_ENABLE, TOE_CTRL_RESET,
            };
            int k = g_test_rand_int_range(0, ARRAY_SIZE(ctrl) + 1);

            wr(&t, TOE_REG_CTRL, k < ARRAY_SIZE(ctrl) ? ctrl[k] : val);
            break;
        }
        case 2:     /* anywhere in the BAR, 32-bit */
            wr(&t, g_test_rand_int_range(0, TOE_BAR_REGS_SIZE / 4) * 4, val);
            break;
        default:    /* anywhere, any width */
            off = g_test_rand_int_range(0, TOE_BAR_REGS_SIZE - 8);
            switch (g_test_rand_int_range(0, 4)) {
            case 0:
                qpci_io_writeb(t.dev, t.bar, off, val);
                break;
            case 1:
                qpci_io_writew(t.dev, t.bar, off, val);
                break;
            case 2:
                qpci_io_writel(t.dev, t.bar, off, val);
                break;
            default:
                qpci_io_writeq(t.dev, t.bar, off, val * 0x100000001ULL);
                break;
            }
            break;
        }
    }
    toe_stop(&t);
}

/* Interrupt causes reach MSI-X vectors only while unmasked. */
static void test_msix(void)
{
    TOETest t;

    toe_start(&t, NULL);
    qpci_msix_enable(t.dev);
    /* The MSI-X table entries stay masked, so a notify sets the PBA bit. */
    cmd_setup(&t, RING_ENTRIES);
    put_cmd(&t, 0, TOE_CMD_NOP, 1, 0, 0);
    wr(&t, TOE_REG_RING(TOE_RING_CMD, TOE_RING_TAIL), 1);
    g_assert(rd(&t, TOE_REG_INTR_CAUSE) & TOE_INTR_EVT);
    g_assert(!qpci_msix_pending(t.dev, TOE_VEC_EVT));   /* cause masked */

    wr(&t, TOE_REG_INTR_MASK_CLR, TOE_INTR_EVT);       /* re-fires */
    g_assert(qpci_msix_pending(t.dev, TOE_VEC_EVT));
    g_assert(!qpci_msix_pending(t.dev, TOE_VEC_L2));

    wr(&t, TOE_REG_INTR_CAUSE, TOE_INTR_EVT);
    g_assert_cmphex(rd(&t, TOE_REG_INTR_CAUSE) & TOE_INTR_EVT, ==, 0);
    put_cmd(&t, 1, 0x4242, 2, 0, 0);
    wr(&t, TOE_REG_RING(TOE_RING_CMD, TOE_RING_TAIL), 2);
    g_assert(qpci_msix_pending(t.dev, TOE_VEC_EVT));
    g_assert(!qpci_msix_pending(t.dev, TOE_VEC_MISC));  /* ERR masked */
    wr(&t, TOE_REG_INTR_MASK_CLR, TOE_INTR_ERR);
    g_assert(qpci_msix_pending(t.dev, TOE_VEC_MISC));
    qpci_msix_disable(t.dev);
    toe_stop(&t);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/toe-pci/identity", test_identity);
    qtest_add_func("/toe-pci/bad-registers", test_bad_registers);
    qtest_add_func("/toe-pci/bad-ring-config", test_bad_ring_config);
    qtest_add_func("/toe-pci/nop-roundtrip", test_nop_roundtrip);
    qtest_add_func("/toe-pci/bad-commands", test_bad_commands);
    qtest_add_func("/toe-pci/event-backpressure", test_event_backpressure);
    qtest_add_func("/toe-pci/cmd-ring-fault", test_cmd_ring_fault);
    qtest_add_func("/toe-pci/l2-tx", test_l2_tx);
    qtest_add_func("/toe-pci/l2-rx", test_l2_rx);
    qtest_add_func("/toe-pci/wire-faults", test_wire_faults);
    qtest_add_func("/toe-pci/dma-into-own-bar", test_dma_into_own_bar);
    qtest_add_func("/toe-pci/msix", test_msix);
    qtest_add_func("/toe-pci/random-writes", test_random_writes);
    return g_test_run();
}
