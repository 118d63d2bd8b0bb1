// Property filters of an insight (or of one series / step): each row picks where the property
// lives, its name, an operator and a value. Values are suggested from the stored events, persons
// or groups.
import { useEffect, useId, useState } from 'react';
import type { PropertyOperator } from '../../api-types.ts';
import { ChoiceSelect } from './controls.tsx';
import { CommitInput, PropertyKeySelect, ScopeSelect, SuggestionList, usePropertyValues, type PropertyScope } from './pickers.tsx';
import type { FilterInput } from './types.ts';

const OPERATORS: [PropertyOperator, string][] = [
  ['exact', 'equals'],
  ['is_not', 'does not equal'],
  ['icontains', 'contains'],
  ['not_icontains', 'does not contain'],
  ['regex', 'matches regex'],
  ['not_regex', 'does not match regex'],
  ['gt', 'greater than'],
  ['gte', 'at least'],
  ['lt', 'less than'],
  ['lte', 'at most'],
  ['is_set', 'is set'],
  ['is_not_set', 'is not set'],
  ['is_date_before', 'date before'],
  ['is_date_after', 'date after'],
];
const NUMERIC_OPERATORS = new Set<PropertyOperator>(['gt', 'gte', 'lt', 'lte']);
const VALUELESS_OPERATORS = new Set<PropertyOperator>(['is_set', 'is_not_set']);

const filterScope = (f: FilterInput): PropertyScope =>
  f.type === 'group' ? { type: 'group', groupTypeIndex: f.group_type_index ?? 0 } : { type: f.type === 'person' ? 'person' : 'event' };

function withScope(filter: FilterInput, scope: PropertyScope): FilterInput {
  return { ...filter, key: '', value: null, type: scope.type, group_type_index: scope.type === 'group' ? scope.groupTypeIndex : null };
}

/** The value as the server should compare it: numbers for numeric operators, text otherwise. */
function typedValue(operator: PropertyOperator, text: string): string | number | null {
  if (VALUELESS_OPERATORS.has(operator)) return null;
  if (NUMERIC_OPERATORS.has(operator) && text.trim() !== '' && !Number.isNaN(Number(text))) return Number(text);
  return text;
}

/**
 * `itemLabel` names each row ("Filter" gives "Filter 1 property"; "Step 2 filter" gives "Step 2
 * filter 1 property"), `addLabel` the add button's text, so several lists on one page
 * keep distinct labels.
 */
export function PropertyFilters({
  label,
  filters,
  onChange,
  itemLabel = 'Filter',
  addLabel,
  className,
}: {
  label: string;
  filters: readonly FilterInput[];
  onChange: (filters: FilterInput[]) => void;
  itemLabel?: string;
  addLabel?: string;
  className?: string;
}) {
  const set = (i: number, filter: FilterInput) => onChange(filters.map((f, j) => (j === i ? filter : f)));
  return (
    <fieldset className={className ? `insight-filters ${className}` : 'insight-filters'}>
      <legend>{label}</legend>
      {filters.map((filter, i) => (
        <FilterRow key={i} filter={filter} name={`${itemLabel} ${i + 1}`} onChange={(f) => set(i, f)} onRemove={() => onChange(filters.filter((_, j) => j !== i))} />
      ))}
      <div>
        <button type="button" onClick={() => onChange([...filters, { key: '', value: null, operator: 'exact', type: 'event' }])}>
          {addLabel ?? 'Add filter'}
        </button>
      </div>
    </fieldset>
  );
}

function FilterRow({ filter, name, onChange, onRemove }: { filter: FilterInput; name: string; onChange: (f: FilterInput) => void; onRemove: () => void }) {
  const operator = filter.operator ?? 'exact';
  const scope = filterScope(filter);
  const value = filter.value === null || filter.value === undefined ? '' : Array.isArray(filter.value) ? filter.value.join(', ') : String(filter.value);
  return (
    <div className="row insight-filter-row" role="group" aria-label={name}>
      <ScopeSelect label={`${name} applies to`} value={scope} onChange={(s) => onChange(withScope(filter, s))} />
      <PropertyKeySelect label={`${name} property`} scope={scope} value={filter.key} onChange={(key) => onChange({ ...filter, key, value: null })} />
      <ChoiceSelect
        label={`${name} operator`}
        value={operator}
        choices={OPERATORS}
        onChange={(next) => onChange({ ...filter, operator: next, value: typedValue(next, value) })}
      />
      {!VALUELESS_OPERATORS.has(operator) && (
        <FilterValueInput label={`${name} value`} scope={scope} propertyKey={filter.key} value={value} onCommit={(text) => onChange({ ...filter, value: typedValue(operator, text) })} />
      )}
      <button type="button" className="danger" aria-label={`Remove ${name.charAt(0).toLowerCase()}${name.slice(1)}`} onClick={onRemove}>
        Remove
      </button>
    </div>
  );
}

/** Free text, with the property's known values (those containing the text typed) as suggestions. */
function FilterValueInput({ label, scope, propertyKey, value, onCommit }: { label: string; scope: PropertyScope; propertyKey: string; value: string; onCommit: (v: string) => void }) {
  const listId = useId();
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const suggestions = usePropertyValues(scope, propertyKey, draft);
  return (
    <>
      <CommitInput label={label} value={value} onCommit={onCommit} onDraft={setDraft} list={listId} placeholder="Value" />
      <SuggestionList id={listId} values={suggestions.data} />
    </>
  );
}
