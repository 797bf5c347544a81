/**
 * bpf_prog_pack as trampolines use it from v6.11 on (riscv's arch_alloc_bpf_trampoline calls
 * bpf_prog_pack_alloc): executable packs of BPF_PROG_PACK_SIZE (PMD_SIZE per NUMA node, 2 MiB
 * on our one-node machine), handed out in 64-byte chunks, first fit in pack order. A new pack
 * is filled with illegal instructions (riscv's bpf_fill_ill_insns writes zeros); a freed image
 * is overwritten with them (bpf_arch_text_invalidate) by the caller, and a pack with nothing
 * left in it is given back. So images sit next to each other, and once an image is freed
 * (after its grace period: bpf_tramp_image_put) its chunks go to the next trampoline.
 *
 * Not modelled: since v6.4 riscv's JIT puts BPF programs in the same packs (our programs'
 * images live elsewhere), and a request bigger than a pack gets memory of its own upstream
 * (trampolines never ask for more than a page: they are refused with -E2BIG before).
 *
 * Our own code after the behaviour of kernel/bpf/core.c's pack allocator.
 */

/** BPF_PROG_PACK_SIZE on one node. */
export const PROG_PACK_SIZE = 0x200000;
/** BPF_PROG_CHUNK_SIZE. */
export const PROG_CHUNK_SIZE = 64;
const CHUNKS = PROG_PACK_SIZE / PROG_CHUNK_SIZE;

interface Pack {
  readonly base: bigint;
  /** 1 per chunk in use. */
  readonly used: Uint8Array;
  inUse: number;
}

export interface PackMemory {
  /** Maps a new pack (zero-filled, executable); undefined when there is no room. */
  newPack(): bigint | undefined;
  /** Gives back an empty pack. */
  dropPack(base: bigint): void;
}

export class ProgPacks {
  private readonly packs: Pack[] = [];

  constructor(private readonly mem: PackMemory) {}

  /** bpf_prog_pack_alloc for `size` bytes (at most a pack): the image's address. */
  alloc(size: number): bigint | undefined {
    const n = Math.ceil(size / PROG_CHUNK_SIZE);
    if (n < 1 || n > CHUNKS) return undefined;
    for (const p of this.packs) {
      const at = firstFree(p.used, n);
      if (at >= 0) return this.take(p, at, n);
    }
    const base = this.mem.newPack();
    if (base === undefined) return undefined;
    const p: Pack = { base, used: new Uint8Array(CHUNKS), inUse: 0 };
    this.packs.push(p);
    return this.take(p, 0, n);
  }

  /** bpf_prog_pack_free's bookkeeping (the caller has invalidated the bytes). */
  free(addr: bigint, size: number): void {
    const i = this.packs.findIndex((p) => addr >= p.base && addr < p.base + BigInt(PROG_PACK_SIZE));
    if (i < 0) throw new Error(`bpf_prog_pack: 0x${addr.toString(16)} is in no pack`);
    const p = this.packs[i]!;
    const at = Number(addr - p.base) / PROG_CHUNK_SIZE;
    const n = Math.ceil(size / PROG_CHUNK_SIZE);
    for (let c = at; c < at + n; c++) {
      if (p.used[c]) p.inUse--;
      p.used[c] = 0;
    }
    if (p.inUse === 0) {
      this.packs.splice(i, 1);
      this.mem.dropPack(p.base);
    }
  }

  private take(p: Pack, at: number, n: number): bigint {
    p.used.fill(1, at, at + n);
    p.inUse += n;
    return p.base + BigInt(at * PROG_CHUNK_SIZE);
  }
}

/** bitmap_find_next_zero_area: the first run of n free chunks, or -1. */
function firstFree(used: Uint8Array, n: number): number {
  let run = 0;
  for (let c = 0; c < used.length; c++) {
    run = used[c] ? 0 : run + 1;
    if (run === n) return c - n + 1;
  }
  return -1;
}
