// One property filter of a release condition: property (picked from the type's property
// definitions), operator, and value (with the values groups have, for group properties).
import { useId } from 'react';
import { api, projectPath } from '../../api.ts';
import type { PropertyOperator } from '../../api-types.ts';
import { useApi } from '../../use-api.ts';
import { FieldError, useFieldError } from './field-errors.tsx';
import { OPERATOR_LABELS, VALUELESS, type PropertyDraft } from './flag-form.ts';

interface Props {
  readonly filter: PropertyDraft;
  /** Error path of this filter, e.g. "filters.groups.0.properties.1". */
  readonly path: string;
  readonly position: number;
  readonly aggregation: number | null;
  /** The datalist of the type's property names. */
  readonly propertyListId: string;
  onChange(filter: PropertyDraft): void;
  onRemove(): void;
}

interface PropertyValues {
  results: { name: string; count: number }[];
}

export function PropertyFilterRow({ filter, path, position, aggregation, propertyListId, onChange, onRemove }: Props) {
  const valuesListId = useId();
  const key = filter.key.trim();
  const suggestions = useApi<string[]>(
    (signal) =>
      aggregation === null || key === ''
        ? Promise.resolve([])
        : api<PropertyValues>(`${projectPath('groups/property_values/')}?group_type_index=${aggregation}&key=${encodeURIComponent(key)}`, { signal }).then((r) => r.results.map((v) => v.name)),
    [aggregation, key],
  );
  const keyError = useFieldError(`${path}.key`);
  const operatorError = useFieldError(`${path}.operator`);
  const valueError = useFieldError(`${path}.value`);
  const number = position + 1;
  return (
    <div className="flag-filter" role="group" aria-label={`Filter ${number}`}>
      <label>
        Property
        <input list={propertyListId} value={filter.key} onChange={(e) => onChange({ ...filter, key: e.target.value })} placeholder="e.g. plan" autoComplete="off" {...keyError.inputProps} />
        <FieldError path={`${path}.key`} />
      </label>
      <label>
        Operator
        <select value={filter.operator} onChange={(e) => onChange({ ...filter, operator: e.target.value as PropertyOperator })} {...operatorError.inputProps}>
          {Object.entries(OPERATOR_LABELS).map(([op, label]) => (
            <option key={op} value={op}>
              {label}
            </option>
          ))}
        </select>
        <FieldError path={`${path}.operator`} />
      </label>
      {!VALUELESS.has(filter.operator) && (
        <label className="flag-filter-value">
          Value
          <input
            list={valuesListId}
            value={filter.value}
            onChange={(e) => onChange({ ...filter, value: e.target.value })}
            placeholder={filter.operator === 'exact' || filter.operator === 'is_not' ? 'one or more, comma-separated' : ''}
            autoComplete="off"
            {...valueError.inputProps}
          />
          <datalist id={valuesListId}>
            {(suggestions.data ?? []).map((v) => (
              <option key={v} value={v} />
            ))}
          </datalist>
          <FieldError path={`${path}.value`} />
        </label>
      )}
      <button type="button" className="danger" onClick={onRemove} aria-label={`Remove filter ${number}`}>
        Remove
      </button>
      <FieldError path={path} />
    </div>
  );
}
