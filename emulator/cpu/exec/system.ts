/** Zicsr and Zifencei. CSRs are provided by the hart's CSR file (counters plus embedder-defined ones). */
import { type Handler, type Hart, type Op, type Flow, get64, set64 } from './common';

// Flow codes (see op.ts), as module constants: V8 folds them, unlike a re-exported binding.
const NEXT: Flow = 0;

function csrop(h: Hart, o: Op, src: bigint, op: 'w' | 's' | 'c', writes: boolean): Flow {
  const csr = o.aux;
  const old = h.csrRead(csr, o);
  if (writes) {
    const v = op === 'w' ? src : op === 's' ? old | src : old & ~src;
    h.csrWrite(csr, BigInt.asUintN(64, v), o);
  }
  set64(h, o.rd, old);
  return NEXT;
}

// csrrs/csrrc with rs1 = x0 (or a zero immediate) read without writing, so read-only CSRs are fine.
export const SYSTEM: Record<string, Handler> = {
  csrrw: (h, o) => csrop(h, o, get64(h, o.rs1), 'w', true),
  csrrs: (h, o) => csrop(h, o, get64(h, o.rs1), 's', o.rs1 !== 0),
  csrrc: (h, o) => csrop(h, o, get64(h, o.rs1), 'c', o.rs1 !== 0),
  csrrwi: (h, o) => csrop(h, o, BigInt(o.imm), 'w', true),
  csrrsi: (h, o) => csrop(h, o, BigInt(o.imm), 's', o.imm !== 0),
  csrrci: (h, o) => csrop(h, o, BigInt(o.imm), 'c', o.imm !== 0),
  'fence.i': (h, o) => {
    h.fenceI();
    return NEXT;
  },
};

