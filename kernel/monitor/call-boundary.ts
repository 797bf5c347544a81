/**
 * The ABI contract at a traced call, watched from outside the machine code: for every call of a
 * function (entry at its symbol), its body must start at the first instruction after the sled,
 * and control must come back to the caller's return address with sp, gp, tp and s0-s11 as they
 * were. Findings read like the report a kernel developer wants:
 *
 *   bpf_fentry_test1 returned to bpf_prog_test_run_tracing+0xb0 without running its body
 *   bpf_fentry_test1 entered its body at +0x10, 8 bytes past its start +0x8 (after the 8-byte sled)
 *
 * Implemented with code hooks: nothing about the return path is simulated; the monitor only
 * observes which instructions execute.
 */
import type { Kernel } from '../kernel';
import type { Hart } from '../../emulator/cpu/hart';
import { PRESERVED } from '../image/call';
import { XREG_NAMES } from '../../emulator/isa/regnames';
import { hex } from '../../emulator/memory/address';

export type FindingKind = 'body-skipped' | 'entered-mid-body' | 'abi' | 'no-return';

export interface Finding {
  readonly kind: FindingKind;
  readonly func: string;
  readonly message: string;
}

interface Frame {
  readonly ra: bigint;
  readonly sp: bigint;
  readonly saved: readonly bigint[];
  bodyPc: bigint | undefined;
  removeReturnHook: () => void;
}

export interface MonitorOptions {
  /** The body may legitimately not run (an fmod_ret program returned non-zero); a function is
   *  asked at each return, for a monitor that stays installed while attachments change. */
  readonly bodyMaySkip?: boolean | (() => boolean);
}

export class CallBoundaryMonitor {
  readonly findings: Finding[] = [];
  private readonly frames: Frame[] = [];
  private readonly removers: (() => void)[] = [];
  readonly funcAddr: bigint;
  readonly bodyStart: bigint;
  private readonly funcEnd: bigint;

  constructor(
    private readonly kernel: Kernel,
    readonly func: string,
    private readonly opts: MonitorOptions = {},
  ) {
    // Any function kallsyms knows (the image, modules, generated code); its sled from ftrace.
    const l = kernel.kallsyms.has(func) ? kernel.kallsyms.lookup(kernel.kallsyms.addressOf(func)) : undefined;
    if (!l || l.offset !== 0n) throw new Error(`monitor: ${func} is not a kernel function`);
    const ip = kernel.ftrace.locationOf(func);
    const sled = ip === undefined ? undefined : kernel.ftrace.location(ip)?.sled;
    this.funcAddr = l.addr;
    this.bodyStart = l.addr + BigInt(sled ? sled.size - sled.before : 0);
    this.funcEnd = l.addr + l.size;
    const m = kernel.machine;
    this.removers.push(m.addCodeHook(this.funcAddr, this.funcAddr + 2n, (h) => this.onEntry(h)));
    this.removers.push(m.addCodeHook(this.bodyStart, this.funcEnd, (h, pc) => this.onBody(pc)));
  }

  private fmt(a: bigint): string {
    const l = this.kernel.kallsyms.lookup(a);
    return l ? `${l.name}+0x${l.offset.toString(16)}` : hex(a);
  }

  private onEntry(h: Hart): void {
    const ra = h.reg(1);
    const f: Frame = { ra, sp: h.reg(2), saved: PRESERVED.map((r) => h.reg(r)), bodyPc: undefined, removeReturnHook: () => undefined };
    f.removeReturnHook = this.kernel.machine.addCodeHook(ra, ra + 2n, (hh) => this.onReturn(hh, f));
    this.frames.push(f);
  }

  private onBody(pc: bigint): void {
    const f = this.frames[this.frames.length - 1];
    if (!f || f.bodyPc !== undefined) return;
    f.bodyPc = pc;
    if (pc !== this.bodyStart) {
      const d = pc - this.bodyStart;
      this.findings.push({
        kind: 'entered-mid-body', func: this.func,
        message: `${this.func} entered its body at +0x${(pc - this.funcAddr).toString(16)}, ${d} bytes past its start +0x${(this.bodyStart - this.funcAddr).toString(16)} (after the ${this.bodyStart - this.funcAddr}-byte sled)`,
      });
    }
  }

  private onReturn(h: Hart, f: Frame): void {
    if (h.reg(2) !== f.sp) return; // a deeper call returning through the same site
    const i = this.frames.lastIndexOf(f);
    if (i < 0) return;
    this.frames.splice(i, 1);
    f.removeReturnHook();
    const maySkip = this.opts.bodyMaySkip;
    if (f.bodyPc === undefined && !(typeof maySkip === 'function' ? maySkip() : maySkip)) {
      this.findings.push({ kind: 'body-skipped', func: this.func, message: `${this.func} returned to ${this.fmt(f.ra)} without running its body` });
    }
    const bad = PRESERVED.map((r, j) => [r, f.saved[j]!, h.reg(r)] as const).filter(([, a, b]) => a !== b);
    if (bad.length > 0) {
      this.findings.push({
        kind: 'abi', func: this.func,
        message: `${this.func} returned to ${this.fmt(f.ra)} with ${bad.map(([r, a, b]) => `${XREG_NAMES[r]} ${hex(b)} (was ${hex(a)})`).join(', ')}`,
      });
    }
  }

  /**
   * After a trap or timeout: calls that never came back, with where control went instead.
   * Nested calls that would say the same (a function re-entered through its own trampoline
   * until the stack ran out) are one finding with their count.
   */
  explainStuck(pc: bigint): Finding[] {
    const out: Finding[] = [];
    let last = '';
    let n = 0;
    const flush = () => {
      if (n > 0) out.push({ kind: 'no-return', func: this.func, message: n === 1 ? last : `${last} (${n} nested calls)` });
    };
    for (const f of this.frames) {
      const message = `${this.func} did not return to ${this.fmt(f.ra)}: control reached ${this.fmt(pc)}${f.bodyPc === undefined ? ' without running its body' : ''}`;
      if (message === last) {
        n++;
        continue;
      }
      flush();
      last = message;
      n = 1;
    }
    flush();
    return out;
  }

  /** Calls in flight (entered, not yet returned). */
  get pending(): number {
    return this.frames.length;
  }

  /**
   * Starts over for the next call, keeping the monitor installed (installing one re-instruments
   * the function's decoded code): no findings, no calls in flight.
   */
  reset(): void {
    for (const f of this.frames) f.removeReturnHook();
    this.frames.length = 0;
    this.findings.length = 0;
  }

  remove(): void {
    for (const f of this.frames) f.removeReturnHook();
    for (const r of this.removers) r();
  }
}
