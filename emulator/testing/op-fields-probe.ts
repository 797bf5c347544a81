/**
 * Child process of op-fields.test.ts, run with `node --allow-natives-syntax`: decodes enough
 * instruction words for V8 to optimize the decoder, builds ops from them (including pc-relative
 * ones at a kernel address), and prints ops with V8's %DebugPrint, so that the parent can see
 * how each field of an Op is stored.
 */
import { Machine } from '../cpu/machine';
import { decode } from '../isa/decode';

const machine = new Machine();
const hart = machine.addHart();
// A fixed linear congruential sequence of 32-bit words with the low bits of a 32-bit instruction.
let x = 0x12345;
const words: number[] = [];
for (let i = 0; i < 200_000; i++) {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  const w = (x | 3) >>> 0;
  if (decode(w)) words.push(w);
}
// A kernel text address (negative as an address number) and a user one: auipc and jal depend on pc.
const pcs = [-0x80000000 + 0x1234, 0x10000];
const print = new Function('o', '%DebugPrint(o)') as (o: unknown) => void;
const seen = new Set<string>();
for (let i = 0; i < words.length; i++) {
  const op = hart.buildOp(pcs[i & 1]!, words[i]!);
  if (seen.has(op.name)) continue;
  seen.add(op.name);
  print(op);
}
