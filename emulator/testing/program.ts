/**
 * Test helper: put instruction words into a fresh machine and run them. Words are encoded
 * with the table's encoder, so tests state instructions by name and operands.
 */
import { Machine } from '../cpu/machine';
import type { Hart, HartOptions } from '../cpu/hart';
import { encode } from '../isa/encode';
import type { Args } from '../isa/decode';

export const CODE = 0x10000n;
export const DATA = 0x20000n;
export const KCODE = 0xffffffff80000000n;

export type Insn = readonly [name: string, args: Args] | number;

/** Encodes instructions (or raw words) as little-endian bytes; 16-bit entries take two bytes. */
export function assembleWords(insns: readonly Insn[]): Uint8Array {
  const out: number[] = [];
  for (const i of insns) {
    const w = typeof i === 'number' ? i : encode(i[0], i[1]);
    const size = (w & 3) === 3 ? 4 : 2;
    for (let b = 0; b < size; b++) out.push((w >>> (8 * b)) & 0xff);
  }
  return Uint8Array.from(out);
}

export interface TestMachine {
  readonly machine: Machine;
  readonly hart: Hart;
}

/** A machine with code at `base` (rx) and a 64 KiB rw data region at DATA. */
export function machineWith(insns: readonly Insn[], base = CODE, opts: HartOptions = {}): TestMachine {
  const machine = new Machine();
  const hart = machine.addHart(opts);
  machine.memory.map(base, 0x4000, 'rx');
  machine.memory.writeBytes(base, assembleWords(insns), true);
  machine.memory.map(DATA, 0x10000, 'rw');
  hart.pc = base;
  return { machine, hart };
}
