/**
 * The bare relay (relay-server.ts) in a worker thread of its own: its isolate, heap and event
 * loop apart from the main thread's, in the same process. It posts its port once, then its state
 * every 100 ms; `stop` from the parent stops it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startBareRelay } from './relay-server.js';

const relay = await startBareRelay((workerData as { agentUrl: string }).agentUrl);
parentPort?.postMessage({ port: relay.port });
const state = setInterval(
  () => parentPort?.postMessage({ sessions: relay.sessions(), agentBuffered: relay.agentBuffered() }),
  100,
);
parentPort?.on('message', (message: unknown) => {
  if (message !== 'stop') return;
  clearInterval(state);
  void relay.stop().then(() => {
    parentPort?.postMessage({ stopped: true });
    parentPort?.close();
  });
});
