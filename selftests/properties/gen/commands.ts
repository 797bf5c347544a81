/**
 * Model-based tests (fc.commands) of attaching, detaching, re-attaching, calling and the
 * function tracer, across several generated functions. The real system is a CaseRunner (a
 * fresh kernel with the module and programs loaded); the model is the runner's attachment
 * state, and every command is checked against it (gen/model.ts) as it runs.
 *
 * Commands hold raw indices resolved against the world (module + programs) when they run, so
 * fast-check can shrink commands and world independently. The commands that ran become an
 * ordinary PropCase (commandsToCase), replayable with runCase.
 */
import fc from 'fast-check';
import type { Profile } from '../../../kernel/profiles/profiles';
import { CaseRunner, expectedAttach, selected, type Contract } from '../run-case';
import { describeStep, type PropCase, type Step } from '../case';
import { CaseFailure } from '../params';
import { arbModule, arbRawArgs, arbRawProgFor, fitArgs, normalizeProgs, type GenLimits, type RawArgs } from './arbitraries';
import type { GenModule } from './func';
import type { GenProg, ModelState } from './model';

/** The fixed part of a model-based run: the functions and the programs that may be attached. */
export interface World {
  readonly module: GenModule;
  readonly progs: readonly GenProg[];
}

export function arbWorld(limits: GenLimits, maxProgs = 6): fc.Arbitrary<World> {
  const n = limits.bpf ? maxProgs : 0;
  return fc
    .record({ module: arbModule(limits), progs: fc.array(arbRawProgFor(limits), { minLength: n > 0 ? 1 : 0, maxLength: n }) })
    .map(({ module: m, progs }) => ({ module: m, progs: normalizeProgs(m, progs, undefined) }));
}

/** What the commands need to know to decide whether they apply. */
export interface CmdModel {
  readonly world: World;
  state: ModelState;
  /** Programs attached at some point (detaching one again must give -ENOENT). */
  readonly ever: Set<number>;
}

export interface CmdReal {
  readonly world: World;
  readonly runner: CaseRunner;
  readonly checks: readonly Contract[] | undefined;
  readonly steps: Step[];
}

type Raw =
  | { readonly op: 'attach' | 'detach'; readonly x: number }
  | { readonly op: 'call'; readonly x: number; readonly args: RawArgs }
  | { readonly op: 'tracer-on'; readonly fns: readonly number[] }
  | { readonly op: 'tracer-off' };

/** The step a raw command means in a world and model state (undefined: it does not apply). */
function resolve(w: World, m: CmdModel, r: Raw): Step | undefined {
  const n = w.module.functions.length;
  switch (r.op) {
    case 'attach':
      return w.progs.length > 0 ? { op: 'attach', prog: r.x % w.progs.length } : undefined;
    case 'detach': {
      if (w.progs.length === 0) return undefined;
      const j = r.x % w.progs.length;
      return m.state.attached.includes(j) || m.ever.has(j) ? { op: 'detach', prog: j } : undefined;
    }
    case 'call': {
      const fn = r.x % n;
      return { op: 'call', fn, args: fitArgs(w.module.functions[fn]!, r.args) };
    }
    case 'tracer-on':
      return { op: 'tracer-on', fns: [...new Set(r.fns.map((x) => x % n))].sort() };
    case 'tracer-off':
      return m.state.tracer !== undefined ? { op: 'tracer-off' } : undefined;
  }
}

/** The model's next state after a step, as the contract says (no kernel involved). */
function advance(p: Profile, w: World, m: CmdModel, s: Step): void {
  const st = m.state;
  if (s.op === 'attach') {
    if (expectedAttach(p, { ...w, steps: [] }, st, s.prog) === undefined) {
      m.state = { ...st, attached: [...st.attached, s.prog] };
      m.ever.add(s.prog);
    }
  } else if (s.op === 'detach') m.state = { ...st, attached: st.attached.filter((j) => j !== s.prog) };
  else if (s.op === 'tracer-on') m.state = { ...st, tracer: [...s.fns] };
  else if (s.op === 'tracer-off') m.state = { ...st, tracer: undefined };
}

class StepCommand implements fc.Command<CmdModel, CmdReal> {
  private shown: string | undefined;
  constructor(
    private readonly profile: Profile,
    readonly raw: Raw,
  ) {}

  check(m: Readonly<CmdModel>): boolean {
    return resolve(m.world, m as CmdModel, this.raw) !== undefined;
  }

  run(m: CmdModel, r: CmdReal): void {
    const step = resolve(m.world, m, this.raw)!;
    this.shown = describeStep({ ...r.world, steps: [] }, step);
    r.steps.push(step);
    const findings = r.runner.step(step).filter((f) => selected(f, r.checks));
    advance(this.profile, r.world, m, step);
    const real = r.runner.state;
    if (JSON.stringify(real) !== JSON.stringify(m.state)) findings.push({ category: 'answer', text: `runner state ${JSON.stringify(real)} differs from the model's ${JSON.stringify(m.state)}` });
    if (findings.length > 0) throw new CaseFailure(findings.map((f) => `[${f.category}] step ${r.steps.length - 1} (${this.shown}): ${f.text}`));
  }

  toString(): string {
    return this.shown ?? JSON.stringify(this.raw, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));
  }
}

/** Command arbitraries for a profile (weights favour attach / call). */
export function arbCommands(p: Profile, maxCommands = 15): fc.Arbitrary<Iterable<fc.Command<CmdModel, CmdReal>>> {
  const cmd = (a: fc.Arbitrary<Raw>) => a.map((raw) => new StepCommand(p, raw));
  return fc.commands(
    [
      cmd(fc.record({ op: fc.constant('attach' as const), x: fc.nat() })),
      cmd(fc.record({ op: fc.constant('attach' as const), x: fc.nat() })),
      cmd(fc.record({ op: fc.constant('detach' as const), x: fc.nat() })),
      cmd(fc.record({ op: fc.constant('call' as const), x: fc.nat(), args: arbRawArgs })),
      cmd(fc.record({ op: fc.constant('call' as const), x: fc.nat(), args: arbRawArgs })),
      cmd(fc.record({ op: fc.constant('tracer-on' as const), fns: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }) })),
      cmd(fc.record({ op: fc.constant('tracer-off' as const) })),
    ],
    { maxCommands },
  );
}

/**
 * Runs commands on a fresh kernel of the profile; then detaches everything and checks the
 * restore. Throws CaseFailure on the first finding.
 */
export function runCommands(p: Profile, w: World, cmds: Iterable<fc.Command<CmdModel, CmdReal>>, checks?: readonly Contract[]): void {
  const runner = new CaseRunner(p, { ...w, steps: [] });
  const real: CmdReal = { world: w, runner, checks, steps: [] };
  fc.modelRun(() => ({ model: { world: w, state: runner.state, ever: new Set<number>() }, real }), cmds);
  const end = runner.finish().filter((f) => selected(f, checks));
  if (end.length > 0) throw new CaseFailure(end.map((f) => `[${f.category}] teardown: ${f.text}`));
}

/** The steps a command list runs in a world (for reports and replay files). */
export function commandsToCase(p: Profile, w: World, cmds: Iterable<fc.Command<CmdModel, CmdReal>>): PropCase {
  const m: CmdModel = { world: w, state: { attached: [], tracer: undefined }, ever: new Set() };
  const steps: Step[] = [];
  for (const item of cmds) {
    // fast-check hands the commands back wrapped ({ cmd, hasRan }).
    const c = ((item as { cmd?: unknown }).cmd ?? item) as StepCommand;
    const s = resolve(w, m, c.raw);
    if (!s) continue;
    steps.push(s);
    advance(p, w, m, s);
  }
  return { module: w.module, progs: w.progs, steps };
}
