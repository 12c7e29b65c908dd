// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * netdev.bpf.c: tc programs on ingress and egress of every watched interface. They count packets and
 * bytes per interface x direction and per flow, never drop or change a packet, and return TC_ACT_UNSPEC
 * (TCX_NEXT) so that whatever else is attached still runs.
 *
 * Headers are read with bpf_skb_load_bytes, which also reaches into paged data: a GRO'd or virtio skb
 * may carry its headers outside the linear area, and a parser that only looked at data..data_end would
 * call those truncated.
 */
#include "compat.h"
#include "vifscope.h"

#define VS_TC_ACT_UNSPEC (-1)
#define VS_MAX_INLINE_VLANS 2	/* QinQ; with a tag in metadata, two inline tags are a third: too many */
#define VS_MAX_EXT_HDRS 8

#define VS_ETH_HLEN 14
#define VS_ETH_P_IP 0x0800
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
#define VS_NEXTHDR_MOBILITY 135

VS_MAP(iface_stats, BPF_MAP_TYPE_PERCPU_HASH, "percpu_hash", struct vs_iface_key, struct vs_iface_stats, 4096);
/*
 * LRU, so that a flood of one-packet flows cannot lock the heavy flows out: the kernel LRU sets a
 * reference bit on every lookup hit, and eviction takes entries from the inactive list whose bit is clear.
 * A flow hit every few microseconds never reaches that state while the map cycles through the
 * spoofed ones. User space sizes it at load (bpf_map__set_max_entries).
 */
VS_MAP(flow_stats, BPF_MAP_TYPE_LRU_PERCPU_HASH, "lru_percpu_hash", struct vs_flow_key, struct vs_flow_stats, 65536);
VS_MAP(counters, BPF_MAP_TYPE_PERCPU_ARRAY, "percpu_array", __u32, __u64, VS_COUNTER_MAX);

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
	__u8 saddr[4];
	__u8 daddr[4];
};

struct vs_ipv6_hdr {
	__u32 ver_tc_flow;
	__u16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
};

/* Make the enums reach BTF, so that the ABI test can check the Java side against them. */
enum vs_counter vs_btf_counter __attribute__((unused));
enum vs_direction vs_btf_direction __attribute__((unused));

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

static __always_inline void count(__u32 which)
{
	__u64 *c = counters_lookup(&which);

	if (c)
		*c += 1;
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

static __always_inline void count_flow(struct __sk_buff *skb, struct vs_flow_key *key)
{
	struct vs_flow_stats *s = flow_stats_lookup(key);

	if (s) {
		s->packets += 1;
		s->bytes += skb->len;
		return;
	}
	struct vs_flow_stats init = { .packets = 1, .bytes = skb->len };
	long err = flow_stats_insert(key, &init);
	if (!err) {
		count(VS_FLOW_INSERTS);
	} else if (err == -VS_EEXIST) {
		s = flow_stats_lookup(key);
		if (s) {
			s->packets += 1;
			s->bytes += skb->len;
		}
	} else {
		count(err == -VS_ENOMEM ? VS_ERR_FLOW_UPDATE_ENOMEM : VS_ERR_FLOW_UPDATE_OTHER);
	}
}

static __always_inline int l4_ports(struct __sk_buff *skb, __u32 off, struct vs_flow_key *key)
{
	__u16 ports[2];
	__u8 icmp[2];

	switch (key->protocol) {
	case VS_IPPROTO_TCP:
	case VS_IPPROTO_UDP:
	case VS_IPPROTO_UDPLITE:
	case VS_IPPROTO_SCTP:
	case VS_IPPROTO_DCCP:
		if (bpf_skb_load_bytes(skb, off, ports, sizeof(ports)))
			return VS_UNPARSED_TRUNCATED_L4;
		key->sport = vs_ntohs(ports[0]);
		key->dport = vs_ntohs(ports[1]);
		return -1;
	case VS_IPPROTO_ICMP:
	case VS_IPPROTO_ICMPV6:
		if (bpf_skb_load_bytes(skb, off, icmp, sizeof(icmp)))
			return VS_UNPARSED_TRUNCATED_L4;
		key->sport = icmp[0];
		key->dport = icmp[1];
		return -1;
	default:
		return -1;	/* no ports: ESP, GRE, ... are flows of their own */
	}
}

static __always_inline int parse_ipv4(struct __sk_buff *skb, __u32 off, struct vs_flow_key *key)
{
	struct vs_ipv4_hdr ip;

	if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)))
		return VS_UNPARSED_TRUNCATED_IPV4;
	if ((ip.ver_ihl >> 4) != 4)
		return VS_UNPARSED_BAD_IP_VERSION;
	__u32 ihl = ip.ver_ihl & 0x0f;
	if (ihl < 5)
		return VS_UNPARSED_BAD_IHL;
	if (off + ihl * 4 > skb->len)
		return VS_UNPARSED_TRUNCATED_IPV4;
	key->family = 4;
	key->protocol = ip.protocol;
	__builtin_memcpy(key->saddr, ip.saddr, 4);
	__builtin_memcpy(key->daddr, ip.daddr, 4);
	__u16 frag = vs_ntohs(ip.frag_off);
	if (frag & 0x3fff) {			/* MF set or a non-zero offset */
		key->flags |= VS_FLOW_F_FRAGMENT;
		if (frag & 0x1fff)
			return -1;		/* not the first fragment: no L4 header here */
	}
	return l4_ports(skb, off + ihl * 4, key);
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, __u32 off, struct vs_flow_key *key)
{
	struct vs_ipv6_hdr ip;
	__u8 ext[4];

	if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)))
		return VS_UNPARSED_TRUNCATED_IPV6;
	if ((ip.ver_tc_flow & 0xf0) != 0x60)	/* first byte, network order */
		return VS_UNPARSED_BAD_IP_VERSION;
	key->family = 6;
	__builtin_memcpy(key->saddr, ip.saddr, 16);
	__builtin_memcpy(key->daddr, ip.daddr, 16);
	__u8 next = ip.nexthdr;
	off += sizeof(ip);

#pragma unroll
	for (int i = 0; i < VS_MAX_EXT_HDRS; i++) {
		switch (next) {
		case VS_NEXTHDR_HOP:
		case VS_NEXTHDR_ROUTING:
		case VS_NEXTHDR_DEST:
		case VS_NEXTHDR_MOBILITY:
			if (bpf_skb_load_bytes(skb, off, ext, 2))
				return VS_UNPARSED_TRUNCATED_EXT_HDR;
			next = ext[0];
			off += ((__u32)ext[1] + 1) * 8;
			break;
		case VS_NEXTHDR_AUTH:
			if (bpf_skb_load_bytes(skb, off, ext, 2))
				return VS_UNPARSED_TRUNCATED_EXT_HDR;
			next = ext[0];
			off += ((__u32)ext[1] + 2) * 4;
			break;
		case VS_NEXTHDR_FRAGMENT:
			if (bpf_skb_load_bytes(skb, off, ext, 4))
				return VS_UNPARSED_TRUNCATED_EXT_HDR;
			next = ext[0];
			off += 8;
			key->flags |= VS_FLOW_F_FRAGMENT;
			if ((((__u16)ext[2] << 8 | ext[3]) & 0xfff8) != 0) {
				key->protocol = next;
				return -1;	/* not the first fragment */
			}
			break;
		default:
			key->protocol = next;
			if (off > skb->len)
				return VS_UNPARSED_TRUNCATED_EXT_HDR;
			return l4_ports(skb, off, key);
		}
		if (off > skb->len)
			return VS_UNPARSED_TRUNCATED_EXT_HDR;
	}
	return VS_UNPARSED_TOO_MANY_EXT_HDRS;
}

/* Returns -1 when the packet was classified into key, else the vs_counter reason it was not. */
static __always_inline int parse(struct __sk_buff *skb, struct vs_flow_key *key)
{
	__u16 hdr[2];
	__u32 off = VS_ETH_HLEN;
	__u16 proto;

	if (bpf_skb_load_bytes(skb, 12, hdr, 2))
		return VS_UNPARSED_TRUNCATED_ETH;
	if (skb->len < VS_ETH_HLEN)
		return VS_UNPARSED_TRUNCATED_ETH;
	proto = vs_ntohs(hdr[0]);

	/* The outer tag may sit in skb metadata (hardware or __netif_receive_skb untagged it). */
	if (skb->vlan_present)
		key->vlan = skb->vlan_tci & 0x0fff;

#pragma unroll
	for (int i = 0; i < VS_MAX_INLINE_VLANS; i++) {
		if (proto != VS_ETH_P_8021Q && proto != VS_ETH_P_8021AD)
			break;
		if (bpf_skb_load_bytes(skb, off, hdr, 4))
			return VS_UNPARSED_TRUNCATED_VLAN;
		if (!key->vlan)
			key->vlan = vs_ntohs(hdr[0]) & 0x0fff;
		proto = vs_ntohs(hdr[1]);
		off += 4;
	}
	if (proto == VS_ETH_P_8021Q || proto == VS_ETH_P_8021AD)
		return VS_UNPARSED_TOO_MANY_VLANS;

	if (proto == VS_ETH_P_IP)
		return parse_ipv4(skb, off, key);
	if (proto == VS_ETH_P_IPV6)
		return parse_ipv6(skb, off, key);
	return VS_UNPARSED_NON_IP;
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
	key.ifindex = skb->ifindex;
	key.direction = dir;
	count_flow(skb, &key);
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

VS_LICENSE;
