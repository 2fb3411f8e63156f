export { KontrolerClient, ApiError, LOG_PAGE_BYTES, type ClientOptions, type ListRunsQuery, type ResourceFormat } from './client.js';
export type * from './types.js';
