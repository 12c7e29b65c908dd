// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * netdev.bpf.c: tc programs on ingress and egress of every watched interface. They count packets and
 * bytes per interface x direction and per flow, never drop or change a packet, and return TC_ACT_UNSPEC
 * (-1, which is also TCX_NEXT) so that whatever else is attached still runs. The same SEC("tc") programs
 * serve clsact direct-action filters and tcx links.
 */
#include "compat.h"
#include "vifscope.h"

#define VS_TC_ACT_UNSPEC (-1)
#define VS_MAX_VLAN_TAGS 2	/* QinQ, counting a tag the kernel moved into skb metadata */
#define VS_MAX_EXT_HDRS 8	/* IPv6 extension headers followed before giving up */
/*
 * Offsets up to this are read straight from the skb's linear area when the bytes are there; the bound
 * lets the verifier accept the variable offset. Anything else (paged data: headers a driver left in
 * fragments, very long IPv6 chains) goes through bpf_skb_load_bytes, which reads them without changing
 * the skb. Direct reads halve the cost per packet (measured: BPF_PROG_TEST_RUN, IPv4/UDP).
 */
#ifndef VS_DIRECT_MAX
#define VS_DIRECT_MAX 0x3fff	/* tests build with 0 to send every read through bpf_skb_load_bytes */
#endif

#define VS_ETH_HLEN 14
#define VS_ETH_P_IP 0x0800
#define VS_ETH_P_ARP 0x0806
#define VS_ETH_P_RARP 0x8035
#define VS_ETH_P_IPV6 0x86DD
#define VS_ETH_P_8021Q 0x8100
#define VS_ETH_P_8021AD 0x88A8

#define VS_IPPROTO_ICMP 1
#define VS_IPPROTO_TCP 6
#define VS_IPPROTO_UDP 17
#define VS_IPPROTO_DCCP 33
#define VS_IPPROTO_ICMPV6 58
#define VS_IPPROTO_SCTP 132
#define VS_IPPROTO_UDPLITE 136
#define VS_NEXTHDR_HOP 0
#define VS_NEXTHDR_ROUTING 43
#define VS_NEXTHDR_FRAGMENT 44
#define VS_NEXTHDR_AUTH 51
#define VS_NEXTHDR_DEST 60

#define VS_ADMISSION_SLOTS 8192	/* power of two; 64 KiB, shared by all CPUs */

/*
 * Tunables, set between open and load.
 * vs_count_flows: 0 skips flow_stats entirely (interface totals and unparsed reasons only); the
 *   verifier then drops the flow code, so the per-packet cost falls to parsing + one hash update.
 * vs_flow_admission: 1 (default) admits a flow into flow_stats on its second packet, crediting the
 *   first (see flow_admission); 0 inserts every new flow on its first packet.
 */
#ifndef VS_COUNT_FLOWS
#define VS_COUNT_FLOWS 1	/* defaults; under BCC, -DVS_COUNT_FLOWS=0 etc. replace the setting */
#endif
#ifndef VS_FLOW_ADMISSION
#define VS_FLOW_ADMISSION 1
#endif
VS_TUNABLE(__u8, vs_count_flows, VS_COUNT_FLOWS);
VS_TUNABLE(__u8, vs_flow_admission, VS_FLOW_ADMISSION);
#ifndef VS_BCC
/*
 * vs_flow_journal: 1 (default) journals changed flows for journal_advance; user space sets 0 on kernels
 * without it (before 5.19), and the verifier then drops the journal code. BCC builds have no journal.
 */
VS_TUNABLE(__u8, vs_flow_journal, 1);
#endif

VS_MAP(iface_stats, BPF_MAP_TYPE_PERCPU_HASH, "percpu_hash", struct vs_iface_key, struct vs_iface_stats, 4096);
/*
 * flow_stats under a flood of spoofed sources: can a heavy flow be evicted? Measured with /tmp/kwork
 * lru_flood (1M packets, 873k one-packet random sources, heavy flows at 1/10 .. 1/5000 of the packets,
 * both CPUs, BPF_PROG_TEST_RUN):
 *
 * The kernel's BPF LRU is second chance, not strict LRU (kernel/bpf/bpf_lru_list.c): a lookup from BPF
 * sets an entry's reference bit; eviction scans the inactive list from its tail, frees entries whose bit
 * is clear and moves referenced ones to the active list. But a new entry waits on its CPU's pending list
 * and joins the lists with the bit cleared, so a flow must come back before the flood has cycled through
 * the map once, or it is gone before it was ever established. Alone, with 1,024 entries, flows at 1/1000
 * and above were exact and flows at 1/2000 and 1/5000 were lost entirely; with 256 entries the 1/1000 flow
 * lost a third of its packets. Worse, every spoofed packet paid for an insert and an eviction under the
 * LRU's global lock: 204 ns per packet at 1,024 entries, 462 ns at 65,536.
 *
 * So new flows pass flow_admission first (below): one-packet flows never enter the LRU. With it, every
 * heavy flow down to 1/5000 was exact, first packet included, even with 256 entries, and the flood costs
 * 128-156 ns per packet. The rules that keep the LRU itself honest, in count_flow():
 * - Look up first, insert only on a miss: an update of an existing key still takes a free node (and may
 *   evict another entry for it) before it finds the key.
 * - Insert with BPF_NOEXIST; on EEXIST (another CPU inserted the flow in between) look up again.
 *
 * Left: a flood of flows each seen twice or more, more of them than the map holds, passes the filter and
 * churns the LRU as before (measured: the 1/5000 flow lost, 1/2000 and heavier exact); and on kernels that
 * hand each CPU a fixed batch of 128 free nodes, a map smaller than about 128 x possible CPUs can run dry
 * and steal entries regardless of their bit. Neither is silent: inserts run far above the entries
 * present (VS_FLOW_INSERTS), and user space sees the gap between interface totals and flow sums.
 */
#ifndef VS_FLOW_ENTRIES
#define VS_FLOW_ENTRIES VS_FLOW_ENTRIES_DEFAULT	/* libbpf resizes the map before load; BCC gets -DVS_FLOW_ENTRIES */
#endif
VS_MAP(flow_stats, BPF_MAP_TYPE_LRU_PERCPU_HASH, "lru_percpu_hash", struct vs_flow_key, struct vs_flow_stats,
       VS_FLOW_ENTRIES);

/* One slot of the admission filter: a flow seen once, and the length of that packet. */
struct vs_admission_slot {
	__u32 fingerprint;	/* flow hash | 1; 0 = empty */
	__u32 bytes;
};

/*
 * flow_admission: a direct-mapped "seen once" filter in front of flow_stats (the doorkeeper of
 * TinyLFU). A flow missing from flow_stats leaves its fingerprint and packet length here
 * (VS_FLOW_DEFERRED); when it comes back, it is inserted with both packets (VS_FLOW_CREDITED), so an
 * admitted flow is counted exactly from its first packet. Spoofed one-packet flows only overwrite
 * slots: they never reach the LRU, cannot push real flows out of it, and skip the insert and eviction
 * work (a random flood then costs 128-156 ns per packet instead of 204-462, measured with bpf_stats).
 * Shared by all CPUs, so a flow whose first packets arrive on different CPUs is still admitted.
 * Costs: a flow's first packet is held until its second; a flow whose two first packets are separated
 * by thousands of others may have its slot overwritten and wait for another pair; and flows of a single
 * packet (a DNS query from a random port, a scan) are never itemized. All of that is deferred - credited,
 * and the gap user space sees between interface totals and flow sums.
 */
VS_MAP(flow_admission, BPF_MAP_TYPE_ARRAY, "array", __u32, struct vs_admission_slot, VS_ADMISSION_SLOTS);
VS_MAP(counters, BPF_MAP_TYPE_PERCPU_ARRAY, "percpu_array", __u32, __u64, VS_COUNTER_MAX);

#ifndef VS_BCC
/*
 * The change journal (see vifscope.h). Reading all of flow_stats costs the kernel several cache misses per
 * entry (bucket, element, each CPU's value): about 25 ms for 65k flows on a small VM, every poll, even
 * when most flows were idle. The journal makes a poll's cost follow the flows that had packets instead.
 *
 * - flow_gen: the generation, advanced by journal_advance at each poll. A flow's per-CPU value records
 *   the generation in which that CPU last journaled it; the first packet of a newer one journals it again.
 * - flow_journal: per-CPU keys, two halves of VS_JOURNAL_SLOTS by generation parity, so that tc appends
 *   to one half while journal_advance reads the other. journal_pos counts each CPU's appends per half.
 * - flow_changes: journal_advance's output, one vs_flow_record per journaled key with its counts summed
 *   over CPUs: exactly what a full read would give for that flow, so a key read twice is harmless.
 *
 * Nothing is lost for good: a half that overflowed, a full flow_changes, or an append that raced the read
 * (it is re-read before its half is reused) all end in records or in a full read. Evicted flows are
 * found only by full reads, which user space still makes every few polls.
 */
VS_MAP(flow_gen, BPF_MAP_TYPE_ARRAY, "array", __u32, __u32, 1);
VS_MAP(flow_journal, BPF_MAP_TYPE_PERCPU_ARRAY, "percpu_array", __u32, struct vs_flow_key, 2 * VS_JOURNAL_SLOTS);
VS_MAP(journal_pos, BPF_MAP_TYPE_PERCPU_ARRAY, "percpu_array", __u32, struct vs_journal_pos, 2);
/* Sized by user space before load: (possible CPUs + 1) x VS_JOURNAL_SLOTS holds any poll's records. */
VS_MAP(flow_changes, BPF_MAP_TYPE_ARRAY, "array", __u32, struct vs_flow_record, 3 * VS_JOURNAL_SLOTS);
#endif

/* Wire formats: the most stable ABI there is, spelled out here instead of taken from kernel headers. */
struct vs_ipv4_hdr {
	__u8 ver_ihl;
	__u8 tos;
	__u16 tot_len;
	__u16 id;
	__u16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__u16 check;
	__u32 saddr;
	__u32 daddr;
};

struct vs_ipv6_hdr {
	__u32 ver_tc_flow;
	__u16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u32 saddr[4];
	__u32 daddr[4];
};

#ifndef VS_BCC
/*
 * Anchors that put the ABI enums into this object's BTF, where the layout test reads them (an enum that
 * only types local variables leaves no trace in BTF). Not tunables; nothing reads them.
 */
const volatile enum vs_counter vs_abi_counter = VS_COUNTER_MAX;
const volatile enum vs_direction vs_abi_direction = VS_DIR_EGRESS;
#endif

/*
 * Map accessors, written out for BCC (see compat.h). They cannot move into a shared header either: BCC
 * rewrites map methods in the main source file only.
 */
static __always_inline __u64 *counters_lookup(__u32 *key)
{
#ifdef VS_BCC
	return counters.lookup(key);
#else
	return bpf_map_lookup_elem(&counters, key);
#endif
}

static __always_inline struct vs_iface_stats *iface_stats_lookup(struct vs_iface_key *key)
{
#ifdef VS_BCC
	return iface_stats.lookup(key);
#else
	return bpf_map_lookup_elem(&iface_stats, key);
#endif
}

static __always_inline long iface_stats_insert(struct vs_iface_key *key, struct vs_iface_stats *value)
{
#ifdef VS_BCC
	return iface_stats.insert(key, value);
#else
	return bpf_map_update_elem(&iface_stats, key, value, BPF_NOEXIST);
#endif
}

static __always_inline struct vs_admission_slot *flow_admission_lookup(__u32 *key)
{
#ifdef VS_BCC
	return flow_admission.lookup(key);
#else
	return bpf_map_lookup_elem(&flow_admission, key);
#endif
}

static __always_inline struct vs_flow_stats *flow_stats_lookup(struct vs_flow_key *key)
{
#ifdef VS_BCC
	return flow_stats.lookup(key);
#else
	return bpf_map_lookup_elem(&flow_stats, key);
#endif
}

static __always_inline long flow_stats_insert(struct vs_flow_key *key, struct vs_flow_stats *value)
{
#ifdef VS_BCC
	return flow_stats.insert(key, value);
#else
	return bpf_map_update_elem(&flow_stats, key, value, BPF_NOEXIST);
#endif
}

#ifndef VS_BCC
/* The generation being journaled (0 until user space's first journal_advance). */
static __always_inline __u32 journal_gen(void)
{
	__u32 zero = 0;
	__u32 *gen;

	if (!vs_flow_journal)
		return 0;
	gen = bpf_map_lookup_elem(&flow_gen, &zero);
	return gen ? *gen : 0;
}

/*
 * Appends key to this CPU's half of the journal for gen. The key is written before the length that
 * publishes it; a reader that still sees an old key in that slot reads a real flow, which is harmless.
 * Past VS_JOURNAL_SLOTS only the length grows: journal_advance reports the overflow.
 */
static __always_inline void journal(const struct vs_flow_key *key, __u32 gen)
{
	__u32 half = gen & 1;
	struct vs_journal_pos *pos;

	if (!vs_flow_journal)
		return;
	pos = bpf_map_lookup_elem(&journal_pos, &half);
	if (!pos)
		return;
	__u32 i = pos->len;
	if (i < VS_JOURNAL_SLOTS) {
		__u32 idx = half * VS_JOURNAL_SLOTS + i;
		struct vs_flow_key *slot = bpf_map_lookup_elem(&flow_journal, &idx);

		if (slot)
			__builtin_memcpy(slot, key, sizeof(*key));
	}
	pos->len = i + 1;
}
#else
static __always_inline __u32 journal_gen(void)
{
	return 0;
}

static __always_inline void journal(const struct vs_flow_key *key, __u32 gen)
{
}
#endif

/* Counts one packet into this CPU's value of an existing flow, journaling the flow once per generation. */
static __always_inline void add_to_flow(struct vs_flow_stats *s, const struct vs_flow_key *key, __u32 gen,
					__u64 packets, __u64 bytes)
{
	s->packets += packets;
	s->bytes += bytes;
	if (s->gen != gen) {
		s->gen = gen;
		journal(key, gen);
	}
}

static __always_inline void count(__u32 which)
{
	__u64 *c = counters_lookup(&which);

	if (c)
		*c += 1;
}

/*
 * Reads len (2, 4 or 8, a constant) bytes at off into *to, in packet byte order. Returns 0, or non-zero
 * when the packet is shorter. Values, not pointers, come out, so the verifier's paths for the direct and
 * the helper read merge again right after.
 */
static __always_inline int vs_load(struct __sk_buff *skb, __u32 off, void *to, const __u32 len)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if (off <= VS_DIRECT_MAX) {
		void *p = data + off;

		if (p + len <= end) {
			if (len == 2)
				*(__u16 *)to = *(__u16 *)p;
			else if (len == 4)
				*(__u32 *)to = *(__u32 *)p;
			else
				*(__u64 *)to = *(__u64 *)p;
			return 0;
		}
	}
	return bpf_skb_load_bytes(skb, off, to, len);
}

/* Points at len bytes of header at off: in the packet when linear, else copied into buf. NULL if short. */
static __always_inline const void *vs_header(struct __sk_buff *skb, __u32 off, const __u32 len, void *buf)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if (off <= VS_DIRECT_MAX) {
		void *p = data + off;

		if (p + len <= end)
			return p;
	}
	if (bpf_skb_load_bytes(skb, off, buf, len))
		return 0;
	return buf;
}

static __always_inline void count_iface(struct __sk_buff *skb, __u8 dir, __u64 unparsed)
{
	struct vs_iface_key key;
	struct vs_iface_stats *s;

	__builtin_memset(&key, 0, sizeof(key));
	key.ifindex = skb->ifindex;
	key.direction = dir;
	s = iface_stats_lookup(&key);
	if (s) {
		s->packets += 1;
		s->bytes += skb->len;
		s->unparsed += unparsed;
		return;
	}
	struct vs_iface_stats init = { .packets = 1, .bytes = skb->len, .unparsed = unparsed };
	long err = iface_stats_insert(&key, &init);
	if (err == -VS_EEXIST) {
		/* Another CPU created it first; this CPU's slot starts at zero. */
		s = iface_stats_lookup(&key);
		if (s) {
			s->packets += 1;
			s->bytes += skb->len;
			s->unparsed += unparsed;
		}
	} else if (err) {
		count(err == -VS_E2BIG ? VS_ERR_IFACE_UPDATE_E2BIG : VS_ERR_IFACE_UPDATE_OTHER);
	}
}

/* FNV-1a over the key's 32-bit words, then a 32-bit finalizer (lowbias32) to spread them. */
static __always_inline __u32 flow_hash(const struct vs_flow_key *key)
{
	const __u32 *w = (const __u32 *)key;
	__u32 h = 0x811c9dc5;

#pragma unroll
	for (int i = 0; i < (int)(sizeof(*key) / 4); i++)
		h = (h ^ w[i]) * 0x01000193;
	h ^= h >> 16;
	h *= 0x7feb352d;
	h ^= h >> 15;
	h *= 0x846ca68b;
	h ^= h >> 16;
	return h;
}

/*
 * Per-CPU values need no atomics: tc runs with bottom halves off, so nothing else on this CPU updates
 * the same slot in between. See flow_stats for why the lookup comes first, flow_admission for the
 * filter in front of the insert.
 */
static __always_inline void count_flow(struct __sk_buff *skb, struct vs_flow_key *key)
{
	struct vs_flow_stats *s = flow_stats_lookup(key);
	__u32 gen = journal_gen();

	if (s) {
		add_to_flow(s, key, gen, 1, skb->len);
		return;
	}
	struct vs_flow_stats init = { .packets = 1, .bytes = skb->len, .gen = gen };
	if (vs_flow_admission) {
		__u32 h = flow_hash(key);
		__u32 slot_idx = h & (VS_ADMISSION_SLOTS - 1);
		struct vs_admission_slot *slot = flow_admission_lookup(&slot_idx);

		if (slot) {
			if (slot->fingerprint != (h | 1)) {
				slot->fingerprint = h | 1;
				slot->bytes = skb->len;
				count(VS_FLOW_DEFERRED);
				return;
			}
			/* Claimed before the insert; two CPUs doing this for one flow in the same instant
			 * could both credit the held packet, a race too narrow to pay atomics for. */
			slot->fingerprint = 0;
			init.packets += 1;
			init.bytes += slot->bytes;
			count(VS_FLOW_CREDITED);
		}
	}
	long err = flow_stats_insert(key, &init);
	if (!err) {
		count(VS_FLOW_INSERTS);
		journal(key, gen);
	} else if (err == -VS_EEXIST) {
		s = flow_stats_lookup(key);
		if (s)
			add_to_flow(s, key, gen, init.packets, init.bytes);
	} else {
		count(err == -VS_ENOMEM ? VS_ERR_FLOW_UPDATE_ENOMEM : VS_ERR_FLOW_UPDATE_OTHER);
	}
}

/*
 * Ports (or ICMP type/code) of the L4 header at off. end is where the IP datagram ends by its own length
 * field: Ethernet pads short frames to 60 bytes, and bytes past the datagram are padding, not ports.
 */
static __always_inline int l4_ports(struct __sk_buff *skb, __u32 off, __u32 end, struct vs_flow_key *key)
{
	__u32 ports;
	__u16 icmp;

	switch (key->protocol) {
	case VS_IPPROTO_TCP:
	case VS_IPPROTO_UDP:
	case VS_IPPROTO_UDPLITE:
	case VS_IPPROTO_SCTP:
	case VS_IPPROTO_DCCP:
		if (off + 4 > end || vs_load(skb, off, &ports, 4))
			return VS_UNPARSED_TRUNCATED_L4;
		key->sport = vs_ntohs((__u16)ports);
		key->dport = vs_ntohs((__u16)(ports >> 16));
		return -1;
	case VS_IPPROTO_ICMP:
	case VS_IPPROTO_ICMPV6:
		if (off + 2 > end || vs_load(skb, off, &icmp, 2))
			return VS_UNPARSED_TRUNCATED_L4;
		key->sport = icmp & 0xff;	/* type: first byte on the wire */
		key->dport = icmp >> 8;		/* code */
		return -1;
	default:
		return -1;	/* no ports: ESP, GRE, ... are flows of their own */
	}
}

static __always_inline int parse_ipv4(struct __sk_buff *skb, __u32 off, struct vs_flow_key *key)
{
	struct vs_ipv4_hdr buf;
	const struct vs_ipv4_hdr *ip = vs_header(skb, off, sizeof(buf), &buf);

	if (!ip)
		return VS_UNPARSED_TRUNCATED_IPV4;
	__u8 ver_ihl = ip->ver_ihl;
	if ((ver_ihl >> 4) != 4)
		return VS_UNPARSED_BAD_IP_VERSION;
	__u32 hlen = (ver_ihl & 0x0f) * 4;
	if (hlen < 20)
		return VS_UNPARSED_BAD_IHL;
	/* Options are skipped, not read, but must be there; a datagram shorter than its header is cut short. */
	__u32 tot = vs_ntohs(ip->tot_len);
	if (off + hlen > skb->len || (tot && tot < hlen))
		return VS_UNPARSED_TRUNCATED_IPV4;
	key->family = 4;
	key->protocol = ip->protocol;
	*(__u32 *)key->saddr = ip->saddr;
	*(__u32 *)key->daddr = ip->daddr;
	__u16 frag = vs_ntohs(ip->frag_off);
	if (frag & 0x3fff) {			/* MF set or a non-zero offset */
		key->flags |= VS_FLOW_F_FRAGMENT;
		if (frag & 0x1fff)
			return -1;		/* not the first fragment: no L4 header here */
	}
	/* tot_len 0: a GSO packet above 64 KiB (BIG TCP); the skb's length is the bound then. */
	__u32 end = skb->len;
	if (tot && off + tot < end)
		end = off + tot;
	return l4_ports(skb, off + hlen, end, key);
}

static __always_inline int is_ipv6_ext(__u8 next)
{
	/* Mobility (135), HIP, shim6 end the chain in practice and are counted as the protocol. */
	return next == VS_NEXTHDR_HOP || next == VS_NEXTHDR_ROUTING || next == VS_NEXTHDR_DEST ||
	       next == VS_NEXTHDR_FRAGMENT || next == VS_NEXTHDR_AUTH;
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, __u32 off, struct vs_flow_key *key)
{
	struct vs_ipv6_hdr buf;
	const struct vs_ipv6_hdr *ip = vs_header(skb, off, sizeof(buf), &buf);

	if (!ip)
		return VS_UNPARSED_TRUNCATED_IPV6;
	if ((ip->ver_tc_flow & 0xf0) != 0x60)	/* first byte, network order */
		return VS_UNPARSED_BAD_IP_VERSION;
	key->family = 6;
	__builtin_memcpy(key->saddr, ip->saddr, 16);
	__builtin_memcpy(key->daddr, ip->daddr, 16);
	__u8 next = ip->nexthdr;
	__u32 plen = vs_ntohs(ip->payload_len);
	off += sizeof(buf);
	/* The chain ends within the payload and the packet; payload_len 0 is a jumbogram or a BIG TCP GSO
	 * packet, bounded by the skb's length alone. */
	__u32 end = skb->len;
	if (plen && off + plen < end)
		end = off + plen;

#pragma unroll
	for (int i = 0; i < VS_MAX_EXT_HDRS; i++) {
		__u32 ext;	/* next header, length, and for a fragment header its offset + M flag */

		if (!is_ipv6_ext(next))
			break;
		if (vs_load(skb, off, &ext, 4))
			return VS_UNPARSED_TRUNCATED_EXT_HDR;
		__u8 hdr = next;
		next = ext & 0xff;
		if (hdr == VS_NEXTHDR_FRAGMENT) {
			__u16 frag = vs_ntohs((__u16)(ext >> 16));

			off += 8;
			if (frag & 0xfff9)		/* offset or M: a real fragment, not an atomic one */
				key->flags |= VS_FLOW_F_FRAGMENT;
			if (frag & 0xfff8) {
				key->protocol = next;
				return -1;	/* not the first fragment: no L4 header here */
			}
		} else if (hdr == VS_NEXTHDR_AUTH) {
			off += (((ext >> 8) & 0xff) + 2) * 4;
		} else {
			off += (((ext >> 8) & 0xff) + 1) * 8;
		}
		if (off > end)
			return VS_UNPARSED_TRUNCATED_EXT_HDR;
	}
	if (is_ipv6_ext(next))
		return VS_UNPARSED_TOO_MANY_EXT_HDRS;
	key->protocol = next;
	return l4_ports(skb, off, end, key);
}

static __always_inline int is_vlan(__u16 proto)
{
	return proto == VS_ETH_P_8021Q || proto == VS_ETH_P_8021AD;
}

/* Returns -1 when the packet was classified into key, else the vs_counter reason it was not. */
static __always_inline int parse(struct __sk_buff *skb, struct vs_flow_key *key)
{
	__u32 off = VS_ETH_HLEN;
	__u32 tags = 0;
	__u16 proto;

	if (skb->len < VS_ETH_HLEN || vs_load(skb, 12, &proto, 2))
		return VS_UNPARSED_TRUNCATED_ETH;
	proto = vs_ntohs(proto);

	/* The outer tag may sit in skb metadata: hardware stripped it, or __netif_receive_skb_core did
	 * (it always does before tc ingress); the frame then starts with the inner ethertype. */
	if (skb->vlan_present) {
		key->vlan = skb->vlan_tci & 0x0fff;
		tags = 1;
	}

#pragma unroll
	for (int i = 0; i < VS_MAX_VLAN_TAGS; i++) {
		__u32 tag;	/* TCI, then the ethertype it encapsulates */

		if (!is_vlan(proto))
			break;
		if (tags >= VS_MAX_VLAN_TAGS)
			return VS_UNPARSED_TOO_MANY_VLANS;
		if (vs_load(skb, off, &tag, 4))
			return VS_UNPARSED_TRUNCATED_VLAN;
		if (!tags)
			key->vlan = vs_ntohs((__u16)tag) & 0x0fff;
		proto = vs_ntohs((__u16)(tag >> 16));
		off += 4;
		tags++;
	}
	if (is_vlan(proto))
		return VS_UNPARSED_TOO_MANY_VLANS;

	if (proto == VS_ETH_P_IP)
		return parse_ipv4(skb, off, key);
	if (proto == VS_ETH_P_IPV6)
		return parse_ipv6(skb, off, key);
	return VS_UNPARSED_NON_IP;	/* ARP, LLDP, 802.3 length fields, ... */
}

static __always_inline int handle(struct __sk_buff *skb, __u8 dir)
{
	struct vs_flow_key key;

	__builtin_memset(&key, 0, sizeof(key));
	int reason = parse(skb, &key);
	if (reason >= 0) {
		count(reason);
		count_iface(skb, dir, 1);
		return VS_TC_ACT_UNSPEC;
	}
	count_iface(skb, dir, 0);
	if (vs_count_flows) {
		key.ifindex = skb->ifindex;
		key.direction = dir;
		count_flow(skb, &key);
	}
	return VS_TC_ACT_UNSPEC;
}

VS_SEC("tc")
int tc_ingress(struct __sk_buff *skb)
{
	return handle(skb, VS_DIR_INGRESS);
}

VS_SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	return handle(skb, VS_DIR_EGRESS);
}

#ifndef VS_BCC
/* journal_advance's state; bpf_loop callbacks get one pointer, to this on its stack. */
struct vs_advance {
	__u32 nr_cpus;
	__u32 skip_read;
	__u32 half;		/* the half being read */
	__u32 reset;		/* 1: empty the half after reading it (it is about to be reused) */
	__u32 cpu;		/* the CPU whose part of the half is being read */
	__u32 from;		/* its first entry to read */
	__u32 records;
	__u32 overflow;
	__u32 late;
	__u32 absent;
	__u32 found;
	__u32 pad;
	struct vs_flow_record rec;	/* the record being summed */
};

/* Adds CPU c's value of the flow in a->rec; stops at a missing key or at the end of the possible CPUs. */
static long sum_cpu(__u32 c, void *ctx)
{
	struct vs_advance *a = ctx;
	struct vs_flow_stats *v = bpf_map_lookup_percpu_elem(&flow_stats, &a->rec.key, c);

	if (!v)
		return 1;
	a->found = 1;
	a->rec.packets += v->packets;
	a->rec.bytes += v->bytes;
	return 0;
}

/* Turns journal entry a->from + i of CPU a->cpu's half into a record. */
static long read_entry(__u32 i, void *ctx)
{
	struct vs_advance *a = ctx;
	__u32 idx = a->half * VS_JOURNAL_SLOTS + a->from + i;
	struct vs_flow_key *k = bpf_map_lookup_percpu_elem(&flow_journal, &idx, a->cpu);

	if (!k)
		return 1;
	__builtin_memcpy(&a->rec.key, k, sizeof(*k));
	a->rec.packets = 0;
	a->rec.bytes = 0;
	a->found = 0;
	bpf_loop(a->nr_cpus, sum_cpu, a, 0);
	if (!a->found) {
		a->absent += 1;	/* evicted since it was journaled: a full read accounts for it */
		return 0;
	}
	__u32 out_idx = a->records;
	struct vs_flow_record *out = bpf_map_lookup_elem(&flow_changes, &out_idx);
	if (!out) {
		a->overflow = 1;
		return 1;
	}
	__builtin_memcpy(out, &a->rec, sizeof(*out));
	a->records += 1;
	if (a->reset)
		a->late += 1;
	return 0;
}

/* Reads CPU cpu's part of half a->half from where the last read stopped, then empties it or marks it read. */
static long read_cpu(__u32 cpu, void *ctx)
{
	struct vs_advance *a = ctx;
	__u32 half = a->half;
	struct vs_journal_pos *pos = bpf_map_lookup_percpu_elem(&journal_pos, &half, cpu);

	if (!pos)
		return 1;
	/*
	 * read is the length this half had when last read, past VS_JOURNAL_SLOTS too: appends beyond the slots
	 * were lost, and are reported once, by the read that first sees them (not again before reuse).
	 */
	__u32 len = *(volatile __u32 *)&pos->len;
	__u32 from = pos->read;
	if (len > VS_JOURNAL_SLOTS && len > from)
		a->overflow = 1;
	__u32 end = len < VS_JOURNAL_SLOTS ? len : VS_JOURNAL_SLOTS;
	__u32 start = from < VS_JOURNAL_SLOTS ? from : VS_JOURNAL_SLOTS;
	if (!a->skip_read && start < end) {
		a->cpu = cpu;
		a->from = start;
		bpf_loop(end - start, read_entry, a, 0);
	}
	if (a->reset) {
		pos->len = 0;
		pos->read = 0;
	} else {
		pos->read = len;
	}
	return 0;
}

/*
 * Run by user space once per poll (BPF_PROG_TEST_RUN). Generation gen has been counting since the last
 * run; its half is read now, while tc appends to the other one. In order:
 * 1. the other half (gen - 1's, read by the last run) is read from where that run stopped, which
 *    catches appends by tc programs that had fetched the generation just before it changed, then emptied;
 * 2. the generation becomes gen + 1, so tc appends to that emptied half from now on;
 * 3. gen's half is read in full and marked read.
 * With skip_read (a full read of flow_stats follows) steps 1 and 3 only empty and mark.
 */
VS_SEC("syscall")
int journal_advance(struct vs_journal_run *run)
{
	struct vs_advance a;
	__u32 zero = 0;
	__u32 *genp = bpf_map_lookup_elem(&flow_gen, &zero);

	if (!genp)
		return 1;
	__builtin_memset(&a, 0, sizeof(a));
	a.nr_cpus = run->nr_cpus;
	a.skip_read = run->skip_read;
	__u32 gen = *genp;

	a.half = (gen + 1) & 1;
	a.reset = 1;
	bpf_loop(a.nr_cpus, read_cpu, &a, 0);

	*genp = gen + 1;

	a.half = gen & 1;
	a.reset = 0;
	bpf_loop(a.nr_cpus, read_cpu, &a, 0);

	run->gen = gen + 1;
	run->records = a.records;
	run->overflow = a.overflow;
	run->late = a.late;
	run->absent = a.absent;
	return 0;
}
#endif

VS_LICENSE;
