/*
 * The readiness-model floor: a minimal edge-triggered epoll echo server that also sends
 * "Server status: N active connections\n" to every connection on a timer, like oneloop's server.
 *
 * Read until a short read or EAGAIN, write at once, ask for EPOLLOUT only while output is pending.
 * Per connection at most out-limit bytes wait; above the high watermark reading stops until the
 * peer drains below the low one, and a connection that cannot take a status line is dropped.
 */
#include "echo_common.h"

#include <sys/epoll.h>

struct conn {
    int fd;
    bool want_out;    /* EPOLLOUT is in the interest set */
    bool read_paused; /* above the high watermark: unread input stays in the kernel */
    bool eof;         /* the peer shut down its sending side: close once output drains */
    struct ring out;
    struct conn *prev, *next;
};

static struct options opt;
static int epfd;
static int listen_fd;
static char *rbuf;
static struct conn *active; /* every open connection, for the broadcast */
static long active_count;
static bool accept_paused;
static int64_t accept_retry_at;
static const int64_t ACCEPT_BACKOFF_NS = 100000000LL;

static void close_conn(struct conn *c) {
    close(c->fd); /* also removes it from the epoll set */
    if (c->prev) c->prev->next = c->next; else active = c->next;
    if (c->next) c->next->prev = c->prev;
    active_count--;
    ring_free(&c->out);
    free(c);
    if (accept_paused) accept_retry_at = 0; /* a descriptor was freed: accept again now */
}

static bool set_interest(struct conn *c, bool want_out) {
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (want_out ? EPOLLOUT : 0), .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) return false;
    c->want_out = want_out;
    return true;
}

static void read_input(struct conn *c, bool drain);

/* Writes what is pending until done or EAGAIN; returns false if the connection was closed. */
static bool flush(struct conn *c) {
    while (ring_pending(&c->out) > 0) {
        size_t len;
        const char *p = ring_peek(&c->out, &len);
        ssize_t w = send(c->fd, p, len, MSG_NOSIGNAL);
        if (w > 0) {
            ring_consume(&c->out, (size_t)w);
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c->want_out && !set_interest(c, true)) { close_conn(c); return false; }
            return true;
        }
        close_conn(c);
        return false;
    }
    if (c->want_out && !set_interest(c, false)) { close_conn(c); return false; }
    if (c->eof) { close_conn(c); return false; }
    if (c->read_paused && ring_pending(&c->out) <= opt.low_watermark) {
        c->read_paused = false;
        /* Edge-triggered: the input that arrived while paused raises no new event, so read it now. */
        read_input(c, true);
        return false; /* read_input may have closed it; the caller does nothing more with c */
    }
    return true;
}

/* Reads until a short read or EAGAIN (until EAGAIN when drain is set: a pending hang-up or a resume). */
static void read_input(struct conn *c, bool drain) {
    for (;;) {
        ssize_t n = read(c->fd, rbuf, opt.recv_size);
        if (n > 0) {
            if (ring_pending(&c->out) == 0 && !c->want_out) {
                ssize_t w = send(c->fd, rbuf, (size_t)n, MSG_NOSIGNAL);
                if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) { close_conn(c); return; }
                if (w < 0) w = 0;
                if (w < n) {
                    ring_append(&c->out, opt.out_limit, rbuf + w, (size_t)(n - w));
                    if (!set_interest(c, true)) { close_conn(c); return; }
                }
            } else if (!ring_append(&c->out, opt.out_limit, rbuf, (size_t)n)) {
                close_conn(c); /* cannot happen: reading stops at the high watermark */
                return;
            }
            if (ring_pending(&c->out) > opt.high_watermark) {
                c->read_paused = true;
                return;
            }
            if ((size_t)n < opt.recv_size && !drain) return;
            continue;
        }
        if (n == 0) {
            c->eof = true;
            if (ring_pending(&c->out) == 0) close_conn(c);
            return;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) close_conn(c);
        return;
    }
}

static void accept_all(void) {
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Edge-triggered listener: no new event comes for the waiting ones, so retry on a timer. */
                accept_paused = true;
                accept_retry_at = now_ns() + ACCEPT_BACKOFF_NS;
            }
            return;
        }
        struct conn *c = calloc(1, sizeof *c);
        if (c == NULL) { close(fd); continue; }
        c->fd = fd;
        set_nodelay(fd);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = c};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) { close(fd); free(c); continue; }
        c->next = active;
        if (active) active->prev = c;
        active = c;
        active_count++;
    }
}

static void broadcast(void) {
    char line[96];
    int n = format_status(line, sizeof line, active_count);
    for (struct conn *c = active, *next; c != NULL; c = next) {
        next = c->next;
        if (!ring_append(&c->out, opt.out_limit, line, (size_t)n)) {
            fprintf(stderr, "closing fd %d: %zu bytes pending, it does not read\n", c->fd, ring_pending(&c->out));
            close_conn(c);
            continue;
        }
        if (!c->want_out) flush(c);
    }
}

static void on_event(struct conn *c, uint32_t events) {
    if ((events & EPOLLOUT) && !flush(c)) return;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        if (c->read_paused || c->eof) {
            if (events & (EPOLLHUP | EPOLLERR)) close_conn(c);
            return;
        }
        read_input(c, (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
    }
}

int main(int argc, char **argv) {
    parse_options(argc, argv, &opt);
    install_signal_handlers();
    rbuf = malloc(opt.recv_size);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (rbuf == NULL || epfd < 0) { perror("epoll_create1"); return 2; }
    listen_fd = open_listener(&opt, "c-epoll");
    struct epoll_event lev = {.events = EPOLLIN | EPOLLET, .data.ptr = NULL};
    epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &lev);

    enum { MAX_EVENTS = 512 };
    struct epoll_event events[MAX_EVENTS];
    int64_t next_status = opt.status_interval_ns > 0 ? now_ns() + opt.status_interval_ns : INT64_MAX;
    while (!stop_requested) {
        int64_t deadline = next_status;
        if (accept_paused && accept_retry_at < deadline) deadline = accept_retry_at;
        int timeout_ms = -1;
        if (deadline != INT64_MAX) {
            int64_t left = deadline - now_ns();
            /* Rounded up so the deadline is never reached early. */
            timeout_ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
        }
        int n = epoll_wait(epfd, events, MAX_EVENTS, timeout_ms);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            if (events[i].data.ptr == NULL) accept_all();
            else on_event(events[i].data.ptr, events[i].events);
        }
        int64_t now = now_ns();
        if (accept_paused && now >= accept_retry_at) {
            accept_paused = false;
            accept_all();
        }
        if (now >= next_status) {
            broadcast();
            /* Fixed rate without drift; ticks missed while busy are skipped, not bunched. */
            do next_status += opt.status_interval_ns; while (next_status <= now);
        }
    }
    while (active) close_conn(active);
    close(listen_fd);
    close(epfd);
    free(rbuf);
    return 0;
}
