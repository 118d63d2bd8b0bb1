// Placeholder: being built.
export function FlagEdit(_props: Record<string, string>) {
  return <div className="page"><h1>FlagEdit</h1></div>;
}
