/**
 * The full diagnosis of a property case (rvtramp replay): runs it step by step on a fresh
 * kernel of its profile as runCase does, and at the first step with findings (or teardown)
 * adds what a kernel developer looks at next: an oops report when a call did not come back,
 * the sleds of the generated functions and every trampoline image, objdump style.
 */
import type { Kernel } from '../../kernel/kernel';
import type { CallResult } from '../../kernel/image/call';
import { oopsCause, oopsReport } from '../../kernel/oops/report';
import { describeProfile } from '../../kernel/profiles/profiles';
import { listBytes } from '../../emulator/disasm/listing';
import { CaseRunner, type Finding } from '../../selftests/properties/run-case';
import { describeStep, type PropCase } from '../../selftests/properties/case';
import { fnName } from '../../selftests/properties/gen/func';
import { kernelSymbolizer } from '../cli/kernel-listing';

export interface Diagnosis {
  readonly ok: boolean;
  readonly findings: readonly string[];
  /** Oops report of the failing call, if it did not return. */
  readonly oops?: string;
  /** Sleds (and function heads) of the generated functions, then the trampoline images. */
  readonly listing: string;
}

const TRACE = 32;

export function diagnose(profile: string, c: PropCase): Diagnosis {
  const run = new CaseRunner(profile, c);
  const k = run.kernel;
  // Keep the last call's result (and its recent pcs) for the oops report.
  let last: { addr: bigint; r: CallResult } | undefined;
  const call = k.call.bind(k);
  (k as { call: Kernel['call'] }).call = (fn, args, opts = {}) => {
    const r = call(fn, args, { ...opts, trace: opts.trace ?? TRACE });
    last = { addr: typeof fn === 'bigint' ? fn : k.sym(fn), r };
    return r;
  };
  const fmt = (where: string, f: Finding) => `[${f.category}] ${where}: ${f.text}`;
  let findings: string[] = [];
  let failedCall: typeof last;
  for (const [i, s] of c.steps.entries()) {
    last = undefined;
    const f = run.step(s);
    if (f.length > 0) {
      findings = f.map((x) => fmt(`step ${i} (${describeStep(c, s)})`, x));
      failedCall = last;
      break;
    }
  }
  // The listings show the text as the failure left it (trampolines still attached).
  const listing = listings(run);
  if (findings.length === 0) findings = run.finish().map((x) => fmt('teardown', x));
  let oops: string | undefined;
  if (failedCall && failedCall.r.kind !== 'returned') {
    const cause = oopsCause(failedCall.r, failedCall.addr);
    if (cause) {
      oops = oopsReport({ cause, hart: k.hart, kallsyms: k.kallsyms, recentPcs: k.hart.recentPcs(), profile: describeProfile(k.profile), kernel: k.image.layout.name });
    }
  }
  return { ok: findings.length === 0, findings, ...(oops !== undefined ? { oops } : {}), listing };
}

function listings(run: CaseRunner): string {
  const k = run.kernel;
  const mem = k.machine.memory;
  const sym = kernelSymbolizer(k);
  const out: string[] = [];
  run.c.module.functions.forEach((_, i) => {
    const f = run.module.fn(fnName(i));
    const start = f.sled.address;
    const end = f.bodyStart + 16n < f.end ? f.bodyStart + 16n : f.end;
    out.push(`sled of ${f.name} (and the head of its body):`);
    out.push(listBytes(mem.readBytes(start, Number(end - start)), start, { symbolize: sym, label: (a) => (a === f.addr ? f.name : undefined) }).trimEnd());
    out.push('');
  });
  const trs = run.bpf.trampolines.all();
  const images = trs.flatMap((t) => (t.image ? [{ t, im: t.image }] : []));
  if (images.length === 0) out.push('trampoline images: none live');
  for (const { t, im } of images) {
    out.push(`trampoline image for ${t.key} at ${k.kallsyms.format(im.addr)} (${im.bytes.length} bytes, ${t.count} link${t.count === 1 ? '' : 's'}):`);
    out.push(listBytes(im.bytes, im.addr, { symbolize: sym }).trimEnd());
    out.push('');
  }
  return out.join('\n').trimEnd() + '\n';
}
