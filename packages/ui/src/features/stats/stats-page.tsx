export function StatsPage() {
  return <div className="page"><h1>StatsPage</h1></div>;
}
