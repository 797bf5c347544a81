/**
 * A fuzz campaign: the property cases of selftests/properties (attachment sets, step
 * sequences, fc.commands sequences) run with fast-check on kernel profiles, in batches.
 *
 * The schedule (what `--seed S --shard i/n` means, exactly):
 *  - targets: every selected profile (in PROFILES order) times the properties
 *    ['attach', 'steps', 'commands'], T of them, target t = profileIndex * 3 + propertyIndex;
 *  - the campaign is an endless sequence of batches g = 0, 1, 2, ... of BATCH cases each;
 *    batch g runs target (g + floor(g / T)) mod T (round robin, shifted by one every round so
 *    that any shard count still visits every target) with fast-check seed batchSeed(S, g);
 *  - shard i/n runs the batches g with g mod n = i - 1, in increasing order; --runs N stops a
 *    shard after N cases (its last batch cut short), --time after the batch that crosses it.
 * So shards of one seed never run the same batch, and with --runs a multiple of BATCH the
 * shards 1/n..n/n together run exactly the batches of the unsharded campaign with n times the
 * runs. The campaign stops at the first failing batch: its counterexample, shrunk by
 * fast-check, is replayable from (batch seed, path) or from the case itself (replay file).
 */
import fc from 'fast-check';
import type { Profile } from '../../kernel/profiles/profiles';
import { arbAttachCase, arbStepsCase, limitsFor } from '../../selftests/properties/gen/arbitraries';
import { arbCommands, arbWorld, commandsToCase, runCommands } from '../../selftests/properties/gen/commands';
import { runCase } from '../../selftests/properties/run-case';
import { CaseFailure } from '../../selftests/properties/params';
import type { PropCase } from '../../selftests/properties/case';

export const PROPERTIES = ['attach', 'steps', 'commands'] as const;
export type PropertyName = (typeof PROPERTIES)[number];

/** Cases per batch. */
export const BATCH = 10;

export interface Target {
  readonly profile: Profile;
  readonly property: PropertyName;
}

export function targetsOf(profiles: readonly Profile[]): Target[] {
  return profiles.flatMap((profile) => PROPERTIES.map((property) => ({ profile, property })));
}

/** The fast-check seed of batch g of a campaign with seed S (a 31-bit mix of both). */
export function batchSeed(seed: number, g: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const x of [g & 0xffffffff, Math.floor(g / 2 ** 32)]) {
    h = Math.imul(h ^ x, 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h & 0x7fffffff;
}

/** The target index of batch g among T targets. */
export function batchTarget(g: number, T: number): number {
  return (g + Math.floor(g / T)) % T;
}

/** The batches shard i/n (1-based i) runs, in order: its k-th batch. */
export function shardBatch(shard: { readonly index: number; readonly count: number }, k: number): number {
  return shard.index - 1 + k * shard.count;
}

/** A property of a target as fast-check runs it, with the case it ran recoverable. */
export function propertyOf(t: Target, onCase: () => void = () => {}, onFail: () => void = () => {}): { prop: fc.IRawProperty<unknown[]>; toCase: (ce: unknown[]) => PropCase } {
  const p = t.profile;
  const limits = limitsFor(p);
  switch (t.property) {
    case 'attach':
    case 'steps': {
      const arb = t.property === 'attach' ? arbAttachCase(limits) : arbStepsCase(limits);
      const prop = fc.property(arb, (c) => {
        onCase();
        const r = runCase(p.name, c);
        if (!r.ok) {
          onFail();
          throw new CaseFailure(r.findings);
        }
      });
      return { prop: prop as unknown as fc.IRawProperty<unknown[]>, toCase: (ce) => ce[0] as PropCase };
    }
    case 'commands': {
      const prop = fc.property(arbWorld(limits), arbCommands(p), (w, cmds) => {
        onCase();
        try {
          runCommands(p, w, cmds);
        } catch (e) {
          onFail();
          throw e;
        }
      });
      return {
        prop: prop as unknown as fc.IRawProperty<unknown[]>,
        toCase: (ce) => commandsToCase(p, ce[0] as Parameters<typeof commandsToCase>[1], ce[1] as Parameters<typeof commandsToCase>[2]),
      };
    }
  }
}

export interface Failure {
  readonly target: Target;
  /** The batch and its fast-check seed and counterexample path (replay with fc.check). */
  readonly batch: number;
  readonly seed: number;
  readonly path: string;
  /** Cases of the campaign (this shard) up to and including the failing one. */
  readonly atCase: number;
  readonly shrinks: number;
  readonly case: PropCase;
  readonly findings: readonly string[];
}

export interface CampaignOptions {
  readonly profiles: readonly Profile[];
  readonly seed: number;
  readonly shard?: { readonly index: number; readonly count: number };
  /** Stop after this many cases ... */
  readonly runs?: number;
  /** ... or after the batch that crosses this many milliseconds. */
  readonly timeMs?: number;
  /** Called after every case (shrink runs excluded) with the running totals. */
  readonly progress?: (s: CampaignStats) => void;
  /** Asked before each batch (g: the batch about to run): true stops the campaign there. */
  readonly stop?: (g: number) => boolean;
  readonly now?: () => number;
}

export interface CampaignStats {
  cases: number;
  batches: number;
  failures: number;
  readonly startMs: number;
  elapsedMs: number;
}

export interface CampaignResult {
  readonly stats: CampaignStats;
  readonly failure?: Failure;
  /** Stopped by CampaignOptions.stop before its budget was spent. */
  readonly interrupted?: boolean;
}

/** Runs a campaign (synchronously) until its budget is spent or a property fails. */
export function runCampaign(o: CampaignOptions): CampaignResult {
  const batches = campaignBatches(o);
  for (;;) {
    const r = batches.next();
    if (r.done) return r.value;
  }
}

/**
 * runCampaign, giving the event loop a turn after every batch (~10-30 ms), so that a signal
 * handler can ask the campaign to stop (CampaignOptions.stop) while it runs.
 */
export async function runCampaignAsync(o: CampaignOptions): Promise<CampaignResult> {
  const batches = campaignBatches(o);
  for (;;) {
    const r = batches.next();
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The campaign as a generator: one step per batch, the result at the end. */
function* campaignBatches(o: CampaignOptions): Generator<void, CampaignResult, void> {
  const now = o.now ?? (() => performance.now());
  const shard = o.shard ?? { index: 1, count: 1 };
  const targets = targetsOf(o.profiles);
  if (targets.length === 0) throw new Error('no profile to fuzz');
  if (o.runs === undefined && o.timeMs === undefined) throw new Error('a campaign needs --runs or --time');
  const stats: CampaignStats = { cases: 0, batches: 0, failures: 0, startMs: now(), elapsedMs: 0 };
  for (let k = 0; ; k++) {
    if (k > 0) yield;
    if (o.runs !== undefined && stats.cases >= o.runs) break;
    if (o.timeMs !== undefined && stats.elapsedMs >= o.timeMs) break;
    const g = shardBatch(shard, k);
    if (o.stop?.(g)) {
      stats.elapsedMs = now() - stats.startMs;
      return { stats, interrupted: true };
    }
    const target = targets[batchTarget(g, targets.length)]!;
    const seed = batchSeed(o.seed, g);
    const numRuns = o.runs !== undefined ? Math.min(BATCH, o.runs - stats.cases) : BATCH;
    const base = stats.cases;
    let shrinking = false;
    let live = 0;
    // fast-check runs the predicate on the failing case, then on shrink candidates: only the
    // cases up to the first failure count.
    const { prop, toCase } = propertyOf(target, () => {
      if (shrinking) return;
      live++;
      stats.cases = base + live;
      stats.elapsedMs = now() - stats.startMs;
      o.progress?.(stats);
    }, () => (shrinking = true));
    const d = fc.check(prop, { seed, numRuns }) as fc.RunDetails<unknown[]>;
    stats.batches++;
    stats.cases = base + d.numRuns;
    stats.elapsedMs = now() - stats.startMs;
    if (d.failed) {
      stats.failures++;
      const err = d.errorInstance;
      const findings = err instanceof CaseFailure ? err.findings : [err instanceof Error ? err.message : String(err)];
      const ce = d.counterexample!;
      return {
        stats,
        failure: { target, batch: g, seed, path: d.counterexamplePath ?? '', atCase: stats.cases, shrinks: d.numShrinks, case: toCase(ce), findings },
      };
    }
  }
  stats.elapsedMs = now() - stats.startMs;
  return { stats };
}
