/**
 * `npm run bench -- control`: concurrent transfers through the Twilio simulator, the daemon on a
 * private Redis, in phases of rising trigger rate (phase.ts). The last phase is a burst, well
 * past a steady load, to find what one worker does per CPU second; it is profiled.
 */
import type { Probe } from '../lib/probe.js';
import { HUMAN, type PhaseResult, runPhase, warmUp } from './phase.js';
import { startRig } from './rig.js';

export interface ControlPhase {
  readonly calls: number;
  readonly triggerSpreadMs: number;
}

export interface ControlOptions {
  readonly phases: readonly ControlPhase[];
  readonly placeSpreadMs: number;
  readonly probe: Probe;
  /** Run the last phase once more under the profiler, into this directory. */
  readonly profileDir?: string;
  readonly log: (line: string) => void;
}

export interface ControlResult {
  /** Uncertainty of the cross-process figures (half the best IPC round trip), ms. */
  readonly clockOffsetErrorMs: number;
  readonly phases: readonly PhaseResult[];
}

export async function runControl(options: ControlOptions): Promise<ControlResult> {
  const rig = await startRig();
  try {
    rig.sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 800 });
    options.log('control: warm-up');
    await warmUp(rig);
    await rig.daemon.call('counters');
    const phases: PhaseResult[] = [];
    // Every phase is measured without the profiler: V8's sampling at 200 µs costs the daemon
    // a third of its CPU in the burst (2026-12-02), which per-CPU-second figures would count.
    // The profile comes from the last phase run once more, its figures shown as profiled.
    const runs: { phase: ControlPhase; profileFile?: string }[] = options.phases.map((phase) => ({ phase }));
    const last = options.phases[options.phases.length - 1];
    if (last !== undefined && options.profileDir !== undefined)
      runs.push({ phase: last, profileFile: `${options.profileDir}/control-burst.cpuprofile` });
    for (const { phase, profileFile } of runs) {
      options.log(
        `control: ${phase.calls} transfers triggered within ${phase.triggerSpreadMs} ms${profileFile === undefined ? '' : ' (profiled)'}`,
      );
      const result = await runPhase(rig, {
        ...phase,
        placeSpreadMs: options.placeSpreadMs,
        probe: options.probe,
        ...(profileFile === undefined ? {} : { profileFile }),
      });
      const t = result.triggerToRestEngineMs;
      options.log(
        `  ${result.triggerRate}/s: trigger → REST ${t.p50}/${t.p99} ms, ${result.transitions.perSecond} transitions/s, ` +
          `${result.transitions.perCpuSecond} per CPU s, daemon ${result.cores.daemon} cores, others ${result.cores.others ?? '?'}`,
      );
      phases.push(result);
    }
    return { clockOffsetErrorMs: rig.offsetErrorMs, phases };
  } finally {
    await rig.close();
  }
}
