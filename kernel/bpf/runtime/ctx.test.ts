/**
 * The typed ctx view and the tracing helpers, on ctx arrays written by hand the way a
 * trampoline lays them out (nregs at ctx-8, ip at ctx-16, the return value after the
 * argument slots), and program return values in a0 / a5 with the JIT's convention.
 */
import { expect } from 'chai';
import { bootKernel, type Kernel } from '../../kernel';
import { scratchPage } from '../../image';
import { poisonValue } from '../../../emulator/cpu/machine';
import { bpfRuntime, type BpfRuntime } from './runtime';
import type { ProgCtx, HelperResult } from './ctx';
import type { ProgSpec } from './prog';
import { argLayout, structLayout, type StructType } from './types';

interface Env {
  readonly k: Kernel;
  readonly rt: BpfRuntime;
  readonly ctx: bigint;
}

function setup(): Env {
  const k = bootKernel('v6.11');
  return { k, rt: bpfRuntime(k), ctx: scratchPage(k.machine) + 0x800n };
}

/** Writes a ctx: slots from ctx, nregs at ctx-8 (default: the slot count), ip at ctx-16. */
function writeCtx(env: Env, slots: readonly bigint[], opts: { nregs?: bigint; ip?: bigint } = {}): void {
  const mem = env.k.machine.memory;
  slots.forEach((v, i) => mem.writeU(env.ctx + BigInt(8 * i), 8, v));
  mem.writeU(env.ctx - 8n, 8, opts.nregs ?? BigInt(slots.length));
  mem.writeU(env.ctx - 16n, 8, opts.ip ?? 0n);
}

/** Runs a program's body on the ctx (a direct call of bpf_func) and returns what fn saw. */
function runOn<T>(env: Env, spec: Omit<ProgSpec, 'body'>, fn: (ctx: ProgCtx) => T): T {
  let seen: { v: T } | undefined;
  const p = env.rt.loadProg({ ...spec, body: (ctx) => { seen = { v: fn(ctx) }; } });
  const r = env.k.call(p.bpfFunc, [env.ctx]);
  if (r.kind !== 'returned') throw new Error(`program call: ${r.kind}`);
  if (!seen) throw new Error('body did not run');
  return seen.v;
}

const S_LONG2: StructType = { struct: 'bpf_testmod_struct_arg_2', fields: [['a', 'long'], ['b', 'long']] };
const S_ARG4: StructType = { struct: 'bpf_testmod_struct_arg_4', fields: [['a', 'u64'], ['b', 'int']] };
const S_ARG5: StructType = { struct: 'bpf_testmod_struct_arg_5', fields: [['a', 'char'], ['b', 'short'], ['c', 'int'], ['d', 'long']] };
const S_INT: StructType = { struct: 'bpf_testmod_struct_arg_1', fields: [['a', 'int']] };

describe('bpf ctx: typed argument reads', () => {
  it('reads only the bytes of the C type and extends them by its signedness', () => {
    const env = setup();
    const G = 0x5a5a_5a5a_0000_0000n; // garbage an upper half may hold
    writeCtx(env, [G | 0xfcn, G | 0xfffen, 0x8000_0000n, 0x8000_0000n, 0xffff_ffff_ffff_fff6n, 0x1ffn, 0xffffffff80001234n, G | 4n]);
    const got = runOn(env, {
      name: 'typed', attach: 'fentry', target: 'f',
      args: [
        { name: 'c', type: 'char' }, { name: 's', type: 'short' }, { name: 'i', type: 'int' }, { name: 'u', type: 'u32' },
        { name: 'l', type: 'long' }, { name: 'b', type: 'u8' }, { name: 'p', type: 'ptr' }, { name: 'i2', type: 'int' },
      ],
    }, (ctx) => ['c', 's', 'i', 'u', 'l', 'b', 'p', 'i2'].map((n) => ctx.arg(n)).concat([ctx.arg(0), ctx.word(0)]));
    expect(got).to.deep.equal([-4n, -2n, -2147483648n, 2147483648n, -10n, 255n, 0xffffffff80001234n, 4n, -4n, G | 0xfcn]);
  });

  it('bpf_fentry_test3 / test5 style argument checks', () => {
    const env = setup();
    writeCtx(env, [11n, 12n, 13n, 14n, 15n]);
    const ok = runOn(env, {
      name: 'test5', attach: 'fentry', target: 'bpf_fentry_test5',
      args: [{ name: 'a', type: 'u64' }, { name: 'b', type: 'ptr' }, { name: 'c', type: 'short' }, { name: 'd', type: 'int' }, { name: 'e', type: 'u64' }],
    }, (ctx) => ctx.arg('a') === 11n && ctx.arg('b') === 12n && ctx.arg('c') === 13n && ctx.arg('d') === 14n && ctx.arg('e') === 15n);
    expect(ok).to.equal(true);
  });

  it('struct layouts follow C alignment; structs up to 16 bytes take 1 or 2 slots, larger ones are refused', () => {
    expect(structLayout(S_ARG5)).to.deep.equal({
      size: 16, align: 8,
      fields: [{ name: 'a', type: 'char', offset: 0 }, { name: 'b', type: 'short', offset: 2 }, { name: 'c', type: 'int', offset: 4 }, { name: 'd', type: 'long', offset: 8 }],
    });
    expect(structLayout(S_ARG4).size).to.equal(16);
    const l = argLayout([{ name: 'a', type: S_INT }, { name: 'b', type: 'int' }, { name: 'e', type: S_LONG2 }]);
    expect(l.args.map((a) => [a.slot, a.slots])).to.deep.equal([[0, 1], [1, 1], [2, 2]]);
    expect(l.slots).to.equal(4);
    const big: StructType = { struct: 'big', fields: [['a', 'long'], ['b', 'long'], ['c', 'int']] };
    expect(() => argLayout([{ name: 'x', type: big }])).to.throw(/24 bytes/);
  });

  it('struct arguments over two slots (tracing_struct t4 and t9 shapes)', () => {
    const env = setup();
    // t4: (struct arg_1 a = {10}, int b = 1, int c = 2, int d = 3, struct arg_2 e = {2, 3}) -> 21
    writeCtx(env, [10n, 1n, 2n, 3n, 2n, 3n, 21n], { nregs: 6n });
    const t4 = runOn(env, {
      name: 't4', attach: 'fexit', target: 'bpf_testmod_test_struct_arg_4',
      args: [{ name: 'a', type: S_INT }, { name: 'b', type: 'int' }, { name: 'c', type: 'int' }, { name: 'd', type: 'int' }, { name: 'e', type: S_LONG2 }],
    }, (ctx) => [ctx.struct('a').a, ctx.arg('b'), ctx.arg('d'), ctx.struct('e').a, ctx.struct('e').b, ctx.ret(), ctx.argCnt()]);
    expect(t4).to.deep.equal([10n, 1n, 3n, 2n, 3n, 21n, 6n]);
    // struct arg_5 {char a; short b; int c; long d} = {23, 24, 25, 26}: bytes 17 00 18 00 19 00 00 00 | 26
    writeCtx(env, [0x19_0018_0017n, 26n]);
    const t9 = runOn(env, { name: 't9', attach: 'fentry', target: 'f', args: [{ name: 'h', type: S_ARG5 }] }, (ctx) => ctx.struct('h'));
    expect(t9).to.deep.equal({ a: 23n, b: 24n, c: 25n, d: 26n });
  });

  it('mistakes in a program definition are errors, not silent zeros', () => {
    const env = setup();
    writeCtx(env, [1n, 2n]);
    const spec = { name: 'p', attach: 'fentry' as const, target: 'f', args: [{ name: 'a', type: 'int' as const }, { name: 's', type: S_LONG2 }] };
    expect(() => runOn(env, spec, (ctx) => ctx.arg('nope'))).to.throw(/no argument 'nope' \(declared: a, s\)/);
    expect(() => runOn(env, spec, (ctx) => ctx.arg('s'))).to.throw(/use ctx.struct/);
    expect(() => runOn(env, spec, (ctx) => ctx.ret())).to.throw(/fentry programs cannot read the return value/);
    expect(() => runOn(env, spec, (ctx) => ctx.funcIp())).to.throw(/usesFuncIp/);
    expect(() => runOn(env, { name: 'r', attach: 'fexit', target: 'f' }, (ctx) => ctx.ret())).to.throw(/needs the arguments declared/);
  });
});

describe('bpf ctx: return value, helpers, pointers', () => {
  it('ctx.ret() is the slot after the declared arguments, with the return type', () => {
    const env = setup();
    writeCtx(env, [2n, 3n, 0xffff_ffff_ffff_ffeen], { nregs: 2n });
    const spec = { name: 'test2', attach: 'fexit' as const, target: 'bpf_fentry_test2', args: [{ name: 'a', type: 'int' as const }, { name: 'b', type: 'u64' as const }] };
    expect(runOn(env, spec, (ctx) => ctx.ret())).to.equal(-18n);
    expect(runOn(env, { ...spec, ret: 'u32' }, (ctx) => ctx.ret())).to.equal(0xffff_ffeen);
    // raw (all-u64) programs: 11 arguments, u64 return
    writeCtx(env, [...Array.from({ length: 11 }, (_, i) => BigInt(16 + i)), 231n]);
    const raw = runOn(env, { name: 'test3', attach: 'fexit', target: 'bpf_testmod_fentry_test11', args: 11 }, (ctx) => [ctx.arg('a10'), ctx.word(8), ctx.ret()]);
    expect(raw).to.deep.equal([26n, 24n, 231n]);
  });

  it('get_func_args_test: arg count, args, -EINVAL past the count, -EOPNOTSUPP for fentry ret', () => {
    const env = setup();
    writeCtx(env, [1n, 7n], { nregs: 1n });
    const helpers = (ctx: ProgCtx): (bigint | HelperResult)[] => [ctx.argCnt(), ctx.getFuncArg(0), ctx.getFuncArg(1), ctx.getFuncRet()];
    const test1 = runOn(env, { name: 'test1', attach: 'fentry', target: 'bpf_fentry_test1', args: [{ name: 'a', type: 'int' }] }, helpers);
    expect(test1).to.deep.equal([1n, { err: 0n, value: 1n }, { err: -22n, value: 0n }, { err: -95n, value: 0n }]);
    // fexit: bpf_get_func_ret reads ctx[nregs], nregs as the trampoline stored it
    writeCtx(env, [2n, 3n, 5n], { nregs: 2n });
    const test2 = runOn(env, { name: 'test2', attach: 'fexit', target: 'bpf_fentry_test2' }, helpers);
    expect(test2).to.deep.equal([2n, { err: 0n, value: 2n }, { err: 0n, value: 3n }, { err: 0n, value: 5n }]);
    const fmod = runOn(env, { name: 'fm', attach: 'fmod_ret', target: 'bpf_modify_return_test' }, (ctx) => [ctx.getFuncRet(), ctx.getFuncArg(-1)]);
    expect(fmod).to.deep.equal([{ err: 0n, value: 5n }, { err: -22n, value: 0n }]);
    // a garbage nregs sends bpf_get_func_ret off the ctx: a paging fault, as in the kernel
    writeCtx(env, [2n, 3n, 5n], { nregs: 0x1000_0000_0000n });
    const p = env.rt.loadProg({ name: 'g', attach: 'fexit', target: 'f', body: (ctx) => ctx.getFuncRet().value });
    expect(env.k.call(p.bpfFunc, [env.ctx]).kind).to.equal('stop');
    expect(env.k.log.problems()[0]!.text).to.include('bpf_get_func_ret: prog g ctx[17592186044416]');
  });

  it('bpf_get_func_ip reads ctx-16 for programs that declare it', () => {
    const env = setup();
    const ip = env.k.sym('bpf_fentry_test1');
    writeCtx(env, [1n], { ip });
    expect(runOn(env, { name: 'test1', attach: 'fentry', target: 'bpf_fentry_test1', usesFuncIp: true }, (ctx) => ctx.funcIp())).to.equal(ip);
  });

  it('BTF pointer arguments are dereferenced with probe reads (test7 / test8 / test9)', () => {
    const env = setup();
    const data = env.ctx + 0x100n;
    const mem = env.k.machine.memory;
    mem.writeU(data, 8, 0n); // struct bpf_fentry_test_t { *a } = {}
    mem.writeU(data + 8n, 4, 0xffff_ffffn);
    writeCtx(env, [data]);
    const spec = { name: 'test8', attach: 'fentry' as const, target: 'bpf_fentry_test8', args: [{ name: 'arg', type: 'ptr' as const }] };
    expect(runOn(env, spec, (ctx) => [ctx.read(ctx.arg('arg')), ctx.read(ctx.arg('arg') + 8n, 'int'), ctx.read(ctx.arg('arg') + 8n, 'u32')])).to.deep.equal([0n, -1n, 0xffff_ffffn]);
    writeCtx(env, [0n]);
    let faults = 0;
    const v = runOn(env, spec, (ctx) => {
      const r = ctx.read(ctx.arg('arg'));
      faults = ctx.prog.probeFaults;
      return r;
    });
    expect([v, faults]).to.deep.equal([0n, 1]);
  });

  it('a ctx pointer that is not mapped is a kernel paging fault in the program', () => {
    const env = setup();
    const p = env.rt.loadProg({ name: 'p', attach: 'fentry', target: 'f', args: 1, body: (ctx) => ctx.arg(0) });
    const r = env.k.call(p.bpfFunc, [0x40n]);
    expect(r.kind).to.equal('stop');
    expect(env.k.log.problems()[0]!.text).to.match(/^BUG: Unable to handle kernel paging request at virtual address 0000000000000040 \(bpf prog p ctx\[0\]\)/);
  });
});

describe('bpf programs: return values in a0 and a5', () => {
  const cases: [string, bigint | number | boolean | undefined, 32 | 64 | undefined, bigint, bigint][] = [
    // [what, body returns, r0 width, a5 (BPF R0), a0 (addiw a0, a5, 0)]
    ['small positive', 1234, undefined, 1234n, 1234n],
    ['negative int, 64-bit R0', -22n, undefined, 0xffff_ffff_ffff_ffean, 0xffff_ffff_ffff_ffean],
    ['negative int, zero-extended 32-bit R0', -22n, 32, 0xffff_ffean, 0xffff_ffff_ffff_ffean],
    ['bit 31 set', 0x8000_0000n, undefined, 0x8000_0000n, 0xffff_ffff_8000_0000n],
    ['upper half set', 0x1_0000_0005n, undefined, 0x1_0000_0005n, 5n],
    ['true', true, undefined, 1n, 1n],
    ['void', undefined, undefined, 0n, 0n],
  ];
  for (const [what, ret, r0, a5, a0] of cases) {
    it(`${what}: a5 = ${a5.toString(16)}, a0 = ${a0.toString(16)}`, () => {
      const env = setup();
      const p = env.rt.loadProg({ name: 'r', attach: 'fmod_ret', target: 'f', ...(r0 !== undefined ? { r0 } : {}), body: () => ret });
      const r = env.k.call(p.bpfFunc, [env.ctx]);
      expect(r.kind === 'returned' && r.value).to.equal(a0);
      expect(env.k.hart.reg(15)).to.equal(a5);
      expect(env.k.hart.reg(11)).to.equal(poisonValue(11));
      expect(env.k.hart.reg(14)).to.equal(poisonValue(14));
      expect(env.k.hart.reg(7)).to.equal(poisonValue(7));
      expect(p.runs).to.equal(1);
    });
  }
});
