// Placeholder: being built.
export function PersonsGroups(_props: Record<string, string>) {
  return <div className="page"><h1>PersonsGroups</h1></div>;
}
