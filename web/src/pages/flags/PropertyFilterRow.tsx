// One property filter of a release condition: property (picked from the type's property
// definitions), operator, and value (with the values persons or groups have as suggestions).
import { useId } from 'react';
import type { PropertyOperator } from '../../api-types.ts';
import { SuggestionList, usePropertyValues } from '../insights/pickers.tsx';
import { FieldError, useFieldError } from './field-errors.tsx';
import { OPERATOR_LABELS, takesSeveralValues, VALUELESS, type PropertyDraft } from './flag-form.ts';

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

export function PropertyFilterRow({ filter, path, position, aggregation, propertyListId, onChange, onRemove }: Props) {
  const valuesListId = useId();
  const suggestions = usePropertyValues(
    aggregation === null ? { type: 'person' } : { type: 'group', groupTypeIndex: aggregation },
    filter.key.trim(),
    (filter.values.at(-1) ?? '').trim(),
  );
  const keyError = useFieldError(`${path}.key`);
  const operatorError = useFieldError(`${path}.operator`);
  const valueError = useFieldError(`${path}.value`);
  const number = position + 1;
  const several = takesSeveralValues(filter.operator);
  const setValue = (index: number, text: string) => onChange({ ...filter, values: filter.values.map((v, j) => (j === index ? text : v)) });
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
        <div className="flag-filter-value">
          {(several ? filter.values : filter.values.slice(0, 1)).map((value, i) => (
            <span key={i} className="flag-filter-value-row">
              <label>
                {i === 0 ? 'Value' : `Value ${i + 1}`}
                <input list={valuesListId} value={value} onChange={(e) => setValue(i, e.target.value)} autoComplete="off" {...(i === 0 ? valueError.inputProps : {})} />
              </label>
              {i > 0 && (
                <button type="button" className="link" onClick={() => onChange({ ...filter, values: filter.values.filter((_, j) => j !== i) })} aria-label={`Remove value ${i + 1}`}>
                  ×
                </button>
              )}
            </span>
          ))}
          {several && (
            <button type="button" className="link" onClick={() => onChange({ ...filter, values: [...filter.values, ''] })}>
              Or another value
            </button>
          )}
          <SuggestionList id={valuesListId} values={suggestions.data} />
          <FieldError path={`${path}.value`} />
        </div>
      )}
      <button type="button" className="danger" onClick={onRemove} aria-label={`Remove filter ${number}`}>
        Remove
      </button>
      <FieldError path={path} />
    </div>
  );
}
