#include "CPingmeshLinux.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>
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
