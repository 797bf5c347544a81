/**
 * The properties must find the 2023 bug by themselves. On v6.5+direct-calls (the DIRECT_CALLS
 * series applied before the trampoline fix: an 8-byte sled, a trampoline built for the 16-byte
 * sled and an ra return) the same generators and checks as on every other profile, knowing
 * nothing of the bug, must fail within a small budget and shrink to a small case: one program
 * on a function with at most two arguments. If this test fails, the properties lost the power
 * to see that bug.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { arbAttachCase, limitsFor } from './gen/arbitraries';
import { arbWorld, arbCommands, runCommands, commandsToCase } from './gen/commands';
import { BROKEN, caseProperty, seedOf } from './suite';
import { describeCase, type PropCase } from './case';
import { CaseFailure, fcParams, runParams, propertyTimeout } from './params';

const BUDGET = 200;

function expectSmall(c: PropCase, what: string): void {
  const attaches = c.steps.filter((s) => s.op === 'attach');
  expect(attaches.length, `${what}: attach steps in\n${describeCase(c)}`).to.equal(1);
  const target = c.progs[attaches[0]!.op === 'attach' ? attaches[0]!.prog : 0]!.target;
  expect(c.module.functions[target]!.args.length, `${what}: arguments of the traced function in\n${describeCase(c)}`).to.be.at.most(2);
}

function report(title: string, d: { readonly numRuns: number; readonly numShrinks: number; readonly errorInstance: unknown }, c: PropCase): void {
  const first = d.errorInstance instanceof CaseFailure ? d.errorInstance.findings[0] : String(d.errorInstance);
  // One line per search, so the number of cases it took shows in every test run.
  console.log(`      ${title}: failed at case ${d.numRuns}, shrunk in ${d.numShrinks} steps to:\n${describeCase(c).replace(/^/gm, '      ')}\n        ${first}`);
}

describe('property: the 2023 regression is found without knowing it (v6.5+direct-calls)', function () {
  this.timeout(propertyTimeout(120000));
  for (const p of BROKEN) {
    it(`${p.name}: the attachment-set property fails within ${BUDGET} cases and shrinks to one program on a function with <= 2 arguments`, function () {
      const run = runParams({ seed: seedOf(this.test!.fullTitle()), numRuns: BUDGET });
      const d = fc.check(caseProperty(p, arbAttachCase(limitsFor(p))), fcParams<[PropCase]>(run));
      expect(d.failed, 'the property passed: it no longer sees the bug').to.equal(true);
      const c = d.counterexample![0];
      report(p.name, d, c);
      expectSmall(c, p.name);
    });

    it(`${p.name}: the model-based command property fails within ${BUDGET} sequences too`, function () {
      const run = runParams({ seed: seedOf(this.test!.fullTitle()), numRuns: BUDGET });
      const prop = fc.property(arbWorld(limitsFor(p)), arbCommands(p), (w, cmds) => runCommands(p, w, cmds));
      const d = fc.check(prop, fcParams(run));
      expect(d.failed, 'the property passed: it no longer sees the bug').to.equal(true);
      const [w, cmds] = d.counterexample!;
      const c = commandsToCase(p, w, cmds);
      report(`${p.name} (commands)`, d, c);
      expectSmall(c, `${p.name} (commands)`);
    });
  }
});
