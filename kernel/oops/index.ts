/** Oops reports of the kernel model: frame-pointer call traces and the full report text. */
export * from './unwind';
export * from './code';
export * from './report';
