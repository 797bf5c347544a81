/** The simulated kernel's image: layouts, loader, kallsyms, stacks, log, calls. */
export * from './layouts';
export * from './memmap';
export * from './loader';
export * from './kallsyms';
export * from './hostcalls';
export * from './stack';
export * from './klog';
export * from './call';
export * from './testing';
