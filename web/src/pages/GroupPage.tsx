// Placeholder: being built.
export function GroupPage(_props: Record<string, string>) {
  return <div className="page"><h1>GroupPage</h1></div>;
}
