// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Empty programs at the hooks vifscope uses, for the in-kernel cost benchmark: with BPF run-time statistics on,
 * each hook's empty program shows the floor (the call and the statistics' own clock reads), and vifscope's
 * program at the same hook is compared against it. Benchmarks only; never loaded by the product.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int empty_tc_ingress(struct __sk_buff *skb)
{
	return -1; /* TC_ACT_UNSPEC, also TCX_NEXT: the next program runs */
}

SEC("tc")
int empty_tc_egress(struct __sk_buff *skb)
{
	return -1;
}

SEC("raw_tp/softirq_entry")
int empty_si_entry(struct bpf_raw_tracepoint_args *ctx)
{
	return 0;
}

SEC("raw_tp/softirq_exit")
int empty_si_exit(struct bpf_raw_tracepoint_args *ctx)
{
	return 0;
}

SEC("raw_tp/napi_poll")
int empty_napi_poll(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
