/**
 * The selftests' shared library (test_progs' helpers and libbpf's skeleton, in our own code):
 * skeleton-like open / load / attach (skel.ts), the test_run and bpf_testmod triggers
 * (test-run.ts), and kernel calls with an oops report on failure (kcall.ts).
 */
export * from './skel';
export * from './test-run';
export * from './kcall';
export * from './decl';
