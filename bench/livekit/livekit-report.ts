/** The LiveKit row of the media benchmark: its figures and its markdown. */

export interface LivekitStep {
  readonly calls: number;
  /** Cores used over the measured window: the daemon (rtc-node's threads included), the load process (test LiveKit server, agents, callers), everything else. */
  readonly cores: { readonly server: number; readonly load: number; readonly others: number | null };
  /** Calls per fully used daemon core at this load (calls ÷ daemon cores). */
  readonly callsPerCore: number;
  /** Daemon CPU per second of call, ms. */
  readonly cpuMsPerCallSecond: number;
  /** 10 ms frames without the tone: at the agent (caller → agent) and at the caller (agent → caller). */
  readonly lostUp: number;
  readonly lostDown: number;
  /** 10 ms frames that should have reached the caller in the window and did not (beyond 20 ms a call). */
  readonly shortDown: number;
  readonly lost: number;
  readonly serverLoopP99Ms: number;
  readonly ok: boolean;
  readonly stoppedBecause?: string;
}

export type LivekitResult =
  | {
      readonly steps: readonly LivekitStep[];
      /** The largest step with no frame lost and neither process full. */
      readonly saturation: {
        readonly calls: number;
        readonly callsPerCore: number;
        readonly cpuMsPerCallSecond: number;
      } | null;
    }
  | { readonly notMeasured: string };

export function livekitTable(result: LivekitResult): string {
  if ('notMeasured' in result)
    return `### Media bridge, LiveKit agent transport\n\nNot measured: ${result.notMeasured}`;
  const best = result.saturation;
  return [
    '### Media bridge, LiveKit agent transport',
    '',
    '| calls | daemon cores | load cores | others | calls/core | daemon CPU ms per call-second | lost up | lost down | short down | loop p99 ms | |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...result.steps.map(
      (s) =>
        `| ${s.calls} | ${s.cores.server} | ${s.cores.load} | ${s.cores.others ?? '?'} | ${s.callsPerCore} | ` +
        `${s.cpuMsPerCallSecond} | ${s.lostUp} | ${s.lostDown} | ${s.shortDown} | ${s.serverLoopP99Ms} | ${s.ok ? 'ok' : s.stoppedBecause}`,
    ),
    '',
    best === null
      ? 'Largest step with no frame lost: none'
      : `Largest step with no frame lost: ${best.calls} calls (${best.callsPerCore} calls/core, ` +
        `${best.cpuMsPerCallSecond} ms of daemon CPU per call-second). Far below the WebSocket transport: ` +
        'every call runs a WebRTC peer connection, Opus both ways and 8 ↔ 48 kHz resampling in rtc-node.',
  ].join('\n');
}
