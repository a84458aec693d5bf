/**
 * `npm run bench -- control`: concurrent transfers through the Twilio simulator, the daemon on a
 * private Redis, in phases of rising trigger rate (phase.ts). The last phase is a burst, well
 * past a steady load, to find what one worker does per CPU second. Every phase is measured without
 * attribution (lib/instrument.ts); the burst then runs again with it and, when profiling, under
 * the profiler. Right after each unattributed phase the floor (floor.ts) takes webhooks at the
 * same rate, the daemon idle: what the messages of a transition cost on this machine without the
 * daemon, in the same minutes (on this kind of machine CPU per message drifts between minutes).
 * Then the machine's wake-up (wakeup.ts): what a message between two idle processes takes here,
 * the least each of a trigger's trips to Redis or a carrier can take at its tail.
 */
import type { Probe } from '../lib/probe.js';
import { sleep } from '../lib/stats.js';
import { type Floor, type FloorPhaseResult, type FloorResult, startFloor } from './floor.js';
import { HUMAN, type PhaseResult, runPhase, warmUp } from './phase.js';
import { startRig } from './rig.js';
import { measureWakeup, type WakeupRow } from './wakeup.js';

export interface ControlPhase {
  readonly calls: number;
  readonly triggerSpreadMs: number;
  /** Rounds pooled into the phase's figures (phase.ts); default 1. */
  readonly rounds?: number;
}

export interface ControlOptions {
  readonly phases: readonly ControlPhase[];
  readonly placeSpreadMs: number;
  readonly probe: Probe;
  /** Profile the last phase's second run (with attribution) into this directory. */
  readonly profileDir?: string;
  readonly log: (line: string) => void;
  /** More Node flags for the daemon's process (`--node-flag`). */
  readonly nodeFlags?: readonly string[];
  /** The daemon on a core of its own, apart from its load (lib/cores.ts). Default false. */
  readonly pin?: boolean;
}

export interface ControlResult {
  /** Uncertainty of the cross-process figures (half the best IPC round trip), ms. */
  readonly clockOffsetErrorMs: number;
  /** How the daemon was kept apart from its load (lib/cores.ts). */
  readonly pinning: string;
  readonly phases: readonly PhaseResult[];
  /** The floor at the phases' rates (floor.ts): units per CPU second and handler → REST latency. */
  readonly floor: FloorResult;
  /**
   * The machine's wake-up (wakeup.ts) right after each phase without attribution, as the floor:
   * one-byte round trips between two idle processes, on two cores and on one.
   */
  readonly wakeup: readonly { readonly afterRate: number; readonly rows: readonly WakeupRow[] }[];
}

export async function runControl(options: ControlOptions): Promise<ControlResult> {
  const rig = await startRig({
    ...(options.nodeFlags === undefined ? {} : { nodeFlags: options.nodeFlags }),
    pin: options.pin ?? false,
  });
  options.log(`control: ${rig.pinning}`);
  let floor: Floor | undefined;
  try {
    floor = await startFloor(options.log);
    rig.sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 800 });
    options.log('control: warm-up');
    await warmUp(rig);
    await rig.daemon.call('counters');
    const phases: PhaseResult[] = [];
    const floorPhases: FloorPhaseResult[] = [];
    const wakeup: { afterRate: number; rows: WakeupRow[] }[] = [];
    // No phase is measured under the profiler: V8's sampling at 200 µs cost the daemon about
    // a third of its CPU in the burst (2026-12-02), which per-CPU-second figures would count.
    // Nor with attribution (lib/instrument.ts): a production worker runs no async hooks, and
    // the triggers' first REST requests are found by their call instead. The last phase (the
    // burst) then runs once more with attribution — and under the profiler when profiling — for
    // its Redis figures, the store's share of each latency, the profile, and the check that both
    // ways find the same requests (0 of 300 triggers apart, 2026-12-02).
    const lastIndex = options.phases.length - 1;
    const runs: { phase: ControlPhase; attribute: boolean; profileFile?: string }[] = options.phases.map(
      (phase) => ({ phase, attribute: false }),
    );
    const last = options.phases[lastIndex];
    if (last !== undefined)
      runs.push({
        // One round: the attributed run is for its Redis figures, the profile and the check.
        phase: { calls: last.calls, triggerSpreadMs: last.triggerSpreadMs },
        attribute: true,
        ...(options.profileDir === undefined
          ? {}
          : { profileFile: `${options.profileDir}/control-burst.cpuprofile` }),
      });
    for (const { phase, attribute, profileFile } of runs) {
      const how = [attribute ? '' : 'without attribution', profileFile === undefined ? '' : 'profiled'];
      const note = how.filter((h) => h !== '').join(', ');
      options.log(
        `control: ${phase.calls} transfers triggered within ${phase.triggerSpreadMs} ms` +
          `${(phase.rounds ?? 1) > 1 ? `, ${phase.rounds} rounds` : ''}${note === '' ? '' : ` (${note})`}`,
      );
      const result = await runPhase(rig, {
        ...phase,
        placeSpreadMs: options.placeSpreadMs,
        probe: options.probe,
        attribute,
        ...(profileFile === undefined ? {} : { profileFile }),
      });
      const t = result.triggerToRestEngineMs;
      options.log(
        `  ${result.triggerRate}/s: trigger → REST ${t.p50}/${t.p99} ms, ${result.transitions.perSecond} transitions/s, ` +
          `${result.transitions.perCpuSecond} per CPU s, daemon ${result.cores.daemon} cores, others ${result.cores.others ?? '?'}`,
      );
      phases.push(result);
      if (!attribute) {
        await sleep(500);
        floorPhases.push(await floor.run({ units: phase.calls, spreadMs: phase.triggerSpreadMs }));
        const rows = await measureWakeup({ gapsMs: [1, 10], count: 200 });
        const at10 = rows.filter((w) => w.gapMs === 10).map((w) => `${w.placement} ${w.p50}/${w.p99}`);
        options.log(`  wake-up round trip after 10 ms idle, p50/p99 ms: ${at10.join(', ')}`);
        wakeup.push({ afterRate: result.triggerRate, rows });
      }
    }
    return {
      clockOffsetErrorMs: rig.offsetErrorMs,
      pinning: rig.pinning,
      phases,
      floor: { phases: floorPhases, saved: await floor.saved() },
      wakeup,
    };
  } finally {
    await floor?.close();
    await rig.close();
  }
}
