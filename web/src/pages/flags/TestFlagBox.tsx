// "Test this flag": what the flag as on screen (saved or not) answers for a group key (group
// flags) or a distinct id (user flags), from the stored properties, exactly as /flags would once
// saved. The edits are sent to the draft evaluate endpoint; nothing is saved.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { api, projectPath } from '../../api.ts';
import { useProject, groupTypeLabel } from '../../project-context.tsx';
import { draftFromFlag, flagBody, formProblems, type FlagDraft } from './flag-form.ts';
import type { ApiFlag, ApiFlagEvaluation } from './flag-types.ts';

export function TestFlagBox({ flag, draft }: { flag: ApiFlag; draft?: FlagDraft | null }) {
  const { groupTypes } = useProject();
  const current = useMemo(() => draft ?? draftFromFlag(flag), [draft, flag]);
  const body = useMemo(() => flagBody(current), [current]);
  const bodyJson = JSON.stringify(body);
  const aggregation = current.aggregation;
  const groupType = aggregation === null ? undefined : groupTypes.find((t) => t.group_type_index === aggregation);
  const [subject, setSubject] = useState('');
  const [result, setResult] = useState<{ subject: string; answer: ApiFlagEvaluation } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // An answer is for the flag as it was when asked: an edit clears it.
  useEffect(() => {
    setResult(null);
    setError(null);
  }, [bodyJson]);
  const label = aggregation === null ? 'Distinct ID' : `${capitalize(groupTypeLabel(groupTypes, aggregation, 'singular'))} key`;

  const run = async (e: FormEvent) => {
    e.preventDefault();
    const value = subject.trim();
    if (!value) return;
    const problem = formProblems(current);
    if (problem) {
      setResult(null);
      setError(problem.message);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const subject = aggregation === null ? { distinct_id: value } : { groups: { [groupType?.group_type ?? '']: value } };
      const answer = await api<ApiFlagEvaluation>(projectPath('feature_flags/evaluate/'), {
        method: 'POST',
        body: { key: body.key, active: body.active, filters: body.filters, ...subject },
      });
      setResult({ subject: value, answer });
    } catch (err) {
      setResult(null);
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card stack flag-test" aria-labelledby="flag-test-heading">
      <h2 id="flag-test-heading">Test this flag</h2>
      <p className="muted">Evaluates the flag as shown in the form, unsaved edits included, with the stored properties, as /flags and the SDKs would once saved.</p>
      <form className="row" onSubmit={run}>
        <label>
          {label}
          <input value={subject} onChange={(e) => setSubject(e.target.value)} placeholder={aggregation === null ? 'e.g. user-123' : 'e.g. acme'} required />
        </label>
        <button type="submit" className="primary" disabled={busy || subject.trim() === ''}>
          {busy ? 'Testing…' : 'Test'}
        </button>
      </form>
      {error && (
        <div className="form-error" role="alert">
          {error}
        </div>
      )}
      {result && <TestResult subject={result.subject} answer={result.answer} />}
    </section>
  );
}

function TestResult({ subject, answer }: { subject: string; answer: ApiFlagEvaluation }) {
  return (
    <div className={answer.enabled ? 'flag-test-result enabled' : 'flag-test-result disabled'} role="status" aria-label="Test result">
      <strong>
        {answer.enabled ? 'Enabled' : 'Disabled'} for {subject}
        {answer.variant !== null && <> · variant {answer.variant}</>}
      </strong>
      <div className="muted">{answer.reason.description}</div>
      {answer.payload !== null && (
        <div>
          Payload: <code>{answer.payload}</code>
        </div>
      )}
    </div>
  );
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
