/*
 * bpf_testmod.c: rvtramp's re-creation of the tracing targets of the bpf_testmod selftest
 * module and of their caller bpf_testmod_test_read() (see README). Linked into the same
 * image as test_run.c.
 */
#include "kernel.h"

struct bpf_testmod_struct_arg_1 {
	int a;
};

struct bpf_testmod_struct_arg_2 {
	long a;
	long b;
};

struct bpf_testmod_struct_arg_3 {
	int a;
	int b[];
};

struct bpf_testmod_struct_arg_4 {
	u64 a;
	int b;
};

struct bpf_testmod_struct_arg_5 {
	char a;
	short b;
	int c;
	long d;
};

/* Set by bpf_testmod_test_read() when the fentry_test* functions returned what they should. */
int bpf_testmod_fentry_ok;
/* The last struct_arg function's result, as in the module. */
int bpf_testmod_test_struct_arg_result;

noinline int bpf_testmod_test_struct_arg_1(struct bpf_testmod_struct_arg_2 a, int b, int c)
{
	bpf_testmod_test_struct_arg_result = a.a + a.b + b + c;
	return bpf_testmod_test_struct_arg_result;
}

noinline int bpf_testmod_test_struct_arg_2(int a, struct bpf_testmod_struct_arg_2 b, int c)
{
	bpf_testmod_test_struct_arg_result = a + b.a + b.b + c;
	return bpf_testmod_test_struct_arg_result;
}

noinline int bpf_testmod_test_struct_arg_3(int a, int b, struct bpf_testmod_struct_arg_2 c)
{
	bpf_testmod_test_struct_arg_result = a + b + c.a + c.b;
	return bpf_testmod_test_struct_arg_result;
}

noinline int bpf_testmod_test_struct_arg_4(struct bpf_testmod_struct_arg_1 a, int b, int c, int d,
					   struct bpf_testmod_struct_arg_2 e)
{
	bpf_testmod_test_struct_arg_result = a.a + b + c + d + e.a + e.b;
	return bpf_testmod_test_struct_arg_result;
}

noinline int bpf_testmod_test_struct_arg_5(void)
{
	bpf_testmod_test_struct_arg_result = 1;
	return bpf_testmod_test_struct_arg_result;
}

noinline int bpf_testmod_test_struct_arg_6(struct bpf_testmod_struct_arg_3 *a)
{
	bpf_testmod_test_struct_arg_result = a->b[0];
	return bpf_testmod_test_struct_arg_result;
}

noinline int bpf_testmod_test_struct_arg_7(u64 a, void *b, short c, int d, void *e,
					   struct bpf_testmod_struct_arg_4 f)
{
	bpf_testmod_test_struct_arg_result = a + (long)b + c + d + (long)e + f.a + f.b;
	return bpf_testmod_test_struct_arg_result;
}

noinline int bpf_testmod_test_struct_arg_8(u64 a, void *b, short c, int d, void *e,
					   struct bpf_testmod_struct_arg_4 f, int g)
{
	bpf_testmod_test_struct_arg_result = a + (long)b + c + d + (long)e + f.a + f.b + g;
	return bpf_testmod_test_struct_arg_result;
}

noinline int bpf_testmod_test_struct_arg_9(u64 a, void *b, short c, int d, void *e, char f,
					   short g, struct bpf_testmod_struct_arg_5 h, long i)
{
	bpf_testmod_test_struct_arg_result = a + (long)b + c + d + (long)e + f + g + h.a + h.b +
					     h.c + h.d + i;
	return bpf_testmod_test_struct_arg_result;
}

noinline int bpf_testmod_test_arg_ptr_to_struct(struct bpf_testmod_struct_arg_1 *a)
{
	bpf_testmod_test_struct_arg_result = a->a;
	return bpf_testmod_test_struct_arg_result;
}

noinline int bpf_testmod_fentry_test1(int a)
{
	return a + 1;
}

noinline int bpf_testmod_fentry_test2(int a, u64 b)
{
	return a + b;
}

noinline int bpf_testmod_fentry_test3(char a, int b, u64 c)
{
	return a + b + c;
}

noinline int bpf_testmod_fentry_test7(u64 a, void *b, short c, int d, void *e, char f, int g)
{
	return a + (long)b + c + d + (long)e + f + g;
}

noinline int bpf_testmod_fentry_test11(u64 a, void *b, short c, int d, void *e, char f, int g,
				       unsigned int h, long i, __u64 j, unsigned long k)
{
	return a + (long)b + c + d + (long)e + f + g + h + i + j + k;
}

/*
 * Upstream kmalloc()s a struct bpf_testmod_struct_arg_3 with room for b[0]; static storage
 * does here (a union, since a struct with a flexible array cannot be a struct member).
 */
static union {
	struct bpf_testmod_struct_arg_3 s;
	int words[2];
} struct_arg3_storage;

/*
 * Entered by read(2) on /sys/kernel/bpf_testmod upstream: calls every tracing target with
 * the module's arguments, checks the fentry_test* results, and always fails with -EIO.
 */
noinline ssize_t bpf_testmod_test_read(struct file *file, struct kobject *kobj,
				       struct bin_attribute *bin_attr, char *buf, loff_t off,
				       size_t len)
{
	struct bpf_testmod_struct_arg_1 struct_arg1 = {10}, struct_arg1_2 = {-1};
	struct bpf_testmod_struct_arg_2 struct_arg2 = {2, 3};
	struct bpf_testmod_struct_arg_3 *struct_arg3;
	struct bpf_testmod_struct_arg_4 struct_arg4 = {21, 22};
	struct bpf_testmod_struct_arg_5 struct_arg5 = {23, 24, 25, 26};

	(void)bpf_testmod_test_struct_arg_1(struct_arg2, 1, 4);
	(void)bpf_testmod_test_struct_arg_2(1, struct_arg2, 4);
	(void)bpf_testmod_test_struct_arg_3(1, 4, struct_arg2);
	(void)bpf_testmod_test_struct_arg_4(struct_arg1, 1, 2, 3, struct_arg2);
	(void)bpf_testmod_test_struct_arg_5();
	(void)bpf_testmod_test_struct_arg_7(16, (void *)17, 18, 19, (void *)20, struct_arg4);
	(void)bpf_testmod_test_struct_arg_8(16, (void *)17, 18, 19, (void *)20, struct_arg4, 23);
	(void)bpf_testmod_test_struct_arg_9(16, (void *)17, 18, 19, (void *)20, 21, 22, struct_arg5, 27);
	(void)bpf_testmod_test_arg_ptr_to_struct(&struct_arg1_2);

	struct_arg3 = &struct_arg3_storage.s;
	struct_arg3->b[0] = 1;
	(void)bpf_testmod_test_struct_arg_6(struct_arg3);

	if (bpf_testmod_fentry_test1(1) != 2 ||
	    bpf_testmod_fentry_test2(2, 3) != 5 ||
	    bpf_testmod_fentry_test3(4, 5, 6) != 15 ||
	    bpf_testmod_fentry_test7(16, (void *)17, 18, 19, (void *)20, 21, 22) != 133 ||
	    bpf_testmod_fentry_test11(16, (void *)17, 18, 19, (void *)20, 21, 22, 23, 24, 25, 26) != 231)
		goto out;

	bpf_testmod_fentry_ok = 1;
out:
	return -EIO; /* always fails, as upstream */
}
