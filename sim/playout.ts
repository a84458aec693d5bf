/**
 * Outbound audio a media-stream server sent, played to the caller at real-time rate (one
 * 160-byte frame per 20 ms tick, any message size accepted), with playback markers in line:
 * Twilio `mark`, Plivo `checkpoint`, Exotel `mark`. A marker is released once everything queued
 * before it has played; `clear` drops the audio and hands back the pending markers.
 * Carrier-neutral: front-ends decide how to acknowledge.
 */
import { FRAME_BYTES } from './audio.js';

type Item = { kind: 'audio'; data: Buffer; offset: number } | { kind: 'mark'; name: string };

export interface PlayoutTick {
  /** Markers whose preceding audio has finished playing, in order. */
  readonly marks: readonly string[];
  /** Up to 160 bytes to play this tick, if any audio is queued. */
  readonly frame: Buffer | undefined;
}

export class PlayoutQueue {
  readonly #items: Item[] = [];
  #queuedBytes = 0;

  /** Bytes queued and not yet played. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  pushAudio(data: Buffer): void {
    if (data.length === 0) return;
    this.#items.push({ kind: 'audio', data, offset: 0 });
    this.#queuedBytes += data.length;
  }

  pushMark(name: string): void {
    this.#items.push({ kind: 'mark', name });
  }

  /** Drops all queued audio; returns the pending markers in order. */
  clear(): string[] {
    const marks = this.#items.flatMap((i) => (i.kind === 'mark' ? [i.name] : []));
    this.#items.length = 0;
    this.#queuedBytes = 0;
    return marks;
  }

  /**
   * One tick: first the markers at the head (their audio played during earlier ticks), then
   * the next frame. A marker right behind this tick's frame is released on the next tick,
   * after that frame has played.
   */
  tick(): PlayoutTick {
    const marks: string[] = [];
    while (this.#items[0]?.kind === 'mark') marks.push((this.#items.shift() as { name: string }).name);
    const parts: Buffer[] = [];
    let need = FRAME_BYTES;
    while (need > 0) {
      const head = this.#items[0];
      if (head?.kind !== 'audio') break;
      const take = Math.min(need, head.data.length - head.offset);
      parts.push(head.data.subarray(head.offset, head.offset + take));
      head.offset += take;
      need -= take;
      if (head.offset >= head.data.length) this.#items.shift();
    }
    const played = FRAME_BYTES - need;
    this.#queuedBytes -= played;
    const frame = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : Buffer.concat(parts);
    return { marks, frame };
  }
}
