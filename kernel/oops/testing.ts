/**
 * Real faults on the kernel image, for tests of the oops report (and for anyone who wants to
 * see one): each scenario boots a fresh machine, breaks something the way a bug would, runs a
 * kernel call with a pc trace and returns the report input. Everything is deterministic.
 */
import { assemble } from '../../emulator/asm';
import { StopSignal } from '../../emulator/cpu/trap';
import { disasm } from '../../emulator/isa/disasm';
import { callKernel, type CallResult } from '../image/call';
import { hostCallArea } from '../image/hostcalls';
import type { LayoutName } from '../image/layouts';
import { MODULES_VADDR } from '../image/memmap';
import { bootImage, scratchPage, type Booted } from '../image/testing';
import { readInsn } from './code';
import { oopsCause, type OopsInput } from './report';

export const SCENARIOS = [
  /** bpf_fentry_test9(bad pointer): it dereferences its argument. */
  'load-fault',
  /** bpf_fentry_test9((u32 *)8). */
  'null-deref',
  /** bpf_fentry_test1 with its first instruction overwritten by 0. */
  'illegal-entry',
  /** bpf_prog_test_run_tracing(FENTRY) with bpf_fentry_test8's first instruction after its prologue zeroed. */
  'illegal-nested',
  /** A module function calling an unmapped function pointer. */
  'jump-to-nowhere',
  /** bpf_prog_test_run_tracing(FENTRY) with `j .` after bpf_fentry_test8's prologue, small budget. */
  'watchdog',
  /** bpf_modify_return_test(1, &b) with b on a read-only page: `*b += 1` faults. */
  'store-readonly',
  /** A trampoline-like stub that keeps a pointer in t0 across a host call, then loads through it. */
  'poisoned-temp',
  /** A stub calling a host helper that reports BUG(). */
  'bug',
  /** A stub that returns with s3 changed. */
  'abi',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Scenario {
  readonly booted: Booted;
  readonly result: CallResult;
  /** The function the call entered. */
  readonly fn: bigint;
  readonly input: OopsInput;
}

/** Where scenarios put module code (a page of the module area). */
export const STUB_BASE = MODULES_VADDR + 0x1000n;
const BPF_TRACE_FENTRY = 24n;
const TRACE_DEPTH = 16;

/** The first instruction after `addi s0,sp,N` in a function (its frame is set up there). */
export function afterPrologue(b: Booted, func: string): bigint {
  const mem = b.machine.memory;
  let a = b.kernel.sym(func);
  for (let k = 0; k < 64; k++) {
    const i = readInsn(mem, a);
    if (!i) break;
    a += BigInt(i.length);
    if (/^addi?\ts0,sp,/.test(disasm(i.word, i.addr).text)) return a;
  }
  throw new Error(`${func}: no frame-pointer prologue found`);
}

function stub(b: Booted, name: string, src: string): bigint {
  const mem = b.machine.memory;
  if (!mem.isMapped(STUB_BASE)) mem.map(STUB_BASE, 4096, 'rx');
  const p = assemble(src, { base: STUB_BASE, compressed: b.kernel.layout.rvc });
  mem.writeBytes(STUB_BASE, p.bytes, true);
  b.kernel.kallsyms.add(name, STUB_BASE, p.bytes.length, { module: 'bpf' });
  return STUB_BASE;
}

function zeroInsn(b: Booted, at: bigint): void {
  const i = readInsn(b.machine.memory, at);
  if (!i) throw new Error(`no instruction at 0x${at.toString(16)}`);
  b.machine.memory.writeBytes(at, new Uint8Array(i.length), true);
}

const PROLOGUE = 'addi sp,sp,-16\nsd ra,8(sp)\nsd s0,0(sp)\naddi s0,sp,16';
const EPILOGUE = 'ld ra,8(sp)\nld s0,0(sp)\naddi sp,sp,16\nret';

/** Boots `layout`, sets up the scenario and runs it. */
export function runScenario(layout: LayoutName, name: ScenarioName): Scenario {
  const b = bootImage(layout);
  const mem = b.machine.memory;
  const k = b.kernel;
  let fn: bigint;
  let args: bigint[] = [];
  let budget: number | undefined;
  switch (name) {
    case 'load-fault':
    case 'null-deref':
      fn = k.sym('bpf_fentry_test9');
      args = [name === 'load-fault' ? 0xdead000000000100n : 8n];
      break;
    case 'illegal-entry':
      fn = k.sym('bpf_fentry_test1');
      zeroInsn(b, fn);
      args = [1n];
      break;
    case 'illegal-nested':
    case 'watchdog': {
      const at = afterPrologue(b, 'bpf_fentry_test8');
      if (name === 'watchdog') mem.writeBytes(at, assemble('j .', { base: at, compressed: k.layout.rvc }).bytes, true);
      else zeroInsn(b, at);
      fn = k.sym('bpf_prog_test_run_tracing');
      args = [BPF_TRACE_FENTRY, scratchPage(b.machine) + 0x800n];
      if (name === 'watchdog') budget = 500;
      break;
    }
    case 'jump-to-nowhere':
      fn = stub(b, 'call_fnptr', `${PROLOGUE}\njalr a0\n${EPILOGUE}`);
      args = [0xffffffff90000000n];
      break;
    case 'store-readonly': {
      const page = scratchPage(b.machine);
      mem.writeU(page + 0x40n, 4, 2n);
      mem.protect(page, 4096, 'r');
      fn = k.sym('bpf_modify_return_test');
      args = [1n, page + 0x40n];
      break;
    }
    case 'poisoned-temp': {
      const enter = hostCallArea(b.machine).add('__bpf_prog_enter', () => 1n);
      fn = stub(b, 'bpf_trampoline_6442', `${PROLOGUE}\nmv t0,a0\nli t1,${enter}\njalr t1\nld a0,0(t0)\n${EPILOGUE}`);
      const p = scratchPage(b.machine);
      args = [p];
      break;
    }
    case 'bug': {
      const helper = hostCallArea(b.machine).add('__bpf_tramp_enter', () => {
        throw new StopSignal('BUG: bpf_trampoline_6442: entered with no program attached');
      });
      fn = stub(b, 'bpf_trampoline_6442', `${PROLOGUE}\nli t1,${helper}\njalr t1\n${EPILOGUE}`);
      break;
    }
    case 'abi':
      fn = stub(b, 'bpf_trampoline_6442', 'li s3,7\nmv a0,t1\nret');
      break;
  }
  const result = callKernel(b.hart, fn, args, { trace: TRACE_DEPTH, ...(budget !== undefined ? { budget } : {}) });
  const cause = oopsCause(result, fn);
  if (!cause) throw new Error(`scenario ${name} on ${layout}: the call returned normally`);
  const input: OopsInput = {
    cause,
    hart: b.hart,
    kallsyms: k.kallsyms,
    recentPcs: b.hart.recentPcs(),
    kernel: layout,
    profile: `${layout}: ${k.layout.sledBytes}-byte sled (-fpatchable-function-entry=${k.layout.pfe}), untraced`,
  };
  return { booted: b, result, fn, input };
}
