/**
 * The instruction table: every encoding of encodings/*, with match/mask computed from its
 * fixed bits, checked when this module loads. The decoder, the assembler and the
 * disassembler all read this table; nothing else knows an opcode.
 */
import { FIELDS, type FieldDef, type FieldName, fieldMask, misfit } from './fields';
import type { EntryDef, Ext } from './entry';
import { RV_I } from './encodings/rv_i';
import { RV64_I } from './encodings/rv64_i';
import { RV_M } from './encodings/rv_m';
import { RV_A } from './encodings/rv_a';
import { RV_ZICSR, RV_ZIFENCEI } from './encodings/rv_system';
import { RV_FD } from './encodings/rv_fd';
import { RV_B } from './encodings/rv_b';
import { RV_C } from './encodings/rv_c';
import { RV_S } from './encodings/rv_s';

export interface Entry extends EntryDef {
  readonly match: number;
  readonly mask: number;
  /** Operand fields with their definitions, in `fields` order. */
  readonly defs: readonly (readonly [FieldName, FieldDef])[];
}

/**
 * Pairs of entries whose match/mask overlap, with the reason the overlap is resolved.
 * Each pair must still overlap (a stale entry fails the self-check).
 */
export const OVERLAPS: readonly (readonly [string, string, string])[] = [
  ['c.addi16sp', 'c.lui', 'rd = sp selects c.addi16sp; c.lui rejects rd = sp'],
  ['c.jr', 'c.mv', 'rs2 = 0 selects c.jr; c.mv needs rs2 != 0'],
  ['c.ebreak', 'c.jalr', 'rd = 0 is c.ebreak; c.jalr needs rd != 0'],
  ['c.ebreak', 'c.add', 'rs2 = 0 is c.ebreak; c.add needs rs2 != 0'],
  ['c.jalr', 'c.add', 'rs2 = 0 selects c.jalr; c.add needs rs2 != 0'],
];

export const ALL_DEFS: readonly EntryDef[] = [...RV_I, ...RV64_I, ...RV_M, ...RV_A, ...RV_ZICSR, ...RV_ZIFENCEI, ...RV_FD, ...RV_B, ...RV_C, ...RV_S];

function parseRange(key: string): [number, number] {
  const m = /^(\d+)(?:\.\.(\d+))?$/.exec(key);
  if (!m) throw new Error(`isa table: bad bit range "${key}"`);
  const hi = Number(m[1]);
  const lo = m[2] === undefined ? hi : Number(m[2]);
  if (hi < lo) throw new Error(`isa table: bit range "${key}" is reversed`);
  return [hi, lo];
}

function build(def: EntryDef): Entry {
  const width = def.size * 8;
  let match = 0;
  let mask = 0;
  let covered = 0;
  const claim = (bits: number, what: string) => {
    if ((covered & bits) !== 0) throw new Error(`isa table: ${def.name}: ${what} overlaps bits already used`);
    covered = (covered | bits) >>> 0;
  };
  for (const [key, value] of Object.entries(def.fixed)) {
    const [hi, lo] = parseRange(key);
    const n = hi - lo + 1;
    if (hi >= width) throw new Error(`isa table: ${def.name}: bit range ${key} is outside a ${width}-bit word`);
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** n) {
      throw new Error(`isa table: ${def.name}: fixed value ${value} does not fit bits ${key}`);
    }
    const bits = (n === 32 ? 0xffffffff : (((1 << n) - 1) << lo)) >>> 0;
    claim(bits, `fixed ${key}`);
    mask = (mask | bits) >>> 0;
    match = (match | ((value << lo) >>> 0)) >>> 0;
  }
  const defs: (readonly [FieldName, FieldDef])[] = [];
  for (const name of def.fields) {
    const fd: FieldDef | undefined = (FIELDS as Record<string, FieldDef>)[name];
    if (!fd) throw new Error(`isa table: ${def.name}: unknown field ${name}`);
    claim(fieldMask(fd), `field ${name}`);
    defs.push([name, fd]);
  }
  const all = width === 32 ? 0xffffffff : 0xffff;
  if (covered !== all) {
    throw new Error(`isa table: ${def.name}: bits 0x${((all & ~covered) >>> 0).toString(16)} belong to no field`);
  }
  for (const name of def.nonzero ?? []) {
    if (!def.fields.includes(name)) throw new Error(`isa table: ${def.name}: nonzero names ${name}, which is not a field`);
  }
  if (def.size === 2 && !def.expand) throw new Error(`isa table: ${def.name}: compressed entry without expansion`);
  if (def.hints && def.size !== 2) throw new Error(`isa table: ${def.name}: hints are described for compressed entries only`);
  for (const h of def.hints ?? []) {
    for (const [f, v] of Object.entries(h.fixed) as [FieldName, number][]) {
      if (!def.fields.includes(f)) throw new Error(`isa table: ${def.name}: hint fixes ${f}, which is not a field`);
      const why = misfit(FIELDS[f], v);
      if (why) throw new Error(`isa table: ${def.name}: hint fixes ${f} = ${v}: ${why}`);
      // A hint on a value the entry refuses could never match.
      if (def.nonzero?.includes(f) && v === 0) throw new Error(`isa table: ${def.name}: hint fixes ${f} = 0, which the entry refuses`);
      if (def.not?.[f] === v) throw new Error(`isa table: ${def.name}: hint fixes ${f} = ${v}, which the entry refuses`);
    }
    for (const f of h.nonzero ?? []) {
      if (!def.fields.includes(f)) throw new Error(`isa table: ${def.name}: hint needs ${f} nonzero, which is not a field`);
    }
  }
  if (def.size === 4 && (match & 3) !== 3) throw new Error(`isa table: ${def.name}: 32-bit encoding must have bits 1..0 = 11`);
  if (def.size === 2 && (match & 3) === 3) throw new Error(`isa table: ${def.name}: 16-bit encoding cannot have bits 1..0 = 11`);
  return { ...def, match, mask, defs };
}

function overlaps(a: Entry, b: Entry): boolean {
  return a.size === b.size && ((a.mask & b.mask & (a.match ^ b.match)) >>> 0) === 0;
}

function check(entries: readonly Entry[], overlapList: typeof OVERLAPS): void {
  const byName = new Map<string, Entry>();
  for (const e of entries) {
    if (byName.has(e.name)) throw new Error(`isa table: ${e.name} is defined twice`);
    byName.set(e.name, e);
  }
  const allowed = new Set(overlapList.map(([a, b]) => `${a}|${b}`));
  const used = new Set<string>();
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      const a = entries[i]!;
      const b = entries[j]!;
      if (!overlaps(a, b)) continue;
      const key = allowed.has(`${a.name}|${b.name}`) ? `${a.name}|${b.name}` : `${b.name}|${a.name}`;
      if (!allowed.has(key)) throw new Error(`isa table: ${a.name} and ${b.name} overlap and are not in OVERLAPS`);
      used.add(key);
    }
  }
  for (const [a, b] of overlapList) {
    if (!used.has(`${a}|${b}`)) throw new Error(`isa table: OVERLAPS lists ${a} / ${b}, which no longer overlap`);
  }
  for (const e of entries) {
    if (!e.expand) continue;
    const base = byName.get(e.expand.to);
    if (!base || base.size !== 4) throw new Error(`isa table: ${e.name} expands to unknown ${e.expand.to}`);
    for (const [f] of base.defs) {
      const src = e.expand.args[f];
      if (src === undefined) throw new Error(`isa table: ${e.name} leaves ${e.expand.to}.${f} unset`);
      if (typeof src === 'string' && !e.fields.includes(src)) throw new Error(`isa table: ${e.name} expands ${f} from unknown ${src}`);
    }
  }
}

/**
 * Builds entries from definitions and checks them as a set: each entry covers its word
 * exactly once with fixed bits and known fields, fixed values fit their ranges, compressed
 * entries expand to a known base entry, names are unique, and entries overlap only as the
 * overlap allowlist says (and every allowlisted pair still overlaps). Throws an Error naming
 * the instruction otherwise. TABLE is buildTable(ALL_DEFS); tests feed it broken definitions.
 */
export function buildTable(defs: readonly EntryDef[], overlapList: typeof OVERLAPS = OVERLAPS): Entry[] {
  const entries = defs.map(build);
  check(entries, overlapList);
  return entries;
}

export const TABLE: readonly Entry[] = buildTable(ALL_DEFS);

export const BY_NAME: ReadonlyMap<string, Entry> = new Map(TABLE.map((e) => [e.name, e]));

/** Names of all base (32-bit) instructions: the set every execution engine must implement. */
export type BaseName = string;

export function entry(name: string): Entry {
  const e = BY_NAME.get(name);
  if (!e) throw new Error(`isa table: no instruction named ${name}`);
  return e;
}

export const ALL_EXTS: readonly Ext[] = ['I', 'M', 'A', 'C', 'F', 'D', 'Zicsr', 'Zifencei', 'Zba', 'Zbb', 'Zbs', 'S'];
