#ifndef C_PINGMESH_LINUX_H
#define C_PINGMESH_LINUX_H

#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "PMDatagram.h"

// Thin wrappers over calls whose structs Swift imports awkwardly (epoll_event is packed on
// x86_64) or whose constants are macros. Linux only; elsewhere they fail with ENOSYS.

int pm_epoll_create(void);
int pm_epoll_add(int epfd, int fd, uint32_t events, uint64_t key);
int pm_epoll_modify(int epfd, int fd, uint32_t events, uint64_t key);
/// Waits like epoll_wait and copies each event's key and flags into the two arrays.
int pm_epoll_wait(int epfd, uint64_t *keys, uint32_t *events, int capacity, int timeout_ms);
int pm_eventfd(void);
int pm_eventfd_signal(int fd);
void pm_eventfd_drain(int fd);

/// A non-blocking TCP socket with TCP_NODELAY and SO_LINGER {1, 0} (close sends an RST).
int pm_probe_socket(int family);
/// The pending error of a socket whose non-blocking connect finished (0 when it connected).
int pm_socket_error(int fd);
/// The local port of a socket (getsockname), or -1 when it has none yet or the call fails.
int pm_local_port(int fd);
/// Segments the kernel retransmitted on a TCP socket (TCP_INFO tcpi_total_retrans); right after
/// a connect, the SYNs sent again because no SYN-ACK came in time. -1 when unavailable.
int pm_tcp_total_retransmits(int fd);
/// Marks the socket's packets with DSCP `dscp` (0-63): IP_TOS for AF_INET, IPV6_TCLASS for
/// AF_INET6, the codepoint shifted past the two ECN bits. 0, or -1 with errno.
int pm_set_dscp(int fd, int family, int dscp);
/// An ICMP echo socket for AF_INET or AF_INET6: an unprivileged datagram ping socket where
/// net.ipv4.ping_group_range allows, else a raw socket (root or CAP_NET_RAW); *raw tells which.
/// Non-blocking, reply TTL / hop limit and the kernel's receive time delivered with each datagram. -1 with errno from the raw
/// attempt when neither can be opened.
int pm_icmp_socket(int family, int *raw);
/// Sends an echo request (identifier, sequence, `size` payload bytes). 0, or -1 with errno.
int pm_icmp_send(int fd, int family, const struct sockaddr *to, socklen_t length, uint16_t identifier, uint16_t sequence, int size);
/// Reads one datagram: 1 for an echo reply (fields filled; ttl -1 when unknown; received_ns the
/// kernel's receive time on CLOCK_REALTIME, 0 when none), 0 for anything else (a raw socket sees
/// every ICMP packet), -1 with errno (EAGAIN: nothing waiting).
int pm_icmp_receive(int fd, int family, int raw, uint16_t *identifier, uint16_t *sequence, int *ttl, struct sockaddr_storage *from, int64_t *received_ns);
/// The identifier the kernel gives a ping socket's requests (its local port), -1 if none yet.
int pm_icmp_identifier(int fd);
/// poll() for readability on up to 4 descriptors; ready[i] is set per descriptor.
int pm_poll_readable(const int *fds, int count, int timeout_ms, int *ready);
/// Caps glibc's malloc arenas (mallopt M_ARENA_MAX); 1 on success, 0 where unsupported.
int pm_limit_malloc_arenas(int count);
/// CLOCK_MONOTONIC in nanoseconds.
int64_t pm_monotonic_ns(void);

extern const uint32_t PM_EPOLLIN;
extern const uint32_t PM_EPOLLOUT;
extern const uint32_t PM_EPOLLERR;
extern const uint32_t PM_EPOLLHUP;

#endif

// MARK: - traceroute

#ifndef C_PINGMESH_LINUX_TRACEROUTE_H
#define C_PINGMESH_LINUX_TRACEROUTE_H

// Unprivileged traceroute through the socket error queue: with IP_RECVERR / IPV6_RECVERR the
// kernel files every ICMP error about a socket's packets (time exceeded, unreachable) on that
// socket, with the router that sent it. Walking the control messages and reading
// sock_extended_err is C's job; what the answer means is Swift's.

/// What an error-queue message says about a probe.
extern const int PM_TRACE_LOCAL;              // raised by this host, not by an ICMP message
extern const int PM_TRACE_TIME_EXCEEDED;      // a router on the way dropped it at TTL 0
extern const int PM_TRACE_PORT_UNREACHABLE;   // the target's answer to a UDP probe
extern const int PM_TRACE_UNREACHABLE;        // any other destination unreachable (no route, filtered)
extern const int PM_TRACE_OTHER_ICMP;         // parameter problem, packet too big, ...

/// One error-queue message.
struct pm_trace_error {
    int kind;                 // one of PM_TRACE_*
    int icmp_type;            // as received, ICMP or ICMPv6 numbering; -1 when local
    int icmp_code;
    int error;                // the errno the kernel mapped it to
    int payload_length;       // bytes of the quoted packet's payload copied below
    uint8_t payload[16];      // for UDP, the start of the probe's own payload, if the router quoted it
};

/// A non-blocking socket for traceroute probes with IP_RECVERR (AF_INET) or IPV6_RECVERR
/// (AF_INET6) on: a datagram socket when tcp is 0; else a stream socket with SO_REUSEADDR (so each
/// probe rebinds the run's source port) and SO_LINGER {1, 0} (close sends an RST, no TIME_WAIT
/// holds the port). -1 with errno; *step names the call that failed ("socket", "IP_RECVERR", ...).
int pm_trace_socket(int family, int tcp, const char **step);
/// Sets the TTL (IP_TTL) or hop limit (IPV6_UNICAST_HOPS) of the socket's packets.
int pm_trace_set_ttl(int fd, int family, int ttl);
/// Reads one message from the error queue without waiting: 1 with *error and the offender's
/// address as text in offender ("" when the kernel gave none), 0 for a message without an
/// extended error, -1 with errno (EAGAIN: the queue is empty).
int pm_trace_read_error(int fd, struct pm_trace_error *error, char *offender, int offender_capacity);
/// Waits up to timeout_ms for the socket: a mask of 1 (readable), 2 (writable, asked only when
/// want_writable), 4 (an error is pending or queued, or a hang-up); 0 on timeout, -1 with errno.
int pm_trace_poll(int fd, int want_writable, int timeout_ms);

#endif
