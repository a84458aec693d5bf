import type { Redis } from 'ioredis';
import type { CommandSender } from './redis-client.js';

/**
 * Sends each command with ioredis as before, but holds the socket's writes until the end of the
 * current tick (`process.nextTick`, which runs once the tick's promise callbacks are done), so
 * the commands issued in one tick — the commits of concurrent dispatches, a webhook's reads —
 * leave in one `writev` instead of one `write` syscall each (issue 18 item 3: the largest single
 * item of the control burst's profile). Nothing else changes: every command is still ioredis'
 * own, with its own reply or error, queued offline while the connection is down and resent or
 * failed after a reconnect by ioredis' policy (redis-client.ts), and retried by the store's
 * (`withRetry`). Only the bytes wait, for at most the rest of the tick; a socket that dies
 * meanwhile is a connection lost with those commands written, which ioredis already handles.
 *
 * Not ioredis' `enableAutoPipelining`: it waits for `setImmediate` (after every I/O callback
 * of the loop turn, the media sockets' frames included) and keeps one pipeline per connection
 * in flight, so a command issued while one is out waits for that whole round trip. A cluster
 * client writes to many sockets: it is used as it is.
 */
export function corkedSender(client: Redis): CommandSender {
  let corked = false;
  const release = (stream: Redis['stream']): void => {
    corked = false;
    stream.uncork();
  };
  return {
    call(command, ...args) {
      const stream = client.stream;
      // Written at once by ioredis only when ready; otherwise queued offline (nothing to hold).
      if (!corked && client.status === 'ready' && stream?.writable === true) {
        corked = true;
        stream.cork();
        process.nextTick(release, stream);
      }
      return client.call(command, ...args);
    },
  };
}
