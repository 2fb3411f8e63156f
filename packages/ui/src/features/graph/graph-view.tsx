// Read-only graph (DAG page, run page): lays out with the pure `layoutGraph` once per graph
// shape and renders with React Flow. Live status changes only replace the nodes that changed,
// so a 1,000-task run re-renders cheaply every second.
import { useEffect, useMemo, useRef, type RefObject } from 'react';
import { Background, Controls, MiniMap, Panel, ReactFlow, ReactFlowProvider, useReactFlow, type Edge } from '@xyflow/react';
import { legendEntries } from './legend.js';
import '@xyflow/react/dist/style.css';
import { layoutGraph, type Direction } from './layout.js';
import { edgeId, mapProgressText, type Graph, type MapProgress } from './model.js';
import { nodeTypes, type TaskFlowNode } from './task-node.js';
import { toneOf } from '../../lib/status.js';

function sameMap(a: MapProgress | undefined, b: MapProgress | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.total === b.total && a.done === b.done && a.running === b.running && a.failed === b.failed);
}

function shapeKey(g: Graph): string {
  return `${g.nodes.map((n) => n.id).join('\u0001')}\u0002${g.edges.map(edgeId).join('\u0001')}`;
}

const TONE_VAR: Record<string, string> = { approval: 'var(--approval)', success: 'var(--success)', danger: 'var(--danger)', running: 'var(--running)', warning: 'var(--warning)', muted: 'var(--muted)', info: 'var(--info)', neutral: 'var(--border)' };

/** Re-fits a small graph when its box changes size (a side panel opened or closed). */
function FitOnResize({ target }: { target: RefObject<HTMLDivElement | null> }) {
  const flow = useReactFlow();
  useEffect(() => {
    const el = target.current;
    if (!el) return;
    let t: ReturnType<typeof setTimeout> | undefined;
    let last = el.clientWidth;
    const ro = new ResizeObserver(() => {
      if (Math.abs(el.clientWidth - last) < 40) return;
      last = el.clientWidth;
      clearTimeout(t);
      t = setTimeout(() => void flow.fitView({ maxZoom: 1.1, padding: 0.15, duration: 150 }), 60);
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      clearTimeout(t);
    };
  }, [flow, target]);
  return null;
}

export function GraphView({ graph, selected, onSelect, direction = 'LR', ariaLabel, legend }: { graph: Graph; selected?: string; onSelect?: (id: string | undefined) => void; direction?: Direction; ariaLabel: string; legend?: boolean }) {
  const key = shapeKey(graph);
  const layout = useMemo(() => {
    performance.mark('kontroler:layout:start');
    const l = layoutGraph(graph, { direction });
    performance.measure('kontroler:layout', 'kontroler:layout:start');
    return l;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, direction]);
  const big = graph.nodes.length > 150;
  const box = useRef<HTMLDivElement>(null);
  // The first root (leftmost, then topmost; topmost-leftmost top to bottom) at the top left.
  const startViewport = useMemo(() => {
    let first: { x: number; y: number } | undefined;
    for (const p of layout.positions.values()) {
      const [a, b] = direction === 'LR' ? [p.x, p.y] : [p.y, p.x];
      const [fa, fb] = first ? (direction === 'LR' ? [first.x, first.y] : [first.y, first.x]) : [Infinity, Infinity];
      if (a < fa || (a === fa && b < fb)) first = p;
    }
    const zoom = 0.6;
    return { x: 24 - (first?.x ?? 0) * zoom, y: 24 - (first?.y ?? 0) * zoom, zoom };
  }, [layout, direction]);

  // Reuse node objects whose data did not change (React Flow then skips them).
  const cache = useRef(new Map<string, TaskFlowNode>());
  const nodes = useMemo(() => {
    const next = new Map<string, TaskFlowNode>();
    const out = graph.nodes.map((n) => {
      const pos = layout.positions.get(n.id) ?? { x: 0, y: 0 };
      const prev = cache.current.get(n.id);
      const isSel = n.id === selected;
      if (prev && prev.data.status === n.status && prev.data.detail === n.detail && prev.data.attempts === n.attempts && prev.data.awaiting === n.awaiting && prev.data.subDag === n.subDag && sameMap(prev.data.map, n.map) && prev.selected === isSel && prev.position === pos) {
        next.set(n.id, prev);
        return prev;
      }
      const node: TaskFlowNode = {
        id: n.id,
        type: 'task',
        position: pos,
        selected: isSel,
        ariaLabel:
          n.map
            ? `Mapped task ${n.id}${n.status ? `, ${n.status}` : ''}, ${mapProgressText(n.map)}`
            : n.kind === 'group'
              ? `Group ${n.id}, ${n.size ?? 0} tasks${n.status ? `, ${n.status}` : ''}`
              : `Task ${n.id}${n.awaiting ? ', waiting for approval' : n.status ? `, ${n.status}` : ''}${n.attempts && n.attempts > 1 ? `, ${n.attempts} attempts` : ''}`,
        draggable: false,
        connectable: false,
        data: { label: n.id, direction, ...(n.status ? { status: n.status } : {}), ...(n.detail ? { detail: n.detail } : {}), ...(n.attempts !== undefined ? { attempts: n.attempts } : {}), ...(n.map ? { map: n.map } : {}), ...(n.awaiting ? { awaiting: true } : {}), ...(n.subDag !== undefined ? { subDag: n.subDag } : {}), ...(n.durationMs !== undefined ? { durationMs: n.durationMs } : {}) },
        width: layout.nodeWidth,
        height: layout.nodeHeight,
      };
      next.set(n.id, node);
      return node;
    });
    cache.current = next;
    return out;
  }, [graph, layout, selected, direction]);

  const edges = useMemo<Edge[]>(() => {
    // A waiting approval holds its downstream: its edges take its colour and are not animated.
    const status = new Map(graph.nodes.map((n) => [n.id, n.awaiting ? 'awaiting-approval' : n.status]));
    return graph.edges.map((e) => {
      const s = status.get(e.source);
      const color = s ? TONE_VAR[toneOf(s)] : undefined;
      return {
        id: edgeId(e),
        source: e.source,
        target: e.target,
        ...(big ? {} : { type: 'smoothstep' }),
        ...(color ? { style: { stroke: color } } : {}),
        ...(s === 'running' && !big ? { animated: true } : {}),
      };
    });
  }, [graph, big]);

  useEffect(() => {
    requestAnimationFrame(() => requestAnimationFrame(() => performance.mark('kontroler:graph:painted')));
  }, [key]);

  return (
    <div className="graph" ref={box} aria-label={ariaLabel} role="group" data-testid="graph" data-nodes={graph.nodes.length}>
      <ReactFlowProvider>
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          // A big graph opens readable at its start (the roots, top left) instead of zoomed out to
          // dots: only the tasks in view are rendered; the minimap shows the whole.
          {...(big ? { defaultViewport: startViewport } : { fitView: true, fitViewOptions: { maxZoom: 1.1, padding: 0.15 } })}
          minZoom={0.05}
          onlyRenderVisibleElements={big}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable={Boolean(onSelect)}
          onNodeClick={(_e, n) => onSelect?.(n.id)}
          // Keyboard: a focused node selected with Enter or Space opens it too.
          onNodesChange={(changes) => {
            for (const c of changes) if (c.type === 'select' && c.selected) onSelect?.(c.id);
          }}
          onPaneClick={() => onSelect?.(undefined)}
          proOptions={{ hideAttribution: true }}
        >
          <Background gap={20} size={1} />
          <Controls showInteractive={false} />
          {legend ? <Legend /> : null}
          {!big ? <FitOnResize target={box} /> : null}
          {graph.nodes.length > 30 && !big ? <MiniMap pannable zoomable nodeStrokeWidth={3} /> : null}
        </ReactFlow>
      </ReactFlowProvider>
    </div>
  );
}

/** The colours of task states, in a corner of a run graph. */
function Legend() {
  return (
    <Panel position="top-right" className="graph-legend" data-testid="graph-legend" aria-label="Legend of task states">
      {legendEntries().map((e) => (
        <span key={e.tone} className={`legend-item tone-${e.tone}`}>
          <span className="legend-swatch" />
          {e.label}
        </span>
      ))}
    </Panel>
  );
}
