export * from './schemas.js';
export * from './views.js';
export * from './backfill-views.js';
