// Placeholder: being built.
export function FeatureFlags(_props: Record<string, string>) {
  return <div className="page"><h1>FeatureFlags</h1></div>;
}
