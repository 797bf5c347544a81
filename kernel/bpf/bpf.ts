/**
 * The BPF subsystem of a booted kernel: the program runtime (kernel/bpf/runtime) joined to the
 * trampoline layer (kernel/bpf/trampoline), with the attach API a skeleton uses:
 * `bpf.attach(prog)` links a loaded tracing program to its target (a kernel function by name, or
 * another program's image), `bpf.detach(link)` undoes it.
 */
import type { Kernel } from '../kernel';
import { PAGE_SIZE } from '../../emulator/memory/memory';
import { KERNEL_BASE } from '../image';
import { fail, type KResult } from '../errno';
import { bpfRuntime, BPF_TRAMP_RUN_CTX, type BpfRuntime, type BpfProg } from './runtime';
import { BpfTrampolines, type BpfLink, type AttachTarget, type ProgTarget, type ManagerOptions } from './trampoline/manager';

/** struct bpf_tramp_image storage: one 64-byte slot per image ever generated. */
const TRAMP_IMAGES = KERNEL_BASE + 0x690000n;
const TRAMP_IMAGE_SLOT = 64n;

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
    kernel.machine.memory.map(TRAMP_IMAGES, PAGE_SIZE * 4, 'rw');
    const rt = this.runtime;
    this.trampolines = new BpfTrampolines(kernel, {
      helpers: { progEnter: rt.progEnter, progExit: rt.progExit, trampEnter: rt.trampEnter, trampExit: rt.trampExit },
      runCtx: { size: BPF_TRAMP_RUN_CTX.size, cookieOff: BPF_TRAMP_RUN_CTX.bpfCookie },
      newImage: () => TRAMP_IMAGES + TRAMP_IMAGE_SLOT * this.images++,
      imageRefs: (im) => rt.imageRefs(im),
    }, { ...opts, isBpfText: (a) => rt.isBpfText(a) });
  }

  /** bpf_program__attach for fentry / fexit / fmod_ret programs. */
  attach(prog: BpfProg, opts: AttachOptions = {}): KResult<BpfLink> {
    const kind = prog.attach;
    // A closed program's fd is gone; a program only links hold stays loaded (runtime.unload).
    if (!prog.loaded) return fail('EBADF', `${prog.name} has been freed`);
    if (opts.targetProg && !opts.targetProg.loaded) return fail('EBADF', `${opts.targetProg.name} has been freed`);
    if (kind === 'classifier') return fail('EINVAL', `${prog.name} is not a tracing program`);
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
    const r = this.trampolines.link({ name: prog.name, kind, addr: prog.addr, bpfFunc: prog.bpfFunc, usesFuncIp: prog.usesFuncIp }, target, opts.cookie ?? 0n);
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
