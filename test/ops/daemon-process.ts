import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import twilio from 'twilio';
import { WebSocket } from 'ws';
import { WORKER_NODE_FLAGS } from '../../src/config/node-flags.js';
import { eventually } from '../support/eventually.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const ACCOUNT_SID = `AC${'b'.repeat(32)}`;
export const AUTH_TOKEN = 'drain-test-auth-token';

/** A real daemon process (`node --import tsx <the worker's flags> src/main.ts`) on a given port. */
export interface DaemonProcess {
  readonly port: number;
  readonly url: string;
  readonly output: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly proc: ChildProcess;
  /** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * A daemon on `port`, or on a port from `port()`: such a port was free a moment ago, but another
 * process may take it before the daemon listens (an outgoing connection's local port comes from
 * the same range), so a start refused with EADDRINUSE is tried again on another, twice at most.
 */
export async function spawnDaemon(
  port: number | (() => Promise<number>),
  env: Record<string, string>,
): Promise<DaemonProcess> {
  if (typeof port === 'number') return spawnOn(port, env);
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await spawnOn(await port(), env);
    } catch (err) {
      if (attempt >= 2 || !String(err).includes('EADDRINUSE')) throw err;
    }
  }
}

async function spawnOn(port: number, env: Record<string, string>): Promise<DaemonProcess> {
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(process.execPath, ['--import', 'tsx', ...WORKER_NODE_FLAGS, 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '/tmp',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: url,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      // Nothing in these tests makes the daemon call Twilio's REST API.
      TWILIO_API_BASE: 'http://127.0.0.1:9',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  proc.stdout?.on('data', (c: Buffer) => output.push(c.toString('utf8')));
  proc.stderr?.on('data', (c: Buffer) => output.push(c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const daemon: DaemonProcess = {
    port,
    url,
    output,
    exited,
    proc,
    async stop(graceMs = 10_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await eventually(
      async () => {
        if (proc.exitCode !== null) throw new Error(`daemon exited at start:\n${output.join('')}`);
        // Its own word first: a ready answer on the port proves nothing until this process says
        // it listens there. Another test's daemon may have taken the port between freePort() and
        // this one's start (this one then exits with EADDRINUSE), and answer /readyz meanwhile.
        if (!listensOn(output, port)) return false;
        return fetch(`${url}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        );
      },
      () => `the daemon on port ${port} to be ready; its output:\n${output.join('')}`,
      { timeoutMs: 60_000, everyMs: 50 },
    );
  } catch (err) {
    await daemon.stop(1000);
    throw err;
  }
  return daemon;
}

/** Whether the daemon's log (pino's JSON lines) says it listens on `port` (app.ts `daemon.listening`). */
function listensOn(output: readonly string[], port: number): boolean {
  return output
    .join('')
    .split('\n')
    .some((line) => line.includes('"msg":"daemon.listening"') && line.includes(`"port":${port},`));
}

/** POSTs a webhook signed as Twilio signs it (the full URL plus the sorted form parameters). */
export async function signedWebhook(
  daemon: { url: string },
  pathAndQuery: string,
  params: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const url = daemon.url + pathAndQuery;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params),
    },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: await res.text() };
}

/** The parts of a `<Connect><Stream>` document a carrier acts on. */
export interface StreamDocument {
  readonly streamUrl: string;
  readonly parameters: Record<string, string>;
  /** The `<Redirect>` continuation's path and query. */
  readonly continuation: string;
}

const xmlUnescape = (s: string): string =>
  s
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');

export function parseStreamDocument(twiml: string): StreamDocument {
  const stream = /<Stream url="([^"]+)"/.exec(twiml)?.[1];
  const redirect = /<Redirect[^>]*>([^<]+)<\/Redirect>/.exec(twiml)?.[1];
  if (stream === undefined || redirect === undefined) throw new Error(`not a stream document: ${twiml}`);
  const parameters: Record<string, string> = {};
  for (const m of twiml.matchAll(/<Parameter name="([^"]+)" value="([^"]*)"\/>/g)) {
    if (m[1] !== undefined && m[2] !== undefined) parameters[m[1]] = xmlUnescape(m[2]);
  }
  const continuation = new URL(xmlUnescape(redirect));
  return {
    streamUrl: xmlUnescape(stream),
    parameters,
    continuation: continuation.pathname + continuation.search,
  };
}

/** A carrier media socket as Twilio opens it: `connected`, `start`, then `frames` 20 ms μ-law frames. */
export async function openTwilioStream(doc: StreamDocument, callSid: string, frames = 5): Promise<WebSocket> {
  const ws = new WebSocket(doc.streamUrl);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const streamSid = streamSidOf(callSid);
  ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
  ws.send(
    JSON.stringify({
      event: 'start',
      sequenceNumber: '1',
      streamSid,
      start: {
        streamSid,
        accountSid: ACCOUNT_SID,
        callSid,
        tracks: ['inbound'],
        customParameters: doc.parameters,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    }),
  );
  sendMedia(ws, callSid, frames);
  return ws;
}

const streamSidOf = (callSid: string): string => `MZ${callSid.slice(2)}`;

/** `n` inbound 20 ms frames of μ-law silence on an open stream. */
export function sendMedia(ws: WebSocket, callSid: string, n: number): void {
  const streamSid = streamSidOf(callSid);
  for (let i = 0; i < n; i++) {
    ws.send(
      JSON.stringify({
        event: 'media',
        streamSid,
        media: { track: 'inbound', payload: Buffer.alloc(160, 0xff).toString('base64') },
      }),
    );
  }
}
