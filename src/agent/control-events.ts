import type { AgentEvent } from './events.js';
import { type AgentMessage, toolArguments } from './protocol.js';

/** Extension frames that become listener events (marks and `clear` go to the media bridge). */
export type ControlMessage = Exclude<AgentMessage, { event: 'mark' | 'clear' }>;

/** The listener event for one validated extension frame. Pure. */
export function toAgentEvent(message: ControlMessage): AgentEvent {
  switch (message.event) {
    case 'transfer': {
      const { event: _event, ...request } = message;
      return { type: 'agent.transfer', ...request };
    }
    case 'text':
      return { type: 'agent.text', text: message.text, final: message.final ?? false };
    case 'tool_call':
      return {
        type: 'agent.tool_call',
        id: message.id,
        name: message.name,
        args: toolArguments(message.arguments),
      };
    case 'summary':
      return message.transferId === undefined
        ? { type: 'agent.summary', text: message.text }
        : { type: 'agent.summary', text: message.text, transferId: message.transferId };
    case 'hangup':
      return message.reason === undefined
        ? { type: 'agent.hangup', via: 'event' }
        : { type: 'agent.hangup', via: 'event', reason: message.reason };
  }
}
