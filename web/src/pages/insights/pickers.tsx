// Small labelled controls shared by the trends and funnels editors: event, property scope and
// property key pickers fed by the project's event and property definitions, and property value
// suggestions fed by the values stored events, persons and groups have.
import { useEffect, useState } from 'react';
import { api, projectPath } from '../../api.ts';
import type { ApiGroupType, ApiPropertyDefinition, Paginated } from '../../api-types.ts';
import { groupTypeLabel, useProject } from '../../project-context.tsx';
import { useApi } from '../../use-api.ts';
import type { ApiEventDefinition, ApiPropertyValue } from './types.ts';

/** Where a property lives: on the event, the person, or a group of a type. */
export type PropertyScope = { type: 'event' } | { type: 'person' } | { type: 'group'; groupTypeIndex: number };

export const scopeKey = (scope: PropertyScope) => (scope.type === 'group' ? `group:${scope.groupTypeIndex}` : scope.type);

export function parseScope(key: string): PropertyScope {
  if (key.startsWith('group:')) return { type: 'group', groupTypeIndex: Number(key.slice(6)) };
  return { type: key === 'person' ? 'person' : 'event' };
}

export function scopeOptions(groupTypes: readonly ApiGroupType[]): { value: string; label: string }[] {
  return [
    { value: 'event', label: 'Event property' },
    { value: 'person', label: 'Person property' },
    ...groupTypes.map((t) => ({ value: `group:${t.group_type_index}`, label: `${capitalize(groupTypeLabel(groupTypes, t.group_type_index, 'singular'))} property` })),
  ];
}

export const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function useEventNames() {
  return useApi((signal) => api<Paginated<ApiEventDefinition>>(projectPath('event_definitions/'), { signal }), []);
}

export function usePropertyDefinitions(scope: PropertyScope) {
  const params = new URLSearchParams({ type: scope.type, limit: '500' });
  if (scope.type === 'group') params.set('group_type_index', String(scope.groupTypeIndex));
  const path = projectPath(`property_definitions/?${params.toString()}`);
  return useApi((signal) => api<Paginated<ApiPropertyDefinition>>(path, { signal }), [path]);
}

/**
 * Known values of a property, most frequent first (20 at most), narrowed to those containing
 * `search` in any case. Empty while no property is chosen.
 */
export function usePropertyValues(scope: PropertyScope, key: string, search = '') {
  const params = new URLSearchParams({ key });
  if (search) params.set('value', search);
  let path: string;
  if (scope.type === 'group') {
    params.set('group_type_index', String(scope.groupTypeIndex));
    path = projectPath(`groups/property_values/?${params.toString()}`);
  } else {
    path = projectPath(`${scope.type === 'person' ? 'persons' : 'events'}/values/?${params.toString()}`);
  }
  return useApi(async (signal): Promise<string[]> => {
    if (!key) return [];
    if (scope.type === 'group') return (await api<{ results: ApiPropertyValue[] }>(path, { signal })).results.map((v) => v.name);
    return (await api<ApiPropertyValue[]>(path, { signal })).map((v) => v.name);
  }, [path, key]);
}

/** A datalist of suggested values, for an input's `list`. */
export function SuggestionList({ id, values }: { id: string; values: readonly string[] | undefined }) {
  return (
    <datalist id={id}>
      {(values ?? []).map((v) => (
        <option key={v} value={v} />
      ))}
    </datalist>
  );
}

/** An event name, or "All events" (null) when allowed. */
export function EventSelect({ label, value, onChange, allowAll = true }: { label: string; value: string | null | undefined; onChange: (event: string | null) => void; allowAll?: boolean }) {
  const events = useEventNames();
  const names = (events.data?.results ?? []).map((e) => e.name).filter((n) => n !== '$groupidentify');
  if (value && !names.includes(value)) names.unshift(value);
  return (
    <label>
      {label}
      <select aria-label={label} value={value ?? ''} onChange={(e) => onChange(e.target.value === '' ? null : e.target.value)}>
        {allowAll && <option value="">All events</option>}
        {!allowAll && !value && <option value="">Choose an event…</option>}
        {names.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
      {events.error ? <span className="form-error">Could not load events: {String((events.error as Error).message)}</span> : null}
    </label>
  );
}

export function ScopeSelect({ label, value, onChange }: { label: string; value: PropertyScope; onChange: (scope: PropertyScope) => void }) {
  const { groupTypes } = useProject();
  return (
    <label>
      {label}
      <select aria-label={label} value={scopeKey(value)} onChange={(e) => onChange(parseScope(e.target.value))}>
        {scopeOptions(groupTypes).map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A property name of a scope, picked from the property definitions (typed when there are none). */
export function PropertyKeySelect({
  label,
  scope,
  value,
  onChange,
  numericOnly = false,
}: {
  label: string;
  scope: PropertyScope;
  value: string;
  onChange: (key: string) => void;
  numericOnly?: boolean;
}) {
  const definitions = usePropertyDefinitions(scope);
  const names = (definitions.data?.results ?? []).filter((d) => !numericOnly || d.is_numerical).map((d) => d.name);
  if (!definitions.loading && names.length === 0) {
    return <CommitInput label={label} value={value} placeholder="Property name" onCommit={onChange} />;
  }
  if (value && !names.includes(value)) names.unshift(value);
  return (
    <label>
      {label}
      <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{definitions.loading ? 'Loading…' : 'Choose a property…'}</option>
        {names.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A text input that applies its value on Enter or when it loses focus, not on every key. */
export function CommitInput({
  label,
  value,
  onCommit,
  placeholder,
  type = 'text',
  list,
  onDraft,
}: {
  label: string;
  value: string;
  onCommit: (value: string) => void;
  placeholder?: string;
  type?: 'text' | 'number' | 'date';
  list?: string;
  onDraft?: (value: string) => void;
}) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const commit = () => {
    if (draft !== value) onCommit(draft);
  };
  return (
    <label>
      {label}
      <input
        type={type}
        value={draft}
        list={list}
        placeholder={placeholder}
        onChange={(e) => {
          setDraft(e.target.value);
          onDraft?.(e.target.value);
        }}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
        }}
      />
    </label>
  );
}
