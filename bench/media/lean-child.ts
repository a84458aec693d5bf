/**
 * The daemon's media path alone (lean-server.ts) in a process of its own. Same IPC as
 * relay-child.ts, so `paired --relay-as lean` measures it in the relay's place and
 * `--daemon-as lean` in the daemon's.
 */
import { startLeanMedia } from './lean-server.js';
import { serveMediaChild } from './media-child.js';

const media = await startLeanMedia(process.argv[2] ?? '');
serveMediaChild({ port: media.port, pid: process.pid }, media);
