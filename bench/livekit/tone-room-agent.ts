/**
 * The LiveKit bench's agent: a participant on real rtc-node that the test LiveKit server
 * dispatches into each call's room (as LiveKit Agents would be). It hears the daemon's track
 * (the caller's tone) and notes which of its 10 ms frames carry the tone, and it speaks a steady
 * tone of its own, kept up to a second ahead in its source's queue: a busy moment of the load
 * process (this one, with the werift server in it) does not starve its track, so a frame the
 * caller misses is the daemon's or the path's, not the bench's.
 */
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  type RemoteTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';
import { FRAME_SAMPLES, TONE_AMPLITUDE, TONE_HZ, type ToneTally, tallyFrame } from './tone-tally.js';

export interface RoomTarget {
  readonly url: string;
  readonly apiKey: string;
  readonly apiSecret: string;
}

const RATE = 8000;
/** 10 ms of the tone: 400 Hz is 4 periods of it at 8 kHz, so the frame repeats. */
const TONE = Int16Array.from({ length: FRAME_SAMPLES }, (_, i) =>
  Math.round(TONE_AMPLITUDE * 32767 * Math.sin((2 * Math.PI * TONE_HZ * i) / RATE)),
);

export class ToneRoomAgent {
  readonly #room = new Room();
  readonly #source = new AudioSource(RATE, 1, 1000);
  readonly #tally: ToneTally;
  #speaking = true;

  private constructor(tally: ToneTally) {
    this.#tally = tally;
  }

  /** Joins `roomName` as an agent participant, publishes its track and speaks; tallies what it hears. */
  static async join(target: RoomTarget, roomName: string, tally: ToneTally): Promise<ToneRoomAgent> {
    const agent = new ToneRoomAgent(tally);
    const token = new AccessToken(target.apiKey, target.apiSecret, { identity: 'tone-agent', ttl: '10m' });
    token.kind = 'agent';
    token.addGrant({ roomJoin: true, room: roomName, canPublish: true, canSubscribe: true });
    agent.#room.on(RoomEvent.TrackSubscribed, (track) => agent.#listen(track));
    await agent.#room.connect(target.url, await token.toJwt(), { autoSubscribe: true, dynacast: false });
    await agent.#room.localParticipant?.publishTrack(
      LocalAudioTrack.createAudioTrack('agent', agent.#source),
      new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }),
    );
    agent.#speak().catch(() => undefined);
    return agent;
  }

  async leave(): Promise<void> {
    this.#speaking = false;
    await this.#source.close().catch(() => undefined);
    await this.#room.disconnect();
  }

  /** `captureFrame` resolves once the frame is queued: the queue stays about a second ahead. */
  async #speak(): Promise<void> {
    while (this.#speaking) await this.#source.captureFrame(new AudioFrame(TONE, RATE, 1, FRAME_SAMPLES));
  }

  #listen(track: RemoteTrack): void {
    if (track.kind !== TrackKind.KIND_AUDIO) return;
    const stream = new AudioStream(track, { sampleRate: RATE, numChannels: 1, frameSizeMs: 10 });
    const pump = async (): Promise<void> => {
      for await (const frame of stream) tallyFrame(this.#tally, frame.data);
    };
    pump().catch(() => undefined);
  }
}
