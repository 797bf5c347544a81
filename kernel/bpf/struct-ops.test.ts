/**
 * struct_ops in the kernel model: load refusals (check_member), the test run's checks (each
 * leaving nothing allocated), the trampoline each era's kernel prepares for a member, the call
 * from dummy_ops_call_op through it, and what finish copies back and frees. The upstream
 * selftest is selftests/dummy_st_ops; the generated code is in trampoline/gen.test.ts
 * (goldens indirect-* and struct-ops-null-func-addr).
 */
import { expect } from 'chai';
import { bootKernel, type Kernel } from '../kernel';
import { scratchPage } from '../image';
import { PROFILES } from '../profiles/profiles';
import { bpfOf } from './bpf';
import { BPF_PROG, type ProgSpec } from './runtime';
import { finishStructOpsTestRun, prepareStructOpsTestRun, registerStructOps, STRUCT_OPS_RUN_FN } from './struct-ops';

const TEST_1: ProgSpec = {
  name: 'test_1', attach: 'struct_ops', target: 'bpf_dummy_ops.test_1', args: [{ name: 'state', type: 'ptr' }],
  body: (c) => (c.arg('state') === 0n ? -218893067n : c.read(c.arg('state'), 'u32') + 1n),
};

function run(k: Kernel, spec: ProgSpec, ctxIn: readonly bigint[]) {
  const bpf = bpfOf(k);
  const prog = bpf.runtime.load({ name: 'o', progs: [spec] }).prog(spec.name);
  return { bpf, prog, prep: prepareStructOpsTestRun(bpf, prog, ctxIn) };
}

describe('struct_ops (bpf_dummy_ops test runs)', function () {
  this.timeout(30000);

  it('refuses at load what check_member refuses: a sleepable program for a member that may not sleep, an unknown member', () => {
    const k = bootKernel('v6.16');
    const rt = bpfOf(k).runtime;
    const sleepy = rt.tryLoad({ name: 'o', progs: [{ ...TEST_1, name: 'x', target: 'bpf_dummy_ops.test_2', sleepable: true }] });
    expect(sleepy.ok || [sleepy.err, sleepy.message]).to.deep.equal([-22, "prog 'x': attach to unsupported member test_2 of struct bpf_dummy_ops"]);
    expect(rt.tryLoad({ name: 'o', progs: [{ ...TEST_1, target: 'bpf_dummy_ops.test_9' }] }).ok).to.equal(false);
    expect(rt.tryLoad({ name: 'o', progs: [{ ...TEST_1, name: 's', target: 'bpf_dummy_ops.test_sleepable', sleepable: true }] }).ok).to.equal(true);
    // The program's expected_attach_type is the member's index.
    const p = rt.load({ name: 'o', progs: [{ ...TEST_1, name: 't2', target: 'bpf_dummy_ops.test_2' }] }).prog('t2');
    expect(k.machine.memory.readU(p.addr + BigInt(BPF_PROG.expectedAttachType), 4)).to.equal(1n);
  });

  it('test run checks: a wrong ctx size, an unreadable state, NULL for a non-nullable argument (v6.10+); nothing left allocated', () => {
    const k = bootKernel('v6.16');
    const bpf = bpfOf(k);
    const before = bpf.trampolines.allocations.length;
    const fentry = bpf.runtime.load({ name: 'f', progs: [{ name: 'f', attach: 'fentry', target: 'bpf_fentry_test1', body: () => 0n }] }).prog('f');
    expect(() => prepareStructOpsTestRun(bpf, fentry, [0n]), 'only struct_ops programs get here').to.throw(/a fentry program/);
    const prog = bpf.runtime.load({ name: 'o', progs: [TEST_1, { ...TEST_1, name: 's', target: 'bpf_dummy_ops.test_sleepable' }] });
    const err = (ctx: bigint[], p = 'test_1') => {
      const r = prepareStructOpsTestRun(bpf, prog.prog(p), ctx);
      return r.ok ? 0 : r.err;
    };
    expect(err([0n, 0n])).to.equal(-22);
    expect(err([])).to.equal(-22);
    expect(err([0x1000n])).to.equal(-14);
    expect(err([0n], 's')).to.equal(-22);
    expect(bpf.trampolines.allocations.length, 'no image allocated by a refused run').to.equal(before);
    // test_1's state may be NULL.
    const ok = prepareStructOpsTestRun(bpf, prog.prog('test_1'), [0n]);
    expect(ok.ok).to.equal(true);
    expect(bpf.trampolines.allocations.length).to.equal(before + 1);
    if (ok.ok) finishStructOpsTestRun(bpf, ok.value);
    expect(bpf.trampolines.allocations.at(-1)?.to).to.not.equal(undefined);
    // Before v6.10 NULL is passed on.
    const old = bootKernel('v6.8');
    const ob = bpfOf(old);
    const s = ob.runtime.load({ name: 'o', progs: [{ ...TEST_1, name: 's', target: 'bpf_dummy_ops.test_sleepable' }] }).prog('s');
    expect(prepareStructOpsTestRun(ob, s, [0n]).ok).to.equal(true);
  });

  it('every profile with a trampoline: the member runs through its trampoline, called from C through a pointer; state and retval come back, the image is freed', () => {
    for (const p of PROFILES) {
      const k = bootKernel(p);
      const user = scratchPage(k.machine) + 0x800n;
      k.machine.memory.writeU(user, 4, 0xbeefn);
      const { bpf, prog, prep } = run(k, { ...TEST_1, body: (c) => { c.write(c.arg('state'), 'int', 0x5an); return 0x1234n; } }, [user]);
      if (p.trampoline === 'none') {
        expect(prep.ok || prep.err, p.name).to.equal(-524);
        continue;
      }
      if (!prep.ok) throw new Error(`${p.name}: ${prep.message}`);
      const image = prep.value.image;
      const r = k.call(STRUCT_OPS_RUN_FN, [image, prep.value.args, prep.value.retval]);
      expect(r.kind === 'returned' && r.abi.length === 0, `${p.name}: ${JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v))}`).to.equal(true);
      expect(prog.runs, p.name).to.equal(1);
      const fin = finishStructOpsTestRun(bpf, prep.value);
      expect(fin.ok && fin.value, p.name).to.equal(0x1234);
      expect(k.machine.memory.readU(user, 4), p.name).to.equal(0x5an);
      // Freed: a page of its own is unmapped; a prog_pack chunk is filled with illegal instructions.
      const mem = k.machine.memory;
      expect(!mem.isMapped(image) || mem.readU(image, 4) === 0n, p.name).to.equal(true);
      expect(bpf.trampolines.allocations.at(-1)?.to, p.name).to.not.equal(undefined);
    }
  });

  it('the trampoline each era prepares: no func_addr before v6.8 (one frame by func_addr on v6.6), BPF_TRAMP_F_INDIRECT and the stub since', () => {
    const first = (name: string) => {
      const k = bootKernel(name);
      const { prep } = run(k, TEST_1, [0n]);
      if (!prep.ok) throw new Error(prep.message);
      return { k, flags: prep.value.trampoline.flags, code: k.machine.memory.readBytes(prep.value.image, 8) };
    };
    // One frame record: `addi sp, sp, -N; sd ra, N-8(sp)` (no `addi sp, sp, -16` first).
    for (const name of ['v6.6-norvc', 'v6.8-norvc', 'v6.16-norvc']) {
      const { flags, code } = first(name);
      expect([flags.indirect ?? false, flags.retFentryRet], name).to.deep.equal([name !== 'v6.6-norvc', true]);
      expect(new DataView(code.buffer).getUint32(0, true) >>> 20, name).to.not.equal(0xff0);
    }
    const reg = registerStructOps('bpf_dummy_ops');
    expect(reg.ok || reg.err, 'bpf_dummy_ops cannot be registered').to.equal(-95);
  });
});
