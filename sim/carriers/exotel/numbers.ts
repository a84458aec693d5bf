/**
 * Exotel writes Indian numbers in national format, with the trunk prefix and no country code
 * (`CallFrom=09901320691`, `CallTo=08069891522`; protocols.md, corrections). The simulated
 * network knows numbers in E.164; this is how Exotel's requests show them. Numbers outside
 * India are left in E.164 (UNCONFIRMED how Exotel writes them).
 */
export function exotelNumber(e164: string): string {
  return /^\+91\d{10}$/.test(e164) ? `0${e164.slice(3)}` : e164;
}

/** The E.164 form of a number Exotel's API was given in either format (`08069891522` or `+91…`). */
export function fromExotelNumber(text: string): string {
  const digits = text.trim();
  if (/^0\d{10}$/.test(digits)) return `+91${digits.slice(1)}`;
  if (/^91\d{10}$/.test(digits)) return `+${digits}`;
  return digits;
}
