/**
 * `<Stream>` (protocols.md §3.2): body = the `wss://` URL; `bidirectional`, `audioTrack`,
 * `contentType` (default `audio/x-l16;rate=8000`), `extraHeaders` (`k=v,k=v`, alphanumerics,
 * ≤ 512 bytes), `streamTimeout` (s, default 86400), `statusCallbackUrl`, `keepCallAlive`. With
 * `keepCallAlive="true"` the element blocks until the stream disconnects, then the next element
 * runs; without it the stream forks off and the next element runs at once. Invalid attributes
 * fail the document, as Plivo's validation does.
 */
import type { AudioTrack, StreamSpec } from '../media-stream.js';
import { aborted, type ElementContext, type ElementOutcome } from '../runner.js';
import { DEFAULT_CONTENT_TYPE, STREAM_CONTENT_TYPES } from '../stream-messages.js';
import { boolAttr, intAttr, methodAttr, type XmlElement } from '../xml.js';

/** Plivo's limit on `<Stream extraHeaders>`, bytes (protocols.md §3.2, from the Stream XML reference). */
const MAX_EXTRA_HEADERS_BYTES = 512;

const TRACKS: ReadonlySet<string> = new Set(['inbound', 'outbound', 'both']);
const EXTRA_HEADERS = /^[A-Za-z0-9]+=[A-Za-z0-9]+(?:,[A-Za-z0-9]+=[A-Za-z0-9]+)*$/;

/** The stream's spec, or why Plivo would refuse the element. */
export function streamSpec(
  el: XmlElement,
  ec: Pick<ElementContext, 'fe' | 'resolveUrl'>,
): StreamSpec | string {
  const a = el.attributes;
  if (el.text === '') return '<Stream> needs the WebSocket URL as its body';
  const bidirectional = boolAttr(el, 'bidirectional', false);
  const audioTrack = a['audioTrack'] ?? 'inbound';
  if (!TRACKS.has(audioTrack)) return `<Stream audioTrack="${audioTrack}"> is not inbound, outbound or both`;
  if (bidirectional && audioTrack !== 'inbound')
    return '<Stream bidirectional="true"> needs audioTrack="inbound"';
  const contentType = a['contentType'] ?? DEFAULT_CONTENT_TYPE;
  const format = STREAM_CONTENT_TYPES[contentType];
  if (format === undefined) return `<Stream contentType="${contentType}"> is not supported`;
  const extraHeaders = a['extraHeaders'] ?? '';
  if (Buffer.byteLength(extraHeaders) > MAX_EXTRA_HEADERS_BYTES)
    return `<Stream extraHeaders> exceeds ${MAX_EXTRA_HEADERS_BYTES} bytes`;
  if (extraHeaders !== '' && ec.fe.options.strictExtraHeaders && !EXTRA_HEADERS.test(extraHeaders)) {
    return '<Stream extraHeaders> must be k=v pairs of alphanumerics, comma-separated';
  }
  const statusCallbackUrl =
    a['statusCallbackUrl'] === undefined ? undefined : ec.resolveUrl(a['statusCallbackUrl']);
  return {
    url: el.text,
    bidirectional,
    audioTrack: audioTrack as AudioTrack,
    format,
    extraHeaders,
    keepCallAlive: boolAttr(el, 'keepCallAlive', false),
    streamTimeoutSec: Math.max(1, intAttr(el, 'streamTimeout', 86_400)),
    ...(statusCallbackUrl === undefined
      ? {}
      : { statusCallbackUrl, statusCallbackMethod: methodAttr(el, 'statusCallbackMethod') }),
  };
}

export async function streamElement(el: XmlElement, ec: ElementContext): Promise<ElementOutcome> {
  const { fe, call, signal } = ec;
  const spec = streamSpec(el, ec);
  if (typeof spec === 'string') {
    fe.markupError(call.uuid, spec);
    return { type: 'hangup' };
  }
  const stream = fe.startStream(call, spec);
  if (!spec.keepCallAlive) return { type: 'next' };
  const result = await Promise.race([stream.ended, aborted(signal)]);
  if (result === 'aborted') {
    // A transfer or a hang-up: Plivo closes the socket as the call leaves <Stream> (§3.6).
    await stream.stop();
    return { type: 'end' };
  }
  if (result.reason === 'dropped' && fe.options.onMediaDrop === 'hangup') return { type: 'hangup' };
  return { type: 'next' };
}
