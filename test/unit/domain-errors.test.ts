import { describe, expect, it } from 'vitest';
import { CarrierError, isRetryableStatus } from '../../src/domain/errors.js';

describe('carrier errors', () => {
  it.each([
    [0, true],
    [400, false],
    [404, false],
    [408, true],
    [429, true],
    [500, true],
    [503, true],
  ])('status %i retryable=%s', (status, retryable) => {
    expect(isRetryableStatus(status)).toBe(retryable);
    expect(new CarrierError('twilio', status, '20404', 'x').retryable).toBe(retryable);
  });

  it('keeps the carrier code and a stable error code', () => {
    const err = new CarrierError('plivo', 404, 'not_found', 'no such call');
    expect(err.code).toBe('carrier_error');
    expect(err.carrierCode).toBe('not_found');
    expect(err.carrier).toBe('plivo');
  });
});
