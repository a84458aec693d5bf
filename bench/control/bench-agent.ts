/**
 * The AI agent of the control-path and handoff benchmarks: Twilio's Media Streams dialect plus
 * the extension events (docs/agent-protocol.md). Per call it follows a plan — speak a handoff
 * sentence (audio sent at once, as a TTS engine streams it), ask for the transfer (a
 * `[TRANSFER:…]` text tag or a `transfer` event), and speak again as soon as `resume` says the
 * caller is back — and notes when it did each, on the clock every benchmark process shares.
 * It keeps no per-frame records.
 */
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { MULAW_8K } from '../../src/domain/media.js';
import { tone } from '../../src/media/tone.js';
import { epochMs } from '../lib/probe.js';

export interface AgentPlan {
  /** Length of the handoff sentence spoken before the trigger, ms. */
  readonly sayMs: number;
  readonly trigger: 'tag' | 'event';
  readonly destination: string;
  /** `event` triggers only (a tag uses the agent's configured mode). */
  readonly mode?: 'warm' | 'cold' | 'agentic';
  /** Send the trigger at this epoch time (at the earliest right after the sentence). */
  readonly triggerAtMs?: number;
  /** Answer `summary_request` (otherwise the daemon's bounded wait and template fallback run). */
  readonly answerSummary: boolean;
  /** What the agent says when the caller is back after a failed transfer, ms. */
  readonly resumeSayMs: number;
}

/** What the agent did and saw on one call (epoch ms). */
export interface AgentCallLog {
  readonly callId: string;
  startedAtMs?: number;
  triggerSentAtMs?: number;
  resumeAtMs?: number;
  resumeOutcome?: string;
  /** `transfer_status` updates in order. */
  readonly statuses: string[];
  closedAtMs?: number;
}

const FRAME_BYTES = 160;

export class BenchAgent {
  readonly url: string;
  readonly calls = new Map<string, AgentCallLog>();
  readonly #server: WebSocketServer;
  readonly #plans = new Map<string, AgentPlan>();
  readonly #waiting = new Map<string, (plan: AgentPlan) => void>();
  readonly #timers = new Set<NodeJS.Timeout>();

  private constructor(server: WebSocketServer) {
    this.#server = server;
    this.url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/agent`;
    server.on('connection', (socket) => this.#accept(socket));
  }

  static async start(): Promise<BenchAgent> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    return new BenchAgent(server);
  }

  /** The plan for a call (by its `callId`), given before or after its stream arrives. */
  plan(callId: string, plan: AgentPlan): void {
    this.#plans.set(callId, plan);
    this.#waiting.get(callId)?.(plan);
    this.#waiting.delete(callId);
  }

  close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    return new Promise((resolve) => {
      for (const client of this.#server.clients) client.terminate();
      this.#server.close(() => resolve());
    });
  }

  #planFor(callId: string): Promise<AgentPlan> {
    const plan = this.#plans.get(callId);
    if (plan !== undefined) return Promise.resolve(plan);
    return new Promise((resolve) => this.#waiting.set(callId, resolve));
  }

  #accept(socket: WebSocket): void {
    let streamSid = '';
    let log: AgentCallLog | undefined;
    let plan: AgentPlan | undefined;
    const send = (frame: Record<string, unknown>): void => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
    };
    const say = (ms: number): void => {
      const audio = tone(MULAW_8K, { frequencyHz: 440, durationMs: ms });
      for (let at = 0; at < audio.length; at += FRAME_BYTES) {
        send({
          event: 'media',
          streamSid,
          media: { payload: audio.subarray(at, at + FRAME_BYTES).toString('base64') },
        });
      }
    };
    const trigger = (p: AgentPlan, call: AgentCallLog): void => {
      call.triggerSentAtMs = epochMs();
      if (p.trigger === 'tag') {
        send({
          event: 'text',
          text: `One moment, I am connecting you. [TRANSFER:${p.destination}]`,
          final: true,
        });
      } else {
        send({
          event: 'transfer',
          destination: p.destination,
          ...(p.mode === undefined ? {} : { mode: p.mode }),
        });
      }
    };
    socket.on('message', (data) => {
      const text = String(data);
      if (text.startsWith('{"event":"media"')) return;
      const frame = JSON.parse(text) as Record<string, unknown> & { event?: string };
      switch (frame.event) {
        case 'start': {
          const start = frame['start'] as { streamSid?: string; customParameters?: Record<string, string> };
          streamSid = start.streamSid ?? '';
          const callId = start.customParameters?.['callId'] ?? '';
          if (start.customParameters?.['resumed'] === 'true') return;
          if (start.customParameters?.['role'] === 'briefing') {
            // An agentic transfer's briefing: speak at once, accept once it played.
            say(600);
            send({ event: 'mark', streamSid, mark: { name: 'briefed' } });
            return;
          }
          const call: AgentCallLog = { callId, startedAtMs: epochMs(), statuses: [] };
          log = call;
          this.calls.set(callId, call);
          void this.#planFor(callId).then((p) => {
            plan = p;
            say(p.sayMs);
            send({ event: 'mark', streamSid, mark: { name: 'handoff-sentence' } });
            const delayMs = Math.max(0, (p.triggerAtMs ?? 0) - epochMs());
            if (delayMs === 0) trigger(p, call);
            else {
              const t = setTimeout(() => {
                this.#timers.delete(t);
                trigger(p, call);
              }, delayMs);
              this.#timers.add(t);
            }
          });
          return;
        }
        case 'mark':
          if ((frame['mark'] as { name?: string } | undefined)?.name === 'briefed')
            send({ event: 'briefing_result', accepted: true });
          return;
        case 'summary_request':
          if (plan?.answerSummary === true) {
            send({
              event: 'summary',
              text: 'The caller asks about a double charge.',
              transferId: frame['transferId'],
            });
          }
          return;
        case 'transfer_status':
          log?.statuses.push(String(frame['status']));
          return;
        case 'resume':
          if (log !== undefined) {
            log.resumeAtMs = epochMs();
            log.resumeOutcome = String(frame['outcome']);
          }
          if (plan !== undefined) say(plan.resumeSayMs);
          return;
        default:
          return;
      }
    });
    socket.on('close', () => {
      if (log !== undefined) log.closedAtMs = epochMs();
    });
    socket.on('error', () => undefined);
  }
}
