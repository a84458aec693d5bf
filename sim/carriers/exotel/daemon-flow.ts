/**
 * The flow docs/exotel.md has users build for the daemon at `daemonUrl`: Voicebot (dynamic URL)
 * → Passthru `next` (200 → Connect, 302 → Hangup) → Connect (`dial-up`, its events to `status`;
 * after a conversation and when nobody answered → Passthru `dial-action`: 200 → Voicebot,
 * 302 → `next`). Every URL carries the daemon's webhook secret as Basic-auth userinfo
 * (`exotel:SECRET@`), unless `daemonUrl` already has a password. `programmable`: the Connect
 * applet asks as Programmable Connect (JSON answers with the ring timeout, hold music, whisper).
 * `ringOverrunSec`: the applet rings that much longer than the timeout it was given.
 * `ringTimeoutSec`: the applet's own ring timeout, which docs/exotel.md has users set to the
 * agent's `ringTimeoutSec` (unset, the simulator's `connectRingTimeoutSec`, 30 s, applies).
 */
import type { ExotelNumberConfig } from './options.js';

export interface DaemonFlowOptions {
  readonly programmable?: boolean;
  readonly ringOverrunSec?: number;
  readonly ringTimeoutSec?: number;
}

export function daemonFlow(
  daemonUrl: string,
  webhookSecret: string,
  options: DaemonFlowOptions = {},
): ExotelNumberConfig {
  const base = new URL(daemonUrl);
  if (base.password === '') {
    base.username = 'exotel';
    base.password = webhookSecret;
  }
  const at = (path: string) => `${base.toString().replace(/\/+$/, '')}${path}`;
  return {
    flow: [
      { type: 'voicebot', id: 'voicebot', url: at('/exotel/voice'), next: 'next' },
      { type: 'passthru', id: 'next', url: at('/exotel/next'), next: 'connect', onRedirect: 'hangup' },
      {
        type: 'connect',
        id: 'connect',
        dialWhom: { url: at('/exotel/dial-up') },
        ...(options.programmable ? { programmable: true } : {}),
        ...(options.ringOverrunSec === undefined ? {} : { ringOverrunSec: options.ringOverrunSec }),
        ...(options.ringTimeoutSec === undefined ? {} : { ringTimeoutSec: options.ringTimeoutSec }),
        eventsUrl: at('/exotel/status'),
        // After a conversation too: the daemon decides (a human who hung up during the whisper
        // was never bridged, and the caller goes back to the AI).
        next: 'dial-action',
        onNoAnswer: 'dial-action',
      },
      {
        type: 'passthru',
        id: 'dial-action',
        url: at('/exotel/dial-action'),
        next: 'voicebot',
        onRedirect: 'next',
      },
      { type: 'hangup', id: 'hangup' },
    ],
    statusCallback: at('/exotel/status'),
  };
}
