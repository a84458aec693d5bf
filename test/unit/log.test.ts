import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines };
}

describe('logger', () => {
  it('redacts pii.* by default and keeps the rest', () => {
    const { stream, lines } = capture();
    const log = createLogger({ destination: stream });
    log.info({ callId: 'CA1', pii: { to: '+14155550111', digits: '1234' } }, 'transfer.dialing');
    const [line] = lines();
    expect(line?.['msg']).toBe('transfer.dialing');
    expect(line?.['callId']).toBe('CA1');
    expect(line?.['pii']).toEqual({ to: '[redacted]', digits: '[redacted]' });
    expect(JSON.stringify(line)).not.toContain('4155550111');
  });

  it('redacts pii nested in a child binding too', () => {
    const { stream, lines } = capture();
    const log = createLogger({ destination: stream }).child({ call: { pii: { from: '+14155550100' } } });
    log.info('call.started');
    expect(JSON.stringify(lines())).not.toContain('4155550100');
  });

  it('logs pii in clear only when enabled', () => {
    const { stream, lines } = capture();
    const log = createLogger({ destination: stream, logPii: true });
    log.info({ pii: { to: '+14155550111' } }, 'transfer.dialing');
    expect(lines()[0]?.['pii']).toEqual({ to: '+14155550111' });
  });
});
