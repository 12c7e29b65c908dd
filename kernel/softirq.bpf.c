// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * softirq.bpf.c: softirq time per CPU x vector, split between ksoftirqd and irq-exit/bh-enable runs, and
 * NET_RX time charged to the NAPI device polled. Tracepoints only: irq:softirq_entry/exit as classic or raw
 * tracepoints (user space loads one pair), and napi:napi_poll as a raw tracepoint read through CO-RE where
 * the kernel has BTF, else as the classic tracepoint (see napi_poll_raw for why the two).
 */
#include "compat.h"
#include "vifscope.h"

/* Per-CPU bookkeeping between entry, polls and exit. Softirqs do not nest on a CPU. */
struct vs_cpu_state {
	__u64 entry_ns;
	__u64 mark_ns;		/* NET_RX: end of the last poll (or entry); time since is not yet charged */
	__u32 vec;
	__u32 ksoftirqd_pid;	/* this CPU's ksoftirqd, once seen: a cheaper test than its comm */
	__u8 active;
	__u8 in_ksoftirqd;
	__u8 pad[6];
};

VS_MAP(cpu_state, BPF_MAP_TYPE_PERCPU_ARRAY, "percpu_array", __u32, struct vs_cpu_state, 1);
VS_MAP(softirq_time, BPF_MAP_TYPE_PERCPU_ARRAY, "percpu_array", __u32, struct vs_softirq_stats, VS_NR_SOFTIRQS);
VS_MAP(napi_time, BPF_MAP_TYPE_PERCPU_HASH, "percpu_hash", struct vs_napi_key, struct vs_napi_stats, 1024);
VS_MAP(counters, BPF_MAP_TYPE_PERCPU_ARRAY, "percpu_array", __u32, __u64, VS_COUNTER_MAX);

/* Classic tracepoint records, from /sys/kernel/tracing/events/{irq/softirq_entry,napi/napi_poll}/format. */
struct vs_softirq_args {
	__u64 common;		/* common_type, common_flags, common_preempt_count, common_pid */
	__u32 vec;
};

struct vs_napi_poll_args {
	__u64 common;
	__u64 napi;		/* struct napi_struct *: never dereferenced */
	__u32 dev_name_loc;	/* __data_loc: offset in the low 16 bits, length in the high 16 */
	__s32 work;
	__s32 budget;
};

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

static __always_inline struct vs_cpu_state *cpu_state_lookup(__u32 *key)
{
#ifdef VS_BCC
	return cpu_state.lookup(key);
#else
	return bpf_map_lookup_elem(&cpu_state, key);
#endif
}

static __always_inline struct vs_softirq_stats *softirq_time_lookup(__u32 *key)
{
#ifdef VS_BCC
	return softirq_time.lookup(key);
#else
	return bpf_map_lookup_elem(&softirq_time, key);
#endif
}

static __always_inline struct vs_napi_stats *napi_time_lookup(struct vs_napi_key *key)
{
#ifdef VS_BCC
	return napi_time.lookup(key);
#else
	return bpf_map_lookup_elem(&napi_time, key);
#endif
}

static __always_inline long napi_time_insert(struct vs_napi_key *key, struct vs_napi_stats *value)
{
#ifdef VS_BCC
	return napi_time.insert(key, value);
#else
	return bpf_map_update_elem(&napi_time, key, value, BPF_NOEXIST);
#endif
}

static __always_inline void count(__u32 which)
{
	__u64 *c = counters_lookup(&which);

	if (c)
		*c += 1;
}

/*
 * Softirqs run either on irq exit / local_bh_enable, in whatever task was interrupted, or in the per-CPU
 * ksoftirqd thread when they keep coming back. The kernel has named that thread "ksoftirqd/<cpu>" since
 * 2.6 (smpboot), and nobody else can rename it: PR_SET_NAME and /proc/<pid>/comm only rename the caller's
 * own threads. The comm is what ps/top show, so the test agrees with what the operator sees; no kernel
 * struct is read. A user process that names itself "ksoftirqd/..." would have the softirqs that
 * interrupt it counted as ksoftirqd's: a spoof, not a mistake of ours.
 */
static __always_inline __u8 in_ksoftirqd(struct vs_cpu_state *st)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();
	char comm[16];

	/*
	 * Shortcuts worth 10-15 ns a run (the comm copy): pid 0 is the idle task ("swapper/N"), the usual
	 * host of softirqs on irq exit; ksoftirqd/N only ever runs on CPU N and keeps its pid for good.
	 */
	if (pid == 0)
		return 0;
	if (pid == st->ksoftirqd_pid)
		return 1;
	if (bpf_get_current_comm(comm, sizeof(comm)))
		return 0;
	if (comm[0] == 'k' && comm[1] == 's' && comm[2] == 'o' && comm[3] == 'f' && comm[4] == 't' &&
	    comm[5] == 'i' && comm[6] == 'r' && comm[7] == 'q' && comm[8] == 'd' && comm[9] == '/') {
		st->ksoftirqd_pid = pid;
		return 1;
	}
	return 0;
}

static __always_inline void charge_napi(struct vs_napi_key *key, __u64 ns, __u64 polls, __u64 work,
					__u64 exhausted, __u64 outside)
{
	struct vs_napi_stats *s = napi_time_lookup(key);

	if (!s) {
		struct vs_napi_stats init;

		__builtin_memset(&init, 0, sizeof(init));
		long err = napi_time_insert(key, &init);
		if (err && err != -VS_EEXIST) {
			count(err == -VS_E2BIG ? VS_ERR_NAPI_UPDATE_E2BIG : VS_ERR_NAPI_UPDATE_OTHER);
			return;
		}
		s = napi_time_lookup(key);
		if (!s)
			return;
	}
	s->polls += polls;
	s->work += work;
	s->budget_exhausted += exhausted;
	s->time_ns += ns;
	s->polls_outside_softirq += outside;
}

static __always_inline int on_entry(__u32 vec)
{
	__u32 zero = 0;
	struct vs_cpu_state *st = cpu_state_lookup(&zero);

	if (!st)
		return 0;
	__u64 now = bpf_ktime_get_ns();
	st->entry_ns = now;
	st->mark_ns = now;
	st->vec = vec;
	st->active = vec < VS_NR_SOFTIRQS;	/* else counted as untracked at exit */
	st->in_ksoftirqd = in_ksoftirqd(st);
	return 0;
}

static __always_inline int on_exit(__u32 vec)
{
	__u32 zero = 0;
	struct vs_cpu_state *st = cpu_state_lookup(&zero);

	if (!st)
		return 0;
	/* No matching entry: attached in the middle of this run, or the entry event was not delivered. */
	if (!st->active || st->vec != vec) {
		st->active = 0;
		count(VS_ERR_SOFTIRQ_UNTRACKED);
		return 0;
	}
	st->active = 0;
	__u64 now = bpf_ktime_get_ns();
	__u32 v = vec;
	struct vs_softirq_stats *s = softirq_time_lookup(&v);
	if (s) {
		__u64 d = now - st->entry_ns;

		s->runs += 1;
		s->time_ns += d;
		if (st->in_ksoftirqd) {
			s->ksoftirqd_runs += 1;
			s->ksoftirqd_time_ns += d;
		}
	}
	if (vec == VS_SOFTIRQ_NET_RX) {
		struct vs_napi_key none;

		__builtin_memset(&none, 0, sizeof(none));
		charge_napi(&none, now - st->mark_ns, 0, 0, 0, 0);
	}
	return 0;
}

VS_SEC("tracepoint/irq/softirq_entry")
int softirq_entry(struct vs_softirq_args *ctx)
{
	return on_entry(ctx->vec);
}

VS_SEC("tracepoint/irq/softirq_exit")
int softirq_exit(struct vs_softirq_args *ctx)
{
	return on_exit(ctx->vec);
}

/*
 * Raw tracepoints: preferred where the kernel has them (4.17+). They skip building the trace record, need
 * no tracefs to attach, and are not skipped while another tracing BPF program runs on the CPU (a classic
 * tracepoint is, through bpf_prog_active; a softirq on irq exit can interrupt one). args[0] is the
 * tracepoint's only argument, unsigned int vec_nr.
 */
VS_SEC("raw_tp/softirq_entry")
int softirq_entry_raw(struct bpf_raw_tracepoint_args *ctx)
{
	return on_entry((__u32)ctx->args[0]);
}

VS_SEC("raw_tp/softirq_exit")
int softirq_exit_raw(struct bpf_raw_tracepoint_args *ctx)
{
	return on_exit((__u32)ctx->args[0]);
}

/* One poll of the NAPI instance of the device in key: its time since the last mark, its work. */
static __always_inline int on_poll(struct vs_napi_key *key, int work_done, int budget)
{
	__u32 zero = 0;
	__u64 work = work_done > 0 ? work_done : 0;
	__u64 exhausted = budget > 0 && work_done >= budget;

	struct vs_cpu_state *st = cpu_state_lookup(&zero);
	if (st && st->active && st->vec == VS_SOFTIRQ_NET_RX) {
		__u64 now = bpf_ktime_get_ns();

		charge_napi(key, now - st->mark_ns, 1, work, exhausted, 0);
		st->mark_ns = now;
	} else {
		charge_napi(key, 0, 1, work, exhausted, 1);
	}
	return 0;
}

VS_SEC("tracepoint/napi/napi_poll")
int napi_poll(struct vs_napi_poll_args *ctx)
{
	struct vs_napi_key key;

	/*
	 * The name lives in the trace record itself, at the __data_loc offset; the verifier allows only fixed
	 * offsets into a tracepoint context, hence the probe read. bpf_probe_read_str rather than
	 * bpf_probe_read_kernel_str: the latter exists only from 5.5, the former everywhere from 4.11 on
	 * (x86 and other arches with separate user and kernel address spaces keep it), and on 5.5+ it reads
	 * kernel addresses the same way.
	 */
	__builtin_memset(&key, 0, sizeof(key));
	if (bpf_probe_read_str(key.dev_name, sizeof(key.dev_name),
			       (void *)ctx + (ctx->dev_name_loc & 0xffff)) < 0) {
		count(VS_ERR_NAPI_NAME_UNREADABLE);
		__builtin_memset(&key, 0, sizeof(key));
		key.dev_name[0] = '?';
	}
	return on_poll(&key, ctx->work, ctx->budget);
}

#ifdef VS_CORE
/*
 * napi:napi_poll as a raw tracepoint: the one exception to "no kernel-internal structs", taken for least
 * privilege. The classic tracepoint gives the device name in its record, but attaching it needs the event id,
 * which only tracefs tells, and tracefs is root's alone (mode 0700, and mounting it needs CAP_SYS_ADMIN):
 * with it, an agent holding only CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN could not start. The raw tracepoint
 * needs no tracefs, but passes the struct napi_struct itself (TP_PROTO(struct napi_struct *napi, int work,
 * int budget)), so the name is read from napi->dev->name.
 *
 * It stays portable: the two structs below name only the fields read, and preserve_access_index makes clang
 * emit CO-RE relocations for them, which libbpf resolves against the running kernel's BTF at load (the
 * ___vs suffix is a CO-RE "flavour": libbpf ignores it when matching names). A kernel that has no BTF, or
 * whose structs no longer match, fails the load and user space falls back to the classic napi_poll above
 * (from the object built with -DVS_NO_CORE, see compat.h). The name is what the classic tracepoint records:
 * dev->name, or "(no_device)" when the instance has no device (the per-CPU backlog).
 */
struct net_device___vs {
	char name[VS_IFNAMSIZ];
} __attribute__((preserve_access_index));

struct napi_struct___vs {
	struct net_device___vs *dev;
} __attribute__((preserve_access_index));

VS_SEC("raw_tp/napi_poll")
int napi_poll_raw(struct bpf_raw_tracepoint_args *ctx)
{
	struct napi_struct___vs *napi = (void *)ctx->args[0];
	struct net_device___vs *dev = 0;
	struct vs_napi_key key;

	/* bpf_probe_read(_str), not the _kernel forms, for the reason given in napi_poll above. */
	__builtin_memset(&key, 0, sizeof(key));
	if (bpf_probe_read(&dev, sizeof(dev), &napi->dev) < 0) {
		count(VS_ERR_NAPI_NAME_UNREADABLE);
		key.dev_name[0] = '?';
	} else if (!dev) {
		__builtin_memcpy(key.dev_name, "(no_device)", sizeof("(no_device)"));
	} else if (bpf_probe_read_str(key.dev_name, sizeof(key.dev_name), dev->name) < 0) {
		count(VS_ERR_NAPI_NAME_UNREADABLE);
		__builtin_memset(&key, 0, sizeof(key));
		key.dev_name[0] = '?';
	}
	return on_poll(&key, (int)ctx->args[1], (int)ctx->args[2]);
}
#endif /* VS_CORE */

VS_LICENSE;
