// The create / edit form: basics, release conditions, variants and payloads. Saving sends the
// flag JSON; a 400 is shown next to the field its `attr` names.
import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { api, ApiError, projectPath } from '../../api.ts';
import type { ApiPropertyDefinition, Paginated } from '../../api-types.ts';
import { groupTypeLabel, useProject } from '../../project-context.tsx';
import { navigate } from '../../router.tsx';
import { useApi } from '../../use-api.ts';
import { ConditionEditor } from './ConditionEditor.tsx';
import { FieldErrorProvider, type FieldErrorState } from './field-errors.tsx';
import { FlagBasics } from './FlagBasics.tsx';
import { draftFromFlag, emptyCondition, errorFields, fieldForError, flagBody, formProblems, newFlagDraft, type ConditionDraft, type FlagDraft } from './flag-form.ts';
import type { ApiFlag } from './flag-types.ts';
import { VariantsEditor } from './VariantsEditor.tsx';

interface Props {
  /** The stored flag, or null to create one. */
  readonly flag: ApiFlag | null;
  onSaved(flag: ApiFlag): void;
  /** Told of every edit, saved or not (the "Test this flag" box tests what is on screen). */
  onDraftChange?(draft: FlagDraft): void;
}

export function FlagForm({ flag, onSaved, onDraftChange }: Props) {
  const { groupTypes } = useProject();
  const [draft, setDraft] = useState<FlagDraft>(() => (flag ? draftFromFlag(flag) : newFlagDraft()));
  const [error, setError] = useState<{ attr: string | null; message: string } | null>(null);
  const [saving, setSaving] = useState(false);
  const [savedAt, setSavedAt] = useState<Date | null>(null);
  const propertyListId = useId();
  const definitions = usePropertyNames(draft.aggregation);
  useEffect(() => onDraftChange?.(draft), [draft, onDraftChange]);

  const change = (changes: Partial<FlagDraft>) => {
    setDraft((d) => ({ ...d, ...changes }));
    setSavedAt(null);
  };
  const setCondition = (i: number, next: ConditionDraft | null) =>
    change({ conditions: next === null ? draft.conditions.filter((_, j) => j !== i) : draft.conditions.map((c, j) => (j === i ? next : c)) });

  const fieldError: FieldErrorState | null = useMemo(() => {
    if (!error) return null;
    const field = fieldForError(error.attr, errorFields(draft));
    // Next to its field, "filters.payloads.true: payload must be JSON text" needs no path.
    const message = field !== null && error.attr && error.message.startsWith(`${error.attr}: `) ? error.message.slice(error.attr.length + 2) : error.message;
    return { field, message };
  }, [error, draft]);
  const audience = draft.aggregation === null ? 'users' : groupTypeLabel(groupTypes, draft.aggregation, 'plural').toLowerCase();

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const problem = formProblems(draft);
    if (problem) return setError({ attr: problem.attr, message: problem.message });
    setSaving(true);
    setError(null);
    try {
      const body = flagBody(draft);
      const saved = flag
        ? await api<ApiFlag>(projectPath(`feature_flags/${flag.id}/`), { method: 'PATCH', body })
        : await api<ApiFlag>(projectPath('feature_flags/'), { method: 'POST', body });
      setSavedAt(new Date());
      onSaved(saved);
      if (!flag) navigate(`/feature_flags/${saved.id}`, { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? { attr: err.attr, message: err.message } : { attr: null, message: String(err) });
    } finally {
      setSaving(false);
    }
  };

  return (
    <FieldErrorProvider value={fieldError}>
      <form className="stack" onSubmit={save} noValidate aria-label={flag ? 'Edit flag' : 'New flag'}>
        <FlagBasics draft={draft} onChange={change} />
        <datalist id={propertyListId}>
          {definitions.map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
        <section className="stack" aria-labelledby="conditions-heading">
          <h2 id="conditions-heading">Release conditions</h2>
          <p className="muted">
            The flag is on for {audience} matching any condition, within its rollout percentage. {draft.aggregation === null ? 'User' : 'Group'} properties are matched against the stored ones.
          </p>
          {draft.conditions.length === 0 && <p className="muted">No conditions: the flag is off for everyone.</p>}
          {draft.conditions.map((c, i) => (
            <ConditionEditor
              key={i}
              condition={c}
              index={i}
              aggregation={draft.aggregation}
              audience={audience}
              propertyListId={propertyListId}
              onChange={(next) => setCondition(i, next)}
              onRemove={() => setCondition(i, null)}
            />
          ))}
          <div>
            <button type="button" onClick={() => change({ conditions: [...draft.conditions, emptyCondition()] })}>
              + Add condition
            </button>
          </div>
        </section>
        <VariantsEditor draft={draft} onChange={change} />
        {error && fieldError?.field === null && (
          <div className="form-error" role="alert">
            {error.message}
          </div>
        )}
        {error && fieldError?.field !== null && (
          <div className="form-error" aria-live="polite">
            Not saved: see the message by the field.
          </div>
        )}
        <div className="row flag-save">
          <button type="submit" className="primary" disabled={saving}>
            {saving ? 'Saving…' : flag ? 'Save changes' : 'Create flag'}
          </button>
          {savedAt && (
            <span className="flag-saved" role="status">
              Saved.
            </span>
          )}
        </div>
      </form>
    </FieldErrorProvider>
  );
}

/** Property names to pick from: the group type's, or persons'. */
function usePropertyNames(aggregation: number | null): string[] {
  const query = aggregation === null ? 'type=person' : `type=group&group_type_index=${aggregation}`;
  const loaded = useApi((signal) => api<Paginated<ApiPropertyDefinition>>(`${projectPath('property_definitions/')}?${query}&limit=1000`, { signal }), [query]);
  return useMemo(() => (loaded.data?.results ?? []).map((d) => d.name), [loaded.data]);
}
