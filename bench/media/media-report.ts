/** The media benchmark as markdown. */
import { livekitTable } from '../livekit/livekit-report.js';
import type { MediaResult, TargetResult } from './run-media.js';

export function mediaTable(result: MediaResult): string {
  const rows = (name: string, t: TargetResult) =>
    t.steps.map(
      (s) =>
        `| ${name} | ${s.calls} | ${s.framesPerSecond} | ${s.cores.server} | ${s.cores.load} | ${s.cores.redis} | ${s.cores.others ?? '?'} | ${s.callsPerCore} | ` +
        `${s.cpuUsPerFrame} | ${s.loadUsPerFrame} | ` +
        `${s.latencyMs.p50} | ${s.latencyMs.p99} | ${s.latencyMs.p999} | ${s.lost} | ${s.reordered} | ${s.rssKbPerAddedCall} | ` +
        `${s.serverLoopDelayMs.p99Ms} | ${s.ok ? 'ok' : `${s.status}: ${s.stoppedBecause}`}`,
    );
  const lines = [
    '### Media bridge',
    '',
    'Both servers up with the same calls; measured in alternating windows, only the measured server’s calls sending.',
    '',
    '| server | calls | frames/s | server cores | load cores | redis cores | others | calls/core | server µs/frame | load µs/frame | p50 ms | p99 ms | p99.9 ms | lost | reordered | RSS KB/added call | loop p99 ms | |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows('relay', result.relay),
    ...rows('daemon', result.daemon),
    '',
    `Per-core capacity, daemon ÷ relay (median of adjacent windows' relay ÷ daemon CPU per frame): ${
      result.perCoreRatio
        .map(
          (r) =>
            `${r.calls} calls ${r.ratio ?? '–'} (${r.pairs.length === 0 ? 'no pair' : `${Math.min(...r.pairs)}–${Math.max(...r.pairs)}`})`,
        )
        .join(', ') || '–'
    }`,
    `Largest step passed (no loss, neither server's core full), over the steps valid for both (${
      result.validSteps.join(', ') || 'none'
    }; a step where the load generator was full is machine-limited): relay ${sat(result.relay)}, daemon ${sat(result.daemon)}`,
    `RSS per call (least squares over the steps, after a full GC): relay ${result.relay.rssKbPerCallFit ?? '–'} KB, daemon ${result.daemon.rssKbPerCallFit ?? '–'} KB`,
    '',
    '| stalled agents | calls | rate | RSS growth MB over time | held for agents MB (last) | dropped MB (last) | growth MB/s, 2nd half |',
    '|---|---:|---:|---|---:|---:|---:|',
    stallRow('relay', result.relay),
    stallRow('daemon', result.daemon),
  ];
  for (const [name, t] of [
    ['relay', result.relay],
    ['daemon', result.daemon],
  ] as const) {
    if (t.profile === undefined) continue;
    lines.push(
      '',
      `Profile of the ${name} (${t.profile.totalMs} ms, idle ${t.profile.idlePercent} %), self time by module:`,
    );
    lines.push(t.profile.byModule.map((m) => `${m.name} ${m.selfPercent} %`).join(', '));
  }
  lines.push('', livekitTable(result.livekit));
  return lines.join('\n');
}

function sat(t: TargetResult): string {
  return t.saturation === null
    ? 'none passed'
    : `${t.saturation.calls} calls (${t.saturation.callsPerCore} calls/core)`;
}

function stallRow(name: string, t: TargetResult): string {
  const s = t.stall;
  const last = s.points[s.points.length - 1];
  return (
    `| ${name} | ${s.calls} | ${s.rate}× | ${s.points.map((p) => p.rssGrowthMb).join(' → ')} | ` +
    `${last?.heldForAgentsMb ?? 0} | ${last?.droppedToAgentsMb ?? 0} | ${s.lateGrowthMbPerS} |`
  );
}
