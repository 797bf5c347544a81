/**
 * Property: struct_ops trampolines are transparent, on every profile with a trampoline. A
 * bpf_dummy_ops member run with BPF_PROG_TEST_RUN (its trampoline called through a pointer by
 * GCC code) with any argument words, any state and any BPF R0:
 *  - the program sees every argument word exactly as the caller passed it (ctx[i]), and
 *    ctx[-1] holds the argument count;
 *  - retval is the int the member returned: the low half of R0;
 *  - the state the program wrote comes back to the user's struct;
 *  - the call returns to its C caller with sp, gp, tp and s0-s11 intact, nothing in the log.
 * test_1 and test_2 alternate; test_1 also with a NULL state (it is __nullable).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { bootKernel } from '../../kernel/kernel';
import { bpfOf } from '../../kernel/bpf/bpf';
import { finishStructOpsTestRun, prepareStructOpsTestRun, STRUCT_OPS_RUN_FN } from '../../kernel/bpf/struct-ops';
import { scratchPage } from '../../kernel/image';
import { PROFILES } from '../../kernel/profiles/profiles';
import type { ProgSpec } from '../../kernel/bpf/runtime';
import type { MutantId } from '../../kernel/mutants/catalogue';
import { assertProperty, propertyTimeout, runParams } from './params';
import { seedOf } from './suite';

interface StCase {
  readonly member: 'test_1' | 'test_2';
  /** test_1 only: pass NULL for the state. */
  readonly nullState: boolean;
  readonly words: readonly bigint[];
  readonly val: number;
  readonly newVal: number;
  readonly r0: bigint;
}

const u64 = fc.bigUintN(64);
const arbCase: fc.Arbitrary<StCase> = fc.record({
  member: fc.constantFrom('test_1' as const, 'test_2' as const),
  nullState: fc.boolean(),
  words: fc.array(u64, { minLength: 4, maxLength: 4 }),
  val: fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
  newVal: fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
  r0: fc.oneof(u64, fc.bigIntN(32).map((v) => BigInt.asUintN(64, v))),
});

/** Runs one case; returns what departed from the contract (empty when nothing did). */
function runStCase(profile: string, c: StCase, mutant?: MutantId): string[] {
  const k = bootKernel(profile, mutant !== undefined ? { mutant } : {});
  const bpf = bpfOf(k);
  const mem = k.machine.memory;
  const nullState = c.member === 'test_1' && c.nullState;
  const user = scratchPage(k.machine) + 0x800n;
  mem.writeU(user, 4, BigInt.asUintN(32, BigInt(c.val)));
  const ctxIn = c.member === 'test_1' ? [nullState ? 0n : user] : [user, ...c.words];
  let seen: { words: bigint[]; nregs: bigint; val: bigint } | undefined;
  const spec: ProgSpec = {
    name: c.member, attach: 'struct_ops', target: `bpf_dummy_ops.${c.member}`,
    body: (x) => {
      // The state pointer is the kernel's copy (&args->state), not the user's.
      seen = { words: ctxIn.map((_, i) => x.word(i)), nregs: x.word(-1), val: x.word(0) === 0n ? 0n : x.read(x.word(0), 'int') };
      if (!nullState) x.write(x.word(0), 'int', BigInt(c.newVal));
      return c.r0;
    },
  };
  const prog = bpf.runtime.load({ name: 'st', progs: [spec] }).prog(c.member);
  const logBefore = k.log.lines().length;
  const prep = prepareStructOpsTestRun(bpf, prog, ctxIn);
  if (!prep.ok) return [`test run refused: ${prep.message}`];
  const r = k.call(STRUCT_OPS_RUN_FN, [prep.value.image, prep.value.args, prep.value.retval], { budget: 100_000 });
  if (r.kind !== 'returned') return [`the call did not return: ${r.kind}`];
  const out: string[] = r.abi.map((v) => `${v.reg} not preserved`);
  const fin = finishStructOpsTestRun(bpf, prep.value);
  if (!fin.ok) return [...out, `finish: ${fin.message}`];
  if (!seen) return [...out, 'the program did not run'];
  if (seen.nregs !== BigInt(ctxIn.length)) out.push(`ctx[-1] = ${seen.nregs}, expected ${ctxIn.length}`);
  if ((seen.words[0] === 0n) !== nullState) out.push(`ctx[0] = 0x${seen.words[0]!.toString(16)}, the state passed was ${nullState ? 'NULL' : 'not NULL'}`);
  else if (!nullState && seen.val !== BigInt(c.val)) out.push(`state->val read through ctx[0] = ${seen.val}, the user's was ${c.val}`);
  seen.words.forEach((w, i) => {
    if (i > 0 && w !== ctxIn[i]) out.push(`ctx[${i}] = 0x${w.toString(16)}, passed 0x${ctxIn[i]!.toString(16)}`);
  });
  const want = Number(BigInt.asUintN(32, c.r0));
  if (fin.value !== want) out.push(`retval 0x${fin.value.toString(16)}, expected 0x${want.toString(16)} (R0 0x${c.r0.toString(16)})`);
  const state = Number(BigInt.asIntN(32, mem.readU(user, 4)));
  const wantState = nullState ? c.val : c.newVal;
  if (state !== wantState) out.push(`state.val ${state}, expected ${wantState}`);
  const log = k.log.lines().slice(logBefore).filter((l) => l.kind === 'warn' || l.kind === 'bug');
  if (log.length > 0) out.push(`kernel log: ${log[0]!.text}`);
  return out;
}

describe('property: struct_ops trampolines are transparent', function () {
  this.timeout(propertyTimeout(120000));
  for (const p of PROFILES.filter((x) => x.trampoline !== 'none')) {
    it(`${p.name}: bpf_dummy_ops members see their arguments, return the program's int and write the state back`, function () {
      const title = this.test!.fullTitle();
      const run = runParams({ seed: seedOf(title), numRuns: 25 });
      assertProperty(title, run, fc.property(arbCase, (c) => {
        const found = runStCase(p.name, c);
        if (found.length > 0) throw new Error(found.join('\n'));
      }));
    });
  }

  it('the check can fail: mutants of the struct_ops path are reported', () => {
    const c: StCase = { member: 'test_2', nullState: false, words: [1n, 2n, 3n, 4n], val: 5, newVal: 6, r0: 0x1_2345_6789n };
    expect(runStCase('v6.16', c)).to.deep.equal([]);
    expect(runStCase('v6.16', c, 'nregs-wrong')).to.deep.equal(['ctx[-1] = 6, expected 5']);
    expect(runStCase('v6.16', c, 'arg-slot-off-by-8')).to.deep.equal(['the call did not return: stop']);
    expect(runStCase('v6.16', c, 'bt3-struct-ops-func-addr')).to.deep.equal(['the call did not return: trap']);
  });
});
