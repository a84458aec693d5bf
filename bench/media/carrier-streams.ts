/**
 * The load generator's carrier side: one WebSocket per call speaking Twilio's Media Streams
 * protocol as Twilio does (protocols.md §2.3) — `connected`, `start` with the `<Parameter>`s of
 * the call's TwiML, then one `media` per 20 ms with 160 bytes of μ-law. Against the daemon, the
 * call record is created first through the signed `/twilio/voice` webhook and the stream URL and
 * parameters are taken from the TwiML it returns, as Twilio would.
 */
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import {
  ACCOUNT_SID,
  signedHangupWebhook,
  signedVoiceWebhook,
  streamFromTwiml,
} from '../lib/daemon-setup.js';
import { Samples } from '../lib/stats.js';
import { type FrameLedger, payloadAt, stampedPayload, twilioStreamOpening } from './frames.js';

/** A frame built as bytes still goes out as a text message, as Twilio's are. */
const TEXT = { binary: false } as const;

export type StreamTarget =
  | { readonly kind: 'daemon'; readonly publicUrl: string }
  | { readonly kind: 'relay'; readonly url: string };

export class CarrierStream {
  readonly index: number;
  readonly callSid: string;
  readonly #ws: WebSocket;
  readonly #target: StreamTarget;
  readonly #ledger: FrameLedger;
  readonly #streamSid: string;
  #seq = 0;
  #messageSeq = 1;

  private constructor(
    target: StreamTarget,
    index: number,
    callSid: string,
    ws: WebSocket,
    streamSid: string,
    ledger: FrameLedger,
  ) {
    this.#target = target;
    this.index = index;
    this.callSid = callSid;
    this.#ws = ws;
    this.#streamSid = streamSid;
    this.#ledger = ledger;
    ws.on('message', (data) => this.#onMessage(data as Buffer));
    ws.on('error', () => undefined);
  }

  /**
   * Places the call and opens its stream; resolves once the agent has the stream's `start`
   * (so every frame counted from here on has somewhere to go).
   */
  static async open(
    target: StreamTarget,
    index: number,
    ledger: FrameLedger,
    agentStarted: (callId: string) => Promise<void>,
  ): Promise<CarrierStream> {
    const callSid = `CA${randomBytes(16).toString('hex')}`;
    let url: string;
    let parameters: Record<string, string>;
    if (target.kind === 'daemon') {
      const hook = signedVoiceWebhook(target.publicUrl, callSid);
      const response = await fetch(hook.url, hook.init);
      const twiml = await response.text();
      if (response.status !== 200) throw new Error(`voice webhook answered ${response.status}: ${twiml}`);
      ({ url, parameters } = streamFromTwiml(twiml));
    } else {
      url = target.url;
      parameters = { callId: callSid };
    }
    // The load process reads only the stamp of what it receives (frames.ts), not the text.
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const streamSid = `MZ${randomBytes(16).toString('hex')}`;
    const started = agentStarted(callSid);
    for (const frame of twilioStreamOpening(ACCOUNT_SID, callSid, streamSid, parameters)) ws.send(frame);
    await started;
    return new CarrierStream(target, index, callSid, ws, streamSid, ledger);
  }

  /** Bytes this side has queued but not yet written to its socket. */
  get bufferedBytes(): number {
    return this.#ws.bufferedAmount;
  }

  /** One 20 ms `media` message, stamped now. */
  sendFrame(): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    const seq = this.#seq++;
    const payload = stampedPayload(this.index, seq, performance.now());
    this.#messageSeq += 1;
    this.#ledger.sent[this.index] = (this.#ledger.sent[this.index] ?? 0) + 1;
    // Handed to ws as bytes, it masks them into one buffer with the frame's header: one write
    // to the socket instead of two corked (a string is encoded, then written beside its header).
    this.#ws.send(
      Buffer.from(
        '{"event":"media","sequenceNumber":"' +
          this.#messageSeq +
          '","media":{"track":"inbound","chunk":"' +
          (seq + 1) +
          '","timestamp":"' +
          seq * 20 +
          '","payload":"' +
          payload +
          '"},"streamSid":"' +
          this.#streamSid +
          '"}',
        'latin1',
      ),
      TEXT,
    );
  }

  /**
   * The caller hangs up, as Twilio reports it: `stop` and a close on the stream, then the
   * number's status callback with `completed` (against the daemon), which ends the call.
   */
  async hangup(): Promise<void> {
    this.#closeStream();
    if (this.#target.kind !== 'daemon') return;
    const hook = signedHangupWebhook(this.#target.publicUrl, this.callSid);
    const response = await fetch(hook.url, hook.init);
    const body = await response.text();
    // The daemon must take the hang-up: a refused status callback would leave the call open.
    if (!response.ok) throw new Error(`status callback answered ${response.status}: ${body.slice(0, 200)}`);
  }

  #closeStream(): void {
    if (this.#ws.readyState === WebSocket.OPEN) {
      this.#ws.send(
        JSON.stringify({
          event: 'stop',
          sequenceNumber: String(++this.#messageSeq),
          stop: { accountSid: ACCOUNT_SID, callSid: this.callSid },
          streamSid: this.#streamSid,
        }),
      );
      this.#ws.close(1000);
    }
  }

  #onMessage(data: Buffer): void {
    const at = payloadAt(data);
    if (at >= 0) this.#ledger.down.seeFrame(data, at, performance.now(), this.#ledger.recording);
  }
}

/**
 * Sends every stream's frames on its own 20 ms grid, the calls' phases spread evenly over the
 * 20 ms (as independent calls would be), never in one burst per tick. `framesPerSlot` > 1 sends
 * that many frames per slot (faster than real time; the stalled-agent case uses it).
 */
export class FrameClock {
  #streams: readonly CarrierStream[] = [];
  #phases: number[] = [];
  #timer: NodeJS.Timeout | undefined;
  #t0 = 0;
  #cursor = 0;
  #cycle = 0;
  #framesPerSlot = 1;
  /** How late each slot was served, ms: the load generator's own health. */
  readonly lateness = new Samples();

  start(streams: readonly CarrierStream[], framesPerSlot = 1): void {
    this.stop();
    this.#streams = streams;
    this.#framesPerSlot = framesPerSlot;
    this.#phases = streams.map((_, i) => (i * 20) / Math.max(1, streams.length));
    this.#t0 = performance.now();
    this.#cursor = 0;
    this.#cycle = 0;
    const tick = (): void => {
      this.#serve(performance.now());
      this.#timer = setTimeout(tick, 1);
    };
    tick();
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #serve(nowMs: number): void {
    const n = this.#streams.length;
    if (n === 0) return;
    for (;;) {
      const due = this.#t0 + this.#cycle * 20 + (this.#phases[this.#cursor] ?? 0);
      if (due > nowMs) return;
      this.lateness.push(nowMs - due);
      const stream = this.#streams[this.#cursor];
      for (let k = 0; k < this.#framesPerSlot; k++) stream?.sendFrame();
      this.#cursor += 1;
      if (this.#cursor === n) {
        this.#cursor = 0;
        this.#cycle += 1;
      }
    }
  }
}
