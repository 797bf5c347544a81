/**
 * Boot defaults for every kernel booted in this process (bootKernel merges them under the
 * caller's options). The mutation harness sets `{ mutant, staleIcache }` around a run of the
 * selftests or properties, which boot their kernels themselves; unset (the normal case) costs
 * one comparison per boot.
 */
import type { BootOptions } from '../kernel';

let defaults: BootOptions | undefined;

export function bootDefaults(): BootOptions | undefined {
  return defaults;
}

/** Runs fn (sync or async) with these boot defaults, restoring the previous ones afterwards. */
export async function withBootDefaults<T>(opts: BootOptions, fn: () => T | Promise<T>): Promise<T> {
  const prev = defaults;
  defaults = opts;
  try {
    return await fn();
  } finally {
    defaults = prev;
  }
}
