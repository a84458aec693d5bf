import { existsSync } from 'node:fs';

/** Debian's Chromium (`apt-get install chromium`); .ci/run installs it when missing. */
export const CHROMIUM = '/usr/bin/chromium';

export function chromiumMissing(): boolean {
  return !existsSync(CHROMIUM);
}
