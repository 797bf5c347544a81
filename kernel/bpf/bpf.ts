/**
 * The BPF subsystem of a booted kernel: the program runtime (kernel/bpf/runtime) joined to the
 * trampoline layer (kernel/bpf/trampoline), with the attach API a skeleton uses:
 * `bpf.attach(prog)` links a loaded tracing program to its target (a kernel function by name, or
 * another program's image), `bpf.detach(link)` undoes it.
 */
import type { Kernel } from '../kernel';
import { PAGE_SIZE } from '../../emulator/memory/memory';
import { PAGE_OFFSET } from '../image';
import { fail, type KResult } from '../errno';
import { bpfRuntime, BPF_TRAMP_RUN_CTX, type BpfRuntime, type BpfProg } from './runtime';
import { BpfTrampolines, type BpfLink, type AttachTarget, type ProgTarget, type ManagerOptions } from './trampoline/manager';

/**
 * struct bpf_tramp_image objects: bpf_tramp_image_alloc kzalloc's one per image, and with the
 * KSYM_NAME_LEN (512) name of its bpf_ksym it comes from kmalloc-1k. So they are linear-map
 * addresses, 1 KiB apart, in a slab somewhere in RAM; the trampoline loads one with emit_imm,
 * in 3 to 4 instructions depending on its low bits (a kernel-image address would take 2).
 */
const TRAMP_IMAGES = PAGE_OFFSET + 0x2340000n;
const TRAMP_IMAGE_SLOT = 1024n;

export interface AttachOptions {
  readonly cookie?: bigint;
  /** Attach to this program's image instead of the kernel function named by its target. */
  readonly targetProg?: BpfProg;
}

export class Bpf {
  readonly runtime: BpfRuntime;
  readonly trampolines: BpfTrampolines;
  private images = 0n;

  constructor(readonly kernel: Kernel, opts: ManagerOptions = {}) {
    this.runtime = bpfRuntime(kernel);
    const rt = this.runtime;
    this.trampolines = new BpfTrampolines(kernel, {
      helpers: { progEnter: rt.progEnter, progExit: rt.progExit, trampEnter: rt.trampEnter, trampExit: rt.trampExit },
      runCtx: { size: BPF_TRAMP_RUN_CTX.size, cookieOff: BPF_TRAMP_RUN_CTX.bpfCookie },
      newImage: () => this.newImage(),
      imageRefs: (im) => rt.imageRefs(im),
    }, { ...opts, isBpfText: (a) => rt.isBpfText(a) });
  }

  /** kzalloc(sizeof(struct bpf_tramp_image)): the next slot, its slab page mapped on first use. */
  private newImage(): bigint {
    const im = TRAMP_IMAGES + TRAMP_IMAGE_SLOT * this.images++;
    const mem = this.kernel.machine.memory;
    const page = im - (im % BigInt(PAGE_SIZE));
    if (!mem.isMapped(page)) mem.map(page, PAGE_SIZE, 'rw');
    return im;
  }

  /** bpf_program__attach for fentry / fexit / fmod_ret programs. */
  attach(prog: BpfProg, opts: AttachOptions = {}): KResult<BpfLink> {
    const kind = prog.attach;
    // A closed program's fd is gone; a program only links hold stays loaded (runtime.unload).
    if (!prog.loaded) return fail('EBADF', `${prog.name} has been freed`);
    if (opts.targetProg && !opts.targetProg.loaded) return fail('EBADF', `${opts.targetProg.name} has been freed`);
    if (kind === 'classifier') return fail('EINVAL', `${prog.name} is not a tracing program`);
    if (kind === 'struct_ops') return fail('EINVAL', `${prog.name} is a struct_ops program: it is attached through its struct_ops map`);
    let target: AttachTarget;
    if (opts.targetProg) {
      const img = opts.targetProg.image;
      if (!img) return fail('EINVAL', `${opts.targetProg.name} has no JIT image to attach to`);
      const pt: ProgTarget = {
        name: opts.targetProg.name,
        sled: img.sled.addr,
        sledInsns: img.sled.insns,
        model: { name: opts.targetProg.name, ret: 'long', args: [{ name: 'ctx', type: 'ptr' }] },
      };
      target = { kind: 'prog', prog: pt };
    } else {
      if (!prog.target) return fail('EINVAL', `${prog.name} names no target function`);
      target = { kind: 'kernel', name: prog.target };
    }
    const r = this.trampolines.link({ name: prog.name, kind, addr: prog.addr, bpfFunc: prog.bpfFunc, usesFuncIp: prog.usesFuncIp, usesSessionCookie: prog.usesSessionCookie }, target, opts.cookie ?? 0n);
    if (r.ok) {
      // The link holds its program and its target program, so closing their object does not
      // free them under it (bpf_tracing_link holds both).
      const held = opts.targetProg ? [prog, opts.targetProg] : [prog];
      for (const p of held) this.runtime.hold(p);
      this.held.set(r.value, held);
    }
    return r;
  }

  detach(link: BpfLink): KResult {
    const r = this.trampolines.unlink(link);
    if (r.ok) {
      for (const p of this.held.get(link) ?? []) this.runtime.release(p);
      this.held.delete(link);
    }
    return r;
  }

  /** The programs each live link holds. */
  private readonly held = new Map<BpfLink, BpfProg[]>();
}

const bpfs = new WeakMap<Kernel, Bpf>();

/** The kernel's BPF subsystem (created on first use). */
export function bpfOf(kernel: Kernel, opts: ManagerOptions = {}): Bpf {
  let b = bpfs.get(kernel);
  if (!b) bpfs.set(kernel, (b = new Bpf(kernel, opts)));
  return b;
}
