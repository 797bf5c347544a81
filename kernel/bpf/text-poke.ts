/**
 * bpf_arch_text_poke: patch the entry sled of a BPF program (or the ip_after_call nops of a
 * trampoline image) between nops, a call and a jump. The expected old instructions must be
 * there byte for byte (-EFAULT otherwise); the new ones go in with patch_text. The sled shape
 * is the era's (era.ts): 4 instructions with an ra-spilling call before the v6.6 adaptation,
 * 2 instructions (`auipc t1; jalr t0|zero`) after it.
 */
import { callPair, words, NOP, REG, SD_RA, LD_RA } from '../ftrace/insn';
import { fail, okVoid, type KResult } from '../errno';
import type { TextPatcher } from '../text/patch';
import type { Memory } from '../../emulator/memory/memory';
import { hex } from '../../emulator/memory/address';
import type { EraTraits } from './trampoline/era';
import type { MutantId } from '../mutants/catalogue';

export type PokeType = 'nop' | 'call' | 'jump';

/** The instructions a sled at ip holds for a poke type and target. */
export function pokeBytes(traits: EraTraits, ip: bigint, type: PokeType, target: bigint, sledInsns: number, mutant?: MutantId): KResult<Uint8Array> {
  if (type === 'nop') return { ok: true, value: words(...Array.from({ length: sledInsns }, NOP)) };
  if (traits.progSled === 'ra16' && type === 'call') {
    // sd ra,-8(sp); auipc t1; jalr ra; ld ra,-8(sp): the pair is computed from ip + 4.
    const pair = callPair(ip + 4n, target, REG.t1, REG.ra);
    if (!pair) return fail('ERANGE', `text_poke: ${hex(target)} out of reach of ${hex(ip)}`);
    const v = new DataView(pair.buffer);
    return { ok: true, value: words(SD_RA(), v.getUint32(0, true), v.getUint32(4, true), LD_RA()) };
  }
  const link = type === 'call' && mutant !== 'bt15-call-link-zero' ? (traits.progSled === 'ra16' ? REG.ra : REG.t0) : REG.zero;
  const pair = callPair(ip, target, REG.t1, link);
  if (!pair) return fail('ERANGE', `text_poke: ${hex(target)} out of reach of ${hex(ip)}`);
  if (sledInsns === 2) return { ok: true, value: pair };
  // A 4-instruction sled holding a 2-instruction jump: the rest stays nops.
  const v = new DataView(pair.buffer);
  return { ok: true, value: words(v.getUint32(0, true), v.getUint32(4, true), ...Array.from({ length: sledInsns - 2 }, NOP)) };
}

export interface TextPokeEnv {
  readonly traits: EraTraits;
  readonly mem: Memory;
  readonly text: TextPatcher;
  /** is_kernel_text() || is_bpf_text(): addresses that may be poked. */
  readonly isText: (ip: bigint) => boolean;
  readonly mutant?: MutantId;
}

/** Sled length (instructions) of a poke site: the era's program sled, or 2 for ip_after_call. */
export function bpfArchTextPoke(
  env: TextPokeEnv, ip: bigint, oldType: PokeType, newType: PokeType, oldAddr: bigint, newAddr: bigint, sledInsns: number,
): KResult {
  if (!env.isText(ip)) return fail('EINVAL', `text_poke: ${hex(ip)} is neither kernel nor BPF text`);
  // bt15-one-poke-type: both sequences derived from the new type.
  const oldBytes = pokeBytes(env.traits, ip, env.mutant === 'bt15-one-poke-type' ? newType : oldType, oldAddr, sledInsns, env.mutant);
  if (!oldBytes.ok) return oldBytes;
  const newBytes = pokeBytes(env.traits, ip, newType, newAddr, sledInsns, env.mutant);
  if (!newBytes.ok) return newBytes;
  const have = env.mem.tryReadBytes(ip, oldBytes.value.length);
  if (!have || !have.every((b, i) => b === oldBytes.value[i])) {
    return fail('EFAULT', `text_poke: ${hex(ip)} does not hold the expected ${oldType} sequence`);
  }
  if (newBytes.value.every((b, i) => b === oldBytes.value[i])) return okVoid;
  env.text.mutex.with('bpf_arch_text_poke', () => env.text.patchText(ip, newBytes.value));
  return okVoid;
}
