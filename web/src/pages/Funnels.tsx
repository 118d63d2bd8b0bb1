// Funnels: ordered steps, counted per person or per group, with conversion and drop-off per step.
// The query lives in the URL; clicking a count lists the groups or persons behind it.
import type { FunnelsQueryInput } from '../api-types.ts';
import { ErrorState } from '../components/states.tsx';
import { groupTypeLabel, useProject } from '../project-context.tsx';
import { BreakdownPicker, ChoiceSelect, DateRangePicker, uniqueGroupsLabel } from './insights/controls.tsx';
import { FunnelResults } from './insights/FunnelResults.tsx';
import { EventSelect } from './insights/pickers.tsx';
import { PropertyFilters } from './insights/PropertyFilters.tsx';
import { SaveInsight } from './insights/SaveInsight.tsx';
import type { FilterInput, SeriesNode } from './insights/types.ts';
import { useUrlQuery } from './insights/url-state.ts';
import './insights.css';

type FunnelsFilter = NonNullable<FunnelsQueryInput['funnelsFilter']>;
type WindowUnit = NonNullable<FunnelsFilter['funnelWindowIntervalUnit']>;
type OrderType = NonNullable<FunnelsFilter['funnelOrderType']>;

const defaultFunnel = (): FunnelsQueryInput => ({
  kind: 'FunnelsQuery',
  series: [
    { kind: 'EventsNode', event: null },
    { kind: 'EventsNode', event: null },
  ],
  dateRange: { date_from: '-30d' },
  funnelsFilter: { funnelWindowInterval: 14, funnelWindowIntervalUnit: 'day', funnelOrderType: 'ordered' },
});

const UNITS: WindowUnit[] = ['second', 'minute', 'hour', 'day', 'week', 'month'];
const ORDERS: [OrderType, string][] = [
  ['ordered', 'Sequential'],
  ['strict', 'Strict (no other events between steps)'],
  ['unordered', 'Any order'],
];
const MAX_STEPS = 20;

export function Funnels(_props: Record<string, string>) {
  const { groupTypes } = useProject();
  const { query, setQuery, insightId, invalidUrl } = useUrlQuery<FunnelsQueryInput>('FunnelsQuery', defaultFunnel);
  const update = (patch: Partial<FunnelsQueryInput>) => setQuery({ ...query, ...patch });
  const filter = query.funnelsFilter ?? {};
  const updateFilter = (patch: Partial<FunnelsFilter>) => update({ funnelsFilter: { ...filter, ...patch } });
  const aggregation = query.aggregation_group_type_index;
  const actorsLabel = aggregation === null || aggregation === undefined ? 'persons' : groupTypeLabel(groupTypes, aggregation, 'plural').toLowerCase();
  const filters: FilterInput[] | null = Array.isArray(query.properties) ? query.properties : query.properties ? null : [];
  const ready = query.series.every((s) => s.event !== undefined) && (filters ?? []).every((f) => f.key);

  return (
    <div className="page insight-page">
      <h1>Funnels</h1>
      {invalidUrl && <ErrorState error="The link's funnel could not be read; showing a new funnel instead." />}
      <SaveInsight query={query} insightId={insightId} defaultName={`${query.series.map((s) => s.event ?? 'All events').join(' → ')} funnel`} />
      <div className="insight-layout">
        <section className="card stack insight-editor" aria-label="Funnel settings">
          <StepsEditor steps={query.series} onChange={(series) => update({ series })} />
          <div className="row">
            <label>
              Aggregating by
              <select aria-label="Aggregating by"
                value={aggregation === null || aggregation === undefined ? 'persons' : String(aggregation)}
                onChange={(e) => update({ aggregation_group_type_index: e.target.value === 'persons' ? null : Number(e.target.value) })}
              >
                <option value="persons">Unique users</option>
                {groupTypes.map((t) => (
                  <option key={t.group_type_index} value={String(t.group_type_index)}>
                    {uniqueGroupsLabel(groupTypes, t.group_type_index)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Conversion window
              <input
                type="number"
                min={1}
                value={filter.funnelWindowInterval ?? 14}
                onChange={(e) => {
                  const n = Math.floor(Number(e.target.value));
                  if (n >= 1) updateFilter({ funnelWindowInterval: n });
                }}
              />
            </label>
            <label>
              Window unit
              <select aria-label="Window unit" value={filter.funnelWindowIntervalUnit ?? 'day'} onChange={(e) => updateFilter({ funnelWindowIntervalUnit: e.target.value as WindowUnit })}>
                {UNITS.map((u) => (
                  <option key={u} value={u}>
                    {`${u}s`}
                  </option>
                ))}
              </select>
            </label>
            <ChoiceSelect label="Step order" value={filter.funnelOrderType ?? 'ordered'} choices={ORDERS} onChange={(funnelOrderType: OrderType) => updateFilter({ funnelOrderType })} />
          </div>
          {filters ? (
            <PropertyFilters label="Filters" filters={filters} onChange={(properties) => update({ properties })} />
          ) : (
            <p className="muted">This funnel has grouped (AND/OR) filters, kept as they are.</p>
          )}
          <div className="row">
            <BreakdownPicker value={query.breakdownFilter} onChange={(breakdownFilter) => update({ breakdownFilter })} />
            <DateRangePicker value={query.dateRange} onChange={(dateRange) => update({ dateRange })} />
          </div>
        </section>
        <section className="insight-results" aria-label="Funnel results">
          {ready ? <FunnelResults query={query} actorsLabel={actorsLabel} /> : <p className="muted">Choose a property for every filter.</p>}
        </section>
      </div>
    </div>
  );
}

function StepsEditor({ steps, onChange }: { steps: readonly SeriesNode[]; onChange: (steps: SeriesNode[]) => void }) {
  const move = (from: number, to: number) => {
    const next = [...steps];
    [next[from], next[to]] = [next[to], next[from]];
    onChange(next);
  };
  return (
    <fieldset className="insight-series">
      <legend>Steps</legend>
      {steps.map((step, i) => (
        <div key={i} className="row insight-series-row" role="group" aria-label={`Step ${i + 1}`}>
          <EventSelect label={`Step ${i + 1} event`} value={step.event} onChange={(event) => onChange(steps.map((s, j) => (j === i ? { ...s, event, name: event } : s)))} />
          <button type="button" aria-label={`Move step ${i + 1} up`} disabled={i === 0} onClick={() => move(i, i - 1)}>
            ↑
          </button>
          <button type="button" aria-label={`Move step ${i + 1} down`} disabled={i === steps.length - 1} onClick={() => move(i, i + 1)}>
            ↓
          </button>
          <button type="button" className="danger" aria-label={`Remove step ${i + 1}`} disabled={steps.length <= 2} onClick={() => onChange(steps.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <div>
        <button type="button" disabled={steps.length >= MAX_STEPS} onClick={() => onChange([...steps, { kind: 'EventsNode', event: null }])}>
          Add step
        </button>
      </div>
    </fieldset>
  );
}
