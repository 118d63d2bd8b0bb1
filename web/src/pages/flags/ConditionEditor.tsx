// One release condition: its property filters (all must match) and its rollout percentage.
import { FieldError, useFieldError } from './field-errors.tsx';
import { emptyProperty, type ConditionDraft } from './flag-form.ts';
import { PropertyFilterRow } from './PropertyFilterRow.tsx';

interface Props {
  readonly condition: ConditionDraft;
  readonly index: number;
  readonly aggregation: number | null;
  /** "companies" or "users": whom the condition matches. */
  readonly audience: string;
  readonly propertyListId: string;
  onChange(condition: ConditionDraft): void;
  onRemove(): void;
}

export function ConditionEditor({ condition, index, aggregation, audience, propertyListId, onChange, onRemove }: Props) {
  const path = `filters.groups.${index}`;
  const rolloutError = useFieldError(`${path}.rollout_percentage`);
  const number = index + 1;
  const setProperty = (i: number, next: ConditionDraft['properties'][number] | null) =>
    onChange({ ...condition, properties: next === null ? condition.properties.filter((_, j) => j !== i) : condition.properties.map((p, j) => (j === i ? next : p)) });
  return (
    <fieldset className="card flag-condition">
      <legend>Condition {number}</legend>
      {condition.properties.length === 0 ? (
        <p className="muted">Matches all {audience}.</p>
      ) : (
        <div className="stack">
          {condition.properties.map((p, i) => (
            <PropertyFilterRow
              key={i}
              filter={p}
              path={`${path}.properties.${i}`}
              position={i}
              aggregation={aggregation}
              propertyListId={propertyListId}
              onChange={(next) => setProperty(i, next)}
              onRemove={() => setProperty(i, null)}
            />
          ))}
        </div>
      )}
      <div className="row flag-condition-footer">
        <button type="button" onClick={() => onChange({ ...condition, properties: [...condition.properties, emptyProperty()] })} aria-label={`Add filter to condition ${number}`}>
          + Add filter
        </button>
        <label className="flag-rollout">
          Rollout % (condition {number})
          <input type="number" min={0} max={100} step="any" inputMode="decimal" value={condition.rollout} onChange={(e) => onChange({ ...condition, rollout: e.target.value })} {...rolloutError.inputProps} />
          <FieldError path={`${path}.rollout_percentage`} />
        </label>
        <span className="spacer" />
        <button type="button" className="danger" onClick={onRemove} aria-label={`Remove condition ${number}`}>
          Remove condition
        </button>
      </div>
      <FieldError path={path} />
    </fieldset>
  );
}
