/**
 * Image contract: text patches land only in trampoline images, ftrace sleds and ftrace's own
 * call sites; during a call no guest store reaches memory outside the live stack and the
 * functions' data; the kernel log stays free of WARN / BUG; after each call the BPF runtime is
 * idle (no enter without exit, no image reference held, run_ctx restored, prog->active 0).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { getProfile } from '../../kernel/profiles/profiles';
import { arbAttachCase, arbStepsCase, limitsFor } from './gen/arbitraries';
import { BPF_PROFILES, TRACER_ONLY, RUNS, checkCases } from './suite';
import { propertyTimeout } from './params';
import { runCase } from './run-case';

describe('property: image contract', function () {
  this.timeout(propertyTimeout(120000));
  for (const p of [...BPF_PROFILES, ...TRACER_ONLY]) {
    const bpf = BPF_PROFILES.includes(p);
    it(`${p.name}: nothing written outside the trampoline images and sleds, no WARN/BUG, runtime idle after calls${bpf ? '' : ' (function tracer only)'}`, function () {
      checkCases(this.test!.fullTitle(), p, arbStepsCase(limitsFor(p)), bpf ? RUNS.bpf : RUNS.tracerOnly, ['image']);
    });
  }

  // 9f1e16fb1fc9 reverted: the prog_pack image is sized with a stack `im`, whose emit_imm is
  // shorter than that of most kmalloc'd ones, and nothing checks the length before the copy.
  // In the kernel the extra bytes land on the next image of the pack; here they land in the
  // rest of the image's page, so only this contract can see them.
  it('v6.16 with im-dry-run-stack: finds a trampoline written past the end of its image', () => {
    const p = getProfile('v6.16');
    const findings: string[] = [];
    const d = fc.check(
      fc.property(arbAttachCase(limitsFor(p)), (c) => {
        const r = runCase(p.name, c, { mutant: 'im-dry-run-stack', checks: ['image'] });
        if (!r.ok) findings.push(...r.findings);
        return r.ok;
      }),
      { seed: 0x9f1e16, numRuns: 50, endOnFailure: true },
    );
    expect(d.failed, 'the image contract did not see the overlong trampoline').to.equal(true);
    expect(findings[0]).to.match(/text patch of \d+ bytes at bpf_trampoline_\w+\S* .*: [1-9]\d* bytes past the end of its \d+-byte trampoline image/);
  });
});
