/**
 * Kernel calls as the selftests make them (a syscall reaching a kernel function), with the
 * failure report a developer reads when the call does not come back cleanly:
 *
 * - a trap, a BUG() that stopped the run, or a return that broke the psABI (sp, gp, tp, s0-s11
 *   not preserved): a one-line reason for the FAIL line, then the oops report (registers,
 *   frame-pointer call trace, last instructions, listing) and the call-boundary monitors'
 *   findings (which traced function did not return where it should);
 * - the instruction budget running out: a TIMEOUT with the same report.
 *
 * The functions here never call t.fail themselves (the FAIL line names the function that
 * makes the check, upstream `__func__`): they return what went wrong, and the helpers that
 * tests call (test_run, trigger_module_test_read, ...) fail with it, then explain().
 */
import type { TestContext } from '../../harness/runner/context';
import type { Kernel } from '../../kernel/kernel';
import type { CallResult } from '../../kernel/image';
import { describeProfile } from '../../kernel/profiles/profiles';
import { CallBoundaryMonitor } from '../../kernel/monitor/call-boundary';
import { oopsCause, oopsHeadline, oopsReport } from '../../kernel/oops';

/** Instructions a selftest's kernel call may take (a traced test_run takes a few thousand). */
export const CALL_BUDGET = 5_000_000;

/** How many executed pcs a failure report lists. */
const TRACE_DEPTH = 24;

export interface KernelCallOptions {
  readonly budget?: number;
  /** Monitors watching the callees: their findings go into a failure's report. */
  readonly monitors?: readonly CallBoundaryMonitor[];
}

export type KernelCallOutcome =
  | { readonly ok: true; readonly value: bigint; readonly result: CallResult & { kind: 'returned' } }
  | {
      readonly ok: false;
      /** 'timeout': the budget ran out (report with t.timeout); 'oops': anything else (t.fail). */
      readonly kind: 'oops' | 'timeout';
      /** The FAIL line's tag: 'oops' (trap, BUG), 'abi' (returned with callee-saved registers changed), 'timeout'. */
      readonly tag: 'oops' | 'abi' | 'timeout';
      /** The rest of the FAIL / TIMEOUT line: `<fn>: <what happened>` and the first finding. */
      readonly message: string;
      /** The oops report text. */
      readonly oops: string;
      /** The monitors' findings, one line each, and the calls that never came back. */
      readonly findings: readonly string[];
    };

/**
 * Calls `fn` on hart 0 and classifies the result. Returns ok with a0 when the function
 * returned to its caller with the ABI intact.
 */
export function kernel_call(k: Kernel, fn: string | bigint, args: readonly bigint[], opts: KernelCallOptions = {}): KernelCallOutcome {
  const addr = typeof fn === 'string' ? k.sym(fn) : fn;
  const name = typeof fn === 'string' ? fn : k.kallsyms.format(fn);
  const r = k.call(addr, args, { budget: opts.budget ?? CALL_BUDGET, trace: TRACE_DEPTH });
  const cause = oopsCause(r, addr);
  if (r.kind === 'returned' && cause === undefined) return { ok: true, value: r.value, result: r };
  const input = {
    cause: cause!,
    hart: k.hart,
    kallsyms: k.kallsyms,
    recentPcs: k.hart.recentPcs(),
    profile: describeProfile(k.profile),
    kernel: k.image.layout.name,
  };
  const findings: string[] = [];
  // What went wrong at a call boundary first, then the calls that never came back (innermost first).
  for (const m of opts.monitors ?? []) for (const f of m.findings) findings.push(f.message);
  if (r.kind !== 'returned') for (const m of [...(opts.monitors ?? [])].reverse()) for (const f of m.explainStuck(k.hart.pc)) findings.push(f.message);
  let message: string;
  let tag: 'oops' | 'abi' | 'timeout';
  switch (r.kind) {
    case 'timeout':
      tag = 'timeout';
      // The call's own budget or the (sub)test's watchdog, whichever ran out first.
      message = `${name}: still running after ${r.instructions} instructions, pc ${k.kallsyms.format(r.pc)}`;
      break;
    case 'returned':
      tag = 'abi';
      message = `${name} returned with ${r.abi.map((v) => `${v.reg} ${hex(v.actual)} (was ${hex(v.expected)})`).join(', ')}`;
      break;
    default:
      tag = 'oops';
      message = `${name}: ${oopsHeadline(input)}, epc ${k.kallsyms.format(k.hart.pc)}`;
  }
  if (findings.length > 0) message += `; ${findings[0]}`;
  return { ok: false, kind: r.kind === 'timeout' ? 'timeout' : 'oops', tag, message, oops: oopsReport(input), findings };
}

/** Puts a failed call's report into the (sub)test's log: findings first, then the oops. */
export function explain(t: TestContext, out: KernelCallOutcome): void {
  if (out.ok) return;
  for (const f of out.findings) t.log(`monitor: ${f}`);
  t.attachOops(out.oops);
}

/** Monitors for functions (removed with removeMonitors). */
export function monitorsFor(k: Kernel, funcs: readonly string[], opts: { bodyMaySkip?: boolean } = {}): CallBoundaryMonitor[] {
  return funcs.map((f) => new CallBoundaryMonitor(k, f, opts));
}

export function removeMonitors(ms: readonly CallBoundaryMonitor[]): void {
  for (const m of ms) m.remove();
}

function hex(v: bigint): string {
  return BigInt.asUintN(64, v).toString(16);
}
