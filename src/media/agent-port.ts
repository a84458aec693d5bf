import type { AudioFormat } from '../domain/media.js';
import type { Base64Payload } from '../lib/base64-payload.js';

/**
 * What the media bridge needs of the agent side of a call, whatever carries it (a WebSocket, a
 * LiveKit room). The bridge owns this contract; agent transports implement it, so the media layer
 * never imports the agent layer.
 */
export interface AgentMediaPort {
  /** The format of the agent's audio, both ways: encoding and sample rate. */
  readonly format: AudioFormat;
  /** Caller audio, already in {@link format}. Held in order while the agent is not reachable yet. */
  sendAudio(payload: Buffer): void;
  /**
   * Caller audio as the carrier's base64 (text, or a span of its frame: read at once), `bytes`
   * long once decoded, already in {@link format} (optional: a transport whose wire carries base64
   * sends it on untouched).
   */
  sendAudioBase64?(payload: Base64Payload, bytes: number): void;
  /**
   * The straight path of {@link sendAudioBase64}: sends at once if the agent is reachable,
   * nothing of the caller's is held for it, and its socket holds fewer than `underBytes` bytes
   * unsent; false, and nothing sent or held, otherwise (the bridge then queues the audio).
   */
  trySendAudioBase64?(payload: Base64Payload, underBytes: number): boolean;
  sendDtmf(digit: string): void;
  /** Echo of an agent mark whose audio has played (or was discarded). */
  sendMark(name: string): void;
  /**
   * Back-pressure: audio bytes the transport accepted but has not handed to the agent yet. Above
   * the bridge's high-water mark caller audio waits (bounded) in the bridge instead.
   */
  backlogBytes(): number;
  setMediaSink(sink: AgentMediaSink | undefined): void;
}

/** The media bridge's side of an agent transport: what the agent wants played to the caller. */
export interface AgentMediaSink {
  /** Audio in the agent's format, any length. */
  onAgentAudio(payload: Buffer): void;
  /**
   * Audio in the agent's format as the agent's base64 (text, or a span of its frame: read at
   * once), `bytes` long once decoded (optional: a transport decodes for a sink without it).
   */
  onAgentAudioBase64?(payload: Base64Payload, bytes: number): void;
  /** The agent asks to be told when the audio it sent so far has played (a transport may have no marks). */
  onAgentMark(name: string): void;
  /** Barge-in: drop the agent audio not yet played. */
  onAgentClear(): void;
}
