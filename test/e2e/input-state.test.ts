import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { plivoNonce, plivoSign } from '../../sim/carriers/plivo/signing.js';
import { eventually, settles } from '../support/eventually.js';
import { useE2e } from './fixture.js';
import { AUTH_TOKEN, type Harness, PLIVO_AUTH_TOKEN, waitForRecord } from './harness.js';
import {
  exotelSigned,
  formSigned,
  type RawAnswer,
  rawRequest,
  redisSnapshot,
  snapshotDiff,
} from './input-support.js';

/**
 * Input that must change nothing, with a private Redis listed key by key before and after:
 * validly signed callbacks for a transfer (or a call) that does not exist write no leg binding
 * and no dedupe key on any carrier; a media token admits one socket, so a replayed `start` cannot
 * take over a live call's stream; Plivo's signed WebSocket upgrade is checked before any frame.
 */

describe('callbacks for a transfer the call does not have change nothing', () => {
  const e2e = useE2e('twilio');

  /** A Twilio-signed form POST. */
  async function signedPost(hh: Harness, pathAndQuery: string, params: Record<string, string>) {
    const url = `${hh.publicUrl}${pathAndQuery}`;
    return rawRequest(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
  }

  it('signed status, dial-action, answer and conference callbacks for an unknown transfer write no binding and no dedupe key', async () => {
    const hh = await e2e.run({ script: [{ say: 200 }, { waitMs: 60_000 }] });
    const call = await e2e.placeCall(hh, {});
    await waitForRecord(hh, call.sid, (r) => r.phase === 'ai');
    await hh.sim.waitFor(() => hh.sim.twilio.streamsOf(call.sid)[0]?.stats.mediaSent);
    await streamSettled(hh, call.sid);
    const before = await redisSnapshot(e2e.redisUrl);
    const account = `AC${'1'.repeat(32)}`;
    const legSid = `CA${'7'.repeat(32)}`;
    const ghost = `CA${'8'.repeat(32)}`;
    for (const callId of [call.sid, ghost]) {
      const ids = `callId=${callId}&transferId=${callId}.t9&legId=${callId}.t9:0`;
      for (const status of ['ringing', 'in-progress', 'busy', 'completed']) {
        const answer = await signedPost(hh, `/twilio/status?${ids}`, {
          CallSid: legSid,
          AccountSid: account,
          CallStatus: status,
        });
        expect(answer.status, status).toBe(200);
      }
      const action = await signedPost(hh, `/twilio/dial-action?${ids}`, {
        CallSid: callId,
        AccountSid: account,
        CallStatus: 'in-progress',
        DialCallStatus: 'no-answer',
        DialCallSid: legSid,
      });
      expect(action.status).toBe(200);
      const answered = await signedPost(hh, `/twilio/voice?${ids}`, {
        CallSid: legSid,
        AccountSid: account,
        From: '+14155550100',
        To: '+14155550111',
        Direction: 'outbound-api',
      });
      expect(answered.status).toBe(200);
      const joined = await signedPost(hh, `/twilio/conference?callId=${callId}&transferId=${callId}.t9`, {
        AccountSid: account,
        ConferenceSid: `CF${'9'.repeat(32)}`,
        FriendlyName: `xfer-${callId}.t9`,
        SequenceNumber: '3',
        StatusCallbackEvent: 'participant-join',
        CallSid: legSid,
        ParticipantLabel: `${callId}.t9:0`,
      });
      expect(joined.status).toBe(200);
    }
    // The call itself unknown: its own status callback writes nothing either.
    const ghostStatus = await signedPost(hh, `/twilio/status?callId=${ghost}`, {
      CallSid: ghost,
      AccountSid: account,
      CallStatus: 'completed',
    });
    expect(ghostStatus.status).toBe(200);
    expect(snapshotDiff(before, await redisSnapshot(e2e.redisUrl))).toEqual([]);
    const record = await hh.app.engine.get(call.sid);
    expect(record?.legCarrierIds).toEqual({});
    expect(record?.phase).toBe('ai');
    call.hangup();
  });
});

describe('plivo and exotel callbacks for a transfer the call does not have change nothing', () => {
  for (const carrier of ['plivo', 'exotel'] as const) {
    const e2e = useE2e(carrier);

    it(`${carrier}: signed leg callbacks for an unknown transfer write nothing`, async () => {
      const hh = await e2e.run({ script: [{ say: 200 }, { waitMs: 60_000 }] });
      const call = await e2e.placeCall(hh, {});
      await waitForRecord(hh, call.sid, (r) => r.phase === 'ai');
      await streamSettled(hh, call.sid);
      const before = await redisSnapshot(e2e.redisUrl);
      const ids = `callId=${call.sid}&transferId=${call.sid}.t9&legId=${call.sid}.t9:0`;
      const legUuid = '2f0b7d3e-1c4a-4b8e-9d6f-0a1b2c3d4e5f';
      const answers =
        carrier === 'plivo'
          ? [
              await plivoPost(hh, `/plivo/status?${ids}`, { CallUUID: legUuid, CallStatus: 'ringing' }),
              await plivoPost(hh, `/plivo/status?${ids}`, { CallUUID: legUuid, CallStatus: 'in-progress' }),
              await plivoPost(hh, `/plivo/status?${ids}`, { CallUUID: legUuid, CallStatus: 'busy' }),
              await plivoPost(hh, `/plivo/dial-action?${ids}`, {
                CallUUID: call.sid,
                DialStatus: 'no-answer',
                DialBLegUUID: legUuid,
              }),
              await plivoPost(
                hh,
                `/plivo/conference?callId=${call.sid}&transferId=${call.sid}.t9&label=${call.sid}.t9:0`,
                {
                  ConferenceAction: 'enter',
                  ConferenceName: `xfer-${call.sid}.t9`,
                  ConferenceUUID: legUuid,
                  CallUUID: legUuid,
                },
              ),
            ]
          : [
              await exotelPost(hh, `/exotel/status?${ids}`, {
                CallSid: 'd'.repeat(32),
                Status: 'ringing',
                EventType: 'ringing',
              }),
              await exotelPost(hh, `/exotel/status?${ids}`, {
                CallSid: 'd'.repeat(32),
                Status: 'in-progress',
                EventType: 'answered',
              }),
              await exotelPost(hh, `/exotel/status?${ids}`, {
                CallSid: 'd'.repeat(32),
                Status: 'busy',
                EventType: 'terminal',
              }),
            ];
      for (const answer of answers) expect(answer.status, answer.text).toBe(200);
      expect(snapshotDiff(before, await redisSnapshot(e2e.redisUrl))).toEqual([]);
      expect((await hh.app.engine.get(call.sid))?.legCarrierIds).toEqual({});
      call.hangup();
    });
  }
});

/**
 * The call's media stream has written all it writes when it starts (its media token spent, then
 * its socket claimed, last): a snapshot taken before that would see those writes as the test's.
 */
async function streamSettled(hh: Harness, callId: string): Promise<void> {
  await eventually(
    () => hh.app.engine.store.sockets.owner(callId),
    `call ${callId}'s media socket to be claimed`,
  );
}

/** A Plivo-signed form POST. */
function plivoPost(hh: Harness, pathAndQuery: string, params: Record<string, string>): Promise<RawAnswer> {
  return formSigned(hh, pathAndQuery, params);
}

/** An Exotel status callback with the secret and the ids' `sig`, as multipart (Exotel's default). */
function exotelPost(hh: Harness, pathAndQuery: string, params: Record<string, string>): Promise<RawAnswer> {
  return exotelSigned(hh, 'POST', pathAndQuery, params, undefined);
}

describe('a media token admits one socket', () => {
  const e2e = useE2e('twilio');

  it("a second socket replaying a live stream's start is refused, and the live stream keeps the agent's audio", async () => {
    const hh = await e2e.run({ script: [{ say: 20_000 }] });
    const call = await e2e.placeCall(hh, {});
    await waitForRecord(hh, call.sid, (r) => r.phase === 'ai');
    const stream = await hh.sim.waitFor(() => hh.sim.twilio.streamsOf(call.sid)[0]);
    await hh.sim.waitFor(() => call.heard.bytes('stream:') >= 1600, 10_000);
    expect(stream.spec.parameters['mediaToken']).toBeDefined();
    const replay = new WebSocket(`${hh.publicUrl.replace('http', 'ws')}/twilio/media`);
    const closed = new Promise<{ code: number; frames: number }>((resolve) => {
      let frames = 0;
      replay.on('message', () => frames++);
      replay.on('close', (code) => resolve({ code, frames }));
    });
    await new Promise<void>((resolve, reject) => {
      replay.once('open', () => resolve());
      replay.once('error', reject);
    });
    replay.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    replay.send(
      JSON.stringify({
        event: 'start',
        sequenceNumber: '1',
        streamSid: `MZ${'4'.repeat(32)}`,
        start: {
          accountSid: `AC${'1'.repeat(32)}`,
          streamSid: `MZ${'4'.repeat(32)}`,
          callSid: call.sid,
          tracks: ['inbound'],
          customParameters: stream.spec.parameters,
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      }),
    );
    // Bounded: a socket that took the call over is never closed by the daemon.
    const refused = await settles(closed, 'the daemon to close the replaying socket', { timeoutMs: 5000 });
    expect(refused.code).toBe(1008);
    expect(refused.frames).toBe(0);
    // The live stream still gets the agent's audio, and is still open.
    const heard = call.heard.bytes('stream:');
    await hh.sim.waitFor(() => call.heard.bytes('stream:') >= heard + 4000, 10_000);
    expect(stream.isEnded).toBe(false);
    call.hangup();
  });
});

describe('plivo signs the audio stream upgrade', () => {
  const e2e = useE2e('plivo');

  /** The HTTP status of a WebSocket upgrade to the daemon's Plivo media path. */
  function upgradeStatus(
    hh: Harness,
    headers: Record<string, string>,
  ): Promise<{ status: number; frames: number }> {
    return new Promise((resolve) => {
      let frames = 0;
      const ws = new WebSocket(`${hh.publicUrl.replace('http', 'ws')}/plivo/media`, { headers });
      ws.on('message', () => frames++);
      ws.on('unexpected-response', (_req, res) => {
        resolve({ status: res.statusCode ?? 0, frames });
        ws.terminate();
      });
      ws.on('open', () => {
        resolve({ status: 101, frames });
        ws.close();
      });
      ws.on('error', () => {});
    });
  }

  it('an unsigned or wrongly signed upgrade is refused with 403 before any frame; a signed one opens', async () => {
    const hh = await e2e.run({ script: [] });
    const url = `${hh.publicUrl}/plivo/media`;
    const nonce = plivoNonce();
    const good = plivoSign(PLIVO_AUTH_TOKEN, 'GET', url, {}, nonce);
    expect(await upgradeStatus(hh, {})).toEqual({ status: 403, frames: 0 });
    expect(
      await upgradeStatus(hh, {
        'x-plivo-signature-v3': plivoSign('another-token', 'GET', url, {}, nonce),
        'x-plivo-signature-v3-nonce': nonce,
      }),
    ).toEqual({ status: 403, frames: 0 });
    expect(
      await upgradeStatus(hh, { 'x-plivo-signature-v3': good, 'x-plivo-signature-v3-nonce': plivoNonce() }),
    ).toEqual({ status: 403, frames: 0 });
    expect(
      await upgradeStatus(hh, {
        'x-plivo-signature-v3': plivoSign(PLIVO_AUTH_TOKEN, 'GET', `${url}x`, {}, nonce),
        'x-plivo-signature-v3-nonce': nonce,
      }),
    ).toEqual({ status: 403, frames: 0 });
    expect(
      (await upgradeStatus(hh, { 'x-plivo-signature-v3': good, 'x-plivo-signature-v3-nonce': nonce })).status,
    ).toBe(101);
  });

  it("a Plivo call's stream, signed by the simulator as Plivo signs it, reaches the agent", async () => {
    const hh = await e2e.run({ script: [{ say: 400 }, { waitMs: 60_000 }] });
    const call = await e2e.placeCall(hh, {});
    await waitForRecord(hh, call.sid, (r) => r.phase === 'ai');
    await hh.sim.waitFor(() => call.heard.bytes('stream:') >= 1600, 10_000);
    call.hangup();
  });
});
