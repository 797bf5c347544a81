/*
 * bpf_dummy_struct_ops.c: rvtramp's re-creation of the caller side of the struct_ops test run
 * of Linux net/bpf/bpf_dummy_struct_ops.c (see README): the function a bpf_dummy_ops
 * trampoline is built for, the call through a pointer to the trampoline image that
 * BPF_PROG_TEST_RUN of a struct_ops program makes, and what the test run does with the
 * result. Preparing the image (the JIT) is the kernel model's part.
 */
#include "kernel.h"

/* MAX_BPF_FUNC_ARGS */
#define DUMMY_OPS_MAX_ARGS 12

struct bpf_dummy_ops_state {
	int val;
};

/*
 * What the test run hands over: the member's arguments as 64-bit words, the first being the
 * user's state pointer (0 stands for NULL), and the kernel's copy of that state.
 */
struct bpf_dummy_ops_test_args {
	u64 args[DUMMY_OPS_MAX_ARGS];
	struct bpf_dummy_ops_state state;
};

/* Every bpf_dummy_ops member returning int, called with up to four more words. */
typedef int (*dummy_ops_op_t)(struct bpf_dummy_ops_state *state, ...);

/*
 * The stub standing for the member: since v6.8 the struct_ops trampoline is prepared with its
 * address as func_addr. Nothing calls it.
 */
noinline int dummy_ops_test_ret_function(struct bpf_dummy_ops_state *state, ...)
{
	return 0;
}

/* Calls the member's trampoline image as the kernel calls an ops member: through a pointer. */
noinline int dummy_ops_call_op(void *image, struct bpf_dummy_ops_test_args *args)
{
	dummy_ops_op_t op = (dummy_ops_op_t)image;
	struct bpf_dummy_ops_state *state = 0;

	if (args->args[0])
		state = &args->state;
	return op(state, args->args[1], args->args[2], args->args[3], args->args[4]);
}

/*
 * The end of bpf_struct_ops_test_run(), once the image is ready: run it and report what it
 * returned as the syscall's test.retval (a u32).
 */
noinline int bpf_dummy_ops_run_image(void *image, struct bpf_dummy_ops_test_args *args, u32 *uretval)
{
	*uretval = dummy_ops_call_op(image, args);
	return 0;
}
