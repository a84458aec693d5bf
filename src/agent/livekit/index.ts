import { LIVEKIT_TRANSPORT } from '../../config/agent-transports.js';
import type { LivekitCredentials } from '../../config/env.js';
import { DaemonError } from '../../domain/errors.js';
import type { AgentTransportKind } from '../transport.js';
import type { LivekitPort } from './port.js';
import { LivekitWire } from './wire.js';

/** Builds the port for one call's link: the server URL and the environment's key pair. */
export type LivekitPortLoader = (
  url: string,
  credentials: LivekitCredentials | undefined,
) => Promise<LivekitPort>;

/**
 * The real port, imported on first use: `@livekit/rtc-node` and its native library load only
 * when a LiveKit agent's call opens its link, never in a WebSocket-only daemon.
 */
export const loadRtcPort: LivekitPortLoader = async (url, credentials) => {
  if (credentials === undefined) {
    throw new DaemonError('livekit_not_configured', 'LIVEKIT_API_KEY and LIVEKIT_API_SECRET are not set');
  }
  const { RtcLivekitPort } = await import('./rtc-port.js');
  return new RtcLivekitPort({ url, ...credentials });
};

/** `agent.transport: livekit` over the given port (tests pass a fake one). */
export function livekitTransportWith(load: LivekitPortLoader): AgentTransportKind {
  return {
    ...LIVEKIT_TRANSPORT,
    createWire: (context) => {
      const config = context.endpoint.livekit;
      return new LivekitWire({
        config: config ?? { url: context.endpoint.url, roomPrefix: 'patchthrough-', metadata: {} },
        // A configuration without agent.livekit cannot be parsed; one built in code fails here, per call.
        port: () =>
          config === undefined
            ? Promise.reject(new DaemonError('invalid_agent_config', 'agent.livekit is not set'))
            : load(config.url, context.secrets?.livekit),
        callId: context.callId,
        agentId: context.agentId,
        carrier: context.carrier,
        direction: context.direction,
        format: context.format,
        connectTimeoutMs: context.endpoint.connectTimeoutMs,
        log: context.log,
        ...(context.timers === undefined ? {} : { timers: context.timers }),
        ...(context.resumed === undefined ? {} : { resumed: context.resumed }),
        ...(context.parameters === undefined ? {} : { parameters: context.parameters }),
      });
    },
  };
}

/** `agent.transport: livekit` (docs/livekit.md). */
export const livekitTransport: AgentTransportKind = livekitTransportWith(loadRtcPort);
