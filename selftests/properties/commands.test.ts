/**
 * Model-based: random sequences of attach, detach, re-attach, calls and function tracer on /
 * off over several generated functions (fc.commands), every step checked against the
 * contract's model, then everything detached and the restore checked.
 */
import fc from 'fast-check';
import { arbWorld, arbCommands, runCommands, commandsToCase } from './gen/commands';
import { limitsFor } from './gen/arbitraries';
import { BPF_PROFILES, TRACER_ONLY, RUNS, seedOf } from './suite';
import { assertProperty, runParams } from './params';

describe('property: attach / detach / call sequences against a model (fc.commands)', function () {
  this.timeout(120000);
  for (const p of [...BPF_PROFILES, ...TRACER_ONLY]) {
    const bpf = BPF_PROFILES.includes(p);
    it(`${p.name}: every step of a command sequence agrees with the model${bpf ? '' : ' (function tracer only)'}`, function () {
      const title = this.test!.fullTitle();
      const run = runParams({ seed: seedOf(title), numRuns: bpf ? RUNS.commandsBpf : RUNS.commandsTracerOnly });
      assertProperty(title, run, fc.property(arbWorld(limitsFor(p)), arbCommands(p), (w, cmds) => runCommands(p, w, cmds)), ([w, cmds]) => commandsToCase(p, w, cmds));
    });
  }
});
