/*
 * bpf_testmod_ops.c: rvtramp's re-creation of the struct_ops type the bpf_testmod module
 * registers (struct bpf_testmod_ops, v6.9+; see README): its layout, the functions its cfi
 * stubs name (what each member's trampoline is prepared for), and what registering a map of
 * it does: the module's reg calls test_1() and test_2(4, data) through the map's pointers.
 * The struct changed between v6.11 and v6.15; both layouts are here, each with its .reg.
 */
#include "kernel.h"

struct task_struct;
struct cgroup;

#define TRAMP(n) int (*tramp_##n)(int value)
#define TRAMPS \
	TRAMP(1); TRAMP(2); TRAMP(3); TRAMP(4); TRAMP(5); TRAMP(6); TRAMP(7); TRAMP(8); \
	TRAMP(9); TRAMP(10); TRAMP(11); TRAMP(12); TRAMP(13); TRAMP(14); TRAMP(15); TRAMP(16); \
	TRAMP(17); TRAMP(18); TRAMP(19); TRAMP(20); TRAMP(21); TRAMP(22); TRAMP(23); TRAMP(24); \
	TRAMP(25); TRAMP(26); TRAMP(27); TRAMP(28); TRAMP(29); TRAMP(30); TRAMP(31); TRAMP(32); \
	TRAMP(33); TRAMP(34); TRAMP(35); TRAMP(36); TRAMP(37); TRAMP(38); TRAMP(39); TRAMP(40)

/*
 * The struct as v6.15-7.0 have it (unsupported_ops since v6.12, test_refcounted and
 * test_return_ref_kptr since v6.15): data at 60, tramp_1 at 64.
 */
struct bpf_testmod_ops {
	int (*test_1)(void);
	void (*test_2)(int a, int b);
	int (*test_maybe_null)(int dummy, struct task_struct *task);
	int (*unsupported_ops)(void);
	int (*test_refcounted)(int dummy, struct task_struct *task);
	struct task_struct *(*test_return_ref_kptr)(int dummy, struct task_struct *task, struct cgroup *cgrp);
	char onebyte;
	struct {
		int a;
		int b;
	} unsupported;
	int data;
	TRAMPS;
};

/* The struct as v6.9-v6.11 have it: data at 36, tramp_1 at 40. */
struct bpf_testmod_ops_v6_11 {
	int (*test_1)(void);
	void (*test_2)(int a, int b);
	int (*test_maybe_null)(int dummy, struct task_struct *task);
	char onebyte;
	struct {
		int a;
		int b;
	} unsupported;
	int data;
	TRAMPS;
};

/* Layout checks: what the kernel model writes into a map's kdata must land here. */
_Static_assert(__builtin_offsetof(struct bpf_testmod_ops, data) == 60, "data");
_Static_assert(__builtin_offsetof(struct bpf_testmod_ops, tramp_1) == 64, "tramp_1");
_Static_assert(sizeof(struct bpf_testmod_ops) == 384, "size");
_Static_assert(__builtin_offsetof(struct bpf_testmod_ops_v6_11, data) == 36, "data v6.11");
_Static_assert(__builtin_offsetof(struct bpf_testmod_ops_v6_11, tramp_1) == 40, "tramp_1 v6.11");
_Static_assert(sizeof(struct bpf_testmod_ops_v6_11) == 360, "size v6.11");

/* The cfi stubs: a member's trampoline is prepared with its stub as func_addr. */
noinline int bpf_testmod_test_1(void)
{
	return 0;
}

noinline void bpf_testmod_test_2(int a, int b)
{
}

noinline int bpf_testmod_ops__test_maybe_null(int dummy, struct task_struct *task)
{
	return 0;
}

noinline int bpf_testmod_ops__test_refcounted(int dummy, struct task_struct *task)
{
	return 0;
}

noinline struct task_struct *bpf_testmod_ops__test_return_ref_kptr(int dummy, struct task_struct *task, struct cgroup *cgrp)
{
	return NULL;
}

noinline int bpf_testmod_tramp(int value)
{
	return 0;
}

/*
 * .reg: called when a map of bpf_testmod_ops is attached (its link created): test_1(), then
 * test_2(4, data), each if the map has it. Upstream has one bpf_dummy_reg per kernel; our
 * image serves every era, so the one for the v6.9-v6.11 struct carries a suffix.
 */
#define DEFINE_REG(name, type)					\
	noinline int name(void *kdata, void *link)		\
	{							\
		type *ops = kdata;				\
								\
		if (ops->test_1)				\
			ops->test_1();				\
		if (ops->test_2)				\
			ops->test_2(4, ops->data);		\
		return 0;					\
	}

DEFINE_REG(bpf_dummy_reg, struct bpf_testmod_ops)
DEFINE_REG(bpf_dummy_reg_v6_11, struct bpf_testmod_ops_v6_11)

/* .unreg: nothing to undo. */
noinline void bpf_dummy_unreg(void *kdata, void *link)
{
}
