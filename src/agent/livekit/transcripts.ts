import type { AgentControlEvent } from '../events.js';

/** Longest text taken from one transcription stream, in characters (the rest is ignored). */
const MAX_TRANSCRIPT_CHARS = 64_000;

/**
 * One of the agent's transcription text streams (LiveKit Agents publishes what the agent says on
 * `lk.transcription`, one stream per segment, in deltas) → the `agent.text` deltas the
 * `[TRANSFER:…]` tag scanner reads; the end of the stream ends the turn (`final`).
 */
export async function readTranscript(
  chunks: AsyncIterable<string>,
  emit: (event: Extract<AgentControlEvent, { type: 'agent.text' }>) => void,
): Promise<void> {
  let taken = 0;
  for await (const chunk of chunks) {
    if (taken >= MAX_TRANSCRIPT_CHARS) continue;
    const text = chunk.slice(0, MAX_TRANSCRIPT_CHARS - taken);
    taken += text.length;
    if (text !== '') emit({ type: 'agent.text', text, final: false });
  }
  emit({ type: 'agent.text', text: '', final: true });
}
