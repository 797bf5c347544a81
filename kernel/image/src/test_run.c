/*
 * test_run.c: rvtramp's re-creation of the tracing targets of Linux net/bpf/test_run.c
 * and of the control flow of bpf_prog_test_run_tracing() (see README).
 */
#include "kernel.h"

struct bpf_fentry_test_t {
	struct bpf_fentry_test_t *a;
};

noinline int bpf_fentry_test1(int a)
{
	return a + 1;
}

noinline int bpf_fentry_test2(int a, u64 b)
{
	return a + b;
}

noinline int bpf_fentry_test3(char a, int b, u64 c)
{
	return a + b + c;
}

noinline int bpf_fentry_test4(void *a, char b, int c, u64 d)
{
	return (long)a + b + c + d;
}

noinline int bpf_fentry_test5(u64 a, void *b, short c, int d, u64 e)
{
	return a + (long)b + c + d + e;
}

noinline int bpf_fentry_test6(u64 a, void *b, short c, int d, void *e, u64 f)
{
	return a + (long)b + c + d + (long)e + f;
}

noinline int bpf_fentry_test7(struct bpf_fentry_test_t *arg)
{
	return (long)arg;
}

noinline int bpf_fentry_test8(struct bpf_fentry_test_t *arg)
{
	return (long)arg->a;
}

noinline u32 bpf_fentry_test9(u32 *a)
{
	return *a;
}

noinline int bpf_fentry_test10(const void *a)
{
	return (long)a;
}

noinline void bpf_fentry_test_sinfo(struct skb_shared_info *sinfo)
{
}

/* Same body as bpf_fentry_test1: -fno-ipa-icf keeps the two apart. */
noinline int bpf_fentry_shadow_test(int a)
{
	return a + 1;
}

noinline int bpf_modify_return_test(int a, int *b)
{
	*b += 1;
	return a + *b;
}

noinline int bpf_modify_return_test2(int a, int *b, short c, int d, void *e, char f, int g)
{
	*b += 1;
	return a + *b + c + d + (long)e + f + g;
}

/*
 * The caller the tracing selftests trigger through BPF_PROG_TEST_RUN: calls the traced
 * functions, so the attached trampolines fire, and checks what they return. Returns 0 and
 * stores the run's retval, or -EFAULT (a wrong value in the fentry/fexit run list, or an
 * attach type this path does not handle).
 */
noinline int bpf_prog_test_run_tracing(u32 attach_type, u32 *uretval)
{
	struct bpf_fentry_test_t arg = {};
	u16 side_effect = 0, ret = 0;
	int b = 2, err = -EFAULT;
	u32 retval = 0;

	switch (attach_type) {
	case BPF_TRACE_FENTRY:
	case BPF_TRACE_FEXIT:
		if (bpf_fentry_test1(1) != 2 ||
		    bpf_fentry_test2(2, 3) != 5 ||
		    bpf_fentry_test3(4, 5, 6) != 15 ||
		    bpf_fentry_test4((void *)7, 8, 9, 10) != 34 ||
		    bpf_fentry_test5(11, (void *)12, 13, 14, 15) != 65 ||
		    bpf_fentry_test6(16, (void *)17, 18, 19, (void *)20, 21) != 111 ||
		    bpf_fentry_test7((struct bpf_fentry_test_t *)0) != 0 ||
		    bpf_fentry_test8(&arg) != 0 ||
		    bpf_fentry_test9(&retval) != 0 ||
		    bpf_fentry_test10((void *)0) != 0)
			goto out;
		break;
	case BPF_MODIFY_RETURN:
		ret = bpf_modify_return_test(1, &b);
		if (b != 2)
			side_effect++;
		b = 2;
		ret += bpf_modify_return_test2(1, &b, 3, 4, (void *)5, 6, 7);
		if (b != 2)
			side_effect++;
		break;
	default:
		goto out;
	}

	retval = ((u32)side_effect << 16) | ret;
	*uretval = retval;
	err = 0;
out:
	return err;
}
