/**
 * The real {@link LivekitPort}: `livekit-server-sdk` for the server API and tokens,
 * `@livekit/rtc-node` (a ~25 MB native library) for the room. This module is imported only when a
 * LiveKit agent's call opens its link (index.ts), so a WebSocket-only daemon never loads either.
 */
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  DisconnectReason,
  LocalAudioTrack,
  ParticipantKind,
  type RemoteParticipant,
  type RemoteTrack,
  Room,
  RoomEvent,
  RpcError,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import { AccessToken, TrackSource as GrantSource, RoomServiceClient } from 'livekit-server-sdk';
import type { LivekitCredentials } from '../../config/env.js';
import {
  type LivekitJoin,
  type LivekitLeave,
  type LivekitParticipant,
  type LivekitPort,
  type LivekitRoom,
  type LivekitRoomEvents,
  type LivekitRoomSpec,
  LivekitRpcFailure,
} from './port.js';

/** Lifetime of the daemon's join token: enough to join; LiveKit refreshes it for the session. */
const TOKEN_TTL = '10m';
/** Caller audio LiveKit may queue ahead of real time, in ms (held audio after a slow join fits). */
const CALLER_QUEUE_MS = 1000;
/** LiveKit's 10 ms frames for the agent's audio. */
const AGENT_FRAME_MS = 10;

export interface RtcLivekitPortOptions extends LivekitCredentials {
  /** The LiveKit server (`wss://…`). */
  readonly url: string;
}

export class RtcLivekitPort implements LivekitPort {
  readonly #o: RtcLivekitPortOptions;
  readonly #rooms: RoomServiceClient;

  constructor(options: RtcLivekitPortOptions) {
    this.#o = options;
    this.#rooms = new RoomServiceClient(httpUrl(options.url), options.apiKey, options.apiSecret);
  }

  async createRoom(spec: LivekitRoomSpec): Promise<void> {
    await this.#rooms.createRoom({
      name: spec.name,
      metadata: spec.metadata,
      emptyTimeout: spec.emptyTimeoutSec,
      ...(spec.dispatch === undefined
        ? {}
        : { agents: [{ agentName: spec.dispatch.agentName, metadata: spec.dispatch.metadata }] }),
    } as Parameters<RoomServiceClient['createRoom']>[0]);
  }

  async deleteRoom(name: string): Promise<void> {
    await this.#rooms.deleteRoom(name);
  }

  async connect(join: LivekitJoin, events: LivekitRoomEvents): Promise<LivekitRoom> {
    const token = new AccessToken(this.#o.apiKey, this.#o.apiSecret, {
      identity: join.identity,
      name: join.name,
      ttl: TOKEN_TTL,
      attributes: { ...join.attributes },
    });
    token.addGrant({
      roomJoin: true,
      room: join.roomName,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
      canUpdateOwnMetadata: true,
      canPublishSources: [GrantSource.MICROPHONE],
    });
    const room = new Room();
    const joined = new RtcRoom(room, join, events);
    try {
      await room.connect(wsUrl(this.#o.url), await token.toJwt(), { autoSubscribe: true, dynacast: false });
      await joined.publish();
    } catch (err) {
      await joined.disconnect().catch(() => undefined);
      throw err;
    }
    return joined;
  }
}

class RtcRoom implements LivekitRoom {
  readonly identity: string;
  readonly #room: Room;
  readonly #source: AudioSource;
  readonly #sampleRate: number;
  readonly #events: LivekitRoomEvents;
  #leaving = false;

  constructor(room: Room, join: LivekitJoin, events: LivekitRoomEvents) {
    this.identity = join.identity;
    this.#room = room;
    this.#events = events;
    this.#sampleRate = join.sampleRate;
    this.#source = new AudioSource(join.sampleRate, 1, CALLER_QUEUE_MS);
    room
      .on(RoomEvent.ParticipantConnected, (p) => events.participantJoined(describe(p)))
      .on(RoomEvent.ParticipantDisconnected, (p) =>
        events.participantLeft(p.identity, leaveOf(p.disconnectReason)),
      )
      .on(RoomEvent.ParticipantAttributesChanged, (_changed, p) => {
        if (p.identity !== this.identity) events.attributesChanged(p.identity, { ...p.attributes });
      })
      .on(RoomEvent.LocalTrackSubscribed, () => events.callerTrackSubscribed())
      .on(RoomEvent.TrackSubscribed, (track, _publication, p) => this.#listen(track, p))
      .on(RoomEvent.DataReceived, (payload, p, _kind, topic) => {
        if (p !== undefined) events.data(p.identity, topic ?? '', payload);
      })
      .on(RoomEvent.Reconnecting, () => events.reconnecting())
      .on(RoomEvent.Reconnected, () => events.reconnected())
      .on(RoomEvent.Disconnected, (reason) => {
        if (!this.#leaving) events.disconnected(ownLeaveOf(reason));
      });
  }

  /** Publishes the caller's track and starts reading transcriptions (once connected). */
  async publish(): Promise<void> {
    const track = LocalAudioTrack.createAudioTrack('caller', this.#source);
    const local = this.#room.localParticipant;
    if (local === undefined) throw new Error('connected without a local participant');
    await local.publishTrack(track, new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }));
    for (const topic of ['lk.transcription']) {
      this.#room.registerTextStreamHandler(topic, (reader, from) => {
        this.#events.textStream(from.identity, topic, reader);
      });
    }
  }

  participants(): readonly LivekitParticipant[] {
    return [...this.#room.remoteParticipants.values()].map(describe);
  }

  async captureAudio(samples: Int16Array): Promise<void> {
    if (samples.length === 0) return;
    await this.#source.captureFrame(new AudioFrame(samples, this.#sampleRate, 1, samples.length));
  }

  clearAudio(): void {
    this.#source.clearQueue();
  }

  async publishData(payload: Uint8Array, topic: string): Promise<void> {
    await this.#local().publishData(payload, { reliable: true, topic });
  }

  async setAttributes(attributes: Readonly<Record<string, string>>): Promise<void> {
    await this.#local().setAttributes({ ...attributes });
  }

  async publishDtmf(code: number, digit: string): Promise<void> {
    await this.#local().publishDtmf(code, digit);
  }

  registerRpc(
    method: string,
    handler: (call: {
      callerIdentity: string;
      payload: string;
      responseTimeoutMs: number;
    }) => Promise<string>,
  ): void {
    this.#local().registerRpcMethod(method, async (data) => {
      try {
        return await handler({
          callerIdentity: data.callerIdentity,
          payload: data.payload,
          responseTimeoutMs: data.responseTimeout,
        });
      } catch (err) {
        if (err instanceof LivekitRpcFailure) throw new RpcError(err.code, err.message, err.data);
        throw err;
      }
    });
  }

  async performRpc(identity: string, method: string, payload: string, timeoutMs: number): Promise<string> {
    try {
      return await this.#local().performRpc({
        destinationIdentity: identity,
        method,
        payload,
        responseTimeout: timeoutMs,
      });
    } catch (err) {
      if (err instanceof RpcError) {
        throw new LivekitRpcFailure(typeof err.code === 'number' ? err.code : 1500, err.message, err.data);
      }
      throw err;
    }
  }

  async disconnect(): Promise<void> {
    this.#leaving = true;
    await this.#source.close().catch(() => undefined);
    await this.#room.disconnect();
  }

  #listen(track: RemoteTrack, participant: RemoteParticipant): void {
    if (track.kind !== TrackKind.KIND_AUDIO) return;
    const stream = new AudioStream(track, {
      sampleRate: this.#sampleRate,
      numChannels: 1,
      frameSizeMs: AGENT_FRAME_MS,
    });
    const identity = participant.identity;
    const pump = async (): Promise<void> => {
      for await (const frame of stream) this.#events.audio(identity, frame.data);
    };
    // The stream ends when the track goes; an error there ends only this track's audio.
    pump().catch(() => undefined);
  }

  #local() {
    const local = this.#room.localParticipant;
    if (local === undefined) throw new Error('not connected');
    return local;
  }
}

function describe(p: RemoteParticipant): LivekitParticipant {
  return { identity: p.identity, isAgent: p.kind === ParticipantKind.AGENT, attributes: { ...p.attributes } };
}

/** A participant that said goodbye (`CLIENT_INITIATED`) left normally; anything else did not. */
function leaveOf(reason: DisconnectReason | undefined): LivekitLeave {
  return reason === DisconnectReason.CLIENT_INITIATED ? 'normal' : 'abnormal';
}

/**
 * The daemon itself was removed on purpose: its room deleted (LiveKit Agents' hang-up) or it was
 * removed; or replaced by another worker joining as it (a handed-over call).
 */
function ownLeaveOf(reason: DisconnectReason): LivekitLeave {
  if (reason === DisconnectReason.DUPLICATE_IDENTITY) return 'replaced';
  return reason === DisconnectReason.ROOM_DELETED || reason === DisconnectReason.PARTICIPANT_REMOVED
    ? 'normal'
    : 'abnormal';
}

/** The server API speaks HTTP(S) at the same host as the WebSocket URL. */
function httpUrl(url: string): string {
  return url.replace(/^ws(s?):/, 'http$1:');
}

function wsUrl(url: string): string {
  return url.replace(/^http(s?):/, 'ws$1:');
}
