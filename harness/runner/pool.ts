/**
 * Worker threads for -j: each loads the selftests itself and runs one (test, profile) at a
 * time; the main thread hands out work and gets plain TestRun records back. A worker that
 * exits or throws while running a test makes that run an ERROR; one stuck past the wall
 * clock limit (synchronous code never yields) is terminated and the run is a TIMEOUT. Either
 * way a fresh worker takes its place.
 */
import type { Worker } from 'node:worker_threads';
import type { Profile } from '../../kernel/profiles/profiles';
import type { ExecOptions } from './execute';
import type { TestDef } from './registry';
import type { PartRecord, TestRun } from './results';
import { startWorker } from './start-worker';

export interface PoolConfig {
  readonly dir: string;
  readonly exec: Omit<ExecOptions, 'clock'> & { clock?: undefined };
}

/** What a worker gets as workerData. */
export type WorkerInit = PoolConfig;

export type ToWorker = { readonly type: 'run'; readonly id: number; readonly test: string; readonly profile: string };
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly id: number; readonly run: TestRun | undefined }
  | { readonly type: 'fatal'; readonly message: string };

interface Job {
  readonly id: number;
  readonly test: TestDef;
  readonly profile: Profile;
  readonly resolve: (r: TestRun | undefined) => void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
  ready: boolean;
}

/** Grace on top of the per-test wall limit before the main thread gives up on a worker: the
 *  worker ends an async test itself at the limit; this only catches one stuck in synchronous code. */
function graceMs(limit: number): number {
  return Math.max(1_000, Math.min(5_000, limit));
}

/** A run record for a test the runner could not finish. */
export function brokenRun(test: TestDef, profile: Profile, kind: 'error' | 'timeout', message: string): TestRun {
  // As TestContext.timeout() records one: the log line says TIMEOUT, the timeout field is the reason.
  const own: PartRecord = kind === 'timeout'
    ? { log: [`TIMEOUT: ${message}`], errors: 1, skipped: false, durationMs: 0, timeout: message }
    : { log: [message], errors: 1, skipped: false, durationMs: 0, broken: message };
  return {
    name: test.name,
    number: test.number,
    serial: test.serial,
    profile: profile.name,
    own,
    subtests: [],
    filtered: 0,
    judgement: { verdict: kind },
    ownJudgement: { verdict: kind },
    durationMs: 0,
  };
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closing = false;
  private readonly init: WorkerInit;

  constructor(size: number, config: PoolConfig) {
    this.init = config;
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  run(test: TestDef, profile: Profile): Promise<TestRun | undefined> {
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, test, profile, resolve });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = startWorker(require.resolve('./worker'), this.init);
    const slot: Slot = { worker, job: undefined, timer: undefined, ready: false };
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        slot.ready = true;
        this.pump();
      } else if (m.type === 'done') {
        this.settle(slot, m.run);
        this.pump();
      } else {
        this.replace(slot, 'error', `worker thread: ${m.message}`);
      }
    });
    worker.on('error', (e) => this.replace(slot, 'error', `worker thread died: ${e instanceof Error ? e.message : String(e)}`));
    worker.on('exit', (code) => {
      if (!this.closing) this.replace(slot, 'error', `worker thread exited with code ${code}`);
    });
    return slot;
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.job || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      const limit = this.init.exec.wallTimeoutMs;
      if (limit > 0) {
        slot.timer = setTimeout(() => this.replace(slot, 'timeout', `the test did not finish within ${limit / 1000} s (wall clock); its worker thread was terminated`), limit + graceMs(limit));
      }
      const msg: ToWorker = { type: 'run', id: job.id, test: job.test.name, profile: job.profile.name };
      slot.worker.postMessage(msg);
    }
  }

  private settle(slot: Slot, run: TestRun | undefined): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    const job = slot.job;
    slot.job = undefined;
    job?.resolve(run);
  }

  /** Fails the slot's job (if any) and puts a fresh worker in its place. */
  private replace(slot: Slot, kind: 'error' | 'timeout', message: string): void {
    if (this.closing) return;
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    const job = slot.job;
    if (slot.timer) clearTimeout(slot.timer);
    slot.worker.removeAllListeners();
    void slot.worker.terminate();
    if (!slot.ready && !job) {
      // A worker that cannot even start would be replaced forever: fail everything queued.
      this.slots.splice(i, 1);
      if (this.slots.every((s) => !s.ready)) for (const j of this.queue.splice(0)) j.resolve(brokenRun(j.test, j.profile, 'error', message));
      return;
    }
    this.slots[i] = this.spawn();
    if (job) job.resolve(brokenRun(job.test, job.profile, kind, message));
  }
}
