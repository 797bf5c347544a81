/*
 * kernel.h: the few kernel types, attributes and constants the test targets need.
 * Our own definitions (freestanding: no libc, no Linux headers).
 */
#ifndef RVTRAMP_KERNEL_H
#define RVTRAMP_KERNEL_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed long long s64;
typedef u64 __u64;
typedef s64 ssize_t;
typedef u64 size_t;
typedef s64 loff_t;

#define NULL ((void *)0)

/*
 * Every traced function is global and noinline: it keeps its own symbol, its ftrace sled and
 * its psABI signature. build.sh adds -fno-ipa-* flags so GCC also makes no clones
 * (.constprop/.isra), merges no identical bodies and assumes nothing about callees across
 * calls (see the comment there).
 */
#define noinline __attribute__((__noinline__))

#define EIO 5
#define EFAULT 14
#define EINVAL 22

/* The kernel's enum bpf_attach_type values for the tracing attach types. */
enum bpf_attach_type {
	BPF_TRACE_FENTRY = 24,
	BPF_TRACE_FEXIT = 25,
	BPF_MODIFY_RETURN = 26,
};

/* Opaque kernel objects: only pointers to them are passed around. */
struct file;
struct kobject;
struct bin_attribute;
struct skb_shared_info;

#endif
