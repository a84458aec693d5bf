import { WEBSOCKET_TRANSPORT } from '../../config/agent-transports.js';
import type { AgentTransportKind } from '../transport.js';
import { WebSocketWire } from './wire.js';

/** `agent.transport: websocket`: the Twilio Media Streams dialect plus extensions (docs/agent-protocol.md). */
export const websocketTransport: AgentTransportKind = {
  ...WEBSOCKET_TRANSPORT,
  createWire: (context) =>
    new WebSocketWire({
      url: context.endpoint.url,
      headers: context.endpoint.headers,
      connectTimeoutMs: context.endpoint.connectTimeoutMs,
      callId: context.callId,
      agentId: context.agentId,
      carrier: context.carrier,
      direction: context.direction,
      format: context.format,
      clock: context.clock,
      ...(context.timers === undefined ? {} : { timers: context.timers }),
      log: context.log,
      ...(context.resumed === undefined ? {} : { resumed: context.resumed }),
      ...(context.parameters === undefined ? {} : { parameters: context.parameters }),
    }),
};
