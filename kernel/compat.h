/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * compat.h: the thin layer that lets one set of sources build with clang + libbpf (the default, at build
 * time) and with BCC (the compatibility loader, at run time on the host). BCC is recognised by the
 * VS_BCC macro, which the BCC loader defines; everything else is plain C on stable UAPI types.
 */
#ifndef VIFSCOPE_COMPAT_H
#define VIFSCOPE_COMPAT_H

#ifdef VS_BCC
/*
 * BCC includes its own helper declarations and linux/bpf.h; maps are BPF_TABLE, accessed as methods.
 * BCC's rewriter refuses map methods inside macro expansions, so each .bpf.c spells out its small
 * accessors (lookup/insert per map) under #ifdef VS_BCC instead of a macro here.
 */
#define VS_SEC(name)
#define VS_MAP(name, type, bcc_type, key_t, value_t, entries) \
	BPF_TABLE(bcc_type, key_t, value_t, name, entries)
#define VS_LICENSE
#else
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#define VS_SEC(name) SEC(name)
#define VS_MAP(name, map_type, bcc_type, key_t, value_t, entries) \
	struct {							\
		__uint(type, map_type);					\
		__uint(max_entries, entries);				\
		__type(key, key_t);					\
		__type(value, value_t);					\
	} name SEC(".maps")
/* GPL-compatible: bpf_probe_read_kernel_str and friends are GPL-only helpers. */
#define VS_LICENSE char LICENSE[] SEC("license") = "Dual BSD/GPL"
#endif

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Network byte order without arch headers: BPF targets here are little endian (bpfel). */
#define vs_ntohs(x) __builtin_bswap16(x)

/* Errno values are UAPI (asm-generic/errno-base.h); spelled out to avoid arch headers. */
#define VS_ENOMEM 12
#define VS_EEXIST 17
#define VS_E2BIG 7

#endif /* VIFSCOPE_COMPAT_H */
