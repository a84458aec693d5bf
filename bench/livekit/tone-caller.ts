/**
 * The LiveKit bench's carrier side: one call placed on the daemon as Twilio places it (the
 * signed `/twilio/voice` webhook, then the `<Stream>` of its TwiML), speaking a steady tone in
 * 20 ms μ-law frames and counting, in 10 ms frames, what it hears of the agent's tone.
 */
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { MULAW_8K } from '../../src/domain/media.js';
import { decodeMulaw } from '../../src/media/mulaw.js';
import { tone } from '../../src/media/tone.js';
import { toSamples } from '../../src/media/transcode.js';
import {
  ACCOUNT_SID,
  signedHangupWebhook,
  signedVoiceWebhook,
  streamFromTwiml,
} from '../lib/daemon-setup.js';
import { isMedia, payloadOf, twilioStreamOpening } from '../media/frames.js';
import { newTally, TONE_AMPLITUDE, TONE_HZ, type ToneTally, tallyFrame } from './tone-tally.js';

/** One 20 ms frame of the tone; it repeats exactly (tone-tally.ts). */
const FRAME = tone(MULAW_8K, { frequencyHz: TONE_HZ, durationMs: 20, amplitude: TONE_AMPLITUDE }).toString(
  'base64',
);

export class ToneCaller {
  /** What the caller hears. */
  readonly heard: ToneTally = newTally();
  readonly #ws: WebSocket;
  readonly #publicUrl: string;
  readonly #callSid: string;
  readonly #streamSid = `MZ${randomBytes(16).toString('hex')}`;
  #seq = 0;

  private constructor(publicUrl: string, callSid: string, ws: WebSocket) {
    this.#publicUrl = publicUrl;
    this.#callSid = callSid;
    this.#ws = ws;
    ws.on('message', (data) => {
      const text = String(data);
      if (isMedia(text))
        tallyFrame(this.heard, toSamples(decodeMulaw(Buffer.from(payloadOf(text), 'base64'))));
    });
    ws.on('error', () => undefined);
  }

  /** Places the call and opens its stream (`connected`, `start`). */
  static async open(publicUrl: string): Promise<ToneCaller> {
    const callSid = `CA${randomBytes(16).toString('hex')}`;
    const hook = signedVoiceWebhook(publicUrl, callSid);
    const response = await fetch(hook.url, hook.init);
    const twiml = await response.text();
    if (response.status !== 200) throw new Error(`voice webhook answered ${response.status}: ${twiml}`);
    const { url, parameters } = streamFromTwiml(twiml);
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const caller = new ToneCaller(publicUrl, callSid, ws);
    for (const frame of twilioStreamOpening(ACCOUNT_SID, callSid, caller.#streamSid, parameters))
      ws.send(frame);
    return caller;
  }

  /** One 20 ms frame of the tone. */
  sendFrame(): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    const seq = this.#seq++;
    this.#ws.send(
      JSON.stringify({
        event: 'media',
        sequenceNumber: String(seq + 2),
        media: { track: 'inbound', chunk: String(seq + 1), timestamp: String(seq * 20), payload: FRAME },
        streamSid: this.#streamSid,
      }),
    );
  }

  /** `stop`, the stream closed, then the number's `completed` status callback. */
  async hangup(): Promise<void> {
    if (this.#ws.readyState === WebSocket.OPEN) {
      this.#ws.send(
        JSON.stringify({
          event: 'stop',
          stop: { accountSid: ACCOUNT_SID, callSid: this.#callSid },
          streamSid: this.#streamSid,
        }),
      );
      this.#ws.close(1000);
    }
    const hook = signedHangupWebhook(this.#publicUrl, this.#callSid);
    await (await fetch(hook.url, hook.init)).arrayBuffer();
  }
}

/** Sends every caller's frame on a 20 ms grid (drift-free: late slots are caught up). */
export function startFrames(callers: () => readonly ToneCaller[]): () => void {
  const t0 = performance.now();
  let slot = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    while (t0 + slot * 20 <= performance.now()) {
      for (const caller of callers()) caller.sendFrame();
      slot += 1;
    }
    timer = setTimeout(tick, Math.max(1, t0 + slot * 20 - performance.now()));
  };
  tick();
  return () => clearTimeout(timer);
}
