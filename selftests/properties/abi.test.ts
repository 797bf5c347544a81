/**
 * ABI: every call of a generated function, traced or not, nested or not, comes back to the
 * instruction after its call with sp, gp, tp and s0-s11 as they were, and enters its body at
 * the first instruction after the sled (CallBoundaryMonitor on every function, plus the host
 * call's own check).
 */
import { arbAttachCase, limitsFor } from './gen/arbitraries';
import { BPF_PROFILES, TRACER_ONLY, RUNS, checkCases } from './suite';
import { propertyTimeout } from './params';

describe('property: ABI at the traced call boundary', function () {
  this.timeout(propertyTimeout(120000));
  for (const p of [...BPF_PROFILES, ...TRACER_ONLY]) {
    const bpf = BPF_PROFILES.includes(p);
    it(`${p.name}: sp, gp, tp, s0-s11 preserved and control back at the call site, bodies entered after the sled${bpf ? '' : ' (function tracer only)'}`, function () {
      checkCases(this.test!.fullTitle(), p, arbAttachCase({ ...limitsFor(p), maxFunctions: 4 }), bpf ? RUNS.bpf : RUNS.tracerOnly, ['abi']);
    });
  }
});
