/*
 * zkref: reference load driver built on the ZooKeeper C client library
 * (Debian's libzookeeper_st, single-threaded API). It exists to validate
 * ringkeeper's Rust `loadgen`: same load model, different implementation.
 *
 * Model: N sessions (--clients) spread round-robin over the servers, each
 * with --outstanding async ops in flight (default 1): zoo_aget of a random
 * key, or (with probability --write-ratio) zoo_aset of --value-size bytes.
 * Keys /loadgen/k0 .. /loadgen/k{M-1} are created first (ZNODEEXISTS is
 * fine). Then all sessions connect, then --warmup seconds run uncounted,
 * then --duration seconds are counted (ops completing inside the window).
 * At the end ONE line of JSON goes to stdout.
 *
 * One thread drives every session: zookeeper_interest() says which fd and
 * events a handle wants, epoll waits, zookeeper_process() does the work and
 * runs completions, from which the next op is issued.
 *
 * Host names are resolved only on (re)connect (--resolve-delay -1): the
 * library's default re-resolves them on every zookeeper_interest() call.
 * --cork makes each request one TCP segment (the library writes the length
 * prefix and the body with two send() calls).
 *
 * Always exits: each phase has a deadline and an alarm() backs them up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <zookeeper/zookeeper.h>

/* ------------------------------------------------------------------ */
/* options                                                             */

static struct {
    char *servers;
    int clients;
    double write_ratio;
    int outstanding;
    int keys;
    int value_size;
    double duration;
    double warmup;
    int session_timeout_ms;
    double connect_timeout;
    double close_timeout;
    int resolve_delay_ms;
    int cork;
    unsigned long seed;
} opt = {
    .servers = "127.0.0.1:2181",
    .clients = 100,
    .write_ratio = 0.1,
    .outstanding = 1,
    .keys = 10000,
    .value_size = 100,
    .duration = 10,
    .warmup = 3,
    .session_timeout_ms = 30000,
    .connect_timeout = 60,
    .close_timeout = 20,
    /* the C client re-resolves the host names on every zookeeper_interest()
     * call by default (getaddrinfo: a netlink socket and /etc/hosts each
     * time), which costs the driver more CPU than the ops themselves;
     * -1 = resolve only when (re)connecting. 0 = the library's default. */
    .resolve_delay_ms = -1,
    .seed = 0,
};

/* ------------------------------------------------------------------ */
/* state                                                               */

enum phase { PH_SETUP, PH_CONNECT, PH_WARMUP, PH_MEASURE, PH_DONE };
static enum phase phase = PH_SETUP;

typedef struct sess {
    zhandle_t *zh;
    int idx;
    int fd;          /* fd registered in epoll, -1 if none */
    uint32_t ev;     /* events registered */
    int rereg;       /* force DEL+ADD on next update */
    int is_conn;     /* currently connected */
    int ever_conn;
    int dead;        /* expired / unrecoverable */
    int inflight;
    int queued;      /* in the pending list (batched issue mode) */
    double due;      /* when zookeeper_interest must be called again */
    uint64_t rng;
} sess_t;

typedef struct op {
    sess_t *s;
    double t0;
    int is_set;
} op_t;

static sess_t *sess;
static int nsess_started;
static int epfd;
static char *value_buf;
static char **srv_list;
static int nsrv;

/* counters */
static long n_connected, n_disconnects, n_expiries;
static long m_ops, m_gets, m_sets, m_errors; /* inside the measurement window */
static long t_errors;                        /* whole run, any phase */
static long issue_fail;
static double t_measure_start, t_measure_end; /* monotonic */
static double u_measure_start, u_measure_end; /* unix wall clock */
static double cpu_measure_start, cpu_measure_end;
static double connect_s;

/* setup (key creation) */
static long create_pending, create_next, create_errors, create_done;

/* latency histogram: 1 us buckets below 1 ms, then 0.5% log buckets */
#define LIN_MAX 1000
#define NBUCKETS 6000
static long hist_all[NBUCKETS], hist_get[NBUCKETS], hist_set[NBUCKETS];
static double max_all, max_get, max_set;

static int printed;

/* --issue-mode: 0 = "immediate": the next op is sent from inside the
 * completion (one send() per op, spread over the processing of a batch;
 * the default, as an application on the C client would do it);
 * 1 = "batched": sessions whose op completed are queued and all
 * their next ops are sent back to back after the whole epoll batch has been
 * processed, like a driver that submits a batch of sends at once. */
static int issue_batched = 0;
static sess_t **pending;
static int npending;

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_unix(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_self(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static double rand01(uint64_t *s)
{
    return (xorshift(s) >> 11) * (1.0 / 9007199254740992.0);
}

static int bucket_of(double us)
{
    if (us < 0)
        us = 0;
    if (us < LIN_MAX)
        return (int)us;
    int b = LIN_MAX + (int)(log(us / LIN_MAX) / log(1.005));
    return b >= NBUCKETS ? NBUCKETS - 1 : b;
}

static double bucket_value(int b)
{
    if (b < LIN_MAX)
        return b + 0.5;
    /* middle of the log bucket */
    return LIN_MAX * pow(1.005, (b - LIN_MAX) + 0.5);
}

static double hist_pct(const long *h, long total, double q, double maxv)
{
    if (total <= 0)
        return 0;
    long want = (long)ceil(q * total);
    if (want < 1)
        want = 1;
    long acc = 0;
    for (int b = 0; b < NBUCKETS; b++) {
        acc += h[b];
        if (acc >= want) {
            double v = bucket_value(b);
            return v > maxv ? maxv : v;
        }
    }
    return maxv;
}

static void die(const char *msg)
{
    fprintf(stderr, "zkref: %s\n", msg);
    exit(2);
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char m[] = "zkref: hard time limit reached, exiting\n";
    ssize_t r = write(2, m, sizeof m - 1);
    (void)r;
    _exit(printed ? 0 : 3);
}

/* ------------------------------------------------------------------ */
/* epoll bookkeeping                                                    */

static void update_interest(sess_t *s, double now)
{
    int fd = -1, interest = 0;
    struct timeval tv = {1, 0};
    if (s->dead || !s->zh)
        return;
    int rc = zookeeper_interest(s->zh, &fd, &interest, &tv);
    if (rc == ZINVALIDSTATE) {
        /* expired / auth failed: nothing more will happen on this handle */
        if (s->fd >= 0)
            epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
        s->fd = -1;
        if (!s->dead) {
            s->dead = 1;
            s->is_conn = 0;
        }
        return;
    }
    double wait = tv.tv_sec + tv.tv_usec / 1e6;
    if (wait > 0.5)
        wait = 0.5; /* re-ask at least twice a second */
    s->due = now + wait;
    uint32_t ev = 0;
    if (interest & ZOOKEEPER_READ)
        ev |= EPOLLIN;
    if (interest & ZOOKEEPER_WRITE)
        ev |= EPOLLOUT;
    if (zoo_state(s->zh) != ZOO_CONNECTED_STATE)
        s->rereg = 1; /* socket may be replaced by one with the same number */
    if (fd != s->fd || s->rereg) {
        if (s->fd >= 0)
            epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
        s->fd = -1;
        if (fd >= 0) {
            struct epoll_event e = {.events = ev, .data.ptr = s};
            if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) == 0) {
                s->fd = fd;
                s->ev = ev;
            }
        }
        s->rereg = 0;
    } else if (fd >= 0 && ev != s->ev) {
        struct epoll_event e = {.events = ev, .data.ptr = s};
        if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &e) != 0 && errno == ENOENT)
            epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
        s->ev = ev;
    }
}

/* ------------------------------------------------------------------ */
/* load ops                                                            */

static void issue(sess_t *s);

static void op_done(op_t *o, int rc)
{
    sess_t *s = o->s;
    double now = now_mono();
    s->inflight--;
    if (rc != ZOK)
        t_errors++;
    if (phase == PH_MEASURE && now >= t_measure_start) {
        if (rc == ZOK) {
            double us = (now - o->t0) * 1e6;
            int b = bucket_of(us);
            m_ops++;
            hist_all[b]++;
            if (us > max_all)
                max_all = us;
            if (o->is_set) {
                m_sets++;
                hist_set[b]++;
                if (us > max_set)
                    max_set = us;
            } else {
                m_gets++;
                hist_get[b]++;
                if (us > max_get)
                    max_get = us;
            }
        } else {
            m_errors++;
        }
    }
    free(o);
    if (rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED || rc == ZCLOSING)
        return; /* the watcher re-issues once connected again */
    if (issue_batched) {
        if (!s->queued) {
            s->queued = 1;
            pending[npending++] = s;
        }
    } else {
        issue(s);
    }
}

static void flush_pending(void)
{
    for (int i = 0; i < npending; i++) {
        pending[i]->queued = 0;
        issue(pending[i]);
    }
    npending = 0;
}

static void get_cb(int rc, const char *value, int value_len, const struct Stat *stat, const void *data)
{
    (void)value;
    (void)value_len;
    (void)stat;
    op_done((op_t *)data, rc);
}

static void set_cb(int rc, const struct Stat *stat, const void *data)
{
    (void)stat;
    op_done((op_t *)data, rc);
}

static void set_cork(sess_t *s, int on)
{
    if (s->fd >= 0)
        setsockopt(s->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
}

static void issue(sess_t *s)
{
    char path[64];
    /* --cork: the C client writes a request's 4-byte length and its body
     * with two send() calls, i.e. two TCP segments under TCP_NODELAY; cork
     * the socket around the call so that the server gets one segment per
     * request, like from a client that writes whole frames. */
    int corked = 0;
    if (opt.cork && (phase == PH_WARMUP || phase == PH_MEASURE) && s->is_conn && !s->dead &&
        s->inflight < opt.outstanding) {
        set_cork(s, 1);
        corked = 1;
    }
    while ((phase == PH_WARMUP || phase == PH_MEASURE) && s->is_conn && !s->dead &&
           s->inflight < opt.outstanding) {
        op_t *o = malloc(sizeof *o);
        if (!o)
            die("out of memory");
        o->s = s;
        o->is_set = rand01(&s->rng) < opt.write_ratio;
        snprintf(path, sizeof path, "/loadgen/k%d", (int)(xorshift(&s->rng) % (uint64_t)opt.keys));
        o->t0 = now_mono();
        int rc = o->is_set ? zoo_aset(s->zh, path, value_buf, opt.value_size, -1, set_cb, o)
                           : zoo_aget(s->zh, path, 0, get_cb, o);
        if (rc != ZOK) {
            free(o);
            issue_fail++;
            t_errors++;
            if (phase == PH_MEASURE)
                m_errors++;
            break;
        }
        s->inflight++;
        s->due = 0; /* a partial send needs EPOLLOUT: refresh interest soon */
    }
    if (corked)
        set_cork(s, 0);
}

/* ------------------------------------------------------------------ */
/* session events                                                      */

static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
    (void)zh;
    (void)path;
    sess_t *s = ctx;
    if (type != ZOO_SESSION_EVENT || !s)
        return;
    s->rereg = 1;
    if (state == ZOO_CONNECTED_STATE) {
        s->is_conn = 1;
        if (!s->ever_conn) {
            s->ever_conn = 1;
            n_connected++;
        }
        issue(s);
    } else if (state == ZOO_EXPIRED_SESSION_STATE) {
        if (!s->dead)
            n_expiries++;
        s->dead = 1;
        s->is_conn = 0;
    } else if (state == ZOO_CONNECTING_STATE || state == ZOO_ASSOCIATING_STATE) {
        if (s->is_conn)
            n_disconnects++;
        s->is_conn = 0;
    }
}

/* ------------------------------------------------------------------ */
/* key creation                                                        */

static void create_cb(int rc, const char *value, const void *data)
{
    (void)value;
    (void)data;
    create_pending--;
    create_done++;
    if (rc != ZOK && rc != ZNODEEXISTS) {
        create_errors++;
        if (create_errors <= 5)
            fprintf(stderr, "zkref: create failed: %s\n", zerror(rc));
    }
}

static void root_cb(int rc, const char *value, const void *data)
{
    (void)value;
    (void)data;
    create_pending--;
    if (rc != ZOK && rc != ZNODEEXISTS) {
        create_errors++;
        fprintf(stderr, "zkref: create /loadgen failed: %s\n", zerror(rc));
    }
    create_next = 0; /* children may go now */
}

static void pump_creates(sess_t *s)
{
    char path[64];
    while (create_next >= 0 && create_next < opt.keys && create_pending < 256 && s->is_conn) {
        snprintf(path, sizeof path, "/loadgen/k%ld", create_next);
        int rc = zoo_acreate(s->zh, path, value_buf, opt.value_size, &ZOO_OPEN_ACL_UNSAFE, 0, create_cb, NULL);
        if (rc != ZOK) {
            fprintf(stderr, "zkref: zoo_acreate: %s\n", zerror(rc));
            return;
        }
        create_pending++;
        create_next++;
    }
}

/* ------------------------------------------------------------------ */
/* event loop                                                          */

static void start_session(int i)
{
    sess_t *s = &sess[i];
    s->idx = i;
    s->fd = -1;
    s->rng = (opt.seed ? opt.seed : (uint64_t)time(NULL) * 2654435761u) ^ ((uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull);
    if (!s->rng)
        s->rng = 88172645463325252ull;
    s->zh = zookeeper_init(srv_list[i % nsrv], watcher, opt.session_timeout_ms, NULL, s, 0);
    if (!s->zh) {
        fprintf(stderr, "zkref: zookeeper_init(%s) failed: %s\n", srv_list[i % nsrv], strerror(errno));
        s->dead = 1;
    } else if (opt.resolve_delay_ms != 0) {
        zoo_set_servers_resolution_delay(s->zh, opt.resolve_delay_ms);
    }
    s->due = 0;
    nsess_started = i + 1;
}

static struct epoll_event *evbuf;
static int evcap;

/* one round: wait up to max_wait s, process ready handles, refresh due ones */
static void loop_once(double max_wait)
{
    double now = now_mono();
    int ms = (int)(max_wait * 1000);
    if (ms < 0)
        ms = 0;
    if (ms > 10)
        ms = 10; /* sweep for due handles at least every 10 ms */
    int n = epoll_wait(epfd, evbuf, evcap, ms);
    if (n < 0 && errno != EINTR)
        die("epoll_wait failed");
    for (int k = 0; k < n; k++) {
        sess_t *s = evbuf[k].data.ptr;
        if (s->dead)
            continue;
        int events = 0;
        if (evbuf[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
            events |= ZOOKEEPER_READ;
        if (evbuf[k].events & EPOLLOUT)
            events |= ZOOKEEPER_WRITE;
        int rc = zookeeper_process(s->zh, events);
        if (rc != ZOK && rc != ZNOTHING)
            s->rereg = 1;
        s->due = 0; /* interest may have changed */
    }
    flush_pending();
    now = now_mono();
    for (int i = 0; i < nsess_started; i++) {
        sess_t *s = &sess[i];
        if (!s->dead && s->due <= now)
            update_interest(s, now);
    }
    if (phase == PH_SETUP)
        pump_creates(&sess[0]);
}

static void print_lat(FILE *f, const char *name, const long *h, long total, double maxv, int comma)
{
    fprintf(f, "\"%s\":{\"count\":%ld,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f}%s", name,
            total, hist_pct(h, total, 0.50, maxv), hist_pct(h, total, 0.90, maxv), hist_pct(h, total, 0.99, maxv),
            hist_pct(h, total, 0.999, maxv), maxv, comma ? "," : "");
}

static void json_escape_print(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
}

static void print_result(const char *error)
{
    double dur = t_measure_end > t_measure_start ? t_measure_end - t_measure_start : 0;
    FILE *f = stdout;
    fprintf(f, "{\"driver\":\"zk-c-client\",\"servers\":\"");
    json_escape_print(f, opt.servers);
    fprintf(f, "\",\"clients\":%d,\"write_ratio\":%g,\"outstanding\":%d,\"keys\":%d,\"value_size\":%d,", opt.clients,
            opt.write_ratio, opt.outstanding, opt.keys, opt.value_size);
    fprintf(f, "\"issue_mode\":\"%s\",\"cork\":%s,\"resolve_delay_ms\":%d,", issue_batched ? "batched" : "immediate",
            opt.cork ? "true" : "false", opt.resolve_delay_ms);
    fprintf(f, "\"warmup_s\":%g,\"duration_s\":%.3f,\"ops\":%ld,\"throughput_ops_s\":%.1f,\"errors\":%ld,", opt.warmup,
            dur, m_ops, dur > 0 ? m_ops / dur : 0.0, m_errors);
    fprintf(f, "\"gets\":%ld,\"sets\":%ld,\"errors_total\":%ld,\"issue_failures\":%ld,", m_gets, m_sets, t_errors,
            issue_fail);
    fprintf(f, "\"latency_us\":{");
    print_lat(f, "all", hist_all, m_ops, max_all, 1);
    print_lat(f, "get", hist_get, m_gets, max_get, 1);
    print_lat(f, "set", hist_set, m_sets, max_set, 0);
    fprintf(f, "},\"sessions_connected\":%ld,\"disconnects\":%ld,\"session_expiries\":%ld,\"connect_s\":%.3f,",
            n_connected, n_disconnects, n_expiries, connect_s);
    fprintf(f, "\"cpu_us_per_op\":%.2f,\"t_measure_start_unix\":%.3f,\"t_measure_end_unix\":%.3f",
            m_ops > 0 ? (cpu_measure_end - cpu_measure_start) * 1e6 / m_ops : 0.0, u_measure_start, u_measure_end);
    if (error) {
        fprintf(f, ",\"error\":\"");
        json_escape_print(f, error);
        fprintf(f, "\"");
    }
    fprintf(f, "}\n");
    fflush(f);
    printed = 1;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: zkref [--servers h:p[,h:p...]] [--clients N] [--write-ratio R] [--outstanding K]\n"
            "             [--keys M] [--value-size B] [--duration S] [--warmup S] [--session-timeout MS]\n"
            "             [--connect-timeout S] [--close-timeout S] [--seed N] [--json]\n"
            "             [--issue-mode immediate|batched] [--resolve-delay MS (-1: only on reconnect)]\n"
            "             [--cork (one TCP segment per request)]\n"
            "prints one JSON line; --json is accepted for symmetry with loadgen\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static struct option lo[] = {
        {"servers", 1, 0, 's'},         {"clients", 1, 0, 'c'},         {"write-ratio", 1, 0, 'w'},
        {"outstanding", 1, 0, 'o'},     {"keys", 1, 0, 'k'},            {"value-size", 1, 0, 'v'},
        {"duration", 1, 0, 'd'},        {"warmup", 1, 0, 'W'},          {"session-timeout", 1, 0, 't'},
        {"connect-timeout", 1, 0, 'C'}, {"close-timeout", 1, 0, 'X'},   {"seed", 1, 0, 'S'},
        {"json", 0, 0, 'j'},            {"help", 0, 0, 'h'},            {"issue-mode", 1, 0, 'I'},
        {"resolve-delay", 1, 0, 'R'},   {"cork", 0, 0, 'K'},            {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 's': opt.servers = optarg; break;
        case 'c': opt.clients = atoi(optarg); break;
        case 'w': opt.write_ratio = atof(optarg); break;
        case 'o': opt.outstanding = atoi(optarg); break;
        case 'k': opt.keys = atoi(optarg); break;
        case 'v': opt.value_size = atoi(optarg); break;
        case 'd': opt.duration = atof(optarg); break;
        case 'W': opt.warmup = atof(optarg); break;
        case 't': opt.session_timeout_ms = atoi(optarg); break;
        case 'C': opt.connect_timeout = atof(optarg); break;
        case 'X': opt.close_timeout = atof(optarg); break;
        case 'S': opt.seed = strtoul(optarg, NULL, 10); break;
        case 'j': break;
        case 'R': opt.resolve_delay_ms = atoi(optarg); break;
        case 'K': opt.cork = 1; break;
        case 'I':
            if (strcmp(optarg, "batched") == 0)
                issue_batched = 1;
            else if (strcmp(optarg, "immediate") == 0)
                issue_batched = 0;
            else
                usage();
            break;
        default: usage();
        }
    }
    if (opt.clients < 1 || opt.outstanding < 1 || opt.keys < 1 || opt.value_size < 0 || opt.duration <= 0 ||
        opt.warmup < 0 || opt.write_ratio < 0 || opt.write_ratio > 1 || opt.value_size > 1 << 20)
        usage();

    /* hard bound on the whole run */
    signal(SIGALRM, on_alarm);
    signal(SIGPIPE, SIG_IGN);
    alarm((unsigned)ceil(2 * opt.connect_timeout + opt.warmup + opt.duration + opt.close_timeout + 10));

    /* file descriptors: one socket per session */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t want = 1048576;
    struct rlimit nr = {want, want};
    if (setrlimit(RLIMIT_NOFILE, &nr) != 0) {
        nr.rlim_cur = nr.rlim_max = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nr);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
    if ((rlim_t)opt.clients + 64 > rl.rlim_cur)
        fprintf(stderr, "zkref: warning: RLIMIT_NOFILE %lu is too low for %d clients\n", (unsigned long)rl.rlim_cur,
                opt.clients);

    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);

    /* servers */
    char *dup = strdup(opt.servers);
    for (char *tok = strtok(dup, ","); tok; tok = strtok(NULL, ",")) {
        srv_list = realloc(srv_list, sizeof(char *) * (nsrv + 1));
        srv_list[nsrv++] = tok;
    }
    if (nsrv == 0)
        usage();

    value_buf = malloc(opt.value_size ? opt.value_size : 1);
    for (int i = 0; i < opt.value_size; i++)
        value_buf[i] = 'a' + i % 26;

    sess = calloc(opt.clients, sizeof *sess);
    pending = calloc(opt.clients, sizeof *pending);
    evcap = 4096;
    evbuf = calloc(evcap, sizeof *evbuf);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!sess || !pending || !evbuf || epfd < 0)
        die("setup failed");

    double t0 = now_mono();
    double deadline = t0 + opt.connect_timeout;

    /* phase 1: session 0 creates /loadgen and the keys */
    phase = PH_SETUP;
    create_next = -1;
    start_session(0);
    int root_sent = 0;
    while (now_mono() < deadline) {
        if (!root_sent && sess[0].is_conn) {
            if (zoo_acreate(sess[0].zh, "/loadgen", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, root_cb, NULL) == ZOK) {
                create_pending++;
                root_sent = 1;
            }
        }
        if (root_sent && create_next >= opt.keys && create_pending == 0)
            break;
        loop_once(0.01);
    }
    if (!(root_sent && create_next >= opt.keys && create_pending == 0)) {
        fprintf(stderr, "zkref: could not create keys within %.0f s (connected=%d created=%ld)\n",
                opt.connect_timeout, sess[0].is_conn, create_done);
        print_result("key creation timed out");
        return 1;
    }
    if (create_errors)
        fprintf(stderr, "zkref: %ld key creates failed\n", create_errors);

    /* phase 2: connect every other session */
    phase = PH_CONNECT;
    deadline = now_mono() + opt.connect_timeout;
    double tc = now_mono();
    for (int i = 1; i < opt.clients; i++) {
        start_session(i);
        /* keep the handshakes moving while starting thousands of sessions */
        if (i % 256 == 0)
            loop_once(0);
    }
    while (n_connected < opt.clients && now_mono() < deadline)
        loop_once(0.01);
    connect_s = now_mono() - tc;
    if (n_connected < opt.clients)
        fprintf(stderr, "zkref: only %ld of %d sessions connected after %.0f s; running with those\n", n_connected,
                opt.clients, opt.connect_timeout);
    if (n_connected == 0) {
        print_result("no session connected");
        return 1;
    }

    /* phase 3: warmup, then measurement */
    phase = PH_WARMUP;
    for (int i = 0; i < nsess_started; i++)
        issue(&sess[i]);
    double tw = now_mono();
    while (now_mono() < tw + opt.warmup)
        loop_once(0.01);

    phase = PH_MEASURE;
    t_measure_start = now_mono();
    u_measure_start = now_unix();
    cpu_measure_start = cpu_self();
    double tend = t_measure_start + opt.duration;
    while (now_mono() < tend)
        loop_once(0.01);
    t_measure_end = now_mono();
    u_measure_end = now_unix();
    cpu_measure_end = cpu_self();
    phase = PH_DONE;

    print_result(NULL);

    /* close sessions, bounded (the server expires whatever is left) */
    double tclose = now_mono() + opt.close_timeout;
    int closed = 0;
    for (int i = 0; i < nsess_started; i++) {
        if (now_mono() > tclose)
            break;
        if (sess[i].zh) {
            if (sess[i].fd >= 0)
                epoll_ctl(epfd, EPOLL_CTL_DEL, sess[i].fd, NULL);
            zookeeper_close(sess[i].zh);
            sess[i].zh = NULL;
            closed++;
        }
    }
    if (closed < nsess_started)
        fprintf(stderr, "zkref: closed %d of %d sessions within %.0f s\n", closed, nsess_started, opt.close_timeout);
    return 0;
}
