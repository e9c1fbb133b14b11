/*
 * loopback.so confines a server that has no listen-address option to the
 * loopback interface. Preloaded into DynamoDB Local's JVM by local-aws.sh
 * (LD_PRELOAD), it rewrites every bind(2) of a listening port on the wildcard
 * address to 127.0.0.1 (IPv4) or ::ffff:127.0.0.1 (an IPv6 dual-stack socket),
 * so the server answers on 127.0.0.1 and on no other interface. Binds to port
 * 0 (the kernel picking an outgoing port) and binds to a named address pass
 * through unchanged.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	static bind_fn next;
	if (!next) {
		next = (bind_fn)dlsym(RTLD_NEXT, "bind");
		if (!next) {
			errno = ENOSYS;
			return -1;
		}
	}
	if (addr && addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in in4;
		memcpy(&in4, addr, sizeof in4);
		if (in4.sin_port != 0 && in4.sin_addr.s_addr == htonl(INADDR_ANY)) {
			in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			return next(fd, (const struct sockaddr *)&in4, sizeof in4);
		}
	}
	if (addr && addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 in6;
		memcpy(&in6, addr, sizeof in6);
		if (in6.sin6_port != 0 && IN6_IS_ADDR_UNSPECIFIED(&in6.sin6_addr)) {
			static const unsigned char mapped[16] = {
				0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1,
			};
			memcpy(&in6.sin6_addr, mapped, sizeof mapped);
			return next(fd, (const struct sockaddr *)&in6, sizeof in6);
		}
	}
	return next(fd, addr, len);
}
