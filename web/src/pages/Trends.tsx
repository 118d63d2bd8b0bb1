// Trends: series of events counted over time (or in total), filtered and broken down, as a line,
// bars, a table or one number. The query lives in the URL; clicking a value lists who is behind it.
import type { TrendsQueryInput } from '../api-types.ts';
import { ErrorState } from '../components/states.tsx';
import { BreakdownPicker, ChoiceSelect, DateRangePicker } from './insights/controls.tsx';
import { allFilters, InsightFilters } from './insights/FilterGroups.tsx';
import { SaveInsight } from './insights/SaveInsight.tsx';
import { nodeFiltersIncomplete, SeriesEditor, seriesIncomplete, seriesName } from './insights/SeriesEditor.tsx';
import { TOTAL_DISPLAYS, TrendsResults, type TrendsDisplay } from './insights/TrendsResults.tsx';
import type { FilterInput } from './insights/types.ts';
import { useUrlQuery } from './insights/url-state.ts';
import './insights.css';

const defaultTrends = (): TrendsQueryInput => ({
  kind: 'TrendsQuery',
  series: [{ kind: 'EventsNode', event: null, math: 'total' }],
  interval: 'day',
  dateRange: { date_from: '-7d' },
  trendsFilter: { display: 'ActionsLineGraph' },
});

type Interval = NonNullable<TrendsQueryInput['interval']>;
const INTERVALS: [Interval, string][] = [
  ['hour', 'Hour'],
  ['day', 'Day'],
  ['week', 'Week'],
  ['month', 'Month'],
];

const DISPLAYS: [TrendsDisplay, string][] = [
  ['ActionsLineGraph', 'Line chart'],
  ['ActionsBar', 'Bar chart'],
  ['ActionsTable', 'Table'],
  ['ActionsPie', 'Pie chart'],
  ['BoldNumber', 'Big number'],
];

export function Trends(_props: Record<string, string>) {
  const { query, setQuery, insightId, invalidUrl } = useUrlQuery<TrendsQueryInput>('TrendsQuery', defaultTrends);
  const update = (patch: Partial<TrendsQueryInput>) => setQuery({ ...query, ...patch });
  const setCompare = (on: boolean) => {
    const { compareFilter: _previous, ...rest } = query;
    setQuery(on ? { ...rest, compareFilter: { compare: true } } : rest);
  };
  const display = (query.trendsFilter?.display ?? 'ActionsLineGraph') as TrendsDisplay;
  const incompleteFilter = allFilters(query.properties).some((f) => !f.key) || nodeFiltersIncomplete(query.series);
  return (
    <div className="page insight-page">
      <h1>Trends</h1>
      {invalidUrl && <ErrorState error="The link's insight could not be read; showing a new trend instead." />}
      <SaveInsight query={query} insightId={insightId} defaultName={`${query.series.map(seriesName).join(', ')} trend`} />
      <div className="insight-layout">
        <section className="card stack insight-editor" aria-label="Trend settings">
          <SeriesEditor series={query.series} onChange={(series) => update({ series })} />
          <InsightFilters properties={query.properties} onChange={(properties) => update({ properties })} />
          <BreakdownPicker value={query.breakdownFilter} onChange={(breakdownFilter) => update({ breakdownFilter })} />
          <div className="row">
            <ChoiceSelect label="Interval" value={query.interval ?? 'day'} choices={INTERVALS} onChange={(interval) => update({ interval })} />
            <DateRangePicker value={query.dateRange} onChange={(dateRange) => update({ dateRange })} />
            <ChoiceSelect label="Display" value={display} choices={DISPLAYS} onChange={(next) => update({ trendsFilter: { ...query.trendsFilter, display: next } })} />
            <label className="insight-check">
              <input
                type="checkbox"
                checked={Boolean(query.compareFilter?.compare)}
                onChange={(e) => setCompare(e.target.checked)}
              />
              Compare to previous period
            </label>
          </div>
        </section>
        <section className="insight-results" aria-label="Trend results">
          {seriesIncomplete(query.series) ? (
            <p className="muted">Choose the property to aggregate.</p>
          ) : incompleteFilter ? (
            <p className="muted">Choose a property for every filter.</p>
          ) : (
            <TrendsResults query={query} />
          )}
          {TOTAL_DISPLAYS.has(display) && <p className="muted">Totals over the whole date range.</p>}
        </section>
      </div>
    </div>
  );
}
