/* SPDX-License-Identifier: GPL-2.0 */
/* toe_kunit.h - helpers shared by the toe KUnit suites. */
#ifndef _TOE_KUNIT_H
#define _TOE_KUNIT_H

#include <kunit/test.h>

/* Expect @len bytes at @got to be @want, naming the first that is not. */
static inline void toe_expect_bytes(struct kunit *test, const void *got,
				    const u8 *want, size_t len)
{
	const u8 *g = got;
	size_t i;

	for (i = 0; i < len; i++) {
		KUNIT_EXPECT_EQ_MSG(test, g[i], want[i], "byte %zu", i);
		if (g[i] != want[i])
			return;
	}
}

struct socket;
struct sockaddr_storage;

/* A connected pair over loopback and its listener (toe_kunit_sock.c). */
struct toe_kunit_pair {
	struct socket *listener, *client, *server;
};

int toe_kunit_pair_open(struct toe_kunit_pair *p, int listen_family,
			int client_family);
/* Suite init and exit: test->priv is a struct toe_kunit_pair. */
int toe_kunit_pair_init(struct kunit *test);
void toe_kunit_pair_exit(struct kunit *test);
__be16 toe_kunit_port(const struct sockaddr_storage *ss);
/* One kernel_sendmsg() or kernel_recvmsg() of @len bytes. */
int toe_kunit_send(struct socket *sock, const void *buf, size_t len);
int toe_kunit_recv(struct socket *sock, void *buf, size_t len, int flags);

#endif /* _TOE_KUNIT_H */
