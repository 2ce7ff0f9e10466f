#define _GNU_SOURCE
#include "PMDatagram.h"
#include "CPingmeshLinux.h"

#include <errno.h>
#include <pthread.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

int64_t pm_realtime_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

void pm_name_this_thread(const char *name) {
#ifdef __linux__
    char shortened[16];
    strncpy(shortened, name, sizeof shortened - 1);
    shortened[sizeof shortened - 1] = 0;
    pthread_setname_np(pthread_self(), shortened);
#endif
}

#ifdef __linux__
int pm_enable_rx_timestamps(int fd) {
    int one = 1;
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
}

int64_t pm_message_rx_timestamp(const struct msghdr *message) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(message); c != NULL; c = CMSG_NXTHDR((struct msghdr *)message, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS && c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
            struct timespec stamp;
            memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
            return (int64_t)stamp.tv_sec * 1000000000 + stamp.tv_nsec;
        }
    }
    return 0;
}

int pm_udp_probe_socket(const struct sockaddr *address, socklen_t length, int dscp, const char **step) {
    int fd = socket(address->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
    if (fd < 0) { *step = "socket"; return -1; }
    int one = 1;
    int port = address->sa_family == AF_INET6 ? ((const struct sockaddr_in6 *)address)->sin6_port
                                              : ((const struct sockaddr_in *)address)->sin_port;
    if (port != 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) { *step = "SO_REUSEADDR"; goto fail; }
    if (dscp >= 0 && dscp <= 63 && pm_set_dscp(fd, address->sa_family, dscp) != 0) { *step = "DSCP"; goto fail; }
    int buffer = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    pm_enable_rx_timestamps(fd);  // best effort: without it replies are timed in user space
    if (bind(fd, address, length) != 0) { *step = "bind"; goto fail; }
    return fd;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

int pm_udp_send(int fd, const void *data, int length, const struct sockaddr *to, socklen_t to_length) {
    return sendto(fd, data, (size_t)length, 0, to, to_length) < 0 ? -1 : 0;
}

int pm_udp_receive_batch(int fd, void *buffer, int slot_size, int count, int *lengths, int64_t *received_ns) {
    enum { most = 64, control_size = 64 };
    if (count > most) count = most;
    struct mmsghdr messages[most];
    struct iovec vectors[most];
    uint8_t controls[most][control_size];
    for (int i = 0; i < count; i++) {
        vectors[i] = (struct iovec){.iov_base = (uint8_t *)buffer + (size_t)i * (size_t)slot_size, .iov_len = (size_t)slot_size};
        messages[i].msg_hdr = (struct msghdr){.msg_iov = &vectors[i], .msg_iovlen = 1, .msg_control = controls[i], .msg_controllen = control_size};
        messages[i].msg_len = 0;
    }
    int read = recvmmsg(fd, messages, (unsigned)count, MSG_DONTWAIT, NULL);
    for (int i = 0; i < read; i++) {
        lengths[i] = (int)messages[i].msg_len;
        received_ns[i] = pm_message_rx_timestamp(&messages[i].msg_hdr);
    }
    return read;
}
#else
int pm_udp_receive_batch(int fd, void *buffer, int slot_size, int count, int *lengths, int64_t *received_ns) { errno = ENOSYS; return -1; }
int pm_enable_rx_timestamps(int fd) { errno = ENOSYS; return -1; }
int64_t pm_message_rx_timestamp(const struct msghdr *message) { return 0; }
int pm_udp_probe_socket(const struct sockaddr *address, socklen_t length, int dscp, const char **step) { *step = "socket"; errno = ENOSYS; return -1; }
int pm_udp_send(int fd, const void *data, int length, const struct sockaddr *to, socklen_t to_length) { errno = ENOSYS; return -1; }
#endif
