import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  type RemoteTrack,
  Room,
  RoomEvent,
  RpcError,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';
import { AgentLink } from '../../../src/agent/agent-link.js';
import type { AgentEvent } from '../../../src/agent/events.js';
import { livekitTransport } from '../../../src/agent/livekit/index.js';
import type { LivekitCredentials } from '../../../src/config/env.js';
import { MULAW_8K } from '../../../src/domain/media.js';
import { silentLogger } from '../../../src/log.js';
import { decodeMulaw } from '../../../src/media/mulaw.js';
import { tone } from '../../../src/media/tone.js';
import { toSamples } from '../../../src/media/transcode.js';
import { eventually } from '../eventually.js';
import { dominates } from './tone.js';

/** A LiveKit server to run against: a real one (live test) or the test server. */
export interface LivekitTarget extends LivekitCredentials {
  readonly url: string;
}

/** What the tone agent answers `patchthrough.summarize` with. */
export const SUMMARY = 'The caller asks about a double charge on invoice 1234.';

/**
 * A LiveKit agent of the test's own, on real rtc-node: joins as an agent participant, hears the
 * daemon's track, speaks a tone, records the daemon's data packets, and calls its RPC methods.
 */
export class ToneAgent {
  readonly room = new Room();
  readonly heard: number[] = [];
  readonly packets: unknown[] = [];
  /** The payloads of `patchthrough.summarize` calls it answered (with {@link SUMMARY}). */
  readonly summarized: string[] = [];
  readonly #source = new AudioSource(8000, 1, 1000);
  #speaking = false;
  /** Audio tracks it subscribed to and read (`TrackSubscribed`), and frames read from them. */
  #listening = 0;
  #frames = 0;

  static async join(target: LivekitTarget, roomName: string, identity = 'agent-bot'): Promise<ToneAgent> {
    const agent = new ToneAgent();
    const token = new AccessToken(target.apiKey, target.apiSecret, { identity, name: 'agent', ttl: '5m' });
    token.kind = 'agent';
    token.addGrant({
      roomJoin: true,
      room: roomName,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
    });
    agent.room
      .on(RoomEvent.TrackSubscribed, (track) => agent.#listen(track))
      .on(RoomEvent.DataReceived, (payload, _p, _kind, topic) => {
        if (topic === 'patchthrough.events')
          agent.packets.push(JSON.parse(Buffer.from(payload).toString('utf8')));
      });
    await agent.room.connect(target.url, await token.toJwt(), { autoSubscribe: true, dynacast: false });
    agent.room.localParticipant?.registerRpcMethod('patchthrough.summarize', async (data) => {
      agent.summarized.push(data.payload);
      return JSON.stringify({ text: SUMMARY });
    });
    const track = LocalAudioTrack.createAudioTrack('agent', agent.#source);
    await agent.room.localParticipant?.publishTrack(
      track,
      new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }),
    );
    return agent;
  }

  /** Speaks a tone of `hz` for `ms`, in 20 ms frames at real time. */
  async speak(hz: number, ms: number): Promise<void> {
    this.#speaking = true;
    const w = (2 * Math.PI * hz) / 8000;
    for (let n = 0; n < ms / 20 && this.#speaking; n++) {
      const samples = new Int16Array(160);
      for (let i = 0; i < 160; i++) samples[i] = Math.round(8000 * Math.sin(w * (n * 160 + i)));
      await this.#source.captureFrame(new AudioFrame(samples, 8000, 1, 160));
    }
  }

  async call(identity: string, method: string, payload: unknown): Promise<unknown> {
    const local = this.room.localParticipant;
    if (local === undefined) throw new Error('not connected');
    try {
      return JSON.parse(
        await local.performRpc({ destinationIdentity: identity, method, payload: JSON.stringify(payload) }),
      );
    } catch (err) {
      if (err instanceof RpcError) return { rpcError: err.message, code: err.code };
      throw err;
    }
  }

  /** Says `deltas` as LiveKit Agents publishes what an agent says: one transcription text stream. */
  async say(deltas: readonly string[]): Promise<void> {
    const local = this.room.localParticipant;
    if (local === undefined) throw new Error('not connected');
    const writer = await local.streamText({ topic: 'lk.transcription' });
    for (const delta of deltas) await writer.write(delta);
    await writer.close();
  }

  /** The daemon's participant (its attributes carry the call id). */
  daemonIdentity(): string | undefined {
    return [...this.room.remoteParticipants.values()].find(
      (p) => p.attributes['patchthrough.call_id'] !== undefined,
    )?.identity;
  }

  events(name: string): Record<string, unknown>[] {
    return this.packets.filter((p): p is Record<string, unknown> => (p as { event?: string }).event === name);
  }

  async leave(): Promise<void> {
    this.#speaking = false;
    await this.room.disconnect();
  }

  /** What it sees of the room, for a failure's message: who, which tracks, subscribed, heard. */
  state(): string {
    const others = [...this.room.remoteParticipants.values()].map((p) => {
      const tracks = [...p.trackPublications.values()].map(
        (t) =>
          `${t.sid ?? '?'} kind ${t.kind ?? '?'} ${t.subscribed ? 'subscribed' : 'not subscribed'}${t.track === undefined ? ', no track' : ''}`,
      );
      return `${p.identity} [${tracks.join('; ') || 'no tracks'}]`;
    });
    return `participants: ${others.join(', ') || 'none'}; audio tracks read: ${this.#listening}, frames ${this.#frames}, samples ${this.heard.length}`;
  }

  #listen(track: RemoteTrack): void {
    if (track.kind !== TrackKind.KIND_AUDIO) return;
    this.#listening += 1;
    const stream = new AudioStream(track, { sampleRate: 8000, numChannels: 1 });
    const pump = async (): Promise<void> => {
      for await (const frame of stream) {
        this.#frames += 1;
        this.heard.push(...frame.data);
      }
    };
    pump().catch(() => undefined);
  }
}

/**
 * One call's LiveKit link (the real transport and port) and a tone agent in its room: audio both
 * ways keeps its frequency, an RPC transfer is answered by the runtime's result, progress arrives
 * as data packets, and the agent leaving ends the call as a hang-up. Throws on the first failure.
 */
export async function runRoomScenario(target: LivekitTarget): Promise<void> {
  const callId = `CA${Date.now().toString(16)}`;
  const events: AgentEvent[] = [];
  const heardByCaller: Buffer[] = [];
  let link: AgentLink | undefined;
  const wire = livekitTransport.createWire({
    endpoint: {
      transport: 'livekit',
      url: target.url,
      livekit: { url: target.url, roomPrefix: 'patchthrough-test-', metadata: {} },
      audio: { encoding: 'mulaw', sampleRate: 8000 },
      headers: {},
      connectTimeoutMs: 15_000,
      waitAudio: { sound: 'comfort_noise', afterMs: 1000 },
      speaksMessages: false,
    },
    callId,
    agentId: 'live',
    carrier: 'twilio',
    direction: 'inbound',
    format: MULAW_8K,
    clock: { nowMs: () => performance.now() },
    log: silentLogger(),
    secrets: { livekit: { apiKey: target.apiKey, apiSecret: target.apiSecret } },
  });
  link = new AgentLink(wire, {
    listener: {
      onAgentEvent: (event) => {
        events.push(event);
        if (event.type === 'agent.transfer' && event.requestId !== undefined) {
          link?.sendTransferStatus({ transferId: 'T1', status: 'started' });
          link?.sendToolResult(event.requestId, { ok: true, result: { transferId: 'T1' } });
        }
      },
    },
  });
  link.setMediaSink({
    onAgentAudio: (p) => heardByCaller.push(p),
    onAgentMark: () => {},
    onAgentClear: () => {},
  });
  const connected = link.connect();
  // The caller speaks 440 Hz from the start (held until the agent is there).
  let speaking = true;
  const caller = (async () => {
    for (let n = 0; speaking; n++) {
      link?.sendAudio(
        tone(MULAW_8K, { frequencyHz: 440, durationMs: 20, startSample: n * 160, amplitude: 0.3 }),
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const roomName = `patchthrough-test-${callId}`;
  const agent = await ToneAgent.join(target, roomName);
  try {
    if (!(await connected)) throw new Error(`the link did not open: ${JSON.stringify(events)}`);
    await eventually(() => agent.heard.length >= 8000, 'the agent hears a second of the caller', {
      timeoutMs: 10_000,
    });
    if (!dominates(agent.heard.slice(-4000), 8000, 440, [330, 660, 880]))
      throw new Error('the caller’s 440 Hz tone did not reach the agent as 440 Hz');
    const speaking660 = agent.speak(660, 1500);
    // Checked while the tone plays out, not when the agent has captured its last frame: the
    // room's and the bridge's latency can put the caller's last half second before the tone.
    await eventually(
      () =>
        dominates(
          toSamples(decodeMulaw(Buffer.concat(heardByCaller.slice(-50)))),
          8000,
          660,
          [440, 550, 880],
        ),
      'the agent’s 660 Hz tone reaching the caller as 660 Hz',
      { timeoutMs: 10_000, everyMs: 20 },
    );
    await speaking660;
    const answer = await agent.call(`patchthrough-${callId}`, 'patchthrough.transfer', { rule: 'Billing' });
    if (JSON.stringify(answer) !== JSON.stringify({ transferId: 'T1', status: 'started' })) {
      throw new Error(`unexpected RPC answer ${JSON.stringify(answer)}`);
    }
    await eventually(
      () => agent.packets.some((p) => (p as { event?: string }).event === 'transfer_status'),
      'transfer_status reaches the agent as a data packet',
      { timeoutMs: 5000 },
    );
    await agent.leave();
    await eventually(
      () => events.some((e) => e.type === 'agent.hangup'),
      'the agent leaving normally is a hang-up',
      { timeoutMs: 10_000 },
    );
  } finally {
    speaking = false;
    await caller;
    await agent.leave().catch(() => undefined);
    await link.close('call ended');
  }
}
