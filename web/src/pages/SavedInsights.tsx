// Placeholder: being built.
export function SavedInsights(_props: Record<string, string>) {
  return <div className="page"><h1>SavedInsights</h1></div>;
}
