import { describe, it } from 'vitest';
import type { E2eCarrier } from './fixture.js';
import { useE2e } from './fixture.js';
import { exotelNumber, INBOUND } from './harness.js';
import { playRow, ROWS } from './matrix-rows.js';

/** The transfer matrix (matrix-rows.ts) on every carrier, on a private real Redis and real time. */
describe.each(['twilio', 'plivo', 'exotel'] as const)(
  '%s: the transfer matrix (Redis)',
  (carrier: E2eCarrier) => {
    const e2e = useE2e(carrier);

    it.each(ROWS)('$name', async (row) => {
      const h = await e2e.run(row.options);
      // Exotel: Programmable Connect carries the ring timeout per call (docs/exotel.md).
      if (carrier === 'exotel')
        h.sim.exotel.configureNumber(INBOUND, exotelNumber(h.publicUrl, { programmable: true }));
      await playRow(row, h, (hh) => e2e.placeCall(hh));
    });
  },
);
