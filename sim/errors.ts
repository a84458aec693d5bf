import { DaemonError } from '../src/domain/errors.js';

/** Stable codes for errors the simulator raises (STYLE.md 7). */
export type SimErrorCode =
  | 'sim.unknown_endpoint'
  | 'sim.no_front_end'
  | 'sim.wait_timeout'
  | 'sim.stopped'
  | 'sim.bad_scenario'
  | 'sim.http_timeout'
  | 'sim.http_failed'
  | 'sim.leg_ended';

/** An error raised by the carrier simulator itself (never by the carrier it imitates). */
export class SimError extends DaemonError {
  override readonly code: SimErrorCode;

  constructor(code: SimErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'SimError';
    this.code = code;
  }
}
