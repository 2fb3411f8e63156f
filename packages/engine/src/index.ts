export * from './state.js';
export * from './events.js';
export * from './runtime.js';
