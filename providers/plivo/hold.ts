import { holdMusicWav } from '../../src/media/hold-music.js';
import type { AssetRoute } from '../types.js';
import { waitSoundXml } from './markup.js';
import { onPublicUrl } from './routes.js';

/** Where the daemon serves its default `waitSound` and the music it plays (docs/plivo.md). */
export const PLIVO_HOLD_PATHS = {
  waitSound: '/plivo/hold',
  music: '/plivo/hold.wav',
} as const;

/** `https://pt.example.com/plivo/hold`: the `waitSound` of a hold with no `holdAudio`. */
export function buildWaitSoundUrl(publicUrl: string): string {
  return onPublicUrl(publicUrl, PLIVO_HOLD_PATHS.waitSound).toString();
}

/**
 * The default hold, served by the daemon on its public URL (no CDN to reach, nothing to host):
 * - `POST /plivo/hold`, the `waitSound` — Plivo fetches it with a POST it signs like every
 *   request (signature V3), so an unsigned one is refused; it answers `<Play loop="0">` of
 * - `GET /plivo/hold.wav`, the music: 16-bit PCM WAV, 8 kHz mono, one of the two formats Plivo's
 *   `<Play>` takes (MP3, WAV). A media file is fetched like any file on the web, with no
 *   signature to check: it is public and the same for every call.
 */
export function plivoHoldAssets(publicUrl: string): readonly AssetRoute[] {
  const musicUrl = onPublicUrl(publicUrl, PLIVO_HOLD_PATHS.music).toString();
  const xml = waitSoundXml(musicUrl);
  return Object.freeze([
    {
      method: 'POST',
      path: PLIVO_HOLD_PATHS.waitSound,
      signed: true,
      contentType: xml.contentType,
      body: xml.body,
    },
    {
      method: 'GET',
      path: PLIVO_HOLD_PATHS.music,
      signed: false,
      contentType: 'audio/wav',
      body: holdMusicWav(),
    },
  ] as const);
}
