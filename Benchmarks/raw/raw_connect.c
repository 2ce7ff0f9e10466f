/*
 * raw_connect: the baseline for Benchmarks/run-benchmarks.sh.
 *
 * A TCP connect prober written the plainest fast way Linux allows -- non-blocking sockets and one
 * epoll loop, no library -- so the Swift prober (SwiftNIO) can be judged against what the kernel
 * alone costs. Each probe does exactly what PingmeshProbe's TCPProber does: a new socket with
 * TCP_NODELAY, a non-blocking connect, wait for writability, read SO_ERROR, time the handshake with
 * CLOCK_MONOTONIC, then SO_LINGER {1,0} and close, so the probe ends with an RST and leaves no
 * TIME_WAIT behind.
 *
 * Modes:
 *   raw_connect serve --listen HOST:PORT
 *       Neutral responder for both probers: accepts and holds each connection until the peer
 *       closes or resets it. HOST is 0.0.0.0 (answers every 127.x.y.z) or a 127.x address.
 *       Runs until SIGTERM or SIGINT.
 *   raw_connect throughput --target IP:PORT --duration S --concurrency N
 *       N connects always in flight for S seconds; prints one JSON line.
 *   raw_connect rate --base 127.2.0.0 --count N --port PORT --rate R --duration S
 *       R connects per second, evenly spaced, cycling through N loopback addresses; prints one
 *       JSON line with the CPU share of one core and the peak RSS.
 *
 * Safety: every address this program connects to must lie in 127.0.0.0/8, checked before the
 * first connect; the listener binds only 0.0.0.0 or 127.0.0.0/8. Every loop ends by itself
 * (a deadline) except serve, which ends on a signal.
 *
 * Build: gcc -O2 -Wall -Wextra -o raw_connect raw_connect.c   (Linux only, no dependencies)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define MAX_EVENTS 256

static const char *usage_text =
    "usage:\n"
    "  raw_connect serve --listen HOST:PORT\n"
    "  raw_connect throughput --target IP:PORT --duration S --concurrency N\n"
    "  raw_connect rate --base 127.2.0.0 --count N --port PORT --rate R --duration S\n"
    "addresses must be IPv4 in 127.0.0.0/8 (serve also accepts 0.0.0.0)\n";

static void usage(const char *why) {
    if (why) fprintf(stderr, "raw_connect: %s\n", why);
    fputs(usage_text, stderr);
    exit(EXIT_USAGE);
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

/* ---------- small helpers ---------- */

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static long max_rss_kib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss; /* KiB on Linux */
}

static int is_loopback(uint32_t host_order) { return (host_order >> 24) == 127; }

/* Whole-string number parsers: a typo must be a usage error, not a silent zero. */
static long parse_long(const char *text, long min, long max, const char *flag) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) {
        fprintf(stderr, "raw_connect: %s: '%s' is not a whole number in %ld...%ld\n", flag, text, min, max);
        usage(NULL);
    }
    return v;
}

static double parse_seconds(const char *text, const char *flag) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v > 0) || v > 86400) {
        fprintf(stderr, "raw_connect: %s: '%s' is not a number of seconds in (0, 86400]\n", flag, text);
        usage(NULL);
    }
    return v;
}

/* "A.B.C.D:PORT" -> sockaddr_in. IPv4 only: the benchmark runs on loopback. */
static struct sockaddr_in parse_host_port(const char *text, const char *flag) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    const char *colon = strrchr(text, ':');
    char host[64];
    if (!colon || (size_t)(colon - text) >= sizeof host) {
        fprintf(stderr, "raw_connect: %s: '%s' is not IPv4:PORT\n", flag, text);
        usage(NULL);
    }
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "raw_connect: %s: '%s' is not an IPv4 address\n", flag, host);
        usage(NULL);
    }
    sa.sin_port = htons((uint16_t)parse_long(colon + 1, 1, 65535, flag));
    return sa;
}

/* Thousands of sockets at once need more than the usual soft limit of 1024 descriptors. */
static void raise_fd_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* ---------- serve ---------- */

static int serve(const struct sockaddr_in *listen_addr) {
    /* Block the signals and read them from a signalfd in the same epoll set: the loop then ends
     * cleanly, with no race between checking a flag and sleeping in epoll_wait. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) die("sigprocmask");
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0) die("signalfd");

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) die("socket");
    int one = 1;
    /* SO_REUSEADDR: a rerun right after a previous one must not fail on the same port. */
    if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) die("setsockopt SO_REUSEADDR");
    if (bind(lfd, (const struct sockaddr *)listen_addr, sizeof *listen_addr) < 0) die("bind");
    /* A deep backlog: the probers open connections in bursts of up to the concurrency limit. */
    if (listen(lfd, 4096) < 0) die("listen");

    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    /* data.fd == -1 marks the signalfd; every other fd stands for itself. */
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) die("epoll_ctl listen");
    ev.data.fd = sfd;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) < 0) die("epoll_ctl signalfd");

    char addr[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &listen_addr->sin_addr, addr, sizeof addr);
    fprintf(stderr, "raw_connect: serving on %s:%u\n", addr, ntohs(listen_addr->sin_port));

    unsigned long accepted = 0;
    struct epoll_event events[MAX_EVENTS];
    char sink[4096];
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == sfd) {
                fprintf(stderr, "raw_connect: stopping after %lu connections\n", accepted);
                return 0;
            }
            if (fd == lfd) {
                /* Drain the accept queue: level-triggered, but one wakeup per connection would
                 * make the responder, not the prober, the bottleneck. */
                for (;;) {
                    int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (cfd < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED || errno == EINTR) break;
                        if (errno == EMFILE || errno == ENFILE) {
                            perror("accept4"); /* keep serving: the probers see timeouts */
                            break;
                        }
                        die("accept4");
                    }
                    accepted++;
                    struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = cfd};
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev) < 0) die("epoll_ctl accept");
                }
                continue;
            }
            /* A client socket: read until EOF/RST (or nothing more now); closing only when the
             * peer did keeps the responder passive, so it never sends the first FIN itself. */
            for (;;) {
                ssize_t r = read(fd, sink, sizeof sink);
                if (r > 0) continue;
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                if (r < 0 && errno == EINTR) continue;
                close(fd); /* EOF, ECONNRESET or another error: the connection is over */
                break;
            }
        }
    }
}

/* ---------- probing (throughput and rate) ---------- */

/* One connect in flight, linked into the in-flight list by slot index. */
struct probe {
    int fd;             /* -1 when the slot is free */
    int prev, next;     /* neighbours in the in-flight list, -1 at the ends */
    int64_t started_ns;
};

struct prober {
    int ep;
    struct probe *slots;
    int capacity;
    int *free_list;
    int free_count;
    /* In-flight probes in start order (oldest at head). Every probe has the same timeout, so
     * start order is deadline order: the head is the next to expire, and both starting and
     * finishing a probe are O(1) list operations. */
    int head, tail;
    int64_t timeout_ns;
    unsigned long probes, answered, timeouts, errors;
    double rtt_sum_us;
};

static void prober_init(struct prober *p, int capacity, int64_t timeout_ns) {
    memset(p, 0, sizeof *p);
    p->ep = epoll_create1(EPOLL_CLOEXEC);
    if (p->ep < 0) die("epoll_create1");
    p->capacity = capacity;
    p->slots = calloc((size_t)capacity, sizeof *p->slots);
    p->free_list = calloc((size_t)capacity, sizeof *p->free_list);
    if (!p->slots || !p->free_list) die("calloc");
    p->head = p->tail = -1;
    for (int i = 0; i < capacity; i++) {
        p->slots[i].fd = -1;
        p->free_list[p->free_count++] = capacity - 1 - i;
    }
    p->timeout_ns = timeout_ns;
}

static int prober_in_flight(const struct prober *p) { return p->capacity - p->free_count; }

/* Ends a probe the way TCPProber does: SO_LINGER {1,0} makes close() send an RST, so neither
 * side keeps TIME_WAIT state and the ephemeral ports never run out. */
static void finish(struct prober *p, int slot, int ok) {
    struct probe *pr = &p->slots[slot];
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(pr->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(pr->fd); /* also removes it from the epoll set */
    pr->fd = -1;
    if (pr->prev >= 0) p->slots[pr->prev].next = pr->next;
    else if (p->head == slot) p->head = pr->next;
    if (pr->next >= 0) p->slots[pr->next].prev = pr->prev;
    else if (p->tail == slot) p->tail = pr->prev;
    pr->prev = pr->next = -1;
    p->free_list[p->free_count++] = slot;
    p->probes++;
    if (ok == 1) p->answered++;
    else if (ok == 0) p->errors++;
    else p->timeouts++;
}

static void complete(struct prober *p, int slot) {
    struct probe *pr = &p->slots[slot];
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(pr->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err == 0) p->rtt_sum_us += (double)(now_ns() - pr->started_ns) / 1e3;
    finish(p, slot, err == 0 ? 1 : 0);
}

/* Starts one connect. Returns 0, or -1 when no slot is free (the caller's pacing is behind). */
static int start_probe(struct prober *p, const struct sockaddr_in *target) {
    if (p->free_count == 0) return -1;
    int slot = p->free_list[--p->free_count];
    struct probe *pr = &p->slots[slot];
    pr->prev = pr->next = -1; /* not in the list until the connect is pending */
    pr->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (pr->fd < 0) die("socket");
    int one = 1;
    setsockopt(pr->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pr->started_ns = now_ns();
    int rc = connect(pr->fd, (const struct sockaddr *)target, sizeof *target);
    if (rc == 0) { /* connected at once: possible on loopback, counts as answered */
        p->rtt_sum_us += (double)(now_ns() - pr->started_ns) / 1e3;
        finish(p, slot, 1);
        return 0;
    }
    if (errno != EINPROGRESS) {
        finish(p, slot, 0); /* e.g. EADDRNOTAVAIL: an error probe, like TCPProber's */
        return 0;
    }
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)slot};
    if (epoll_ctl(p->ep, EPOLL_CTL_ADD, pr->fd, &ev) < 0) die("epoll_ctl connect");
    pr->prev = p->tail; /* newest probe: append at the tail */
    if (p->tail >= 0) p->slots[p->tail].next = slot;
    else p->head = slot;
    p->tail = slot;
    return 0;
}

/* Times out expired probes. Returns the deadline of the oldest probe still in flight, or -1
 * when none is. */
static int64_t expire(struct prober *p, int64_t now) {
    while (p->head >= 0) {
        int64_t deadline = p->slots[p->head].started_ns + p->timeout_ns;
        if (deadline > now) return deadline;
        finish(p, p->head, -1);
    }
    return -1;
}

/* epoll_wait with a nanosecond deadline (-1: none), rounded up so a wakeup is never early. */
static int wait_until(struct prober *p, struct epoll_event *events, int64_t deadline) {
    int timeout_ms = -1;
    if (deadline >= 0) {
        int64_t left = deadline - now_ns();
        timeout_ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
    }
    int n = epoll_wait(p->ep, events, MAX_EVENTS, timeout_ms);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    return n < 0 ? 0 : n;
}

static int64_t earliest(int64_t a, int64_t b) {
    if (a < 0) return b;
    if (b < 0) return a;
    return a < b ? a : b;
}

static int throughput(const struct sockaddr_in *target, double duration, int concurrency) {
    struct prober p;
    /* Same 2 s timeout as pingmesh-bench's probe request. */
    prober_init(&p, concurrency, 2000000000LL);
    struct epoll_event events[MAX_EVENTS];

    double cpu0 = cpu_seconds();
    int64_t t0 = now_ns();
    int64_t stop = t0 + (int64_t)(duration * 1e9);
    for (int i = 0; i < concurrency; i++) start_probe(&p, target);
    /* Keep N in flight until the deadline, then let the last ones finish (bounded by the
     * timeout), exactly like pingmesh-bench, so both count the same kind of probes. */
    while (prober_in_flight(&p) > 0) {
        int n = wait_until(&p, events, expire(&p, now_ns()));
        for (int i = 0; i < n; i++) complete(&p, (int)events[i].data.u32);
        if (now_ns() < stop)
            while (p.free_count > 0) start_probe(&p, target);
        expire(&p, now_ns());
    }
    double seconds = (double)(now_ns() - t0) / 1e9;
    double cpu = cpu_seconds() - cpu0;
    printf("{\"tool\":\"raw_connect\",\"probes\":%lu,\"answered\":%lu,\"seconds\":%.6f,"
           "\"probes_per_second\":%.3f,\"cpu_seconds\":%.6f,\"cpu_us_per_probe\":%.4f,"
           "\"mean_rtt_us\":%.2f}\n",
           p.probes, p.answered, seconds, p.probes / seconds, cpu,
           cpu / (double)(p.probes ? p.probes : 1) * 1e6,
           p.answered ? p.rtt_sum_us / (double)p.answered : 0.0);
    return 0;
}

/* Address of target i (0-based): 127.B.X.Y with Y in 1..250 counting up from the base, the same
 * address set run-benchmarks.sh writes into the agent's pinglist, so both probe identical
 * targets. Host parts .0 and .251-.255 are skipped only to keep the two lists equal. */
static uint32_t rate_target(uint32_t base, long i) {
    return base + (uint32_t)(i / 250) * 256u + (uint32_t)(i % 250) + 1u;
}

static int rate(uint32_t base, long count, int port, long per_second, double duration) {
    /* A 1 s timeout at R/s bounds what is in flight to about R, plus slack for late wakeups. */
    int capacity = (int)(per_second + per_second / 2 + 64);
    struct prober p;
    prober_init(&p, capacity, 1000000000LL);
    struct epoll_event events[MAX_EVENTS];
    struct sockaddr_in target;
    memset(&target, 0, sizeof target);
    target.sin_family = AF_INET;
    target.sin_port = htons((uint16_t)port);

    double cpu0 = cpu_seconds();
    int64_t t0 = now_ns();
    int64_t total = (int64_t)(duration * (double)per_second);
    int64_t started = 0, skipped = 0;
    long next_target = 0;
    /* Probe k starts at t0 + k/R: a fixed schedule, so a late wakeup catches up instead of
     * drifting and the rate is exactly R over the run. */
    while (started < total || prober_in_flight(&p) > 0) {
        int64_t now = now_ns();
        while (started < total && t0 + started * 1000000000LL / per_second <= now) {
            target.sin_addr.s_addr = htonl(rate_target(base, next_target));
            next_target = (next_target + 1) % count;
            if (start_probe(&p, &target) < 0) skipped++; /* every slot busy: record, move on */
            started++;
        }
        int64_t next_start = started < total ? t0 + started * 1000000000LL / per_second : -1;
        int n = wait_until(&p, events, earliest(expire(&p, now_ns()), next_start));
        for (int i = 0; i < n; i++) complete(&p, (int)events[i].data.u32);
        expire(&p, now_ns());
    }
    double seconds = (double)(now_ns() - t0) / 1e9;
    double cpu = cpu_seconds() - cpu0;
    printf("{\"tool\":\"raw_connect\",\"mode\":\"rate\",\"probes\":%lu,\"answered\":%lu,"
           "\"timeouts\":%lu,\"errors\":%lu,\"skipped\":%lld,\"seconds\":%.6f,\"cpu_seconds\":%.6f,"
           "\"cpu_share_of_one_core\":%.6f,\"max_rss_kib\":%ld}\n",
           p.probes, p.answered, p.timeouts, p.errors, (long long)skipped, seconds, cpu,
           cpu / seconds, max_rss_kib());
    return 0;
}

/* ---------- command line ---------- */

/* Returns the value after flag argv[*i], advancing *i; a flag without a value is a usage error. */
static const char *value_of(int argc, char **argv, int *i) {
    if (*i + 1 >= argc) {
        fprintf(stderr, "raw_connect: %s needs a value\n", argv[*i]);
        usage(NULL);
    }
    *i += 1;
    return argv[*i];
}

int main(int argc, char **argv) {
    if (argc < 2) usage(NULL);
    const char *mode = argv[1];
    if (!strcmp(mode, "-h") || !strcmp(mode, "--help")) {
        fputs(usage_text, stdout);
        return 0;
    }
    const char *listen_s = NULL, *target_s = NULL, *base_s = NULL;
    const char *duration_s = NULL, *concurrency_s = NULL, *count_s = NULL, *port_s = NULL, *rate_s = NULL;
    for (int i = 2; i < argc; i++) {
        const char *flag = argv[i];
        if (!strcmp(flag, "--listen")) listen_s = value_of(argc, argv, &i);
        else if (!strcmp(flag, "--target")) target_s = value_of(argc, argv, &i);
        else if (!strcmp(flag, "--duration")) duration_s = value_of(argc, argv, &i);
        else if (!strcmp(flag, "--concurrency")) concurrency_s = value_of(argc, argv, &i);
        else if (!strcmp(flag, "--base")) base_s = value_of(argc, argv, &i);
        else if (!strcmp(flag, "--count")) count_s = value_of(argc, argv, &i);
        else if (!strcmp(flag, "--port")) port_s = value_of(argc, argv, &i);
        else if (!strcmp(flag, "--rate")) rate_s = value_of(argc, argv, &i);
        else {
            fprintf(stderr, "raw_connect: unknown argument '%s'\n", flag);
            usage(NULL);
        }
    }
    raise_fd_limit();

    if (!strcmp(mode, "serve")) {
        if (!listen_s) usage("serve needs --listen HOST:PORT");
        struct sockaddr_in sa = parse_host_port(listen_s, "--listen");
        uint32_t host = ntohl(sa.sin_addr.s_addr);
        if (host != INADDR_ANY && !is_loopback(host)) usage("--listen must be 0.0.0.0 or in 127.0.0.0/8");
        return serve(&sa);
    }
    if (!strcmp(mode, "throughput")) {
        if (!target_s || !duration_s || !concurrency_s)
            usage("throughput needs --target, --duration and --concurrency");
        struct sockaddr_in sa = parse_host_port(target_s, "--target");
        if (!is_loopback(ntohl(sa.sin_addr.s_addr))) usage("--target must be in 127.0.0.0/8");
        double duration = parse_seconds(duration_s, "--duration");
        int concurrency = (int)parse_long(concurrency_s, 1, 100000, "--concurrency");
        return throughput(&sa, duration, concurrency);
    }
    if (!strcmp(mode, "rate")) {
        if (!base_s || !count_s || !port_s || !rate_s || !duration_s)
            usage("rate needs --base, --count, --port, --rate and --duration");
        struct in_addr base_addr;
        if (inet_pton(AF_INET, base_s, &base_addr) != 1) usage("--base is not an IPv4 address");
        uint32_t base = ntohl(base_addr.s_addr);
        long count = parse_long(count_s, 1, 1000000, "--count");
        int port = (int)parse_long(port_s, 1, 65535, "--port");
        long per_second = parse_long(rate_s, 1, 1000000, "--rate");
        double duration = parse_seconds(duration_s, "--duration");
        /* Addresses only grow from the base, so the first and last bound all of them. */
        if (!is_loopback(base) || !is_loopback(rate_target(base, count - 1)) ||
            rate_target(base, count - 1) < base)
            usage("--base and --count must keep every target inside 127.0.0.0/8");
        return rate(base, count, port, per_second, duration);
    }
    fprintf(stderr, "raw_connect: unknown mode '%s'\n", mode);
    usage(NULL);
    return EXIT_USAGE;
}
