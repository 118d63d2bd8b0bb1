// Placeholder: being built.
export function Settings(_props: Record<string, string>) {
  return <div className="page"><h1>Settings</h1></div>;
}
