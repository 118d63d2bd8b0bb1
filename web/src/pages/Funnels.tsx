// Placeholder: being built.
export function Funnels(_props: Record<string, string>) {
  return <div className="page"><h1>Funnels</h1></div>;
}
