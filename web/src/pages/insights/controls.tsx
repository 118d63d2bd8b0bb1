// Breakdown, date range and choice controls, shared by trends and funnels.
import { groupTypeLabel, useProject } from '../../project-context.tsx';
import { capitalize, PropertyKeySelect, scopeOptions, type PropertyScope } from './pickers.tsx';
import type { BreakdownFilterInput, DateRangeInput } from './types.ts';

/** The breakdown kind as one select value: none, a property scope, or "the group itself" (key:N). */
function breakdownKind(filter: BreakdownFilterInput | null | undefined): string {
  if (!filter || filter.breakdown === null || filter.breakdown === undefined || filter.breakdown === '') {
    return filter?.breakdown_type ? (filter.breakdown_type === 'group' ? `group:${filter.breakdown_group_type_index ?? 0}` : filter.breakdown_type) : 'none';
  }
  const m = /^\$group_(\d)$/.exec(String(filter.breakdown));
  if (m && (filter.breakdown_type ?? 'event') === 'event') return `key:${m[1]}`;
  if (filter.breakdown_type === 'group') return `group:${filter.breakdown_group_type_index ?? 0}`;
  return filter.breakdown_type ?? 'event';
}

function scopeOf(kind: string): PropertyScope {
  if (kind.startsWith('group:')) return { type: 'group', groupTypeIndex: Number(kind.slice(6)) };
  return { type: kind === 'person' ? 'person' : 'event' };
}

export function BreakdownPicker({ value, onChange }: { value: BreakdownFilterInput | null | undefined; onChange: (filter: BreakdownFilterInput | null) => void }) {
  const { groupTypes } = useProject();
  const kind = breakdownKind(value);
  const choose = (next: string) => {
    if (next === 'none') return onChange(null);
    if (next.startsWith('key:')) return onChange({ breakdown: `$group_${next.slice(4)}`, breakdown_type: 'event' });
    const scope = scopeOf(next);
    onChange({ breakdown: null, breakdown_type: scope.type, breakdown_group_type_index: scope.type === 'group' ? scope.groupTypeIndex : null });
  };
  const showKey = kind !== 'none' && !kind.startsWith('key:');
  return (
    <div className="row">
      <label>
        Breakdown
        <select aria-label="Breakdown" value={kind} onChange={(e) => choose(e.target.value)}>
          <option value="none">No breakdown</option>
          {groupTypes.map((t) => (
            <option key={`key:${t.group_type_index}`} value={`key:${t.group_type_index}`}>
              {`By ${groupTypeLabel(groupTypes, t.group_type_index, 'singular')}`}
            </option>
          ))}
          {scopeOptions(groupTypes).map((o) => (
            <option key={o.value} value={o.value}>
              {`By ${o.label.toLowerCase()}`}
            </option>
          ))}
        </select>
      </label>
      {showKey && (
        <PropertyKeySelect
          label="Breakdown property"
          scope={scopeOf(kind)}
          value={value?.breakdown === null || value?.breakdown === undefined ? '' : String(value.breakdown)}
          onChange={(key) => onChange({ ...value, breakdown: key || null })}
        />
      )}
    </div>
  );
}

const DATE_PRESETS: [string, string][] = [
  ['-24h', 'Last 24 hours'],
  ['-7d', 'Last 7 days'],
  ['-14d', 'Last 14 days'],
  ['-30d', 'Last 30 days'],
  ['-90d', 'Last 90 days'],
  ['mStart', 'This month'],
  ['yStart', 'This year'],
  ['all', 'All time'],
];

export function DateRangePicker({ value, onChange }: { value: DateRangeInput | null | undefined; onChange: (range: DateRangeInput) => void }) {
  const from = value?.date_from ?? '-7d';
  const preset = DATE_PRESETS.some(([v]) => v === from) && !value?.date_to ? from : 'custom';
  const today = new Date().toISOString().slice(0, 10);
  return (
    <div className="row">
      <label>
        Date range
        <select aria-label="Date range"
          value={preset}
          onChange={(e) => onChange(e.target.value === 'custom' ? { date_from: addDays(today, -6), date_to: today } : { date_from: e.target.value, date_to: null })}
        >
          {DATE_PRESETS.map(([v, text]) => (
            <option key={v} value={v}>
              {text}
            </option>
          ))}
          <option value="custom">Custom dates</option>
        </select>
      </label>
      {preset === 'custom' && (
        <>
          <label>
            From
            <input type="date" value={isDay(from) ? from : ''} onChange={(e) => e.target.value && onChange({ date_from: e.target.value, date_to: value?.date_to ?? today })} />
          </label>
          <label>
            To
            <input type="date" value={isDay(value?.date_to) ? value!.date_to! : ''} onChange={(e) => e.target.value && onChange({ date_from: from, date_to: e.target.value })} />
          </label>
        </>
      )}
    </div>
  );
}

const isDay = (text: string | null | undefined): text is string => !!text && /^\d{4}-\d{2}-\d{2}$/.test(text);

function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** "Unique companies" style label of a group type, for math and aggregation pickers. */
export const uniqueGroupsLabel = (groupTypes: Parameters<typeof groupTypeLabel>[0], index: number) => `Unique ${groupTypeLabel(groupTypes, index, 'plural').toLowerCase()}`;
export { capitalize };

/** A labelled select over fixed choices, [value, text] each. */
export function ChoiceSelect<T extends string>({ label, value, choices, onChange }: { label: string; value: T; choices: readonly (readonly [T, string])[]; onChange: (value: T) => void }) {
  return (
    <label>
      {label}
      <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value as T)}>
        {choices.map(([choice, text]) => (
          <option key={choice} value={choice}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}
