/**
 * The assembler's text front end: GNU-as-like source to machine code.
 *
 * ```ts
 * const prog = assemble(`
 *   .equ SYS_exit, 93
 *   _start:
 *     li a0, 7
 *     li a7, SYS_exit
 *     ecall
 * `, { base: 0x10000n });
 * ```
 *
 * One statement per line (or several separated by `;`), `label:` and numeric local labels
 * (`1:` with `1b` / `1f`), `#` comments, registers by ABI or xN name, `imm(reg)` memory
 * operands, expressions with %hi/%lo/%pcrel_hi/%pcrel_lo, every mnemonic of the table and
 * pseudo.ts, the macros li/la/lla/call/tail/jump, and the directives handled in `directive`.
 * There is one section: `.text` (and `.section .text...`) are accepted, others are errors.
 */
import { AsmError } from './errors';
import { Assembler, type AssemblerOptions, type Operand, type Program, type Where } from './assembler';
import { parseExpr, type Expr } from './expr';
import { fitsSlot, formsOf, type Form } from './forms';
import { xreg } from '../isa/regnames';

/** Assembles GNU-as-like source. Errors are AsmError with `line N: ...`. */
export function assemble(source: string, opts: AssemblerOptions = {}): Program {
  return new TextAssembler(opts).run(source);
}

/** A written operand: plain text, or a memory reference `off(base)` / `(base)`. */
type Written = { readonly shape: 'plain'; readonly text: string } | { readonly shape: 'mem'; readonly offset: string | undefined; readonly base: string };

/** Macros (several instructions); they take precedence over pseudo.ts's 12-bit `li`. */
const MACROS: ReadonlyMap<string, { readonly operands: readonly number[]; readonly syntax: string }> = new Map([
  ['li', { operands: [2], syntax: 'rd, constant' }],
  ['la', { operands: [2], syntax: 'rd, symbol' }],
  ['lla', { operands: [2], syntax: 'rd, symbol' }],
  ['call', { operands: [1, 2], syntax: '[rd,] target' }],
  ['tail', { operands: [1], syntax: 'target' }],
  ['jump', { operands: [2], syntax: 'target, temp' }],
]);

const IGNORED = new Set(['.globl', '.global', '.local', '.weak', '.type', '.size', '.file', '.ident', '.attribute', '.hidden', '.p2alignw', '.cfi_startproc', '.cfi_endproc', '.loc']);

class TextAssembler {
  private readonly a: Assembler;
  /** Numeric local labels: how many times each number has been defined so far. */
  private readonly localCount = new Map<string, number>();
  /** Forward references `Nf`, checked once the whole source has been read. */
  private readonly forwardRefs: { n: string; instance: number; line: number }[] = [];
  private line = 0;

  constructor(opts: AssemblerOptions) {
    this.a = new Assembler(opts);
  }

  run(source: string): Program {
    const lines = source.split('\n');
    for (let i = 0; i < lines.length; i++) {
      this.line = i + 1;
      for (const stmt of splitStatements(stripComment(lines[i]!))) {
        try {
          this.statement(stmt.trim());
        } catch (err) {
          if (err instanceof AsmError && err.line === undefined) throw new AsmError(err.message, this.line);
          throw err;
        }
      }
    }
    for (const r of this.forwardRefs) {
      if ((this.localCount.get(r.n) ?? 0) < r.instance) throw new AsmError(`${r.n}f: no label ${r.n}: after this line`, r.line);
    }
    return this.a.finish();
  }

  private where(text: string): Where {
    return { text, line: this.line };
  }

  private localName(n: string, instance: number): string {
    return `.L ${n}^${instance}`;
  }

  private localRef = (n: string, dir: 'b' | 'f'): string => {
    const count = this.localCount.get(n) ?? 0;
    if (dir === 'b') {
      if (count === 0) throw new AsmError(`${n}b: no label ${n}: before this line`);
      return this.localName(n, count);
    }
    this.forwardRefs.push({ n, instance: count + 1, line: this.line });
    return this.localName(n, count + 1);
  };

  private expr(text: string): Expr {
    return parseExpr(text, this.localRef);
  }

  private statement(stmt: string): void {
    // Labels first: `name:` or `1:`, possibly several, possibly followed by a statement.
    for (;;) {
      const m = /^([A-Za-z_.$][\w.$]*|\d+)\s*:(?!=)/.exec(stmt);
      if (!m) break;
      const name = m[1]!;
      if (/^\d+$/.test(name)) {
        const k = (this.localCount.get(name) ?? 0) + 1;
        this.localCount.set(name, k);
        this.a.defineLabel(this.localName(name, k), this.where(`${name}:`));
      } else {
        this.a.defineLabel(name, this.where(`${name}:`));
      }
      stmt = stmt.slice(m[0].length).trim();
    }
    if (stmt === '') return;
    const assign = /^([A-Za-z_.$][\w.$]*)\s*=\s*(.+)$/.exec(stmt);
    if (assign) {
      this.a.equ(assign[1]!, this.expr(assign[2]!), this.where(stmt));
      return;
    }
    const m = /^(\S+)\s*(.*)$/.exec(stmt)!;
    const head = m[1]!.toLowerCase();
    const rest = m[2]!.trim();
    if (head.startsWith('.') && formsOf(head).length === 0) this.directive(head, rest, stmt);
    else this.instruction(head, rest, stmt);
  }

  private directive(name: string, rest: string, stmt: string): void {
    const args = rest === '' ? [] : splitOperands(rest);
    const where = this.where(stmt);
    const int = (s: string | undefined, what: string): number => {
      if (s === undefined) throw new AsmError(`${stmt}: missing ${what}`);
      const v = Number(BigInt(this.constant(s)));
      return v;
    };
    switch (name) {
      case '.text':
        return;
      case '.section':
        if (!/^\.text\b/.test(args[0] ?? '')) throw new AsmError(`${stmt}: only the .text section is supported`);
        return;
      case '.data': case '.bss': case '.rodata':
        throw new AsmError(`${stmt}: only the .text section is supported (put data in .text)`);
      case '.option':
        switch (args[0]) {
          case 'rvc': case 'norvc': case 'push': case 'pop':
            this.a.option(args[0]);
            return;
          case 'relax': case 'norelax': case 'pic': case 'nopic':
            return; // nothing is ever relaxed or relocated here
          default:
            throw new AsmError(`${stmt}: unsupported option ${args[0] ?? ''}`);
        }
      case '.align': case '.p2align': {
        const fill = args[1] === undefined ? 'nop' : int(args[1], 'fill');
        this.a.align(2 ** int(args[0], 'alignment'), fill, where);
        return;
      }
      case '.balign': {
        const fill = args[1] === undefined ? 'nop' : int(args[1], 'fill');
        this.a.align(int(args[0], 'alignment'), fill, where);
        return;
      }
      case '.byte':
        this.a.data(1, args.map((s) => this.expr(s)), name, where);
        return;
      case '.half': case '.2byte': case '.short':
        this.a.data(2, args.map((s) => this.expr(s)), name, where);
        return;
      case '.word': case '.4byte': case '.long':
        this.a.data(4, args.map((s) => this.expr(s)), name, where);
        return;
      case '.dword': case '.8byte': case '.quad':
        this.a.data(8, args.map((s) => this.expr(s)), name, where);
        return;
      case '.zero': case '.space': case '.skip': {
        const n = int(args[0], 'size');
        const fill = args[1] === undefined ? 0 : int(args[1], 'fill');
        this.a.bytes(new Uint8Array(n).fill(fill), where);
        return;
      }
      case '.ascii': case '.asciz': case '.string':
        for (const s of args) {
          const bytes = parseString(s, stmt);
          this.a.bytes(name === '.ascii' ? bytes : Uint8Array.from([...bytes, 0]), where);
        }
        return;
      case '.equ': case '.set':
        if (args.length !== 2) throw new AsmError(`${stmt}: expected ${name} NAME, value`);
        this.a.equ(args[0]!, this.expr(args[1]!), where);
        return;
      default:
        if (IGNORED.has(name)) return;
        throw new AsmError(`${stmt}: unknown directive ${name}`);
    }
  }

  private constant(text: string): bigint {
    const e = this.expr(text);
    if (e.kind === 'num') return e.value;
    throw new AsmError(`${text}: expected a number`);
  }

  private instruction(name: string, rest: string, stmt: string): void {
    const written = rest === '' ? [] : splitOperands(rest).map(parseWritten);
    const where = this.where(stmt);
    const plain = (i: number): string => {
      const w = written[i]!;
      if (w.shape !== 'plain') throw new AsmError(`${stmt}: operand ${i + 1} cannot be a memory reference`);
      return w.text;
    };
    const macro = MACROS.get(name);
    if (macro) {
      if (!macro.operands.includes(written.length)) throw new AsmError(`${stmt}: ${name} expects ${macro.syntax}`);
      if (name === 'li') this.a.macroLi(plain(0), this.expr(plain(1)), where);
      else if (name === 'jump') this.a.macroPcrel('jump', plain(1), this.expr(plain(0)), where);
      else if (written.length === 2) this.a.macroPcrel(name as 'la' | 'lla' | 'call', plain(0), this.expr(plain(1)), where);
      else this.a.macroPcrel(name as 'call' | 'tail', undefined, this.expr(plain(0)), where);
      return;
    }
    const forms = formsOf(name);
    if (forms.length === 0) throw new AsmError(`${stmt}: unknown instruction ${name}`);
    const ops = written.map((w): Op => (w.shape === 'plain' ? this.operand(w.text) : { offset: w.offset === undefined ? undefined : this.operand(w.offset), base: w.base }));
    const shaped = forms.filter((f) => matches(f, written));
    // The first form whose slots take these operands (`add a0,a1,3` is the addi alias); else
    // the first of the right shape, which then names the operand that does not fit.
    const form = shaped.find((f) => flatten(f, ops).every((op, i) => fitsSlot(f.slots[i]!, op))) ?? shaped[0];
    if (!form) throw new AsmError(`${stmt}: ${name} expects ${forms.map((f) => f.syntax || '(no operands)').join(' | ')}`);
    this.a.emitForm(form, flatten(form, ops), where);
  }

  /** A plain operand: register and other names stay strings, anything else is an expression. */
  private operand(text: string): Operand {
    if (text !== '.' && /^[A-Za-z_.$][\w.$]*$/.test(text)) return text;
    return this.expr(text);
  }
}

/** A converted written operand. */
type Op = Operand | { readonly offset: Operand | undefined; readonly base: string };

const isMem = (op: Op): op is { readonly offset: Operand | undefined; readonly base: string } => typeof op === 'object' && 'base' in op;

/** Written operands -> builder operands in the form's slot order (memory operands become offset, base). */
function flatten(form: Form, ops: readonly Op[]): Operand[] {
  const out: Operand[] = [];
  form.tokens.forEach((tok, i) => {
    const op = ops[i];
    if (op === undefined) return; // an omitted optional operand
    if (!isMem(op)) {
      out.push(op);
      return;
    }
    if (tok.shape === 'mem') out.push(op.offset ?? 0);
    out.push(op.base);
  });
  return out;
}

/** Does the written operand list have the shape of this form? */
function matches(form: Form, written: readonly Written[]): boolean {
  const n = form.tokens.length;
  if (written.length > n || written.length < n - form.optional) return false;
  return written.every((w, i) => {
    const t = form.tokens[i]!;
    if (t.shape === 'plain') return w.shape === 'plain';
    if (w.shape !== 'mem') return false;
    return t.shape === 'mem' || w.offset === undefined || /^0+$/.test(w.offset.trim());
  });
}

/** `off(reg)` / `(reg)` when the parenthesised part is a register, else plain text. */
function parseWritten(text: string): Written {
  const t = text.trim();
  const m = /^(.*)\(\s*([\w]+)\s*\)$/.exec(t);
  if (m) {
    const off = m[1]!.trim();
    // `%lo(x)(a0)`: the offset must itself be balanced; `%lo(x)` alone is an expression.
    if (balanced(off) && xreg(m[2]!) !== undefined) return { shape: 'mem', offset: off === '' ? undefined : off, base: m[2]! };
    if (balanced(off) && off !== '' && !/%\w+$/.test(off)) throw new AsmError(`${t}: ${m[2]} is not a register`);
  }
  return { shape: 'plain', text: t };
}

function balanced(s: string): boolean {
  let d = 0;
  for (const c of s) {
    if (c === '(') d++;
    else if (c === ')' && --d < 0) return false;
  }
  return d === 0;
}

/** Removes a `#` comment (outside string and character literals). */
function stripComment(line: string): string {
  let q: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === '\\') i++;
      else if (c === q) q = undefined;
    } else if (c === '"') {
      q = c;
    } else if (c === "'" && line[i + 2] === "'") {
      i += 2;
    } else if (c === '#') {
      return line.slice(0, i);
    }
  }
  return line;
}

/** Splits on a separator at paren depth 0 outside strings. */
function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let q = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q) {
      if (c === '\\') i++;
      else if (c === '"') q = false;
    } else if (c === '"') q = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === sep && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

const splitStatements = (line: string): string[] => splitTop(line, ';');

function splitOperands(s: string): string[] {
  const parts = splitTop(s, ',').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new AsmError(`empty operand in "${s}"`);
  return parts;
}

function parseString(s: string, stmt: string): Uint8Array {
  const m = /^"((?:[^"\\]|\\.)*)"$/.exec(s.trim());
  if (!m) throw new AsmError(`${stmt}: expected a "string"`);
  const out: number[] = [];
  const body = m[1]!;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out.push(...new TextEncoder().encode(c));
      continue;
    }
    const e = body[++i]!;
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, '\\': 92, '"': 34, "'": 39, a: 7, b: 8, f: 12, v: 11 };
    if (e in simple) out.push(simple[e]!);
    else if (e === 'x') {
      const h = /^[0-9a-fA-F]{1,2}/.exec(body.slice(i + 1))![0];
      out.push(parseInt(h, 16));
      i += h.length;
    } else if (/[0-7]/.test(e)) {
      const o = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out.push(parseInt(o, 8) & 0xff);
      i += o.length - 1;
    } else throw new AsmError(`${stmt}: unknown escape \\${e}`);
  }
  return Uint8Array.from(out);
}
