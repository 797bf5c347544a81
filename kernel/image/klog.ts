/**
 * The kernel log: printk-like lines with the kernel's log levels. WARN and BUG lines are
 * recorded as such (kind 'warn' / 'bug'), so a harness can fail a test on them.
 */

/** Linux log levels, KERN_EMERG (0) .. KERN_DEBUG (7). */
export const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogKind = 'printk' | 'warn' | 'bug';

export interface LogLine {
  /** 0, 1, 2... in the order lines were logged. */
  readonly seq: number;
  readonly level: LogLevel;
  readonly kind: LogKind;
  readonly text: string;
}

export type LogListener = (line: LogLine) => void;

export class KernelLog {
  private readonly all: LogLine[] = [];
  private readonly listeners: LogListener[] = [];
  private seq = 0;

  printk(level: LogLevel, text: string): LogLine {
    return this.push(level, 'printk', text);
  }

  emerg(text: string): LogLine {
    return this.printk('emerg', text);
  }
  err(text: string): LogLine {
    return this.printk('err', text);
  }
  info(text: string): LogLine {
    return this.printk('info', text);
  }
  debug(text: string): LogLine {
    return this.printk('debug', text);
  }

  /** WARN(): `WARNING: <text>` at KERN_WARNING, recorded as a warning. */
  warn(text: string): LogLine {
    return this.push('warning', 'warn', `WARNING: ${text}`);
  }

  /** BUG(): `BUG: <text>` at KERN_ALERT, recorded as a bug. */
  bug(text: string): LogLine {
    return this.push('alert', 'bug', `BUG: ${text}`);
  }

  lines(): readonly LogLine[] {
    return this.all;
  }

  /** The WARN and BUG lines. */
  problems(): LogLine[] {
    return this.all.filter((l) => l.kind !== 'printk');
  }

  hasProblems(): boolean {
    return this.all.some((l) => l.kind !== 'printk');
  }

  /** Lines at or above (numerically at most) a level, e.g. 'err' gives emerg..err. */
  atLeast(level: LogLevel): LogLine[] {
    const max = LOG_LEVELS.indexOf(level);
    return this.all.filter((l) => LOG_LEVELS.indexOf(l.level) <= max);
  }

  /** Calls fn for every line logged from now on; returns a remover. */
  subscribe(fn: LogListener): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  clear(): void {
    this.all.length = 0;
  }

  /** The log as /dev/kmsg-style text: `<4>WARNING: ...`, one line each. */
  toString(): string {
    return this.all.map(formatLine).join('\n');
  }

  private push(level: LogLevel, kind: LogKind, text: string): LogLine {
    const line: LogLine = { seq: this.seq++, level, kind, text };
    this.all.push(line);
    for (const l of this.listeners) l(line);
    return line;
  }
}

export function formatLine(l: LogLine): string {
  return `<${LOG_LEVELS.indexOf(l.level)}>${l.text}`;
}
