// The visual DAG editor: drag tasks onto the canvas, connect them, edit the selected task in the
// side form, or edit the YAML; both views stay in sync. Every change is checked by the server's
// own validator (from @kontroler/core) as you type; saving applies the YAML (a new version).
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { Link, useBlocker, useNavigate, useParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Background, Controls, ReactFlow, ReactFlowProvider, useReactFlow,
  type Connection, type Edge, type EdgeChange, type NodeChange, type IsValidConnection,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import type { FieldError, TaskSpec } from '@kontroler/core';
import { ApiError, useApi } from '../../api.js';
import { ErrorBox, Skeleton, useToast } from '../../lib/ui.js';
import { useSession } from '../auth/session.js';
import { freeSpot, layoutGraph } from '../graph/layout.js';
import { edgeId, graphFromTasks } from '../graph/model.js';
import { nodeTypes, type TaskFlowNode } from '../graph/task-node.js';
import { CodeEditor } from './code-editor.js';
import { taskDetail } from './data-flow-model.js';
import { DagSettingsForm } from './dag-settings-form.js';
import {
  addTask, connect, dagFromYaml, dagToYaml, disconnect, docFromSpec, edgesOf, emptyDag, problemsByTask, removeTask, renameTask, tasksOf, updateTask,
  type DagDoc,
} from './model.js';
import { fileOfRefusal, managedFile, overrideQuestion } from './managed-file.js';
import { insideView, spotInView, type Rect } from './placement.js';
import { TaskForm } from './task-form.js';
import { useTitle } from '../../lib/use-title.js';

type Positions = Map<string, { x: number; y: number }>;
type View = 'graph' | 'split' | 'yaml';

const TEMPLATES: Array<{ id: string; label: string; hint: string; task: Partial<TaskSpec> }> = [
  { id: 'script', label: 'Script task', hint: 'runs a shell script', task: { image: 'alpine:3.20', script: 'echo hello' } },
  { id: 'command', label: 'Command task', hint: 'command + args', task: { image: 'alpine:3.20', command: ['echo'], args: ['hello'] } },
];

function laidOut(doc: DagDoc): Positions {
  return new Map(layoutGraph(graphFromTasks(tasksOf(doc))).positions);
}

export function EditorPage() {
  const { ns, name } = useParams();
  useTitle(ns && name ? `Edit ${ns === 'default' ? name : `${ns}/${name}`}` : 'New DAG');
  const api = useApi();
  const existing = useQuery({ queryKey: ['dag', ns, name], queryFn: () => api.getDag(ns!, name!), enabled: Boolean(ns && name), staleTime: Infinity });
  if (ns && name) {
    if (existing.isLoading) return <Skeleton rows={8} />;
    if (existing.error || !existing.data) return <div className="page"><ErrorBox error={existing.error ?? new Error('not found')} /></div>;
    const initial = docFromSpec(ns, name, existing.data.spec ?? {}, existing.data.labels);
    return (
      <ReactFlowProvider>
        <Editor key={`${ns}/${name}`} initial={initial} isNew={false} file={managedFile(existing.data.source)} />
      </ReactFlowProvider>
    );
  }
  return (
    <ReactFlowProvider>
      <Editor key="new" initial={emptyDag('new-dag')} isNew />
    </ReactFlowProvider>
  );
}

/** `file`: the DAG folder's file that manages the DAG being edited, if one does. */
function Editor({ initial, isNew, file }: { initial: DagDoc; isNew: boolean; file?: string | undefined }) {
  const api = useApi();
  const { canEdit } = useSession();
  const qc = useQueryClient();
  const nav = useNavigate();
  const toast = useToast();
  const flow = useReactFlow();
  const [doc, setDoc] = useState<DagDoc>(initial);
  const [initialTasks] = useState(() => tasksOf(initial).length);
  const [positions, setPositions] = useState<Positions>(() => laidOut(initial));
  const [yamlText, setYamlText] = useState(() => dagToYaml(initial));
  const [yamlErrors, setYamlErrors] = useState<FieldError[]>(() => dagFromYaml(dagToYaml(initial)).errors);
  const [selected, setSelected] = useState<string>();
  const [view, setView] = useState<View>('graph');
  const [dirty, setDirty] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>();
  const [hint, setHint] = useState<string>();
  const hintTimer = useRef<ReturnType<typeof setTimeout>>(undefined);

  const say = useCallback((text: string) => {
    setHint(text);
    clearTimeout(hintTimer.current);
    hintTimer.current = setTimeout(() => setHint(undefined), 4000);
  }, []);

  /** A change made in the graph or the form: the YAML is regenerated from the document. */
  const change = useCallback((next: DagDoc) => {
    setDoc(next);
    const text = dagToYaml(next);
    setYamlText(text);
    setYamlErrors(dagFromYaml(text).errors);
    setDirty(true);
    setSaveError(undefined);
  }, []);

  // Tasks without a position (added in the YAML) get a free spot; removed ones are forgotten.
  useEffect(() => {
    const names = tasksOf(doc).map((t) => t.name);
    if (names.every((n) => positions.has(n)) && positions.size === names.length) return;
    const next: Positions = new Map();
    for (const n of names) next.set(n, positions.get(n) ?? freeSpot(next.values()));
    setPositions(next);
  }, [doc, positions]);

  // Typing YAML: parse after a short pause; a parsable DAG updates the graph, problems are marked.
  const yamlTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const onYaml = (text: string) => {
    setYamlText(text);
    setDirty(true);
    clearTimeout(yamlTimer.current);
    yamlTimer.current = setTimeout(() => {
      const r = dagFromYaml(text);
      setYamlErrors(r.errors);
      if (r.doc) setDoc(r.doc);
    }, 250);
  };

  const { byTask, general } = useMemo(() => problemsByTask(doc, yamlErrors), [doc, yamlErrors]);
  const problemCount = yamlErrors.length;

  const nodes = useMemo<TaskFlowNode[]>(
    () =>
      tasksOf(doc).map((t) => {
        const errs = byTask.get(t.name)?.map((p) => `${p.field}: ${p.message}`);
        return {
          id: t.name,
          type: 'task',
          ariaLabel: `Task ${t.name}${errs?.length ? `, ${errs.length} problems` : ''}`,
          position: positions.get(t.name) ?? { x: 0, y: 0 },
          selected: t.name === selected,
          width: 190,
          height: 54,
          data: { label: t.name, direction: 'LR', detail: taskDetail(t), ...(errs?.length ? { errors: errs } : {}) },
        };
      }),
    [doc, positions, selected, byTask],
  );
  const edges = useMemo<Edge[]>(() => edgesOf(doc).map((e) => ({ id: edgeId(e), source: e.source, target: e.target, type: 'smoothstep', deletable: true })), [doc]);

  const onNodesChange = useCallback(
    (changes: NodeChange<TaskFlowNode>[]) => {
      let next = doc;
      let moved: Positions | undefined;
      for (const c of changes) {
        if (c.type === 'position' && c.position) {
          moved ??= new Map(positions);
          moved.set(c.id, c.position);
        } else if (c.type === 'select') {
          if (c.selected) setSelected(c.id);
          else setSelected((s) => (s === c.id ? undefined : s));
        } else if (c.type === 'remove') {
          next = removeTask(next, c.id);
        }
      }
      if (moved) setPositions(moved);
      if (next !== doc) {
        change(next);
        setSelected(undefined);
      }
    },
    [doc, positions, change],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      let next = doc;
      for (const c of changes) {
        if (c.type === 'remove') {
          const [source, target] = c.id.split('->');
          if (source && target) next = disconnect(next, source, target);
        }
      }
      if (next !== doc) change(next);
    },
    [doc, change],
  );
  const onConnect = useCallback(
    (c: Connection) => {
      const r = connect(doc, c.source, c.target);
      if (r.ok) change(r.doc);
      else say(r.message);
    },
    [doc, change, say],
  );
  // Refused while drawing: React Flow shows the connection as invalid before the drop.
  const isValidConnection = useCallback<IsValidConnection>((c) => connect(doc, c.source, c.target).ok, [doc]);
  const onConnectEnd = useCallback(
    (_e: unknown, state: { isValid: boolean | null; fromNode: { id: string } | null; toNode: { id: string } | null }) => {
      if (state.isValid === false && state.fromNode && state.toNode) {
        const r = connect(doc, state.fromNode.id, state.toNode.id);
        if (!r.ok) say(r.message);
      }
    },
    [doc, say],
  );

  const canvasRef = useRef<HTMLDivElement>(null);
  /** The part of the canvas the user sees, in flow coordinates (undefined before it is laid out). */
  const visibleRect = (): Rect | undefined => {
    const box = canvasRef.current?.querySelector('.react-flow')?.getBoundingClientRect();
    if (!box || box.width === 0 || box.height === 0) return undefined;
    const a = flow.screenToFlowPosition({ x: box.left, y: box.top });
    const b = flow.screenToFlowPosition({ x: box.right, y: box.bottom });
    return { x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y };
  };
  const add = (template: Partial<TaskSpec>, at?: { x: number; y: number }) => {
    const r = addTask(doc, template);
    // A dropped task lands where it was dropped; one added with the button in a free spot of the
    // visible canvas, or (the view is full) next to the others, and the view pans to it.
    const view = at ? undefined : visibleRect();
    const spot = at ?? (view ? spotInView(positions.values(), view) : undefined) ?? freeSpot(positions.values());
    setPositions((p) => new Map(p).set(r.name, spot));
    change(r.doc);
    setSelected(r.name);
    if (view && !insideView(spot, view)) void flow.setCenter(spot.x + 95, spot.y + 27, { zoom: flow.getZoom(), duration: 200 });
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    const id = e.dataTransfer.getData('application/kontroler-task');
    const t = TEMPLATES.find((x) => x.id === id);
    if (!t) return;
    const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    add(t.task, { x: Math.round(p.x - 95), y: Math.round(p.y - 27) });
  };

  const selectedTask = selected ? tasksOf(doc).find((t) => t.name === selected) : undefined;

  async function save() {
    // Saving over a file's DAG is confirmed first; so is a refusal naming a file (e.g. a new DAG
    // given the name of one the folder loads), and the write is then sent again with the override.
    if (file && !window.confirm(overrideQuestion(file))) return;
    setSaving(true);
    setSaveError(undefined);
    try {
      const ns = doc.metadata.namespace ?? 'default';
      const apply = (overrideFile: boolean) => api.apply('DAG', ns, yamlText, 'yaml', overrideFile ? { overrideFile } : {});
      const r = await apply(Boolean(file)).catch((e: unknown) => {
        const refusedBy = fileOfRefusal(e);
        if (refusedBy === undefined || !window.confirm(overrideQuestion(refusedBy))) throw e;
        return apply(true);
      });
      setDirty(false);
      toast(r.version === 1 ? `Created ${r.name}` : `Saved ${r.name}: version ${r.version}`);
      void qc.invalidateQueries({ queryKey: ['dags'] });
      void qc.invalidateQueries({ queryKey: ['dag', r.namespace, r.name] });
      setTimeout(() => nav(`/dags/${r.namespace}/${r.name}`), 0);
    } catch (e) {
      setSaveError(e);
      if (e instanceof ApiError && e.details.length) setYamlErrors(e.details);
    } finally {
      setSaving(false);
    }
  }

  // Leaving with unsaved changes asks first (in-app navigation and closing the tab).
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && !saving && currentLocation.pathname !== nextLocation.pathname);
  useEffect(() => {
    if (blocker.state === 'blocked') {
      if (window.confirm('Leave the editor? Unsaved changes are lost.')) blocker.proceed();
      else blocker.reset();
    }
  }, [blocker]);
  useEffect(() => {
    if (!dirty) return;
    const h = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', h);
    return () => window.removeEventListener('beforeunload', h);
  }, [dirty]);

  const cls = view === 'split' ? 'editor with-yaml' : view === 'yaml' ? 'editor yaml-only' : 'editor';
  const yamlPane = (
    <div className="card yaml-pane">
      <CodeEditor language="yaml" value={yamlText} onChange={onYaml} ariaLabel="DAG YAML" problems={yamlErrors} />
      {yamlErrors.some((e) => e.line) ? (
        <div className="problems" aria-label="YAML problems">
          {yamlErrors.filter((e) => e.line).map((e, i) => (
            <button key={i} onClick={() => document.querySelector<HTMLElement>('[aria-label="DAG YAML"]')?.focus()}>
              {e.line}:{e.column} {e.path}: {e.message}
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );

  const targetNs = doc.metadata.namespace ?? 'default';
  const mayEdit = canEdit(targetNs);
  const whyNot = mayEdit ? undefined : `You are a viewer in namespace ${targetNs}: saving a DAG there needs the editor role`;
  return (
    <div className="page full" data-testid="editor">
      <div className="page-head">
        <span className="crumbs">
          <Link to="/dags">DAGs</Link> /
        </span>
        <h1>{isNew ? 'New DAG' : `Edit ${doc.metadata.name}`}</h1>
        <span className={`badge ${problemCount ? 'tone-danger' : 'tone-success'}`} data-testid="problem-count" aria-live="polite">
          {problemCount ? `${problemCount} problem${problemCount > 1 ? 's' : ''}` : 'valid'}
        </span>
        {dirty ? <span className="muted">unsaved changes</span> : null}
        <span className="spacer" />
        <div className="segmented" role="group" aria-label="View">
          {(['graph', 'split', 'yaml'] as const).map((v) => (
            <button key={v} aria-pressed={view === v} onClick={() => setView(v)}>
              {v === 'graph' ? 'Graph' : v === 'split' ? 'Graph + YAML' : 'YAML'}
            </button>
          ))}
        </div>
        <button onClick={() => setPositions(laidOut(doc))} title="Arrange the tasks automatically">
          Auto-layout
        </button>
        <button className="primary" onClick={() => void save()} disabled={saving || problemCount > 0 || !mayEdit} title={whyNot} data-testid="save">
          {saving ? 'Saving…' : 'Save'}
        </button>
      </div>
      {file ? (
        <div className="notice tone-warning" role="note" data-testid="editor-managed-by-file">
          Loaded from the file <code>{file}</code> in the DAG folder: a version saved here is replaced by the next change of that file. Edit the file to change
          this DAG for good.
        </div>
      ) : null}
      {whyNot ? <div className="notice" role="note" data-testid="editor-read-only">{whyNot}: you may draw and validate, not save.</div> : null}
      <ErrorBox error={saveError} title="Not saved" />
      <div className={cls}>
        {view !== 'yaml' ? (
          <div className="card palette" aria-label="Task palette">
            <h3>Add</h3>
            {TEMPLATES.map((t) => (
              <div
                key={t.id}
                className="palette-item"
                draggable
                data-template={t.id}
                onDragStart={(e) => {
                  e.dataTransfer.setData('application/kontroler-task', t.id);
                  e.dataTransfer.effectAllowed = 'copy';
                }}
              >
                {t.label}
                <small>{t.hint}</small>
              </div>
            ))}
            <button className="small" onClick={() => add(TEMPLATES[0]!.task)} data-testid="add-task">
              + Add task
            </button>
            <p className="muted" style={{ fontSize: 12, margin: '6px 0 0' }}>
              Drag onto the canvas, or use the button. Select a task or edge and press <span className="kbd">Delete</span> to remove it.
            </p>
          </div>
        ) : null}
        {view !== 'yaml' ? (
          <div ref={canvasRef} className="card canvas-wrap editing" onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; }} onDrop={onDrop} data-testid="canvas">
            {hint ? (
              <div className="canvas-hint error-box" role="alert" data-testid="canvas-hint">
                {hint}
              </div>
            ) : null}
            <ReactFlow
              nodes={nodes}
              edges={edges}
              nodeTypes={nodeTypes}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              onConnectEnd={onConnectEnd as never}
              isValidConnection={isValidConnection}
              onPaneClick={() => setSelected(undefined)}
              deleteKeyCode={['Delete', 'Backspace']}
              // Fitted once to the tasks the editor opens with; a new DAG opens empty and stays put,
              // or the first dropped task would be re-centred (fitView waits for the first node).
              fitView={initialTasks > 0}
              fitViewOptions={{ maxZoom: 1, padding: 0.2 }}
              proOptions={{ hideAttribution: true }}
            >
              <Background gap={20} size={1} />
              <Controls showInteractive={false} fitViewOptions={{ maxZoom: 1, padding: 0.2 }} />
            </ReactFlow>
            {tasksOf(doc).length === 0 ? (
              <div className="empty" style={{ position: 'absolute', inset: '40% 0 auto', pointerEvents: 'none' }}>
                Drag a task here to start.
              </div>
            ) : null}
          </div>
        ) : null}
        {view !== 'graph' ? yamlPane : null}
        <div className="card" style={{ overflow: 'auto', minHeight: 0 }}>
          {selectedTask ? (
            <TaskForm
              key={selectedTask.name}
              doc={doc}
              task={selectedTask}
              problems={byTask.get(selectedTask.name) ?? []}
              onRename={(to) => {
                const r = renameTask(doc, selectedTask.name, to);
                if (r.error) return r.error;
                setPositions((p) => {
                  const m = new Map(p);
                  const pos = m.get(selectedTask.name);
                  m.delete(selectedTask.name);
                  if (pos) m.set(to, pos);
                  return m;
                });
                change(r.doc);
                setSelected(to);
                return undefined;
              }}
              onChange={(patch) => change(updateTask(doc, selectedTask.name, patch))}
              onDependency={(source, on) => {
                if (!on) return change(disconnect(doc, source, selectedTask.name));
                const r = connect(doc, source, selectedTask.name);
                if (r.ok) change(r.doc);
                else say(r.message);
              }}
              onDelete={() => {
                change(removeTask(doc, selectedTask.name));
                setSelected(undefined);
              }}
            />
          ) : (
            <DagSettingsForm doc={doc} isNew={isNew} problems={general} onChange={change} />
          )}
        </div>
      </div>
    </div>
  );
}
