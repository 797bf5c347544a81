/**
 * What boots of one profile share (the assembled entry code, the sled conversion plan, the
 * image template) must be what a boot of its own would compute, and a mutant boot must never
 * get a clean boot's (or the other way round).
 */
import { expect } from 'chai';
import { bootKernel, FTRACE_TEXT, type Kernel } from './kernel';
import { PAGE_SIZE } from '../emulator/memory/memory';
import { entryCode } from './ftrace/entry-code';
import { entrySource } from './ftrace/entry';
import { assemble } from '../emulator/asm';

/** Everything a boot leaves behind that the caches feed: text, entry page, records, history, kallsyms. */
function bootState(k: Kernel): string {
  const mem = k.machine.memory;
  const text = Buffer.from(mem.readBytes(k.image.text.start, Number(k.image.text.end - k.image.text.start))).toString('hex');
  const entry = Buffer.from(mem.readBytes(FTRACE_TEXT, PAGE_SIZE)).toString('hex');
  const recs = [...k.ftrace.records.values()].map((r) => `${r.ip}:${r.sled.func}:${r.state.kind}:${r.literal}`).join(',');
  const hist = k.text.history.map((h) => `${h.addr}:${Buffer.from(h.bytes).toString('hex')}:${h.sync}`).join(',');
  const syms = k.kallsyms.entries().map((s) => `${s.name}@${s.addr}+${s.size}`).join(',');
  return [text, entry, recs, hist, syms].join('\n');
}

describe('kernel boot caches', () => {
  it('the entry code is assembled once per input, and is what assembling its source gives', () => {
    const a = entryCode('C', false, undefined, FTRACE_TEXT, FTRACE_TEXT + 0x100000n);
    expect(entryCode('C', false, undefined, FTRACE_TEXT, FTRACE_TEXT + 0x100000n)).to.equal(a);
    const own = assemble(entrySource('C', false, undefined), { base: FTRACE_TEXT, symbols: { function_trace_op: FTRACE_TEXT + 0x100000n } });
    expect(Buffer.from(a.bytes).toString('hex')).to.equal(Buffer.from(own.bytes).toString('hex'));
    const m = entryCode('C', false, 'ftrace-caller-no-ra', FTRACE_TEXT, FTRACE_TEXT + 0x100000n);
    expect(m).to.not.equal(a);
    expect(Buffer.from(m.bytes).toString('hex')).to.not.equal(Buffer.from(a.bytes).toString('hex'));
  });

  for (const [profile, mutant] of [['v6.16', 'rec-ip-off-by-4'], ['v6.16', 'ftrace-caller-no-ra'], ['v6.11', 'boot-nops-not-converted'], ['v6.8', 'f2-ra-offset-12']] as const) {
    it(`${profile}: boots are alike, and a ${mutant} boot in between neither takes nor leaves anything`, () => {
      const first = bootState(bootKernel(profile));
      const mutated = bootState(bootKernel(profile, { mutant }));
      expect(mutated).to.not.equal(first);
      expect(bootState(bootKernel(profile))).to.equal(first);
      expect(bootState(bootKernel(profile, { mutant }))).to.equal(mutated);
    });
  }

  it('each boot has its own kallsyms and records', () => {
    const a = bootKernel('v6.16');
    const b = bootKernel('v6.16');
    a.kallsyms.add('only_in_a', 0xffffffff7f000000n, 0x10);
    expect(b.kallsyms.has('only_in_a')).to.equal(false);
    const rec = [...a.ftrace.records.values()][0]!;
    expect([...b.ftrace.records.values()][0]).to.not.equal(rec);
    expect(a.image.kallsyms).to.not.equal(b.image.kallsyms);
  });
});
