/**
 * Operand expressions: numbers, symbols, `.`, + - * << >> & | ~, and the relocation
 * operators %hi, %lo, %pcrel_hi and %pcrel_lo. Everything lives in one section whose
 * layout the assembler computes, so an expression is simply evaluated once addresses are
 * known; no relocation is ever emitted.
 */
import { AsmError } from './errors';

export type RelocOp = 'hi' | 'lo' | 'pcrel_hi' | 'pcrel_lo';
export type BinOp = '+' | '-' | '*' | '<<' | '>>' | '&' | '|' | '^';

export type Expr =
  | { readonly kind: 'num'; readonly value: bigint }
  | { readonly kind: 'sym'; readonly name: string }
  | { readonly kind: 'dot' }
  | { readonly kind: 'neg' | 'inv'; readonly a: Expr }
  | { readonly kind: 'bin'; readonly op: BinOp; readonly a: Expr; readonly b: Expr }
  | { readonly kind: 'reloc'; readonly op: RelocOp; readonly a: Expr };

export function isExpr(x: unknown): x is Expr {
  return typeof x === 'object' && x !== null && 'kind' in x;
}

// ---- builders for the TypeScript API -------------------------------------------------------

export const num = (value: bigint | number): Expr => ({ kind: 'num', value: BigInt(value) });

/** A symbol (label, `.equ` constant or external symbol), optionally plus an addend. */
export function sym(name: string, addend: bigint | number = 0): Expr {
  const s: Expr = { kind: 'sym', name };
  return addend === 0 || addend === 0n ? s : { kind: 'bin', op: '+', a: s, b: num(addend) };
}

const asExpr = (x: string | bigint | number | Expr): Expr => (isExpr(x) ? x : typeof x === 'string' ? sym(x) : num(x));

/** `%hi(x)`: the lui part of an absolute address (x must be a sign-extended 32-bit value). */
export const hi = (x: string | bigint | number | Expr): Expr => ({ kind: 'reloc', op: 'hi', a: asExpr(x) });
/** `%lo(x)`: the addi/load/store part that completes `%hi(x)`. */
export const lo = (x: string | bigint | number | Expr): Expr => ({ kind: 'reloc', op: 'lo', a: asExpr(x) });
/** `%pcrel_hi(x)`: the auipc part of x relative to the auipc itself. */
export const pcrelHi = (x: string | bigint | number | Expr): Expr => ({ kind: 'reloc', op: 'pcrel_hi', a: asExpr(x) });
/** `%pcrel_lo(label)`: completes the `%pcrel_hi` of the auipc at `label`. */
export const pcrelLo = (label: string): Expr => ({ kind: 'reloc', op: 'pcrel_lo', a: sym(label) });
/** `. + offset`: a target relative to the instruction that uses it. */
export const rel = (offset: bigint | number): Expr => ({ kind: 'bin', op: '+', a: { kind: 'dot' }, b: num(offset) });

// ---- evaluation ------------------------------------------------------------------------------

/** What an expression can see when it is evaluated. */
export interface EvalEnv {
  /** Address of the instruction or datum being assembled (`.`). */
  readonly pc: bigint;
  /** Value of a symbol; throws AsmError when it is undefined. */
  symbol(name: string): bigint;
  /** The offset a `%pcrel_hi` at `label` encodes (target - label). */
  pcrelTarget(label: string): bigint;
}

const B12 = 1n << 12n;
const B19 = 1n << 19n;

/** Evaluates to an unbounded bigint; callers normalise to the width they need. */
export function evaluate(e: Expr, env: EvalEnv): bigint {
  switch (e.kind) {
    case 'num':
      return e.value;
    case 'sym':
      return env.symbol(e.name);
    case 'dot':
      return env.pc;
    case 'neg':
      return -evaluate(e.a, env);
    case 'inv':
      return ~evaluate(e.a, env);
    case 'bin': {
      const a = evaluate(e.a, env);
      const b = evaluate(e.b, env);
      switch (e.op) {
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '<<': return BigInt.asIntN(64, a << b);
        case '>>': return BigInt.asIntN(64, a) >> b;
        case '&': return a & b;
        case '|': return a | b;
        case '^': return a ^ b;
      }
      break;
    }
    case 'reloc': {
      switch (e.op) {
        case 'hi': {
          const v = BigInt.asIntN(64, evaluate(e.a, env));
          const h = (v + 0x800n) >> 12n;
          if (h < -B19 || h >= B19) throw new AsmError(`%hi(${format(e.a)}): 0x${BigInt.asUintN(64, v).toString(16)} is not reachable with lui+addi (a sign-extended 32-bit value)`);
          return h;
        }
        case 'lo':
          return BigInt.asIntN(12, evaluate(e.a, env));
        case 'pcrel_hi': {
          const off = BigInt.asIntN(64, evaluate(e.a, env) - env.pc);
          const h = (off + 0x800n) >> 12n;
          if (h < -B19 || h >= B19) throw new AsmError(`%pcrel_hi(${format(e.a)}): ${off} bytes away, beyond auipc's +-2 GiB`);
          return h;
        }
        case 'pcrel_lo': {
          if (e.a.kind !== 'sym') throw new AsmError(`%pcrel_lo(${format(e.a)}): expects the label of an auipc`);
          const off = env.pcrelTarget(e.a.name);
          return BigInt.asIntN(12, off - ((off + 0x800n) >> 12n) * B12);
        }
      }
    }
  }
  throw new AsmError(`cannot evaluate ${format(e)}`);
}

export function format(e: Expr): string {
  switch (e.kind) {
    case 'num': return e.value < 0n ? `${e.value}` : e.value > 9n ? `0x${e.value.toString(16)}` : `${e.value}`;
    case 'sym': return e.name;
    case 'dot': return '.';
    case 'neg': return `-${format(e.a)}`;
    case 'inv': return `~${format(e.a)}`;
    case 'bin': return `${operand(e.a)}${e.op}${operand(e.b)}`;
    case 'reloc': return `%${e.op}(${format(e.a)})`;
  }
}

const operand = (e: Expr): string => (e.kind === 'bin' ? `(${format(e)})` : format(e));

// ---- parsing (text front end) ----------------------------------------------------------------

const RELOCS: readonly RelocOp[] = ['hi', 'lo', 'pcrel_hi', 'pcrel_lo'];

/**
 * Parses a GNU-as-like expression. `localRef` maps a numeric local label reference
 * (`1b`, `2f`) to the name of the label it means.
 */
export function parseExpr(text: string, localRef?: (n: string, dir: 'b' | 'f') => string): Expr {
  const toks = tokenize(text);
  let i = 0;
  const peek = () => toks[i];
  const fail = (why: string): never => {
    throw new AsmError(`bad expression "${text}": ${why}`);
  };
  const next = () => toks[i++] ?? fail('unexpected end');

  // Precedence, loosest first: | ^ &, + -, << >>, *.
  const levels: readonly (readonly BinOp[])[] = [['|', '^'], ['&'], ['+', '-'], ['<<', '>>'], ['*']];
  const binary = (level: number): Expr => {
    if (level === levels.length) return unary();
    let a = binary(level + 1);
    while ((levels[level] as readonly string[]).includes(peek() ?? '')) {
      const op = next() as BinOp;
      a = { kind: 'bin', op, a, b: binary(level + 1) };
    }
    return a;
  };
  const unary = (): Expr => {
    const t = next();
    if (t === '-') return fold({ kind: 'neg', a: unary() });
    if (t === '+') return unary();
    if (t === '~') return { kind: 'inv', a: unary() };
    if (t === '(') {
      const e = binary(0);
      if (next() !== ')') fail('missing )');
      return e;
    }
    if (t === '.') return { kind: 'dot' };
    if (t.startsWith('%')) {
      const op = t.slice(1) as RelocOp;
      if (!RELOCS.includes(op)) fail(`unknown operator ${t}`);
      if (next() !== '(') fail(`${t} needs (...)`);
      const a = binary(0);
      if (next() !== ')') fail('missing )');
      return { kind: 'reloc', op, a };
    }
    const local = /^(\d+)([bf])$/.exec(t);
    if (local) {
      if (!localRef) fail(`local label reference ${t} is not allowed here`);
      return sym(localRef!(local[1]!, local[2] as 'b' | 'f'));
    }
    if (/^[0-9]/.test(t)) {
      if (!/^(0x[0-9a-f]+|0b[01]+|[0-9]+)$/i.test(t)) fail(`bad number ${t}`);
      return num(BigInt(t));
    }
    if (/^'.'$/.test(t)) return num(t.charCodeAt(1));
    if (/^[A-Za-z_.$][\w.$]*$/.test(t)) return sym(t);
    return fail(`unexpected "${t}"`);
  };
  const e = binary(0);
  if (i !== toks.length) fail(`unexpected "${toks[i]}"`);
  return e;
}

/** Constant-folds a negated number, so `-5` is a plain number. */
function fold(e: Expr): Expr {
  return e.kind === 'neg' && e.a.kind === 'num' ? num(-e.a.value) : e;
}

function tokenize(text: string): string[] {
  const re = /\s*(<<|>>|%[a-z_]+|0x[0-9a-fA-F]+|0b[01]+|\d+[bf](?![\w])|[0-9]\w*|'.'|[A-Za-z_.$][\w.$]*|[-+*~()&|^])/y;
  const out: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new AsmError(`bad expression "${text}": cannot read "${text.slice(pos).trim()}"`);
    out.push(m[1]!);
    pos = re.lastIndex;
  }
  if (out.length === 0) throw new AsmError('missing expression');
  return out;
}
