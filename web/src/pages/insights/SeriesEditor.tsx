// The series of a trends insight: an event (or all events) and what to count of it.
import { groupTypeLabel, useProject } from '../../project-context.tsx';
import { uniqueGroupsLabel } from './controls.tsx';
import { EventSelect, PropertyKeySelect } from './pickers.tsx';
import { PropertyFilters } from './PropertyFilters.tsx';
import type { SeriesNode } from './types.ts';

type Math = NonNullable<SeriesNode['math']>;

const PROPERTY_MATHS: [Math, string][] = [
  ['sum', 'Sum of property'],
  ['avg', 'Average of property'],
  ['min', 'Minimum of property'],
  ['max', 'Maximum of property'],
  ['median', 'Median of property'],
  ['p90', '90th percentile of property'],
];
const PROPERTY_MATH_SET = new Set<Math>(PROPERTY_MATHS.map(([m]) => m));

/** The math select's value: the math, with the group type for unique_group ("unique_group:0"). */
function mathKey(node: SeriesNode): string {
  const math = node.math ?? 'total';
  return math === 'unique_group' ? `unique_group:${node.math_group_type_index ?? 0}` : math;
}

function withMath(node: SeriesNode, key: string): SeriesNode {
  if (key.startsWith('unique_group:')) return { ...node, math: 'unique_group', math_group_type_index: Number(key.slice(13)), math_property: null };
  const math = key as Math;
  return { ...node, math, math_group_type_index: null, math_property: PROPERTY_MATH_SET.has(math) ? (node.math_property ?? null) : null };
}

export const seriesName = (node: SeriesNode, index: number) => node.custom_name || node.event || (index === 0 ? 'All events' : `Series ${index + 1}`);

export function SeriesEditor({ series, onChange }: { series: readonly SeriesNode[]; onChange: (series: SeriesNode[]) => void }) {
  const set = (i: number, node: SeriesNode) => onChange(series.map((s, j) => (j === i ? node : s)));
  return (
    <fieldset className="insight-series">
      <legend>Series</legend>
      {series.map((node, i) => (
        <SeriesRow
          key={i}
          node={node}
          number={i + 1}
          onChange={(n) => set(i, n)}
          onRemove={series.length > 1 ? () => onChange(series.filter((_, j) => j !== i)) : undefined}
        />
      ))}
      <div>
        <button type="button" onClick={() => onChange([...series, { kind: 'EventsNode', event: null, math: 'total' }])}>
          Add series
        </button>
      </div>
    </fieldset>
  );
}

function SeriesRow({ node, number, onChange, onRemove }: { node: SeriesNode; number: number; onChange: (n: SeriesNode) => void; onRemove?: () => void }) {
  const { groupTypes } = useProject();
  const math = node.math ?? 'total';
  return (
    <div className="insight-node">
      <div className="row insight-series-row" role="group" aria-label={`Series ${number}`}>
        <EventSelect label={`Series ${number} event`} value={node.event} onChange={(event) => onChange({ ...node, event, name: event })} />
        <label>
          {`Series ${number} counts`}
          <select aria-label={`Series ${number} counts`} value={mathKey(node)} onChange={(e) => onChange(withMath(node, e.target.value))}>
            <option value="total">Total count</option>
            <option value="dau">Unique users</option>
            {groupTypes.map((t) => (
              <option key={t.group_type_index} value={`unique_group:${t.group_type_index}`}>
                {uniqueGroupsLabel(groupTypes, t.group_type_index)}
              </option>
            ))}
            <option value="weekly_active">Weekly active users</option>
            <option value="monthly_active">Monthly active users</option>
            {PROPERTY_MATHS.map(([m, text]) => (
              <option key={m} value={m}>
                {text}
              </option>
            ))}
          </select>
        </label>
        {PROPERTY_MATH_SET.has(math) && (
          <PropertyKeySelect
            label={`Series ${number} property`}
            scope={{ type: 'event' }}
            numericOnly
            value={node.math_property ?? ''}
            onChange={(key) => onChange({ ...node, math_property: key || null })}
          />
        )}
        {onRemove && (
          <button type="button" className="danger" aria-label={`Remove series ${number}`} onClick={onRemove}>
            Remove
          </button>
        )}
        {math === 'unique_group' && <span className="muted">{`Counts each ${groupTypeLabel(groupTypes, node.math_group_type_index ?? 0, 'singular')} once`}</span>}
      </div>
      <PropertyFilters
        className="insight-node-filters"
        label={`Series ${number} filters`}
        itemLabel={`Series ${number} filter`}
        addLabel={`Filter series ${number}`}
        filters={node.properties ?? []}
        onChange={(properties) => onChange({ ...node, properties })}
      />
    </div>
  );
}

/** A property math without its property cannot run yet. */
export const seriesIncomplete = (series: readonly SeriesNode[]) => series.some((s) => PROPERTY_MATH_SET.has(s.math ?? 'total') && !s.math_property);

/** A series or step filter without its property cannot run yet. */
export const nodeFiltersIncomplete = (nodes: readonly SeriesNode[]) => nodes.some((s) => (s.properties ?? []).some((f) => !f.key));
