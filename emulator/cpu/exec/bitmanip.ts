/** Zba, Zbb, Zbs. Written on bigint for clarity; kernel code uses them rarely. */
import { type Flow, type Handler, get64, set64 } from './common';

// Flow codes (see op.ts), as module constants: V8 folds them, unlike a re-exported binding.
const NEXT: Flow = 0;

const u64 = (v: bigint) => BigInt.asUintN(64, v);
const s32 = (v: bigint) => BigInt.asIntN(32, v);
const u32 = (v: bigint) => BigInt.asUintN(32, v);

const rr = (f: (a: bigint, b: bigint) => bigint): Handler => (h, o) => {
  set64(h, o.rd, f(get64(h, o.rs1), get64(h, o.rs2)));
  return NEXT;
};
const ri = (f: (a: bigint, sh: bigint) => bigint): Handler => (h, o) => {
  set64(h, o.rd, f(get64(h, o.rs1), BigInt(o.aux)));
  return NEXT;
};
const r1 = (f: (a: bigint) => bigint): Handler => (h, o) => {
  set64(h, o.rd, f(get64(h, o.rs1)));
  return NEXT;
};

function clz(v: bigint, bits: number): bigint {
  let n = 0;
  for (let i = bits - 1; i >= 0 && ((v >> BigInt(i)) & 1n) === 0n; i--) n++;
  return BigInt(n);
}
function ctz(v: bigint, bits: number): bigint {
  let n = 0;
  for (let i = 0; i < bits && ((v >> BigInt(i)) & 1n) === 0n; i++) n++;
  return BigInt(n);
}
function cpop(v: bigint): bigint {
  let n = 0n;
  for (let x = v; x; x &= x - 1n) n++;
  return n;
}
const rol = (a: bigint, s: bigint, bits: bigint) => {
  const m = (1n << bits) - 1n;
  const x = a & m;
  const k = s % bits;
  return ((x << k) | (x >> ((bits - k) % bits))) & m;
};
const ror = (a: bigint, s: bigint, bits: bigint) => rol(a, (bits - (s % bits)) % bits, bits);

export const BITMANIP: Record<string, Handler> = {
  sh1add: rr((a, b) => (a << 1n) + b), sh2add: rr((a, b) => (a << 2n) + b), sh3add: rr((a, b) => (a << 3n) + b),
  'add.uw': rr((a, b) => u32(a) + b),
  'sh1add.uw': rr((a, b) => (u32(a) << 1n) + b), 'sh2add.uw': rr((a, b) => (u32(a) << 2n) + b), 'sh3add.uw': rr((a, b) => (u32(a) << 3n) + b),
  'slli.uw': ri((a, s) => u32(a) << s),
  andn: rr((a, b) => a & ~b), orn: rr((a, b) => a | ~b), xnor: rr((a, b) => ~(a ^ b)),
  max: rr((a, b) => (a > b ? a : b)), min: rr((a, b) => (a < b ? a : b)),
  maxu: rr((a, b) => (u64(a) > u64(b) ? a : b)), minu: rr((a, b) => (u64(a) < u64(b) ? a : b)),
  rol: rr((a, b) => rol(u64(a), b & 63n, 64n)), ror: rr((a, b) => ror(u64(a), b & 63n, 64n)),
  rolw: rr((a, b) => s32(rol(a, b & 31n, 32n))), rorw: rr((a, b) => s32(ror(a, b & 31n, 32n))),
  rori: ri((a, s) => ror(u64(a), s, 64n)), roriw: ri((a, s) => s32(ror(a, s, 32n))),
  clz: r1((a) => clz(u64(a), 64)), ctz: r1((a) => ctz(u64(a), 64)), cpop: r1((a) => cpop(u64(a))),
  clzw: r1((a) => clz(u32(a), 32)), ctzw: r1((a) => ctz(u32(a), 32)), cpopw: r1((a) => cpop(u32(a))),
  'sext.b': r1((a) => BigInt.asIntN(8, a)), 'sext.h': r1((a) => BigInt.asIntN(16, a)), 'zext.h': r1((a) => BigInt.asUintN(16, a)),
  'orc.b': r1((a) => {
    let r = 0n;
    for (let i = 0n; i < 64n; i += 8n) if ((a >> i) & 0xffn) r |= 0xffn << i;
    return r;
  }),
  rev8: r1((a) => {
    let r = 0n;
    const u = u64(a);
    for (let i = 0n; i < 8n; i++) r |= ((u >> (8n * i)) & 0xffn) << (8n * (7n - i));
    return r;
  }),
  bclr: rr((a, b) => a & ~(1n << (b & 63n))), bext: rr((a, b) => (u64(a) >> (b & 63n)) & 1n),
  binv: rr((a, b) => a ^ (1n << (b & 63n))), bset: rr((a, b) => a | (1n << (b & 63n))),
  bclri: ri((a, s) => a & ~(1n << s)), bexti: ri((a, s) => (u64(a) >> s) & 1n),
  binvi: ri((a, s) => a ^ (1n << s)), bseti: ri((a, s) => a | (1n << s)),
};
