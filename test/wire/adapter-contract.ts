import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adapterFactoryFor, CARRIER_ADAPTERS } from '../../providers/index.js';
import {
  type CarrierAdapter,
  type CarrierAdapterFactory,
  type CarrierCredentialSet,
  type CarrierEvent,
  type CarrierSettings,
  CodecError,
  type Markup,
  WebhookError,
  type WebhookKind,
  type WebhookParams,
  type WebhookRequest,
} from '../../providers/types.js';
import { DaemonError } from '../../src/domain/errors.js';

/**
 * What every carrier adapter must satisfy, whatever the carrier (STYLE.md 12). A carrier's
 * contract test supplies the carrier-specific parts — how the carrier signs, what its payloads
 * and frames look like — and this suite checks the neutral promises the daemon relies on.
 */
export interface AdapterHarness<C extends CarrierCredentialSet = CarrierCredentialSet> {
  readonly factory: CarrierAdapterFactory<C>;
  /** Settings the factory accepts. */
  readonly settings: CarrierSettings<C>;
  /** Settings with missing credentials and a bad public URL. */
  readonly invalidSettings: CarrierSettings;
  /** Adds the carrier's signature headers, computed as the carrier would with `settings`. */
  sign(req: Omit<WebhookRequest, 'headers'>): WebhookRequest;
  /** Webhook bodies as the carrier sends them. */
  readonly payloads: {
    /** `voice`: a new inbound call. */
    incoming(): WebhookParams;
    /** `voice`: the caller's call asking what next. */
    continuation(): WebhookParams;
    /** `status`: a dialed leg is busy. */
    legBusy(): WebhookParams;
    /** `dial-action`: the dial ended with no answer. */
    dialNoAnswer(): WebhookParams;
    /** `conference`: a participant joined. */
    participantJoined(): WebhookParams;
  };
  /**
   * Whether the carrier's signature covers the webhook's parameters (default true). Exotel signs
   * nothing: the secret in the URL authenticates the sender, not what it sends.
   */
  readonly signsParameters?: boolean;
  /** Does this document end by handing the call back to `continuationUrl` (invariant 1)? */
  endsWithContinuation(doc: Markup, continuationUrl: string): boolean;
  readonly frames: {
    /** Frames before `start` that carry nothing (may be empty). */
    readonly preamble: readonly string[];
    start(customParameters: Readonly<Record<string, string>>): string;
    audio(payload: Buffer): string;
    stop(): string;
  };
}

const WEBHOOK_KINDS: readonly WebhookKind[] = ['voice', 'status', 'dial-action', 'conference'];
const IDS = { callId: 'call-1', transferId: 'xfer-1', legId: 'xfer-1:0' } as const;

function queryOf(url: string): WebhookParams {
  return Object.fromEntries(new URL(url).searchParams);
}

function event(result: CarrierEvent | WebhookError): CarrierEvent {
  if (result instanceof WebhookError) throw new Error(`unexpected webhook error on ${result.field}`);
  return result;
}

export function runAdapterContract<C extends CarrierCredentialSet>(
  name: string,
  harness: AdapterHarness<C>,
): void {
  const adapter: CarrierAdapter = harness.factory.create(harness.settings);

  describe(`${name}: registry and settings`, () => {
    it('is listed once in the registry under its carrier', () => {
      expect(CARRIER_ADAPTERS.filter((f) => f.carrier === adapter.carrier)).toHaveLength(1);
      expect(adapterFactoryFor(adapter.carrier)).toBe(harness.factory);
      expect(harness.factory.carrier).toBe(adapter.carrier);
    });

    it('refuses bad settings with config_invalid, listing every problem', () => {
      let thrown: unknown;
      try {
        harness.factory.create(harness.invalidSettings as CarrierSettings<C>);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(DaemonError);
      expect((thrown as DaemonError).code).toBe('config_invalid');
      expect((thrown as DaemonError).message.split(';').length).toBeGreaterThan(1);
    });

    it('declares its capabilities', () => {
      for (const key of ['conference', 'whisper', 'holdAudio', 'sipDestinations'] as const) {
        expect(typeof adapter.capabilities[key]).toBe('boolean');
      }
    });
  });

  describe(`${name}: routes and callback URLs`, () => {
    it('mounts every webhook kind it uses (conference only with conferences), under its own prefix', () => {
      const kinds = new Set(adapter.routes.webhooks.map((r) => r.kind));
      const needed = WEBHOOK_KINDS.filter((k) => k !== 'conference' || adapter.capabilities.conference);
      for (const kind of needed) expect(kinds).toContain(kind);
      const paths = adapter.routes.webhooks.map((r) => `${r.method} ${r.path}`);
      expect(new Set(paths).size).toBe(paths.length);
      for (const route of adapter.routes.webhooks)
        expect(route.path.startsWith(`/${adapter.carrier}/`)).toBe(true);
      expect(adapter.routes.mediaPath.startsWith(`/${adapter.carrier}/`)).toBe(true);
      const markupRoutes = adapter.routes.webhooks.filter((r) => r.answersWithMarkup).map((r) => r.kind);
      expect(markupRoutes).toContain('voice');
    });

    it('builds callback URLs on the public URL, at the mounted path', () => {
      for (const route of adapter.routes.webhooks) {
        const url = new URL(adapter.callbackUrl(route.kind, IDS));
        expect(url.origin).toBe(new URL(harness.settings.publicUrl).origin);
        // A carrier may mount several routes of one kind (Exotel: one per applet).
        const mounted = adapter.routes.webhooks.filter((r) => r.kind === route.kind).map((r) => r.path);
        expect(mounted).toContain(url.pathname);
      }
      const media = new URL(adapter.mediaUrl());
      expect(['wss:', 'ws:']).toContain(media.protocol);
      expect(media.pathname).toBe(adapter.routes.mediaPath);
      expect(media.search).toBe('');
    });

    it('ids in a leg callback URL come back in the parsed event', () => {
      const url = adapter.callbackUrl('status', IDS);
      expect(event(adapter.parseWebhook('status', harness.payloads.legBusy(), queryOf(url)))).toMatchObject({
        type: 'leg.ended',
        status: 'busy',
        ...IDS,
      });
      const action = adapter.callbackUrl('dial-action', IDS);
      expect(
        event(adapter.parseWebhook('dial-action', harness.payloads.dialNoAnswer(), queryOf(action))),
      ).toMatchObject({
        type: 'leg.ended',
        status: 'no_answer',
        ...IDS,
      });
    });

    it('a continuation URL yields stream.continuation for the call; distinct seqs, distinct keys', () => {
      const first = adapter.callbackUrl('voice', { callId: IDS.callId, seq: 1 });
      const second = adapter.callbackUrl('voice', { callId: IDS.callId, seq: 2 });
      const a = event(adapter.parseWebhook('voice', harness.payloads.continuation(), queryOf(first)));
      const b = event(adapter.parseWebhook('voice', harness.payloads.continuation(), queryOf(second)));
      expect(a).toMatchObject({ type: 'stream.continuation', callId: IDS.callId });
      expect(b.dedupeKey).not.toBe(a.dedupeKey);
    });

    it('the bare voice URL is a new call', () => {
      expect(event(adapter.parseWebhook('voice', harness.payloads.incoming(), {}))).toMatchObject({
        type: 'call.incoming',
      });
    });

    it.skipIf(!adapter.capabilities.conference)('conference events carry the transfer', () => {
      const url = adapter.callbackUrl('conference', { callId: IDS.callId, transferId: IDS.transferId });
      expect(
        event(adapter.parseWebhook('conference', harness.payloads.participantJoined(), queryOf(url))),
      ).toMatchObject({
        type: 'conference.joined',
        callId: IDS.callId,
        transferId: IDS.transferId,
      });
    });
  });

  describe(`${name}: webhooks are verified and deduplicated`, () => {
    const url = adapter.callbackUrl('status', IDS);
    const params = harness.payloads.legBusy();
    const signed = harness.sign({
      method: 'POST',
      url,
      rawBody: new URLSearchParams(params as Record<string, string>).toString(),
      params,
    });

    it('accepts what the carrier signed', () => {
      expect(adapter.verifyWebhook(signed)).toBe(true);
    });

    it('refuses a missing signature and a changed id in the URL', () => {
      expect(adapter.verifyWebhook({ ...signed, headers: {} })).toBe(false);
      expect(adapter.verifyWebhook({ ...signed, url: url.replace('xfer-1', 'xfer-2') })).toBe(false);
    });

    it.skipIf(harness.signsParameters === false)('refuses a changed parameter', () => {
      const [first] = Object.keys(params);
      expect(adapter.verifyWebhook({ ...signed, params: { ...params, [first ?? 'x']: 'forged' } })).toBe(
        false,
      );
    });

    it('the same webhook twice has the same dedupe key', () => {
      const once = event(adapter.parseWebhook('status', params, queryOf(url)));
      const twice = event(adapter.parseWebhook('status', { ...params }, queryOf(url)));
      expect(once.dedupeKey).not.toBe('');
      expect(twice.dedupeKey).toBe(once.dedupeKey);
    });

    it('never throws on junk: an event or a WebhookError naming a field', () => {
      const junk = fc.dictionary(
        fc.string({ maxLength: 20 }),
        fc.oneof(fc.string({ maxLength: 40 }), fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 })),
      );
      fc.assert(
        fc.property(fc.constantFrom(...WEBHOOK_KINDS), junk, junk, (kind, body, query) => {
          const result = adapter.parseWebhook(kind, body, query);
          if (result instanceof WebhookError) expect(result.field).not.toBe('');
          else expect(result.dedupeKey).not.toBe('');
        }),
        { numRuns: 300 },
      );
    });
  });

  describe(`${name}: markup keeps the caller on the line (invariant 1)`, () => {
    it('a stream document ends with its continuation', () => {
      const continuationUrl = adapter.callbackUrl('voice', { callId: IDS.callId, seq: 3 });
      const doc = adapter.markup.answerWithStream({
        streamUrl: adapter.mediaUrl(),
        parameters: { callId: IDS.callId, mediaToken: 'token' },
        continuationUrl,
      });
      expect(doc.contentType).not.toBe('');
      expect(harness.endsWithContinuation(doc, continuationUrl)).toBe(true);
    });

    it('cold dial and conference hold end with their continuation too', () => {
      const continuationUrl = adapter.callbackUrl('voice', { callId: IDS.callId, seq: 4 });
      const dial = adapter.markup.dialCold({
        to: '+15550003333',
        callerId: '+15550002222',
        timeoutSec: 10,
        actionUrl: adapter.callbackUrl('dial-action', IDS),
        statusCallbackUrl: adapter.callbackUrl('status', IDS),
        continuationUrl,
      });
      expect(harness.endsWithContinuation(dial, continuationUrl)).toBe(true);
      if (adapter.capabilities.conference) {
        const hold = adapter.markup.conferenceHold({
          room: 'xfer-1',
          statusCallbackUrl: adapter.callbackUrl('conference', IDS),
          continuationUrl,
        });
        expect(harness.endsWithContinuation(hold, continuationUrl)).toBe(true);
      }
    });

    it('hangup is a document', () => {
      expect(adapter.markup.hangup().body).not.toBe('');
    });
  });

  describe(`${name}: media codec`, () => {
    it('start carries the custom parameters (where the media token travels)', () => {
      const codec = adapter.createCodec();
      for (const frame of harness.frames.preamble) expect(codec.decode(frame)).toBeNull();
      const start = codec.decode(harness.frames.start({ callId: IDS.callId, mediaToken: 'token' }));
      expect(start).toMatchObject({
        type: 'start',
        customParameters: { callId: IDS.callId, mediaToken: 'token' },
      });
      expect(codec.streamId).toBeDefined();
    });

    it('audio in is the bytes the carrier sent; stop ends', () => {
      const codec = adapter.createCodec();
      codec.decode(harness.frames.start({}));
      const payload = Buffer.from(Array.from({ length: 160 }, (_, i) => i));
      expect(codec.decode(harness.frames.audio(payload))).toMatchObject({ type: 'audio', payload });
      expect(codec.decode(harness.frames.stop())).toMatchObject({ type: 'stop' });
    });

    it('will not speak before start, and encodes every outbound event after it', () => {
      const codec = adapter.createCodec();
      expect(() => codec.encode({ type: 'clear' })).toThrow(
        expect.objectContaining({ code: 'codec_not_started' }),
      );
      codec.decode(harness.frames.start({}));
      for (const out of [
        { type: 'audio', payload: Buffer.alloc(320, 0xff) },
        { type: 'mark', name: 'm1' },
        { type: 'clear' },
      ] as const) {
        expect(typeof codec.encode(out)).toBe('string');
      }
    });

    it('a base64 audio encoder (if any) writes what encode writes, after exactly the room asked for', () => {
      const codec = adapter.createCodec();
      if (codec.encodeAudioBase64 === undefined) return;
      codec.decode(harness.frames.start({}));
      const payload = Buffer.from(Array.from({ length: 160 }, (_, i) => (i * 37) & 0xff));
      const encoded = codec.encode({ type: 'audio', payload });
      const expected = typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : encoded;
      for (const room of [0, 2, 8, 14]) {
        const asked: number[] = [];
        const frame = codec.encodeAudioBase64(payload.toString('base64'), (length) => {
          asked.push(length);
          return room;
        });
        // sendTextFrame (src/lib/ws-text-frame.ts) writes the header into the room: a codec that
        // left none would have its frame's first bytes overwritten.
        expect(asked).toEqual([expected.length]);
        expect(frame.length).toBe(room + expected.length);
        expect(frame.subarray(room).equals(expected)).toBe(true);
      }
    });

    it('never throws on junk frames', () => {
      fc.assert(
        fc.property(fc.oneof(fc.string(), fc.json()), (frame) => {
          const codec = adapter.createCodec();
          const result = codec.decode(frame);
          if (result instanceof CodecError) expect(result.field).not.toBe('');
        }),
        { numRuns: 300 },
      );
    });
  });
}
