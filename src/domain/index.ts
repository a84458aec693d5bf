export * from './carrier.js';
export * from './errors.js';
export * from './media.js';
export * from './outcome.js';
