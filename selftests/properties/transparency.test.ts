/**
 * Transparency: a traced call returns what the untraced call returns, and leaves the same
 * memory effects (every generated body's hash and run count), unless an fmod_ret program
 * returned non-zero: then that value (its int) is the return value and the body did not run.
 */
import { arbAttachCase, limitsFor } from './gen/arbitraries';
import { BPF_PROFILES, TRACER_ONLY, RUNS, checkCases } from './suite';
import { propertyTimeout } from './params';

describe('property: transparency', function () {
  this.timeout(propertyTimeout(120000));
  for (const p of [...BPF_PROFILES, ...TRACER_ONLY]) {
    const bpf = BPF_PROFILES.includes(p);
    it(`${p.name}: traced calls return the untraced value and write the same memory, unless fmod_ret says otherwise${bpf ? '' : ' (function tracer only)'}`, function () {
      checkCases(this.test!.fullTitle(), p, arbAttachCase(limitsFor(p)), bpf ? RUNS.bpf : RUNS.tracerOnly, ['transparency']);
    });
  }
});
