/** The BPF runtime: programs, their ctx view, enter/exit helpers, program images. */
export * from './layout';
export * from './types';
export * from './prog';
export * from './ctx';
export * from './image';
export * from './runtime';
