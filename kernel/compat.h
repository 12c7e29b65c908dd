/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * compat.h: the thin layer that lets one set of sources build with clang + libbpf (the default, at build
 * time) and with BCC (the compatibility loader, at run time on the host).
 *
 * BCC is recognised by BCC_SEC, which BCC's own helpers.h defines and which BCC force-includes before
 * any user source (bcc 0.26 and every release since 2015). Neither libbpf nor the kernel UAPI headers
 * define it, so it cannot misfire, and the BCC loader needs no extra cflag; -DVS_BCC still forces it.
 */
#ifndef VIFSCOPE_COMPAT_H
#define VIFSCOPE_COMPAT_H

#if !defined(VS_BCC) && defined(BCC_SEC)
#define VS_BCC 1
#endif

#ifdef VS_BCC
/*
 * BCC includes its own helper declarations and linux/bpf.h; maps are BPF_TABLE, accessed as methods.
 * BCC's rewriter refuses map methods inside macro expansions, so each .bpf.c spells out its small
 * accessors (lookup/insert per map) under #ifdef VS_BCC instead of a macro here. BCC sets the license
 * itself (GPL) and finds programs by function name, so sections are dropped.
 */
#define VS_SEC(name)
#define VS_MAP(name, type, bcc_type, key_t, value_t, entries) \
	BPF_TABLE(bcc_type, key_t, value_t, name, entries)
#define VS_LICENSE
/* BCC has no global data: a tunable is a compile-time constant; each has a -D macro for its value. */
#define VS_TUNABLE(type, name, value) static const type name = (value)
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
/* GPL-compatible: bpf_probe_read_str (napi_poll device names) is a GPL-only helper. */
#define VS_LICENSE char LICENSE[] SEC("license") = "Dual BSD/GPL"
/* In .rodata: user space may set it between open and load; the verifier then prunes dead branches. */
#define VS_TUNABLE(type, name, value) const volatile type name = (value)
#endif

/*
 * VS_CORE: CO-RE field relocations are available. clang records which kernel struct fields a program reads
 * (structs marked preserve_access_index) and libbpf fixes their offsets from the running kernel's BTF at load.
 * BCC has no such relocations, so a BCC build leaves the CO-RE programs out. libbpf refuses to load an
 * object that holds any CO-RE relocation on a kernel without BTF, even when only other programs of it are
 * loaded (libbpf 1.1, obj_needs_vmlinux_btf), so the build also compiles each such object once more with
 * -DVS_NO_CORE, for those kernels.
 */
#if !defined(VS_BCC) && !defined(VS_NO_CORE)
#define VS_CORE 1
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
