// Chooses which group properties show as columns, from the group type's property definitions.
// The choice is remembered in localStorage per project and group type.
import { useCallback, useState } from 'react';
import { api, projectPath } from '../../api.ts';
import type { ApiPropertyDefinition, Paginated } from '../../api-types.ts';
import { useApi } from '../../use-api.ts';

const storageKey = (projectId: number, groupTypeIndex: number) => `prickle.groupColumns.${projectId}.${groupTypeIndex}`;

function readStored(key: string): string[] | null {
  try {
    const parsed: unknown = JSON.parse(window.localStorage.getItem(key) ?? 'null');
    return Array.isArray(parsed) ? parsed.filter((c): c is string => typeof c === 'string') : null;
  } catch {
    return null;
  }
}

/** The chosen columns, the names available, and a setter that remembers the choice. */
export function useGroupColumns(projectId: number, groupTypeIndex: number) {
  const key = storageKey(projectId, groupTypeIndex);
  const definitions = useApi(
    (signal) =>
      api<Paginated<ApiPropertyDefinition>>(`${projectPath('property_definitions/')}?type=group&group_type_index=${groupTypeIndex}&limit=1000`, { signal }),
    [groupTypeIndex],
  );
  const available = (definitions.data?.results ?? []).map((d) => d.name).filter((name) => name !== 'name');
  const [stored, setStored] = useState<{ key: string; columns: string[] | null }>(() => ({ key, columns: readStored(key) }));
  const chosen = stored.key === key ? stored.columns : readStored(key);
  // Until someone chooses, show the first few properties.
  const columns = chosen ?? available.slice(0, 3);
  const setColumns = useCallback(
    (next: string[]) => {
      window.localStorage.setItem(key, JSON.stringify(next));
      setStored({ key, columns: next });
    },
    [key],
  );
  return { columns, available, setColumns };
}

export function ColumnPicker({ available, columns, onChange }: { available: string[]; columns: string[]; onChange(columns: string[]): void }) {
  const toggle = (name: string, on: boolean) => onChange(on ? [...columns, name].sort((a, b) => available.indexOf(a) - available.indexOf(b)) : columns.filter((c) => c !== name));
  return (
    <details className="column-picker">
      <summary>Columns ({columns.length})</summary>
      <fieldset className="column-picker-panel">
        <legend>Property columns</legend>
        {available.length === 0 && <span className="muted">No properties yet.</span>}
        {available.map((name) => (
          <label key={name} className="inline">
            <input type="checkbox" checked={columns.includes(name)} onChange={(e) => toggle(name, e.target.checked)} />
            {name}
          </label>
        ))}
      </fieldset>
    </details>
  );
}
