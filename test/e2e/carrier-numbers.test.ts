import { describe, expect, it } from 'vitest';
import { useE2e } from './fixture.js';
import { exotelNumber, waitForRecord } from './harness.js';

/**
 * Numbers as each carrier writes them: Exotel sends Indian numbers in national format
 * (`CallFrom=09901320691`, `CallTo=08069891522`). The Exotel adapter reads them in India's
 * numbering plan by default, so the documented setup (no `DEFAULT_REGION`) routes the call.
 */

const EXOPHONE = '+918069891522';
const INDIAN_CALLER = '+919901320691';

describe('exotel numbers in national format', () => {
  const e2e = useE2e('exotel');

  it('routes a call Exotel reports as 09901320691 → 08069891522 with no DEFAULT_REGION set', async () => {
    const h = await e2e.run({
      script: [{ say: 300 }],
      agent: (agent) => ({ ...agent, numbers: [EXOPHONE], outboundNumber: EXOPHONE }),
    });
    h.sim.exotel.configureNumber(EXOPHONE, exotelNumber(h.publicUrl));
    const call = await h.sim.network.placeCall({
      carrier: 'exotel',
      from: INDIAN_CALLER,
      to: EXOPHONE,
      audio: { type: 'tone', hz: 440 },
    });
    const record = await waitForRecord(h, call.sid, (r) => r.phase === 'ai');
    expect(record.pii).toEqual({ from: INDIAN_CALLER, to: EXOPHONE });
    // The simulator wrote the numbers as Exotel does.
    // (logged once the daemon's answer is back)
    const voicebot = await h.sim.waitFor(() =>
      h.sim.log.ofType('webhook.sent').find((e) => e.callSid === call.sid && e.url.includes('/exotel/voice')),
    );
    expect(voicebot?.params).toMatchObject({ CallFrom: '09901320691', CallTo: '08069891522' });
    await h.sim.waitFor(() => call.heard.from('stream:').length > 0, 5000);
    call.hangup();
    await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
  });
});
