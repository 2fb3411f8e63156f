export { KontrolerClient, ApiError, LOG_PAGE_BYTES, RUN_TASKS_PAGE, parseSse, type SseMessage, type ClientOptions, type ListRunsQuery, type StartRunInput, type ResourceFormat, type RunTasksFilter, type RunTasksQuery } from './client.js';
export type * from './types.js';
