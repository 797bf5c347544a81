/**
 * fast-check arbitraries for property cases: generated functions, argument values, tracing
 * programs, attachment sets and step sequences.
 *
 * Everything is generated as independent raw records and then normalized (indices taken
 * modulo what exists, argument lists cut to the slot limit, frame invariants enforced), with
 * no `chain`: fast-check then shrinks every part of a case on its own, down to one function
 * with few arguments and one program.
 */
import fc from 'fast-check';
import type { Profile } from '../../../kernel/profiles/profiles';
import { extend } from '../../../kernel/bpf/runtime/types';
import { jitSupportsFsession } from '../../../kernel/bpf/trampoline/era';
import { ARG_KINDS, MAX_ARGS, MAX_LOCALS, MAX_SAVED, MAX_SLOTS, RET_KINDS, slotsOfKind, u64, type ArgKind, type ArgValue, type GenFunc, type GenModule, type RetKind } from './func';
import type { GenProg, ProgKind } from './model';
import type { PropCase, Step } from '../case';

/** What a profile lets a case use. */
export interface GenLimits {
  /** Argument slots of a generated function (MAX_SLOTS, or the profile's limit when that is lower). */
  readonly maxSlots: number;
  readonly maxFunctions: number;
  /** BPF_MAX_TRAMP_LINKS. */
  readonly maxLinks: number;
  /** Whether BPF programs can be attached to module functions at all. */
  readonly bpf: boolean;
  /** fsession programs too (the 7.0 JIT). */
  readonly fsession?: boolean;
  /**
   * Bias functions towards long argument lists full of 16-byte structs (7-12 arguments, half
   * of them structs), to reach past 12 argument slots (with maxSlots up to 24).
   */
  readonly manyArgs?: boolean;
}

export function limitsFor(p: Profile, maxFunctions = 3): GenLimits {
  return {
    maxSlots: p.argLimit.count === 'slots' ? Math.min(p.argLimit.max, MAX_SLOTS) : MAX_SLOTS,
    maxFunctions,
    maxLinks: p.maxTrampLinks,
    bpf: p.trampoline !== 'none' && p.directCalls !== 'none',
    fsession: jitSupportsFsession(p.trampoline),
  };
}

/**
 * Full 64-bit cookies each cost up to 8 instructions in the trampoline; beyond this many per
 * function the cookies are kept to 32 bits so that BPF_MAX_TRAMP_LINKS programs with cookies,
 * ip and 12 argument slots still fit the one-page image (the kernel refuses larger ones with
 * -E2BIG, a limit no program can predict).
 */
export const FULL_COOKIES_PER_FUNCTION = 8;

// ---- functions -------------------------------------------------------------------------------

export const arbArgKind: fc.Arbitrary<ArgKind> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<ArgKind>('int', 'long', 'u64', 'ptr') },
  { weight: 2, arbitrary: fc.constantFrom<ArgKind>('char', 'short') },
  { weight: 1, arbitrary: fc.constant<ArgKind>('struct16') },
);
export const arbRetKind: fc.Arbitrary<RetKind> = fc.constantFrom<RetKind>(...RET_KINDS);

interface RawFunc {
  readonly args: readonly ArgKind[];
  readonly ret: RetKind;
  readonly frameless: boolean;
  readonly saved: number;
  readonly locals: number;
  readonly pad: number;
  readonly callee: number | null;
  readonly salt: bigint;
}

const arbManyArgs: fc.Arbitrary<ArgKind[]> = fc.array(
  fc.oneof({ weight: 1, arbitrary: arbArgKind }, { weight: 1, arbitrary: fc.constant<ArgKind>('struct16') }),
  { minLength: 7, maxLength: MAX_ARGS },
);

const rawFunc = (args: fc.Arbitrary<ArgKind[]>): fc.Arbitrary<RawFunc> => fc.record({
  args,
  ret: arbRetKind,
  frameless: fc.boolean(),
  saved: fc.integer({ min: 0, max: MAX_SAVED }),
  locals: fc.integer({ min: 0, max: MAX_LOCALS }),
  pad: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 64 }).map((x) => x * 16) }),
  callee: fc.option(fc.nat(), { nil: null }),
  salt: fc.bigUintN(64),
});
const arbRawFunc = rawFunc(fc.array(arbArgKind, { maxLength: MAX_ARGS }));
const arbRawFuncManyArgs = rawFunc(arbManyArgs);

/** The longest prefix of the argument kinds that fits `slots`. */
function fit(args: readonly ArgKind[], slots: number): ArgKind[] {
  const out: ArgKind[] = [];
  let n = 0;
  for (const k of args) {
    if (n + slotsOfKind(k) > slots) break;
    out.push(k);
    n += slotsOfKind(k);
  }
  return out;
}

function normalizeFunc(r: RawFunc, i: number, n: number, maxSlots: number): GenFunc {
  const args = fit(r.args, maxSlots);
  const calls = r.callee !== null && i + 1 < n;
  if (r.frameless && !calls) return { args, ret: r.ret, frame: 'none', saved: 0, locals: 0, pad: 0, salt: r.salt };
  const callee = calls ? i + 1 + (r.callee! % (n - 1 - i)) : undefined;
  const locals = callee !== undefined && r.saved === 0 && r.locals === 0 ? 1 : r.locals;
  return { args, ret: r.ret, frame: 'fp', saved: r.saved, locals, pad: r.pad, ...(callee !== undefined ? { callee } : {}), salt: r.salt };
}

/** A module of 1..maxFunctions generated functions (function i may call a later one). */
export function arbModule(limits: Pick<GenLimits, 'maxSlots' | 'maxFunctions' | 'manyArgs'>): fc.Arbitrary<GenModule> {
  return fc
    .array(limits.manyArgs ? arbRawFuncManyArgs : arbRawFunc, { minLength: 1, maxLength: limits.maxFunctions })
    .map((raws) => ({ functions: raws.map((r, i) => normalizeFunc(r, i, raws.length, limits.maxSlots)) }));
}

// ---- argument values -------------------------------------------------------------------------

/** Raw argument material: a word and a second half per argument; values are fitted to each kind. */
export type RawArgs = readonly (readonly [bigint, bigint])[];

const arbWord = fc.oneof(
  { weight: 4, arbitrary: fc.bigUintN(64) },
  { weight: 1, arbitrary: fc.bigInt({ min: -300n, max: 300n }).map(u64) },
  { weight: 1, arbitrary: fc.constantFrom(0n, 1n, u64(-1n), 0x7fffffffn, 0x80000000n, 0xffffffff80000000n, 0x8000000000000000n) },
);
export const arbRawArgs: fc.Arbitrary<RawArgs> = fc.array(fc.tuple(arbWord, arbWord), { minLength: MAX_ARGS, maxLength: MAX_ARGS });

/** C values of f's arguments from raw material (each value in its type's range). */
export function fitArgs(f: GenFunc, raw: RawArgs): ArgValue[] {
  return f.args.map((k, i) => {
    const [w, w2] = raw[i] ?? [0n, 0n];
    return k === 'struct16' ? ([w, w2] as const) : extend(k, w);
  });
}

/** Argument values for one function (for tests that do not need raw material). */
export function arbArgs(f: GenFunc): fc.Arbitrary<ArgValue[]> {
  return arbRawArgs.map((r) => fitArgs(f, r));
}

// ---- programs -----------------------------------------------------------------------------------

/** A program as generated, before normalizeProgs fits its target and limits to the module. */
type RawProg = GenProg;

const arbProgKind = fc.constantFrom<ProgKind>('fentry', 'fexit', 'fmod_ret');
const ERRNOS = [-1n, -2n, -7n, -12n, -14n, -16n, -22n, -95n, -524n];
/** What an fmod_ret program returns: often 0 (let the original run), else an int. */
const arbFmodRet = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0n) },
  { weight: 1, arbitrary: fc.constantFrom(...ERRNOS) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 31n), max: 2n ** 31n - 1n }) },
);

const arbRawProg: fc.Arbitrary<RawProg> = fc.record({
  kind: arbProgKind,
  target: fc.nat(),
  cookie: fc.oneof({ weight: 1, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: fc.bigUintN(64) }),
  usesIp: fc.boolean(),
  argCnt: fc.boolean(),
  ret: arbFmodRet,
  r0: fc.constantFrom<32 | 64>(64, 32),
});

/**
 * Programs for the profile: with fsession support (7.0) fsession programs too, half of them
 * using a session cookie; elsewhere the same draws as before fsession existed.
 */
const arbRawProgFsession: fc.Arbitrary<RawProg> = fc
  .record({ p: arbRawProg, fsession: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }), session: fc.boolean() })
  .map(({ p, fsession, session }) => (fsession ? { ...p, kind: 'fsession' as const, session } : p));
export function arbRawProgFor(limits: GenLimits): fc.Arbitrary<RawProg> {
  return limits.fsession ? arbRawProgFsession : arbRawProg;
}

/** Programs for a module: targets exist, no fmod_ret on void functions, cookies fit. */
export function normalizeProgs(m: GenModule, raws: readonly RawProg[], focus: number | undefined): GenProg[] {
  const full = new Map<number, number>();
  return raws.map((r) => {
    const target = focus ?? r.target % m.functions.length;
    const kind: ProgKind = r.kind === 'fmod_ret' && m.functions[target]!.ret === 'void' ? 'fexit' : r.kind;
    let cookie = r.cookie;
    if (cookie >= 1n << 32n) {
      const n = full.get(target) ?? 0;
      if (n >= FULL_COOKIES_PER_FUNCTION) cookie &= 0xffffffffn;
      else full.set(target, n + 1);
    }
    return { kind, target, cookie, usesIp: r.usesIp, argCnt: r.argCnt, ret: kind === 'fmod_ret' ? r.ret : 0n, r0: r.r0, ...(kind === 'fsession' ? { session: r.session ?? false } : {}) };
  });
}

// ---- one-shot attachment cases -----------------------------------------------------------------

export interface AttachCaseOptions {
  /** Programs in an ordinary case (default 6). */
  readonly maxProgs?: number;
  /** Weight of cases that put up to maxLinks + 2 programs on one function (default 0). */
  readonly manyLinksWeight?: number;
  /** Calls before attaching anything too (default true). */
  readonly callFirst?: boolean;
}

/**
 * An attachment set as one case: [tracer on] attach every program in order, call functions,
 * detach everything in a random order, call again (the untraced behaviour must be back).
 * Programs are generated only where the profile can attach them; a tracer may sit on the same
 * functions.
 */
export function arbAttachCase(limits: GenLimits, opts: AttachCaseOptions = {}): fc.Arbitrary<PropCase> {
  const maxProgs = limits.bpf ? opts.maxProgs ?? 6 : 0;
  const progCount = (opts.manyLinksWeight ?? 0) > 0 && limits.bpf
    ? fc.oneof(
        { weight: 10, arbitrary: fc.array(arbRawProgFor(limits), { minLength: 1, maxLength: maxProgs }).map((ps) => ({ ps, focus: false })) },
        { weight: opts.manyLinksWeight!, arbitrary: fc.array(arbRawProgFor(limits), { minLength: limits.maxLinks - 2, maxLength: limits.maxLinks + 2 }).map((ps) => ({ ps, focus: true })) },
      )
    : fc.array(arbRawProgFor(limits), { minLength: maxProgs > 0 ? 1 : 0, maxLength: maxProgs }).map((ps) => ({ ps, focus: false }));
  return fc
    .record({
      module: arbModule(limits),
      progs: progCount,
      tracer: fc.option(fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), { nil: null, freq: 3 }),
      calls: fc.array(fc.record({ fn: fc.nat(), args: arbRawArgs }), { minLength: 1, maxLength: 2 }),
      detachOrder: fc.array(fc.nat(), { minLength: limits.maxLinks + 2, maxLength: limits.maxLinks + 2 }),
      callFirst: fc.boolean(),
    })
    .map(({ module: m, progs: { ps, focus }, tracer, calls, detachOrder, callFirst }) => {
      const n = m.functions.length;
      const progs = normalizeProgs(m, ps, focus ? 0 : undefined);
      const callSteps: Step[] = calls.map((c, i) => {
        // With every program on function 0, the first call goes there.
        const fn = focus && i === 0 ? 0 : c.fn % n;
        return { op: 'call', fn, args: fitArgs(m.functions[fn]!, c.args) };
      });
      const steps: Step[] = [];
      if ((opts.callFirst ?? true) && callFirst) steps.push(...callSteps);
      if (tracer) steps.push({ op: 'tracer-on', fns: [...new Set(tracer.map((x) => x % n))].sort() });
      progs.forEach((_, j) => steps.push({ op: 'attach', prog: j }));
      steps.push(...callSteps);
      const order = progs.map((_, j) => j).sort((a, b) => detachOrder[a]! - detachOrder[b]! || a - b);
      order.forEach((j) => steps.push({ op: 'detach', prog: j }));
      if (tracer) steps.push({ op: 'tracer-off' });
      steps.push(...callSteps);
      return { module: m, progs, steps };
    });
}

// ---- step sequences -------------------------------------------------------------------------------

type RawStep =
  | { readonly op: 'attach' | 'detach'; readonly x: number }
  | { readonly op: 'call'; readonly x: number; readonly args: RawArgs }
  | { readonly op: 'tracer-on'; readonly fns: readonly number[] }
  | { readonly op: 'tracer-off' };

const arbRawStep: fc.Arbitrary<RawStep> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('attach' as const), x: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('detach' as const), x: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('call' as const), x: fc.nat(), args: arbRawArgs }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tracer-on' as const), fns: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tracer-off' as const) }) },
);

/**
 * Any sequence of attach (re-attach, twice), detach (of what was never or is no longer
 * attached too), call, and function tracer on / off steps over a module and its programs.
 */
export function arbStepsCase(limits: GenLimits, opts: { readonly maxProgs?: number; readonly maxSteps?: number } = {}): fc.Arbitrary<PropCase> {
  const maxProgs = limits.bpf ? opts.maxProgs ?? 6 : 0;
  return fc
    .record({
      module: arbModule(limits),
      progs: fc.array(arbRawProgFor(limits), { minLength: maxProgs > 0 ? 1 : 0, maxLength: maxProgs }),
      steps: fc.array(arbRawStep, { minLength: 1, maxLength: opts.maxSteps ?? 12 }),
    })
    .map(({ module: m, progs: ps, steps: raw }) => {
      const n = m.functions.length;
      const progs = normalizeProgs(m, ps, undefined);
      const steps: Step[] = [];
      // No-op steps (detaching what was never attached, the tracer off while off) are left
      // out, so that shrunk cases show only what matters.
      const ever = new Set<number>();
      let tracer = false;
      for (const r of raw) {
        if (r.op === 'attach' || r.op === 'detach') {
          if (progs.length === 0) continue;
          const prog = r.x % progs.length;
          if (r.op === 'detach' && !ever.has(prog)) continue;
          ever.add(prog);
          steps.push({ op: r.op, prog });
        } else if (r.op === 'call') {
          const fn = r.x % n;
          steps.push({ op: 'call', fn, args: fitArgs(m.functions[fn]!, r.args) });
        } else if (r.op === 'tracer-on') {
          tracer = true;
          steps.push({ op: 'tracer-on', fns: [...new Set(r.fns.map((x) => x % n))].sort() });
        } else if (tracer) {
          tracer = false;
          steps.push({ op: 'tracer-off' });
        }
      }
      return { module: m, progs, steps };
    });
}

export type { RawProg };
export { arbRawProg, ARG_KINDS };
