import { afterAll, afterEach, describe, it } from 'vitest';
import type { E2eCarrier } from './fixture.js';
import { exotelNumber, INBOUND } from './harness.js';
import { playRow, ROWS } from './matrix-rows.js';
import { startVirtual, type VirtualRun } from './virtual.js';

/**
 * The transfer matrix (matrix-rows.ts) on every carrier on virtual time: the same rows and
 * checks as matrix.test.ts, with the daemon, the simulator and the agent on one `VirtualTime`
 * and the memory store, so rings and holds cost no wall time.
 */
describe.each(['twilio', 'plivo', 'exotel'] as const)(
  '%s: the transfer matrix (virtual time)',
  (carrier: E2eCarrier) => {
    let run: VirtualRun | undefined;
    const spent: string[] = [];
    afterEach(async () => {
      await run?.stop();
      run = undefined;
    });
    afterAll(() => console.info(`${carrier} matrix on virtual time: ${spent.join('; ')}`));

    it.each(ROWS)('$name', async (row) => {
      const started = performance.now();
      run = await startVirtual({ ...row.options, carrier });
      const h = run.h;
      // Exotel: Programmable Connect carries the ring timeout per call (docs/exotel.md).
      if (carrier === 'exotel')
        h.sim.exotel.configureNumber(INBOUND, exotelNumber(h.publicUrl, { programmable: true }));
      const current = run;
      await playRow(row, h, () => current.placeCall());
      spent.push(
        `${row.name}: ${current.time.elapsedMs} virtual ms, ${Math.round(performance.now() - started)} wall ms`,
      );
    });
  },
);
