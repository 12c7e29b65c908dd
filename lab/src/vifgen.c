// SPDX-License-Identifier: Apache-2.0
/*
 * vifgen - the vifscope lab's traffic generator.
 *
 * Sends crafted Ethernet frames through AF_PACKET (SOCK_RAW) sockets, each
 * bound to one interface, optionally inside a named network namespace
 * (/run/netns/NAME). Frames go out in sendmmsg() batches built from reused
 * buffers. Only frames the kernel accepted are counted, and the counts are
 * printed at the end as one JSON object: the ground truth that the lab tests
 * and the vifscope end-to-end tests compare against.
 *
 * Build: gcc -O2 -Wall -Werror -o lab/bin/vifgen lab/src/vifgen.c
 * Usage: vifgen --help
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define VIFGEN_VERSION 1
#define MAX_BATCH 256
#define MAX_STREAMS 16
#define HDR_MAX 128
#define POOL_SIZE 4096
#define MAX_PAYLOAD 9000
/* IPv4 random sources: all of 198.18.0.0/15 except the lab's own 198.18.0.0/24. */
#define RND4_BASE 0xC6120100u /* 198.18.1.0 */
#define RND4_CAP 130816u
#define RND6_CAP (1u << 26)
#define RND_STEP 1000003u /* prime: k*STEP mod N visits every index once */
#define STALL_NS 3000000000LL /* give up after 3 s without an accepted frame */

enum proto { P_UDP, P_TCP_SYN, P_ICMP };
static const char *const proto_names[] = { "udp", "tcp-syn", "icmp" };

struct src {
	uint8_t addr[16];
	char str[INET6_ADDRSTRLEN];
	uint16_t sport;
	uint64_t packets, bytes;
};

struct payload {
	const uint8_t *data;
	uint32_t len;
	uint64_t sum; /* ones' complement partial sum, data starts at an even offset */
};

struct slot {
	uint8_t hdr[HDR_MAX];
	struct iovec iov[2];
	uint32_t len;	 /* whole frame */
	int32_t src;	 /* index into srcs, or -1 for a random source */
	uint32_t rnd_idx;
};

struct stream {
	/* configuration */
	char netns[128];
	char ifname[IF_NAMESIZE];
	uint8_t smac[6], dmac[6];
	int have_smac, have_dmac;
	int family; /* AF_INET / AF_INET6, from --dst */
	uint8_t dst[16];
	char dst_str[INET6_ADDRSTRLEN];
	int have_dst;
	enum proto proto;
	int sport; /* -1: per-source ephemeral port */
	int dport;
	int size_min, size_max;
	int nvlan;
	uint16_t vlan[2];
	double weight;
	struct src *srcs;
	int nsrc;
	uint32_t rnd_n;	  /* 0: no random sources */
	double heavy_share; /* share of frames from srcs when rnd_n > 0 */
	uint64_t heavy_ppm;
	int size_set;
	char *meta;

	/* runtime */
	int fd, ifindex;
	struct payload *pool;
	int npool;
	uint8_t tmpl[HDR_MAX];
	int l2len, l3off, l4off, hdrlen;
	uint16_t ip_id;
	uint64_t frame_no, rnd_k;
	uint32_t rr;
	double wrr;
	struct slot slots[MAX_BATCH];
	struct mmsghdr msgs[MAX_BATCH];

	/* ground truth */
	uint64_t packets, bytes;
	uint64_t rnd_packets, rnd_bytes, rnd_distinct;
	uint8_t *rnd_seen;
};

static struct stream streams[MAX_STREAMS];
static int nstreams;
static volatile sig_atomic_t stop_signal;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

struct errcount {
	int err;
	uint64_t n;
};
static struct errcount errs[32];
static int nerrs;

static void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("vifgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(try vifgen --help)\n", stderr);
	exit(2);
}

static void die_sys(const char *what, const struct stream *s)
{
	fprintf(stderr, "vifgen: %s (netns=%s if=%s): %s\n", what,
		s->netns[0] ? s->netns : "-", s->ifname, strerror(errno));
	exit(1);
}

static uint64_t rnd64(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(((rnd64() >> 32) * (uint64_t)n) >> 32);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* ---- checksums ---------------------------------------------------------- */

static uint64_t csum_partial(const uint8_t *p, size_t len, uint64_t sum)
{
	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* ---- parsing helpers ---------------------------------------------------- */

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 255)
			return -1;
		mac[i] = b[i];
	}
	return 0;
}

static int parse_addr(const char *s, uint8_t out[16])
{
	if (inet_pton(AF_INET, s, out) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, out) == 1)
		return AF_INET6;
	return -1;
}

static long parse_long(const char *s, const char *opt, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		die_usage("%s: expected an integer in [%ld, %ld], got '%s'", opt, min, max, s);
	return v;
}

static double parse_double(const char *s, const char *opt, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || end == s || !(v >= min && v <= max))
		die_usage("%s: expected a number in [%g, %g], got '%s'", opt, min, max, s);
	return v;
}

static const char *errname(int e)
{
	const char *n = strerrorname_np(e);
	static char buf[16];

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static void count_error(int e)
{
	for (int i = 0; i < nerrs; i++)
		if (errs[i].err == e) {
			errs[i].n++;
			return;
		}
	if (nerrs < (int)(sizeof(errs) / sizeof(errs[0]))) {
		errs[nerrs].err = e;
		errs[nerrs].n = 1;
		nerrs++;
	}
}

/* ---- payloads ----------------------------------------------------------- */

static const char *const hosts[] = { "appsrv07", "appsrv12", "lb01", "db-backup", "mailgw" };
static const char *const tags[] = { "haproxy", "sshd", "CRON", "postfix/smtpd", "nginx", "app" };

/*
 * Syslog-like text as RFC 3164 senders emit it: <PRI>Mmm dd hh:mm:ss host tag[pid]: msg.
 * PRI 190 is local7.info, 188 local7.warning (facility 23 * 8 + severity).
 */
static void fill_syslog(uint8_t *buf, uint32_t len, uint32_t seq)
{
	char tmp[MAX_PAYLOAD + 256];
	int warn = rnd_below(8) == 0;
	int n;

	n = snprintf(tmp, sizeof(tmp),
		     "<%d>Nov 28 %02u:%02u:%02u %s %s[%u]: local7.%s seq=%06u client=198.18.%u.%u "
		     "req=\"GET /api/v1/items/%u HTTP/1.1\" status=%u bytes=%u",
		     warn ? 188 : 190, rnd_below(24), rnd_below(60), rnd_below(60),
		     hosts[rnd_below(5)], tags[rnd_below(6)], 1000 + rnd_below(30000),
		     warn ? "warning" : "info", seq, rnd_below(2), rnd_below(256), rnd_below(100000),
		     warn ? 503 : 200, rnd_below(65536));
	while ((uint32_t)n < len && n < (int)sizeof(tmp) - 32)
		n += snprintf(tmp + n, sizeof(tmp) - n, " k%u=%08x", rnd_below(100), (unsigned)rnd64());
	memcpy(buf, tmp, len);
}

static struct payload *build_pool(int min, int max, int *npool)
{
	int n = (min == max) ? 64 : POOL_SIZE;
	struct payload *pool = calloc(n, sizeof(*pool));
	uint8_t *blob;
	size_t total = 0;
	uint32_t *lens = calloc(n, sizeof(*lens));

	if (!pool || !lens) {
		perror("vifgen: calloc");
		exit(1);
	}
	for (int i = 0; i < n; i++) {
		lens[i] = min + (max > min ? rnd_below(max - min + 1) : 0);
		total += lens[i];
	}
	blob = malloc(total + 1);
	if (!blob) {
		perror("vifgen: malloc");
		exit(1);
	}
	for (int i = 0; i < n; i++) {
		fill_syslog(blob, lens[i], (uint32_t)i);
		pool[i].data = blob;
		pool[i].len = lens[i];
		pool[i].sum = csum_partial(blob, lens[i], 0);
		blob += lens[i];
	}
	free(lens);
	*npool = n;
	return pool;
}

/* ---- streams ------------------------------------------------------------ */

static void stream_defaults(struct stream *s)
{
	memset(s, 0, sizeof(*s));
	s->proto = P_UDP;
	s->sport = -1;
	s->dport = 514;
	s->size_min = 190;
	s->size_max = 370;
	s->weight = 1.0;
	s->heavy_share = 0.5;
	s->fd = -1;
}

static void stream_copy(struct stream *dst, const struct stream *src)
{
	stream_defaults(dst);
	memcpy(dst->netns, src->netns, sizeof(dst->netns));
	memcpy(dst->ifname, src->ifname, sizeof(dst->ifname));
	memcpy(dst->smac, src->smac, 6);
	memcpy(dst->dmac, src->dmac, 6);
	dst->have_smac = src->have_smac;
	dst->have_dmac = src->have_dmac;
	dst->family = src->family;
	memcpy(dst->dst, src->dst, 16);
	memcpy(dst->dst_str, src->dst_str, sizeof(dst->dst_str));
	dst->have_dst = src->have_dst;
	dst->proto = src->proto;
	dst->sport = src->sport;
	dst->dport = src->dport;
	dst->size_min = src->size_min;
	dst->size_max = src->size_max;
	dst->size_set = src->size_set;
	dst->nvlan = src->nvlan;
	memcpy(dst->vlan, src->vlan, sizeof(dst->vlan));
	dst->weight = src->weight;
	dst->rnd_n = src->rnd_n;
	dst->heavy_share = src->heavy_share;
	if (src->nsrc) {
		dst->srcs = calloc(src->nsrc, sizeof(*dst->srcs));
		if (!dst->srcs) {
			perror("vifgen: calloc");
			exit(1);
		}
		for (int i = 0; i < src->nsrc; i++) {
			dst->srcs[i] = src->srcs[i];
			dst->srcs[i].packets = dst->srcs[i].bytes = 0;
		}
		dst->nsrc = src->nsrc;
	}
}

static void set_sources(struct stream *s, const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;

	free(s->srcs);
	s->srcs = NULL;
	s->nsrc = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct src *n = realloc(s->srcs, (s->nsrc + 1) * sizeof(*n));

		if (!n) {
			perror("vifgen: realloc");
			exit(1);
		}
		s->srcs = n;
		memset(&s->srcs[s->nsrc], 0, sizeof(struct src));
		if (parse_addr(tok, s->srcs[s->nsrc].addr) < 0)
			die_usage("--src: not an IPv4/IPv6 address: '%s'", tok);
		snprintf(s->srcs[s->nsrc].str, sizeof(s->srcs[s->nsrc].str), "%s", tok);
		s->nsrc++;
	}
	free(copy);
	if (!s->nsrc)
		die_usage("--src: empty address list");
}

static void open_socket(struct stream *s)
{
	int orig = -1, nsfd;
	struct sockaddr_ll sll;
	struct ifreq ifr;

	if (s->netns[0]) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "/run/netns/%s", s->netns);
		orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (orig < 0 || nsfd < 0)
			die_sys("open network namespace", s);
		if (setns(nsfd, CLONE_NEWNET) < 0)
			die_sys("setns", s);
		close(nsfd);
	}
	/* Protocol 0: the socket only sends, it never gets a copy of received frames. */
	s->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		die_sys("socket(AF_PACKET)", s);
	s->ifindex = if_nametoindex(s->ifname);
	if (!s->ifindex)
		die_sys("no such interface", s);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = s->ifindex;
	if (bind(s->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die_sys("bind", s);
	if (!s->have_smac) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", s->ifname);
		if (ioctl(s->fd, SIOCGIFHWADDR, &ifr) < 0)
			die_sys("SIOCGIFHWADDR", s);
		memcpy(s->smac, ifr.ifr_hwaddr.sa_data, 6);
		s->have_smac = 1;
	}
	if (orig >= 0) {
		if (setns(orig, CLONE_NEWNET) < 0)
			die_sys("setns back", s);
		close(orig);
	}
}

static void check_stream(struct stream *s, int idx)
{
	if (!s->ifname[0])
		die_usage("stream %d: --if is required", idx);
	if (!s->have_dmac)
		die_usage("stream %d: --dst-mac is required", idx);
	if (!s->have_dst)
		die_usage("stream %d: --dst is required", idx);
	if (!s->nsrc && !s->rnd_n)
		die_usage("stream %d: give --src and/or --random-src", idx);
	for (int i = 0; i < s->nsrc; i++) {
		uint8_t tmp[16];

		if (parse_addr(s->srcs[i].str, tmp) != s->family)
			die_usage("stream %d: source %s and destination %s differ in family", idx,
				  s->srcs[i].str, s->dst_str);
	}
	if (s->rnd_n) {
		uint32_t cap = s->family == AF_INET ? RND4_CAP : RND6_CAP;

		if (s->rnd_n > cap)
			die_usage("stream %d: --random-src %u: at most %u distinct %s sources fit the lab range",
				  idx, s->rnd_n, cap, s->family == AF_INET ? "IPv4 (198.18.0.0/15 less 198.18.0.0/24)" : "IPv6");
		if (s->rnd_n % RND_STEP == 0)
			die_usage("stream %d: --random-src must not be a multiple of %u", idx, RND_STEP);
		if (!s->nsrc)
			s->heavy_share = 0;
		s->rnd_seen = calloc((s->rnd_n + 7) / 8, 1);
		if (!s->rnd_seen) {
			perror("vifgen: calloc");
			exit(1);
		}
	}
	if (!s->size_set && s->proto == P_TCP_SYN)
		s->size_min = s->size_max = 0; /* a SYN carries no data unless asked */
	if (!s->size_set && s->proto == P_ICMP)
		s->size_min = s->size_max = 56; /* like ping */
	s->heavy_ppm = (uint64_t)(s->heavy_share * 1000000.0 + 0.5);
}

/* Ephemeral source port per sender address: one stable flow per source, like a real sender. */
static uint16_t sport_for(const uint8_t *addr, int family, uint32_t salt)
{
	uint32_t h = 2166136261u ^ salt;

	for (int i = 0; i < (family == AF_INET ? 4 : 16); i++)
		h = (h ^ addr[i]) * 16777619u;
	return 32768 + h % 28232;
}

static void build_template(struct stream *s)
{
	uint8_t *p = s->tmpl;
	uint16_t ethertype = s->family == AF_INET ? ETH_P_IP : ETH_P_IPV6;

	memcpy(p, s->dmac, 6);
	memcpy(p + 6, s->smac, 6);
	p += 12;
	if (s->nvlan == 2) {
		put16(p, 0x88a8); /* 802.1ad S-tag outside */
		put16(p + 2, s->vlan[0]);
		put16(p + 4, ETH_P_8021Q);
		put16(p + 6, s->vlan[1]);
		p += 8;
	} else if (s->nvlan == 1) {
		put16(p, ETH_P_8021Q);
		put16(p + 2, s->vlan[0]);
		p += 4;
	}
	put16(p, ethertype);
	p += 2;
	s->l2len = p - s->tmpl;
	s->l3off = s->l2len;
	if (s->family == AF_INET) {
		p[0] = 0x45;
		p[1] = 0;
		put16(p + 6, 0x4000); /* DF */
		p[8] = 64;
		p[9] = s->proto == P_UDP ? IPPROTO_UDP : s->proto == P_TCP_SYN ? IPPROTO_TCP : IPPROTO_ICMP;
		memcpy(p + 16, s->dst, 4);
		p += 20;
	} else {
		put32(p, 0x60000000);
		p[6] = s->proto == P_UDP ? IPPROTO_UDP : s->proto == P_TCP_SYN ? IPPROTO_TCP : IPPROTO_ICMPV6;
		p[7] = 64;
		memcpy(p + 24, s->dst, 16);
		p += 40;
	}
	s->l4off = p - s->tmpl;
	switch (s->proto) {
	case P_UDP:
		put16(p + 2, s->dport);
		p += 8;
		break;
	case P_TCP_SYN:
		put16(p + 2, s->dport);
		p[12] = 5 << 4;
		p[13] = 0x02; /* SYN */
		put16(p + 14, 64240);
		p += 20;
		break;
	case P_ICMP:
		p[0] = s->family == AF_INET ? 8 : 128; /* echo request */
		put16(p + 4, 0x7667); /* identifier "vg" */
		p += 8;
		break;
	}
	s->hdrlen = p - s->tmpl;
	for (int i = 0; i < MAX_BATCH; i++) {
		s->slots[i].iov[0].iov_base = s->slots[i].hdr;
		s->msgs[i].msg_hdr.msg_iov = s->slots[i].iov;
		s->msgs[i].msg_hdr.msg_iovlen = 2;
	}
}

static void random_addr(const struct stream *s, uint32_t idx, uint8_t *out)
{
	if (s->family == AF_INET) {
		put32(out, RND4_BASE + idx);
	} else {
		/* 2001:db8:5::/64, interface id spread by an odd multiplier (a bijection) */
		uint64_t iid = (uint64_t)(idx + 1) * 0x9e3779b97f4a7c15ull;

		memset(out, 0, 16);
		put16(out, 0x2001);
		put16(out + 2, 0x0db8);
		put16(out + 4, 0x0005);
		for (int i = 0; i < 8; i++)
			out[8 + i] = iid >> (56 - 8 * i);
	}
}

/* Build frame number s->frame_no into slot sl. */
static void build_frame(struct stream *s, struct slot *sl)
{
	uint8_t *h = sl->hdr, *l3, *l4;
	const struct payload *pl = &s->pool[rnd_below(s->npool)];
	uint8_t saddr[16];
	uint16_t sport;
	uint32_t l4len = (uint32_t)(s->hdrlen - s->l4off) + pl->len;
	int alen = s->family == AF_INET ? 4 : 16;
	int heavy;
	uint64_t sum;

	/* Exact share: frame k is heavy when floor((k+1)*share) > floor(k*share). */
	if (!s->rnd_n)
		heavy = 1;
	else
		heavy = (s->frame_no + 1) * s->heavy_ppm / 1000000 > s->frame_no * s->heavy_ppm / 1000000;
	s->frame_no++;
	if (heavy) {
		struct src *src = &s->srcs[s->rr];

		sl->src = s->rr;
		s->rr = (s->rr + 1) % s->nsrc;
		memcpy(saddr, src->addr, alen);
		sport = src->sport;
	} else {
		uint32_t idx = (uint32_t)(((uint64_t)s->rnd_k * RND_STEP) % s->rnd_n);

		s->rnd_k++;
		sl->src = -1;
		sl->rnd_idx = idx;
		random_addr(s, idx, saddr);
		sport = s->sport >= 0 ? s->sport : sport_for(saddr, s->family, 0);
	}

	memcpy(h, s->tmpl, s->hdrlen);
	l3 = h + s->l3off;
	l4 = h + s->l4off;
	if (s->family == AF_INET) {
		put16(l3 + 2, 20 + l4len);
		put16(l3 + 4, s->ip_id++);
		memcpy(l3 + 12, saddr, 4);
		put16(l3 + 10, csum_fold(csum_partial(l3, 20, 0)));
	} else {
		put16(l3 + 4, l4len);
		memcpy(l3 + 8, saddr, 16);
	}
	if (s->proto != P_ICMP || s->family == AF_INET6) {
		/* pseudo header: addresses, upper-layer length, next header */
		sum = csum_partial(l3 + (s->family == AF_INET ? 12 : 8), 2 * alen, 0);
		sum += l4len;
		sum += s->family == AF_INET ? l3[9] : l3[6];
	} else {
		sum = 0;
	}
	switch (s->proto) {
	case P_UDP:
		put16(l4, sport);
		put16(l4 + 4, l4len);
		sum = csum_partial(l4, 8, sum + pl->sum);
		put16(l4 + 6, csum_fold(sum) ?: 0xffff);
		break;
	case P_TCP_SYN:
		put16(l4, sport);
		put32(l4 + 4, (uint32_t)rnd64());
		sum = csum_partial(l4, 20, sum + pl->sum);
		put16(l4 + 16, csum_fold(sum));
		break;
	case P_ICMP:
		put16(l4 + 6, (uint16_t)s->frame_no);
		sum = csum_partial(l4, 8, sum + pl->sum);
		put16(l4 + 2, csum_fold(sum));
		break;
	}
	sl->iov[0].iov_len = s->hdrlen;
	sl->iov[1].iov_base = (void *)pl->data;
	sl->iov[1].iov_len = pl->len;
	sl->len = s->hdrlen + pl->len;
}

static void account(struct stream *s, const struct slot *sl)
{
	s->packets++;
	s->bytes += sl->len;
	if (sl->src >= 0) {
		s->srcs[sl->src].packets++;
		s->srcs[sl->src].bytes += sl->len;
	} else {
		uint8_t bit = 1u << (sl->rnd_idx & 7);

		s->rnd_packets++;
		s->rnd_bytes += sl->len;
		if (!(s->rnd_seen[sl->rnd_idx >> 3] & bit)) {
			s->rnd_seen[sl->rnd_idx >> 3] |= bit;
			s->rnd_distinct++;
		}
	}
}

/* ---- output ------------------------------------------------------------- */

static void json_mac(FILE *f, const char *key, const uint8_t *m)
{
	fprintf(f, "\"%s\":\"%02x:%02x:%02x:%02x:%02x:%02x\"", key, m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void json_sources(FILE *f, struct src *srcs, int n)
{
	fputs("{", f);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s\"%s\":{\"packets\":%llu,\"bytes\":%llu,\"sport\":%u}", i ? "," : "", srcs[i].str,
			(unsigned long long)srcs[i].packets, (unsigned long long)srcs[i].bytes, srcs[i].sport);
	fputs("}", f);
}

static void print_json(const char *meta, double duration, double start_unix, const char *stopped_by,
		       const char *error)
{
	uint64_t packets = 0, bytes = 0, errtotal = 0;
	struct src agg[256];
	int nagg = 0, have_rnd = 0;
	uint64_t rp = 0, rb = 0, rd = 0;
	FILE *f = stdout;

	for (int i = 0; i < nstreams; i++) {
		struct stream *s = &streams[i];

		packets += s->packets;
		bytes += s->bytes;
		if (s->rnd_n) {
			have_rnd = 1;
			rp += s->rnd_packets;
			rb += s->rnd_bytes;
			rd += s->rnd_distinct;
		}
		for (int j = 0; j < s->nsrc; j++) {
			int k;

			for (k = 0; k < nagg; k++)
				if (!strcmp(agg[k].str, s->srcs[j].str))
					break;
			if (k == nagg) {
				if (nagg == (int)(sizeof(agg) / sizeof(agg[0])))
					continue;
				agg[nagg] = s->srcs[j];
				agg[nagg].packets = agg[nagg].bytes = 0;
				nagg++;
			}
			agg[k].packets += s->srcs[j].packets;
			agg[k].bytes += s->srcs[j].bytes;
		}
	}
	for (int i = 0; i < nerrs; i++)
		errtotal += errs[i].n;

	fprintf(f, "{\"tool\":\"vifgen\",\"version\":%d,", VIFGEN_VERSION);
	if (meta && *meta)
		fprintf(f, "%s,", meta);
	fprintf(f, "\"packets\":%llu,\"bytes\":%llu,\"duration_s\":%.6f,\"start_unix_s\":%.6f,",
		(unsigned long long)packets, (unsigned long long)bytes, duration, start_unix);
	fprintf(f, "\"rate_pps\":%.1f,\"rate_bytes_per_s\":%.1f,",
		duration > 0 ? packets / duration : 0.0, duration > 0 ? bytes / duration : 0.0);
	fprintf(f, "\"stopped_by\":\"%s\",", stopped_by);
	if (error)
		fprintf(f, "\"error\":\"%s\",", error);
	fputs("\"errors\":{", f);
	for (int i = 0; i < nerrs; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", errname(errs[i].err), (unsigned long long)errs[i].n);
	fprintf(f, "},\"errors_total\":%llu,\"sources\":", (unsigned long long)errtotal);
	json_sources(f, agg, nagg);
	if (have_rnd)
		fprintf(f, ",\"random_sources\":{\"distinct\":%llu,\"packets\":%llu,\"bytes\":%llu}",
			(unsigned long long)rd, (unsigned long long)rp, (unsigned long long)rb);
	fputs(",\"streams\":[", f);
	for (int i = 0; i < nstreams; i++) {
		struct stream *s = &streams[i];

		fprintf(f, "%s{", i ? "," : "");
		if (s->meta && *s->meta)
			fprintf(f, "%s,", s->meta);
		fprintf(f, "\"netns\":\"%s\",\"if\":\"%s\",", s->netns, s->ifname);
		json_mac(f, "src_mac", s->smac);
		fputc(',', f);
		json_mac(f, "dst_mac", s->dmac);
		fprintf(f, ",\"dst\":\"%s\",\"proto\":\"%s\",", s->dst_str, proto_names[s->proto]);
		if (s->proto != P_ICMP)
			fprintf(f, "\"dport\":%d,", s->dport);
		fputs("\"vlan\":[", f);
		for (int j = 0; j < s->nvlan; j++)
			fprintf(f, "%s%u", j ? "," : "", s->vlan[j]);
		fprintf(f, "],\"size\":[%d,%d],\"frame_overhead\":%d,\"packets\":%llu,\"bytes\":%llu,\"sources\":",
			s->size_min, s->size_max, s->hdrlen, (unsigned long long)s->packets,
			(unsigned long long)s->bytes);
		json_sources(f, s->srcs, s->nsrc);
		if (s->rnd_n)
			fprintf(f, ",\"random_sources\":{\"requested\":%u,\"distinct\":%llu,\"packets\":%llu,\"bytes\":%llu,\"heavy_share\":%.4f}",
				s->rnd_n, (unsigned long long)s->rnd_distinct, (unsigned long long)s->rnd_packets,
				(unsigned long long)s->rnd_bytes, s->heavy_share);
		fputc('}', f);
	}
	fputs("]}\n", f);
	fflush(f);
}

/* ---- main --------------------------------------------------------------- */

static void usage(void)
{
	fputs(
"usage: vifgen [GLOBAL OPTIONS] STREAM OPTIONS [--next STREAM OPTIONS]...\n"
"\n"
"Sends crafted Ethernet frames with AF_PACKET/sendmmsg and prints, at the end, one JSON\n"
"object with the frames and bytes the kernel accepted (the ground truth).\n"
"\n"
"Global options:\n"
"  -c, --count N          stop after N accepted frames in total (default: no limit)\n"
"  -t, --seconds S        stop after S seconds (default 1 if no --count)\n"
"  -r, --rate PPS         limit the total rate (default: as fast as possible)\n"
"  -b, --batch N          frames per sendmmsg call (default 64, max 256)\n"
"      --seed N           PRNG seed (default 1): same seed, same frames\n"
"      --meta JSON        raw JSON members added to the top-level object\n"
"      --summary LABEL    also print a one-line summary on stderr\n"
"Stream options (--next starts a new stream that copies the current one):\n"
"  -n, --netns NAME       open the socket in network namespace /run/netns/NAME\n"
"  -i, --if IFNAME        interface to send on (required)\n"
"      --src-mac MAC      source MAC (default: the interface's)\n"
"      --dst-mac MAC      destination MAC (required)\n"
"  -s, --src A[,B...]     fixed source addresses, used round robin (IPv4 or IPv6)\n"
"      --random-src N     N distinct spoofed sources (IPv4: 198.18.1.0-198.19.255.255,\n"
"                         at most 130816; IPv6: 2001:db8:5::/64), each used once before any repeats\n"
"      --heavy-share F    with --random-src and --src: share of frames from the --src\n"
"                         (heavy) sources, 0..1 (default 0.5)\n"
"  -d, --dst ADDR         destination address (sets the family)\n"
"  -p, --proto P          udp (default) | tcp-syn | icmp (echo request)\n"
"      --sport N          source port (default: a stable ephemeral port per source address)\n"
"      --dport N          destination port (default 514)\n"
"  -l, --size N|A-B       L4 payload bytes, fixed or uniform in A-B (default 190-370;\n"
"                         tcp-syn defaults to 0)\n"
"      --vlan ID[,ID]     one ID: 802.1Q tag; two IDs: QinQ, 802.1ad outer + 802.1Q inner\n"
"  -w, --weight W         this stream's share of the frames (default 1)\n"
"      --stream-meta JSON raw JSON members added to this stream's object\n"
"\n"
"Bytes are whole Ethernet frames without FCS (what a veth's tx_bytes counts when it\n"
"transmits the frame). Exit: 0 ok, 1 runtime failure (JSON still printed), 2 usage.\n"
"\n"
"Examples:\n"
"  vifgen -n vsl-up -i eth0 --dst-mac 00:16:3e:4a:00:00 -s 198.18.0.201,198.18.0.202 \\\n"
"         -d 198.18.0.74 -t 2\n"
"  vifgen -n vsl-up -i eth0 --dst-mac 00:16:3e:4a:00:00 -s 2001:db8::11 -d 2001:db8::74 \\\n"
"         --random-src 1000000 --heavy-share 0.3 -c 500000\n",
		stdout);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, 0, 'c' },	  { "seconds", required_argument, 0, 't' },
		{ "rate", required_argument, 0, 'r' },	  { "batch", required_argument, 0, 'b' },
		{ "seed", required_argument, 0, 1 },	  { "meta", required_argument, 0, 2 },
		{ "netns", required_argument, 0, 'n' },	  { "if", required_argument, 0, 'i' },
		{ "src-mac", required_argument, 0, 3 },	  { "dst-mac", required_argument, 0, 4 },
		{ "src", required_argument, 0, 's' },	  { "random-src", required_argument, 0, 5 },
		{ "heavy-share", required_argument, 0, 6 }, { "dst", required_argument, 0, 'd' },
		{ "proto", required_argument, 0, 'p' },	  { "sport", required_argument, 0, 7 },
		{ "dport", required_argument, 0, 8 },	  { "size", required_argument, 0, 'l' },
		{ "vlan", required_argument, 0, 9 },	  { "weight", required_argument, 0, 'w' },
		{ "stream-meta", required_argument, 0, 10 }, { "next", no_argument, 0, 11 },
		{ "summary", required_argument, 0, 12 },  { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	uint64_t count = 0;
	double seconds = 0, rate = 0;
	int batch = 64, opt;
	uint64_t seed = 1;
	const char *meta = NULL, *summary = NULL;
	struct stream *cur;
	struct sigaction sa;
	int64_t t0, tend = 0, last_progress;
	struct timespec rt;
	double start_unix;
	uint64_t total = 0;
	const char *stopped_by = "seconds", *error = NULL;
	int rc = 0;

	nstreams = 1;
	cur = &streams[0];
	stream_defaults(cur);
	while ((opt = getopt_long(argc, argv, "+c:t:r:b:n:i:s:d:p:l:w:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			count = (uint64_t)parse_long(optarg, "--count", 1, LONG_MAX);
			break;
		case 't':
			seconds = parse_double(optarg, "--seconds", 0.001, 86400);
			break;
		case 'r':
			rate = parse_double(optarg, "--rate", 1, 1e9);
			break;
		case 'b':
			batch = (int)parse_long(optarg, "--batch", 1, MAX_BATCH);
			break;
		case 1:
			seed = (uint64_t)parse_long(optarg, "--seed", 0, LONG_MAX);
			break;
		case 2:
			meta = optarg;
			break;
		case 'n':
			snprintf(cur->netns, sizeof(cur->netns), "%s", optarg);
			break;
		case 'i':
			if (strlen(optarg) >= IF_NAMESIZE)
				die_usage("--if: name too long: %s", optarg);
			snprintf(cur->ifname, sizeof(cur->ifname), "%s", optarg);
			break;
		case 3:
			if (parse_mac(optarg, cur->smac))
				die_usage("--src-mac: bad MAC '%s'", optarg);
			cur->have_smac = 1;
			break;
		case 4:
			if (parse_mac(optarg, cur->dmac))
				die_usage("--dst-mac: bad MAC '%s'", optarg);
			cur->have_dmac = 1;
			break;
		case 's':
			set_sources(cur, optarg);
			break;
		case 5:
			cur->rnd_n = (uint32_t)parse_long(optarg, "--random-src", 0, RND6_CAP);
			break;
		case 6:
			cur->heavy_share = parse_double(optarg, "--heavy-share", 0, 1);
			break;
		case 'd':
			cur->family = parse_addr(optarg, cur->dst);
			if (cur->family < 0)
				die_usage("--dst: not an IPv4/IPv6 address: '%s'", optarg);
			snprintf(cur->dst_str, sizeof(cur->dst_str), "%s", optarg);
			cur->have_dst = 1;
			break;
		case 'p':
			if (!strcmp(optarg, "udp"))
				cur->proto = P_UDP;
			else if (!strcmp(optarg, "tcp-syn") || !strcmp(optarg, "tcp"))
				cur->proto = P_TCP_SYN;
			else if (!strcmp(optarg, "icmp"))
				cur->proto = P_ICMP;
			else
				die_usage("--proto: udp, tcp-syn or icmp, not '%s'", optarg);
			break;
		case 7:
			cur->sport = (int)parse_long(optarg, "--sport", 0, 65535);
			break;
		case 8:
			cur->dport = (int)parse_long(optarg, "--dport", 0, 65535);
			break;
		case 'l': {
			char *dash = strchr(optarg, '-');

			if (dash) {
				*dash = 0;
				cur->size_min = (int)parse_long(optarg, "--size", 0, MAX_PAYLOAD);
				cur->size_max = (int)parse_long(dash + 1, "--size", 0, MAX_PAYLOAD);
				*dash = '-';
			} else {
				cur->size_min = cur->size_max = (int)parse_long(optarg, "--size", 0, MAX_PAYLOAD);
			}
			if (cur->size_min > cur->size_max)
				die_usage("--size: empty range '%s'", optarg);
			cur->size_set = 1;
			break;
		}
		case 9: {
			char *comma = strchr(optarg, ',');

			if (comma) {
				*comma = 0;
				cur->vlan[0] = (uint16_t)parse_long(optarg, "--vlan", 1, 4094);
				cur->vlan[1] = (uint16_t)parse_long(comma + 1, "--vlan", 1, 4094);
				*comma = ',';
				cur->nvlan = 2;
			} else {
				cur->vlan[0] = (uint16_t)parse_long(optarg, "--vlan", 0, 4094);
				cur->nvlan = cur->vlan[0] ? 1 : 0;
			}
			break;
		}
		case 'w':
			cur->weight = parse_double(optarg, "--weight", 0.000001, 1e6);
			break;
		case 10:
			cur->meta = optarg;
			break;
		case 11:
			if (nstreams == MAX_STREAMS)
				die_usage("at most %d streams", MAX_STREAMS);
			stream_copy(&streams[nstreams], cur);
			cur = &streams[nstreams++];
			break;
		case 12:
			summary = optarg;
			break;
		case 'h':
			usage();
			return 0;
		default:
			fputs("(try vifgen --help)\n", stderr);
			return 2;
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (!count && !seconds)
		seconds = 1;

	rng_state ^= seed * 0xbf58476d1ce4e5b9ull;
	rnd64();
	for (int i = 0; i < nstreams; i++) {
		struct stream *s = &streams[i];

		check_stream(s, i);
		for (int j = 0; j < s->nsrc; j++)
			s->srcs[j].sport = s->sport >= 0 ? s->sport : sport_for(s->srcs[j].addr, s->family, 0);
		s->pool = build_pool(s->size_min, s->size_max, &s->npool);
	}
	for (int i = 0; i < nstreams; i++) {
		open_socket(&streams[i]);
		build_template(&streams[i]);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a blocked sendmmsg returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	clock_gettime(CLOCK_REALTIME, &rt);
	start_unix = rt.tv_sec + rt.tv_nsec / 1e9;
	t0 = now_ns();
	last_progress = t0;
	if (seconds)
		tend = t0 + (int64_t)(seconds * 1e9);
	if (rate > 0) {
		/* small batches at low rates so the traffic is smooth, not bursty */
		int b = (int)(rate / 1000);

		if (b < batch)
			batch = b < 1 ? 1 : b;
	}

	for (;;) {
		struct stream *s = NULL;
		double wsum = 0;
		int n, head = 0;
		int64_t now;

		if (stop_signal) {
			stopped_by = "signal";
			break;
		}
		if (count && total >= count) {
			stopped_by = "count";
			break;
		}
		now = now_ns();
		if (tend && now >= tend) {
			stopped_by = "seconds";
			break;
		}
		n = batch;
		if (count && count - total < (uint64_t)n)
			n = (int)(count - total);
		if (rate > 0) {
			int64_t due = t0 + (int64_t)((double)(total + n) / rate * 1e9);

			if (due > now) {
				struct timespec ts;
				int64_t wake = (tend && due > tend) ? tend : due;

				ts.tv_sec = wake / 1000000000LL;
				ts.tv_nsec = wake % 1000000000LL;
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
				continue;
			}
		}
		/* smooth weighted round robin over streams, one batch at a time */
		for (int i = 0; i < nstreams; i++) {
			streams[i].wrr += streams[i].weight;
			wsum += streams[i].weight;
			if (!s || streams[i].wrr > s->wrr)
				s = &streams[i];
		}
		s->wrr -= wsum;

		for (int i = 0; i < n; i++)
			build_frame(s, &s->slots[i]);
		for (int i = 0; i < n; i++)
			s->msgs[i].msg_len = 0;
		while (head < n) {
			int r = sendmmsg(s->fd, &s->msgs[head], n - head, 0);

			if (r > 0) {
				for (int i = 0; i < r; i++)
					account(s, &s->slots[head + i]);
				head += r;
				total += r;
				last_progress = now_ns();
				continue;
			}
			if (r < 0 && errno == EINTR && stop_signal)
				break;
			if (r < 0 && errno != EINTR) {
				int e = errno;

				count_error(e);
				if (e == ENOBUFS || e == EAGAIN || e == ENOMEM) {
					/* the receiver's queue was full: the frame was dropped, send it again */
					sched_yield();
				} else {
					head++; /* not retryable: skip this frame */
				}
			}
			now = now_ns();
			if (now - last_progress > STALL_NS) {
				stopped_by = "error";
				error = "no frame accepted for 3 s";
				rc = 1;
				goto done;
			}
			if (tend && now >= tend)
				break;
		}
	}
done:;
	double duration = (now_ns() - t0) / 1e9;

	if (!total && !error) {
		error = "no frame was accepted";
		rc = 1;
	}
	print_json(meta, duration, start_unix, stopped_by, error);
	if (summary) {
		uint64_t e = 0;

		for (int i = 0; i < nerrs; i++)
			e += errs[i].n;
		fprintf(stderr, "%s: %llu frames accepted in %.2f s (%.0f pps), %llu send errors%s%s\n", summary,
			(unsigned long long)total, duration, duration > 0 ? total / duration : 0.0,
			(unsigned long long)e, error ? ": " : "", error ? error : "");
	}
	return rc;
}
