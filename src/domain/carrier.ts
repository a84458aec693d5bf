/**
 * A carrier's name, as its adapter declares it (`CarrierAdapterFactory.carrier`): the value of an
 * agent's `carrier`, the first segment of its webhook paths, a label on logs and metrics. The
 * carriers the daemon speaks are the adapters listed in providers/index.ts; no list lives here.
 */
export type Carrier = string;
