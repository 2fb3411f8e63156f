// Response shapes of the Kontroler API (times are ISO 8601 strings), derived from the server's
// schemas in @kontroler/api-schema: types only, so nothing of TypeBox reaches the UI bundle.
import type { Static } from '@sinclair/typebox';
import type {
  ApplyResultView,
  ApprovalDecisionBody,
  ApprovalDecisionView,
  ApprovalView,
  BackfillBody,
  BackfillCreatedView,
  BackfillDetailView,
  BackfillView,
  LogChunkTimesView,
  TaskMarkBody,
  TaskRequestView,
  TaskRetryBody,
  AttemptView,
  AuditEntryView,
  AuthProvidersView,
  Binding,
  DagTaskSummaryView,
  DagGridView,
  DagVersionView,
  DagView,
  DeliveryView,
  ErrorBody as ErrorBodySchema,
  FieldErrorView,
  LogEventView,
  LoginResultView,
  MeView,
  RoleSchema,
  RunDetailView,
  RunStatusSchema,
  RunSummary,
  RunTaskView,
  GraphSummaryView,
  TaskStatusSchema,
  StatsView,
  TokenView,
  UserView,
  ValidateResultView,
} from '@kontroler/api-schema';

export type { PageOf as Page } from '@kontroler/api-schema';

export type RunStatus = Static<typeof RunStatusSchema>;
export type TaskStatus = Static<typeof TaskStatusSchema>;
export type Role = Static<typeof RoleSchema>;
export type FieldError = Static<typeof FieldErrorView>;
export type ErrorBody = Static<typeof ErrorBodySchema>;
export type RoleBinding = Static<typeof Binding>;
export type LoginResult = Static<typeof LoginResultView>;
export type Me = Static<typeof MeView>;
/** How one signs in to a server: the password form, single sign-on, or both. */
export type AuthProviders = Static<typeof AuthProvidersView>;
export type User = Static<typeof UserView>;
export type ApiToken = Static<typeof TokenView>;
export type Dag = Static<typeof DagView>;
export type DagTaskSummary = Static<typeof DagTaskSummaryView>;
export type ApplyResult = Static<typeof ApplyResultView>;
export type ValidateResult = Static<typeof ValidateResultView>;
export type Run = Static<typeof RunSummary>;
export type Attempt = Static<typeof AttemptView>;
export type RunTask = Static<typeof RunTaskView>;
/** An approval task's request (`RunTask.approval`) and, once made, its decision. */
export type Approval = Static<typeof ApprovalView>;
/** A recorded decision on an approval attempt (what approve / reject answer). */
export type ApprovalDecision = Static<typeof ApprovalDecisionView>;
/** The body of approve / reject: a comment for the record, the approval's declared inputs. */
export type ApprovalDecisionInput = Static<typeof ApprovalDecisionBody>;
/** Stored chunks of an attempt's log: byte ranges and when each was stored. */
export type LogChunkTimes = Static<typeof LogChunkTimesView>;
/** A retry or mark of one task, as recorded for the run's controller. */
export type TaskRequest = Static<typeof TaskRequestView>;
export type TaskRetryInput = Static<typeof TaskRetryBody>;
export type TaskMarkInput = Static<typeof TaskMarkBody>;
export type RunDetail = Static<typeof RunDetailView>;
/** The grouped graph of a DAG of more than 2,000 tasks (`RunDetail.graphSummary`). */
export type GraphSummary = Static<typeof GraphSummaryView>;
export type WebhookDelivery = Static<typeof DeliveryView>;
export type Stats = Static<typeof StatsView>;
export type LogEvent = Static<typeof LogEventView>;
export type DagVersion = Static<typeof DagVersionView>;
/** A DAG's last runs × its tasks (GET …/dags/{name}/grid). */
export type DagGrid = Static<typeof DagGridView>;
export type AuditEntry = Static<typeof AuditEntryView>;
/** A backfill with its progress (issue 18). */
export type Backfill = Static<typeof BackfillView>;
export type BackfillDetail = Static<typeof BackfillDetailView>;
export type BackfillInput = Static<typeof BackfillBody>;
/** What creating a backfill answers: its fire times (all of them on a dry run) and those skipped. */
export type BackfillCreated = Static<typeof BackfillCreatedView>;

/** A run as the live-update streams send it (GET /runs/{id}/events, GET /events). */
export interface RunChangeEvent {
  id: number;
  namespace: string;
  dag: string;
  status: RunStatus;
  requested: 'cancel' | 'retry' | 'tasks' | null;
  taskCounts: Record<string, number>;
  taskTotal: number;
  startedAt: string | null;
  finishedAt: string | null;
  /** Increases with every change of the run; the per-run stream's event id. */
  version: string;
}
