/**
 * Building a media frame's bytes directly, for the frames a socket sends 50 times a second per
 * call. Concatenating a string and then `Buffer.from(…)` costs a chain of string pieces, a
 * flattened copy of the whole frame on the V8 heap and then the copy into the buffer; here the
 * frame is written once, into one buffer: constant parts copied from buffers made once, numbers
 * written digit by digit, the base64 payload copied (src/lib/base64-payload.ts).
 */

/** A constant part of a frame, as bytes (UTF-8, so any text is written as JSON means it). */
export function framePart(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** Digits in the decimal form of a non-negative integer. */
export function decimalLength(n: number): number {
  let length = 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) length += 1;
  return length;
}

/** Writes `part` at `at`; returns the offset after it. */
export function putPart(out: Buffer, at: number, part: Buffer): number {
  out.set(part, at);
  return at + part.length;
}

/** Writes a non-negative integer's decimal digits at `at`; returns the offset after them. */
export function putDecimal(out: Buffer, at: number, n: number): number {
  const end = at + decimalLength(n);
  let i = end;
  let rest = n;
  do {
    i -= 1;
    out[i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  } while (rest > 0);
  return end;
}
