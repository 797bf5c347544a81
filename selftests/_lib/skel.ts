/**
 * Skeleton-like helpers, as the upstream tests use a generated `<name>.skel.h`:
 *
 *   const skel = open_and_load(t, k, fentry_test);     // fentry_test__open_and_load()
 *   const err = skel.attach();                         // fentry_test__attach(): 0 or -errno
 *   skel.bss.test1_result                              // skel->bss->test1_result
 *   skel.attach_prog('test1')                          // bpf_program__attach(): KResult<BpfLink>
 *   skel.detach(); skel.destroy();                     // __detach() / __destroy()
 *
 * Loading fails only where the kernel refuses an attach type (fsession before 7.0: load_skel
 * returns -EOPNOTSUPP); there is no verifier, and a broken object spec is a bug in the test and
 * throws. Attaching fails the way the kernel refuses (-ENOTSUPP without a
 * trampoline or direct calls, or for too many arguments; -EBUSY, -E2BIG ...), with libbpf's
 * warning and the kernel's reason in the log.
 */
import type { TestContext } from '../../harness/runner/context';
import type { Kernel } from '../../kernel/kernel';
import { bpfOf, type AttachOptions, type Bpf } from '../../kernel/bpf/bpf';
import type { BpfLink } from '../../kernel/bpf/trampoline/manager';
import { isTracing, type BpfObject, type BpfProg, type Bss, type LoadOptions, type ObjectSpec } from '../../kernel/bpf/runtime';
import { registerStructOps } from '../../kernel/bpf/struct-ops';
import { structOpsLinkAttached, structOpsLinkCreate, structOpsLinkDetach, structOpsMapFree, structOpsMapUpdate, type StructOpsMap } from '../../kernel/bpf/struct-ops-map';
import { explain, kernel_call } from './kcall';

/**
 * A `.struct_ops.link` map of a BPF object (SEC(".struct_ops.link") struct <type> <name> = {
 * .<member> = <prog>, .<data member> = <value> }).
 */
export interface StructOpsMapSpec {
  readonly name: string;
  readonly type: string;
  /** Program name per function member. */
  readonly progs: Readonly<Record<string, string>>;
  readonly data?: Readonly<Record<string, bigint | number>>;
}
import { describeError, type KResult } from '../../kernel/errno';

export class Skeleton {
  /** Links made by attach() / attach_prog(), by program name (bpf_link per program). */
  readonly links = new Map<string, BpfLink>();
  /** bpf_program__set_attach_target(prog, tgt_fd, NULL): attach to a program's image. */
  private readonly targets = new Map<string, BpfProg>();
  /** Per-program cookies for attach() (bpf_link_create's opts.tracing.cookie). */
  private readonly cookies = new Map<string, bigint>();

  constructor(
    private readonly t: TestContext,
    readonly k: Kernel,
    readonly bpf: Bpf,
    readonly obj: BpfObject,
  ) {}

  get name(): string {
    return this.obj.name;
  }

  /** skel->bss */
  get bss(): Bss {
    return this.obj.bss;
  }

  /** skel->progs.<name> */
  prog(name: string): BpfProg {
    return this.obj.prog(name);
  }

  /** The loaded programs, in the object's order. */
  get progs(): BpfProg[] {
    return [...this.obj.progs.values()];
  }

  set_attach_target(prog: string, target: BpfProg): void {
    this.prog(prog);
    this.targets.set(prog, target);
  }

  set_cookie(prog: string, cookie: bigint): void {
    this.prog(prog);
    this.cookies.set(prog, cookie);
  }

  /**
   * <skel>__attach(): attaches every loaded tracing program in order. Returns 0, or the first
   * error (links made before it stay until detach() / destroy(), as libbpf leaves them).
   */
  attach(): number {
    for (const p of this.progs) {
      if (!isTracing(p.attach) || this.links.has(p.name)) continue;
      const r = this.attach_prog(p.name);
      if (!r.ok) {
        this.t.log(`libbpf: prog '${p.name}': failed to auto-attach: ${r.err}`);
        return r.err;
      }
    }
    return 0;
  }

  /**
   * bpf_program__attach() / bpf_link_create(): one link for one program (its cookie and attach
   * target from set_cookie / set_attach_target unless given). A failure is logged with the
   * kernel's reason.
   */
  attach_prog(name: string, opts: AttachOptions = {}): KResult<BpfLink> {
    const p = this.prog(name);
    const target = opts.targetProg ?? this.targets.get(name);
    const cookie = opts.cookie ?? this.cookies.get(name);
    const r = this.bpf.attach(p, { ...(target ? { targetProg: target } : {}), ...(cookie !== undefined ? { cookie } : {}) });
    if (r.ok) {
      if (!this.links.has(name)) this.links.set(name, r.value);
    } else {
      this.t.log(`libbpf: prog '${name}': failed to attach: ${describeError(r)}`);
    }
    return r;
  }

  /**
   * bpf_map__attach_struct_ops() of the object's struct_ops map of `type` (skel->maps.dummy_1
   * for bpf_dummy_ops): 0, or the negative errno libbpf reports (logged with the reason).
   */
  attach_struct_ops(type: string): number {
    const r = registerStructOps(type);
    if (r.ok) return 0;
    this.t.log(`libbpf: map of struct ${type}: failed to attach: ${describeError(r)}`);
    return r.err;
  }

  /** struct_ops maps made by attach_map_struct_ops, freed by destroy(). */
  private readonly structOpsMaps: StructOpsMap[] = [];

  /**
   * bpf_map__attach_struct_ops() of a `.struct_ops.link` map of a registrable type (skel->maps
   * .testmod_1): the map value written (the members' trampolines built), then the link created,
   * which runs the type's .reg in the kernel. The map, or the error (logged as libbpf does);
   * undefined after an oops / timeout in .reg (reported).
   */
  attach_map_struct_ops(spec: StructOpsMapSpec): KResult<StructOpsMap> | undefined {
    const progs: Record<string, BpfProg> = {};
    for (const [member, prog] of Object.entries(spec.progs)) progs[member] = this.prog(prog);
    const data = Object.fromEntries(Object.entries(spec.data ?? {}).map(([k, v]) => [k, BigInt(v)]));
    const map = structOpsMapUpdate(this.bpf, { type: spec.type, progs, data });
    if (!map.ok) {
      this.t.log(`libbpf: map '${spec.name}': failed to update: ${describeError(map)}`);
      return map;
    }
    this.structOpsMaps.push(map.value);
    const reg = structOpsLinkCreate(map.value);
    if (!reg.ok) {
      this.t.log(`libbpf: map '${spec.name}': failed to attach: ${describeError(reg)}`);
      return reg;
    }
    const ret = this.struct_ops_call(reg.value.fn, reg.value.args, 'bpf_map__attach_struct_ops');
    if (ret === undefined) return undefined;
    const attached = structOpsLinkAttached(map.value, Number(BigInt.asIntN(32, ret)));
    if (!attached.ok) {
      this.t.log(`libbpf: map '${spec.name}': failed to attach: ${describeError(attached)}`);
      return attached;
    }
    return map;
  }

  /**
   * bpf_link__detach() / bpf_link__destroy() of a struct_ops link: the type's .unreg runs.
   * 0, or the negative errno; undefined after an oops (reported).
   */
  detach_map_struct_ops(map: StructOpsMap): number | undefined {
    const unreg = structOpsLinkDetach(map);
    if (!unreg.ok) return unreg.err;
    return this.struct_ops_call(unreg.value.fn, unreg.value.args, 'bpf_link__detach') === undefined ? undefined : 0;
  }

  /** A struct_ops type's .reg / .unreg, called in the kernel: a0, or undefined after an oops or
   *  a timeout (reported, with `what` on the TIMEOUT line). */
  private struct_ops_call(fn: string, args: readonly bigint[], what: string): bigint | undefined {
    const out = kernel_call(this.k, fn, args);
    if (out.ok) return out.value;
    if (out.kind === 'timeout') this.t.timeout(`${what} ${out.message}`);
    else this.t.fail(`${out.tag} ${out.message}`);
    explain(this.t, out);
    return undefined;
  }

  /** bpf_link__destroy() of one link; false (with a FAIL line) when the kernel refused. */
  detach_link(name: string): boolean {
    const l = this.links.get(name);
    if (!l) return true;
    this.links.delete(name);
    return this.t.ASSERT_OK(this.bpf.detach(l), `detach ${name}`);
  }

  /** <skel>__detach(): destroys every link (in attach order). */
  detach(): boolean {
    let ok = true;
    for (const name of [...this.links.keys()]) ok = this.detach_link(name) && ok;
    return ok;
  }

  /** <skel>__destroy(): detach, then unload the programs. */
  destroy(): void {
    this.detach();
    for (const m of this.structOpsMaps.splice(0)) structOpsMapFree(this.bpf, m);
    this.obj.close();
  }
}

/**
 * <skel>__load() where the kernel may refuse the object: the skeleton, or the negative errno
 * (-EOPNOTSUPP for fsession programs on a JIT without fsession support), logged as libbpf does.
 */
export function load_skel(t: TestContext, k: Kernel, spec: ObjectSpec, opts: LoadOptions = {}): Skeleton | number {
  const bpf = bpfOf(k);
  const r = bpf.runtime.tryLoad(spec, opts);
  if (!r.ok) {
    t.log(`libbpf: failed to load object '${spec.name}': ${describeError(r)}`);
    return r.err;
  }
  return new Skeleton(t, k, bpf, r.value);
}

/**
 * RUN_TESTS() of an object marked __failure __msg(msg): loading it must fail, with the
 * verifier's message. A load that works fails the test.
 */
export function load_must_fail(t: TestContext, k: Kernel, spec: ObjectSpec, msg: string): void {
  const r = bpfOf(k).runtime.tryLoad(spec);
  if (r.ok) {
    r.value.close();
    t.fail(`${spec.name}: the object loaded, expected a load failure`);
    return;
  }
  t.log(`libbpf: failed to load object '${spec.name}': ${describeError(r)}`);
  t.ASSERT_HAS_SUBSTR(r.message, msg, 'verifier log');
}

/** <skel>__open_and_load(): the object's programs loaded (only those named in `only`, if given). */
export function open_and_load(t: TestContext, k: Kernel, spec: ObjectSpec, opts: LoadOptions = {}): Skeleton {
  const bpf = bpfOf(k);
  return new Skeleton(t, k, bpf, bpf.runtime.load(spec, opts));
}

/** get_bpf_max_tramp_links(): BPF_MAX_TRAMP_LINKS of the running kernel (its "vmlinux BTF"). */
export function get_bpf_max_tramp_links(k: Kernel): number {
  return k.profile.maxTrampLinks;
}

/** The .bss values in declaration order (upstream loops over `(__u64 *)skel->bss`). */
export function bssValues(skel: Skeleton): bigint[] {
  return Object.values(skel.bss);
}

/** memset(skel->bss, 0, sizeof(*skel->bss)). */
export function resetBss(skel: Skeleton): void {
  skel.obj.resetBss();
}

let nextFd = 10;

/**
 * The fd a light skeleton's `<skel>__<prog>__attach()` returns: a new descriptor (>= 0) for a
 * link, the negative error otherwise (for the upstream `ASSERT_LT(link_fd, 0, ...)` checks).
 */
export function link_fd(r: KResult<BpfLink>): number {
  return r.ok ? nextFd++ : r.err;
}
