/**
 * A bench media server in a worker thread of its own: its isolate, heap and event loop apart
 * from the main thread's, in the same process. `workerData.server` picks it: the bare relay
 * (relay-server.ts) or the daemon's media path alone (lean-server.ts). It posts its port once,
 * then its state every 100 ms; `stop` from the parent stops it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startLeanMedia } from './lean-server.js';
import { type MediaServerKind, startBareRelay } from './relay-server.js';

const { agentUrl, server } = workerData as { agentUrl: string; server: MediaServerKind };
const media = server === 'lean' ? await startLeanMedia(agentUrl) : await startBareRelay(agentUrl);
parentPort?.postMessage({ port: media.port });
const state = setInterval(
  () => parentPort?.postMessage({ sessions: media.sessions(), agentBuffered: media.agentBuffered() }),
  100,
);
parentPort?.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  clearInterval(state);
  void media.stop().then(() => {
    parentPort?.postMessage({ stopped: true });
    parentPort?.close();
  });
});
