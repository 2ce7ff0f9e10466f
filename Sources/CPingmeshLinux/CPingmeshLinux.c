#include "CPingmeshLinux.h"
#include "PMDatagram.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/epoll.h>
#include <sys/eventfd.h>

const uint32_t PM_EPOLLIN = EPOLLIN;
const uint32_t PM_EPOLLOUT = EPOLLOUT;
const uint32_t PM_EPOLLERR = EPOLLERR;
const uint32_t PM_EPOLLHUP = EPOLLHUP;

int pm_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int pm_epoll_add(int epfd, int fd, uint32_t events, uint64_t key) {
    struct epoll_event event = {.events = events, .data.u64 = key};
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

int pm_epoll_modify(int epfd, int fd, uint32_t events, uint64_t key) {
    struct epoll_event event = {.events = events, .data.u64 = key};
    return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &event);
}

int pm_epoll_wait(int epfd, uint64_t *keys, uint32_t *events, int capacity, int timeout_ms) {
    struct epoll_event ready[256];
    if (capacity > 256) capacity = 256;
    int count = epoll_wait(epfd, ready, capacity, timeout_ms);
    for (int i = 0; i < count; i++) {
        keys[i] = ready[i].data.u64;
        events[i] = ready[i].events;
    }
    return count;
}

int pm_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int pm_eventfd_signal(int fd) {
    uint64_t one = 1;
    return (int)write(fd, &one, sizeof one);
}

void pm_eventfd_drain(int fd) {
    uint64_t value;
    while (read(fd, &value, sizeof value) > 0) {}
}
#else
const uint32_t PM_EPOLLIN = 0, PM_EPOLLOUT = 0, PM_EPOLLERR = 0, PM_EPOLLHUP = 0;
int pm_epoll_create(void) { errno = ENOSYS; return -1; }
int pm_epoll_add(int epfd, int fd, uint32_t events, uint64_t key) { errno = ENOSYS; return -1; }
int pm_epoll_modify(int epfd, int fd, uint32_t events, uint64_t key) { errno = ENOSYS; return -1; }
int pm_epoll_wait(int epfd, uint64_t *keys, uint32_t *events, int capacity, int timeout_ms) { errno = ENOSYS; return -1; }
int pm_eventfd(void) { errno = ENOSYS; return -1; }
int pm_eventfd_signal(int fd) { errno = ENOSYS; return -1; }
void pm_eventfd_drain(int fd) {}
#endif

int pm_probe_socket(int family) {
#ifdef __linux__
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
    int fd = socket(family, SOCK_STREAM, 0);
#endif
    if (fd < 0) return -1;
    int one = 1;
    struct linger linger = {.l_onoff = 1, .l_linger = 0};
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int pm_set_dscp(int fd, int family, int dscp) {
    int value = (dscp & 0x3f) << 2;
    if (family == AF_INET6) return setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &value, sizeof value);
    return setsockopt(fd, IPPROTO_IP, IP_TOS, &value, sizeof value);
}

int pm_socket_error(int fd) {
    int error = 0;
    socklen_t length = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
    return error;
}

int pm_local_port(int fd) {
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    int saved = errno;
    int result = -1;
    if (getsockname(fd, (struct sockaddr *)&address, &length) == 0) {
        if (address.ss_family == AF_INET) {
            result = ntohs(((struct sockaddr_in *)&address)->sin_port);
        } else if (address.ss_family == AF_INET6) {
            result = ntohs(((struct sockaddr_in6 *)&address)->sin6_port);
        }
    }
    // Callers read errno of the connect that came before; leave it as it was.
    errno = saved;
    return result > 0 ? result : -1;
}

int64_t pm_monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

int pm_tcp_total_retransmits(int fd) {
#ifdef __linux__
    struct tcp_info info;
    socklen_t length = sizeof info;
    int saved = errno;
    int result = -1;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) == 0 && length >= sizeof info) {
        result = (int)info.tcpi_total_retrans;
    }
    errno = saved;
    return result;
#else
    return -1;
#endif
}

// MARK: ICMP echo

#ifdef __linux__
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <string.h>

static uint16_t pm_checksum(const uint8_t *data, size_t length) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < length; i += 2) sum += (uint32_t)data[i] << 8 | data[i + 1];
    if (length & 1) sum += (uint32_t)data[length - 1] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

int pm_icmp_socket(int family, int *raw) {
    int protocol = family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    *raw = 0;
    if (fd < 0) {
        fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
        if (fd < 0) return -1;
        *raw = 1;
    }
    int one = 1;
    if (family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one);
        if (*raw) {
            // Only echo replies reach a raw ICMPv6 socket, not every neighbour discovery packet.
            struct icmp6_filter filter;
            ICMP6_FILTER_SETBLOCKALL(&filter);
            ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
            setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
        }
    } else {
        setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one);
    }
    int buffer = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    pm_enable_rx_timestamps(fd);  // best effort: without it replies are timed in user space
    return fd;
}

int pm_icmp_send(int fd, int family, const struct sockaddr *to, socklen_t length, uint16_t identifier, uint16_t sequence, int size) {
    uint8_t packet[8 + 65507];
    if (size < 0 || size > 65507 - 8) { errno = EMSGSIZE; return -1; }
    memset(packet, 0, 8 + (size_t)size);
    packet[0] = family == AF_INET6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
    packet[4] = identifier >> 8;
    packet[5] = identifier & 0xff;
    packet[6] = sequence >> 8;
    packet[7] = sequence & 0xff;
    for (int i = 0; i < size; i++) packet[8 + i] = (uint8_t)i;
    // ICMPv6 checksums cover a pseudo-header; the kernel computes them. IPv4's is ours to write
    // (a ping socket recomputes it after setting its own identifier).
    if (family == AF_INET) {
        uint16_t sum = pm_checksum(packet, 8 + (size_t)size);
        packet[2] = sum >> 8;
        packet[3] = sum & 0xff;
    }
    ssize_t sent = sendto(fd, packet, 8 + (size_t)size, 0, to, length);
    return sent < 0 ? -1 : 0;
}

int pm_icmp_receive(int fd, int family, int raw, uint16_t *identifier, uint16_t *sequence, int *ttl, struct sockaddr_storage *from, int64_t *received_ns) {
    uint8_t data[65536];
    uint8_t control[256];
    struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
    struct msghdr message = {
        .msg_name = from, .msg_namelen = sizeof *from, .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = control, .msg_controllen = sizeof control};
    ssize_t length = recvmsg(fd, &message, 0);
    if (length < 0) return -1;
    *received_ns = pm_message_rx_timestamp(&message);
    const uint8_t *icmp = data;
    ssize_t icmpLength = length;
    *ttl = -1;
    // A raw IPv4 socket hands over the IP header too.
    if (family == AF_INET && raw) {
        if (length < 20) return 0;
        size_t header = (size_t)(data[0] & 0x0f) * 4;
        if ((ssize_t)header + 8 > length) return 0;
        *ttl = data[8];
        icmp = data + header;
        icmpLength = length - (ssize_t)header;
    }
    if (icmpLength < 8) return 0;
    uint8_t reply = family == AF_INET6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY;
    if (icmp[0] != reply || icmp[1] != 0) return 0;
    *identifier = (uint16_t)(icmp[4] << 8 | icmp[5]);
    *sequence = (uint16_t)(icmp[6] << 8 | icmp[7]);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c != NULL; c = CMSG_NXTHDR(&message, c)) {
        if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) || (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
            int value;
            memcpy(&value, CMSG_DATA(c), sizeof value);
            *ttl = value;
        }
    }
    return 1;
}

int pm_icmp_identifier(int fd) {
    // A ping socket's identifier is its local "port", assigned at the first send or bind.
    return pm_local_port(fd);
}
#else
int pm_icmp_socket(int family, int *raw) { errno = ENOSYS; return -1; }
int pm_icmp_send(int fd, int family, const struct sockaddr *to, socklen_t length, uint16_t identifier, uint16_t sequence, int size) { errno = ENOSYS; return -1; }
int pm_icmp_receive(int fd, int family, int raw, uint16_t *identifier, uint16_t *sequence, int *ttl, struct sockaddr_storage *from, int64_t *received_ns) { errno = ENOSYS; return -1; }
int pm_icmp_identifier(int fd) { return -1; }
#endif

int pm_poll_readable(const int *fds, int count, int timeout_ms, int *ready) {
    struct pollfd polls[4];
    if (count > 4) count = 4;
    for (int i = 0; i < count; i++) { polls[i].fd = fds[i]; polls[i].events = POLLIN; polls[i].revents = 0; }
    int result = poll(polls, (nfds_t)count, timeout_ms);
    for (int i = 0; i < count; i++) ready[i] = (polls[i].revents & (POLLIN | POLLERR)) != 0;
    return result;
}

#ifdef __GLIBC__
#include <malloc.h>
int pm_limit_malloc_arenas(int count) { return mallopt(M_ARENA_MAX, count); }
#else
int pm_limit_malloc_arenas(int count) { return 0; }
#endif

// MARK: - traceroute

#ifdef __linux__
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <string.h>

const int PM_TRACE_LOCAL = 0;
const int PM_TRACE_TIME_EXCEEDED = 1;
const int PM_TRACE_PORT_UNREACHABLE = 2;
const int PM_TRACE_UNREACHABLE = 3;
const int PM_TRACE_OTHER_ICMP = 4;

int pm_trace_socket(int family, int tcp, const char **step) {
    *step = "socket";
    int fd = socket(family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    int failed;
    if (family == AF_INET6) {
        *step = "IPV6_RECVERR";
        failed = setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof one);
    } else {
        *step = "IP_RECVERR";
        failed = setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof one);
    }
    if (!failed && tcp) {
        struct linger linger = {.l_onoff = 1, .l_linger = 0};
        *step = "SO_REUSEADDR";
        failed = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (!failed) {
            *step = "SO_LINGER";
            failed = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
        }
    }
    if (failed) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int pm_trace_set_ttl(int fd, int family, int ttl) {
    if (family == AF_INET6) return setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl);
    return setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
}

static int pm_trace_kind(int origin, int type, int code) {
    if (origin == SO_EE_ORIGIN_ICMP) {
        if (type == ICMP_TIME_EXCEEDED) return PM_TRACE_TIME_EXCEEDED;
        if (type == ICMP_DEST_UNREACH) return code == ICMP_PORT_UNREACH ? PM_TRACE_PORT_UNREACHABLE : PM_TRACE_UNREACHABLE;
        return PM_TRACE_OTHER_ICMP;
    }
    if (origin == SO_EE_ORIGIN_ICMP6) {
        if (type == ICMP6_TIME_EXCEEDED) return PM_TRACE_TIME_EXCEEDED;
        if (type == ICMP6_DST_UNREACH) return code == ICMP6_DST_UNREACH_NOPORT ? PM_TRACE_PORT_UNREACHABLE : PM_TRACE_UNREACHABLE;
        return PM_TRACE_OTHER_ICMP;
    }
    return PM_TRACE_LOCAL;
}

int pm_trace_read_error(int fd, struct pm_trace_error *error, char *offender, int offender_capacity) {
    uint8_t data[512];
    uint8_t control[512];
    struct sockaddr_storage name;
    struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
    struct msghdr message = {
        .msg_name = &name, .msg_namelen = sizeof name, .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = control, .msg_controllen = sizeof control};
    ssize_t length = recvmsg(fd, &message, MSG_ERRQUEUE | MSG_DONTWAIT);
    if (length < 0) return -1;
    memset(error, 0, sizeof *error);
    if (offender_capacity > 0) offender[0] = 0;
    int found = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c != NULL; c = CMSG_NXTHDR(&message, c)) {
        int ours = (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
                   (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR);
        if (!ours) continue;
        struct sock_extended_err *extended = (struct sock_extended_err *)CMSG_DATA(c);
        int icmp = extended->ee_origin == SO_EE_ORIGIN_ICMP || extended->ee_origin == SO_EE_ORIGIN_ICMP6;
        error->kind = pm_trace_kind(extended->ee_origin, extended->ee_type, extended->ee_code);
        error->icmp_type = icmp ? extended->ee_type : -1;
        error->icmp_code = icmp ? extended->ee_code : -1;
        error->error = (int)extended->ee_errno;
        // The router (or host) that sent the ICMP message follows the struct.
        struct sockaddr *from = SO_EE_OFFENDER(extended);
        if (offender_capacity > 0 && from->sa_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)from)->sin_addr, offender, (socklen_t)offender_capacity);
        } else if (offender_capacity > 0 && from->sa_family == AF_INET6) {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)from)->sin6_addr, offender, (socklen_t)offender_capacity);
        }
        found = 1;
    }
    // The data is what the ICMP message quoted of the probe, from past its transport header
    // (UDP) or from its transport header (TCP).
    size_t copied = (size_t)length < sizeof error->payload ? (size_t)length : sizeof error->payload;
    memcpy(error->payload, data, copied);
    error->payload_length = (int)copied;
    return found;
}
#else
const int PM_TRACE_LOCAL = 0, PM_TRACE_TIME_EXCEEDED = 1, PM_TRACE_PORT_UNREACHABLE = 2, PM_TRACE_UNREACHABLE = 3, PM_TRACE_OTHER_ICMP = 4;
int pm_trace_socket(int family, int tcp, const char **step) { *step = "IP_RECVERR"; errno = ENOSYS; return -1; }
int pm_trace_set_ttl(int fd, int family, int ttl) { errno = ENOSYS; return -1; }
int pm_trace_read_error(int fd, struct pm_trace_error *error, char *offender, int offender_capacity) { errno = ENOSYS; return -1; }
#endif

int pm_trace_poll(int fd, int want_writable, int timeout_ms) {
    struct pollfd one = {.fd = fd, .events = POLLIN | (want_writable ? POLLOUT : 0), .revents = 0};
    int result = poll(&one, 1, timeout_ms);
    if (result <= 0) return result;
    int mask = 0;
    if (one.revents & POLLIN) mask |= 1;
    if (one.revents & POLLOUT) mask |= 2;
    if (one.revents & (POLLERR | POLLHUP)) mask |= 4;
    return mask;
}
