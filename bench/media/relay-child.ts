/**
 * The baseline: a bare `ws` relay (relay-server.ts) in a process of its own, or in a worker
 * thread of it (`thread` among the parts: the process's main thread runs the other parts). What
 * the daemon does beyond this is its own cost. With `server: 'lean'` the daemon's media path
 * alone (lean-server.ts) runs in the relay's place: beside the idle daemon in a thread of its
 * own, it is what a media thread split from the daemon would cost (`paired --daemon-as split`).
 */
import { Worker } from 'node:worker_threads';
import { startLeanMedia } from './lean-server.js';
import { serveMediaChild } from './media-child.js';
import { type RelayPartsConfig, startRelayParts } from './relay-parts.js';
import { type BareRelay, type MediaServerKind, startBareRelay } from './relay-server.js';

const agentUrl = process.argv[2] ?? '';
/** The daemon's parts to run beside the relay (relay-parts.ts); none by default. */
const parts = JSON.parse(process.argv[3] ?? '{"parts":[]}') as RelayPartsConfig & {
  readonly server?: MediaServerKind;
};
const kind = parts.server ?? 'relay';
const relayParts = await startRelayParts(parts);
const relay = parts.parts.includes('thread')
  ? await startThread(agentUrl, kind)
  : kind === 'lean'
    ? await startLeanMedia(agentUrl)
    : await startBareRelay(agentUrl);

serveMediaChild(
  {
    port: relay.port,
    pid: process.pid,
    ...(relayParts.httpUrl === undefined ? {} : { partsUrl: relayParts.httpUrl }),
  },
  {
    sessions: relay.sessions,
    agentBuffered: relay.agentBuffered,
    stop: () => relay.stop().then(relayParts.stop),
  },
);

/** The media server in a worker thread (media-thread.ts); its state as last posted (every 100 ms). */
function startThread(url: string, server: MediaServerKind): Promise<BareRelay> {
  const worker = new Worker(new URL('./ts-thread.mjs', import.meta.url), {
    workerData: { entry: new URL('./media-thread.ts', import.meta.url).href, agentUrl: url, server },
  });
  let sessions = 0;
  let agentBuffered = 0;
  let stopped: (() => void) | undefined;
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.on(
      'message',
      (m: { port?: number; sessions?: number; agentBuffered?: number; stopped?: boolean }) => {
        if (m.sessions !== undefined) sessions = m.sessions;
        if (m.agentBuffered !== undefined) agentBuffered = m.agentBuffered;
        if (m.stopped === true) stopped?.();
        if (m.port !== undefined)
          resolve({
            port: m.port,
            sessions: () => sessions,
            agentBuffered: () => agentBuffered,
            stop: () =>
              new Promise<void>((done) => {
                stopped = done;
                worker.postMessage('stop');
              }),
          });
      },
    );
  });
}
