/**
 * The TypeScript model of generated functions (the same computation body.ts emits) and of
 * what tracing them must look like: which programs run, in which order, with which arguments,
 * return values, cookies and ips; what the function tracer records; what each call returns
 * and writes. The model knows nothing of trampolines, sleds or eras: it is the contract.
 *
 *   per traced invocation of f:  [tracer entry]  fentry and fsession (entry side, ret 0)
 *                                programs (newest first)
 *                                fmod_ret programs, newest first, until one returns non-zero
 *                                (its low 32 bits, sign-extended, become the return value
 *                                and the body does not run)
 *                                the body (nested calls traced the same way)
 *                                fexit and fsession (exit side) programs (newest first)
 *                                with the return value
 *
 * Newest first: the kernel links a program at the head of its kind's list (hlist_add_head in
 * __bpf_trampoline_link_prog) and the trampoline runs the list from the head.
 */
import { extend } from '../../../kernel/bpf/runtime/types';
import { MIX, MIX_SHIFT, wordKinds } from './body';
import { argValues, scalarOf, slotCount, u64, type ArgValue, type GenFunc, type GenModule } from './func';

/** fsession (7.0): run at entry and at exit (both sides' events). */
export const PROG_KINDS = ['fentry', 'fexit', 'fmod_ret', 'fsession'] as const;
export type ProgKind = (typeof PROG_KINDS)[number];

/** A generated tracing program: what it checks is fixed, what it does is data. */
export interface GenProg {
  readonly kind: ProgKind;
  /** Index of the function it is attached to. */
  readonly target: number;
  /** Attach cookie (0: none). */
  readonly cookie: bigint;
  /** Calls bpf_get_func_ip (the trampoline must store the ip). */
  readonly usesIp: boolean;
  /** Calls bpf_get_func_arg_cnt and bpf_get_func_arg(cnt) (which must be -EINVAL). */
  readonly argCnt: boolean;
  /** fmod_ret: the value it returns (an int). */
  readonly ret: bigint;
  /** How the program leaves BPF R0: 32 as ALU32 code (`w0 = -22`, zero-extended) or 64. */
  readonly r0: 32 | 64;
  /** fsession: it calls bpf_session_cookie (writes its cookie at entry, checks it at exit). */
  readonly session?: boolean;
}

export const progName = (j: number): string => `rvt_p${j}`;

export function mix(h: bigint, w: bigint): bigint {
  const x = u64((h ^ w) * MIX);
  return x ^ (x >> BigInt(MIX_SHIFT));
}

function normalize(k: string, v: bigint): bigint {
  return k === 'char' || k === 'short' || k === 'int' ? u64(extend(k, v)) : u64(v);
}

/** What one function's body does with its words; callFn runs (and traces) a nested call. */
export function runBody(m: GenModule, i: number, words: readonly bigint[], callFn: (j: number, words: bigint[]) => bigint): { ret: bigint; hash: bigint } {
  const f = m.functions[i]!;
  if (words.length !== slotCount(f)) throw new Error(`model: ${words.length} words for ${slotCount(f)} slots`);
  let h = f.salt;
  h = u64(h);
  for (const w of words) h = mix(h, u64(w));
  if (f.frame === 'fp') {
    const saved = Array.from({ length: f.saved }, (_, j) => h ^ BigInt(j + 1));
    const locals = Array.from({ length: f.locals }, (_, l) => u64(h + BigInt(l + 1)));
    if (f.callee !== undefined) {
      const c = m.functions[f.callee]!;
      const cw = wordKinds(c).map((k, w) => normalize(k, h ^ BigInt(w + 1)));
      const r = callFn(f.callee, cw);
      if (c.ret !== 'void') h = mix(h, r);
    }
    for (const s of saved) h = u64(h + s);
    for (const l of locals) h = u64(h + l);
  }
  return { ret: normalize(f.ret, h), hash: h };
}

/** Attachment state: links per function in attach order, the function tracer's filter. */
export interface ModelState {
  /** Program indices attached, in attach order (each kind keeps its own order). */
  readonly attached: readonly number[];
  /** Functions the function tracer traces (undefined: tracer off). */
  readonly tracer: readonly number[] | undefined;
}

export const IDLE: ModelState = { attached: [], tracer: undefined };

/** Where a call comes from: the host (callKernel's sentinel) or function i's call site. */
export type Parent = { readonly kind: 'host' } | { readonly kind: 'fn'; readonly fn: number };

/** One thing a traced call must make visible, as the runner formats observations. */
export type Expected =
  | { readonly kind: 'prog'; readonly prog: number; readonly fn: number; readonly args: readonly ArgValue[]; readonly ret?: bigint; readonly side?: 'entry' | 'exit' }
  | { readonly kind: 'trace'; readonly fn: number; readonly parent: Parent };

export interface CallOutcome {
  /** a0 as the caller receives it (64-bit), or undefined for void. */
  readonly ret: bigint | undefined;
  readonly events: readonly Expected[];
  /** Body runs and final hash per function, for functions whose body ran. */
  readonly outs: ReadonlyMap<number, { readonly hash: bigint; readonly runs: number }>;
}

/** a0 of an fmod_ret program returning v: its low 32 bits, sign-extended (BPF R0 as int),
 *  however the program left R0's upper half. */
export const fmodRetValue = (v: bigint): bigint => u64(BigInt.asIntN(32, v));

/**
 * A call of function `fn` with these argument words, given the attachments and the bodies'
 * output slots before the call.
 */
export function modelCall(
  m: GenModule,
  progs: readonly GenProg[],
  st: ModelState,
  fn: number,
  words: readonly bigint[],
  outsBefore: ReadonlyMap<number, { readonly hash: bigint; readonly runs: number }>,
): CallOutcome {
  const events: Expected[] = [];
  const outs = new Map(outsBefore);
  const linked = (f: number, ...kinds: ProgKind[]) => st.attached.filter((j) => progs[j]!.target === f && kinds.includes(progs[j]!.kind)).reverse();
  const invoke = (f: number, w: readonly bigint[], parent: Parent): bigint => {
    const fnc = m.functions[f]!;
    const args = argValues(fnc, w);
    if (st.tracer?.includes(f)) events.push({ kind: 'trace', fn: f, parent });
    // fsession programs are on the fentry list too; their entry side sees ret 0 (the
    // trampoline zeroed the slot).
    for (const j of linked(f, 'fentry', 'fsession')) {
      if (progs[j]!.kind === 'fentry') events.push({ kind: 'prog', prog: j, fn: f, args });
      else events.push({ kind: 'prog', prog: j, fn: f, args, side: 'entry', ...(fnc.ret === 'void' ? {} : { ret: 0n }) });
    }
    let ret: bigint | undefined;
    for (const j of linked(f, 'fmod_ret')) {
      events.push({ kind: 'prog', prog: j, fn: f, args, ret: 0n });
      const v = fmodRetValue(progs[j]!.ret);
      if (v !== 0n) {
        ret = v;
        break;
      }
    }
    if (ret === undefined) {
      const r = runBody(m, f, w, (c, cw) => invoke(c, cw, { kind: 'fn', fn: f }));
      const prev = outs.get(f);
      outs.set(f, { hash: r.hash, runs: (prev?.runs ?? 0) + 1 });
      ret = r.ret;
    }
    const typedRet = fnc.ret === 'void' ? undefined : extend(scalarOf(fnc.ret), ret);
    for (const j of linked(f, 'fexit', 'fsession')) {
      const side = progs[j]!.kind === 'fsession' ? { side: 'exit' as const } : {};
      events.push(typedRet === undefined ? { kind: 'prog', prog: j, fn: f, args, ...side } : { kind: 'prog', prog: j, fn: f, args, ret: typedRet, ...side });
    }
    return ret;
  };
  const ret = invoke(fn, words, { kind: 'host' });
  return { ret: m.functions[fn]!.ret === 'void' ? undefined : ret, events, outs };
}

/** The untraced result of a call (the contract's baseline). */
export function untraced(m: GenModule, fn: number, words: readonly bigint[]): { ret: bigint; hash: bigint } {
  const go = (f: number, w: readonly bigint[]): { ret: bigint; hash: bigint } => runBody(m, f, w, (c, cw) => go(c, cw).ret);
  return go(fn, words);
}

export type { GenFunc };
