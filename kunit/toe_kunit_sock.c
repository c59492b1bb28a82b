// SPDX-License-Identifier: GPL-2.0
/*
 * toe_kunit_sock.c - real TCP sockets for the KUnit suites: a listener and
 * a connected pair over loopback, made in the kernel, one per test case
 * (the suite's init and exit).
 */
#include <kunit/test.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/net.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "toe_kunit.h"

/* The loopback address of @family, port 0; IPv4 as mapped for AF_INET6. */
static int toe_loopback(int family, bool mapped, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*sin);
	}
	((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
	if (mapped)
		ipv6_addr_set_v4mapped(htonl(INADDR_LOOPBACK),
				       &((struct sockaddr_in6 *)ss)->sin6_addr);
	else
		((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
	return sizeof(struct sockaddr_in6);
}

static void toe_set_port(struct sockaddr_storage *ss, __be16 port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = port;
	else
		((struct sockaddr_in6 *)ss)->sin6_port = port;
}

__be16 toe_kunit_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_port;
	return ((const struct sockaddr_in6 *)ss)->sin6_port;
}

/**
 * toe_kunit_pair_open() - a listener on loopback and a connection to it.
 * @p: the suite's pair (test->priv); released by toe_kunit_pair_exit()
 * @listen_family: AF_INET or AF_INET6
 * @client_family: the client's; AF_INET6 with an AF_INET listener dials
 *	the IPv4-mapped address
 *
 * Return: 0, or the errno of the step that failed.
 */
int toe_kunit_pair_open(struct toe_kunit_pair *p, int listen_family,
			int client_family)
{
	struct sockaddr_storage ss, bound;
	int len, err;

	err = sock_create_kern(&init_net, listen_family, SOCK_STREAM,
			       IPPROTO_TCP, &p->listener);
	if (err)
		return err;
	len = toe_loopback(listen_family, false, &ss);
	err = kernel_bind(p->listener, (struct sockaddr *)&ss, len);
	if (!err)
		err = kernel_listen(p->listener, 1);
	if (err)
		return err;
	err = kernel_getsockname(p->listener, (struct sockaddr *)&bound);
	if (err < 0)
		return err;
	/* The client dials the listener's port from its own family. */
	len = toe_loopback(client_family, client_family != listen_family,
			   &ss);
	toe_set_port(&ss, toe_kunit_port(&bound));
	err = sock_create_kern(&init_net, client_family, SOCK_STREAM,
			       IPPROTO_TCP, &p->client);
	if (err)
		return err;
	err = kernel_connect(p->client, (struct sockaddr *)&ss, len, 0);
	if (err)
		return err;
	return kernel_accept(p->listener, &p->server, 0);
}

int toe_kunit_pair_init(struct kunit *test)
{
	struct toe_kunit_pair *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	test->priv = p;
	return 0;
}

void toe_kunit_pair_exit(struct kunit *test)
{
	struct toe_kunit_pair *p = test->priv;

	if (p->server)
		sock_release(p->server);
	if (p->client)
		sock_release(p->client);
	if (p->listener)
		sock_release(p->listener);
}

int toe_kunit_send(struct socket *sock, const void *buf, size_t len)
{
	struct msghdr msg = {};
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };

	return kernel_sendmsg(sock, &msg, &iov, 1, len);
}

int toe_kunit_recv(struct socket *sock, void *buf, size_t len, int flags)
{
	struct msghdr msg = {};
	struct kvec iov = { .iov_base = buf, .iov_len = len };

	return kernel_recvmsg(sock, &msg, &iov, 1, len, flags);
}
