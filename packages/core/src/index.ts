export * from './spec.js';
export * from './errors.js';
export {
  childPath,
  parentPath,
  closestMatch,
  didYouMean,
  editDistance,
  type Locator,
  type SourcePosition,
} from './field-path.js';
export {
  DAG_RUN_SPEC_SHAPE,
  DAG_SPEC_SHAPE,
  DAG_TASK_SPEC_SHAPE,
  SUPPORTED_KINDS,
  type Shape,
  type SupportedKind,
} from './schema.js';
export { checkShape } from './shape-check.js';
export { findExcessNesting, MAX_NESTING_DEPTH, type NestingViolation } from './nesting.js';
export { nestingError, parseResources, ROOT_PATH, type ParsedDocument, type ParseResourcesResult } from './load.js';
export { loadValidatedResources, type LoadValidatedResult } from './load-validated.js';
export { parseJsonTree, JsonMap, JsonScalar, JsonSeq, type JsonNode, type JsonPair, type JsonTree } from './json-tree.js';
export {
  validateDag,
  validateDagRun,
  validateDagTask,
  validateResource,
  namespaceOf,
  MAX_CATCH_UP,
  MAX_TASKS_PER_DAG,
  type DagTaskLookup,
  type ValidationContext,
} from './validate.js';
export { LIMITS } from './validate-task.js';
export { checkHttpUrl, checkNamespace, checkParameterName, checkReservedName, checkResourceName, checkTaskName } from './names.js';
export { parseDsl, DSL_DEFAULT_BACKOFF, DSL_PATH, type DslParseResult } from './dsl.js';
export { applyDsl, type DslExpansion } from './dsl-merge.js';
export { tokenize as tokenizeDsl, type Token as DslToken } from './dsl-lexer.js';
export { shellParameterWarnings, MAX_SHELL_WARNINGS } from './shell-warnings.js';
export { MAX_HINT_COMPARISONS } from './report.js';
export { MAX_ALIAS_EXPANSIONS, MAX_ALIAS_EXPANDED_CHARS } from './load.js';
export { findCycles, rootTasks, topologicalOrder, type GraphNode } from './graph.js';
export {
  resolveDag,
  specHash,
  dagTaskSpecHash,
  DEFAULT_CATCH_UP,
  DEFAULT_RETRY_DELAY,
  DEFAULT_TIMEZONE,
  type ResolveResult,
} from './resolve.js';
export { PURE_SHA256, sha256Hex, stableStringify, utf8Bytes, type Sha256 } from './hash.js';
export {
  checkSchedule,
  fireTimesInRange,
  isValidTimezone,
  previousFireTime,
  missedFireTimes,
  nextFireTimes,
  SCHEDULE_DESCRIPTORS,
  type ScheduleCheck,
} from './cron.js';
export {
  dagRunOverrides,
  resolveRunParameters,
  resolveSecretsFromEnv,
  secretEnvName,
  legacySecretEnvName,
  legacySecretVariables,
  lookupEnvSecret,
  type EnvSecretLookup,
  type RunParameters,
} from './params.js';
export { backoffMs, isConnectionError, isRetryable, retryKind, type BackoffPolicy, type RetryKind } from './retryable.js';
export { DATA_FLOW_LIMITS } from './data-flow-limits.js';
export { formatLogicalTime, parseLogicalTime, LOGICAL_TIME_MAX_LENGTH, type LogicalTimeParse } from './logical-time.js';
export { findReferences, substitute, itemText, type Reference, type ReferenceMatch, type ReferenceValues, type Substitution } from './references.js';
export { checkCondition, evaluateCondition, type ConditionContext, type ConditionResult, type ConditionTask } from './condition.js';
export { decodeOutputNames } from './output-names.js';
export { DEFAULT_POD_GC, POD_GC_MAX_DELETE_AFTER_SECONDS, POD_GC_STRATEGIES, parsePodGC, podGCPolicy, podGCProblems, type PodGCPolicy, type PodGCSpec, type PodGCStrategy } from './pod-gc.js';
export {
  LOG_FORMATS,
  createLog,
  errorField,
  jsonLogLine,
  maskUrlPasswords,
  parseLogFormat,
  runContextOf,
  textLogLine,
  type Log,
  type LogFields,
  type LogFormat,
  type LogLevel,
  type LogOptions,
  type LogRecord,
  type LogSink,
} from './log-line.js';
