/** A: LR/SC and AMOs. Addresses must be naturally aligned (misaligned-access trap otherwise). */
import { type Flow, type Handler, type Hart, type Op, get64, set64, ea } from './common';
import { TrapSignal } from '../trap';
import { toBig } from '../../memory/address';

// Flow codes (see op.ts), as module constants: V8 folds them, unlike a re-exported binding.
const NEXT: Flow = 0;

function aligned(h: Hart, o: Op, size: 4 | 8, access: 'load' | 'store'): number {
  const a = ea(h, o); // imm is 0 for atomics
  if (a % size !== 0) throw new TrapSignal({ kind: 'misaligned-access', pc: toBig(o.pc), access, addr: BigInt.asUintN(64, get64(h, o.rs1)) });
  return a;
}

function read(h: Hart, a: number, size: 4 | 8): bigint {
  const lo = h.m.lw(a);
  if (size === 4) return BigInt(lo);
  const hi = h.m.lw(a + 4);
  return (BigInt(hi) << 32n) | BigInt(lo >>> 0);
}

function write(h: Hart, a: number, size: 4 | 8, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  const lo = Number(u & 0xffffffffn) | 0;
  if (size === 4) h.m.sw(a, lo);
  else h.m.sd(a, lo, Number(u >> 32n) | 0);
}

const norm = (size: 4 | 8, v: bigint) => (size === 4 ? BigInt.asIntN(32, v) : BigInt.asIntN(64, v));
const unsigned = (size: 4 | 8, v: bigint) => BigInt.asUintN(size * 8, v);

const amo = (size: 4 | 8, f: (old: bigint, src: bigint) => bigint): Handler => (h, o) => {
  const a = aligned(h, o, size, 'store');
  h.m.probeStore(a, size); // an AMO that cannot store must not load either
  const old = read(h, a, size);
  const src = norm(size, get64(h, o.rs2));
  write(h, a, size, f(old, src));
  set64(h, o.rd, old);
  return NEXT;
};

function forWidth(sfx: 'w' | 'd', size: 4 | 8): Record<string, Handler> {
  return {
    [`lr.${sfx}`]: (h, o) => {
      const a = aligned(h, o, size, 'load');
      const v = read(h, a, size);
      h.reservation = a;
      set64(h, o.rd, v);
      return NEXT;
    },
    [`sc.${sfx}`]: (h, o) => {
      const a = aligned(h, o, size, 'store');
      const ok = h.reservation === a;
      h.reservation = NaN;
      if (ok) write(h, a, size, get64(h, o.rs2));
      set64(h, o.rd, ok ? 0n : 1n);
      return NEXT;
    },
    [`amoswap.${sfx}`]: amo(size, (_o, s) => s),
    [`amoadd.${sfx}`]: amo(size, (a, b) => a + b),
    [`amoxor.${sfx}`]: amo(size, (a, b) => a ^ b),
    [`amoand.${sfx}`]: amo(size, (a, b) => a & b),
    [`amoor.${sfx}`]: amo(size, (a, b) => a | b),
    [`amomin.${sfx}`]: amo(size, (a, b) => (a < b ? a : b)),
    [`amomax.${sfx}`]: amo(size, (a, b) => (a > b ? a : b)),
    [`amominu.${sfx}`]: amo(size, (a, b) => (unsigned(size, a) < unsigned(size, b) ? a : b)),
    [`amomaxu.${sfx}`]: amo(size, (a, b) => (unsigned(size, a) > unsigned(size, b) ? a : b)),
  };
}

export const RV64A: Record<string, Handler> = { ...forWidth('w', 4), ...forWidth('d', 8) };
