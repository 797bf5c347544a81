import { expect } from 'chai';
import fc from 'fast-check';
import { getProfile } from '../../kernel/profiles/profiles';
import { caseFromJson, caseToJson, type PropCase } from './case';
import { caseProblem } from './case-check';
import { limitsFor } from './gen/arbitraries';
import { arbAttachCase, arbStepsCase } from './gen/arbitraries';
import { arbCommands, arbWorld, commandsToCase } from './gen/commands';

/** A small valid case: a struct16 and an int argument, two programs, every kind of step. */
const BASE: PropCase = {
  module: { functions: [{ args: ['struct16', 'int'], ret: 'long', frame: 'fp', saved: 1, locals: 0, pad: 0, salt: 5n }] },
  progs: [
    { kind: 'fentry', target: 0, cookie: 0n, usesIp: false, argCnt: false, ret: 0n, r0: 64 },
    { kind: 'fmod_ret', target: 0, cookie: 7n, usesIp: true, argCnt: true, ret: 1n, r0: 32 },
  ],
  steps: [
    { op: 'attach', prog: 0 },
    { op: 'call', fn: 0, args: [[1n, 2n], 3n] },
    { op: 'tracer-on', fns: [0] },
    { op: 'tracer-off' },
    { op: 'detach', prog: 0 },
  ],
};

/** BASE as JSON gives it back, with one change made by `edit` (on the parsed object). */
function edited(edit: (c: any) => void): unknown {
  const c = caseFromJson(caseToJson(BASE)) as any;
  edit(c);
  return c;
}

describe('selftests/properties case-check (replay files)', () => {
  it('every case the generators make, read back from JSON, is well formed', () => {
    const p = getProfile('v6.16');
    const l = limitsFor(p);
    fc.assert(
      fc.property(fc.oneof(arbAttachCase(l), arbStepsCase(l), fc.tuple(arbWorld(l), arbCommands(p)).map(([w, cmds]) => commandsToCase(p, w, cmds))), (c) => {
        expect(caseProblem(caseFromJson(caseToJson(c)))).to.equal(undefined);
      }),
      { seed: 0xcc, numRuns: 150 },
    );
    expect(caseProblem(caseFromJson(caseToJson(BASE)))).to.equal(undefined);
  });

  it('names the first wrong field with its path', () => {
    const cases: [(c: any) => void, RegExp][] = [
      [(c) => (c.module = 3), /^case\.module: not an object$/],
      [(c) => (c.module.functions = 'x'), /^case\.module\.functions: not an array$/],
      [(c) => (c.module.functions = []), /^case\.module: a module needs at least one function$/],
      [(c) => (c.module.functions[0].args[1] = 'float'), /^case\.module\.functions\[0\]\.args\[1\]: 'float' is not one of char, short/],
      [(c) => (c.module.functions[0].ret = 'struct16'), /^case\.module\.functions\[0\]\.ret: 'struct16' is not one of/],
      [(c) => (c.module.functions[0].frame = 'big'), /\.frame: 'big' is not 'none' or 'fp'$/],
      [(c) => (c.module.functions[0].saved = '1'), /\.saved: '1' is not an integer$/],
      [(c) => (c.module.functions[0].salt = 5), /\.salt: 5 is not a 64-bit "0x\.\.\." value$/],
      [(c) => (c.module.functions[0].saved = 99), /^case\.module: rvt_gen_f0: saved 99$/],
      [(c) => (c.progs = {}), /^case\.progs: not an array$/],
      [(c) => (c.progs[1].kind = 'kprobe'), /^case\.progs\[1\]\.kind: 'kprobe' is not one of fentry, fexit, fmod_ret, fsession$/],
      [(c) => (c.progs[0].target = 1), /^case\.progs\[0\]\.target: 1 is not a function index \(1 function\)$/],
      [(c) => (c.progs[0].cookie = 1), /^case\.progs\[0\]\.cookie: 1 is not a 64-bit "0x\.\.\." value$/],
      [(c) => (c.progs[0].usesIp = 'yes'), /^case\.progs\[0\]\.usesIp: 'yes' is not true or false$/],
      [(c) => (c.progs[0].r0 = 16), /^case\.progs\[0\]\.r0: 16 is not 32 or 64$/],
      [(c) => (c.progs[0].session = true), /^case\.progs\[0\]\.session: true: only an fsession program may have it \(true or false\)$/],
      [(c) => (c.steps = null), /^case\.steps: not an array$/],
      [(c) => (c.steps[4].op = 'zap'), /^case\.steps\[4\]\.op: 'zap' is not one of attach, detach, call, tracer-on, tracer-off$/],
      [(c) => (c.steps[0].prog = 2), /^case\.steps\[0\]\.prog: 2 is not a program index \(2 programs\)$/],
      [(c) => (c.steps[1].fn = -1), /^case\.steps\[1\]\.fn: -1 is not a function index/],
      [(c) => c.steps[1].args.pop(), /^case\.steps\[1\]\.args: 2 arguments expected, got/],
      [(c) => (c.steps[1].args[0] = 1n), /^case\.steps\[1\]\.args\[0\]: a struct16 argument is two 64-bit values \["0x\.\.\.", "0x\.\.\."\], got 0x1$/],
      [(c) => (c.steps[1].args[1] = [1n, 2n]), /^case\.steps\[1\]\.args\[1\]: \[/],
      [(c) => (c.steps[2].fns = [0, 3]), /^case\.steps\[2\]\.fns\[1\]: 3 is not a function index$/],
      // Values wider than a register would run cut to 64 bits: not what the file says.
      [(c) => (c.module.functions[0].salt = 2n ** 64n), /^case\.module\.functions\[0\]\.salt: 0x10000000000000000 is not a 64-bit "0x\.\.\." value$/],
      [(c) => (c.progs[1].ret = -(2n ** 63n) - 1n), /^case\.progs\[1\]\.ret: -0x8000000000000001 is not a 64-bit/],
      [(c) => (c.steps[1].args[1] = 2n ** 70n), /^case\.steps\[1\]\.args\[1\]: 0x400000000000000000 is not a 64-bit/],
      [(c) => (c.steps[1].args[0] = [1n, 2n ** 64n]), /^case\.steps\[1\]\.args\[0\]: a struct16 argument is two 64-bit values/],
      // A chain of calls through every function must fit the kernel stack.
      [(c) => (c.module.functions = Array.from({ length: 9 }, () => c.module.functions[0])), /^case\.module: 9 functions \(at most 8\)$/],
    ];
    for (const [edit, want] of cases) expect(caseProblem(edited(edit)), String(want)).to.match(want);
    // The extremes of both readings of 64 bits are fine.
    expect(caseProblem(edited((c) => (c.steps[1].args[1] = 2n ** 64n - 1n)))).to.equal(undefined);
    expect(caseProblem(edited((c) => (c.progs[0].cookie = -(2n ** 63n))))).to.equal(undefined);
    expect(caseProblem('x')).to.equal('case: not an object');
  });
});
