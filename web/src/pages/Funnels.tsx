// Funnels: ordered steps, counted per person or per group, with conversion and drop-off per step.
// The query lives in the URL; clicking a count lists the groups or persons behind it.
import type { FunnelsQueryInput } from '../api-types.ts';
import { ErrorState } from '../components/states.tsx';
import { groupTypeLabel, useProject } from '../project-context.tsx';
import { BreakdownPicker, ChoiceSelect, DateRangePicker, uniqueGroupsLabel } from './insights/controls.tsx';
import { FunnelResults } from './insights/FunnelResults.tsx';
import { EventSelect } from './insights/pickers.tsx';
import { allFilters, InsightFilters } from './insights/FilterGroups.tsx';
import { PropertyFilters } from './insights/PropertyFilters.tsx';
import { SaveInsight } from './insights/SaveInsight.tsx';
import { nodeFiltersIncomplete } from './insights/SeriesEditor.tsx';
import type { FilterInput, SeriesNode } from './insights/types.ts';
import { useUrlQuery } from './insights/url-state.ts';
import './insights.css';

type FunnelsFilter = NonNullable<FunnelsQueryInput['funnelsFilter']>;
type WindowUnit = NonNullable<FunnelsFilter['funnelWindowIntervalUnit']>;
type OrderType = NonNullable<FunnelsFilter['funnelOrderType']>;
type Exclusion = NonNullable<FunnelsFilter['exclusions']>[number];
type Attribution = NonNullable<FunnelsFilter['breakdownAttributionType']>;

const defaultFunnel = (): FunnelsQueryInput => ({
  kind: 'FunnelsQuery',
  series: [
    { kind: 'EventsNode', event: null },
    { kind: 'EventsNode', event: null },
  ],
  dateRange: { date_from: '-30d' },
  funnelsFilter: { funnelWindowInterval: 14, funnelWindowIntervalUnit: 'day', funnelOrderType: 'ordered' },
});

const UNITS: [WindowUnit, string][] = (['second', 'minute', 'hour', 'day', 'week', 'month'] as const).map((u) => [u, `${u}s`]);
const ORDERS: [OrderType, string][] = [
  ['ordered', 'Sequential'],
  ['strict', 'Strict (no other events between steps)'],
  ['unordered', 'Any order'],
];
// Which breakdown value a funnel attempt counts under, as PostHog names them.
const ATTRIBUTIONS: [Attribution, string][] = [
  ['first_touch', 'First touchpoint'],
  ['last_touch', 'Last touchpoint'],
  ['all_events', 'All events'],
  ['step', 'One step'],
];
const MAX_STEPS = 20;
const MAX_EXCLUSIONS = 10;

/**
 * Exclusions the server accepts for these steps: each range kept inside the funnel (from before
 * to, both 0-based), and the whole funnel when the steps may come in any order.
 */
function fittedExclusions(exclusions: readonly Exclusion[] | null | undefined, steps: number, order: OrderType): Exclusion[] {
  return (exclusions ?? []).map((x) => {
    if (order === 'unordered') return { ...x, funnelFromStep: 0, funnelToStep: steps - 1 };
    const from = Math.min(Math.max(0, x.funnelFromStep), steps - 2);
    const to = Math.min(Math.max(from + 1, x.funnelToStep), steps - 1);
    return { ...x, funnelFromStep: from, funnelToStep: to };
  });
}

export function Funnels(_props: Record<string, string>) {
  const { groupTypes } = useProject();
  const { query, setQuery, insightId, invalidUrl } = useUrlQuery<FunnelsQueryInput>('FunnelsQuery', defaultFunnel);
  const update = (patch: Partial<FunnelsQueryInput>) => setQuery({ ...query, ...patch });
  const filter = query.funnelsFilter ?? {};
  const updateFilter = (patch: Partial<FunnelsFilter>) => update({ funnelsFilter: { ...filter, ...patch } });
  const aggregation = query.aggregation_group_type_index;
  const hasBreakdown = query.breakdownFilter?.breakdown !== null && query.breakdownFilter?.breakdown !== undefined;
  const actorsLabel = aggregation === null || aggregation === undefined ? 'persons' : groupTypeLabel(groupTypes, aggregation, 'plural').toLowerCase();
  const order = filter.funnelOrderType ?? 'ordered';
  const exclusions = fittedExclusions(filter.exclusions, query.series.length, order);
  const exclusionsReady = exclusions.every((x) => x.event);
  const filtersReady = query.series.every((s) => s.event !== undefined) && allFilters(query.properties).every((f) => f.key) && !nodeFiltersIncomplete(query.series);
  // What runs (and is saved): the exclusions as fitted to the current steps.
  const runnable: FunnelsQueryInput = filter.exclusions ? { ...query, funnelsFilter: { ...filter, exclusions } } : query;

  return (
    <div className="page insight-page">
      <h1>Funnels</h1>
      {invalidUrl && <ErrorState error="The link's funnel could not be read; showing a new funnel instead." />}
      <SaveInsight query={runnable} insightId={insightId} defaultName={`${query.series.map((s) => s.event ?? 'All events').join(' → ')} funnel`} />
      <div className="insight-layout">
        <section className="card stack insight-editor" aria-label="Funnel settings">
          <StepsEditor steps={query.series} onChange={(series) => update({ series })} />
          <ExclusionsEditor
            exclusions={exclusions}
            steps={query.series.length}
            anyOrder={order === 'unordered'}
            onChange={(next) => updateFilter({ exclusions: next.length > 0 ? next : undefined })}
          />
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
            <ChoiceSelect label="Window unit" value={filter.funnelWindowIntervalUnit ?? 'day'} choices={UNITS} onChange={(funnelWindowIntervalUnit: WindowUnit) => updateFilter({ funnelWindowIntervalUnit })} />
            <ChoiceSelect label="Step order" value={filter.funnelOrderType ?? 'ordered'} choices={ORDERS} onChange={(funnelOrderType: OrderType) => updateFilter({ funnelOrderType })} />
          </div>
          <InsightFilters properties={query.properties} onChange={(properties) => update({ properties })} />
          <div className="row">
            <BreakdownPicker value={query.breakdownFilter} onChange={(breakdownFilter) => update({ breakdownFilter })} />
            {hasBreakdown && (
              <ChoiceSelect
                label="Breakdown attribution"
                value={filter.breakdownAttributionType ?? 'first_touch'}
                choices={ATTRIBUTIONS}
                onChange={(type: Attribution) => updateFilter({ breakdownAttributionType: type, breakdownAttributionValue: type === 'step' ? 0 : null })}
              />
            )}
            {hasBreakdown && filter.breakdownAttributionType === 'step' && (
              <ChoiceSelect
                label="Attribution step"
                value={String(Math.min(filter.breakdownAttributionValue ?? 0, query.series.length - 1))}
                choices={query.series.map((_, i) => [String(i), `Step ${i + 1}`] as const)}
                onChange={(step) => updateFilter({ breakdownAttributionValue: Number(step) })}
              />
            )}
            <DateRangePicker value={query.dateRange} onChange={(dateRange) => update({ dateRange })} />
          </div>
        </section>
        <section className="insight-results" aria-label="Funnel results">
          {!filtersReady ? (
            <p className="muted">Choose a property for every filter.</p>
          ) : !exclusionsReady ? (
            <p className="muted">Choose an event for every exclusion.</p>
          ) : (
            <FunnelResults query={runnable} actorsLabel={actorsLabel} />
          )}
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
        <div key={i} className="insight-node">
          <div className="row insight-series-row" role="group" aria-label={`Step ${i + 1}`}>
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
          <PropertyFilters
            className="insight-node-filters"
            label={`Step ${i + 1} filters`}
            itemLabel={`Step ${i + 1} filter`}
            addLabel={`Filter step ${i + 1}`}
            filters={step.properties ?? []}
            onChange={(properties) => onChange(steps.map((s, j) => (j === i ? { ...s, properties } : s)))}
          />
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


/** Events that void an attempt when they happen between two of its steps ("Exclude X between step A and step B"). */
function ExclusionsEditor({ exclusions, steps, anyOrder, onChange }: { exclusions: readonly Exclusion[]; steps: number; anyOrder: boolean; onChange: (exclusions: Exclusion[]) => void }) {
  const set = (i: number, patch: Partial<Exclusion>) => onChange(exclusions.map((x, j) => (j === i ? { ...x, ...patch } : x)));
  const stepNumbers = Array.from({ length: steps }, (_, i) => i);
  return (
    <fieldset className="insight-exclusions">
      <legend>Exclusions</legend>
      {anyOrder && exclusions.length > 0 && <p className="muted">In any-order funnels an exclusion covers the whole funnel.</p>}
      {exclusions.map((x, i) => {
        const name = `Exclusion ${i + 1}`;
        return (
          <div key={i} className="row insight-series-row" role="group" aria-label={name}>
            <EventSelect label={`${name} event`} allowAll={false} value={x.event || null} onChange={(event) => set(i, { event: event ?? '' })} />
            <label>
              {`${name} from step`}
              <select
                aria-label={`${name} from step`}
                disabled={anyOrder}
                value={x.funnelFromStep}
                onChange={(e) => {
                  const from = Number(e.target.value);
                  set(i, { funnelFromStep: from, funnelToStep: Math.max(x.funnelToStep, from + 1) });
                }}
              >
                {stepNumbers.slice(0, -1).map((n) => (
                  <option key={n} value={n}>
                    {`Step ${n + 1}`}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {`${name} to step`}
              <select aria-label={`${name} to step`} disabled={anyOrder} value={x.funnelToStep} onChange={(e) => set(i, { funnelToStep: Number(e.target.value) })}>
                {stepNumbers.slice(x.funnelFromStep + 1).map((n) => (
                  <option key={n} value={n}>
                    {`Step ${n + 1}`}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" className="danger" aria-label={`Remove exclusion ${i + 1}`} onClick={() => onChange(exclusions.filter((_, j) => j !== i))}>
              Remove
            </button>
            {x.event && <span className="muted">{`Exclude ${x.event} between step ${x.funnelFromStep + 1} and step ${x.funnelToStep + 1}`}</span>}
          </div>
        );
      })}
      <div>
        <button
          type="button"
          disabled={exclusions.length >= MAX_EXCLUSIONS}
          onClick={() => onChange([...exclusions, { kind: 'EventsNode', event: '', funnelFromStep: 0, funnelToStep: steps - 1 }])}
        >
          Add exclusion
        </button>
      </div>
    </fieldset>
  );
}
