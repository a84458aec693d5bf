/**
 * What a party heard, as segments labelled by source. Consecutive frames from the same source
 * on the same leg merge into one segment, so a test can say "the caller heard `hold` from
 * 1.2 s to 4.0 s" or "the human heard `say` before any `party:` audio".
 */
import { FRAME_MS } from './clock.js';

/**
 * Who produced audio, as recorded:
 * `stream:<id>` audio a media-stream server sent (with `level` where it is not a voice);
 * `hold` hold or wait audio (with `url`);
 * `say` spoken text (with `text`); `play` a played URL (with `url`); `party:<leg>` audio from
 * another participant of a call or conference; `ringback`; `beep`.
 */
export interface AudioLabel {
  readonly source: string;
  readonly text?: string;
  readonly url?: string;
  /**
   * A media stream's frame that is not a voice: `silence`, all zero samples (nothing, sent as
   * audio); `quiet`, below {@link QUIET_DBFS} (comfort noise, a hiss: sound, nobody speaking).
   * Absent: audible sound. Only stream audio is measured.
   */
  readonly level?: AudioLevel;
}

export type AudioLevel = 'silence' | 'quiet';

/** RMS level below which a stream's frame is `quiet`, dBFS. */
export const QUIET_DBFS = -35;

/** One run of contiguous audio from one source heard on one leg. */
export interface HeardSegment extends AudioLabel {
  /** The carrier's id of the leg that heard it (e.g. a Twilio `CA…` sid). */
  readonly leg: string;
  /** Clock time of the first frame. */
  readonly startMs: number;
  /** Clock time of the end of the last frame (its start + 20 ms). */
  readonly endMs: number;
  readonly frames: number;
  readonly bytes: number;
}

interface OpenSegment {
  leg: string;
  source: string;
  text: string | undefined;
  url: string | undefined;
  level: AudioLevel | undefined;
  startMs: number;
  endMs: number;
  frames: number;
  bytes: number;
  lastTick: number;
  chunks: Buffer[] | undefined;
}

/** Matches a segment's source exactly, by prefix when the pattern ends with `:`, or by RegExp. */
export type SourcePattern = string | RegExp;

function matches(source: string, pattern: SourcePattern): boolean {
  if (typeof pattern !== 'string') return pattern.test(source);
  return pattern.endsWith(':') ? source.startsWith(pattern) : source === pattern;
}

/** Listener called for every frame recorded. */
export type HeardListener = (leg: string, label: AudioLabel, frame: Buffer) => void;

/** The recording of everything one endpoint heard, across all its legs. */
export class Heard {
  readonly #segments: OpenSegment[] = [];
  readonly #open = new Map<string, OpenSegment>();
  readonly #keepAudio: boolean;
  readonly #listeners = new Set<HeardListener>();

  /** @param keepAudio keep the bytes heard (for {@link audio}); default true. */
  constructor(keepAudio = true) {
    this.#keepAudio = keepAudio;
  }

  /** Records one frame heard at `tick` (the media tick) and clock time `atMs`. */
  record(leg: string, label: AudioLabel, frame: Buffer, tick: number, atMs: number): void {
    const key = `${leg}\u0000${label.source}\u0000${label.text ?? ''}\u0000${label.url ?? ''}\u0000${label.level ?? ''}`;
    let seg = this.#open.get(key);
    if (!seg || tick > seg.lastTick + 1) {
      seg = {
        leg,
        source: label.source,
        text: label.text,
        url: label.url,
        level: label.level,
        startMs: atMs,
        endMs: atMs,
        frames: 0,
        bytes: 0,
        lastTick: tick,
        chunks: this.#keepAudio ? [] : undefined,
      };
      this.#open.set(key, seg);
      this.#segments.push(seg);
    }
    seg.frames++;
    seg.bytes += frame.length;
    seg.endMs = atMs + FRAME_MS;
    seg.lastTick = tick;
    seg.chunks?.push(Buffer.from(frame));
    for (const fn of this.#listeners) fn(leg, label, frame);
  }

  /** Subscribes to every recorded frame; returns an unsubscribe function. */
  onRecord(fn: HeardListener): () => void {
    this.#listeners.add(fn);
    return () => {
      this.#listeners.delete(fn);
    };
  }

  /** Every segment in the order it started. */
  get segments(): readonly HeardSegment[] {
    return this.#segments.map(snapshot);
  }

  /** Segments whose source matches; optionally only those heard on leg `leg`. */
  from(pattern: SourcePattern, leg?: string): HeardSegment[] {
    return this.#segments
      .filter((s) => matches(s.source, pattern) && (leg === undefined || s.leg === leg))
      .map(snapshot);
  }

  /** Segments heard on one leg. */
  onLeg(leg: string): HeardSegment[] {
    return this.#segments.filter((s) => s.leg === leg).map(snapshot);
  }

  /** The first segment whose source matches, if any. */
  first(pattern: SourcePattern): HeardSegment | undefined {
    const seg = this.#segments.find((s) => matches(s.source, pattern));
    return seg && snapshot(seg);
  }

  /** The last segment whose source matches, if any. */
  last(pattern: SourcePattern): HeardSegment | undefined {
    const seg = this.#segments.findLast((s) => matches(s.source, pattern));
    return seg && snapshot(seg);
  }

  /** All bytes heard from matching sources, in order (empty when audio is not kept). */
  audio(pattern: SourcePattern): Buffer {
    return Buffer.concat(
      this.#segments.filter((s) => matches(s.source, pattern)).flatMap((s) => s.chunks ?? []),
    );
  }

  /** Total bytes heard from matching sources. */
  bytes(pattern: SourcePattern): number {
    return this.#segments.filter((s) => matches(s.source, pattern)).reduce((n, s) => n + s.bytes, 0);
  }
}

function snapshot(s: OpenSegment): HeardSegment {
  const out: { -readonly [K in keyof HeardSegment]: HeardSegment[K] } = {
    leg: s.leg,
    source: s.source,
    startMs: s.startMs,
    endMs: s.endMs,
    frames: s.frames,
    bytes: s.bytes,
  };
  if (s.text !== undefined) out.text = s.text;
  if (s.url !== undefined) out.url = s.url;
  if (s.level !== undefined) out.level = s.level;
  return out;
}
