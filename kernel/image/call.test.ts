import { expect } from 'chai';
import fc from 'fast-check';
import { assemble } from '../../emulator/asm';
import { StopSignal } from '../../emulator/cpu/trap';
import { LAYOUT_NAMES } from './layouts';
import { asInt, asLong, callKernel, defaultStack, entryValue, RETURN_SENTINEL, type CallResult } from './call';
import { hostCallArea } from './hostcalls';
import { bootImage, scratchPage } from './testing';
import { MODULES_VADDR } from './memmap';

const BPF_TRACE_FENTRY = 24n;
const BPF_TRACE_FEXIT = 25n;
const BPF_MODIFY_RETURN = 26n;
const EFAULT = 14;
const EIO = 5;

/** Asserts a normal return with the ABI intact and gives a0. */
function returned(r: CallResult, what: string): bigint {
  if (r.kind !== 'returned') expect.fail(`${what}: expected a return, got ${JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? '0x' + v.toString(16) : v))}`);
  expect(r.abi, `${what}: callee-saved registers`).to.deep.equal([]);
  return r.value;
}

/** A 16-byte struct { char a; short b; int c; long d; } split over a7 and one stack slot. */
const arg5lo = 23n | (24n << 16n) | (25n << 32n);

/**
 * The upstream arguments, flattened to psABI register words, and the documented results
 * (reference §1.5). Pointer arguments are filled in by `ptr` (scratch memory).
 */
type Case = readonly [name: string, args: (p: Ptrs) => bigint[], value: number];
interface Ptrs {
  /** &struct bpf_fentry_test_t { .a = NULL } */
  readonly arg: bigint;
  /** &u32 0 */
  readonly zero32: bigint;
  /** &struct bpf_testmod_struct_arg_3 { .a = 0, .b = { 1 } } */
  readonly arg3: bigint;
  /** &struct bpf_testmod_struct_arg_1 { -1 } */
  readonly minus1: bigint;
  /** &int 2 (reset before each call) */
  readonly b: bigint;
}

const CASES: readonly Case[] = [
  ['bpf_fentry_test1', () => [1n], 2],
  ['bpf_fentry_test2', () => [2n, 3n], 5],
  ['bpf_fentry_test3', () => [4n, 5n, 6n], 15],
  ['bpf_fentry_test4', () => [7n, 8n, 9n, 10n], 34],
  ['bpf_fentry_test5', () => [11n, 12n, 13n, 14n, 15n], 65],
  ['bpf_fentry_test6', () => [16n, 17n, 18n, 19n, 20n, 21n], 111],
  ['bpf_fentry_test7', () => [0n], 0],
  ['bpf_fentry_test8', (p) => [p.arg], 0],
  ['bpf_fentry_test9', (p) => [p.zero32], 0],
  ['bpf_fentry_test10', () => [0n], 0],
  ['bpf_fentry_shadow_test', () => [1n], 2],
  ['bpf_modify_return_test', (p) => [1n, p.b], 4],
  ['bpf_modify_return_test2', (p) => [1n, p.b, 3n, 4n, 5n, 6n, 7n], 29],
  ['bpf_testmod_fentry_test1', () => [1n], 2],
  ['bpf_testmod_fentry_test2', () => [2n, 3n], 5],
  ['bpf_testmod_fentry_test3', () => [4n, 5n, 6n], 15],
  ['bpf_testmod_fentry_test7', () => [16n, 17n, 18n, 19n, 20n, 21n, 22n], 133],
  ['bpf_testmod_fentry_test11', () => [16n, 17n, 18n, 19n, 20n, 21n, 22n, 23n, 24n, 25n, 26n], 231],
  ['bpf_testmod_test_struct_arg_1', () => [2n, 3n, 1n, 4n], 10],
  ['bpf_testmod_test_struct_arg_2', () => [1n, 2n, 3n, 4n], 10],
  ['bpf_testmod_test_struct_arg_3', () => [1n, 4n, 2n, 3n], 10],
  ['bpf_testmod_test_struct_arg_4', () => [10n, 1n, 2n, 3n, 2n, 3n], 21],
  ['bpf_testmod_test_struct_arg_5', () => [], 1],
  ['bpf_testmod_test_struct_arg_6', (p) => [p.arg3], 1],
  ['bpf_testmod_test_struct_arg_7', () => [16n, 17n, 18n, 19n, 20n, 21n, 22n], 133],
  ['bpf_testmod_test_struct_arg_8', () => [16n, 17n, 18n, 19n, 20n, 21n, 22n, 23n], 156],
  ['bpf_testmod_test_struct_arg_9', () => [16n, 17n, 18n, 19n, 20n, 21n, 22n, arg5lo, 26n, 27n], 258],
  ['bpf_testmod_test_arg_ptr_to_struct', (p) => [p.minus1], -1],
];

function setupPtrs(mem: ReturnType<typeof bootImage>['machine']['memory'], base: bigint): Ptrs {
  const p: Ptrs = { arg: base, zero32: base + 0x10n, arg3: base + 0x20n, minus1: base + 0x30n, b: base + 0x40n };
  mem.writeU(p.arg, 8, 0n);
  mem.writeU(p.zero32, 4, 0n);
  mem.writeU(p.arg3, 4, 0n);
  mem.writeU(p.arg3 + 4n, 4, 1n);
  mem.writeU(p.minus1, 4, -1n);
  mem.writeU(p.b, 4, 2n);
  return p;
}

for (const name of LAYOUT_NAMES) {
  describe(`kernel/image calls on ${name} (untraced)`, () => {
    const { machine, kernel, hart } = bootImage(name);
    const mem = machine.memory;
    const scratch = scratchPage(machine);
    const retval = scratch + 0x800n;
    const run = (fn: string, args: bigint[]) => callKernel(hart, kernel.sym(fn), args, { budget: 100_000 });

    it('bpf_prog_test_run_tracing(FENTRY / FEXIT) returns 0 with retval 0', () => {
      for (const type of [BPF_TRACE_FENTRY, BPF_TRACE_FEXIT]) {
        mem.writeU(retval, 4, 0xffffffffn);
        expect(asInt(returned(run('bpf_prog_test_run_tracing', [type, retval]), `attach type ${type}`))).to.equal(0);
        expect(mem.readU(retval, 4)).to.equal(0n);
      }
    });

    it('bpf_prog_test_run_tracing(MODIFY_RETURN) returns 0 with retval 0x00020021', () => {
      mem.writeU(retval, 4, 0n);
      expect(asInt(returned(run('bpf_prog_test_run_tracing', [BPF_MODIFY_RETURN, retval]), 'MODIFY_RETURN'))).to.equal(0);
      expect(mem.readU(retval, 4)).to.equal(0x00020021n);
    });

    it('bpf_prog_test_run_tracing(other attach types) returns -EFAULT and leaves retval alone', () => {
      for (const type of [0n, 23n, 27n, -1n]) {
        mem.writeU(retval, 4, 0x1234n);
        expect(asInt(returned(run('bpf_prog_test_run_tracing', [type, retval]), `attach type ${type}`)), `attach type ${type}`).to.equal(-EFAULT);
        expect(mem.readU(retval, 4)).to.equal(0x1234n);
      }
    });

    it('bpf_testmod_test_read returns -EIO and sets bpf_testmod_fentry_ok', () => {
      const ok = kernel.sym('bpf_testmod_fentry_ok');
      mem.writeU(ok, 4, 0n);
      const r = run('bpf_testmod_test_read', [0n, 0n, 0n, 0n, 0n, 64n]);
      expect(asLong(returned(r, 'bpf_testmod_test_read'))).to.equal(BigInt(-EIO));
      expect(mem.readU(ok, 4)).to.equal(1n);
      // The last struct-arg function it calls is struct_arg_6 (b[0] = 1).
      expect(mem.readU(kernel.sym('bpf_testmod_test_struct_arg_result'), 4)).to.equal(1n);
    });

    it('the caller checks: a wrong value in the FENTRY run list is -EFAULT; MODIFY_RETURN adds what it gets', () => {
      // Replace bodies after the sled (the sled stays): a fresh machine, so the others are untouched.
      const b = bootImage(name);
      const m = b.machine.memory;
      const rv = scratchPage(b.machine) + 0x800n;
      const body = (fn: string, src: string) => {
        const at = b.kernel.sledOf(fn).funcAddr + BigInt(b.kernel.layout.bytesAfter);
        m.writeBytes(at, assemble(src, { base: at }).bytes, true);
      };
      const tracing = (type: bigint) => asInt(returned(callKernel(b.hart, b.kernel.sym('bpf_prog_test_run_tracing'), [type, rv]), `type ${type}`));
      body('bpf_fentry_test10', 'li a0, 1\nret');
      m.writeU(rv, 4, 0x5555n);
      expect(tracing(BPF_TRACE_FEXIT)).to.equal(-EFAULT);
      expect(m.readU(rv, 4)).to.equal(0x5555n);
      // As if fmod_ret returned -22 from bpf_modify_return_test: the body (and *b += 1) skipped.
      body('bpf_modify_return_test', 'li a0, -22\nret');
      expect(tracing(BPF_MODIFY_RETURN)).to.equal(0);
      expect(m.readU(rv, 4)).to.equal(0x00010007n); // ret (u16) -22 + 29 = 7, side_effect 1
      body('bpf_modify_return_test2', 'li a0, -22\nret');
      expect(tracing(BPF_MODIFY_RETURN)).to.equal(0);
      expect(m.readU(rv, 4)).to.equal(0x0000ffd4n); // ret (u16) -44, side_effect 0
    });

    it('every test function returns its documented value when called directly', () => {
      for (const [fn, args, value] of CASES) {
        const p = setupPtrs(mem, scratch);
        expect(asInt(returned(run(fn, args(p)), fn)), fn).to.equal(value);
        if (fn.startsWith('bpf_modify_return_test')) expect(mem.readU(p.b, 4), `${fn} side effect`).to.equal(3n);
      }
      expect(returned(run('bpf_fentry_test_sinfo', [scratch]), 'bpf_fentry_test_sinfo')).to.be.a('bigint');
    });

    it('takes its arguments from the registers and the stack (no constant folded in)', () => {
      const model = (xs: bigint[]) => Number(BigInt.asIntN(32, xs.reduce((a, b) => a + b, 0n)));
      const u = (bits: number) => fc.bigUintN(bits);
      const s32 = fc.integer().map((v) => BigInt.asUintN(64, BigInt(v)));
      const s16 = fc.integer({ min: -32768, max: 32767 }).map((v) => BigInt.asUintN(64, BigInt(v)));
      const args11 = fc.tuple(u(64), u(64), s16, s32, u(64), u(8), s32, s32, u(64), u(64), u(64));
      fc.assert(
        fc.property(fc.integer(), args11, (a, xs) => {
          expect(asInt(returned(run('bpf_fentry_test1', [BigInt.asUintN(64, BigInt(a))]), 'test1'))).to.equal((a + 1) | 0);
          expect(asInt(returned(run('bpf_fentry_shadow_test', [BigInt.asUintN(64, BigInt(a))]), 'shadow'))).to.equal((a + 1) | 0);
          // bpf_fentry_test6(u64, void *, short, int, void *, u64)
          const six = [xs[0], xs[1], xs[2], xs[3], xs[4], xs[8]];
          expect(asInt(returned(run('bpf_fentry_test6', six), 'test6'))).to.equal(model(six));
          // bpf_testmod_fentry_test11: three of them on the stack.
          expect(asInt(returned(run('bpf_testmod_fentry_test11', xs), 'test11'))).to.equal(model(xs));
        }),
        { numRuns: 25, seed: 0x6b1d },
      );
    });

    it('preserves sp, gp, tp and s0-s11 on every call, and returns to the caller', () => {
      // `returned` checks the ABI on each call above; here: the check itself sees a violation.
      const code = MODULES_VADDR;
      if (!mem.isMapped(code)) mem.map(code, 4096, 'rx');
      const prog = assemble('li s3, 7\nret\nadd sp, sp, -16\nret', { base: code });
      mem.writeBytes(code, prog.bytes, true);
      const r = callKernel(hart, code, []);
      expect(r.kind).to.equal('returned');
      if (r.kind === 'returned') expect(r.abi).to.deep.equal([{ reg: 's3', expected: entryValue(19), actual: 7n }]);
      const r2 = callKernel(hart, code + 8n, []);
      if (r2.kind !== 'returned') expect.fail(r2.kind);
      expect(r2.abi.map((v) => v.reg)).to.deep.equal(['sp']);
    });

    it('symbolizes the return sentinel', () => {
      const ra = hostCallArea(machine).addressOf(RETURN_SENTINEL);
      expect(kernel.kallsyms.format(ra)).to.equal('kernel_call_return+0x0/0x10');
    });
  });
}

describe('kernel/image callKernel', () => {
  const { machine, kernel, hart } = bootImage('sled8-rvc');
  const mem = machine.memory;
  const code = MODULES_VADDR + 0x1000n;
  mem.map(code, 4096, 'rx');
  const put = (src: string, at = code) => {
    const p = assemble(src, { base: at, compressed: true });
    mem.writeBytes(at, p.bytes, true);
    return at;
  };

  it('passes arguments 9 and up on the stack, 16-byte aligned, with a frame record', () => {
    const stack = defaultStack(hart);
    // Return sp, and the second stack argument.
    const fn = put('mv a0, sp\nld a1, 8(sp)\nret');
    const r = callKernel(hart, fn, [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n]);
    if (r.kind !== 'returned') expect.fail(r.kind);
    expect(r.value % 16n).to.equal(0n);
    expect(r.value).to.equal(stack.top - 16n - 32n);
    expect(r.a1).to.equal(9n);
    expect(mem.readU(stack.top - 8n, 8)).to.equal(hostCallArea(machine).addressOf(RETURN_SENTINEL));
    expect(mem.readU(stack.top - 16n, 8)).to.equal(0n);
    expect(hart.reg(8)).to.equal(stack.top);
  });

  it('a store past the stack top hits the guard page', () => {
    const stack = defaultStack(hart);
    const r = callKernel(hart, put('sd zero, 16(sp)\nret'), []);
    expect(r).to.deep.include({ kind: 'trap' });
    if (r.kind === 'trap') expect(r.trap).to.deep.include({ kind: 'access-fault', access: 'store', addr: stack.top, reason: 'unmapped' });
  });

  it('a stack overflow below the base hits the guard page', () => {
    const stack = defaultStack(hart);
    const r = callKernel(hart, put('sd zero, -8(a0)\nret'), [stack.base]);
    if (r.kind !== 'trap') expect.fail(r.kind);
    expect(r.trap).to.deep.include({ kind: 'access-fault', access: 'store', addr: stack.base - 8n, reason: 'unmapped' });
    expect(stack.guardBelow).to.equal(stack.base - 4096n);
  });

  it('reports traps, timeouts and other stops', () => {
    const t = callKernel(hart, 0xffffffff90000000n, []);
    expect(t.kind).to.equal('trap');
    if (t.kind === 'trap') expect(t.trap).to.deep.include({ kind: 'access-fault', access: 'fetch', reason: 'unmapped' });

    const loop = put('1: j 1b');
    expect(callKernel(hart, loop, [], { budget: 50 })).to.deep.equal({ kind: 'timeout', pc: loop, instructions: 50 });

    const bug = hostCallArea(machine).add('test_bug_helper', () => {
      throw new StopSignal('BUG: test');
    });
    const s = callKernel(hart, bug, []);
    expect(s).to.deep.include({ kind: 'stop', reason: 'BUG: test', pc: bug });
    expect(kernel.kallsyms.format(bug)).to.equal('test_bug_helper+0x0/0x10');
  });

  it('records recent pcs when asked', () => {
    const r = callKernel(hart, kernel.sym('bpf_fentry_test1'), [1n], { trace: 8 });
    expect(r.kind).to.equal('returned');
    const pcs = hart.recentPcs();
    expect(pcs[pcs.length - 1]).to.equal(hostCallArea(machine).addressOf(RETURN_SENTINEL));
    expect(kernel.kallsyms.format(pcs[0]!)).to.match(/^bpf_fentry_test1\+/);
  });

  it('rejects a misaligned stack', () => {
    expect(() => callKernel(hart, code, [], { stack: defaultStack(hart).top - 8n })).to.throw(/not 16-byte aligned/);
  });
});
