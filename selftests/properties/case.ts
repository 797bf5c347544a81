/**
 * A property case: a generated module, the tracing programs that may be attached to its
 * functions, and the steps to run (attach, detach, call, function tracer on / off). Plain data:
 * printable, shrinkable by fast-check, and serializable to JSON (bigints as "0x..." strings)
 * so a failing case can be saved and replayed.
 */
import { fnName, showValues, signature, type ArgValue, type GenModule } from './gen/func';
import { progName, type GenProg } from './gen/model';

export type Step =
  | { readonly op: 'attach'; readonly prog: number }
  | { readonly op: 'detach'; readonly prog: number }
  | { readonly op: 'call'; readonly fn: number; readonly args: readonly ArgValue[] }
  | { readonly op: 'tracer-on'; readonly fns: readonly number[] }
  | { readonly op: 'tracer-off' };

export interface PropCase {
  readonly module: GenModule;
  readonly progs: readonly GenProg[];
  readonly steps: readonly Step[];
}

export function describeStep(c: PropCase, s: Step): string {
  switch (s.op) {
    case 'attach':
    case 'detach': {
      const p = c.progs[s.prog]!;
      const extras = [p.cookie !== 0n ? `cookie 0x${p.cookie.toString(16)}` : '', p.usesIp ? 'ip' : '', p.argCnt ? 'nregs' : '', p.kind === 'fmod_ret' ? `returns ${p.ret}${p.r0 === 32 ? ' (ALU32)' : ''}` : ''].filter(Boolean);
      return `${s.op} ${p.kind} ${progName(s.prog)} to ${fnName(p.target)}${extras.length ? ` (${extras.join(', ')})` : ''}`;
    }
    case 'call':
      return `call ${fnName(s.fn)}${showValues(s.args)}`;
    case 'tracer-on':
      return `function tracer on ${s.fns.map(fnName).join(', ')}`;
    case 'tracer-off':
      return 'function tracer off';
  }
}

/** A multi-line summary: the functions, the programs, the steps. */
export function describeCase(c: PropCase): string {
  const fns = c.module.functions.map((f, i) => {
    const shape = f.frame === 'none'
      ? 'frameless leaf'
      : [`frame${f.pad ? ` +${f.pad} bytes` : ''}`, f.saved ? `s1..s${f.saved}` : '', f.locals ? `${f.locals} locals` : '', f.callee !== undefined ? `calls ${fnName(f.callee)}` : ''].filter(Boolean).join(', ');
    return `  ${signature(f, i)}  [${shape}]`;
  });
  return [...fns, ...c.steps.map((s, i) => `  ${i}: ${describeStep(c, s)}`)].join('\n');
}

// ---- JSON -------------------------------------------------------------------------------------

const BIG = /^-?0x[0-9a-f]+$/;

/** JSON text of a case (one line unless indent is given); bigints become "0x..." strings (negative: "-0x..."). */
export function caseToJson(c: PropCase, indent?: number): string {
  return JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? (v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`) : v), indent);
}

/** The case a caseToJson text describes. */
export function caseFromJson(text: string): PropCase {
  return JSON.parse(text, (_k, v: unknown) => {
    if (typeof v === 'string' && BIG.test(v)) return v.startsWith('-') ? -BigInt(v.slice(1)) : BigInt(v);
    return v;
  }) as PropCase;
}
