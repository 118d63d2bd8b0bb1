// Placeholder: being built.
export function PersonPage(_props: Record<string, string>) {
  return <div className="page"><h1>PersonPage</h1></div>;
}
