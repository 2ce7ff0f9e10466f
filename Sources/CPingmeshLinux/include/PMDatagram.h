#ifndef C_PINGMESH_DATAGRAM_H
#define C_PINGMESH_DATAGRAM_H

#include <stdint.h>
#include <sys/socket.h>

// Datagram probes with kernel receive timestamps. A reply's RTT measured in user space includes
// the reader thread's wake-up and scheduling; SO_TIMESTAMPNS has the kernel stamp each datagram
// as it arrives, so the RTT can end where the network's part did. Stamps are CLOCK_REALTIME, so
// the send side is read on that clock too (`pm_realtime_ns` right before the send call).

/// CLOCK_REALTIME in nanoseconds: the clock kernel receive timestamps are on.
int64_t pm_realtime_ns(void);

/// Names the calling thread as `top -H` and /proc show it (at most 15 bytes are kept). A thread
/// otherwise keeps the name of the one that made it, such as a dispatch worker's.
void pm_name_this_thread(const char *name);

/// Turns on kernel receive timestamps (SO_TIMESTAMPNS). 0, or -1 with errno (no such option:
/// replies are then timed in user space).
int pm_enable_rx_timestamps(int fd);

/// The kernel receive time of a message read with recvmsg, from its control messages: nanoseconds
/// on CLOCK_REALTIME, or 0 when the kernel attached none.
int64_t pm_message_rx_timestamp(const struct msghdr *message);

/// A non-blocking UDP socket for probes: bound to `address` (port 0 lets the kernel pick; a
/// given port gets SO_REUSEADDR, so a restarted agent rebinds its rotation at once), marked with
/// DSCP `dscp` when it is 0...63, a 4 MiB receive buffer, kernel receive timestamps where the
/// kernel has them. -1 with errno; *step names the call that failed.
int pm_udp_probe_socket(const struct sockaddr *address, socklen_t length, int dscp, const char **step);

/// Sends one datagram. 0, or -1 with errno.
int pm_udp_send(int fd, const void *data, int length, const struct sockaddr *to, socklen_t to_length);

/// Reads up to `count` waiting datagrams in one call (recvmmsg), each into its own `slot_size`
/// bytes of buffer (a longer datagram is cut: probes need only their header), with its length
/// and kernel receive time (0 when none). The number read; -1 with errno (EAGAIN: none waiting).
int pm_udp_receive_batch(int fd, void *buffer, int slot_size, int count, int *lengths, int64_t *received_ns);

#endif
