/**
 * The daemon's media path alone, without the rest of the daemon: what a media process or thread
 * split from it would cost per frame. Each carrier connection runs through the daemon's own code
 * for it — the Twilio codec (its scanner and frame writer), the media bridge, the agent link and
 * the WebSocket agent wire with its frame writer — and nothing else: no store, no engine, no HTTP
 * server, no timers of the daemon's. Control frames (the agent's marks, `clear`) take the
 * bridge's paths as in the daemon; transfer tags and tool calls are not looked at. Run by
 * lean-child.ts in a process of its own, or in a worker thread (media-thread.ts).
 */
import type { AddressInfo } from 'node:net';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { createTwilioCodec } from '../../providers/twilio/codec.js';
import { CodecError } from '../../providers/types.js';
import { AgentLink } from '../../src/agent/agent-link.js';
import { websocketTransport } from '../../src/agent/websocket/index.js';
import { MULAW_8K } from '../../src/domain/media.js';
import { backgroundTime } from '../../src/lib/time.js';
import { type FrameSocket, sendTextFrame, serverHeadroom } from '../../src/lib/ws-text-frame.js';
import { readTextFramesInPlace } from '../../src/lib/ws-text-receive.js';
import { silentLogger } from '../../src/log.js';
import { MediaBridge } from '../../src/media/bridge.js';
import type { BareRelay } from './relay-server.js';

/** Starts the media path's server; the same face as the bare relay's (relay-server.ts). */
/** Largest carrier media frame, bytes: ws's bound and the in-place reader's alike. */
const MAX_PAYLOAD = 1024 * 1024;

export async function startLeanMedia(agentUrl: string): Promise<BareRelay> {
  const log = silentLogger();
  // The daemon's media socket options (src/http/server.ts).
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    maxPayload: MAX_PAYLOAD,
    perMessageDeflate: false,
    skipUTF8Validation: true,
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const links = new Set<AgentLink>();
  server.on('connection', (ws, request) => {
    // As the daemon's HTTP server does: the carrier's plain text frames read in place.
    readTextFramesInPlace(ws, request.socket, 'server', MAX_PAYLOAD);
    const codec = createTwilioCodec();
    let bridge: MediaBridge | undefined;
    let link: AgentLink | undefined;
    ws.on('message', (data: RawData, isBinary) => {
      if (isBinary) return;
      if (bridge !== undefined && Buffer.isBuffer(data)) {
        const payload = codec.scanAudio?.(data);
        if (payload !== undefined) {
          bridge.handleCarrierAudioBase64(payload);
          return;
        }
      }
      const event = codec.decode(data.toString());
      if (event === null || event instanceof CodecError) return;
      if (event.type === 'start') {
        link = new AgentLink(
          websocketTransport.createWire({
            endpoint: {
              transport: 'websocket',
              url: agentUrl,
              audio: { encoding: 'mulaw', sampleRate: 8000 },
              headers: {},
              connectTimeoutMs: 5_000,
              waitAudio: { sound: 'comfort_noise', afterMs: 1000 },
              speaksMessages: false,
            },
            // The echo agent knows the stream by the carrier's `callId` parameter, as with the relay.
            callId: event.customParameters['callId'] ?? event.carrierCallId,
            agentId: 'lean',
            carrier: 'twilio',
            direction: 'inbound',
            format: MULAW_8K,
            clock: backgroundTime,
            timers: backgroundTime,
            log,
          }),
          { listener: { onAgentEvent: () => undefined }, log, clock: backgroundTime },
        );
        links.add(link);
        bridge = new MediaBridge({ agent: link, clock: backgroundTime, timers: backgroundTime });
        bridge.attachCarrier({ port: carrierPort(ws, request.socket, codec), format: event.format });
        bridge.resumeAgentAudio();
        link.connect().catch(() => undefined);
        return;
      }
      bridge?.handleCarrierEvent(event);
    });
    ws.on('close', () => {
      bridge?.close();
      if (link !== undefined) {
        links.delete(link);
        link.close('call ended').catch(() => undefined);
      }
    });
    ws.on('error', () => undefined);
  });
  return {
    port: (server.address() as AddressInfo).port,
    sessions: () => links.size,
    agentBuffered: () => {
      let bytes = 0;
      for (const l of links) bytes += l.backlogBytes();
      return bytes;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        for (const l of links) l.close('call ended').catch(() => undefined);
        server.close(() => resolve());
      }),
  };
}

/** The bridge's port toward the carrier socket, as media-sessions.ts attaches it. */
function carrierPort(ws: WebSocket, socket: FrameSocket, codec: ReturnType<typeof createTwilioCodec>) {
  const encodeBase64 = codec.encodeAudioBase64?.bind(codec);
  return {
    send: (event: Parameters<typeof codec.encode>[0]) => {
      if (ws.readyState === ws.OPEN) ws.send(codec.encode(event));
    },
    ...(encodeBase64 === undefined
      ? {}
      : {
          sendAudioBase64: (payload: Parameters<typeof encodeBase64>[0]) => {
            if (ws.readyState === ws.OPEN) ws.send(encodeBase64(payload), { binary: false });
          },
          trySendAudioBase64: (payload: Parameters<typeof encodeBase64>[0], underBytes: number) => {
            if (ws.readyState !== ws.OPEN || ws.bufferedAmount >= underBytes) return false;
            sendTextFrame(ws, socket, encodeBase64(payload, serverHeadroom), 'server');
            return true;
          },
        }),
    bufferedBytes: () => ws.bufferedAmount,
  };
}
