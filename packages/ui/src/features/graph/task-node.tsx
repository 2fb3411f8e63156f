// One task on the canvas: name, status colour, a detail line (the last attempt's duration, then
// image / exit code / reason),
// attempt count on run graphs, problem count in the editor. A mapped task shows `[×N]` (N its
// instances, blank until its items are known) and chips for instances running and failed. An
// approval task waiting for a person has its own colour and says "waiting for approval". A dagRef
// task (a sub-DAG) has a `↳ DAG` mark naming the DAG its child run runs.
import { memo } from 'react';
import { Handle, Position, type NodeProps, type Node } from '@xyflow/react';
import { toneOf } from '../../lib/status.js';
import { formatDuration } from '../../lib/format.js';
import type { MapProgress } from './model.js';

export interface TaskNodeData extends Record<string, unknown> {
  label: string;
  status?: string;
  detail?: string;
  attempts?: number;
  errors?: string[];
  /** A mapped task: its instances' progress. */
  map?: MapProgress;
  /** An approval task waiting for a person: its own colour and an `approval` mark. */
  awaiting?: boolean;
  /** A dagRef task: the DAG it runs as a child run ('' while not known). */
  subDag?: string;
  /** Run graphs: the last attempt's duration, once it ended. */
  durationMs?: number;
  direction: 'LR' | 'TB';
}

export type TaskFlowNode = Node<TaskNodeData, 'task'>;

export const TaskNode = memo(function TaskNode({ data }: NodeProps<TaskFlowNode>) {
  const tone = data.awaiting ? 'approval' : data.status ? toneOf(data.status) : 'info';
  const errs = data.errors?.length ?? 0;
  const lr = data.direction === 'LR';
  return (
    <div
      className={`task-node tone-${tone}${errs ? ' has-errors' : ''}${data.map ? ' mapped' : ''}`}
      data-task={data.label}
      data-status={data.status}
      data-approval={data.awaiting ? 'waiting' : undefined}
      title={errs ? data.errors!.join('\n') : `${data.label}${data.status ? ` — ${data.status}` : ''}${data.detail ? `\n${data.detail}` : ''}`}
    >
      <Handle type="target" position={lr ? Position.Left : Position.Top} />
      <div className="name">
        <span style={{ overflow: 'hidden', textOverflow: 'ellipsis' }}>{data.label}</span>
        {errs ? <span className="err-count" aria-label={`${errs} problems`}>{errs}</span> : null}
        {!errs && !data.map && data.attempts !== undefined && data.attempts > 1 ? <span className="att" title={`${data.attempts} attempts`}>×{data.attempts}</span> : null}
        {data.map ? <MapMarks map={data.map} /> : null}
        {data.subDag !== undefined ? (
          <span className="sub-dag-mark" data-testid="sub-dag-mark" title={`Runs DAG ${data.subDag || '(not known yet)'} as a child run`}>
            ↳ {data.subDag || 'sub-DAG'}
          </span>
        ) : null}
        {data.awaiting ? <span className="approval-mark" title="Waits for a person to approve or reject it">approval</span> : null}
      </div>
      <div className="detail">
        {data.durationMs !== undefined ? (
          <span className="took" data-testid="node-duration" title="How long its last attempt took">
            {formatDuration(data.durationMs)}
          </span>
        ) : null}
        {data.awaiting ? data.detail : data.status ? `${data.status}${data.detail ? ` · ${data.detail}` : ''}` : (data.detail ?? '')}
      </div>
      <Handle type="source" position={lr ? Position.Right : Position.Bottom} />
    </div>
  );
});

function MapMarks({ map }: { map: MapProgress }) {
  return (
    <span className="map-marks" data-map-total={map.total ?? ''} data-map-done={map.done} data-map-running={map.running} data-map-failed={map.failed}>
      {map.running > 0 ? <span className="map-chip tone-running" title={`${map.running} instances running`}>{map.running}</span> : null}
      {map.failed > 0 ? <span className="map-chip tone-danger" title={`${map.failed} instances failed`}>{map.failed}</span> : null}
      <span className="map-mark" title={map.total === undefined ? 'Mapped task: items not known yet' : `Mapped task: ${map.total} instances`}>
        [×{map.total ?? ' '}]
      </span>
    </span>
  );
}

export const nodeTypes = { task: TaskNode };
