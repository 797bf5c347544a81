/**
 * What ftrace_init_nop does to a kernel image's sleds, worked out once: for every sled the
 * bytes the compiler left there (which boot checks are still there) and the bytes that
 * convert it to its disabled state. It is a function of the sleds, the layout, the scheme's
 * arch half (scheme and mutant), ftrace_caller and the nop ops only, so boots of one profile
 * share it; every boot still checks its own memory and patches its own text.
 */
import type { Sled, SledLayout } from '../image';
import type { ArchFtrace } from './arch';

export interface BootPlan {
  /** Per sled, in image order: its record ip and the compiler's bytes boot expects. */
  readonly sleds: readonly { readonly sled: Sled; readonly ip: bigint; readonly want: { readonly addr: bigint; readonly bytes: Uint8Array } }[];
  /** The conversion, in patch order. */
  readonly patches: readonly { readonly addr: bigint; readonly bytes: Uint8Array }[];
}

const plans = new WeakMap<readonly Sled[], Map<string, BootPlan>>();

/**
 * The plan, or undefined when converting some sled fails (the caller then takes the step by
 * step path, which reports the failure where it occurs). `archKey` names the arch half's
 * behaviour (scheme and mutant).
 */
export function bootPlan(arch: ArchFtrace, archKey: string, sleds: readonly Sled[], layout: SledLayout, caller: bigint, nopOps: bigint): BootPlan | undefined {
  let byKey = plans.get(sleds);
  if (!byKey) plans.set(sleds, (byKey = new Map()));
  const key = `${archKey} ${layout.name} ${caller} ${nopOps}`;
  let plan = byKey.get(key);
  if (plan) return plan;
  const per: { sled: Sled; ip: bigint; want: { addr: bigint; bytes: Uint8Array } }[] = [];
  const patches: { addr: bigint; bytes: Uint8Array }[] = [];
  for (const sled of sleds) {
    const init = arch.initBytes(sled, caller, nopOps);
    if (!init.ok) return undefined;
    per.push({ sled, ip: arch.recIp(sled), want: arch.compilerBytes(sled, layout) });
    patches.push(...init.value);
  }
  byKey.set(key, (plan = { sleds: per, patches }));
  return plan;
}
