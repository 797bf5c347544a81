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
import { CaseRunner, runCase } from './run-case';

describe('property: image contract', function () {
  this.timeout(propertyTimeout(120000));
  for (const p of [...BPF_PROFILES, ...TRACER_ONLY]) {
    const bpf = BPF_PROFILES.includes(p);
    it(`${p.name}: nothing written outside the trampoline images and sleds, no WARN/BUG, runtime idle after calls${bpf ? '' : ' (function tracer only)'}`, function () {
      checkCases(this.test!.fullTitle(), p, arbStepsCase(limitsFor(p)), bpf ? RUNS.bpf : RUNS.tracerOnly, ['image']);
    });
  }

  it('reports a text write past the sized end of a trampoline image, even inside the image\'s page', () => {
    const p = getProfile('v6.16');
    const [c] = fc.sample(arbAttachCase(limitsFor(p)).filter((x) => x.steps.some((s) => s.op === 'attach')), { seed: 0x1ade, numRuns: 1 });
    const run = new CaseRunner(p, c!);
    const texts: string[] = [];
    let poked = false;
    for (const s of c!.steps) {
      texts.push(...run.step(s).map((f) => `[${f.category}] ${f.text}`));
      const a = run.bpf.trampolines.allocations.find((x) => x.to === undefined);
      if (!poked && a) {
        // Two bytes of the image's own last instruction, then two past its sized end.
        const end = a.addr + BigInt(a.size);
        const mem = run.kernel.machine.memory;
        run.kernel.text.patchTextNosync(end - 2n, Uint8Array.of(Number(mem.readU(end - 2n, 1)), Number(mem.readU(end - 1n, 1)), 0, 0));
        poked = true;
      }
    }
    texts.push(...run.finish().map((f) => `[${f.category}] ${f.text}`));
    expect(poked, 'the case attached nothing').to.equal(true);
    expect(texts.filter((t) => t.startsWith('[image]')).join('\n')).to.match(/text patch of 4 bytes at bpf_trampoline_\w+\S* .*: 2 bytes past the end of its \d+-byte trampoline image/);
  });

  // 9f1e16fb1fc9 reverted: the prog_pack image is sized with a stack `im`, whose emit_imm is
  // shorter than that of most kmalloc'd ones, and nothing checks the length: the code is
  // emitted into a scratch buffer of the sized length (overflowing it) and copied into the
  // image cut short, so a call through it runs off the end of the trampoline.
  it('v6.16 with im-dry-run-stack: a call through a trampoline installed cut short crashes', () => {
    const p = getProfile('v6.16');
    const findings: string[] = [];
    const d = fc.check(
      fc.property(arbAttachCase(limitsFor(p)), (c) => {
        const r = runCase(p.name, c, { mutant: 'im-dry-run-stack' });
        if (!r.ok) findings.push(...r.findings);
        return r.ok;
      }),
      { seed: 0x9f1e16, numRuns: 50, endOnFailure: true },
    );
    expect(d.failed, 'the properties did not see the truncated trampoline').to.equal(true);
    expect(findings[0]).to.match(/^\[crash\] .*did not return: illegal instruction 0000 at pc/);
  });
});
