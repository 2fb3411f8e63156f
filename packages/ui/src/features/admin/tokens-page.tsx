export function TokensPage() {
  return <div className="page"><h1>TokensPage</h1></div>;
}
