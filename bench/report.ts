// Result rows shared by all benchmark sections, and the summary table.

export interface ResultRow {
  /** Section name, e.g. "ingest". */
  readonly section: string;
  readonly metric: string;
  readonly value: string;
}

export const formatInt = (n: number): string => Math.round(n).toLocaleString('en-US');

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export function formatSeconds(seconds: number): string {
  return `${seconds.toFixed(2)} s`;
}

/** A plain text table: section | metric | value. */
export function formatTable(rows: readonly ResultRow[]): string {
  const header: ResultRow = { section: 'section', metric: 'metric', value: 'value' };
  const all = [header, ...rows];
  const w = {
    section: Math.max(...all.map((r) => r.section.length)),
    metric: Math.max(...all.map((r) => r.metric.length)),
    value: Math.max(...all.map((r) => r.value.length)),
  };
  const line = (r: ResultRow) => `${r.section.padEnd(w.section)}  ${r.metric.padEnd(w.metric)}  ${r.value}`;
  const rule = `${'-'.repeat(w.section)}  ${'-'.repeat(w.metric)}  ${'-'.repeat(w.value)}`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
