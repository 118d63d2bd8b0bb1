// Saving the insight being edited: a name and "Save" (a new saved insight), or, once saved,
// "Save changes" to update it. The saved insight's id joins the URL.
import { useEffect, useState, type FormEvent } from 'react';
import { api, projectPath } from '../../api.ts';
import { Link, navigate } from '../../router.tsx';
import type { ApiInsight, InsightQueryInput } from './types.ts';
import { insightHref } from './url-state.ts';

export function SaveInsight({ query, insightId, defaultName }: { query: InsightQueryInput; insightId: string | null; defaultName: string }) {
  const [saved, setSaved] = useState<ApiInsight | null>(null);
  const [name, setName] = useState('');
  const [status, setStatus] = useState<{ busy: boolean; error: string | null; message: string | null }>({ busy: false, error: null, message: null });

  useEffect(() => {
    if (!insightId) return setSaved(null);
    if (saved?.id === insightId) return;
    const controller = new AbortController();
    api<ApiInsight>(projectPath(`insights/${encodeURIComponent(insightId)}/`), { signal: controller.signal }).then(
      (insight) => {
        setSaved(insight);
        setName(insight.name);
      },
      (error: Error) => !controller.signal.aborted && setStatus({ busy: false, error: `Saved insight: ${error.message}`, message: null }),
    );
    return () => controller.abort();
  }, [insightId, saved?.id]);

  const unchanged = saved !== null && JSON.stringify(saved.query) === JSON.stringify(query) && saved.name === name.trim();

  const save = async (asNew: boolean) => {
    setStatus({ busy: true, error: null, message: null });
    try {
      const body = { name: name.trim() || defaultName, query };
      const insight =
        saved && !asNew
          ? await api<ApiInsight>(projectPath(`insights/${saved.id}/`), { method: 'PATCH', body })
          : await api<ApiInsight>(projectPath('insights/'), { method: 'POST', body });
      setSaved(insight);
      setName(insight.name);
      setStatus({ busy: false, error: null, message: `Saved as "${insight.name}".` });
      navigate(insightHref(insight.query, insight.id), { replace: true });
    } catch (error) {
      setStatus({ busy: false, error: (error as Error).message, message: null });
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void save(false);
  };

  return (
    <form className="row insight-save" onSubmit={onSubmit} aria-label="Save insight">
      <label>
        Insight name
        <input value={name} placeholder={defaultName} onChange={(e) => setName(e.target.value)} maxLength={400} />
      </label>
      <button type="submit" className="primary" disabled={status.busy || unchanged}>
        {saved ? 'Save changes' : 'Save'}
      </button>
      {saved && (
        <button type="button" disabled={status.busy} onClick={() => void save(true)}>
          Save as new
        </button>
      )}
      <Link to="/insights">Saved insights</Link>
      <span role="status" className="muted">
        {status.message}
      </span>
      {status.error && (
        <span role="alert" className="form-error">
          {status.error}
        </span>
      )}
    </form>
  );
}
