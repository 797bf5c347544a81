/**
 * Functions whose arguments take more than 12 slots. Since v6.11 the riscv trampoline limits
 * the number of arguments (MAX_BPF_FUNC_ARGS, 12), not the slots they take: twelve arguments
 * with 16-byte structs among them reach past a7 and 12 slots, and every slot past a7 comes
 * from the caller's stack. Those functions must be traced like any other there (every
 * contract, not only the answer), and refused with -ENOTSUPP, text untouched, before v6.11.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { getProfile, withinArgLimit } from '../../kernel/profiles/profiles';
import { runCase } from './run-case';
import { MAX_ARG_SLOTS, slotCount, type ArgKind, type GenFunc } from './gen/func';
import { arbAttachCase, limitsFor } from './gen/arbitraries';
import { RUNS, checkCases } from './suite';
import { propertyTimeout } from './params';
import type { PropCase } from './case';

const ARGS: ArgKind[] = ['struct16', 'int', 'struct16', 'char', 'long', 'struct16', 'short', 'u64', 'ptr', 'struct16', 'int', 'struct16'];

function manyArgsCase(args: readonly ArgKind[]): PropCase {
  // f0 (frame, s1..s3, calls f1) -> f1 (frameless leaf): both take every argument.
  const f1: GenFunc = { args, ret: 'int', frame: 'none', saved: 0, locals: 0, pad: 0, salt: 0x51n };
  const f0: GenFunc = { args, ret: 'long', frame: 'fp', saved: 3, locals: 1, pad: 16, callee: 1, salt: 0x50n };
  let w = 0x0123_4567_89ab_cdefn;
  const next = () => (w = BigInt.asUintN(64, w * 0x9e37_79b9_7f4a_7c15n + 0x1234_5n));
  const values = args.map((k) => (k === 'struct16' ? ([next(), next()] as const) : k === 'char' ? -5n : k === 'short' ? -300n : k === 'int' ? -70000n : next()));
  return {
    module: { functions: [f0, f1] },
    progs: [
      { kind: 'fentry', target: 0, cookie: 0x1122_3344_5566_7788n, usesIp: true, argCnt: true, ret: 0n, r0: 64 },
      { kind: 'fexit', target: 0, cookie: 3n, usesIp: false, argCnt: true, ret: 0n, r0: 64 },
      { kind: 'fmod_ret', target: 1, cookie: 0n, usesIp: false, argCnt: false, ret: 0n, r0: 64 },
      { kind: 'fexit', target: 1, cookie: 0n, usesIp: true, argCnt: false, ret: 0n, r0: 64 },
    ],
    steps: [
      { op: 'call', fn: 0, args: values },
      ...[0, 1, 2, 3].map((prog) => ({ op: 'attach' as const, prog })),
      { op: 'call', fn: 0, args: values },
      { op: 'call', fn: 1, args: values },
      { op: 'detach', prog: 1 },
      { op: 'call', fn: 0, args: values },
      ...[0, 2, 3].map((prog) => ({ op: 'detach' as const, prog })),
      { op: 'call', fn: 0, args: values },
    ],
  };
}

describe('functions with more than 12 argument slots', () => {
  const c = manyArgsCase(ARGS);
  const f = c.module.functions[0]!;

  it('the case has 12 arguments in 17 slots', () => {
    expect([f.args.length, slotCount(f)]).to.deep.equal([12, 17]);
  });

  for (const name of ['v6.11', 'v6.11-norvc', 'v6.16', 'v6.16-norvc']) {
    it(`${name}: are traced, every contract holding (12 arguments is the limit, not 12 slots)`, () => {
      expect(withinArgLimit(getProfile(name).argLimit, f.args.length, slotCount(f))).to.equal(true);
      expect(runCase(name, c)).to.deep.equal({ ok: true });
    });
  }

  for (const name of ['v6.8', 'v6.8-norvc']) {
    it(`${name}: are refused with -ENOTSUPP (8 slots before v6.11), nothing patched`, () => {
      expect(withinArgLimit(getProfile(name).argLimit, f.args.length, slotCount(f))).to.equal(false);
      expect(runCase(name, c)).to.deep.equal({ ok: true });
    });
  }
});

describe('property: functions of 7-12 arguments, many of them 16-byte structs', function () {
  this.timeout(propertyTimeout(120000));
  const arb = (name: string) => arbAttachCase({ ...limitsFor(getProfile(name)), maxSlots: MAX_ARG_SLOTS, bpf: true, manyArgs: true }, { callFirst: false });

  it('the generator reaches past 12 slots: most cases attach a program to such a function', () => {
    const cases = fc.sample(arb('v6.16'), { seed: 7, numRuns: 100 });
    const past12 = cases.filter((c) => c.progs.some((p) => slotCount(c.module.functions[p.target]!) > 12)).length;
    expect(past12).to.be.greaterThan(50);
  });

  // Every contract: traced where the kernel takes 12 arguments, refused (and nothing
  // changed) where it takes 8 slots.
  for (const name of ['v6.11', 'v6.11-norvc', 'v6.16', 'v6.16-norvc', 'v6.8']) {
    it(`${name}: every contract holds (or the attach is refused as the kernel refuses it)`, function () {
      checkCases(this.test!.fullTitle(), getProfile(name), arb(name), RUNS.bpf);
    });
  }
});
