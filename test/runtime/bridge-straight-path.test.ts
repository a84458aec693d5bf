import { describe, expect, it } from 'vitest';
import { MULAW_8K, type OutboundMediaEvent } from '../../src/domain/media.js';
import { type Base64Payload, base64Text } from '../../src/lib/base64-payload.js';
import type { AgentMediaPort, AgentMediaSink } from '../../src/media/agent-port.js';
import { MediaBridge } from '../../src/media/bridge.js';

/**
 * The straight path of base64 audio (`trySendAudioBase64` on both ports): a frame goes to the
 * socket at once while nothing waits in the bridge and the socket's own buffer is below the
 * high-water mark, read where the frame is written; otherwise it takes the queue as before, and
 * nothing overtakes what waits there.
 */
const HIGH_WATER = 1000;

/** A socket as the bridge sees it: `buffered` bytes unsent; every send recorded in order. */
class Socket {
  buffered = 0;
  readonly sent: string[] = [];
  /** How each audio frame went: `try` (straight) or `send` (by the queue, or the old path). */
  readonly how: ('try' | 'send')[] = [];
  trySend(payload: Base64Payload, underBytes: number): boolean {
    if (this.buffered >= underBytes) return false;
    this.sent.push(base64Text(payload));
    this.how.push('try');
    return true;
  }
  send(payload: Base64Payload): void {
    this.sent.push(base64Text(payload));
    this.how.push('send');
  }
}

function setup() {
  const agentSocket = new Socket();
  const carrierSocket = new Socket();
  const marks: string[] = [];
  let sink: AgentMediaSink | undefined;
  const agent: AgentMediaPort = {
    format: MULAW_8K,
    sendAudio: () => undefined,
    sendAudioBase64: (payload) => agentSocket.send(payload),
    trySendAudioBase64: (payload, underBytes) => agentSocket.trySend(payload, underBytes),
    sendDtmf: () => undefined,
    sendMark: (name) => marks.push(name),
    backlogBytes: () => agentSocket.buffered,
    setMediaSink: (s) => {
      sink = s;
    },
  };
  const bridge = new MediaBridge({ agent, highWaterBytes: HIGH_WATER });
  const carrierEvents: OutboundMediaEvent[] = [];
  bridge.attachCarrier({
    port: {
      send: (event) => {
        carrierEvents.push(event);
        carrierSocket.sent.push(event.type);
      },
      sendAudioBase64: (payload) => carrierSocket.send(payload),
      trySendAudioBase64: (payload, underBytes) => carrierSocket.trySend(payload, underBytes),
      bufferedBytes: () => carrierSocket.buffered,
    },
  });
  bridge.resumeAgentAudio();
  const fromAgent = (text: string): void => sink?.onAgentAudioBase64?.(text, 3);
  return { bridge, agentSocket, carrierSocket, carrierEvents, fromAgent };
}

describe('the straight path of base64 audio', () => {
  it('caller audio goes straight to the agent socket while it keeps up, and queues behind a full one in order', () => {
    const { bridge, agentSocket } = setup();
    bridge.handleCarrierAudioBase64('AAAA');
    agentSocket.buffered = HIGH_WATER;
    bridge.handleCarrierAudioBase64('BBBB');
    bridge.handleCarrierAudioBase64('CCCC');
    expect(agentSocket.sent).toEqual(['AAAA']);
    // The socket drains; the next frame must not overtake the two waiting in the bridge.
    agentSocket.buffered = 0;
    bridge.handleCarrierAudioBase64('DDDD');
    expect(agentSocket.sent).toEqual(['AAAA', 'BBBB', 'CCCC', 'DDDD']);
    expect(agentSocket.how).toEqual(['try', 'send', 'send', 'send']);
    // Nothing waits any more: straight again.
    bridge.handleCarrierAudioBase64('EEEE');
    expect(agentSocket.how.at(-1)).toBe('try');
  });

  it('agent audio goes straight to the carrier socket while it keeps up, and queues behind a full one in order', () => {
    const { carrierSocket, fromAgent } = setup();
    fromAgent('AAAA');
    carrierSocket.buffered = HIGH_WATER + 1;
    fromAgent('BBBB');
    expect(carrierSocket.sent).toEqual(['AAAA']);
    carrierSocket.buffered = 0;
    fromAgent('CCCC');
    fromAgent('DDDD');
    expect(carrierSocket.sent).toEqual(['AAAA', 'BBBB', 'CCCC', 'DDDD']);
    expect(carrierSocket.how).toEqual(['try', 'send', 'send', 'try']);
  });

  it('a mark still follows the audio queued before it, and paused caller audio goes nowhere', async () => {
    const { bridge, agentSocket, carrierSocket, carrierEvents, fromAgent } = setup();
    carrierSocket.buffered = HIGH_WATER;
    fromAgent('AAAA');
    const played = bridge.markAfterQueuedAudio('handoff');
    expect(carrierEvents).toEqual([]);
    carrierSocket.buffered = 0;
    fromAgent('BBBB');
    // The queue keeps its order: the audio before the mark, the mark, then the new audio.
    expect(carrierSocket.sent).toEqual(['AAAA', 'mark', 'BBBB']);
    const mark = carrierEvents.find((e) => e.type === 'mark');
    if (mark?.type !== 'mark') throw new Error('no mark sent');
    bridge.handleCarrierEvent({ type: 'mark', name: mark.name });
    await expect(played).resolves.toBe('played');
    bridge.pauseAgentAudio();
    bridge.handleCarrierAudioBase64('CCCC');
    expect(agentSocket.sent).toEqual([]);
  });
});
