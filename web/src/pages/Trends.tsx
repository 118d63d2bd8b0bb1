// Placeholder: being built.
export function Trends(_props: Record<string, string>) {
  return <div className="page"><h1>Trends</h1></div>;
}
