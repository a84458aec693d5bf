import { describe, expect, it } from 'vitest';
import { createPlivoAdapter } from '../../providers/plivo/adapter.js';
import { CarrierError } from '../../src/domain/errors.js';

/**
 * Plivo answers 404 to a live-call command (transfer, hang up) for a call that is not live any
 * more (the simulator's rest-calls.ts, as `GET /Call/{uuid}/?status=live` does): the daemon takes
 * it as the caller having hung up (`call_gone`, effect-failures.ts), not as a carrier error. Lossy
 * property seed 0x24: a caller who hung up in the whisper, their hangup_url lost, was recorded
 * `carrier_error`.
 */
describe('Plivo: a refusal for a call that is over', () => {
  const adapter = createPlivoAdapter({
    publicUrl: 'https://pt.example.com/pt/',
    authId: 'MA1234567890ABCDEFGH',
    authToken: 'token',
  });

  it('404 is call_gone', () => {
    expect(adapter.classifyError?.(new CarrierError('plivo', 404, undefined, 'not found'))).toBe('call_gone');
  });

  it('any other answer is not', () => {
    for (const status of [400, 401, 429, 500, 503])
      expect(adapter.classifyError?.(new CarrierError('plivo', status, undefined, 'no'))).toBeUndefined();
    expect(adapter.classifyError?.(new Error('socket hang up'))).toBeUndefined();
  });
});
