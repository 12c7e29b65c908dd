/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * vifscope.h: every struct and enum shared between the BPF programs and user space. The one source of
 * truth: the Java mirrors in probe/ are checked against the BTF of the built objects (AbiLayoutTest).
 * Fixed-width types, explicit padding, no pointers, no bool, no bitfields.
 */
#ifndef VIFSCOPE_H
#define VIFSCOPE_H

#include <linux/types.h>	/* __u8 .. __u64 (UAPI) */

#define VS_IFNAMSIZ 16
#define VS_NR_SOFTIRQS 10	/* NR_SOFTIRQS, unchanged since 2.6.x; /proc/softirqs order */
#define VS_SOFTIRQ_NET_RX 3
#define VS_FLOW_ENTRIES_DEFAULT 65536	/* flow_stats size unless user space sets max_entries before load */

/* Which tc hook saw the packet. */
enum vs_direction {
	VS_DIR_INGRESS = 0,
	VS_DIR_EGRESS = 1,
};

/* Map softirq_time: per-CPU array indexed by softirq vector. */
struct vs_softirq_stats {
	__u64 runs;
	__u64 time_ns;
	__u64 ksoftirqd_runs;		/* part of runs executed by a ksoftirqd thread */
	__u64 ksoftirqd_time_ns;	/* part of time_ns spent in a ksoftirqd thread */
};

/*
 * Map napi_time: per-CPU hash keyed by polled device, named as napi:napi_poll prints it ("(no_device)" is
 * the per-CPU backlog: RPS, netif_rx, veth without GRO). The all-zero name is NET_RX time outside polls.
 */
struct vs_napi_key {
	char dev_name[VS_IFNAMSIZ];
};

struct vs_napi_stats {
	__u64 polls;
	__u64 work;			/* packets the polls handed on */
	__u64 budget_exhausted;		/* polls that used their whole budget */
	__u64 time_ns;			/* NET_RX softirq time charged to this device */
	__u64 polls_outside_softirq;	/* threaded NAPI, busy polling: counted, no time */
};

/* Map iface_stats: per-CPU hash, one entry per interface x direction. A GSO/GRO skb is one packet. */
struct vs_iface_key {
	__u32 ifindex;
	__u8 direction;			/* enum vs_direction */
	__u8 pad[3];
};

struct vs_iface_stats {
	__u64 packets;
	__u64 bytes;			/* skb->len: the frame from its Ethernet header, without FCS and
					 * without a VLAN tag held in skb metadata */
	__u64 unparsed;			/* packets not classified into a flow (reason in counters) */
};

#define VS_FLOW_F_FRAGMENT 0x1		/* an IP fragment, first or later (an IPv6 atomic fragment is not);
					 * ports only from the first one, 0 in later ones */

/* Map flow_stats: per-CPU LRU hash, one entry per interface x direction x flow. */
struct vs_flow_key {
	__u32 ifindex;
	__u8 direction;			/* enum vs_direction */
	__u8 family;			/* 4 or 6 */
	__u8 protocol;			/* IP protocol after IPv6 extension headers */
	__u8 flags;			/* VS_FLOW_F_* */
	__u16 vlan;			/* outermost VLAN id, 0 when untagged */
	__u16 sport;			/* host order; ICMP type for ICMP/ICMPv6 */
	__u16 dport;			/* host order; ICMP code for ICMP/ICMPv6 */
	__u16 pad;
	__u8 saddr[16];			/* IPv4 in the first 4 bytes, rest zero */
	__u8 daddr[16];
};

struct vs_flow_stats {
	__u64 packets;
	__u64 bytes;
	__u32 gen;			/* flow_gen when this CPU last journaled the flow (see flow_journal) */
	__u32 pad;
};

/*
 * The change journal (libbpf loader, kernel 5.19+): instead of walking the whole flow map every poll, user
 * space reads back only the flows that had packets since the last poll. The tc programs append a flow's key
 * to their CPU's half of flow_journal on its first packet of each generation; the syscall program
 * journal_advance flips the generation and turns the other half into vs_flow_record entries of flow_changes.
 */
#define VS_JOURNAL_SLOTS 16384		/* keys per CPU and half; more changes in one poll overflow */

/* Map journal_pos: per-CPU array, one entry per half (generation & 1). */
struct vs_journal_pos {
	__u32 len;			/* appends this generation, counted past VS_JOURNAL_SLOTS on overflow */
	__u32 read;			/* len when journal_advance last read this half (entries past
					 * VS_JOURNAL_SLOTS were never stored) */
};

/* Map flow_changes: array, written by journal_advance, read back by user space (entries [0, records)). */
struct vs_flow_record {
	struct vs_flow_key key;
	__u64 packets;			/* summed over CPUs, as a full read of flow_stats gives them */
	__u64 bytes;
};

/* The context of journal_advance (BPF_PROG_TEST_RUN copies it in and back out). */
struct vs_journal_run {
	__u32 nr_cpus;			/* in: possible CPUs */
	__u32 skip_read;		/* in: 1 flips the generation without reading (a full read follows) */
	__u32 gen;			/* out: the generation counting from now on */
	__u32 records;			/* out: entries written to flow_changes */
	__u32 overflow;			/* out: changes lost to a full half or a full flow_changes: read fully */
	__u32 late;			/* out: records from appends that came after their half was read */
	__u32 absent;			/* out: journaled keys no longer in flow_stats (evicted) */
	__u32 pad;
};

/*
 * Map counters: per-CPU array of __u64 indexed by this enum, one in each object (user space sums them).
 * Unparsed reasons count packets that got no flow entry; errors count map updates that failed.
 */
enum vs_counter {
	VS_UNPARSED_TRUNCATED_ETH = 0,	/* shorter than an Ethernet header */
	VS_UNPARSED_TRUNCATED_VLAN,	/* a VLAN tag cut short */
	VS_UNPARSED_TOO_MANY_VLANS,	/* more than 2 VLAN tags, a tag in skb metadata included */
	VS_UNPARSED_NON_IP,		/* ethertype other than IPv4/IPv6 (ARP, LLDP, 802.3 length, ...) */
	VS_UNPARSED_TRUNCATED_IPV4,	/* IPv4 header or its options cut short, or total length < IHL */
	VS_UNPARSED_BAD_IHL,		/* IPv4 header length below 5 words */
	VS_UNPARSED_BAD_IP_VERSION,	/* version field disagrees with the ethertype */
	VS_UNPARSED_TRUNCATED_IPV6,	/* IPv6 header cut short */
	VS_UNPARSED_TOO_MANY_EXT_HDRS,	/* longer IPv6 extension-header chain than the parser follows */
	VS_UNPARSED_TRUNCATED_EXT_HDR,	/* an extension header cut short, or its length points past the end
					 * of the packet or of the IPv6 payload */
	VS_UNPARSED_TRUNCATED_L4,	/* ports or ICMP type/code cut short, or past the IP datagram's own
					 * length (Ethernet padding is not a header) */
	VS_FLOW_INSERTS,		/* new flow entries (evictions = inserts - entries present - entries
					 * user space deleted) */
	VS_ERR_FLOW_UPDATE_ENOMEM,	/* flow entry not created: no free LRU node */
	VS_ERR_FLOW_UPDATE_OTHER,	/* flow entry not created: any other error */
	VS_ERR_IFACE_UPDATE_E2BIG,	/* interface entry not created: iface_stats is full */
	VS_ERR_IFACE_UPDATE_OTHER,	/* interface entry not created: any other error */
	VS_ERR_NAPI_UPDATE_E2BIG,	/* device entry not created: napi_time is full */
	VS_ERR_NAPI_UPDATE_OTHER,	/* device entry not created: any other error */
	VS_ERR_NAPI_NAME_UNREADABLE,	/* napi_poll device name could not be read (counted under "?") */
	VS_ERR_SOFTIRQ_UNTRACKED,	/* softirq run not counted: exit without its entry on this CPU
					 * (attached mid-run, entry event missed), or vector >= VS_NR_SOFTIRQS */
	VS_FLOW_DEFERRED,		/* first packet of a flow not in flow_stats: held by the admission
					 * filter, not yet in any flow (still in the interface totals) */
	VS_FLOW_CREDITED,		/* held first packets credited to their flow when it came back;
					 * deferred - credited = packets of flows seen once (floods, scans) */
	VS_COUNTER_MAX,
};

#endif /* VIFSCOPE_H */
