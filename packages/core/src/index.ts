export * from './spec.js';
export * from './errors.js';
