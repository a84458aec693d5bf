import { type DestinationStream, type Logger, pino } from 'pino';

/** The daemon's logger type. Child loggers per call carry `callId`, `carrier`, `leg`. */
export type Log = Logger;

export interface LogOptions {
  /** pino level name; default `info`. */
  readonly level?: string;
  /** Log phone numbers, SIP URIs and DTMF digits under `pii.*` in clear; default false (redacted). */
  readonly logPii?: boolean;
  /** Where lines go; default stdout. Tests pass a stream to read what was logged. */
  readonly destination?: DestinationStream;
}

/**
 * PII only ever goes under `pii.*` keys (DESIGN.md invariant 8), and those are redacted unless
 * explicitly enabled — so a stray number in a fixed message cannot leak, and an enabled
 * deployment can still debug routing.
 */
export function createLogger(options: LogOptions = {}): Log {
  const config = {
    level: options.level ?? 'info',
    base: undefined,
    redact: options.logPii ? [] : { paths: ['pii.*', '*.pii.*'], censor: '[redacted]' },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

/** A logger that writes nothing, for tests and benchmarks. */
export function silentLogger(): Log {
  return pino({ level: 'silent' });
}
