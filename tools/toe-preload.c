// SPDX-License-Identifier: GPL-2.0
/*
 * toe-preload.so - run an unmodified program with each TCP connection it
 * makes asking to move to the TOE NIC, the way a program that knew of
 * toe.ko would (net.toe.mode 1, "explicit", lets exactly such sockets
 * move):
 *
 *   LD_PRELOAD=/usr/lib/toe-preload.so netperf -H 198.18.0.1 -t TCP_CRR
 *
 * Once connect() or accept() hands the program an established TCP
 * socket, it sets TCP_ULP "toe" and SOL_TOE TOE_OFFLOAD 1, then returns
 * as the call would have. A connection that cannot move stays on the
 * kernel's TCP: the program sees no error from it, but the socket keeps
 * the toe ULP, so another (kTLS) cannot be attached to it: leave such
 * ports alone with TOE_PRELOAD_SKIP. A non-blocking connect() that is
 * still in progress is left alone.
 *
 * Environment:
 *   TOE_PRELOAD_SKIP=P[,P...]  leave connections whose local or remote
 *                              port is one of these alone (a control
 *                              connection, say netperf's 12865)
 *   TOE_PRELOAD_VERBOSE=1      say on stderr why a connection did not move
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "uapi/toe.h"

#define MAX_SKIP 16

typedef int connect_fn(int fd, const struct sockaddr *addr, socklen_t len);
typedef int accept_fn(int fd, struct sockaddr *addr, socklen_t *len);
typedef int accept4_fn(int fd, struct sockaddr *addr, socklen_t *len,
		       int flags);

static unsigned short skip[MAX_SKIP];
static int n_skip;
static int verbose;

/*
 * The C library's own function @name. Looked up at each call rather than
 * once in the constructor: another library's constructor may connect()
 * before ours has run. dlsym() is thread-safe, and cheap next to a
 * connect(). NULL (errno ELIBACC) if there is none.
 */
static void *real(const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);

	if (!fn)
		errno = ELIBACC;
	return fn;
}

__attribute__((constructor)) static void preload_init(void)
{
	const char *s = getenv("TOE_PRELOAD_SKIP");
	char *end;

	verbose = getenv("TOE_PRELOAD_VERBOSE") != NULL;
	while (s && *s && n_skip < MAX_SKIP) {
		unsigned long p = strtoul(s, &end, 10);

		if (end == s || p == 0 || p > 65535) {
			fprintf(stderr, "toe-preload: TOE_PRELOAD_SKIP: not a port list: %s\n",
				s);
			break;
		}
		skip[n_skip++] = p;
		s = *end == ',' ? end + 1 : end;
	}
}

/* The port of @sa, host order; 0 if it is neither IPv4 nor IPv6. */
static unsigned short port_of(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

static int skipped(int fd)
{
	struct sockaddr_storage a;
	socklen_t len;
	int i;

	for (i = 0; i < n_skip; i++) {
		len = sizeof(a);
		if (!getsockname(fd, (struct sockaddr *)&a, &len) &&
		    port_of(&a) == skip[i])
			return 1;
		len = sizeof(a);
		if (!getpeername(fd, (struct sockaddr *)&a, &len) &&
		    port_of(&a) == skip[i])
			return 1;
	}
	return 0;
}

/*
 * Ask for @fd to move, if it is an established TCP socket. Keeps the
 * caller's errno: the program must not see this happen.
 */
static void toe_ask(int fd)
{
	int saved = errno, type = 0, proto = 0, on = 1;
	socklen_t len = sizeof(int);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ||
	    type != SOCK_STREAM)
		goto out;
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) ||
	    proto != IPPROTO_TCP || skipped(fd))
		goto out;
	/* EEXIST: it has the ULP already (the policy gave it). */
	if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, "toe", sizeof("toe")) &&
	    errno != EEXIST) {
		if (verbose)
			fprintf(stderr, "toe-preload: fd %d: TCP_ULP toe: %s\n",
				fd, strerror(errno));
		goto out;
	}
	if (setsockopt(fd, SOL_TOE, TOE_OFFLOAD, &on, sizeof(on)) && verbose)
		fprintf(stderr, "toe-preload: fd %d: TOE_OFFLOAD: %s\n", fd,
			strerror(errno));
out:
	errno = saved;
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	connect_fn *fn = real("connect");
	int ret;

	if (!fn)
		return -1;
	ret = fn(fd, addr, len);
	if (!ret)
		toe_ask(fd);
	return ret;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	accept_fn *fn = real("accept");
	int ret;

	if (!fn)
		return -1;
	ret = fn(fd, addr, len);
	if (ret >= 0)
		toe_ask(ret);
	return ret;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	accept4_fn *fn = real("accept4");
	int ret;

	if (!fn)
		return -1;
	ret = fn(fd, addr, len, flags);
	if (ret >= 0)
		toe_ask(ret);
	return ret;
}
