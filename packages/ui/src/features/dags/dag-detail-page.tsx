export function DagDetailPage() {
  return <div className="page"><h1>DagDetailPage</h1></div>;
}
