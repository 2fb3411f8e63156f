export { KontrolerClient, ApiError, type ClientOptions, type ListRunsQuery, type ResourceFormat } from './client.js';
export type * from './types.js';
