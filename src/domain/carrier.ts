/** The carriers patchthrough speaks to. Adding one: a folder under providers/ and a line in providers/index.ts. */
export const CARRIERS = ['twilio', 'plivo', 'exotel'] as const;
export type Carrier = (typeof CARRIERS)[number];
