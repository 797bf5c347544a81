/**
 * The function tracer: an ftrace_ops whose callback appends (ip, parent ip) to a trace buffer,
 * like the "function" tracer's ring buffer entries.
 */
import type { Ftrace, FtraceOps } from './core';
import type { KResult } from '../errno';

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

  /** Starts tracing the named functions (all traceable functions when omitted). */
  enable(functions?: readonly string[]): KResult {
    if (functions) {
      const f = this.ftrace.setFilterFunctions(this.ops, functions);
      if (!f.ok) return f;
    }
    return this.ftrace.register(this.ops);
  }

  disable(): KResult {
    return this.ftrace.unregister(this.ops);
  }

  get enabled(): boolean {
    return this.ops.registered;
  }
}
