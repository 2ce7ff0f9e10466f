/*
 * raw_datagram: the baseline for Benchmarks/run-datagram-benchmarks.sh.
 *
 * UDP echo and ICMP echo probes written the plainest fast way Linux allows -- one non-blocking
 * socket, poll(), no library -- so the agent's UDP and ICMP probers can be judged against what
 * the kernel alone costs. Each probe is what the Swift prober sends: for UDP a 44-byte Pingmesh
 * echo request (magic, type, prober id, sequence, send time), for ICMP an echo request with an
 * identifier and sequence. Every reply is read with recvmsg and its kernel receive timestamp
 * (SO_TIMESTAMPNS), so each one gives two RTTs: send call to the kernel's stamp, and send call to
 * the moment user space read it.
 *
 * Modes:
 *   raw_datagram serve --port PORT
 *       A UDP echo responder for both probers on 0.0.0.0:PORT (answers every 127.x.y.z): turns
 *       each Pingmesh request into its reply, with its receive and send times. Runs until a signal.
 *   raw_datagram udp --target IP:PORT --duration S --concurrency N
 *   raw_datagram icmp --target IP --duration S --concurrency N
 *       N probes always in flight for S seconds; prints one JSON line: probes answered, CPU
 *       seconds (user + system), and the median and P99 of both RTTs and of their difference.
 *       A probe unanswered after 1 s counts as lost and is sent again.
 *
 * Safety: the target must lie in 127.0.0.0/8, checked before the first send. Every loop but
 * serve ends by itself at its deadline.
 *
 * Build: gcc -O2 -Wall -Wextra -o raw_datagram raw_datagram.c   (Linux only, no dependencies)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x504D5531u
#define HEADER 44
#define MAX_SAMPLES 4000000

static int64_t clock_ns(clockid_t id) {
    struct timespec now;
    clock_gettime(id, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "raw_datagram: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void put64(uint8_t *p, uint64_t v) { for (int i = 7; i >= 0; i--) { p[i] = v & 0xff; v >>= 8; } }
static uint64_t get64(const uint8_t *p) { uint64_t v = 0; for (int i = 0; i < 8; i++) v = v << 8 | p[i]; return v; }

static int64_t rx_stamp(struct msghdr *message) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(message); c; c = CMSG_NXTHDR(message, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec t;
            memcpy(&t, CMSG_DATA(c), sizeof t);
            return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
        }
    }
    return 0;
}

static uint16_t checksum(const uint8_t *data, size_t length) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < length; i += 2) sum += (uint32_t)data[i] << 8 | data[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static int serve(int port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) die("socket");
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) die("bind");
    int buffer = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    uint8_t packet[65536];
    for (;;) {
        struct sockaddr_storage from;
        socklen_t length = sizeof from;
        ssize_t n = recvfrom(fd, packet, sizeof packet, 0, (struct sockaddr *)&from, &length);
        if (n < 0) { if (errno == EINTR) continue; die("recvfrom"); }
        int64_t received = clock_ns(CLOCK_MONOTONIC);
        if (n < HEADER || get64(packet) >> 32 != MAGIC || packet[4] != 1) continue;
        packet[4] = 2;
        put64(packet + 28, (uint64_t)received);
        put64(packet + 36, (uint64_t)clock_ns(CLOCK_MONOTONIC));
        sendto(fd, packet, (size_t)n, 0, (struct sockaddr *)&from, length);
    }
    return 0;
}

static int compare(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double percentile_us(int64_t *values, long count, double q) {
    if (count == 0) return 0;
    long index = (long)(q * (double)(count - 1) + 0.5);
    return (double)values[index] / 1000.0;
}

static int run(int icmp, const char *target, int port, double seconds, int concurrency) {
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, target, &to.sin_addr) != 1 || (ntohl(to.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "raw_datagram: target %s is not in 127.0.0.0/8\n", target);
        return 2;
    }
    int raw = 0;
    int fd = icmp ? socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) : socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 && icmp) { fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP); raw = 1; }
    if (fd < 0) die("socket");
    int one = 1, buffer = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    uint16_t identifier = (uint16_t)(getpid() & 0xffff);
    uint32_t prober = (uint32_t)getpid();
    int64_t *sent_wall = calloc((size_t)concurrency, sizeof(int64_t));
    int64_t *sent_mono = calloc((size_t)concurrency, sizeof(int64_t));
    uint64_t *sequence_of = calloc((size_t)concurrency, sizeof(uint64_t));
    int64_t *kernel = malloc(MAX_SAMPLES * sizeof(int64_t));
    int64_t *user = malloc(MAX_SAMPLES * sizeof(int64_t));
    int64_t *overhead = malloc(MAX_SAMPLES * sizeof(int64_t));
    long answered = 0, lost = 0, stamped = 0;
    uint8_t packet[HEADER], reply[1024], control[128];

    // Sends the slot's current sequence number; slot = (sequence - 1) mod concurrency, so each
    // slot's numbers step by the concurrency (a power of two for ICMP's 16-bit sequence).
    #define SEND(slot) do { \
        uint64_t seq = sequence_of[slot]; \
        memset(packet, 0, sizeof packet); \
        size_t size; \
        if (icmp) { \
            packet[0] = ICMP_ECHO; packet[4] = identifier >> 8; packet[5] = identifier & 0xff; \
            packet[6] = (seq >> 8) & 0xff; packet[7] = seq & 0xff; size = 8; \
            uint16_t sum = checksum(packet, size); packet[2] = sum >> 8; packet[3] = sum & 0xff; \
        } else { \
            put64(packet, (uint64_t)MAGIC << 32 | 1u << 24); \
            packet[8] = prober >> 24; packet[9] = (prober >> 16) & 0xff; packet[10] = (prober >> 8) & 0xff; packet[11] = prober & 0xff; \
            put64(packet + 12, seq); size = HEADER; \
        } \
        sent_wall[slot] = clock_ns(CLOCK_REALTIME); sent_mono[slot] = clock_ns(CLOCK_MONOTONIC); \
        if (!icmp) put64(packet + 20, (uint64_t)sent_mono[slot]); \
        if (sendto(fd, packet, size, 0, (struct sockaddr *)&to, sizeof to) < 0) die("sendto"); \
    } while (0)

    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    int64_t start = clock_ns(CLOCK_MONOTONIC), end = start + (int64_t)(seconds * 1e9);
    for (int slot = 0; slot < concurrency; slot++) { sequence_of[slot] = 1 + (uint64_t)slot; SEND(slot); }
    for (;;) {
        int64_t now = clock_ns(CLOCK_MONOTONIC);
        if (now >= end) break;
        struct pollfd poller = {.fd = fd, .events = POLLIN};
        int ready = poll(&poller, 1, 100);
        if (ready < 0 && errno != EINTR) die("poll");
        // At most a batch per wake-up: on loopback the kernel answers ICMP as fast as we send, and
        // the queue would never run dry to let the deadline be checked.
        for (int batch = 0; batch < 256; batch++) {
            struct sockaddr_storage from;
            struct iovec iov = {.iov_base = reply, .iov_len = sizeof reply};
            struct msghdr message = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
                                     .msg_control = control, .msg_controllen = sizeof control};
            ssize_t n = recvmsg(fd, &message, MSG_DONTWAIT);
            if (n < 0) break;
            int64_t read_mono = clock_ns(CLOCK_MONOTONIC);
            int64_t stamp = rx_stamp(&message);
            uint64_t seq;
            const uint8_t *body = reply;
            if (icmp) {
                if (raw) { size_t header = (size_t)(reply[0] & 0x0f) * 4; body = reply + header; n -= (ssize_t)header; }
                if (n < 8 || body[0] != ICMP_ECHOREPLY) continue;
                if (raw && (uint16_t)(body[4] << 8 | body[5]) != identifier) continue;
                seq = (uint64_t)(body[6] << 8 | body[7]);
            } else {
                if (n < HEADER || body[4] != 2) continue;
                seq = get64(body + 12);
            }
            int slot = (int)((seq - 1) % (uint64_t)concurrency);
            if (icmp) slot = (int)(((seq + 65535) & 0xffff) % (uint64_t)concurrency);
            if (icmp ? (sequence_of[slot] & 0xffff) != seq : sequence_of[slot] != seq) continue;
            int64_t user_rtt = read_mono - sent_mono[slot];
            if (answered < MAX_SAMPLES) {
                user[answered] = user_rtt;
                if (stamp > 0) {
                    kernel[stamped] = stamp - sent_wall[slot];
                    overhead[stamped] = user_rtt - kernel[stamped];
                    stamped++;
                }
            }
            answered++;
            sequence_of[slot] += (uint64_t)concurrency;
            SEND(slot);
        }
        now = clock_ns(CLOCK_MONOTONIC);
        for (int slot = 0; slot < concurrency; slot++) {
            if (now - sent_mono[slot] > 1000000000) { lost++; sequence_of[slot] += (uint64_t)concurrency; SEND(slot); }
        }
    }
    double elapsed = (double)(clock_ns(CLOCK_MONOTONIC) - start) / 1e9;
    getrusage(RUSAGE_SELF, &after);
    double cpu = (double)(after.ru_utime.tv_sec - before.ru_utime.tv_sec + after.ru_stime.tv_sec - before.ru_stime.tv_sec) +
                 (double)(after.ru_utime.tv_usec - before.ru_utime.tv_usec + after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e6;
    long samples = answered < MAX_SAMPLES ? answered : MAX_SAMPLES;
    qsort(user, (size_t)samples, sizeof *user, compare);
    qsort(kernel, (size_t)stamped, sizeof *kernel, compare);
    qsort(overhead, (size_t)stamped, sizeof *overhead, compare);
    printf("{\"prober\":\"raw\",\"kind\":\"%s\",\"socket\":\"%s\",\"seconds\":%.3f,\"answered\":%ld,\"lost\":%ld,\"stamped\":%ld,"
           "\"cpu_seconds\":%.3f,\"per_second\":%.0f,\"per_cpu_second\":%.0f,"
           "\"user_p50_us\":%.2f,\"user_p99_us\":%.2f,\"kernel_p50_us\":%.2f,\"kernel_p99_us\":%.2f,"
           "\"overhead_p50_us\":%.2f,\"overhead_p99_us\":%.2f}\n",
           icmp ? "icmp" : "udp", raw ? "raw" : "datagram", elapsed, answered, lost, stamped, cpu, (double)answered / elapsed,
           cpu > 0 ? (double)answered / cpu : 0,
           percentile_us(user, samples, 0.5), percentile_us(user, samples, 0.99), percentile_us(kernel, stamped, 0.5),
           percentile_us(kernel, stamped, 0.99), percentile_us(overhead, stamped, 0.5), percentile_us(overhead, stamped, 0.99));
    return 0;
}

int main(int argc, char **argv) {
    const char *target = NULL;
    int port = 0, concurrency = 16;
    double seconds = 5;
    if (argc < 2) goto usage;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--duration")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--concurrency")) concurrency = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--target")) {
            static char host[64];
            snprintf(host, sizeof host, "%s", argv[i + 1]);
            char *colon = strchr(host, ':');
            if (colon) { *colon = 0; port = atoi(colon + 1); }
            target = host;
        } else goto usage;
    }
    if (concurrency < 1 || concurrency > 4096 || seconds <= 0) goto usage;
    if (!strcmp(argv[1], "icmp") && (concurrency & (concurrency - 1)) != 0) { fprintf(stderr, "raw_datagram: icmp needs a power-of-two concurrency\n"); return 2; }
    if (!strcmp(argv[1], "serve") && port > 0) return serve(port);
    if (!strcmp(argv[1], "udp") && target && port > 0) return run(0, target, port, seconds, concurrency);
    if (!strcmp(argv[1], "icmp") && target) return run(1, target, 0, seconds, concurrency);
usage:
    fprintf(stderr, "usage: raw_datagram serve --port P | udp --target IP:PORT | icmp --target IP  [--duration S] [--concurrency N]\n");
    return 2;
}
