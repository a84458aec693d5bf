/**
 * The example agent: a touch-tone menu on patchthrough's agent protocol (docs/agent-protocol.md),
 * with no speech recognition, no LLM and no network beyond the daemon's socket.
 *
 *   npx patchthrough example-agent [--port 8765] [--host 127.0.0.1]
 *
 * The caller hears the menu, then presses
 *   1  sales: a cold transfer (the carrier dials, this agent steps out);
 *   2  support: a warm transfer (the caller holds, the person hears a whisper, then both talk);
 *   3  the after-hours line, which is not answered: the transfer fails and the caller is back here;
 *   4  support, briefed by this agent itself (an agentic transfer): the person answering hears
 *      this agent on a second socket (`role: briefing`), and presses 1 to take the call or 2 to
 *      send it back;
 *   9  goodbye: the agent ends the call.
 *
 * The agent names transfer rules, never phone numbers: the numbers live in the agents file
 * (examples/ivr-agent/agents.yaml), where the daemon checks them. The prompts are μ-law files
 * (examples/ivr-agent/prompts/, made by make-prompts.ts).
 *
 * It depends on nothing but `ws` and Node, so it can be copied out as the start of a real bot.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/** The transfer rules (`handoffConfig.transferRules[].label`) each menu choice asks for. */
export const MENU = {
  '1': { rule: 'Sales', mode: 'cold', prompt: 'sales' },
  '2': { rule: 'Support', mode: 'warm', prompt: 'support' },
  '3': { rule: 'After hours', mode: 'cold', prompt: 'trying' },
  '4': { rule: 'Support', mode: 'agentic', prompt: 'support' },
} as const;

/** What the person answering a warm transfer hears before the caller joins (the whisper). */
export const SUPPORT_WHISPER = 'A caller from the phone menu pressed 2 for support.';

export interface ExampleAgentOptions {
  /** Default 8765; 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Where each call's progress is written, one line at a time. Default: nowhere. */
  readonly log?: (line: string) => void;
}

export interface ExampleAgent {
  /** The `agent.url` to put in the agents file, e.g. `ws://127.0.0.1:8765/`. */
  readonly url: string;
  close(): Promise<void>;
}

const PROMPT_NAMES = ['menu', 'sales', 'support', 'trying', 'sorry', 'goodbye', 'briefing'] as const;
type Prompt = (typeof PROMPT_NAMES)[number];

/** The prompts beside this file, or in the package's examples/ when this file runs compiled (dist/). */
function loadPrompts(): Record<Prompt, Buffer> {
  const candidates = [
    new URL('./prompts/', import.meta.url),
    new URL('../../../examples/ivr-agent/prompts/', import.meta.url),
  ];
  const dir = candidates.find((url) => existsSync(new URL('menu.ulaw', url))) ?? candidates[0]!;
  return Object.fromEntries(
    PROMPT_NAMES.map((name) => [name, readFileSync(new URL(`${name}.ulaw`, dir))]),
  ) as Record<Prompt, Buffer>;
}

export async function startExampleAgent(options: ExampleAgentOptions = {}): Promise<ExampleAgent> {
  const prompts = loadPrompts();
  const log = options.log ?? (() => {});
  const server = new WebSocketServer({ port: options.port ?? 8765, host: options.host ?? '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.on('connection', (socket) => serveCall(socket, prompts, log));
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `ws://${address}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

/** The fields of the daemon's frames this agent reads (docs/agent-protocol.md has them all). */
interface DaemonFrame {
  readonly event: string;
  readonly start?: {
    readonly streamSid: string;
    readonly callSid: string;
    readonly customParameters?: Readonly<Record<string, string>>;
    readonly mediaFormat?: { readonly encoding: string; readonly sampleRate: number };
  };
  readonly dtmf?: { readonly digit: string };
  readonly mark?: { readonly name: string };
  readonly stop?: { readonly reason?: string };
  readonly transferId?: string;
  readonly status?: string;
  readonly outcome?: string;
  readonly code?: string;
  readonly message?: string;
}

/** One call: the daemon opened this socket exactly as Twilio's `<Connect><Stream>` would. */
function serveCall(socket: WebSocket, prompts: Record<Prompt, Buffer>, log: (line: string) => void): void {
  let streamSid = '';
  let callId = '?';
  let transferring = false;
  /** This socket briefs the person answering an agentic transfer (`role: briefing`). */
  let briefing = false;
  const send = (frame: Record<string, unknown>) => socket.send(JSON.stringify({ ...frame, streamSid }));

  /** Audio goes out as Twilio `media` (any length: the daemon cuts it for the carrier), then a
   * `mark`, echoed back once the caller has heard everything before it. */
  const play = (prompt: Prompt) => {
    send({ event: 'media', media: { payload: prompts[prompt].toString('base64') } });
    send({ event: 'mark', mark: { name: prompt } });
  };

  const backToMenu = (why: string) => {
    transferring = false;
    log(`${callId}: back from the transfer (${why}); menu again`);
    play('sorry');
    play('menu');
  };

  socket.on('message', (data) => {
    let frame: DaemonFrame;
    try {
      frame = JSON.parse(String(data)) as DaemonFrame;
    } catch {
      return; // the daemon sends JSON text frames only
    }
    switch (frame.event) {
      // Twilio's own events. `connected` comes first; `start` says who is calling and in which
      // audio format (μ-law 8 kHz unless the agents file set `agent.audio`).
      case 'start': {
        const start = frame.start!;
        streamSid = start.streamSid;
        callId = start.customParameters?.callId ?? start.callSid;
        const format = start.mediaFormat;
        if (format?.encoding !== 'audio/x-mulaw' || format.sampleRate !== 8000)
          log(`${callId}: the prompts are μ-law 8 kHz but the stream is ${JSON.stringify(format)}`);
        // A socket with `resumed: "true"` continues a call (a reconnect): do not greet again.
        if (start.customParameters?.resumed === 'true') return;
        // A second socket for the same call, `role: briefing`: the person answering an agentic
        // transfer is on it, not the caller. Brief them; their key (1 takes the call, 2 sends it
        // back: the daemon's `acceptDigit` / `declineDigit`) decides. A bot with speech
        // recognition would listen and send `briefing_result { accepted }` instead.
        if (start.customParameters?.role === 'briefing') {
          briefing = true;
          log(`${callId}: briefing the person answering (${start.customParameters.destinationLabel ?? ''})`);
          play('briefing');
          return;
        }
        log(`${callId}: call started; playing the menu`);
        play('menu');
        return;
      }
      case 'dtmf': {
        // On a briefing socket the person's keys are the daemon's to read (accept or decline).
        if (transferring || briefing) return;
        const digit = frame.dtmf?.digit ?? '';
        // Barge-in: `clear` drops whatever the caller has not heard yet.
        send({ event: 'clear' });
        if (digit === '9') {
          log(`${callId}: menu choice goodbye`);
          return play('goodbye'); // the hang-up follows its mark's echo, below
        }
        const choice = MENU[digit as keyof typeof MENU];
        if (choice === undefined) return play('menu');
        transferring = true;
        log(`${callId}: menu choice ${choice.rule}; ${choice.mode} transfer`);
        // The handoff sentence first: the daemon dials while it plays and moves the caller once
        // the carrier says it was heard.
        play(choice.prompt);
        // `transfer` (an extension) names a rule of the agents file. `summary` is the whisper.
        send({
          event: 'transfer',
          rule: choice.rule,
          mode: choice.mode,
          reason: `caller chose ${choice.rule} in the menu`, // never the digits: they may be PII
          ...(choice.mode === 'cold' ? {} : { summary: SUPPORT_WHISPER }),
        });
        return;
      }
      // The echo of a mark: the caller has heard everything sent before it. After the goodbye,
      // `hangup` (an extension; closing the socket with code 1000 does the same) ends the call.
      case 'mark':
        if (frame.mark?.name === 'goodbye') send({ event: 'hangup', reason: 'caller chose 9' });
        return;
      // How the transfer goes: `started`, `dialing`, `ringing`, `answered`, (`whispering`),
      // then `connected` or `failed`. A refused request (`transferId` ending in `.refused`)
      // never left this agent, so no `resume` follows it.
      case 'transfer_status': {
        log(`${callId}: transfer ${frame.status}${frame.outcome ? ` (${frame.outcome})` : ''}`);
        if (frame.status === 'failed' && String(frame.transferId).endsWith('.refused'))
          backToMenu(frame.outcome ?? 'refused');
        return;
      }
      // The caller is back after a failed transfer (busy, no answer…): talk again.
      case 'resume':
        return backToMenu(frame.outcome ?? 'failed');
      // A warm transfer without a `summary` asks for one; answer within `timeoutMs`.
      case 'summary_request':
        return send({ event: 'summary', transferId: frame.transferId, text: SUPPORT_WHISPER });
      // The daemon rejected a frame we sent; nothing changed and the call goes on.
      case 'error':
        return log(`${callId}: the daemon rejected a frame: ${frame.code} ${frame.message}`);
      case 'stop':
        return log(`${callId}: stream stopped (${frame.stop?.reason ?? 'call ended'})`);
      // `connected`, `media` (the caller's audio: this agent does not listen) and any event it
      // does not know are ignored, as every Twilio bot must.
      default:
        return;
    }
  });
}
