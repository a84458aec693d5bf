/**
 * The agent transport kinds an agents file may name (`agent.transport`) and the URL schemes each
 * takes for `agent.url`. This is the configuration side of the transport registry
 * (src/agent/transports.ts), kept here so that parsing a configuration needs no transport code.
 */
export interface AgentTransportSpec {
  /** `agent.transport`. */
  readonly kind: string;
  /** URL schemes `agent.url` may use, with the colon (`wss:`). */
  readonly urlSchemes: readonly string[];
  /** What such a URL is called in error messages (`WebSocket`). */
  readonly urlDescription: string;
}

/** The default kind: Twilio Media Streams over a WebSocket (docs/agent-protocol.md). */
export const WEBSOCKET_TRANSPORT: AgentTransportSpec = {
  kind: 'websocket',
  urlSchemes: ['ws:', 'wss:'],
  urlDescription: 'WebSocket',
};

/**
 * A LiveKit room per call (docs/livekit.md): `agent.url` is the LiveKit server, set from
 * `agent.livekit.url`.
 */
export const LIVEKIT_TRANSPORT: AgentTransportSpec = {
  kind: 'livekit',
  urlSchemes: ['wss:', 'ws:', 'https:', 'http:'],
  urlDescription: 'LiveKit server',
};

const specs = new Map<string, AgentTransportSpec>(
  [WEBSOCKET_TRANSPORT, LIVEKIT_TRANSPORT].map((spec) => [spec.kind, spec]),
);

/** The kinds accepted now. */
export function agentTransportSpecs(): readonly AgentTransportSpec[] {
  return [...specs.values()];
}

export function agentTransportSpec(kind: string): AgentTransportSpec | undefined {
  return specs.get(kind);
}

/**
 * Accepts one more kind in configurations (called by `registerAgentTransport`). Returns the
 * undo. A kind already known is replaced.
 */
export function acceptAgentTransport(spec: AgentTransportSpec): () => void {
  const before = specs.get(spec.kind);
  specs.set(spec.kind, spec);
  return () => {
    if (before === undefined) specs.delete(spec.kind);
    else specs.set(spec.kind, before);
  };
}
