/**
 * Function models of the kernel image's traceable functions: what BTF tells the kernel about
 * each argument (C type, size, signedness) and the return value. The trampoline needs the
 * number of argument slots (a 9..16-byte struct takes two); programs need the types to read
 * their arguments. Signatures as in bpf-tracing-selftests.md §1.
 */
export type CType =
  | 'char' | 'u8' | 'short' | 'u16' | 'int' | 'u32' | 'long' | 'u64' | 'ptr' | 'void'
  | { readonly struct: string; readonly size: number };

export interface FuncArg {
  readonly name: string;
  readonly type: CType;
}

export interface FuncModel {
  readonly name: string;
  readonly args: readonly FuncArg[];
  readonly ret: CType;
}

export function typeSize(t: CType): number {
  if (typeof t !== 'string') return t.size;
  switch (t) {
    case 'char': case 'u8': return 1;
    case 'short': case 'u16': return 2;
    case 'int': case 'u32': return 4;
    case 'void': return 0;
    default: return 8;
  }
}

export function isSigned(t: CType): boolean {
  return t === 'char' || t === 'short' || t === 'int' || t === 'long';
}

/** Argument slots (8 bytes each) a function's arguments take in the trampoline's ctx. */
export function argSlots(m: FuncModel): number {
  return m.args.reduce((n, a) => n + Math.ceil(typeSize(a.type) / 8), 0);
}

/** Slot index of each argument. */
export function slotOf(m: FuncModel, argIndex: number): number {
  let n = 0;
  for (let i = 0; i < argIndex; i++) n += Math.ceil(typeSize(m.args[i]!.type) / 8);
  return n;
}

const S2 = { struct: 'bpf_testmod_struct_arg_2', size: 16 } as const; // { long a; long b; }
const S1 = { struct: 'bpf_testmod_struct_arg_1', size: 4 } as const; // { int a; }
const S4 = { struct: 'bpf_testmod_struct_arg_4', size: 16 } as const; // { u64 a; int b; }
const S5 = { struct: 'bpf_testmod_struct_arg_5', size: 16 } as const; // { char a; short b; int c; long d; }

const fn = (name: string, ret: CType, ...args: [string, CType][]): FuncModel => ({ name, ret, args: args.map(([n, type]) => ({ name: n, type })) });

export const FUNC_MODELS: readonly FuncModel[] = [
  fn('bpf_fentry_test1', 'int', ['a', 'int']),
  fn('bpf_fentry_test2', 'int', ['a', 'int'], ['b', 'u64']),
  fn('bpf_fentry_test3', 'int', ['a', 'char'], ['b', 'int'], ['c', 'u64']),
  fn('bpf_fentry_test4', 'int', ['a', 'ptr'], ['b', 'char'], ['c', 'int'], ['d', 'u64']),
  fn('bpf_fentry_test5', 'int', ['a', 'u64'], ['b', 'ptr'], ['c', 'short'], ['d', 'int'], ['e', 'u64']),
  fn('bpf_fentry_test6', 'int', ['a', 'u64'], ['b', 'ptr'], ['c', 'short'], ['d', 'int'], ['e', 'ptr'], ['f', 'u64']),
  fn('bpf_fentry_test7', 'int', ['arg', 'ptr']),
  fn('bpf_fentry_test8', 'int', ['arg', 'ptr']),
  fn('bpf_fentry_test9', 'u32', ['a', 'ptr']),
  fn('bpf_fentry_test10', 'int', ['a', 'ptr']),
  fn('bpf_fentry_test_sinfo', 'void', ['sinfo', 'ptr']),
  fn('bpf_fentry_shadow_test', 'int', ['a', 'int']),
  fn('bpf_modify_return_test', 'int', ['a', 'int'], ['b', 'ptr']),
  fn('bpf_modify_return_test2', 'int', ['a', 'int'], ['b', 'ptr'], ['c', 'short'], ['d', 'int'], ['e', 'ptr'], ['f', 'char'], ['g', 'int']),
  fn('bpf_testmod_fentry_test1', 'int', ['a', 'int']),
  fn('bpf_testmod_fentry_test2', 'int', ['a', 'int'], ['b', 'u64']),
  fn('bpf_testmod_fentry_test3', 'int', ['a', 'char'], ['b', 'int'], ['c', 'u64']),
  fn('bpf_testmod_fentry_test7', 'int', ['a', 'u64'], ['b', 'ptr'], ['c', 'short'], ['d', 'int'], ['e', 'ptr'], ['f', 'char'], ['g', 'int']),
  fn('bpf_testmod_fentry_test11', 'int', ['a', 'u64'], ['b', 'ptr'], ['c', 'short'], ['d', 'int'], ['e', 'ptr'], ['f', 'char'], ['g', 'int'], ['h', 'u32'], ['i', 'long'], ['j', 'u64'], ['k', 'u64']),
  fn('bpf_testmod_test_struct_arg_1', 'int', ['a', S2], ['b', 'int'], ['c', 'int']),
  fn('bpf_testmod_test_struct_arg_2', 'int', ['a', 'int'], ['b', S2], ['c', 'int']),
  fn('bpf_testmod_test_struct_arg_3', 'int', ['a', 'int'], ['b', 'int'], ['c', S2]),
  fn('bpf_testmod_test_struct_arg_4', 'int', ['a', S1], ['b', 'int'], ['c', 'int'], ['d', 'int'], ['e', S2]),
  fn('bpf_testmod_test_struct_arg_5', 'int'),
  fn('bpf_testmod_test_struct_arg_6', 'int', ['a', 'ptr']),
  fn('bpf_testmod_test_struct_arg_7', 'int', ['a', 'u64'], ['b', 'ptr'], ['c', 'short'], ['d', 'int'], ['e', 'ptr'], ['f', S4]),
  fn('bpf_testmod_test_struct_arg_8', 'int', ['a', 'u64'], ['b', 'ptr'], ['c', 'short'], ['d', 'int'], ['e', 'ptr'], ['f', S4], ['g', 'int']),
  fn('bpf_testmod_test_struct_arg_9', 'int', ['a', 'u64'], ['b', 'ptr'], ['c', 'short'], ['d', 'int'], ['e', 'ptr'], ['f', 'char'], ['g', 'short'], ['h', S5], ['i', 'long']),
  fn('bpf_testmod_test_arg_ptr_to_struct', 'int', ['a', 'ptr']),
  fn('bpf_testmod_test_read', 'long', ['file', 'ptr'], ['kobj', 'ptr'], ['bin_attr', 'ptr'], ['buf', 'ptr'], ['off', 'long'], ['len', 'u64']),
  fn('bpf_prog_test_run_tracing', 'int', ['attach_type', 'u32'], ['retval', 'ptr']),
];

const BY_NAME = new Map(FUNC_MODELS.map((m) => [m.name, m]));

/** Function models of code loaded at run time (modules, generated test functions), per kernel. */
export class FuncModels {
  private readonly extra = new Map<string, FuncModel>();
  add(m: FuncModel): void {
    this.extra.set(m.name, m);
  }
  remove(name: string): void {
    this.extra.delete(name);
  }
  get(name: string): FuncModel | undefined {
    return this.extra.get(name) ?? BY_NAME.get(name);
  }
}

export function funcModel(name: string): FuncModel | undefined {
  return BY_NAME.get(name);
}

/** Where a struct_ops member sits in its C struct, and what its trampoline is prepared with. */
export interface StructOpsFunc {
  readonly offset: number;
  /** The cfi stub (a kernel symbol): the trampoline's func_addr. Null: no stub (NULL). */
  readonly stub: string | null;
  /** The member's model was zero when the type was registered, so its trampoline is built for
   *  no arguments and no return value (tramp_* since v6.15: their stubs are filled later). */
  readonly emptyModel?: boolean;
}

/** A struct_ops type's C struct (kdata) in one kernel era. */
export interface StructOpsLayout {
  readonly size: number;
  readonly funcs: Readonly<Record<string, StructOpsFunc>>;
  /** Data members init_member copies from the user's value. */
  readonly data: Readonly<Record<string, { readonly offset: number; readonly size: 1 | 2 | 4 | 8 }>>;
  /** .reg and .unreg (kernel symbols, called with kdata and the link). */
  readonly reg: string;
  readonly unreg: string;
  /** A program for a member without a cfi stub is refused (e42ac1418055, v6.12). */
  readonly checksStubs: boolean;
}

/**
 * A struct_ops type the kernel registers: its members' function models in declaration order
 * (a program's expected_attach_type is the member's index among them), which members a
 * sleepable program may implement, which pointer arguments may be NULL in a test run, and,
 * for types whose maps can be registered, the C struct per trampoline era (the eras without
 * one do not have the type).
 */
export interface StructOpsType {
  readonly name: string;
  readonly members: readonly FuncModel[];
  /** check_member: the members a sleepable (struct_ops.s) program may implement. */
  readonly sleepable: readonly string[];
  /** `__nullable` parameters of the cfi stubs, as member.arg (980ca8ceeae6, v6.10). */
  readonly nullable: readonly string[];
  readonly layouts?: Readonly<Record<string, StructOpsLayout>>;
}

/**
 * bpf_dummy_ops (include/linux/bpf.h, net/bpf/bpf_dummy_struct_ops.c): the struct_ops type
 * whose programs BPF_PROG_TEST_RUN runs; registering it (attaching a map) is refused.
 * Unchanged since v6.3 (test_sleepable).
 */
export const BPF_DUMMY_OPS: StructOpsType = {
  name: 'bpf_dummy_ops',
  members: [
    fn('test_1', 'int', ['cb', 'ptr']),
    fn('test_2', 'int', ['cb', 'ptr'], ['a1', 'int'], ['a2', 'u16'], ['a3', 'char'], ['a4', 'u64']),
    fn('test_sleepable', 'int', ['cb', 'ptr']),
  ],
  sleepable: ['test_sleepable'],
  nullable: ['test_1.cb'],
};

const TRAMPS = Array.from({ length: 40 }, (_, i) => `tramp_${i + 1}`);
const tramps = (first: number, stub: string | null, emptyModel: boolean): Record<string, StructOpsFunc> =>
  Object.fromEntries(TRAMPS.map((t, i) => [t, { offset: first + 8 * i, stub, ...(emptyModel ? { emptyModel } : {}) }]));

/** v6.15-7.0: unsupported_ops (v6.12, no stub), test_refcounted and test_return_ref_kptr (v6.15). */
const TESTMOD_OPS_V6_15: StructOpsLayout = {
  size: 384,
  funcs: {
    test_1: { offset: 0, stub: 'bpf_testmod_test_1' },
    test_2: { offset: 8, stub: 'bpf_testmod_test_2' },
    test_maybe_null: { offset: 16, stub: 'bpf_testmod_ops__test_maybe_null' },
    unsupported_ops: { offset: 24, stub: null },
    test_refcounted: { offset: 32, stub: 'bpf_testmod_ops__test_refcounted' },
    test_return_ref_kptr: { offset: 40, stub: 'bpf_testmod_ops__test_return_ref_kptr' },
    // The module fills these stubs after registering the type, and since v6.15 registration
    // skips members without a stub: their models stay zero.
    ...tramps(64, 'bpf_testmod_tramp', true),
  },
  data: { data: { offset: 60, size: 4 } },
  reg: 'bpf_dummy_reg',
  unreg: 'bpf_dummy_unreg',
  checksStubs: true,
};

/**
 * bpf_testmod_ops (bpf_testmod; struct_ops types in modules came with v6.9), as in
 * kernel/image/src/bpf_testmod_ops.c: on v6.11 test_1, test_2, test_maybe_null, three data
 * members (only `data` is copied from the user's value) and tramp_1..40 with no stubs yet; on
 * v6.16 and 7.0 also unsupported_ops, test_refcounted and test_return_ref_kptr.
 */
export const BPF_TESTMOD_OPS: StructOpsType = {
  name: 'bpf_testmod_ops',
  members: [
    fn('test_1', 'int'),
    fn('test_2', 'void', ['a', 'int'], ['b', 'int']),
    fn('test_maybe_null', 'int', ['dummy', 'int'], ['task', 'ptr']),
    fn('unsupported_ops', 'int'),
    fn('test_refcounted', 'int', ['dummy', 'int'], ['task', 'ptr']),
    fn('test_return_ref_kptr', 'ptr', ['dummy', 'int'], ['task', 'ptr'], ['cgrp', 'ptr']),
    ...TRAMPS.map((t) => fn(t, 'int', ['value', 'int'])),
  ],
  sleepable: [],
  nullable: ['test_maybe_null.task'],
  layouts: {
    'v6.11': {
      size: 360,
      funcs: {
        test_1: { offset: 0, stub: 'bpf_testmod_test_1' },
        test_2: { offset: 8, stub: 'bpf_testmod_test_2' },
        test_maybe_null: { offset: 16, stub: 'bpf_testmod_ops__test_maybe_null' },
        ...tramps(40, null, false),
      },
      data: { data: { offset: 36, size: 4 } },
      reg: 'bpf_dummy_reg_v6_11',
      unreg: 'bpf_dummy_unreg',
      checksStubs: false,
    },
    'v6.16': TESTMOD_OPS_V6_15,
    'v7.0': TESTMOD_OPS_V6_15,
  },
};

export const STRUCT_OPS: readonly StructOpsType[] = [BPF_DUMMY_OPS, BPF_TESTMOD_OPS];

/** The struct_ops type and member a program's target `<struct>.<member>` names. */
export function structOpsMember(target: string): { readonly type: StructOpsType; readonly index: number; readonly model: FuncModel } | undefined {
  const [typeName, member] = target.split('.');
  const type = STRUCT_OPS.find((t) => t.name === typeName);
  const index = type?.members.findIndex((m) => m.name === member) ?? -1;
  return type && index >= 0 ? { type, index, model: type.members[index]! } : undefined;
}
