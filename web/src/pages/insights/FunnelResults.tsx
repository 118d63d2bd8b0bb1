// A funnel's answer: a bar per step (one series per breakdown value) and, per step, how many
// converted and dropped off, each count opening the list of the groups or persons behind it.
import { useEffect, useMemo, useState } from 'react';
import { runQuery } from '../../api.ts';
import type { ActorsQueryInput, FunnelsQueryInput } from '../../api-types.ts';
import { Chart, type ChartOption } from '../../components/Chart.tsx';
import { Empty, ErrorState, Loading } from '../../components/states.tsx';
import { useApi } from '../../use-api.ts';
import { ActorsList } from './ActorsList.tsx';
import type { FunnelStep } from './types.ts';

interface FunnelLine {
  readonly breakdown: FunnelStep['breakdown_value'] | undefined;
  readonly label: string;
  readonly steps: FunnelStep[];
}

interface Selection {
  readonly line: FunnelLine;
  readonly step: number;
  readonly converted: boolean;
}

const NULL_VALUE = '$$_posthog_breakdown_null_$$';
const OTHER_VALUE = '$$_posthog_breakdown_other_$$';

function breakdownLabel(value: FunnelStep['breakdown_value']): string {
  const one = Array.isArray(value) ? value[0] : value;
  if (one === NULL_VALUE) return 'None';
  if (one === OTHER_VALUE) return 'Other';
  return String(one);
}

function toLines(results: FunnelStep[] | FunnelStep[][]): FunnelLine[] {
  if (results.length === 0) return [];
  if (Array.isArray(results[0])) {
    return (results as FunnelStep[][]).map((steps) => ({ breakdown: steps[0]?.breakdown_value, label: breakdownLabel(steps[0]?.breakdown_value), steps }));
  }
  return [{ breakdown: undefined, label: 'All', steps: results as FunnelStep[] }];
}

const percent = (part: number, whole: number) => (whole === 0 ? '0%' : `${((part / whole) * 100).toFixed(1).replace(/\.0$/, '')}%`);
export const stepName = (step: Pick<FunnelStep, 'custom_name' | 'name'>) => step.custom_name || step.name;

export function FunnelResults({ query, actorsLabel }: { query: FunnelsQueryInput; actorsLabel: string }) {
  const key = JSON.stringify(query);
  const funnel = useApi((signal) => runQuery<{ results: FunnelStep[] | FunnelStep[][] }>(query, signal), [key]);
  const [selection, setSelection] = useState<Selection | null>(null);
  // A new query closes the list of the previous one's point.
  useEffect(() => setSelection(null), [key]);

  if (funnel.loading && !funnel.data) return <Loading label="Calculating…" />;
  if (funnel.error) return <ErrorState error={funnel.error} retry={funnel.reload} />;
  const lines = toLines(funnel.data?.results ?? []);
  if (lines.length === 0 || lines.every((l) => (l.steps[0]?.count ?? 0) === 0)) {
    return <Empty title="Nobody entered this funnel">No {actorsLabel} did the first step in the date range.</Empty>;
  }

  const source = (s: Selection): ActorsQueryInput['source'] => ({
    kind: 'FunnelsActorsQuery',
    source: query,
    funnelStep: s.converted ? s.step + 1 : -(s.step + 1),
    ...(s.line.breakdown === undefined ? {} : { funnelStepBreakdown: s.line.breakdown }),
  });
  const title = (s: Selection) => {
    const name = stepName(s.line.steps[s.step]);
    const which = lines.length > 1 ? ` (${s.line.label})` : '';
    return s.converted ? `Reached step ${s.step + 1}: ${name}${which}` : `Dropped off before step ${s.step + 1}: ${name}${which}`;
  };

  return (
    <div className="stack" aria-busy={funnel.loading}>
      <FunnelChart lines={lines} onStep={(line, step) => setSelection({ line, step, converted: true })} />
      {lines.map((line, i) => (
        <FunnelTable key={i} line={line} showLabel={lines.length > 1} actorsLabel={actorsLabel} onOpen={(step, converted) => setSelection({ line, step, converted })} />
      ))}
      {selection && <ActorsList key={JSON.stringify(source(selection))} title={title(selection)} source={source(selection)} onClose={() => setSelection(null)} />}
    </div>
  );
}

function FunnelTable({ line, showLabel, actorsLabel, onOpen }: { line: FunnelLine; showLabel: boolean; actorsLabel: string; onOpen: (step: number, converted: boolean) => void }) {
  const first = line.steps[0]?.count ?? 0;
  const caption = showLabel ? `Funnel steps: ${line.label}` : 'Funnel steps';
  return (
    <div className="table-wrap">
      <table aria-label={caption}>
        {showLabel && <caption className="insight-caption">{line.label}</caption>}
        <thead>
          <tr>
            <th>Step</th>
            <th className="num">Converted</th>
            <th className="num">Conversion</th>
            <th className="num">From previous</th>
            <th className="num">Dropped off</th>
            <th className="num">Median time</th>
          </tr>
        </thead>
        <tbody>
          {line.steps.map((step, i) => {
            const previous = i === 0 ? step.count : line.steps[i - 1].count;
            const dropped = previous - step.count;
            const name = `${i + 1}. ${stepName(step)}`;
            return (
              <tr key={i}>
                <th scope="row">{name}</th>
                <td className="num">
                  <button type="button" className="link" aria-label={`Step ${i + 1} converted: ${step.count} ${actorsLabel}, show who`} onClick={() => onOpen(i, true)}>
                    {step.count}
                  </button>
                </td>
                <td className="num">{percent(step.count, first)}</td>
                <td className="num">{i === 0 ? '' : percent(step.count, previous)}</td>
                <td className="num">
                  {i === 0 ? (
                    ''
                  ) : (
                    <button type="button" className="link" aria-label={`Step ${i + 1} dropped off: ${dropped} ${actorsLabel}, show who`} onClick={() => onOpen(i, false)}>
                      {dropped} ({percent(dropped, previous)})
                    </button>
                  )}
                </td>
                <td className="num">{formatSeconds(step.median_conversion_time)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function formatSeconds(seconds: number | null): string {
  if (seconds === null || seconds === undefined) return '';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)}h`;
  return `${(seconds / 86_400).toFixed(1)}d`;
}

function FunnelChart({ lines, onStep }: { lines: FunnelLine[]; onStep: (line: FunnelLine, step: number) => void }) {
  const option = useMemo<ChartOption>(() => {
    const names = lines[0].steps.map((s, i) => `${i + 1}. ${stepName(s)}`);
    return {
      grid: { left: 48, right: 16, top: lines.length > 1 ? 40 : 24, bottom: 32, containLabel: true },
      tooltip: { trigger: 'item' },
      legend: lines.length > 1 ? { type: 'scroll', top: 0 } : undefined,
      xAxis: { type: 'category', data: names, axisLabel: { interval: 0, overflow: 'truncate', width: 110 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: lines.map((line) => {
        const first = line.steps[0]?.count ?? 0;
        return {
          name: line.label,
          type: 'bar',
          data: line.steps.map((s) => s.count),
          label: { show: true, position: 'top', formatter: (p: { dataIndex: number; value: unknown }) => `${String(p.value)} (${percent(Number(p.value), first)})` },
        };
      }),
    };
  }, [lines]);
  const summary = lines[0].steps.map((s, i) => `step ${i + 1} ${stepName(s)}: ${s.count}`).join('; ');
  return (
    <div className="card">
      <Chart option={option} label={`Funnel chart. ${summary}`} onPointClick={({ seriesIndex, dataIndex }) => lines[seriesIndex] && onStep(lines[seriesIndex], dataIndex)} />
    </div>
  );
}
