/**
 * The generic BPF trampoline layer (the model of kernel/bpf/trampoline.c): one trampoline per
 * target, link lists per kind, flag selection, image allocation and teardown, and installation
 * as an ftrace direct call (kernel functions) or with bpf_arch_text_poke (BPF programs).
 */
import type { Kernel } from '../../kernel';
import { PAGE_SIZE } from '../../../emulator/memory/memory';
import { fail, ok, okVoid, type KResult } from '../../errno';
import type { FtraceOps } from '../../ftrace/core';
import { FuncModels, argSlots, type FuncModel } from '../btf';
import { bpfArchTextPoke, type TextPokeEnv } from '../text-poke';
import { ERAS, type EraTraits } from './era';
import { generateTrampoline, trampolineSize, IMM_MAX_COUNT, type TrampFlags, type TrampHelpers, type TrampLink, type TrampSpec } from './gen';
import { ProgPacks, PROG_PACK_SIZE } from './prog-pack';
import { KERNEL_BASE } from '../../image';

/** fsession (7.0): one link on both the fentry and the fexit list (struct bpf_fsession_link). */
export type LinkKind = 'fentry' | 'fexit' | 'fmod_ret' | 'fsession';

/** What the generic layer needs of the program runtime (kernel/bpf/runtime). */
export interface TrampolineRuntime {
  readonly helpers: TrampHelpers;
  readonly runCtx: { readonly size: number; readonly cookieOff: number };
  /** A fresh struct bpf_tramp_image for a new image. */
  newImage(): bigint;
  /** Callers currently inside an image (__bpf_tramp_enter minus __bpf_tramp_exit). */
  imageRefs(im: bigint): number;
}

export interface TracingProg {
  readonly name: string;
  readonly kind: LinkKind;
  /** struct bpf_prog address. */
  readonly addr: bigint;
  /** p->bpf_func. */
  readonly bpfFunc: bigint;
  /** Calls bpf_get_func_ip: the trampoline stores the ip (BPF_TRAMP_F_IP_ARG). */
  readonly usesFuncIp: boolean;
  /** An fsession program that calls bpf_session_cookie (a cookie slot on the trampoline's stack). */
  readonly usesSessionCookie?: boolean;
}

/** A BPF program image that can itself be traced (fexit_bpf2bpf). */
export interface ProgTarget {
  readonly name: string;
  /** Its entry sled (bpf_func) and sled length in instructions. */
  readonly sled: bigint;
  readonly sledInsns: number;
  readonly model: FuncModel;
}

export type AttachTarget = { readonly kind: 'kernel'; readonly name: string } | { readonly kind: 'prog'; readonly prog: ProgTarget };

export interface TrampImage {
  readonly addr: bigint;
  readonly size: number;
  readonly im: bigint;
  readonly ipAfterCall: bigint | undefined;
  readonly ipEpilogue: bigint | undefined;
  readonly flags: TrampFlags;
  readonly bytes: Uint8Array;
}

export interface BpfLink {
  readonly prog: TracingProg;
  readonly tramp: Trampoline;
  readonly cookie: bigint;
}

/** Where trampoline images are allocated: the module area, within reach of kernel text. */
export const TRAMP_AREA = KERNEL_BASE - 0x10000000n;
export const TRAMP_AREA_SIZE = 0x800000;
/**
 * Where arch_bpf_trampoline_size's own `struct bpf_tramp_image im` would be: a local on the
 * kernel stack of the bpf() syscall (only the im-dry-run-stack mutant sizes with it). Its
 * emit_imm is 12 bytes with RVC, while most kmalloc-1k addresses take 14.
 */
const DRY_RUN_STACK_IM = 0xffffffc800004d00n;
/** Where bpf_prog_pack's RW scratch copy would live (only the bt6 mutant uses its addresses). */
const RW_SCRATCH = KERNEL_BASE - 0x20000000n;


/** One image allocation: [addr, addr + size) while text patches [from, to) were made. */
export interface ImageAllocation {
  readonly addr: bigint;
  readonly size: number;
  readonly from: number;
  to?: number;
}

export interface ManagerOptions {
  /** Bytes allocated per image (default a page); smaller exercises the -E2BIG check. */
  readonly imageSize?: number;
  /** is_bpf_text(): program images text_poke may patch. */
  readonly isBpfText?: (addr: bigint) => boolean;
}

export class Trampoline {
  readonly links: { fentry: BpfLink[]; fexit: BpfLink[]; fmod_ret: BpfLink[] } = { fentry: [], fexit: [], fmod_ret: [] };
  image: TrampImage | undefined;
  /** Images torn down while a caller was still inside (freed once it leaves). */
  readonly retired: TrampImage[] = [];
  direct: FtraceOps | undefined;
  constructor(
    readonly key: string,
    readonly target: AttachTarget,
    /** The traced function's address (orig_call base, IP_ARG value). */
    readonly funcAddr: bigint,
    readonly model: FuncModel,
  ) {}

  /** Links on the lists (an fsession link is on two, and counts twice, as upstream). */
  get count(): number {
    return this.links.fentry.length + this.links.fexit.length + this.links.fmod_ret.length;
  }

  /** The lists a link of this kind goes on. */
  listsOf(kind: LinkKind): BpfLink[][] {
    return kind === 'fsession' ? [this.links.fentry, this.links.fexit] : [this.links[kind]];
  }
}

export class BpfTrampolines {
  readonly traits: EraTraits | undefined;
  private readonly trampolines = new Map<string, Trampoline>();
  private next = TRAMP_AREA;
  /** Page slots of freed images (before prog_pack), reused once the area is used up. */
  private readonly freed: bigint[] = [];
  /** Forgotten trampolines whose retired images are not freed yet (reap frees them). */
  private readonly orphans = new Set<Trampoline>();
  private readonly imageSize: number;
  /** v6.11+: images come from bpf_prog_pack (before, a page each). */
  private readonly packs: ProgPacks | undefined;
  private readonly bpfText: { start: bigint; end: bigint }[] = [];
  readonly poke: TextPokeEnv | undefined;
  /**
   * Every image allocation ever made, in order, with when it lived in terms of the kernel's
   * text-patch history (patches [from, to) happened while it was allocated): what the image
   * contract checks text writes into the trampoline area against.
   */
  readonly allocations: ImageAllocation[] = [];
  /** BTF of the kernel and of code loaded later (modules, generated functions). */
  readonly models = new FuncModels();

  constructor(
    readonly kernel: Kernel,
    private readonly runtime: TrampolineRuntime,
    opts: ManagerOptions = {},
  ) {
    const era = kernel.profile.trampoline;
    this.traits = era === 'none' ? undefined : ERAS[era];
    this.imageSize = opts.imageSize ?? PAGE_SIZE;
    if (this.traits?.progPack) this.packs = this.makePacks();
    if (this.traits) {
      this.poke = {
        traits: this.traits,
        mem: kernel.machine.memory,
        text: kernel.text,
        isText: (ip) =>
          (ip >= kernel.image.text.start && ip < kernel.image.text.end) ||
          this.bpfText.some((r) => ip >= r.start && ip < r.end) ||
          (opts.isBpfText?.(ip) ?? false),
        mutant: kernel.mutant,
      };
    }
  }

  /** Registers a range of BPF text (program images) that text_poke may patch. */
  addBpfText(start: bigint, size: number): void {
    this.bpfText.push({ start, end: start + BigInt(size) });
  }

  trampolineOf(target: AttachTarget): Trampoline | undefined {
    return this.trampolines.get(keyOf(target));
  }

  /** Every trampoline with links or images, forgotten ones with images still in use included. */
  all(): Trampoline[] {
    return [...this.trampolines.values(), ...this.orphans];
  }

  /** bpf_trampoline_link_prog. */
  link(prog: TracingProg, target: AttachTarget, cookie = 0n): KResult<BpfLink> {
    if (!this.traits) return fail('ENOTSUPP', `${this.kernel.profile.name} has no BPF trampoline`);
    const resolved = this.resolve(target);
    if (!resolved.ok) return resolved;
    const key = keyOf(target);
    // bpf_trampoline_get: the trampoline lives while it has links or an installed image (see release).
    let tr = this.trampolines.get(key);
    if (!tr) {
      tr = new Trampoline(key, target, resolved.value.funcAddr, resolved.value.model);
      this.trampolines.set(key, tr);
    }
    const lists = tr.listsOf(prog.kind);
    // __bpf_trampoline_link_prog checks the link limit before looking for the program; a new
    // fsession needs room for two.
    const need = prog.kind === 'fsession' ? 1 : 0;
    if (tr.count + need >= this.kernel.profile.maxTrampLinks) {
      return fail('E2BIG', `${tr.key} already has ${tr.count} links (BPF_MAX_TRAMP_LINKS = ${this.kernel.profile.maxTrampLinks})${need ? ', an fsession takes two' : ''}`);
    }
    if ([...tr.links.fentry, ...tr.links.fexit, ...tr.links.fmod_ret].some((l) => l.prog.addr === prog.addr)) {
      return fail('EBUSY', `${prog.name} is already attached to ${tr.key}`);
    }
    const link: BpfLink = { prog, tramp: tr, cookie };
    // hlist_add_head: the trampoline runs a kind's programs newest first.
    for (const list of lists) list.unshift(link);
    const r = this.update(tr);
    if (!r.ok) {
      for (const list of lists) list.splice(list.indexOf(link), 1);
      this.release(tr);
      return r;
    }
    return ok(link);
  }

  /**
   * bpf_trampoline_put: a trampoline with no links and no installed image is forgotten, so
   * that a function loaded again later (a module reloaded at another address) gets a
   * trampoline of its own. Retired images it still has stay known through `orphans`.
   */
  private release(tr: Trampoline): void {
    if (tr.count === 0 && tr.image === undefined && this.trampolines.get(tr.key) === tr) {
      this.trampolines.delete(tr.key);
      // Its retired images live on until nobody is inside them (reap).
      if (tr.retired.length > 0) this.orphans.add(tr);
    }
  }

  /** bpf_trampoline_unlink_prog. */
  unlink(link: BpfLink): KResult {
    const lists = link.tramp.listsOf(link.prog.kind);
    const at = lists.map((list) => list.indexOf(link));
    if (at.some((i) => i < 0)) return fail('ENOENT', `${link.prog.name} is not attached to ${link.tramp.key}`);
    lists.forEach((list, k) => list.splice(at[k]!, 1));
    const r = this.update(link.tramp);
    if (!r.ok) {
      lists.forEach((list, k) => list.splice(at[k]!, 0, link));
      return r;
    }
    this.release(link.tramp);
    return okVoid;
  }

  private resolve(target: AttachTarget): KResult<{ funcAddr: bigint; model: FuncModel }> {
    if (target.kind === 'prog') return ok({ funcAddr: target.prog.sled, model: target.prog.model });
    const model = this.models.get(target.name);
    if (!model) return fail('EINVAL', `${target.name} has no BTF function model`);
    if (!this.kernel.kallsyms.has(target.name)) return fail('ENOENT', `${target.name} is not a kernel function`);
    return ok({ funcAddr: this.kernel.sym(target.name), model });
  }

  /** bpf_trampoline_update: regenerate the image for the current links and install it. */
  private update(tr: Trampoline): KResult {
    const traits = this.traits!;
    if (tr.count === 0) {
      if (!tr.image) return okVoid;
      const un = this.uninstall(tr);
      if (!un.ok) return un;
      this.retire(tr, tr.image);
      tr.image = undefined;
      return okVoid;
    }
    const l = tr.links;
    const callOrig = l.fexit.length > 0 || l.fmod_ret.length > 0;
    const flags: TrampFlags = {
      callOrig,
      skipFrame: callOrig && this.kernel.mutant !== 'skip-frame-unset',
      restoreRegs: !callOrig,
      ipArg: [...l.fentry, ...l.fexit, ...l.fmod_ret].some((x) => x.prog.usesFuncIp),
    };
    const session = (x: BpfLink) => x.prog.kind === 'fsession' && (x.prog.usesSessionCookie ?? false);
    const toLink = (x: BpfLink): TrampLink => ({ prog: x.prog.addr, bpfFunc: x.prog.bpfFunc, cookie: x.cookie, ...(session(x) ? { sessionCookie: true } : {}) });
    // bpf_fsession_cnt / bpf_fsession_cookie_cnt walk the fentry list.
    const fsessions = l.fentry.filter((x) => x.prog.kind === 'fsession');
    const fsession = fsessions.length > 0 ? { count: fsessions.length, cookies: fsessions.filter(session).length } : undefined;
    const spec = (image: bigint, im: bigint) => ({
      traits, funcAddr: tr.funcAddr, nrArgs: tr.model.args.length, nrArgSlots: argSlots(tr.model),
      fentry: l.fentry.map(toLink), fexit: l.fexit.map(toLink), fmodRet: l.fmod_ret.map(toLink), ...(fsession ? { fsession } : {}),
      flags, im, helpers: this.runtime.helpers, runCtx: this.runtime.runCtx, image, rvc: this.kernel.profile.rvc, mutant: this.kernel.mutant,
    });
    // The image is sized before it is written, by the same emit code counting instead of
    // writing. v6.3-v6.7: riscv's arch_prepare_bpf_trampoline counts with the real `im` and
    // refuses code longer than the page with -EFBIG. v6.8+: bpf_trampoline_update asks
    // arch_bpf_trampoline_size first and refuses more than PAGE_SIZE with -E2BIG; with
    // bpf_prog_pack (v6.11+) the count uses a placeholder `im` as long as any real one, and
    // the image is exactly that size. (v6.8-v6.10 counted with a stack `im` whose length
    // could differ from the real one's, fixed in v6.11; we count with the real one there: the
    // image was a whole page then, so only a trampoline within bytes of 4 KiB could tell.)
    const im = this.runtime.newImage();
    const dryRunIm = !traits.progPack ? im : this.kernel.mutant === 'im-dry-run-stack' ? DRY_RUN_STACK_IM : IMM_MAX_COUNT;
    const sized = trampolineSize(spec(TRAMP_AREA, dryRunIm));
    if (!sized.ok) return sized;
    if (sized.value > this.imageSize) {
      const what = `trampoline for ${tr.key} needs ${sized.value} bytes, the image has ${this.imageSize}`;
      return this.kernel.profile.trampolineSizing === 'generic' ? fail('E2BIG', what) : fail('EFBIG', what);
    }
    const size = traits.progPack ? sized.value : this.imageSize;
    const addr = this.allocImage(size);
    if (!addr.ok) return addr;
    this.allocations.push({ addr: addr.value, size, from: this.kernel.text.history.length });
    const code = generateTrampoline(spec(addr.value, im));
    if (!code.ok) {
      this.freeSlot(addr.value, size);
      return code;
    }
    // arch_prepare_bpf_trampoline's WARN_ON(size < ninsns_rvoff(ctx.ninsns)) (v6.11+; it came
    // with the placeholder `im`, so the im-dry-run-stack mutant lacks it too).
    if (code.value.bytes.length > size && this.kernel.mutant !== 'im-dry-run-stack') {
      this.freeSlot(addr.value, size);
      this.kernel.log.warn(`bpf trampoline for ${tr.key}: ${code.value.bytes.length} bytes do not fit the ${size}-byte image`);
      return fail('E2BIG', `trampoline for ${tr.key} needs ${code.value.bytes.length} bytes, the image has ${size}`);
    }
    let { ipAfterCall, ipEpilogue } = code.value;
    if (this.kernel.mutant === 'bt6-ip-after-call-rw' && ipAfterCall !== undefined && ipEpilogue !== undefined) {
      // The addresses in the RW scratch buffer the code was generated into (not the RX image).
      const rw = (x: bigint) => x - addr.value + RW_SCRATCH;
      ipAfterCall = rw(ipAfterCall);
      ipEpilogue = rw(ipEpilogue);
    }
    // With prog_pack the code is emitted into a kvmalloc'd RW buffer of the sized length and
    // bpf_arch_text_copy copies exactly that length into the image: code longer than its size
    // (only with the im-dry-run-stack mutant) overflows that buffer and is installed cut short.
    const bytes = traits.progPack && code.value.bytes.length > size ? code.value.bytes.slice(0, size) : code.value.bytes;
    const image: TrampImage = { addr: addr.value, size, im, ipAfterCall, ipEpilogue, flags, bytes };
    // Copy the code in: before prog_pack into a freshly mapped page of its own, since into its
    // pack with bpf_arch_text_copy (text patching). is_bpf_text_address (what text_poke may
    // patch) covers the image: its page before prog_pack, its sized length since.
    if (!this.packs) {
      const mapped = Math.ceil(this.imageSize / PAGE_SIZE) * PAGE_SIZE;
      this.kernel.machine.memory.map(image.addr, mapped, 'rx');
      this.addBpfText(image.addr, mapped);
    } else {
      this.addBpfText(image.addr, size);
    }
    this.kernel.text.mutex.with('arch_prepare_bpf_trampoline', () => this.kernel.text.patchTextNosync(image.addr, image.bytes));
    // The image's ksym: a page up to v6.7 (bpf_image_ksym_add), the sized length since v6.8
    // (bpf_image_ksym_init with arch_bpf_trampoline_size's answer).
    const ksymSize = this.kernel.profile.trampolineSizing === 'generic' ? sized.value : PAGE_SIZE;
    this.kernel.image.kallsyms.add(`bpf_trampoline_${tr.key}`, image.addr, ksymSize, { module: 'bpf' });
    const old = tr.image;
    const inst = old ? this.modify(tr, old, image) : this.install(tr, image);
    if (!inst.ok) {
      this.free(image);
      return inst;
    }
    tr.image = image;
    if (old) this.retire(tr, old);
    return okVoid;
  }

  /**
   * A trampoline image of no trampoline: what bpf_struct_ops_prepare_trampoline makes for a
   * struct_ops member (kernel/bpf/struct-ops.ts): a page (allocPage) with one trampoline at
   * its start (writeAt), installed nowhere: its caller calls it through a pointer and gives it
   * back with freeStandalone. No ksym, as the struct_ops test run adds none.
   */
  buildStandalone(what: string, spec: (image: bigint) => TrampSpec): KResult<TrampImage> {
    const page = this.allocPage();
    if (!page.ok) return page;
    const code = this.writeAt(what, page.value, PAGE_SIZE, spec);
    if (!code.ok) {
      this.freePage(page.value);
      return code;
    }
    const s = spec(page.value);
    return ok({ addr: page.value, size: PAGE_SIZE, im: s.im, ipAfterCall: undefined, ipEpilogue: undefined, flags: s.flags, bytes: code.value });
  }

  /** arch_free_bpf_trampoline of a buildStandalone image. */
  freeStandalone(img: TrampImage): void {
    this.freePage(img.addr);
  }

  /**
   * arch_alloc_bpf_trampoline(PAGE_SIZE) for trampolines that belong to no trampoline
   * (struct_ops): a page from a pack since prog_pack, else a page of its own, mapped rx.
   */
  allocPage(): KResult<bigint> {
    if (!this.traits) return fail('ENOTSUPP', `${this.kernel.profile.name} has no BPF trampoline`);
    const a = this.allocImage(PAGE_SIZE);
    if (!a.ok) return a;
    this.allocations.push({ addr: a.value, size: PAGE_SIZE, from: this.kernel.text.history.length });
    if (!this.packs) this.kernel.machine.memory.map(a.value, PAGE_SIZE, 'rx');
    this.addBpfText(a.value, PAGE_SIZE);
    return a;
  }

  /** Gives back an allocPage page. */
  freePage(addr: bigint): void {
    this.freeImageMemory(addr, PAGE_SIZE, true);
  }

  /**
   * The size arch_bpf_trampoline_size gives a trampoline (the sizing pass, with the code placed
   * at the start of the trampoline area).
   */
  sizeOf(spec: (image: bigint) => TrampSpec): KResult<number> {
    return trampolineSize(spec(TRAMP_AREA));
  }

  /**
   * Generates a trampoline at `addr` into at most `room` bytes (arch_prepare_bpf_trampoline
   * with an image end: longer is -E2BIG, or riscv's -EFBIG up to v6.7) and writes it in with
   * text patching. Returns the bytes written.
   */
  writeAt(what: string, addr: bigint, room: number, spec: (image: bigint) => TrampSpec): KResult<Uint8Array> {
    const sized = this.sizeOf(spec);
    if (!sized.ok) return sized;
    if (sized.value > room) {
      const msg = `trampoline for ${what} needs ${sized.value} bytes, there are ${room}`;
      return this.kernel.profile.trampolineSizing === 'generic' ? fail('E2BIG', msg) : fail('EFBIG', msg);
    }
    const code = generateTrampoline(spec(addr));
    if (!code.ok) return code;
    this.kernel.text.mutex.with('arch_prepare_bpf_trampoline', () => this.kernel.text.patchTextNosync(addr, code.value.bytes));
    return ok(code.value.bytes);
  }

  /** register_fentry: direct call for a kernel function, text_poke NOP -> CALL for a BPF prog. */
  private install(tr: Trampoline, image: TrampImage): KResult {
    if (tr.target.kind === 'kernel') {
      const ip = this.kernel.ftrace.locationOf(tr.target.name);
      if (ip === undefined) return fail('EINVAL', `${tr.target.name} is not an ftrace location`);
      const r = this.kernel.ftrace.registerDirect(ip, image.addr, `bpf_trampoline_${tr.key}_ops`);
      if (!r.ok) return r;
      tr.direct = r.value;
      return okVoid;
    }
    return bpfArchTextPoke(this.poke!, tr.target.prog.sled, 'nop', 'call', 0n, image.addr, tr.target.prog.sledInsns);
  }

  private modify(tr: Trampoline, old: TrampImage, image: TrampImage): KResult {
    if (tr.target.kind === 'kernel') return this.kernel.ftrace.modifyDirect(tr.direct!, image.addr);
    return bpfArchTextPoke(this.poke!, tr.target.prog.sled, 'call', 'call', old.addr, image.addr, tr.target.prog.sledInsns);
  }

  private uninstall(tr: Trampoline): KResult {
    if (tr.target.kind === 'kernel') {
      const r = this.kernel.ftrace.unregisterDirect(tr.direct!);
      if (r.ok) tr.direct = undefined;
      return r;
    }
    return bpfArchTextPoke(this.poke!, tr.target.prog.sled, 'call', 'nop', tr.image!.addr, 0n, tr.target.prog.sledInsns);
  }

  /**
   * bpf_tramp_image_put: a caller may still be inside the old image (sleeping in the original
   * function); patch its ip_after_call into a jump to ip_epilogue so that, when it returns, it
   * skips the fexit programs, and free the image only once nobody is inside.
   */
  private retire(tr: Trampoline, old: TrampImage): void {
    if (old.ipAfterCall !== undefined && old.ipEpilogue !== undefined && this.kernel.mutant !== 'no-ip-after-call-patch') {
      const r = bpfArchTextPoke(this.poke!, old.ipAfterCall, 'nop', 'jump', 0n, old.ipEpilogue, 2);
      if (!r.ok) this.kernel.log.warn(`bpf_tramp_image_put: ${r.message}`);
    }
    if (this.runtime.imageRefs(old.im) === 0 || this.kernel.mutant === 'free-image-in-use') this.free(old);
    else tr.retired.push(old);
  }

  /** Frees retired images nobody is inside any more (the RCU callback's job). */
  reap(): void {
    for (const tr of this.all()) {
      for (let i = tr.retired.length - 1; i >= 0; i--) {
        const img = tr.retired[i]!;
        if (this.runtime.imageRefs(img.im) === 0) {
          this.free(img);
          tr.retired.splice(i, 1);
        }
      }
      if (this.orphans.has(tr)) {
        if (tr.retired.length === 0) this.orphans.delete(tr);
      } else this.release(tr);
    }
  }

  /**
   * An image slot. Before prog_pack a page of its own: fresh ones in address order while the
   * area lasts, then the freed ones, oldest first (so a freed image stays unmapped as long as
   * possible: a late return into it faults instead of running another trampoline). Since,
   * `size` bytes from a pack.
   */
  private allocImage(size: number): KResult<bigint> {
    if (this.packs) {
      const a = this.packs.alloc(size);
      return a === undefined ? fail('ENOMEM', 'bpf_prog_pack: no room for a trampoline image') : ok(a);
    }
    const step = BigInt(Math.ceil(this.imageSize / PAGE_SIZE) * PAGE_SIZE);
    if (this.next + step <= TRAMP_AREA + BigInt(TRAMP_AREA_SIZE)) {
      const a = this.next;
      this.next += step;
      return ok(a);
    }
    const reused = this.freed.shift();
    return reused === undefined ? fail('ENOMEM', 'trampoline area exhausted') : ok(reused);
  }

  /** The packs' memory: 2 MiB-aligned slots of the trampoline area, mapped while in use. */
  private makePacks(): ProgPacks {
    const slots = Math.floor(TRAMP_AREA_SIZE / PROG_PACK_SIZE);
    const inUse = new Set<bigint>();
    const mem = this.kernel.machine.memory;
    return new ProgPacks({
      newPack: () => {
        for (let k = 0; k < slots; k++) {
          const base = TRAMP_AREA + BigInt(k * PROG_PACK_SIZE);
          if (inUse.has(base)) continue;
          inUse.add(base);
          mem.map(base, PROG_PACK_SIZE, 'rx');
          return base;
        }
        return undefined;
      },
      dropPack: (base) => {
        inUse.delete(base);
        mem.unmap(base, PROG_PACK_SIZE);
        for (const h of this.kernel.machine.harts) h.invalidate(base, PROG_PACK_SIZE);
      },
    });
  }

  /** The end of an allocation's life in the patch history (after its last write). */
  private ended(addr: bigint): void {
    const a = this.allocations.find((x) => x.addr === addr && x.to === undefined);
    if (a) a.to = this.kernel.text.history.length;
  }

  /**
   * arch_free_bpf_trampoline. With prog_pack, bpf_arch_text_invalidate overwrites the image
   * with illegal instructions (zeros) and its chunks go back to the pack; before, the page is
   * unmapped.
   */
  private freeImageMemory(addr: bigint, size: number, mapped: boolean): void {
    const i = this.bpfText.findIndex((r) => r.start === addr);
    if (i >= 0) this.bpfText.splice(i, 1);
    if (this.packs) {
      this.kernel.text.mutex.with('bpf_prog_pack_free', () => this.kernel.text.patchTextNosync(addr, new Uint8Array(size)));
      this.ended(addr);
      this.packs.free(addr, size);
      return;
    }
    this.freed.push(addr);
    this.ended(addr);
    if (!mapped) return;
    const pages = Math.ceil(this.imageSize / PAGE_SIZE) * PAGE_SIZE;
    this.kernel.machine.memory.unmap(addr, pages);
    for (const h of this.kernel.machine.harts) h.invalidate(addr, pages);
  }

  /** Gives back a slot whose image was never installed (generation failed or too long). */
  private freeSlot(addr: bigint, size: number): void {
    this.freeImageMemory(addr, size, false);
  }

  private free(img: TrampImage): void {
    this.kernel.image.kallsyms.remove(img.addr);
    this.freeImageMemory(img.addr, img.size, true);
  }
}

/** A trampoline per kernel function, or per program image (two programs may share a name). */
function keyOf(t: AttachTarget): string {
  return t.kind === 'kernel' ? t.name : `prog_${t.prog.name}_${BigInt.asUintN(64, t.prog.sled).toString(16)}`;
}
