/**
 * Model-based: random sequences of attach, detach, re-attach, calls and function tracer on /
 * off over several generated functions (fc.commands), every step checked against the
 * contract's model, then everything detached and the restore checked.
 *
 * "Modify" is the kernel's: a tracing link has no update operation (bpf_tracing_link_lops has
 * no update_prog), so a live trampoline is modified when a program is attached to or detached
 * from a function that keeps others (bpf_trampoline_update -> modify_fentry ->
 * modify_ftrace_direct). The last test counts that the sequences take that path.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Ftrace } from '../../kernel/ftrace/core';
import { getProfile } from '../../kernel/profiles/profiles';
import { arbWorld, arbCommands, runCommands, commandsToCase } from './gen/commands';
import { limitsFor } from './gen/arbitraries';
import { BPF_PROFILES, TRACER_ONLY, RUNS, seedOf } from './suite';
import { assertProperty, runParams, propertyTimeout } from './params';

describe('property: attach / detach / call sequences against a model (fc.commands)', function () {
  this.timeout(propertyTimeout(120000));
  for (const p of [...BPF_PROFILES, ...TRACER_ONLY]) {
    const bpf = BPF_PROFILES.includes(p);
    it(`${p.name}: every step of a command sequence agrees with the model${bpf ? '' : ' (function tracer only)'}`, function () {
      const title = this.test!.fullTitle();
      const run = runParams({ seed: seedOf(title), numRuns: bpf ? RUNS.commandsBpf : RUNS.commandsTracerOnly });
      assertProperty(title, run, fc.property(arbWorld(limitsFor(p)), arbCommands(p), (w, cmds) => runCommands(p, w, cmds)), ([w, cmds]) => commandsToCase(p, w, cmds));
    });
  }

  it('the sequences take every trampoline transition: register, modify (a live trampoline gets a new image) and unregister', function () {
    const p = getProfile('v6.16');
    const counts = { register: 0, modify: 0, unregister: 0 };
    const proto = Ftrace.prototype;
    const { registerDirect, modifyDirect, unregisterDirect } = proto;
    const counted = <A extends unknown[], R extends { ok: boolean }>(f: (this: Ftrace, ...a: A) => R, key: keyof typeof counts) =>
      function (this: Ftrace, ...a: A): R {
        const r = f.apply(this, a);
        if (r.ok) counts[key]++;
        return r;
      };
    proto.registerDirect = counted(registerDirect, 'register');
    proto.modifyDirect = counted(modifyDirect, 'modify');
    proto.unregisterDirect = counted(unregisterDirect, 'unregister');
    try {
      const title = this.test!.fullTitle();
      const run = runParams({ seed: seedOf(title), numRuns: RUNS.commandsBpf });
      assertProperty(title, run, fc.property(arbWorld(limitsFor(p)), arbCommands(p), (w, cmds) => runCommands(p, w, cmds)), ([w, cmds]) => commandsToCase(p, w, cmds));
    } finally {
      Object.assign(proto, { registerDirect, modifyDirect, unregisterDirect });
    }
    expect(counts.register).to.be.greaterThan(0);
    expect(counts.modify, 'no step modified a live trampoline').to.be.greaterThan(0);
    expect(counts.unregister).to.be.greaterThan(0);
  });
});
