/**
 * The generators themselves: the machine code body.ts emits computes exactly what model.ts
 * says, on every layout (RVC or not, every sled shape), keeps the psABI (callee-saved
 * registers, frames, stack arguments), and depends on every argument word.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { bootKernel } from '../../../kernel/kernel';
import { PROFILES, getProfile } from '../../../kernel/profiles/profiles';
import { loadModule, boundaryMonitor } from '../../../kernel/module';
import { describeError } from '../../../kernel/errno';
import { moduleSpec } from './body';
import { argWords, fnName, outName, slotCount, type GenModule } from './func';
import { untraced } from './model';
import { arbModule, arbRawArgs, fitArgs, arbAttachCase, limitsFor } from './arbitraries';
import { assertProperty, runParams, CaseFailure, propertyTimeout } from '../params';
import { caseFromJson, caseToJson } from '../case';

const ONE: GenModule = {
  functions: [
    { args: ['int', 'struct16', 'char', 'long', 'u64', 'ptr', 'short', 'int', 'long', 'u64'], ret: 'int', frame: 'fp', saved: 11, locals: 3, pad: 48, callee: 1, salt: 0x1234n },
    { args: ['char', 'long', 'long', 'long', 'long', 'long', 'long', 'struct16', 'short', 'int'], ret: 'short', frame: 'fp', saved: 0, locals: 1, pad: 0, callee: 2, salt: 0x99n },
    { args: ['ptr', 'long', 'long', 'long', 'long', 'long', 'long', 'long', 'long', 'char', 'short', 'int'], ret: 'char', frame: 'none', saved: 0, locals: 0, pad: 0, salt: 0xfffffffffffffff1n },
  ],
};

/** A fresh kernel of the profile with the module loaded; calls f untraced, returns a0 and the out slots. */
function runUntraced(profile: string, m: GenModule, fn: number, words: bigint[]) {
  const k = bootKernel(profile);
  const mod = loadModule(k, moduleSpec(m));
  if (!mod.ok) throw new Error(describeError(mod));
  const mons = m.functions.map((_, i) => boundaryMonitor(k, fnName(i)));
  const r = k.call(mod.value.fn(fnName(fn)).addr, words, { budget: 100_000 });
  mons.forEach((x) => x.remove());
  const outs = m.functions.map((_, i) => k.machine.memory.readU(mod.value.address(outName(i)), 8));
  return { r, outs, findings: mons.flatMap((x) => x.findings.map((f) => f.message)) };
}

describe('selftests/properties/gen: generated functions', function () {
  this.timeout(propertyTimeout(120000));

  for (const p of PROFILES.filter((x) => ['v6.2', 'v6.8', 'v6.16'].includes(x.base))) {
    it(`${p.name}: a hand-picked module (stack arguments, a struct split across a7 and the stack, s1-s11, nested calls) computes the model's value`, () => {
      const words = argWords(ONE.functions[0]!, [1n, [2n, 3n], -4n, -5n, 6n, 7n, 8n, 9n, 10n, 11n]);
      const { r, findings } = runUntraced(p.name, ONE, 0, words);
      expect(r.kind).to.equal('returned');
      if (r.kind !== 'returned') return;
      expect(r.abi).to.deep.equal([]);
      expect(findings).to.deep.equal([]);
      expect(r.value).to.equal(untraced(ONE, 0, words).ret);
    });
  }

  it('every argument word matters: changing any one changes the result', () => {
    const f = ONE.functions[2]!;
    const words = argWords(f, [0x1000n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n]);
    const base = untraced(ONE, 2, words).hash;
    for (let i = 0; i < slotCount(f); i++) {
      const w = [...words];
      w[i] = w[i]! ^ 1n;
      expect(untraced(ONE, 2, w).hash, `word ${i}`).to.not.equal(base);
    }
  });

  it('property: on every profile, random modules and arguments give the model\'s return value and output slots, with the ABI kept', () => {
    const run = runParams({ seed: 0x6e6e01, numRuns: 40 });
    const profiles = PROFILES.map((p) => p.name);
    assertProperty('generated functions match their model', run, fc.property(
      arbModule({ maxSlots: 12, maxFunctions: 3 }), fc.nat(), fc.constantFrom(...profiles), arbRawArgs,
      (m, fnRaw, profile, raw) => {
        const fn = fnRaw % m.functions.length;
        const words = argWords(m.functions[fn]!, fitArgs(m.functions[fn]!, raw));
        const { r, outs, findings } = runUntraced(profile, m, fn, words);
        const problems = [...findings];
        if (r.kind !== 'returned') problems.push(`${profile}: ${r.kind}`);
        else {
          problems.push(...r.abi.map((v) => `${v.reg} not preserved`));
          const want = untraced(m, fn, words);
          if (r.value !== want.ret) problems.push(`${profile}: returned ${r.value}, model ${want.ret}`);
          if (outs[fn] !== want.hash) problems.push(`${profile}: out hash ${outs[fn]}, model ${want.hash}`);
        }
        if (problems.length > 0) throw new CaseFailure(problems);
      },
    ));
  });

  it('cases survive a JSON round trip (bigints as hex strings)', () => {
    fc.assert(fc.property(arbAttachCase(limitsFor(getProfile('v6.16'))), (c) => {
      expect(caseFromJson(caseToJson(c))).to.deep.equal(c);
    }), { seed: 7, numRuns: 50 });
  });
});
