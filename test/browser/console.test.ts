import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CALLER, type ConsoleParts, startConsoleParts } from '../../demo/console-parts.js';
import { CHROMIUM, chromiumMissing } from './chromium.js';

/**
 * The operator console in Debian's Chromium, driven by playwright-core, against the daemon
 * running beside the carrier simulator (demo/console-parts.ts): calls are real simulated calls
 * through the daemon. One page goes through the views in turn, as an operator would. The
 * screenshots in docs/img/ are taken with UPDATE_CONSOLE_SCREENSHOTS=1 (and not otherwise, to keep
 * the run short).
 */

const KEY = 'console-browser-key-0123456789';
const WRONG_KEY = 'console-wrong-key-0123456789';
const UPDATE_SHOTS = process.env.UPDATE_CONSOLE_SCREENSHOTS === '1';
const SHOTS = 'docs/img';
/** Each wait in the page, ms: the warm transfer connects about 5 s after it starts (the whisper), later on a loaded machine. */
const WAIT_MS = 20_000;

describe.skipIf(chromiumMissing())('operator console in Chromium', () => {
  let parts: ConsoleParts;
  let browser: Browser;
  let p: Page;

  beforeAll(async () => {
    if (UPDATE_SHOTS) mkdirSync(SHOTS, { recursive: true });
    [parts, browser] = await Promise.all([
      startConsoleParts({ keys: `${KEY}:calls:read+calls:write` }),
      chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
    ]);
    p = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    p.setDefaultTimeout(WAIT_MS);
  });

  afterAll(async () => {
    await p?.close();
    await browser?.close();
    await parts?.stop();
  });

  async function shot(name: string, fullPage = false): Promise<void> {
    if (UPDATE_SHOTS) await p.screenshot({ path: join(SHOTS, name), fullPage });
  }

  async function signIn(key: string): Promise<void> {
    await p.goto(`${parts.url}/console/`);
    await p.fill('#key', key);
    await p.keyboard.press('Enter');
  }

  async function place(scenario: string): Promise<string> {
    const res = await fetch(`${parts.url}/v1/console/try`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scenario }),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { callId: string }).callId;
  }

  it('a wrong key sees nothing: refused at sign-in, no data requested with it succeeds', async () => {
    const answered: number[] = [];
    p.on('response', (r) => {
      if (new URL(r.url()).pathname.startsWith('/v1/')) answered.push(r.status());
    });
    await signIn(WRONG_KEY);
    await expect.poll(() => p.textContent('#login-error')).toContain('not accepted');
    expect(await p.locator('#live-calls').count()).toBe(0);
    expect(await p.isHidden('#nav')).toBe(true);
    expect(await p.evaluate<number>('sessionStorage.length')).toBe(0);
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.every((s) => s === 401)).toBe(true);
    // Without any key the stream is refused too.
    const stream = await fetch(`${parts.url}/v1/console/stream`);
    expect(stream.status).toBe(401);
    p.removeAllListeners('response');
  });

  it('signs in, sees a live call appear, follows a warm transfer to connected', async () => {
    await signIn(KEY);
    await p.waitForSelector('#live-calls');
    await expect.poll(() => p.textContent('#live')).toContain('live');
    const callId = await place('warm-whisper');
    const row = p.locator(`#live-calls tr[data-call="${callId}"]`);
    await row.waitFor();
    await shot('console-live.png');
    // Keyboard: the row's link is reachable and opens the timeline.
    await row.locator('a').focus();
    await p.keyboard.press('Enter');
    await p.waitForSelector('.verdict[data-outcome="connected"]');
    expect(await p.textContent('#verdict')).toContain('a person took the call');
    await p.waitForSelector('[data-lane^="leg:"] [data-state="joined"]');
    await p.waitForSelector('[data-lane="caller"] [data-state="hold"]');
    await p.waitForSelector('[data-event="human.joined"]');
    // Numbers masked as the API masks them: the caller's number never reaches the page.
    const text = (await p.textContent('main')) ?? '';
    expect(text).not.toContain(CONSOLE_CALLER);
    expect(text).toContain(`+*******${CONSOLE_CALLER.slice(-4)}`);
    // An event, chosen from the keyboard, shows its details.
    await p.focus('[data-event="leg.answered"]');
    await p.keyboard.press('Enter');
    await expect.poll(() => p.textContent('#event-details')).toContain('whisper=playing');
    // Times in the browser's zone, the offset said.
    expect(await p.textContent('#zone')).toMatch(/UTC[+-]\d\d:\d\d/);
    await shot('console-timeline.png', true);
  });

  it('Try it places a call whose failed transfer says why, with the carrier code', async () => {
    await p.click('#nav-try');
    await p.check('input[value="warm-busy"]');
    await shot('console-try.png');
    await p.click('#place');
    await p.waitForURL(/#\/call\//);
    const verdict = p.locator('.verdict[data-outcome="busy"]');
    await verdict.waitFor();
    expect(await verdict.textContent()).toContain('the line was busy (carrier code 486)');
    await p.waitForSelector('[data-lane^="leg:"] [data-event="leg.ended"]');
    await shot('console-failed.png', true);
  });

  it("shows the agents' charts, and reads on a phone", async () => {
    await p.click('a[href="#/agents"]');
    const card = p.locator('.card[data-agent="demo-warm"]');
    await card.waitFor();
    // Once the two calls above have ended (one connected, one busy), the page reloads the figures.
    const rings = async () =>
      `${await card.locator('svg.ring').first().getAttribute('aria-label')} / ${await card.locator('svg.ring').nth(1).getAttribute('aria-label')}`;
    await expect.poll(rings, { timeout: WAIT_MS }).toBe('Transfer rate: 100% / Success rate: 50%');
    const outcomes = await card.locator('svg.chart').nth(1).getAttribute('aria-label');
    expect(outcomes).toContain('connected 1');
    expect(outcomes).toContain('busy 1');
    expect(await card.locator('svg.chart').nth(2).getAttribute('aria-label')).toMatch(/p50 \d+\.\d s/);
    await shot('console-agents.png', true);

    // On a phone's screen: nothing wider than the screen but the tables' own scroll areas.
    await p.setViewportSize({ width: 390, height: 844 });
    for (const view of ['#/agents', '#/calls']) {
      await p.evaluate<string>(`location.hash = '${view}'`);
      await p
        .locator(view === '#/agents' ? '.card' : '#live-calls')
        .first()
        .waitFor();
      const overflow = await p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow, view).toBeLessThanOrEqual(0);
    }
    await p.evaluate<string>(`location.hash = '#/agents'`);
    await p.locator('.card').first().waitFor();
    await shot('console-phone.png');
  });

  it('a change the stream reports while the timeline is loading is drawn once that load ends', async () => {
    await p.setViewportSize({ width: 1280, height: 800 });
    const callId = await place('warm-whisper');
    const path = `/v1/console/calls/${encodeURIComponent(callId)}`;
    const read = async () => {
      const res = await fetch(`${parts.url}${path}`, { headers: { authorization: `Bearer ${KEY}` } });
      return (await res.json()) as { phase: string; transfers: { outcome?: string }[] };
    };
    // The timeline's first load is answered with what the call was when it was asked, but only
    // after the call has ended and the stream has said so: every change arrives during that load.
    let held = 0;
    let staleOutcome: string | undefined = 'unread';
    await p.route(`**${path}`, async (route) => {
      if (held++ > 0) return route.continue();
      const stale = await route.fetch();
      staleOutcome = ((await stale.json()) as { transfers: { outcome?: string }[] }).transfers[0]?.outcome;
      await expect.poll(async () => (await read()).phase, { timeout: WAIT_MS, interval: 200 }).toBe('ended');
      await new Promise((r) => setTimeout(r, 1500));
      await route.fulfill({ response: stale });
    });
    await p.evaluate<string>(`location.hash = '#/call/${encodeURIComponent(callId)}'`);
    await p.waitForSelector('.verdict[data-outcome="connected"]');
    expect(staleOutcome).toBeUndefined();
    expect(held).toBeGreaterThan(1);
    await p.unroute(`**${path}`);
  });
});

if (chromiumMissing()) {
  describe('operator console in Chromium', () => {
    it.skip(`needs ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`, () => undefined);
  });
}
