/*
 * The completion-model floor: a minimal io_uring echo server that also sends
 * "Server status: N active connections\n" to every connection on a timer, like oneloop's server.
 *
 * One ring set up SINGLE_ISSUER | DEFER_TASKRUN; a multishot ACCEPT; per connection one RECV into
 * a buffer the connection owns and at most one SEND from its outbound ring; the broadcast timer is
 * an absolute TIMEOUT. Every loop turn is one io_uring_enter that submits the turn's operations and
 * waits for the next completion. A connection is freed only after its last completion arrived,
 * so no completion can reach memory that was reused.
 */
#include "echo_common.h"

#include <liburing.h>

enum op { OP_RECV = 1, OP_SEND = 2, OP_CANCEL = 3 };
#define OP_MASK 0x3ULL

/* Operations of the server itself; connection operations carry the conn pointer instead. */
enum { UD_ACCEPT = 1, UD_STATUS_TIMER = 2, UD_ACCEPT_RETRY = 3, UD_CLOSE = 4 };

struct conn {
    int fd;
    unsigned inflight; /* submitted operations whose last completion has not arrived */
    bool recv_armed, send_armed, eof, closing;
    char *rbuf; /* the kernel's while a RECV is armed */
    struct ring out; /* [head, head + sent length) is the kernel's while a SEND is armed */
    struct conn *prev, *next;
};

static struct options opt;
static struct io_uring ring;
static int listen_fd;
static struct conn *active;
static long active_count;
static long live_count; /* allocated connections, closing ones included */
static bool accept_armed;
static struct __kernel_timespec status_deadline, accept_retry_ts;

static struct io_uring_sqe *next_sqe(void) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    while (sqe == NULL) {
        /* Submission queue full: hand this batch to the kernel and continue. */
        io_uring_submit(&ring);
        sqe = io_uring_get_sqe(&ring);
    }
    return sqe;
}

static uint64_t ud(struct conn *c, enum op op) { return (uint64_t)(uintptr_t)c | (uint64_t)op; }

static void arm_accept(void) {
    struct io_uring_sqe *sqe = next_sqe();
    io_uring_prep_multishot_accept(sqe, listen_fd, NULL, NULL, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, UD_ACCEPT);
    accept_armed = true;
}

static void arm_status_timer(void) {
    struct io_uring_sqe *sqe = next_sqe();
    io_uring_prep_timeout(sqe, &status_deadline, 0, IORING_TIMEOUT_ABS);
    io_uring_sqe_set_data64(sqe, UD_STATUS_TIMER);
}

static void arm_recv(struct conn *c) {
    if (c->recv_armed || c->eof || c->closing || ring_pending(&c->out) > opt.high_watermark) return;
    struct io_uring_sqe *sqe = next_sqe();
    io_uring_prep_recv(sqe, c->fd, c->rbuf, opt.recv_size, 0);
    io_uring_sqe_set_data64(sqe, ud(c, OP_RECV));
    c->recv_armed = true;
    c->inflight++;
}

static void arm_send(struct conn *c) {
    if (c->send_armed || c->closing || ring_pending(&c->out) == 0) return;
    size_t len;
    const char *p = ring_peek(&c->out, &len);
    struct io_uring_sqe *sqe = next_sqe();
    io_uring_prep_send(sqe, c->fd, p, len, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, ud(c, OP_SEND));
    c->send_armed = true;
    c->inflight++;
}

static void free_conn(struct conn *c) {
    /* Nothing of c is in flight any more: the close needs no completion of its own. */
    struct io_uring_sqe *sqe = next_sqe();
    io_uring_prep_close(sqe, c->fd);
    io_uring_sqe_set_data64(sqe, UD_CLOSE);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    free(c->rbuf);
    ring_free(&c->out);
    free(c);
    live_count--;
}

/* Unlinks c and cancels what it has in flight; whoever sees its in-flight count reach 0 frees it. */
static void begin_close(struct conn *c) {
    if (c->closing) return;
    c->closing = true;
    if (c->prev) c->prev->next = c->next; else active = c->next;
    if (c->next) c->next->prev = c->prev;
    active_count--;
    if (!accept_armed) arm_accept(); /* a descriptor is about to be freed */
    if (c->inflight == 0) return;
    /* A plain close with a RECV in flight sends no FIN: cancel first, close after the last completion. */
    struct io_uring_sqe *sqe = next_sqe();
    io_uring_prep_cancel_fd(sqe, c->fd, IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, ud(c, OP_CANCEL));
    c->inflight++;
}

static void on_accept(struct io_uring_cqe *cqe) {
    if (!(cqe->flags & IORING_CQE_F_MORE)) accept_armed = false;
    if (cqe->res < 0) {
        if (cqe->res == -EMFILE || cqe->res == -ENFILE || cqe->res == -ENOBUFS || cqe->res == -ENOMEM) {
            if (!accept_armed) {
                /* Out of descriptors: try again shortly instead of failing at once again. */
                accept_retry_ts.tv_sec = 0;
                accept_retry_ts.tv_nsec = 100000000;
                struct io_uring_sqe *sqe = next_sqe();
                io_uring_prep_timeout(sqe, &accept_retry_ts, 0, 0);
                io_uring_sqe_set_data64(sqe, UD_ACCEPT_RETRY);
                accept_armed = true; /* the retry timer stands in for it */
            }
            return;
        }
        if (!accept_armed) arm_accept();
        return;
    }
    if (!accept_armed) arm_accept();
    struct conn *c = calloc(1, sizeof *c);
    if (c != NULL) c->rbuf = malloc(opt.recv_size);
    if (c == NULL || c->rbuf == NULL) {
        free(c);
        close(cqe->res);
        return;
    }
    c->fd = cqe->res;
    set_nodelay(c->fd);
    c->next = active;
    if (active) active->prev = c;
    active = c;
    active_count++;
    live_count++;
    arm_recv(c);
}

static void on_recv(struct conn *c, int res) {
    c->recv_armed = false;
    if (c->closing) return;
    if (res > 0) {
        /* RECV is armed only while pending <= high watermark and high + recv-size + 4k <= out-limit,
           so this fails only for a peer that took no status line for many intervals. */
        if (!ring_append(&c->out, opt.out_limit, c->rbuf, (size_t)res)) {
            fprintf(stderr, "closing fd %d: %zu bytes pending, it does not read\n", c->fd, ring_pending(&c->out));
            begin_close(c);
            return;
        }
        arm_send(c);
        arm_recv(c);
    } else if (res == 0) {
        c->eof = true;
        if (!c->send_armed) begin_close(c);
    } else {
        begin_close(c);
    }
}

static void on_send(struct conn *c, int res) {
    c->send_armed = false;
    if (c->closing) return;
    if (res <= 0) {
        begin_close(c);
        return;
    }
    ring_consume(&c->out, (size_t)res);
    if (ring_pending(&c->out) > 0) {
        arm_send(c); /* a partial send continues where the kernel stopped */
    } else if (c->eof) {
        begin_close(c);
        return;
    }
    if (ring_pending(&c->out) <= opt.low_watermark) arm_recv(c);
}

static void broadcast(void) {
    char line[96];
    int n = format_status(line, sizeof line, active_count);
    for (struct conn *c = active, *next; c != NULL; c = next) {
        next = c->next;
        if (!ring_append(&c->out, opt.out_limit, line, (size_t)n)) {
            fprintf(stderr, "closing fd %d: %zu bytes pending, it does not read\n", c->fd, ring_pending(&c->out));
            begin_close(c);
            if (c->inflight == 0) free_conn(c);
            continue;
        }
        arm_send(c);
    }
}

static void on_status_timer(void) {
    broadcast();
    int64_t now = now_ns();
    int64_t next = (int64_t)status_deadline.tv_sec * 1000000000LL + status_deadline.tv_nsec;
    do next += opt.status_interval_ns; while (next <= now);
    status_deadline.tv_sec = next / 1000000000LL;
    status_deadline.tv_nsec = next % 1000000000LL;
    arm_status_timer();
}

static void on_conn_cqe(struct conn *c, enum op op, int res) {
    c->inflight--;
    if (op == OP_RECV) on_recv(c, res);
    else if (op == OP_SEND) on_send(c, res);
    if (c->closing && c->inflight == 0) free_conn(c);
}

/* One io_uring_enter: submits what the last turn queued, waits for a completion, handles them all. */
static int run_turn(struct __kernel_timespec *wait) {
    struct io_uring_cqe *first;
    int rc = wait ? io_uring_submit_and_wait_timeout(&ring, &first, 1, wait, NULL) : io_uring_submit_and_wait(&ring, 1);
    if (rc < 0 && rc != -EINTR && rc != -ETIME && rc != -EAGAIN && rc != -EBUSY) return rc;
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
        seen++;
        uint64_t data = cqe->user_data;
        if (data == UD_ACCEPT) { if (!stop_requested) on_accept(cqe); else if (cqe->res >= 0) close(cqe->res); }
        else if (data == UD_STATUS_TIMER) { if (!stop_requested) on_status_timer(); }
        else if (data == UD_ACCEPT_RETRY) { if (!stop_requested) arm_accept(); }
        else if (data == UD_CLOSE) continue; /* a failed close: the descriptor is gone either way */
        else on_conn_cqe((struct conn *)(uintptr_t)(data & ~OP_MASK), (enum op)(data & OP_MASK), cqe->res);
    }
    io_uring_cq_advance(&ring, seen);
    return 0;
}

int main(int argc, char **argv) {
    parse_options(argc, argv, &opt);
    install_signal_handlers();
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
    params.cq_entries = 16384;
    int rc = io_uring_queue_init_params(4096, &ring, &params);
    if (rc < 0) {
        fprintf(stderr, "io_uring_setup (SINGLE_ISSUER|DEFER_TASKRUN): %s\n", strerror(-rc));
        return 2;
    }
    listen_fd = open_listener(&opt, "c-iouring");
    arm_accept();
    if (opt.status_interval_ns > 0) {
        int64_t first = now_ns() + opt.status_interval_ns;
        status_deadline.tv_sec = first / 1000000000LL;
        status_deadline.tv_nsec = first % 1000000000LL;
        arm_status_timer();
    }
    while (!stop_requested) {
        rc = run_turn(NULL);
        if (rc < 0) {
            fprintf(stderr, "io_uring_enter: %s\n", strerror(-rc));
            return 1;
        }
    }
    /* Shutdown: cancel what is in flight and reap it, so every connection is freed before exit. */
    while (active) {
        struct conn *c = active;
        begin_close(c);
        if (c->inflight == 0) free_conn(c);
    }
    uint64_t server_ops[] = {UD_ACCEPT, UD_STATUS_TIMER};
    for (int i = 0; i < 2; i++) {
        struct io_uring_sqe *sqe = next_sqe();
        io_uring_prep_cancel64(sqe, server_ops[i], IORING_ASYNC_CANCEL_ALL);
        io_uring_sqe_set_data64(sqe, UD_CLOSE); /* its result needs no handling */
    }
    struct __kernel_timespec tick = {.tv_sec = 0, .tv_nsec = 100000000};
    for (int i = 0; i < 50 && live_count > 0; i++) run_turn(&tick);
    io_uring_submit(&ring);
    close(listen_fd);
    io_uring_queue_exit(&ring);
    return live_count == 0 ? 0 : 1;
}
