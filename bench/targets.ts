/**
 * The performance targets of DESIGN.md "Targets" (issue 18's "Done when"), judged from one run's
 * results: each target with what was measured and whether it was met, or `null` when the part
 * that measures it did not run. `npm run bench` prints the table after its parts and writes it to
 * `bench/results/targets.json`, so "all met in one run" is read off, not transcribed.
 */
import { round2 } from './lib/stats.js';

/** What the verdicts read of the media bench's result (media/run-media.ts `MediaResult`). */
export interface MediaFigures {
  readonly relay: ServerFigures;
  readonly daemon: ServerFigures;
  readonly perCoreRatio: readonly { readonly calls: number; readonly ratio: number | null }[];
  readonly validSteps: readonly number[];
}

interface ServerFigures {
  readonly steps: readonly {
    readonly calls: number;
    readonly ok: boolean;
    readonly lost: number;
    readonly reordered: number;
    readonly latencyMs: { readonly p99: number; readonly count: number };
  }[];
  readonly saturation: { readonly calls: number } | null;
}

/** What the verdicts read of the control bench's result (control/run-control.ts `ControlResult`). */
export interface ControlFigures {
  readonly phases: readonly {
    readonly attributed: boolean;
    readonly profiled: boolean;
    readonly triggerRate: number;
    readonly triggerToRestEngineMs: { readonly p99: number; readonly count: number };
    readonly timers: { readonly lateMs: { readonly p99: number; readonly count: number } };
    readonly transitions: { readonly perCpuSecond: number };
  }[];
}

export interface Verdict {
  readonly target: string;
  readonly measured: string;
  /** null: not measured in this run. */
  readonly met: boolean | null;
}

/** The step whose p99 per crossing is held to the relay's (DESIGN.md). */
export const TAIL_STEP_CALLS = 300;
const TAIL_FACTOR = 1.5;
const RATIO_MIN = 0.9;
const TIMER_LATE_P99_MS = 20;
const CONTROL_P99_MS = 5;
const TRANSITIONS_PER_CPU_S = 1000;

export function targetVerdicts(
  media: MediaFigures | undefined,
  control: ControlFigures | undefined,
): Verdict[] {
  return [...mediaVerdicts(media), ...controlVerdicts(control)];
}

function notRun(target: string, part: string): Verdict {
  return { target, measured: `${part} not run`, met: null };
}

function mediaVerdicts(media: MediaFigures | undefined): Verdict[] {
  const ratioTarget = `daemon ÷ relay per-core capacity ≥ ${RATIO_MIN} at every step both pass`;
  const stepTarget = 'the daemon passes the relay’s largest step, 0 frames lost or reordered';
  const tailTarget = `p99 per crossing ≤ ${TAIL_FACTOR}× the relay’s at ${TAIL_STEP_CALLS} calls`;
  if (media === undefined)
    return [notRun(ratioTarget, 'media'), notRun(stepTarget, 'media'), notRun(tailTarget, 'media')];
  const bothPass = (calls: number) =>
    media.validSteps.includes(calls) &&
    media.relay.steps.some((s) => s.calls === calls && s.ok) &&
    media.daemon.steps.some((s) => s.calls === calls && s.ok);
  const ratios = media.perCoreRatio.filter((r) => bothPass(r.calls));
  const ratioMet = ratios.length > 0 && ratios.every((r) => r.ratio !== null && r.ratio >= RATIO_MIN);
  const relayLargest = media.relay.saturation?.calls;
  const daemonLargest = media.daemon.saturation?.calls;
  // Up to the relay's largest step: past it the machine, not the daemon, is being measured.
  const lostSteps = media.daemon.steps.filter(
    (s) => s.calls <= (relayLargest ?? 0) && (s.lost > 0 || s.reordered > 0),
  );
  const relayTail = media.relay.steps.find((s) => s.calls === TAIL_STEP_CALLS);
  const daemonTail = media.daemon.steps.find((s) => s.calls === TAIL_STEP_CALLS);
  const tail =
    relayTail === undefined || daemonTail === undefined || relayTail.latencyMs.count === 0
      ? undefined
      : { relay: relayTail.latencyMs.p99, daemon: daemonTail.latencyMs.p99 };
  return [
    {
      target: ratioTarget,
      measured:
        ratios.length === 0
          ? 'no step both passed'
          : ratios.map((r) => `${r.calls} calls ${r.ratio ?? '–'}`).join(', '),
      met: ratioMet,
    },
    {
      target: stepTarget,
      measured:
        `relay ${relayLargest ?? 'none'}, daemon ${daemonLargest ?? 'none'} calls; ` +
        (lostSteps.length === 0
          ? '0 lost or reordered up to it'
          : `lost or reordered at ${lostSteps.map((s) => `${s.calls} calls (${s.lost} lost, ${s.reordered} reordered)`).join(', ')}`),
      met:
        relayLargest !== undefined &&
        daemonLargest !== undefined &&
        daemonLargest >= relayLargest &&
        lostSteps.length === 0,
    },
    tail === undefined
      ? { target: tailTarget, measured: `no ${TAIL_STEP_CALLS}-call step measured for both`, met: false }
      : {
          target: tailTarget,
          measured: `daemon ${tail.daemon} ms, relay ${tail.relay} ms (${round2(tail.daemon / Math.max(tail.relay, 0.001))}×)`,
          met: tail.daemon <= TAIL_FACTOR * tail.relay,
        },
  ];
}

function controlVerdicts(control: ControlFigures | undefined): Verdict[] {
  const timerTarget = `timers p99 ≤ ${TIMER_LATE_P99_MS} ms late`;
  const p99Target = `control: trigger → first REST p99 ≤ ${CONTROL_P99_MS} ms at every rate`;
  const burstTarget = `≥ ${TRANSITIONS_PER_CPU_S} transitions per CPU s in the burst (the capacity phase)`;
  const everyTarget = `≥ ${TRANSITIONS_PER_CPU_S} transitions per CPU s at every rate`;
  // The phases as a production worker runs: no attribution, no profiler.
  const phases = control?.phases.filter((p) => !p.attributed && !p.profiled) ?? [];
  if (phases.length === 0)
    return [timerTarget, p99Target, burstTarget, everyTarget].map((t) => notRun(t, 'control'));
  const byRate = (value: (p: (typeof phases)[number]) => string) =>
    phases.map((p) => `${value(p)} at ${p.triggerRate}/s`).join(', ');
  const burst = phases.reduce((a, b) => (b.triggerRate > a.triggerRate ? b : a));
  const timed = phases.filter((p) => p.timers.lateMs.count > 0);
  return [
    {
      target: timerTarget,
      measured: timed.length === 0 ? 'no timer fired' : byRate((p) => `${p.timers.lateMs.p99} ms`),
      met: timed.length > 0 && timed.every((p) => p.timers.lateMs.p99 <= TIMER_LATE_P99_MS),
    },
    {
      target: p99Target,
      measured: byRate((p) => `${p.triggerToRestEngineMs.p99} ms`),
      met: phases.every(
        (p) => p.triggerToRestEngineMs.count > 0 && p.triggerToRestEngineMs.p99 <= CONTROL_P99_MS,
      ),
    },
    {
      target: burstTarget,
      measured: `${burst.transitions.perCpuSecond} at ${burst.triggerRate}/s`,
      met: burst.transitions.perCpuSecond >= TRANSITIONS_PER_CPU_S,
    },
    {
      target: everyTarget,
      measured: byRate((p) => String(p.transitions.perCpuSecond)),
      met: phases.every((p) => p.transitions.perCpuSecond >= TRANSITIONS_PER_CPU_S),
    },
  ];
}

export function targetsTable(verdicts: readonly Verdict[]): string {
  const met = verdicts.filter((v) => v.met === true).length;
  const judged = verdicts.filter((v) => v.met !== null).length;
  return [
    '### Targets (DESIGN.md), this run',
    '',
    '| target | measured | met |',
    '|---|---|---|',
    ...verdicts.map(
      (v) => `| ${v.target} | ${v.measured} | ${v.met === null ? 'not run' : v.met ? '**yes**' : 'no'} |`,
    ),
    '',
    `${met} of ${judged} judged targets met${judged < verdicts.length ? ` (${verdicts.length - judged} not run)` : ''}.`,
  ].join('\n');
}
