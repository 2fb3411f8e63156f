export function AuditPage() {
  return <div className="page"><h1>AuditPage</h1></div>;
}
