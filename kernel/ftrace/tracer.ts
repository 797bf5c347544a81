/**
 * The function tracer: an ftrace_ops whose callback appends (ip, parent ip) to a trace buffer,
 * like the "function" tracer's ring buffer entries.
 */
import type { Ftrace, FtraceOps } from './core';
import { fail, type KResult } from '../errno';

export interface TraceEntry {
  readonly ip: bigint;
  readonly parentIp: bigint;
}

export class FunctionTracer {
  readonly buffer: TraceEntry[] = [];
  readonly ops: FtraceOps;

  constructor(private readonly ftrace: Ftrace) {
    this.ops = ftrace.createOps({ name: 'function_trace_ops', func: (c) => this.buffer.push({ ip: c.ip, parentIp: c.parentIp }) });
  }

  /**
   * Starts tracing the named functions (all traceable functions when omitted). An enabled
   * tracer is -EBUSY before anything changes, as __register_ftrace_function refuses an
   * enabled ops: its filter and sleds stay as they are.
   */
  enable(functions?: readonly string[]): KResult {
    if (this.ops.registered) return fail('EBUSY', `ftrace: ${this.ops.name} is already registered`);
    const prev = this.ops.filter;
    if (functions) {
      const f = this.ftrace.setFilterFunctions(this.ops, functions);
      if (!f.ok) return f;
    } else this.ops.filter = null;
    const r = this.ftrace.register(this.ops);
    if (!r.ok) this.ops.filter = prev;
    return r;
  }

  disable(): KResult {
    return this.ftrace.unregister(this.ops);
  }

  get enabled(): boolean {
    return this.ops.registered;
  }
}
