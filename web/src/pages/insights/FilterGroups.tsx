// An insight's filters: a plain list (all must match), or filter groups as PostHog's API nests
// them: an outer AND/OR over groups, each an AND/OR over filters. Deeper nesting (possible in
// the API, not made here) is kept as it is and shown as such.
import type { TrendsQueryInput } from '../../api-types.ts';
import { ChoiceSelect } from './controls.tsx';
import { PropertyFilters } from './PropertyFilters.tsx';
import type { FilterInput } from './types.ts';

export type InsightProperties = TrendsQueryInput['properties'];
type Junction = 'AND' | 'OR';
interface Group {
  type: Junction;
  values: (FilterInput | Group)[];
}
type EditableGroups = { type: Junction; groups: { type: Junction; filters: FilterInput[] }[] };

const isGroup = (value: unknown): value is Group => typeof value === 'object' && value !== null && !Array.isArray(value) && 'values' in value;

/**
 * The groups as the editor shows them, or null when they nest deeper. An outer group holding
 * filters directly reads as one group of them.
 */
function editableGroups(properties: Group): EditableGroups | null {
  if (properties.values.every((v) => !isGroup(v))) return { type: 'AND', groups: [{ type: properties.type, filters: properties.values as FilterInput[] }] };
  if (!properties.values.every((v) => isGroup(v) && v.values.every((f) => !isGroup(f)))) return null;
  return { type: properties.type, groups: (properties.values as Group[]).map((g) => ({ type: g.type, filters: g.values as FilterInput[] })) };
}

const toProperties = (groups: EditableGroups): Group => ({ type: groups.type, values: groups.groups.map((g) => ({ type: g.type, values: g.filters })) });

/** Every filter, however nested: the page waits until each has a property. */
export function allFilters(properties: InsightProperties): FilterInput[] {
  if (Array.isArray(properties)) return properties as FilterInput[];
  if (!isGroup(properties)) return [];
  return properties.values.flatMap((v) => (isGroup(v) ? allFilters(v) : [v]));
}

const OUTER: [Junction, string][] = [
  ['AND', 'All groups'],
  ['OR', 'Any group'],
];
const INNER: [Junction, string][] = [
  ['AND', 'All filters'],
  ['OR', 'Any filter'],
];

export function InsightFilters({ properties, onChange }: { properties: InsightProperties; onChange: (properties: InsightProperties) => void }) {
  if (!isGroup(properties)) {
    const list = Array.isArray(properties) ? (properties as FilterInput[]) : [];
    return (
      <div className="stack">
        <PropertyFilters label="Filters" filters={list} onChange={onChange} />
        <div>
          <button type="button" className="link" onClick={() => onChange({ type: 'AND', values: [{ type: 'AND', values: list }] })}>
            Use filter groups (AND / OR)
          </button>
        </div>
      </div>
    );
  }
  const groups = editableGroups(properties);
  if (!groups) return <p className="muted">This insight has filters nested deeper than groups, kept as they are.</p>;
  const set = (next: EditableGroups) => onChange(toProperties(next));
  const setGroup = (i: number, group: EditableGroups['groups'][number]) => set({ ...groups, groups: groups.groups.map((g, j) => (j === i ? group : g)) });
  return (
    <fieldset className="insight-filter-groups">
      <legend>Filter groups</legend>
      <div className="row">
        <ChoiceSelect label="Match" value={groups.type} choices={OUTER} onChange={(type: Junction) => set({ ...groups, type })} />
      </div>
      {groups.groups.map((group, i) => (
        <div key={i} className="insight-filter-group" role="group" aria-label={`Filter group ${i + 1}`}>
          <div className="row">
            <ChoiceSelect label={`Group ${i + 1} matches`} value={group.type} choices={INNER} onChange={(type: Junction) => setGroup(i, { ...group, type })} />
            <span className="spacer" />
            <button type="button" className="danger" onClick={() => set({ ...groups, groups: groups.groups.filter((_, j) => j !== i) })}>
              Remove group {i + 1}
            </button>
          </div>
          <PropertyFilters label={`Group ${i + 1} filters`} itemLabel={`Group ${i + 1} filter`} addLabel={`Add filter to group ${i + 1}`} filters={group.filters} onChange={(filters) => setGroup(i, { ...group, filters })} />
        </div>
      ))}
      <div className="row">
        <button type="button" onClick={() => set({ ...groups, groups: [...groups.groups, { type: 'AND', filters: [] }] })}>
          Add filter group
        </button>
        {/* Only where a plain list (all filters must match) means the same. */}
        {(groups.groups.length === 0 || (groups.groups.length === 1 && groups.groups[0].type === 'AND')) && (
          <button type="button" className="link" onClick={() => onChange(groups.groups[0]?.filters ?? [])}>
            Back to a plain list
          </button>
        )}
      </div>
    </fieldset>
  );
}
