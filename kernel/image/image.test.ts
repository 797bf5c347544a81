import { expect } from 'chai';
import * as fs from 'node:fs';
import { listElf } from '../../emulator/disasm/listing';
import { PERM_R, PERM_W, PERM_X } from '../../emulator/memory/memory';
import { LAYOUTS, LAYOUT_NAMES, getLayout, layoutExts } from './layouts';
import { imagePath, readKernelElf, loadKernelImage } from './loader';
import { repoRoot } from './repo-root';
import { Machine } from '../../emulator/cpu/machine';
import { bootImage } from './testing';

/** Every function the C sources define: all of them are traceable (one sled each). */
const FUNCTIONS = [
  'bpf_fentry_test1', 'bpf_fentry_test2', 'bpf_fentry_test3', 'bpf_fentry_test4', 'bpf_fentry_test5',
  'bpf_fentry_test6', 'bpf_fentry_test7', 'bpf_fentry_test8', 'bpf_fentry_test9', 'bpf_fentry_test10',
  'bpf_fentry_test_sinfo', 'bpf_fentry_shadow_test', 'bpf_modify_return_test', 'bpf_modify_return_test2',
  'bpf_prog_test_run_tracing',
  'bpf_testmod_test_struct_arg_1', 'bpf_testmod_test_struct_arg_2', 'bpf_testmod_test_struct_arg_3',
  'bpf_testmod_test_struct_arg_4', 'bpf_testmod_test_struct_arg_5', 'bpf_testmod_test_struct_arg_6',
  'bpf_testmod_test_struct_arg_7', 'bpf_testmod_test_struct_arg_8', 'bpf_testmod_test_struct_arg_9',
  'bpf_testmod_test_arg_ptr_to_struct', 'bpf_testmod_fentry_test1', 'bpf_testmod_fentry_test2',
  'bpf_testmod_fentry_test3', 'bpf_testmod_fentry_test7', 'bpf_testmod_fentry_test11', 'bpf_testmod_test_read',
  'dummy_ops_test_ret_function', 'dummy_ops_call_op', 'bpf_dummy_ops_run_image',
  'bpf_testmod_test_1', 'bpf_testmod_test_2', 'bpf_testmod_ops__test_maybe_null', 'bpf_testmod_ops__test_refcounted',
  'bpf_testmod_ops__test_return_ref_kptr', 'bpf_testmod_tramp', 'bpf_dummy_reg', 'bpf_dummy_reg_v6_11', 'bpf_dummy_unreg',
];

const hex = (v: bigint) => '0x' + v.toString(16);

describe('kernel/image layouts', () => {
  it('describe the -fpatchable-function-entry shapes of the three schemes', () => {
    const shape = (n: string) => {
      const l = getLayout(n);
      return [l.bytesBefore, l.bytesAfter, l.nopSize];
    };
    expect(shape('sled16-rvc')).to.deep.equal([0, 16, 2]);
    // v6.2 without RVC: -fpatchable-function-entry=8 gave 8 4-byte nops, 16 bytes more than the
    // detour uses (removed by 'riscv: ftrace: Remove wasted nops for !RISCV_ISA_C').
    expect(shape('sled16-norvc')).to.deep.equal([0, 32, 4]);
    expect(shape('sled8-rvc')).to.deep.equal([0, 8, 2]);
    expect(shape('sled8-norvc')).to.deep.equal([0, 8, 4]);
    expect(shape('callops-rvc')).to.deep.equal([8, 8, 2]);
    expect(shape('callops-norvc')).to.deep.equal([8, 8, 4]);
    expect(LAYOUTS['callops-rvc'].pfe).to.equal('8,4');
    expect(layoutExts(LAYOUTS['sled8-norvc'])).to.not.include('C');
    expect(() => getLayout('sled4')).to.throw(/unknown sled layout "sled4"/);
  });

  it('find the committed images from the repository root', () => {
    expect(fs.existsSync(`${repoRoot()}/package.json`)).to.equal(true);
    for (const l of LAYOUT_NAMES) expect(fs.existsSync(imagePath(l)), imagePath(l)).to.equal(true);
  });
});

for (const name of LAYOUT_NAMES) {
  describe(`kernel/image ${name}`, () => {
    const layout = LAYOUTS[name];
    const { machine, kernel } = bootImage(name);
    const elf = readKernelElf(name);
    const funcs = [...kernel.functions.values()].sort((a, b) => (a.value < b.value ? -1 : 1));

    it('is the image built for this layout, linked at the kernel base', () => {
      expect(kernel.banner).to.equal(`Linux version 6.x-rvtramp-${name} (riscv64-linux-gnu-gcc 12.2.0)`);
      expect(kernel.text.start).to.equal(0xffffffff80000000n);
      expect(kernel.end % 4096n).to.equal(0n);
      expect(/_c2p0/.test(elf.arch ?? ''), elf.arch).to.equal(layout.rvc);
    });

    it('maps text rx, rodata r, the sled table and data/bss rw, on separate pages', () => {
      const perm = (sec: string) => kernel.sections.find((s) => s.name === sec)?.perm;
      expect(perm('.text')).to.equal('rx');
      expect(perm('.rodata')).to.equal('r');
      expect(perm('__patchable_function_entries')).to.equal('rw');
      expect(perm('.data')).to.equal('rw');
      expect(perm('.bss')).to.equal('rw');
      const m = machine.memory;
      expect(m.permAt(kernel.sym('bpf_fentry_test1'))).to.equal(PERM_R | PERM_X);
      expect(m.permAt(kernel.sym('linux_banner'))).to.equal(PERM_R);
      expect(m.permAt(kernel.sym('init_uts_name'))).to.equal(PERM_R | PERM_W);
      expect(m.permAt(kernel.sym('bpf_testmod_fentry_ok'))).to.equal(PERM_R | PERM_W);
      expect(m.readU(kernel.sym('bpf_testmod_fentry_ok'), 4)).to.equal(0n);
      expect(m.isMapped(kernel.end)).to.equal(false);
      expect(kernel.sym('_sdata') % 4096n).to.equal(0n);
    });

    it('refuses to load over mapped memory', () => {
      expect(() => loadKernelImage(machine, name)).to.throw(/already mapped/);
    });

    it('has exactly the C functions, none cloned, merged or split by GCC', () => {
      expect(funcs.map((f) => f.name).sort()).to.deep.equal([...FUNCTIONS].sort());
      const odd = elf.symbols.filter((s) => /\.(constprop|isra|part|cold|clone)/.test(s.name)).map((s) => s.name);
      expect(odd).to.deep.equal([]);
      // Identical bodies stay two functions at two addresses.
      expect(kernel.sym('bpf_fentry_shadow_test')).to.not.equal(kernel.sym('bpf_fentry_test1'));
      expect(kernel.sym('bpf_testmod_fentry_test1')).to.not.equal(kernel.sym('bpf_fentry_test1'));
    });

    it('records one sled per function, placed and aligned as the layout says', () => {
      expect(kernel.sleds.map((s) => s.func).sort()).to.deep.equal([...FUNCTIONS].sort());
      for (const s of kernel.sleds) {
        const f = kernel.functions.get(s.func)!;
        expect(s.funcAddr, s.func).to.equal(f.value);
        expect(s.address, s.func).to.equal(f.value - BigInt(layout.bytesBefore));
        expect([s.size, s.before]).to.deep.equal([layout.sledBytes, layout.bytesBefore]);
        if (layout.funcAlign !== undefined) expect(Number(f.value % BigInt(layout.funcAlign)), `${s.func} alignment`).to.equal(0);
        // With CALL_OPS the 8-byte literal slot before the function must be naturally aligned.
        if (layout.bytesBefore > 0) expect(Number(s.address % 8n), `${s.func} ops slot`).to.equal(0);
      }
      expect(kernel.sledOf('bpf_fentry_test1').funcAddr).to.equal(kernel.sym('bpf_fentry_test1'));
      expect(() => kernel.sledOf('linux_banner')).to.throw(/no ftrace sled/);
    });

    it(`sleds hold the compiler's nops (${layout.nops} x ${layout.rvc ? 'c.nop' : 'nop'})`, () => {
      for (const s of kernel.sleds) {
        const bytes = machine.memory.readBytes(s.address, s.size);
        const words: number[] = [];
        for (let i = 0; i < bytes.length; i += layout.nopSize) {
          words.push(layout.nopSize === 2 ? bytes[i]! | (bytes[i + 1]! << 8) : (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0);
        }
        expect(words, s.func).to.deep.equal(new Array(layout.nops).fill(layout.nopWord));
        // The sled is not followed by another nop: it is exactly N long (the function body starts).
        const after = machine.memory.readU(s.address + BigInt(s.size), layout.nopSize);
        expect(Number(after), `${s.func} first instruction after the sled`).to.not.equal(layout.nopWord);
      }
    });

    it('symbolizes addresses inside functions like %pS', () => {
      const k = kernel.kallsyms;
      for (let i = 0; i < funcs.length; i++) {
        const f = funcs[i]!;
        const end = i + 1 < funcs.length ? funcs[i + 1]!.value : kernel.text.end;
        const size = end - f.value;
        expect(k.format(f.value)).to.equal(`${f.name}+0x0/${hex(size)}`);
        expect(k.format(f.value + 8n)).to.equal(`${f.name}+0x8/${hex(size)}`);
        expect(k.lookup(f.value + 4n)).to.deep.include({ name: f.name, offset: 4n, size, addr: f.value, kind: 'text' });
        expect(k.addressOf(f.name)).to.equal(f.value);
      }
      const t1 = kernel.sym('bpf_fentry_test1');
      expect(k.format(t1 + 8n)).to.match(/^bpf_fentry_test1\+0x8\/0x[0-9a-f]+$/);
      expect(k.symbolize(t1)).to.equal('bpf_fentry_test1');
      expect(k.symbolize(t1 + 2n)).to.equal('bpf_fentry_test1+0x2');
    });

    it('symbolizes addresses between functions as the preceding symbol, and outside as hex', () => {
      const k = kernel.kallsyms;
      for (let i = 0; i + 1 < funcs.length; i++) {
        const f = funcs[i]!;
        const g = funcs[i + 1]!;
        // Padding and (with CALL_OPS) the next function's ops slot lie past f's st_size.
        if (f.value + f.size < g.value) {
          expect(k.format(f.value + f.size)).to.equal(`${f.name}+${hex(f.size)}/${hex(g.value - f.value)}`);
        }
        expect(k.format(g.value - 2n)).to.equal(`${f.name}+${hex(g.value - 2n - f.value)}/${hex(g.value - f.value)}`);
      }
      const first = kernel.sledOf(funcs[0]!.name);
      expect(k.format(first.address)).to.equal(layout.bytesBefore > 0 ? '_stext+0x0/0x8' : `${funcs[0]!.name}+0x0/${hex(funcs[1]!.value - funcs[0]!.value)}`);
      expect(k.format(kernel.text.end)).to.equal(hex(kernel.text.end));
      expect(k.lookup(kernel.text.end)).to.equal(undefined);
      expect(k.format(0x1000n)).to.equal('0x1000');
      expect(k.format(kernel.sym('linux_banner') + 6n)).to.match(/^linux_banner\+0x6\/0x/);
      expect(k.format(kernel.sym('bpf_testmod_fentry_ok'))).to.equal('bpf_testmod_fentry_ok+0x0/0x4');
      expect(k.addressOf('_etext')).to.equal(kernel.text.end);
      expect(() => k.addressOf('no_such_symbol')).to.throw(/no symbol no_such_symbol/);
    });

    it("has a committed listing that the emulator's disassembler reproduces", () => {
      const committed = fs.readFileSync(imagePath(name).replace(/\.elf$/, '.objdump'), 'utf8');
      for (const f of funcs) expect(committed, f.name).to.include(`${f.value.toString(16).padStart(16, '0')} <${f.name}>:`);
      expect(listElf(elf)).to.equal(committed);
    });
  });
}

describe('kernel/image loader', () => {
  it('rejects an unknown layout, and an image built for another layout', () => {
    expect(() => loadKernelImage(new Machine(), 'nope' as never)).to.throw(/unknown sled layout "nope"/);
    const m = new Machine();
    expect(() => loadKernelImage(m, 'sled8-rvc', { elf: readKernelElf('sled16-rvc') })).to.throw(/kernel image sled8-rvc: built for .*"total":8.*expected .*"total":4.*npm run build:kernel/);
    expect(m.memory.isMapped(0xffffffff80000000n)).to.equal(false);
  });
});
