/*
 * Shared by the C floor servers: command line, listening socket, the outbound ring and the
 * status line. Both servers do the same work as oneloop's echo server so that their CPU per
 * message is the floor of what this machine allows for each kernel model.
 */
#ifndef ECHO_COMMON_H
#define ECHO_COMMON_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct options {
    const char *bind;
    int port;
    int64_t status_interval_ns; /* 0 disables the broadcast */
    size_t out_limit;           /* per-connection outbound bytes before a slow reader is dropped */
    size_t high_watermark;      /* stop reading above this many pending outbound bytes */
    size_t low_watermark;       /* resume reading at or below this */
    size_t recv_size;
    int backlog;
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

/* No SA_RESTART: a blocked epoll_wait / io_uring_enter must return EINTR so the loop sees the flag. */
static void install_signal_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Accepts the server's duration syntax: 250ms, 5s, 1m, or a bare number of milliseconds. */
static int64_t parse_duration_ns(const char *s) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0) return -1;
    if (*end == '\0' || strcmp(end, "ms") == 0) return (int64_t)(v * 1e6);
    if (strcmp(end, "s") == 0) return (int64_t)(v * 1e9);
    if (strcmp(end, "m") == 0) return (int64_t)(v * 60e9);
    if (strcmp(end, "us") == 0) return (int64_t)(v * 1e3);
    return -1;
}

static size_t parse_size(const char *s) {
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s) return 0;
    if (*end == 'k' || *end == 'K') v <<= 10;
    else if (*end == 'm' || *end == 'M') v <<= 20;
    else if (*end != '\0') return 0;
    return (size_t)v;
}

static void usage(const char *prog) {
    fprintf(stderr,
            "usage: %s [--bind ADDR] [--port N] [--status-interval DUR] [--out-limit BYTES]\n"
            "          [--high-watermark BYTES] [--low-watermark BYTES] [--recv-size BYTES] [--backlog N]\n"
            "DUR is 250ms, 5s, 1m or 0 (no broadcast); BYTES accepts a k or m suffix.\n",
            prog);
}

static void parse_options(int argc, char **argv, struct options *o) {
    o->bind = "127.0.0.1";
    o->port = 9000;
    o->status_interval_ns = 5000000000LL;
    o->out_limit = 1 << 20;
    o->high_watermark = 64 << 10;
    o->low_watermark = 16 << 10;
    o->recv_size = 16 << 10;
    o->backlog = 1024;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) { usage(argv[0]); exit(0); }
        if (v == NULL) { fprintf(stderr, "%s: missing value for %s\n", argv[0], a); exit(2); }
        i++;
        if (strcmp(a, "--bind") == 0) o->bind = v;
        else if (strcmp(a, "--port") == 0) o->port = atoi(v);
        else if (strcmp(a, "--status-interval") == 0) o->status_interval_ns = parse_duration_ns(v);
        else if (strcmp(a, "--out-limit") == 0) o->out_limit = parse_size(v);
        else if (strcmp(a, "--high-watermark") == 0) o->high_watermark = parse_size(v);
        else if (strcmp(a, "--low-watermark") == 0) o->low_watermark = parse_size(v);
        else if (strcmp(a, "--recv-size") == 0) o->recv_size = parse_size(v);
        else if (strcmp(a, "--backlog") == 0) o->backlog = atoi(v);
        else { fprintf(stderr, "%s: unknown option %s\n", argv[0], a); usage(argv[0]); exit(2); }
    }
    /* A completed receive must always fit beside what is pending, and a status line beside that. */
    if (o->status_interval_ns < 0 || o->port < 0 || o->port > 65535 || o->recv_size == 0 ||
        o->low_watermark > o->high_watermark || o->high_watermark + o->recv_size + 4096 > o->out_limit) {
        fprintf(stderr, "%s: bad options (need low <= high and high + recv-size + 4k <= out-limit)\n", argv[0]);
        exit(2);
    }
}

/* Binds a non-blocking listener and prints "listening on HOST:PORT server=NAME" once it accepts. */
static int open_listener(const struct options *o, const char *server_name) {
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, o->bind, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)o->port);
        len = sizeof *v4;
    } else if (inet_pton(AF_INET6, o->bind, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)o->port);
        len = sizeof *v6;
    } else {
        fprintf(stderr, "bad --bind address %s\n", o->bind);
        exit(2);
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, o->backlog) < 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        fprintf(stderr, "listen on %s:%d: %s\n", o->bind, o->port, strerror(errno));
        exit(2);
    }
    int port = ntohs(ss.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
    if (ss.ss_family == AF_INET6) printf("listening on [%s]:%d server=%s\n", o->bind, port, server_name);
    else printf("listening on %s:%d server=%s\n", o->bind, port, server_name);
    fflush(stdout);
    return fd;
}

static void set_nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/*
 * Outbound bytes of one connection: a ring that never moves data, so a send the kernel still
 * reads from (io_uring) stays valid while more bytes are appended behind it. Allocated on first
 * use; head and tail return to 0 whenever it drains, so a request/response connection only ever
 * touches its first pages.
 */
struct ring {
    char *data;
    size_t cap; /* power of two */
    size_t head, tail;
};

static size_t ring_pending(const struct ring *r) { return r->tail - r->head; }

static bool ring_append(struct ring *r, size_t limit, const char *src, size_t n) {
    if (r->data == NULL) {
        r->cap = 1;
        while (r->cap < limit) r->cap <<= 1;
        r->data = malloc(r->cap);
        if (r->data == NULL) return false;
    }
    if (ring_pending(r) + n > limit) return false;
    size_t at = r->tail & (r->cap - 1);
    size_t first = n < r->cap - at ? n : r->cap - at;
    memcpy(r->data + at, src, first);
    memcpy(r->data, src + first, n - first);
    r->tail += n;
    return true;
}

/* The longest run of pending bytes that is contiguous in memory. */
static const char *ring_peek(const struct ring *r, size_t *len) {
    size_t at = r->head & (r->cap - 1);
    size_t pending = ring_pending(r);
    *len = pending < r->cap - at ? pending : r->cap - at;
    return r->data + at;
}

static void ring_consume(struct ring *r, size_t n) {
    r->head += n;
    if (r->head == r->tail) r->head = r->tail = 0;
}

static void ring_free(struct ring *r) {
    free(r->data);
    r->data = NULL;
}

static int format_status(char *buf, size_t cap, long active) {
    return snprintf(buf, cap, "Server status: %ld active connections\n", active);
}

#endif
