// Key, name, active, and whom the flag matches: users or one group type.
import { useProject, groupTypeLabel } from '../../project-context.tsx';
import { FieldError, useFieldError } from './field-errors.tsx';
import type { FlagDraft } from './flag-form.ts';

interface Props {
  readonly draft: FlagDraft;
  onChange(changes: Partial<FlagDraft>): void;
}

export function FlagBasics({ draft, onChange }: Props) {
  const { groupTypes } = useProject();
  const keyError = useFieldError('key');
  const nameError = useFieldError('name');
  const matchError = useFieldError('filters.aggregation_group_type_index');
  return (
    <section className="card flag-basics">
      <label>
        Key
        <input value={draft.key} onChange={(e) => onChange({ key: e.target.value })} placeholder="new-billing-page" autoComplete="off" spellCheck={false} {...keyError.inputProps} />
        <FieldError path="key" />
      </label>
      <label>
        Name
        <input value={draft.name} onChange={(e) => onChange({ name: e.target.value })} placeholder="What the flag is for" {...nameError.inputProps} />
        <FieldError path="name" />
      </label>
      <label>
        Match by
        <select
          value={draft.aggregation === null ? '' : String(draft.aggregation)}
          onChange={(e) => onChange({ aggregation: e.target.value === '' ? null : Number(e.target.value) })}
          {...matchError.inputProps}
        >
          <option value="">Users</option>
          {groupTypes.map((t) => (
            <option key={t.group_type_index} value={t.group_type_index}>
              {groupTypeLabel(groupTypes, t.group_type_index, 'plural')}
            </option>
          ))}
        </select>
        <FieldError path="filters.aggregation_group_type_index" />
      </label>
      <label className="inline flag-active">
        <input type="checkbox" checked={draft.active} onChange={(e) => onChange({ active: e.target.checked })} />
        Active
      </label>
    </section>
  );
}
