/**
 * A view of a kernel in which loaded modules' functions look like image functions, for tools
 * that only know the image (`kernel.image.functions` / `kernel.image.sleds`): the listings. Everything else (machine, kallsyms, ftrace, log) is the kernel's own.
 *
 * This is a bridge until those tools look functions up through kallsyms and ftrace records;
 * the view is read-only and costs nothing to make.
 */
import type { Kernel } from '../kernel';
import type { ElfSymbol } from '../../emulator/elf/reader';
import type { KernelImage, Sled } from '../image';
import { CallBoundaryMonitor, type MonitorOptions } from '../monitor/call-boundary';
import { loadedModules, type ModuleFunction } from './module';

/** An ELF-symbol-shaped record of a module function (what image-only tools read). */
function symbolOf(f: ModuleFunction): ElfSymbol {
  return { index: 0, name: f.name, value: f.addr, size: f.end - f.addr, type: 'FUNC', binding: 'GLOBAL', visibility: 0, shndx: 0, section: undefined };
}

/** The kernel as image-only tools should see it, with every loaded module's functions. */
export function withModules(kernel: Kernel): Kernel {
  const functions = new Map<string, ElfSymbol>(kernel.image.functions);
  const sleds: Sled[] = [...kernel.image.sleds];
  for (const m of loadedModules(kernel)) {
    for (const f of m.functions.values()) functions.set(f.name, symbolOf(f));
    sleds.push(...m.sleds);
  }
  const image: KernelImage = Object.create(kernel.image, { functions: { value: functions }, sleds: { value: sleds } });
  return Object.create(kernel, { image: { value: image } }) as Kernel;
}

/** A CallBoundaryMonitor on a kernel or module function (the monitor finds both through kallsyms). */
export function boundaryMonitor(kernel: Kernel, func: string, opts: MonitorOptions = {}): CallBoundaryMonitor {
  return new CallBoundaryMonitor(kernel, func, opts);
}
