// Problems met while ingesting events, e.g. more group types than the project allows.
import { api, projectPath } from '../../api.ts';
import type { ApiIngestionWarning } from '../../api-types.ts';
import { Empty, ErrorState, Loading } from '../../components/states.tsx';
import { useApi } from '../../use-api.ts';

const TITLES: Record<string, string> = {
  group_type_limit_exceeded: 'Group type over the limit',
  invalid_group_set: 'Invalid group properties',
  event_dropped: 'Event dropped',
};

export function IngestionWarnings() {
  const warnings = useApi((signal) => api<{ results: ApiIngestionWarning[] }>(projectPath('ingestion_warnings/'), { signal }), []);
  return (
    <section className="card stack" aria-labelledby="warnings-heading">
      <div className="row" style={{ alignItems: 'center' }}>
        <h2 id="warnings-heading" style={{ margin: 0 }}>
          Ingestion warnings
        </h2>
        <span className="spacer" />
        <button type="button" onClick={warnings.reload}>
          Refresh
        </button>
      </div>
      {warnings.loading ? (
        <Loading />
      ) : warnings.error ? (
        <ErrorState error={warnings.error} retry={warnings.reload} />
      ) : !warnings.data || warnings.data.results.length === 0 ? (
        <Empty title="No ingestion warnings." />
      ) : (
        <div className="table-wrap">
          <table aria-label="Ingestion warnings">
            <thead>
              <tr>
                <th scope="col">Warning</th>
                <th scope="col">Details</th>
                <th scope="col" className="num">
                  Count
                </th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {warnings.data.results.map((w) => (
                <tr key={`${w.type}:${w.key}`}>
                  <td>
                    {TITLES[w.type] ?? w.type}
                    <div className="muted code">{w.type}</div>
                  </td>
                  <td>
                    <Details details={w.details} />
                  </td>
                  <td className="num">{w.count}</td>
                  <td>{new Date(w.last_seen).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Details({ details }: { details: ApiIngestionWarning['details'] }) {
  const entries = Object.entries(details ?? {});
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <span>
      {entries.map(([k, v], i) => (
        <span key={k}>
          {i > 0 && ', '}
          {k.replace(/_/g, ' ')}: <code>{typeof v === 'string' ? v : JSON.stringify(v)}</code>
        </span>
      ))}
    </span>
  );
}
