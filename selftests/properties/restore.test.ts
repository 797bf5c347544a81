/**
 * Restore: whenever nothing is attached and the function tracer is off (after any sequence of
 * attach, re-attach, detach, double detach, calls and tracer use), the module text, the
 * kernel text and the ftrace entry code are byte for byte as loaded, and calls behave as
 * untraced again; a refused attach changes no byte.
 */
import { arbStepsCase, limitsFor } from './gen/arbitraries';
import { BPF_PROFILES, TRACER_ONLY, RUNS, checkCases } from './suite';
import { propertyTimeout } from './params';

describe('property: restore on detach', function () {
  this.timeout(propertyTimeout(120000));
  for (const p of [...BPF_PROFILES, ...TRACER_ONLY]) {
    const bpf = BPF_PROFILES.includes(p);
    it(`${p.name}: detaching everything restores every sled byte for byte and the untraced behaviour${bpf ? '' : ' (function tracer only)'}`, function () {
      checkCases(this.test!.fullTitle(), p, arbStepsCase(limitsFor(p)), bpf ? RUNS.bpf : RUNS.tracerOnly, ['restore', 'transparency']);
    });
  }
});
