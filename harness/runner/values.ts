/**
 * How assertion messages print values, as test_progs' printf formats do: integers as `%lld`
 * (signed 64-bit decimal, bigint and number alike), pointers as `%p` (hex), and the
 * libbpf_get_error() view of a "pointer" for ASSERT_OK_PTR / ASSERT_ERR_PTR.
 */
import type { KResult } from '../../kernel/errno';

/** Values the integer assertions accept (booleans count as 0 / 1, as in C). */
export type Int = number | bigint | boolean;

/** An integer as a signed 64-bit bigint (C `(long long)` of a 64-bit register value), or undefined for non-integers. */
export function asLongLong(v: Int): bigint | undefined {
  if (typeof v === 'bigint') return BigInt.asIntN(64, v);
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (Number.isInteger(v)) return BigInt.asIntN(64, BigInt(v));
  return undefined;
}

/** `%lld`: decimal, signed 64-bit; non-integer numbers print as JavaScript does. */
export function lld(v: Int): string {
  const l = asLongLong(v);
  return l === undefined ? String(v) : l.toString();
}

export type CmpOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** `a op b` as C compares two `long long`s; non-integer numbers compare as JavaScript numbers. */
export function compareInts(a: Int, op: CmpOp, b: Int): boolean {
  const x = asLongLong(a);
  const y = asLongLong(b);
  const [p, q]: [bigint, bigint] | [number, number] = x !== undefined && y !== undefined ? [x, y] : [Number(a), Number(b)];
  switch (op) {
    case '==': return p === q;
    case '!=': return p !== q;
    case '<': return p < q;
    case '<=': return p <= q;
    case '>': return p > q;
    case '>=': return p >= q;
  }
}

export function isKResult(v: unknown): v is KResult<unknown> {
  return typeof v === 'object' && v !== null && 'ok' in v && typeof (v as { ok: unknown }).ok === 'boolean' && ((v as { ok: boolean }).ok ? 'value' in v : 'err' in v);
}

/** The result code ASSERT_OK / ASSERT_ERR look at: the number itself, or a KResult's 0 / -errno. */
export function resultCode(v: Int | KResult<unknown>): Int {
  if (isKResult(v)) return v.ok ? (typeof v.value === 'number' || typeof v.value === 'bigint' ? v.value : 0) : v.err;
  return v;
}

const ENOENT = 2;
const MAX_ERRNO = 4095n;

/**
 * libbpf_get_error() of a "pointer": 0 for a usable value, a negative errno otherwise.
 * A failed KResult gives its errno; null / undefined (libbpf's NULL) count as -ENOENT; a
 * bigint / number in the IS_ERR range (-4095..-1 as a 64-bit value) is that errno.
 */
export function pointerError(p: unknown): number {
  if (p === null || p === undefined) return -ENOENT;
  if (isKResult(p)) return p.ok ? pointerError(p.value === undefined ? true : p.value) : p.err;
  if (typeof p === 'bigint' || typeof p === 'number') {
    if (typeof p === 'number' && !Number.isInteger(p)) return 0;
    const s = BigInt.asIntN(64, BigInt(p));
    if (s === 0n) return -ENOENT;
    return s < 0n && s >= -MAX_ERRNO ? Number(s) : 0;
  }
  return 0;
}

/** `%p`: a pointer value in hex; objects by their constructor name. */
export function ptr(p: unknown): string {
  if (p === null || p === undefined) return '(nil)';
  if (isKResult(p)) return p.ok ? ptr(p.value) : `${p.err}`;
  if (typeof p === 'bigint' || (typeof p === 'number' && Number.isInteger(p))) {
    const v = BigInt.asUintN(64, BigInt(p));
    return v === 0n ? '(nil)' : `0x${v.toString(16)}`;
  }
  if (typeof p === 'object' || typeof p === 'function') return `[${(p as object).constructor?.name ?? 'object'}]`;
  return String(p);
}

/** The errno a failed result carries (what libbpf leaves in errno): -code for negative codes, else 0. */
export function errnoOf(code: Int): number {
  const l = asLongLong(code);
  return l !== undefined && l < 0n && l >= -MAX_ERRNO ? Number(-l) : 0;
}
