// A trends insight's answer as a line or bar chart (with a table of its values), a table of
// totals, a pie of the totals, or one big number. Every value opens the list of actors behind it.
import { useEffect, useMemo, useState } from 'react';
import { runQuery } from '../../api.ts';
import type { ActorsQueryInput, TrendsQueryInput } from '../../api-types.ts';
import { Chart, type ChartOption } from '../../components/Chart.tsx';
import { Empty, ErrorState, Loading } from '../../components/states.tsx';
import { useApi } from '../../use-api.ts';
import { ActorsList } from './ActorsList.tsx';
import type { TrendSeries } from './types.ts';

export type TrendsDisplay = 'ActionsLineGraph' | 'ActionsBar' | 'ActionsTable' | 'ActionsPie' | 'BoldNumber';
export const TOTAL_DISPLAYS = new Set<string>(['ActionsTable', 'ActionsPie', 'BoldNumber']);

interface Point {
  readonly series: TrendSeries;
  readonly dayIndex: number | null;
}

/** What a person reads for a series: its label, and which period when the trend is compared. */
export const seriesLabel = (s: TrendSeries) =>
  s.compare_label === 'previous' ? `${s.label} (previous period)` : s.compare_label === 'current' ? `${s.label} (current period)` : s.label;

/** A series' total over the range: the aggregated value of total-value displays, else the sum of its points. */
const seriesTotal = (s: TrendSeries) => s.aggregated_value ?? s.count;

const formatNumber = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 2 }));

export function TrendsResults({ query }: { query: TrendsQueryInput }) {
  const key = JSON.stringify(query);
  const trends = useApi((signal) => runQuery<{ results: TrendSeries[] }>(query, signal), [key]);
  const [point, setPoint] = useState<Point | null>(null);
  // A new query closes the list of the previous one's point.
  useEffect(() => setPoint(null), [key]);
  const display = (query.trendsFilter?.display ?? 'ActionsLineGraph') as TrendsDisplay;

  if (trends.loading && !trends.data) return <Loading label="Calculating…" />;
  if (trends.error) return <ErrorState error={trends.error} retry={trends.reload} />;
  const results = trends.data?.results ?? [];
  if (results.length === 0 || results.every((s) => seriesTotal(s) === 0)) {
    return <Empty title="No matching events">Nothing matches this insight in the date range. Try another event, filter or range.</Empty>;
  }

  const actorsSource = (p: Point): ActorsQueryInput['source'] => ({
    kind: 'InsightActorsQuery',
    source: query,
    series: p.series.action.order,
    ...(p.dayIndex === null ? {} : { day: p.series.days[p.dayIndex] }),
    ...(p.series.breakdown_value === undefined ? {} : { breakdown: p.series.breakdown_value }),
    ...(p.series.compare_label ? { compare: p.series.compare_label } : {}),
  });
  const pointTitle = (p: Point) => `${seriesLabel(p.series)}${p.dayIndex === null ? '' : ` on ${p.series.labels[p.dayIndex] ?? p.series.days[p.dayIndex]}`}`;

  return (
    <div className="stack" aria-busy={trends.loading}>
      {display === 'BoldNumber' && <BigNumber series={results[0]} onOpen={() => setPoint({ series: results[0], dayIndex: null })} />}
      {display === 'BoldNumber' && previousOf(results, results[0]) && (
        <BigNumber series={previousOf(results, results[0])!} onOpen={() => setPoint({ series: previousOf(results, results[0])!, dayIndex: null })} />
      )}
      {display === 'ActionsPie' && <TotalsPie results={results} onOpen={(series) => setPoint({ series, dayIndex: null })} />}
      {(display === 'ActionsTable' || display === 'ActionsPie') && <TotalsTable results={results} onOpen={(series) => setPoint({ series, dayIndex: null })} />}
      {(display === 'ActionsLineGraph' || display === 'ActionsBar') && (
        <>
          <TrendsChart results={results} bar={display === 'ActionsBar'} onPoint={(p) => setPoint(p)} />
          <ValuesTable results={results} onOpen={(p) => setPoint(p)} />
          <PreviousPeriodNote results={results} />
        </>
      )}
      {point && <ActorsList key={JSON.stringify(actorsSource(point))} title={`Behind ${pointTitle(point)}`} source={actorsSource(point)} onClose={() => setPoint(null)} />}
    </div>
  );
}

/** The previous period's counterpart of a current series (same series and breakdown value). */
const previousOf = (results: readonly TrendSeries[], s: TrendSeries) =>
  s.compare_label === 'current' ? results.find((p) => p.compare_label === 'previous' && p.action.order === s.action.order && p.breakdown_value === s.breakdown_value) : undefined;

/** The columns are the current period's; says which dates the previous period's values are from. */
function PreviousPeriodNote({ results }: { results: readonly TrendSeries[] }) {
  const previous = results.find((s) => s.compare_label === 'previous');
  if (!previous || previous.labels.length === 0) return null;
  const first = previous.labels[0];
  const last = previous.labels[previous.labels.length - 1];
  return <p className="muted">{`Previous period: ${first === last ? first : `${first} to ${last}`}, lined up with the columns above.`}</p>;
}

function BigNumber({ series, onOpen }: { series: TrendSeries; onOpen: () => void }) {
  const value = seriesTotal(series);
  return (
    <div className="card insight-big-number">
      <button type="button" className="big-number link" aria-label={`${seriesLabel(series)}: ${formatNumber(value)}, show who`} onClick={onOpen}>
        {formatNumber(value)}
      </button>
      <div className="muted">{seriesLabel(series)}</div>
    </div>
  );
}

/** A number that opens the list of actors behind it, named for screen readers and tests. */
function ShowWhoButton({ what, value, onClick }: { what: string; value: number; onClick: () => void }) {
  return (
    <button type="button" className="link" aria-label={`${what}: ${formatNumber(value)}, show who`} onClick={onClick}>
      {formatNumber(value)}
    </button>
  );
}

function TotalsTable({ results, onOpen }: { results: TrendSeries[]; onOpen: (s: TrendSeries) => void }) {
  return (
    <div className="table-wrap">
      <table aria-label="Insight totals">
        <thead>
          <tr>
            <th>Series</th>
            <th className="num">Total</th>
          </tr>
        </thead>
        <tbody>
          {results.map((s, i) => (
            <tr key={i}>
              <th scope="row">{seriesLabel(s)}</th>
              <td className="num">
                <ShowWhoButton what={seriesLabel(s)} value={seriesTotal(s)} onClick={() => onOpen(s)} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Each series by bucket, every value a button: the keyboard's way to the actors behind a point. */
function ValuesTable({ results, onOpen }: { results: TrendSeries[]; onOpen: (p: Point) => void }) {
  const labels = results[0]?.labels ?? [];
  return (
    <div className="table-wrap">
      <table aria-label="Insight values">
        <thead>
          <tr>
            <th>Series</th>
            {labels.map((label, i) => (
              <th key={i} className="num">
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {results.map((s, i) => (
            <tr key={i}>
              <th scope="row">{seriesLabel(s)}</th>
              {s.data.map((value, d) => (
                <td key={d} className="num">
                  <ShowWhoButton what={`${seriesLabel(s)} on ${s.days[d]}`} value={value} onClick={() => onOpen({ series: s, dayIndex: d })} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A slice per series (or breakdown value) with its total; the table below has the same values. */
function TotalsPie({ results, onOpen }: { results: TrendSeries[]; onOpen: (s: TrendSeries) => void }) {
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'item' },
      legend: { type: 'scroll', bottom: 0 },
      series: [
        {
          type: 'pie',
          radius: ['35%', '70%'],
          top: 0,
          bottom: 32,
          data: results.map((s) => ({ name: seriesLabel(s), value: seriesTotal(s) })),
          label: { formatter: '{b}: {c}' },
        },
      ],
    }),
    [results],
  );
  const summary = results.map((s) => `${seriesLabel(s)}: ${formatNumber(seriesTotal(s))}`).join('; ');
  return (
    <div className="card">
      <Chart option={option} label={`Pie chart. ${summary}`} onPointClick={({ dataIndex }) => results[dataIndex] && onOpen(results[dataIndex])} />
    </div>
  );
}

function TrendsChart({ results, bar, onPoint }: { results: TrendSeries[]; bar: boolean; onPoint: (p: Point) => void }) {
  const option = useMemo<ChartOption>(
    () => ({
      grid: { left: 48, right: 16, top: results.length > 1 ? 40 : 16, bottom: 32 },
      tooltip: { trigger: bar ? 'item' : 'axis' },
      legend: results.length > 1 ? { type: 'scroll', top: 0 } : undefined,
      xAxis: { type: 'category', data: results[0]?.labels ?? [], boundaryGap: bar },
      yAxis: { type: 'value', minInterval: 1 },
      series: results.map((s) => ({
        name: seriesLabel(s),
        type: bar ? 'bar' : 'line',
        data: s.data,
        ...(s.compare_label === 'previous' ? (bar ? { itemStyle: { opacity: 0.5 } } : { lineStyle: { type: 'dashed' as const } }) : {}),
        symbolSize: 8,
      })),
    }),
    [results, bar],
  );
  const summary = results.map((s) => `${seriesLabel(s)}: ${formatNumber(s.count)}`).join('; ');
  return (
    <div className="card">
      <Chart option={option} label={`Trend chart. ${summary}`} onPointClick={({ seriesIndex, dataIndex }) => results[seriesIndex] && Number.isInteger(dataIndex) && onPoint({ series: results[seriesIndex], dayIndex: dataIndex })} />
    </div>
  );
}
