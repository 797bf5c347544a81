/** Code loaded after boot like a module: layout per sled layout, kallsyms, ftrace, BTF. */
export * from './module';
export { withModules, boundaryMonitor } from './view';
