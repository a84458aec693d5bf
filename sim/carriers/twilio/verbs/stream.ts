/**
 * `<Connect><Stream>` (bidirectional; blocks until the stream ends, then the next verb or the
 * `<Connect action>`), `<Start><Stream>` (unidirectional fork; execution continues at once) and
 * `<Stop><Stream>` (protocols.md §2.2).
 */
import { aborted } from '../../../aborted.js';
import type { StreamSpec, StreamTrack } from '../media-stream.js';
import type { TwimlElement } from '../twiml-parser.js';
import type { VerbContext, VerbOutcome } from '../twiml-runner.js';

const TRACKS: ReadonlySet<string> = new Set(['inbound_track', 'outbound_track', 'both_tracks']);

function streamSpec(el: TwimlElement, bidirectional: boolean): StreamSpec {
  const a = el.attributes;
  const parameters: Record<string, string> = {};
  for (const child of el.children) {
    const name = child.attributes['name'];
    if (child.name === 'Parameter' && name !== undefined) parameters[name] = child.attributes['value'] ?? '';
  }
  const track = a['track'] ?? 'inbound_track';
  return {
    url: a['url'] ?? '',
    ...(a['name'] === undefined ? {} : { name: a['name'] }),
    track: TRACKS.has(track) ? (track as StreamTrack) : 'inbound_track',
    bidirectional,
    parameters,
    ...(a['statusCallback'] === undefined ? {} : { statusCallback: a['statusCallback'] }),
    ...(a['statusCallbackMethod']?.toUpperCase() === 'GET' ? { statusCallbackMethod: 'GET' as const } : {}),
  };
}

export async function connectVerb(verb: TwimlElement, vc: VerbContext): Promise<VerbOutcome> {
  const { fe, call, signal } = vc;
  const streamEl = verb.children.find((c) => c.name === 'Stream');
  if (!streamEl) {
    fe.markupError(
      call.sid,
      12200,
      `<Connect> without <Stream> (${verb.children[0]?.name ?? 'empty'}) is not simulated`,
    );
    return { type: 'next' };
  }
  const stream = fe.startStream(call, streamSpec(streamEl, true));
  const result = await Promise.race([stream.ended, aborted(signal)]);
  if (result === 'aborted') {
    // A REST redirect or a hang-up: Twilio sends `stop` and closes the socket (§2.3).
    await stream.stop();
    return { type: 'end' };
  }
  if (result.reason === 'dropped' && fe.options.onMediaDrop === 'hangup') return { type: 'hangup' };
  const action = verb.attributes['action'];
  if (action === undefined) return { type: 'next' };
  const url = vc.resolveUrl(action);
  if (!url) {
    fe.markupError(call.sid, 11100, `<Connect action> is not a valid URL: ${action}`);
    return { type: 'hangup' };
  }
  const method = verb.attributes['method']?.toUpperCase() === 'GET' ? 'GET' : 'POST';
  return { type: 'goto', source: { type: 'url', url, method, kind: 'action' } };
}

export function startVerb(verb: TwimlElement, vc: VerbContext): VerbOutcome {
  for (const el of verb.children) {
    if (el.name === 'Stream') vc.fe.startStream(vc.call, streamSpec(el, false));
    else vc.fe.markupError(vc.call.sid, 12200, `<Start><${el.name}> is not simulated`);
  }
  return { type: 'next' };
}

export async function stopVerb(verb: TwimlElement, vc: VerbContext): Promise<VerbOutcome> {
  for (const el of verb.children) {
    if (el.name !== 'Stream') continue;
    const name = el.attributes['name'];
    for (const s of vc.fe.streamsOf(vc.call.sid)) {
      if (
        !s.spec.bidirectional &&
        !s.isEnded &&
        (name === undefined || s.spec.name === name || s.sid === name)
      ) {
        await s.stop();
      }
    }
  }
  return { type: 'next' };
}
