/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * toe.h - the user API of toe.ko: socket options at level SOL_TOE.
 *
 * A TCP socket gets them by attaching the "toe" upper-layer protocol
 * first, as for kTLS:
 *
 *	setsockopt(fd, IPPROTO_TCP, TCP_ULP, "toe", sizeof("toe"));
 *	int on = 1;
 *	setsockopt(fd, SOL_TOE, TOE_OFFLOAD, &on, sizeof(on));
 *
 * Documentation/driver.rst describes what each option does.
 */
#ifndef _UAPI_TOE_H
#define _UAPI_TOE_H

#include <linux/types.h>

/* A private level: setsockopt() levels are ints, and this is no SOL_*. */
#define SOL_TOE			0x544f45	/* "TOE" */

/*
 * TOE_OFFLOAD (int): set 1 to move the connection to the NIC now, 0 to
 * bring it home now; get: 1 while it is on the NIC.
 */
#define TOE_OFFLOAD		1
/* TOE_INFO (struct toe_info, get only): where it lives, and its figures. */
#define TOE_INFO		2

enum toe_where {
	TOE_WHERE_HOST = 0,	/* the kernel's TCP runs it */
	TOE_WHERE_NIC = 1,	/* the NIC's engine runs it */
};

/**
 * struct toe_info - TOE_INFO.
 * @where: enum toe_where
 * @conn_id: the NIC's connection id while on the NIC, else ~0
 * @offloads: moves to the NIC
 * @uploads: moves back
 * @last_refusal: why the last TOE_OFFLOAD failed (TOE_REFUSE_*), or 0
 * @last_upload_reason: what brought it home last (TOE_UPLOAD_WHY_*)
 * @bytes_sent_nic: bytes the application wrote while on the NIC
 * @bytes_recv_nic: bytes the application read that the NIC received
 */
struct toe_info {
	__u32 where;
	__u32 conn_id;
	__u32 offloads;
	__u32 uploads;
	__u32 last_refusal;
	__u32 last_upload_reason;
	__u64 bytes_sent_nic;
	__u64 bytes_recv_nic;
};

/* Why a socket could not move to the NIC (toe_info.last_refusal). */
enum toe_refusal {
	TOE_REFUSE_NONE = 0,
	TOE_REFUSE_NOT_TCP,	/* not a TCP stream socket */
	TOE_REFUSE_FAMILY,	/* neither IPv4 nor IPv6 */
	TOE_REFUSE_STATE,	/* not ESTABLISHED */
	TOE_REFUSE_REPAIR,	/* in TCP_REPAIR mode */
	TOE_REFUSE_MD5,		/* TCP-MD5 signatures (RFC 2385) */
	TOE_REFUSE_ULP,		/* another upper-layer protocol (kTLS, MPTCP) */
	TOE_REFUSE_URGENT,	/* urgent data pending, either way */
	TOE_REFUSE_CONG,	/* congestion control the engine does not run */
	TOE_REFUSE_ROUTE,	/* its route does not leave through a TOE NIC */
	TOE_REFUSE_OOO,		/* the kernel holds out-of-order data for it */
	TOE_REFUSE_QUEUED,	/* more data queued than the NIC buffers hold */
	TOE_REFUSE_DEVICE,	/* the NIC refused it or failed */
	TOE_REFUSE_BUSY,	/* a call is under way in the kernel's TCP */
	TOE_NUM_REFUSALS
};

/* What brought a connection home (toe_info.last_upload_reason). */
enum toe_upload_why {
	TOE_UPLOAD_WHY_NONE = 0,
	TOE_UPLOAD_WHY_USER,	/* TOE_OFFLOAD set to 0 */
	TOE_UPLOAD_WHY_CLOSE,	/* the application closed the socket */
	TOE_UPLOAD_WHY_SHUTDOWN, /* the application shut it down */
	TOE_UPLOAD_WHY_SOCKOPT,	/* an option the NIC cannot honour */
	TOE_UPLOAD_WHY_DEVICE,	/* the NIC asked (TOE_EVT_UPLOAD_REQ) */
	TOE_UPLOAD_WHY_RESET,	/* the NIC is being reset or removed */
};

#endif /* _UAPI_TOE_H */
