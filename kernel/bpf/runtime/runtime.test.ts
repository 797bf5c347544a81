/**
 * The BPF runtime's helpers on a booted kernel: __bpf_prog_enter/exit pairing (and the WARN
 * when exit gets another value), recursion misses, run_ctx save/restore and nesting, cookies
 * through the run_ctx, stats, trampoline image references, and freeing programs. The helpers
 * are called both directly (callKernel) and from machine code (the test invoker).
 */
import { expect } from 'chai';
import { bootKernel, type Kernel } from '../../kernel';
import { callKernel, entryValue, scratchPage, type CallResult } from '../../image';
import { poisonValue } from '../../../emulator/cpu/machine';
import { T2 } from '../../../emulator/asm';
import { bpfRuntime, type BpfRuntime } from './runtime';
import { defineObject, type ProgSpec } from './prog';
import { BPF_PROG, BPF_TRAMP_RUN_CTX, NO_START_TIME } from './layout';
import { buildInvoker } from './testing';

interface Env {
  readonly k: Kernel;
  readonly rt: BpfRuntime;
  /** A rw page for run_ctx structs and ctx arrays. */
  readonly scratch: bigint;
}

function setup(profile = 'v6.11'): Env {
  const k = bootKernel(profile);
  return { k, rt: bpfRuntime(k), scratch: scratchPage(k.machine) };
}

function returned(r: CallResult): bigint {
  if (r.kind !== 'returned') throw new Error(`call did not return: ${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
  expect(r.abi, 'callee-saved registers').to.deep.equal([]);
  return r.value;
}

const counter = (name: string, extra: Partial<ProgSpec> = {}): ProgSpec => ({
  name,
  attach: 'fentry',
  target: 'bpf_fentry_test1',
  body: (ctx) => {
    ctx.bss[`${name}_runs`] = ctx.bss[`${name}_runs`]! + 1n;
  },
  ...extra,
});

function enter({ k, rt }: Env, prog: bigint, runCtx: bigint): bigint {
  return returned(k.call(rt.progEnter, [prog, runCtx]));
}

function exit({ k, rt }: Env, prog: bigint, start: bigint, runCtx: bigint): void {
  returned(k.call(rt.progExit, [prog, start, runCtx]));
}

describe('bpf runtime: __bpf_prog_enter / __bpf_prog_exit', () => {
  it('enter installs the run_ctx, returns a start time > 1; exit restores it and counts the run', () => {
    const env = setup();
    const { k, rt, scratch } = env;
    const p = rt.loadProg(counter('p'));
    const rc = scratch + 0x100n;
    k.machine.memory.writeU(rc + 8n, 8, 0x1234n); // stale saved_run_ctx: enter overwrites it
    const start = enter(env, p.addr, rc);
    expect(start > NO_START_TIME).to.equal(true);
    expect(p.activeOn(0)).to.equal(1);
    expect(rt.currentRunCtx(k.hart)).to.equal(rc);
    expect(k.machine.memory.readU(rc + BigInt(BPF_TRAMP_RUN_CTX.savedRunCtx), 8)).to.equal(0n);
    expect(rt.pendingOn(k.hart).map((i) => i.start)).to.deep.equal([start]);
    exit(env, p.addr, start, rc);
    expect(p.active).to.equal(0);
    expect(rt.currentRunCtx(k.hart)).to.equal(0n);
    expect(p.stats.cnt).to.equal(1n);
    expect(p.stats.nsecs > 0n).to.equal(true);
    expect(p.recursionMisses).to.equal(0n);
    expect(k.log.problems()).to.deep.equal([]);
  });

  it('every enter returns a different start; the counters live in the struct bpf_prog', () => {
    const env = setup();
    const p = env.rt.loadProg(counter('p'));
    const rc = env.scratch;
    const starts = [0, 1, 2].map(() => {
      const s = enter(env, p.addr, rc);
      exit(env, p.addr, s, rc);
      return s;
    });
    expect(new Set(starts).size).to.equal(3);
    expect(env.k.machine.memory.readU(p.addr + BigInt(BPF_PROG.runCnt), 8)).to.equal(3n);
    expect(env.k.machine.memory.readU(p.addr + BigInt(BPF_PROG.bpfFunc), 8)).to.equal(p.bpfFunc);
  });

  it('exit with another value than enter returned is a WARN naming the prog and both values', () => {
    const env = setup();
    const p = env.rt.loadProg(counter('test1'));
    const rc = env.scratch;
    const start = enter(env, p.addr, rc);
    exit(env, p.addr, start + 1n, rc);
    const warns = env.k.log.problems().map((l) => l.text);
    expect(warns).to.have.length(1);
    expect(warns[0]).to.include('__bpf_prog_exit: prog test1 (id 1)');
    expect(warns[0]).to.include(`got start ${(start + 1n).toString(16)}`);
    expect(warns[0]).to.include(`returned ${start.toString(16)}`);
    expect(p.active).to.equal(0); // exit still did its work
  });

  it('the WARN says when the value is a marker: s1 never written after enter', () => {
    const env = setup();
    const p = env.rt.loadProg(counter('test1'));
    enter(env, p.addr, env.scratch);
    exit(env, p.addr, entryValue(9), env.scratch);
    expect(env.k.log.problems()[0]!.text).to.include('(the value s1 held when the kernel call began: never written)');
  });

  it('a trampoline keeping the start in a caller-saved register is caught by the WARN (machine code)', () => {
    const env = setup();
    const p = env.rt.loadProg(counter('test1'));
    const good = buildInvoker(env.rt, [{ prog: p }], { keep: 9 /* s1 */ });
    returned(env.k.call(good.addr));
    expect(env.k.log.problems()).to.deep.equal([]);
    const bad = buildInvoker(env.rt, [{ prog: p }], { keep: T2 });
    returned(env.k.call(bad.addr));
    const warns = env.k.log.problems().map((l) => l.text);
    expect(warns).to.have.length(1);
    expect(warns[0]).to.include(`got start ${poisonValue(T2).toString(16)}`);
    expect(warns[0]).to.include('the poison a host call leaves in t2');
    expect(p.bss.test1_runs).to.equal(2n);
  });

  it('with stats disabled enter returns NO_START_TIME (1) and exit counts nothing', () => {
    const env = setup();
    env.rt.statsEnabled = false;
    const p = env.rt.loadProg(counter('p'));
    const start = enter(env, p.addr, env.scratch);
    expect(start).to.equal(1n);
    exit(env, p.addr, start, env.scratch);
    expect(p.stats.cnt).to.equal(0n);
    expect(env.k.log.problems()).to.deep.equal([]);
  });

  it('an address that is not a loaded bpf_prog stops the run with a BUG', () => {
    const env = setup();
    const r = env.k.call(env.rt.progEnter, [poisonValue(12), env.scratch]);
    expect(r.kind).to.equal('stop');
    expect(env.k.log.problems().map((l) => l.text)[0]).to.match(/^BUG: __bpf_prog_enter: deadbeef0000000c is not a loaded bpf_prog \(the poison .* a2/);
  });

  it('a run_ctx that is not writable memory is a kernel paging fault in enter', () => {
    const env = setup();
    const p = env.rt.loadProg(counter('p'));
    const r = env.k.call(env.rt.progEnter, [p.addr, 0x10n]);
    expect(r.kind).to.equal('stop');
    expect(env.k.log.problems()[0]!.text).to.include('Unable to handle kernel paging request at virtual address 0000000000000010');
  });
});

describe('bpf runtime: recursion', () => {
  it('enter on an active prog counts a miss and returns 0; exits unwind in order', () => {
    const env = setup();
    const p = env.rt.loadProg(counter('p'));
    const rc1 = env.scratch, rc2 = env.scratch + 0x10n;
    const s1 = enter(env, p.addr, rc1);
    const s2 = enter(env, p.addr, rc2);
    expect(s2).to.equal(0n);
    expect(p.recursionMisses).to.equal(1n);
    expect(p.activeOn(0)).to.equal(2);
    exit(env, p.addr, s2, rc2);
    exit(env, p.addr, s1, rc1);
    expect(p.active).to.equal(0);
    expect(p.stats.cnt).to.equal(1n); // the skipped invocation is not a run
    expect(env.k.log.problems()).to.deep.equal([]);
  });

  it('a program whose code re-enters itself through the invoker runs once and misses once', () => {
    const env = setup();
    const { rt } = env;
    const at = rt.allocText(512);
    const obj = rt.load(defineObject({
      name: 'recursion',
      bss: { pass: 0n },
      progs: [{ name: 'on_delete', attach: 'fentry', target: 'htab_map_delete_elem', image: ['body', at], body: (ctx) => { ctx.bss.pass = ctx.bss.pass! + 1n; } }],
    }));
    const p = obj.prog('on_delete');
    const inv = buildInvoker(rt, [{ prog: p }], { at });
    const events = rt.startRecording();
    returned(env.k.call(inv.addr));
    expect(obj.bss.pass).to.equal(1n);
    expect(p.recursionMisses).to.equal(1n);
    expect(p.runs).to.equal(1);
    expect(p.active).to.equal(0);
    expect(events.map((e) => `${e.kind}${'start' in e ? (e.start === 0n ? ':0' : ':t') : ''}`)).to.deep.equal(['enter:t', 'run', 'enter:0', 'exit:0', 'exit:t']);
    expect(env.k.log.problems()).to.deep.equal([]);
  });

  it('recursion is per hart: the same prog active on hart 0 runs on hart 1', () => {
    const k = bootKernel('v6.11', { harts: 2 });
    const rt = bpfRuntime(k);
    const p = rt.loadProg(counter('p'));
    const rc = scratchPage(k.machine);
    const s0 = returned(k.call(rt.progEnter, [p.addr, rc]));
    const r1 = k.harts[1]!;
    const s1 = callKernel(r1, rt.progEnter, [p.addr, rc + 0x10n]);
    expect(s1.kind === 'returned' && s1.value > 1n).to.equal(true);
    expect([p.activeOn(0), p.activeOn(1), Number(p.recursionMisses)]).to.deep.equal([1, 1, 0]);
    expect(rt.currentRunCtx(r1)).to.equal(rc + 0x10n);
    expect(rt.currentRunCtx(k.hart)).to.equal(rc);
    returned(k.call(rt.progExit, [p.addr, s0, rc]));
  });
});

describe('bpf runtime: run_ctx', () => {
  it('nested invocations save and restore the run_ctx chain', () => {
    const env = setup();
    const { k, rt } = env;
    const a = rt.loadProg(counter('a')), b = rt.loadProg(counter('b'));
    const rcA = env.scratch, rcB = env.scratch + 0x10n;
    const sa = enter(env, a.addr, rcA);
    const sb = enter(env, b.addr, rcB);
    expect(rt.currentRunCtx(k.hart)).to.equal(rcB);
    expect(k.machine.memory.readU(rcB + 8n, 8)).to.equal(rcA);
    exit(env, b.addr, sb, rcB);
    expect(rt.currentRunCtx(k.hart)).to.equal(rcA);
    exit(env, a.addr, sa, rcA);
    expect(rt.currentRunCtx(k.hart)).to.equal(0n);
    expect(k.log.problems()).to.deep.equal([]);
  });

  it('exiting the outer invocation first, or with a run_ctx nobody entered, is a WARN', () => {
    const env = setup();
    const a = env.rt.loadProg(counter('a')), b = env.rt.loadProg(counter('b'));
    const rcA = env.scratch, rcB = env.scratch + 0x10n;
    const sa = enter(env, a.addr, rcA);
    enter(env, b.addr, rcB);
    exit(env, a.addr, sa, rcA);
    const warns = env.k.log.problems().map((l) => l.text);
    expect(warns).to.have.length(1);
    expect(warns[0]).to.match(/prog b \(id 2\) entered .* but never exited before prog a \(id 1\) exited/);
    exit(env, b.addr, 5n, env.scratch + 0x20n);
    expect(env.k.log.problems()[1]!.text).to.include('no __bpf_prog_enter with run_ctx');
  });

  it('a run_ctx overwritten between enter and exit is a WARN', () => {
    const env = setup();
    const p = env.rt.loadProg(counter('p'));
    const rc = env.scratch;
    const s = enter(env, p.addr, rc);
    env.k.machine.memory.writeU(rc + 8n, 8, 0x4242n);
    exit(env, p.addr, s, rc);
    expect(env.k.log.problems()[0]!.text).to.include('run_ctx overwritten');
    expect(env.rt.currentRunCtx(env.k.hart)).to.equal(0x4242n); // restored from memory, as the kernel does
  });

  it('bpf_get_attach_cookie reads the cookie the trampoline wrote into its run_ctx', () => {
    const env = setup();
    const obj = env.rt.load(defineObject({
      name: 'test_bpf_cookie',
      bss: { fentry_res: 0n, fexit_res: 0n },
      progs: [
        { name: 'fentry_test1', attach: 'fentry', target: 'bpf_fentry_test1', body: (ctx) => { ctx.bss.fentry_res = ctx.bss.fentry_res! | ctx.cookie(); } },
        { name: 'fexit_test1', attach: 'fexit', target: 'bpf_fentry_test1', body: (ctx) => { ctx.bss.fexit_res = ctx.bss.fexit_res! | ctx.cookie(); } },
      ],
    }));
    const inv = buildInvoker(env.rt, [
      { prog: obj.prog('fentry_test1'), cookie: 0x10000000000000n },
      { prog: obj.prog('fexit_test1'), cookie: 0x20000000000000n },
    ]);
    returned(env.k.call(inv.addr));
    expect(obj.bss.fentry_res).to.equal(0x10000000000000n);
    expect(obj.bss.fexit_res).to.equal(0x20000000000000n);
    expect(env.rt.pendingOn(env.k.hart)).to.deep.equal([]);
    expect(env.k.log.problems()).to.deep.equal([]);
  });

  it('a program run without a run_ctx reads cookie 0 and WARNs', () => {
    const env = setup();
    const p = env.rt.loadProg({ name: 'c', attach: 'fentry', target: 'f', body: (ctx) => ctx.cookie() });
    expect(returned(env.k.call(p.bpfFunc, [env.scratch]))).to.equal(0n);
    expect(env.k.log.problems()[0]!.text).to.include('bpf_get_attach_cookie: prog c (id 1) runs without a run_ctx');
  });
});

describe('bpf runtime: trampoline images and programs', () => {
  it('__bpf_tramp_enter/exit keep a reference count per image; an extra exit is a WARN', () => {
    const env = setup();
    const { k, rt } = env;
    const im = 0xffffffff00001000n;
    returned(k.call(rt.trampEnter, [im]));
    returned(k.call(rt.trampEnter, [im]));
    expect(rt.imageRefs(im)).to.equal(2);
    expect(rt.imagesInUse()).to.deep.equal([im]);
    returned(k.call(rt.trampExit, [im]));
    returned(k.call(rt.trampExit, [im]));
    expect(rt.imageRefs(im)).to.equal(0);
    expect(rt.imagesInUse()).to.deep.equal([]);
    expect(k.log.problems()).to.deep.equal([]);
    returned(k.call(rt.trampExit, [im]));
    expect(k.log.problems()[0]!.text).to.include('__bpf_tramp_exit: image ffffffff00001000');
  });

  it('enter/exit/tramp helpers poison caller-saved registers; enter keeps only a0', () => {
    const env = setup();
    const p = env.rt.loadProg(counter('p'));
    returned(env.k.call(env.rt.progEnter, [p.addr, env.scratch]));
    expect(env.k.hart.reg(11)).to.equal(poisonValue(11));
    expect(env.k.hart.reg(5)).to.equal(poisonValue(5));
    returned(env.k.call(env.rt.trampEnter, [0x1000n]));
    expect(env.k.hart.reg(10)).to.equal(poisonValue(10));
  });

  it('programs get ids, kallsyms names in [bpf], and a struct with name, attach type and flags', () => {
    const env = setup();
    const { k, rt } = env;
    const obj = rt.load(defineObject({
      name: 'get_func_ip_test',
      progs: [
        { name: 'test1', attach: 'fentry', target: 'bpf_fentry_test1', usesFuncIp: true, body: () => 0 },
        { name: 'test5', attach: 'fmod_ret', target: 'bpf_modify_return_test', body: () => 0 },
      ],
    }));
    const [t1, t5] = [obj.prog('test1'), obj.prog('test5')];
    expect([t1.id, t5.id]).to.deep.equal([1, 2]);
    expect(k.kallsyms.format(t1.bpfFunc)).to.match(/^bpf_prog_[0-9a-f]{16}_test1\+0x0\/0x10 \[bpf\]$/);
    const mem = k.machine.memory;
    expect(mem.readU(t1.addr + BigInt(BPF_PROG.flags), 8)).to.equal(1n);
    expect(mem.readU(t5.addr + BigInt(BPF_PROG.flags), 8)).to.equal(0n);
    expect(mem.readU(t5.addr + BigInt(BPF_PROG.expectedAttachType), 4)).to.equal(26n);
    expect(Buffer.from(mem.readBytes(t1.addr + BigInt(BPF_PROG.name), 6)).toString('latin1')).to.equal('test1\0');
    expect(rt.progAt(t5.addr)).to.equal(t5);
    expect(rt.progByText(t1.bpfFunc)).to.equal(t1);
  });

  it('load honours `only`, and the object bss rejects undeclared names', () => {
    const env = setup();
    const spec = defineObject({ name: 'o', bss: { a_result: 0n }, progs: [counter('a'), counter('b')] });
    const obj = env.rt.load(spec, { only: ['b'] });
    expect([...obj.progs.keys()]).to.deep.equal(['b']);
    expect(() => obj.bss.typo).to.throw(/no .bss variable 'typo'/);
    obj.bss.a_result = 5n;
    obj.resetBss();
    expect(obj.bss.a_result).to.equal(0n);
    expect(() => defineObject({ name: 'x', progs: [counter('a'), counter('a')] })).to.throw(/defined twice/);
    expect(() => defineObject({ name: 'x', progs: [{ name: 'f', attach: 'fexit', body: () => 0 }] })).to.throw(/need a target/);
  });

  it('an unloaded program: enter is a BUG and its image traps', () => {
    const env = setup();
    const { k, rt } = env;
    const obj = rt.load(defineObject({ name: 'o', progs: [counter('a', { image: true })] }));
    const p = obj.prog('a');
    const image = p.image!;
    obj.close();
    expect(p.loaded).to.equal(false);
    expect(rt.progAt(p.addr)).to.equal(undefined);
    const r = k.call(image.addr, [env.scratch]);
    expect(r.kind === 'trap' && r.trap.kind).to.equal('illegal-instruction');
    expect(k.call(rt.progEnter, [p.addr, env.scratch]).kind).to.equal('stop');
    expect(k.log.problems()[0]!.text).to.include('is not a loaded bpf_prog');
  });
});
