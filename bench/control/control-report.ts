/** The control-path benchmark as markdown. */
import { round2, type Summary } from '../lib/stats.js';
import { floorTable } from './floor.js';
import { type PhaseResult, SLOW_TRIGGER_MS, type TriggerParts } from './phase.js';
import type { ControlResult } from './run-control.js';
import { wakeupTable } from './wakeup.js';

const ms = (s: Summary) => (s.count === 0 ? '–' : `${s.p50} / ${s.p99} / ${s.max}`);
/** With the sample count: a p99 of a few dozen samples is their maximum. */
const msN = (s: Summary) => (s.count === 0 ? '–' : `${ms(s)} (n ${s.count})`);

function label(p: PhaseResult): string {
  const how = [p.attributed ? '' : 'no attribution', p.profiled ? 'profiled' : ''].filter((h) => h !== '');
  return how.length === 0 ? '' : ` (${how.join(', ')})`;
}

export function controlTable(r: ControlResult): string {
  const rows = r.phases.map((p) => {
    const t = p.transitions;
    return (
      `| ${p.rounds > 1 ? `${p.rounds} × ${p.calls}` : p.calls}${label(p)} | ${p.triggerRate} | ${outcomes(p)} | ${msN(p.triggerToRestEngineMs)} | ${ms(p.triggerToRestEndToEndMs)} | ` +
      `${ms(p.coldTriggerToRestMs)} | ${t.perSecond} | ${t.perCpuSecond} / ${t.perControlCpuSecond} | ` +
      `${p.attributed ? p.redis.perAppliedDispatch : '–'} | ${ms(p.timers.lateMs)} | ${p.cores.daemon} / ${p.cores.load} / ${p.cores.redis} / ${p.cores.others ?? '?'} | ` +
      `${p.daemonLoopDelayMs.p99Ms} |`
    );
  });
  const last = r.phases.filter((p) => p.attributed).at(-1);
  const profile = r.phases.find((p) => p.profile !== undefined)?.profile;
  const lines = [
    '### Control path',
    '',
    `Cross-process times are aligned to ±${r.clockOffsetErrorMs} ms. Cores: ${r.pinning}.`,
    '',
    '| transfers | per s | settled | warm trigger → REST, engine ms p50 / p99 / max | warm trigger sent → REST ms | cold trigger sent → REST ms | transitions/s | per CPU s (all / net of media) | Redis commands / transition | timers late ms | cores daemon / load / redis / others | daemon loop p99 ms |',
    '|---:|---:|---|---|---|---|---:|---|---:|---|---|---:|',
    ...rows,
  ];
  lines.push(
    '',
    `GC pauses against the warm triggers (over ${SLOW_TRIGGER_MS} ms: how many, and how many had a pause inside):`,
    '',
    '| transfers/s | slow triggers | with a GC pause inside | trigger → REST without the pauses, ms p50 / p99 / max | GC pauses in the windows, ms p50 / p99 / max |',
    '|---:|---:|---:|---|---|',
    ...r.phases.map(
      (p) =>
        `| ${p.triggerRate}${label(p)} | ${p.triggerGc.slow} of ${p.triggerToRestEngineMs.count} | ${p.triggerGc.slowWithPause} | ` +
        `${ms(p.triggerGc.withoutPausesMs)} | ${msN(p.triggerGc.pausesMs)} |`,
    ),
  );
  const threadRows = r.phases.flatMap((p) => {
    const q = p.triggerThread;
    return q === undefined
      ? []
      : [
          `| ${p.triggerRate}${label(p)} | ${ms(q.onCoreMs)} | ${ms(q.waitMs)} | ${ms(q.withoutWaitMs)} | ${q.slow} | ${q.slowWithoutWait} |`,
        ];
  });
  if (threadRows.length > 0)
    lines.push(
      '',
      `The daemon's main thread within each warm trigger → REST (/proc schedstat: lib/thread-times.ts): on a core, and runnable but waiting for one (the kernel running the machine's other processes, or waking a halted core):`,
      '',
      `| transfers/s | on a core, ms p50 / p99 / max | waiting for a core, ms p50 / p99 / max | trigger → REST without the wait, ms p50 / p99 / max | slow triggers (over ${SLOW_TRIGGER_MS} ms) | still over ${SLOW_TRIGGER_MS} ms without it |`,
      '|---:|---|---|---|---:|---:|',
      ...threadRows,
    );
  lines.push(
    '',
    `Warm trigger → REST in parts, ms p50 / p99 / max — all triggers, and those over ${SLOW_TRIGGER_MS} ms:`,
    '',
    '| transfers/s | triggers | dispatch → the store | the store (record, step, commit) | its answer → REST |',
    '|---:|---|---|---|---|',
    ...r.phases.flatMap((p) => {
      const row = (which: string, t: TriggerParts) =>
        `| ${p.triggerRate}${label(p)} | ${which} | ${ms(t.beforeStoreMs)} | ${ms(t.storeMs)} | ${msN(t.afterStoreMs)} |`;
      return [row('all', p.triggerParts.all), row('slow', p.triggerParts.slow)];
    }),
  );
  if (last !== undefined) {
    lines.push(
      '',
      `Each phase's event → first carrier REST request, engine ms p50 / p99 / max:`,
      '',
      '| transfers/s | event | REST | n | event → REST ms | of which the store ms | after the store ms |',
      '|---:|---|---|---:|---|---|---|',
      ...r.phases.flatMap((p) =>
        p.eventToRest.map(
          (e) =>
            `| ${p.triggerRate} | ${e.input} | ${e.restPath} | ${e.count} | ${ms(e.engineMs)} | ${ms(e.storeMs)} | ${ms(e.afterStoreMs)} |`,
        ),
      ),
      '',
      `Redis commands per applied transition: ${last.redis.perAppliedDispatch} by its own dispatch ` +
        `(${Object.entries(last.redis.histogram)
          .map(([k, v]) => `${v}× ${k}`)
          .join(
            ', ',
          )}); ${last.redis.allDispatchesPerTransition} counting dispatches that applied nothing; ` +
        `${last.redis.outsidePerTransition} outside dispatches. By store method, per transition: ` +
        Object.entries(last.redis.byMethod)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      '',
      `Triggers whose first REST request differs when found by its call (as every phase without ` +
        `attribution finds it) rather than by the dispatch's async context, in the ${last.triggerRate}/s run with attribution: ` +
        restCheck(last),
      '',
      `Redis read events per call, whole phase (what reached Redis in one write counts once): ` +
        r.phases.map((p) => `${p.triggerRate}/s${label(p)} ${p.redisReadsPerCall}`).join(', '),
      '',
      `Dispatches that applied nothing (input → status: count, Redis commands): ` +
        Object.entries(last.redis.notApplied)
          .map(([k, v]) => `${k}: ${v.count}, ${v.commands}`)
          .join('; '),
    );
    for (const p of r.phases) {
      lines.push(
        '',
        `Dispatches started in the ${p.triggerRate}/s window${label(p)} (input → status: count): ` +
          Object.entries(p.transitions.inWindow)
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => `${k}: ${v}`)
            .join('; '),
      );
    }
    if (profile !== undefined) {
      lines.push(
        '',
        `Profile of the daemon in the last phase run again under the profiler (${profile.totalMs} ms, idle ${profile.idlePercent} %), self time by module: ` +
          profile.byModule.map((m) => `${m.name} ${m.selfPercent} %`).join(', '),
      );
    }
  }
  lines.push(
    '',
    'The floor: the messages of a transition without the daemon (floor.ts), at the same rates — per webhook a signed webhook in, a record saved by script in one Redis round trip, a REST request out, an agent message, a TwiML reply:',
    '',
    floorTable(r.floor),
    '',
    `Daemon transitions per CPU s ÷ floor units per CPU s, by rate: ${floorRatios(r)}`,
  );
  for (const w of r.wakeup)
    lines.push(
      '',
      `The machine's wake-up after the ${w.afterRate}/s phase (wakeup.ts): a one-byte round trip between two Node processes idle in between, on two cores and on one:`,
      '',
      wakeupTable(w.rows),
    );
  return lines.join('\n');
}

/** Each unattributed phase's transitions per CPU second over the floor's units at its rate. */
export function floorRatios(r: Pick<ControlResult, 'phases' | 'floor'>): string {
  return r.phases
    .filter((p) => !p.attributed)
    .map((p) => {
      const floor = r.floor.phases.find((f) => f.units === p.calls);
      return floor === undefined || floor.perCpuSecond === 0
        ? `${p.triggerRate}/s –`
        : `${p.triggerRate}/s ${p.transitions.perCpuSecond} ÷ ${floor.perCpuSecond} = ${round2(p.transitions.perCpuSecond / floor.perCpuSecond)}`;
    })
    .join(', ');
}

function restCheck(p: PhaseResult): string {
  const check = p.restMatchCheck;
  if (check === undefined) return '–';
  const some = check.mismatches.slice(0, 3).join('; ');
  return `${check.mismatches.length} of ${check.checked}${some === '' ? '' : ` (${some})`}`;
}

function outcomes(p: PhaseResult): string {
  return Object.entries(p.outcomes)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}
