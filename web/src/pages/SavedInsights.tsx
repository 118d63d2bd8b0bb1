// Saved insights: every saved trend and funnel of the project, reopened from its link, renamed
// or deleted here.
import { useState, type FormEvent } from 'react';
import { api, projectPath } from '../api.ts';
import type { Paginated } from '../api-types.ts';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { Link } from '../router.tsx';
import { useApi } from '../use-api.ts';
import type { ApiInsight } from './insights/types.ts';
import { insightHref } from './insights/url-state.ts';
import './insights.css';

export function SavedInsights(_props: Record<string, string>) {
  const insights = useApi((signal) => api<Paginated<ApiInsight>>(projectPath('insights/'), { signal }), []);
  return (
    <div className="page insight-page">
      <div className="row insight-list-head">
        <h1>Saved insights</h1>
        <span className="spacer" />
        <Link to="/insights/trends">New trend</Link>
        <Link to="/insights/funnels">New funnel</Link>
      </div>
      {insights.loading && !insights.data ? (
        <Loading />
      ) : insights.error ? (
        <ErrorState error={insights.error} retry={insights.reload} />
      ) : (insights.data?.results.length ?? 0) === 0 ? (
        <Empty title="No saved insights yet">Build a trend or a funnel and press Save.</Empty>
      ) : (
        <div className="table-wrap">
          <table aria-label="Saved insights">
            <thead>
              <tr>
                <th>Name</th>
                <th>Type</th>
                <th>Updated</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {insights.data!.results.map((insight) => (
                <InsightRow key={insight.id} insight={insight} onChanged={insights.reload} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function InsightRow({ insight, onChanged }: { insight: ApiInsight; onChanged: () => void }) {
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(insight.name);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });

  const run = async (work: () => Promise<unknown>) => {
    setState({ busy: true, error: null });
    try {
      await work();
      setState({ busy: false, error: null });
      setRenaming(false);
      setConfirmDelete(false);
      onChanged();
    } catch (error) {
      setState({ busy: false, error: (error as Error).message });
    }
  };
  const rename = (e: FormEvent) => {
    e.preventDefault();
    void run(() => api(projectPath(`insights/${insight.id}/`), { method: 'PATCH', body: { name } }));
  };

  return (
    <tr>
      <td>
        {renaming ? (
          <form className="row" onSubmit={rename} aria-label={`Rename ${insight.name}`}>
            <label>
              New name
              <input value={name} onChange={(e) => setName(e.target.value)} autoFocus maxLength={400} />
            </label>
            <button type="submit" className="primary" disabled={state.busy}>
              Save name
            </button>
            <button type="button" onClick={() => setRenaming(false)}>
              Cancel
            </button>
          </form>
        ) : (
          <Link to={insightHref(insight.query, insight.id)}>{insight.name}</Link>
        )}
        {state.error && (
          <div role="alert" className="form-error">
            {state.error}
          </div>
        )}
      </td>
      <td>{insight.query.kind === 'FunnelsQuery' ? 'Funnel' : 'Trend'}</td>
      <td className="muted">{new Date(insight.updated_at).toLocaleString()}</td>
      <td>
        <div className="row">
          {!renaming && (
            <button type="button" aria-label={`Rename ${insight.name}`} onClick={() => setRenaming(true)}>
              Rename
            </button>
          )}
          {confirmDelete ? (
            <>
              <button type="button" className="danger" disabled={state.busy} onClick={() => void run(() => api(projectPath(`insights/${insight.id}/`), { method: 'DELETE' }))}>
                {`Really delete ${insight.name}`}
              </button>
              <button type="button" onClick={() => setConfirmDelete(false)}>
                Keep
              </button>
            </>
          ) : (
            <button type="button" className="danger" aria-label={`Delete ${insight.name}`} onClick={() => setConfirmDelete(true)}>
              Delete
            </button>
          )}
        </div>
      </td>
    </tr>
  );
}
