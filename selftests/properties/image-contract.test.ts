/**
 * Image contract: text patches land only in trampoline images, ftrace sleds and ftrace's own
 * call sites; during a call no guest store reaches memory outside the live stack and the
 * functions' data; the kernel log stays free of WARN / BUG; after each call the BPF runtime is
 * idle (no enter without exit, no image reference held, run_ctx restored, prog->active 0).
 */
import { arbStepsCase, limitsFor } from './gen/arbitraries';
import { BPF_PROFILES, TRACER_ONLY, RUNS, checkCases } from './suite';
import { propertyTimeout } from './params';

describe('property: image contract', function () {
  this.timeout(propertyTimeout(120000));
  for (const p of [...BPF_PROFILES, ...TRACER_ONLY]) {
    const bpf = BPF_PROFILES.includes(p);
    it(`${p.name}: nothing written outside the trampoline images and sleds, no WARN/BUG, runtime idle after calls${bpf ? '' : ' (function tracer only)'}`, function () {
      checkCases(this.test!.fullTitle(), p, arbStepsCase(limitsFor(p)), bpf ? RUNS.bpf : RUNS.tracerOnly, ['image']);
    });
  }
});
