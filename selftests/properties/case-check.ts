/**
 * Checks a property case read from JSON (a replay file, possibly edited by hand) before it
 * runs: every field of the module, the programs and the steps, with the path of the first
 * thing that is wrong (`case.steps[2].prog: 5 is not a program index (3 programs)`), so that
 * a bad file gets a one-line answer instead of an error from deep inside the model.
 */
import { ARG_KINDS, RET_KINDS, checkModule, type ArgKind, type GenModule } from './gen/func';
import type { PropCase } from './case';
import { PROG_KINDS } from './gen/model';

const OPS = ['attach', 'detach', 'call', 'tracer-on', 'tracer-off'] as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown, n: number): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) < n;
/** A 64-bit register value, written signed or unsigned: what a wider value would be cut to is not what the file says. */
const is64 = (v: unknown): v is bigint => typeof v === 'bigint' && v >= -(2n ** 63n) && v < 2n ** 64n;
const hex = (v: bigint): string => (v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`);
const show = (v: unknown): string =>
  typeof v === 'bigint' ? hex(v) : typeof v === 'string' ? `'${v}'` : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? hex(x) : x)) ?? String(v);

/** The first problem of a case as JSON gives it, or undefined when it is a well-formed case. */
export function caseProblem(raw: unknown): string | undefined {
  if (!isObj(raw)) return 'case: not an object';
  return moduleProblem(raw.module) ?? progsProblem(raw.progs, raw.module as GenModule) ?? stepsProblem(raw as unknown as PropCase);
}

function moduleProblem(m: unknown): string | undefined {
  if (!isObj(m)) return 'case.module: not an object';
  const fns = m.functions;
  if (!Array.isArray(fns)) return 'case.module.functions: not an array';
  for (const [i, f] of fns.entries()) {
    const at = `case.module.functions[${i}]`;
    if (!isObj(f)) return `${at}: not an object`;
    if (!Array.isArray(f.args)) return `${at}.args: not an array`;
    const k = f.args.findIndex((a) => !(ARG_KINDS as readonly unknown[]).includes(a));
    if (k >= 0) return `${at}.args[${k}]: ${show(f.args[k])} is not one of ${ARG_KINDS.join(', ')}`;
    if (!(RET_KINDS as readonly unknown[]).includes(f.ret)) return `${at}.ret: ${show(f.ret)} is not one of ${RET_KINDS.join(', ')}`;
    if (f.frame !== 'none' && f.frame !== 'fp') return `${at}.frame: ${show(f.frame)} is not 'none' or 'fp'`;
    for (const n of ['saved', 'locals', 'pad'] as const) if (!Number.isInteger(f[n])) return `${at}.${n}: ${show(f[n])} is not an integer`;
    if (f.callee !== undefined && !Number.isInteger(f.callee)) return `${at}.callee: ${show(f.callee)} is not a function index`;
    if (!is64(f.salt)) return `${at}.salt: ${show(f.salt)} is not a 64-bit "0x..." value`;
  }
  const bad = checkModule(m as unknown as GenModule);
  return bad === undefined ? undefined : `case.module: ${bad}`;
}

function progsProblem(progs: unknown, m: GenModule): string | undefined {
  if (!Array.isArray(progs)) return 'case.progs: not an array';
  const nf = m.functions.length;
  for (const [j, p] of progs.entries()) {
    const at = `case.progs[${j}]`;
    if (!isObj(p)) return `${at}: not an object`;
    if (!(PROG_KINDS as readonly unknown[]).includes(p.kind)) return `${at}.kind: ${show(p.kind)} is not one of ${PROG_KINDS.join(', ')}`;
    if (!isIndex(p.target, nf)) return `${at}.target: ${show(p.target)} is not a function index (${nf} function${nf === 1 ? '' : 's'})`;
    for (const n of ['cookie', 'ret'] as const) if (!is64(p[n])) return `${at}.${n}: ${show(p[n])} is not a 64-bit "0x..." value`;
    for (const n of ['usesIp', 'argCnt'] as const) if (typeof p[n] !== 'boolean') return `${at}.${n}: ${show(p[n])} is not true or false`;
    if (p.r0 !== 32 && p.r0 !== 64) return `${at}.r0: ${show(p.r0)} is not 32 or 64`;
    if (p.session !== undefined && (typeof p.session !== 'boolean' || p.kind !== 'fsession')) return `${at}.session: ${show(p.session)}: only an fsession program may have it (true or false)`;
  }
  return undefined;
}

function argProblem(at: string, k: ArgKind, v: unknown): string | undefined {
  if (k === 'struct16') {
    return Array.isArray(v) && v.length === 2 && v.every(is64) ? undefined : `${at}: a struct16 argument is two 64-bit values ["0x...", "0x..."], got ${show(v)}`;
  }
  return is64(v) ? undefined : `${at}: ${show(v)} is not a 64-bit "0x..." value`;
}

function stepsProblem(c: PropCase): string | undefined {
  const steps: unknown = c.steps;
  if (!Array.isArray(steps)) return 'case.steps: not an array';
  const nf = c.module.functions.length;
  const np = c.progs.length;
  for (const [i, s] of steps.entries()) {
    const at = `case.steps[${i}]`;
    if (!isObj(s)) return `${at}: not an object`;
    if (!(OPS as readonly unknown[]).includes(s.op)) return `${at}.op: ${show(s.op)} is not one of ${OPS.join(', ')}`;
    switch (s.op as (typeof OPS)[number]) {
      case 'attach':
      case 'detach':
        if (!isIndex(s.prog, np)) return `${at}.prog: ${show(s.prog)} is not a program index (${np} program${np === 1 ? '' : 's'})`;
        break;
      case 'call': {
        if (!isIndex(s.fn, nf)) return `${at}.fn: ${show(s.fn)} is not a function index (${nf} function${nf === 1 ? '' : 's'})`;
        const kinds = c.module.functions[s.fn]!.args;
        if (!Array.isArray(s.args) || s.args.length !== kinds.length) return `${at}.args: ${kinds.length} argument${kinds.length === 1 ? '' : 's'} expected, got ${show(s.args)}`;
        for (const [a, k] of kinds.entries()) {
          const bad = argProblem(`${at}.args[${a}]`, k, s.args[a]);
          if (bad) return bad;
        }
        break;
      }
      case 'tracer-on':
        if (!Array.isArray(s.fns)) return `${at}.fns: not an array`;
        for (const [a, f] of s.fns.entries()) if (!isIndex(f, nf)) return `${at}.fns[${a}]: ${show(f)} is not a function index`;
        break;
      case 'tracer-off':
        break;
    }
  }
  return undefined;
}
