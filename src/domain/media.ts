/**
 * The one media vocabulary (STYLE.md 6). Carrier codecs turn their wire JSON into these
 * events and back; the bridge and the agent transports only ever see these.
 */

/** Audio encodings the daemon moves. `mulaw` is G.711 μ-law; `pcm16` is signed 16-bit little-endian. */
export type AudioEncoding = 'mulaw' | 'pcm16';

export interface AudioFormat {
  readonly encoding: AudioEncoding;
  /** Samples per second: 8000, 16000 or 24000. */
  readonly sampleRate: number;
}

export const MULAW_8K: AudioFormat = Object.freeze({ encoding: 'mulaw', sampleRate: 8000 });

/** Media arriving from a carrier stream (caller side) or an agent socket. */
export type InboundMediaEvent =
  | {
      readonly type: 'start';
      readonly streamId: string;
      readonly carrierCallId: string;
      readonly format: AudioFormat;
      readonly customParameters: Readonly<Record<string, string>>;
    }
  | { readonly type: 'audio'; readonly payload: Buffer; readonly timestampMs?: number }
  | { readonly type: 'dtmf'; readonly digit: string }
  | { readonly type: 'mark'; readonly name: string }
  | { readonly type: 'stop'; readonly reason?: string };

/** Media going out to a carrier stream or to an agent socket. `clear` jumps the queue (barge-in). */
export type OutboundMediaEvent =
  | { readonly type: 'audio'; readonly payload: Buffer }
  | { readonly type: 'mark'; readonly name: string }
  | { readonly type: 'clear' };

/**
 * What a caller hears while left waiting on the AI's stream: for the agent's voice (its socket
 * opening at the call's start or reopening after it dropped, or its first words at the start or
 * back from a failed transfer), or, the AI paused for a transfer, for the carrier to move them. Without it the caller hears nothing at all for as long as that
 * takes (an agent's connect timeout and a reconnect; a redirect retried), and a caller who hears
 * nothing hangs up.
 */
export interface WaitAudioSpec {
  /** `comfort_noise`: a faint line hiss (comfort-noise.ts); `none`: nothing. */
  readonly sound: 'comfort_noise' | 'none';
  /** How long a wait may last in silence before the sound starts, ms. */
  readonly afterMs: number;
}
