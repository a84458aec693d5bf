import type { CallEffect } from './call-reducer.js';

/** Effects that act on the call's agent socket or media bridge, wherever those are held. */
const SOCKET_EFFECTS: ReadonlySet<string> = new Set([
  'handoff.watch',
  'transfer.accepted',
  'transfer.refused',
  'call.finished',
  'agent.summary_request',
  'agent.detach',
  'agent.status',
  'agent.resume',
]);

/**
 * Whether `effect` must run where the call's sockets are. Also, on a carrier whose flow moves
 * the caller when the stream closes (Exotel), a cold dial or a hang-up with no webhook waiting
 * for markup (`hasReply`): the stream's socket is the command.
 */
export function needsSocketOwner(
  effect: CallEffect,
  hasReply: boolean,
  streamCloseMovesCaller: () => boolean,
): boolean {
  const type = effect.type === 'transfer' ? effect.effect.type : effect.type;
  if (SOCKET_EFFECTS.has(type)) return true;
  const viaStream =
    effect.type === 'call.hangup' ||
    (effect.type === 'transfer' && effect.effect.type === 'carrier.dial' && effect.effect.mode === 'cold');
  return viaStream && !hasReply && streamCloseMovesCaller();
}
