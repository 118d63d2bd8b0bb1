// Placeholder: being built.
export function EventsPage(_props: Record<string, string>) {
  return <div className="page"><h1>EventsPage</h1></div>;
}
