import { acceptAgentTransport } from '../config/agent-transports.js';
import { DaemonError } from '../domain/errors.js';
import { AgentLink } from './agent-link.js';
import { livekitTransport } from './livekit/index.js';
import type {
  AgentTransport,
  AgentTransportKind,
  AgentTransportOptions,
  AgentWireContext,
} from './transport.js';
import { websocketTransport } from './websocket/index.js';

/**
 * The agent transport registry: one entry per kind (`agent.transport`). Adding a transport is a
 * folder under src/agent/ with its {@link AgentTransportKind}, one line here and its
 * configuration spec in src/config/agent-transports.ts.
 */
export const AGENT_TRANSPORTS: readonly AgentTransportKind[] = [websocketTransport, livekitTransport];

const kinds = new Map<string, AgentTransportKind>(AGENT_TRANSPORTS.map((k) => [k.kind, k]));

/**
 * Adds a kind at run time (a test's fake transport, a plugin): the daemon will then accept it in
 * configurations and build calls' transports with it. Returns the undo.
 */
export function registerAgentTransport(kind: AgentTransportKind): () => void {
  const before = kinds.get(kind.kind);
  kinds.set(kind.kind, kind);
  const unaccept = acceptAgentTransport(kind);
  return () => {
    unaccept();
    if (before === undefined) kinds.delete(kind.kind);
    else kinds.set(kind.kind, before);
  };
}

/** One call's agent transport, of the kind its configuration names (`agent.transport`). */
export function createAgentTransport(
  context: AgentWireContext,
  options: AgentTransportOptions,
): AgentTransport {
  const kind = kinds.get(context.endpoint.transport);
  if (kind === undefined) {
    throw new DaemonError('unknown_agent_transport', 'agent.transport names no registered transport');
  }
  return new AgentLink(kind.createWire(context), options);
}
