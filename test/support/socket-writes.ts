import type { Redis } from 'ioredis';

/** Counts the writes a Redis client's socket hands to the kernel (`_write`: one chunk; `_writev`: all held ones). */
export function countWrites(client: Redis): () => number {
  const stream = client.stream as unknown as {
    _write: (...a: unknown[]) => unknown;
    _writev?: (...a: unknown[]) => unknown;
  };
  let writes = 0;
  const write = stream._write.bind(stream);
  stream._write = (...a: unknown[]) => {
    writes += 1;
    return write(...a);
  };
  const writev = stream._writev?.bind(stream);
  if (writev !== undefined)
    stream._writev = (...a: unknown[]) => {
      writes += 1;
      return writev(...a);
    };
  return () => writes;
}
