/**
 * Oracle test: the ftrace entry code as the kernel model assembles it at boot against GNU as
 * on the same source, with the -march of the kernel build (RVC or not). A kernel built with
 * CONFIG_RISCV_ISA_C assembles mcount-dyn.S with the C extension, so its assembler compresses
 * what it can; SYM_FUNC_START aligns each function to 4 bytes. (Linked without relaxation:
 * the patchable `call` at ftrace_call must stay an auipc + jalr pair.)
 */
import { expect } from 'chai';
import { needOracles } from '../../emulator/testing/oracles';
import { gnuText } from '../../emulator/testing/gnu-as';
import { PROFILES } from '../profiles/profiles';
import { entryCode } from './entry-code';
import { entrySource } from './entry';
import { FTRACE_TEXT, FTRACE_DATA } from '../kernel';

describe('ftrace entry code vs GNU as (oracle)', function () {
  this.timeout(60000);
  // Every distinct entry source: scheme, direct calls, WITH_ARGS, RVC.
  const variants = new Map<string, (typeof PROFILES)[number]>();
  for (const p of PROFILES) variants.set(`${p.scheme} ${p.directCalls === 'regs-t1'} ${p.ftraceWith} ${p.rvc}`, p);

  for (const p of variants.values()) {
    it(`${p.name}: the same bytes and symbols as GNU as with -march=rv64ima${p.rvc ? 'c' : ''}`, function () {
      needOracles(this, 'as', 'ld');
      const direct = p.directCalls === 'regs-t1';
      const withArgs = p.ftraceWith === 'ARGS';
      const ours = entryCode(p.scheme, direct, undefined, FTRACE_TEXT, FTRACE_DATA, withArgs, p.rvc);
      // function_trace_op is kernel data (a relocatable symbol, so `la` is auipc + addi).
      const source = `.section .ftrace_data,"aw"\nfunction_trace_op:\n.dword 0\n.text\n${entrySource(p.scheme, direct, undefined, withArgs)}`;
      const theirs = gnuText(source, FTRACE_TEXT, p.rvc ? 'rv64imac_zicsr_zifencei' : 'rv64ima_zicsr_zifencei', { '.ftrace_data': FTRACE_DATA });
      // GNU may pad the end of .text to its 4-byte alignment with zeros.
      const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
      expect(hex(ours.bytes)).to.equal(hex(theirs.bytes.subarray(0, ours.bytes.length)));
      expect(hex(theirs.bytes.subarray(ours.bytes.length)), 'GNU bytes past our end').to.match(/^(00)?(00)?(00)?$/);
      for (const [name, addr] of ours.symbols) {
        if (name === 'function_trace_op') continue;
        expect(theirs.symbols.get(name), name).to.equal(addr);
      }
    });
  }
});
