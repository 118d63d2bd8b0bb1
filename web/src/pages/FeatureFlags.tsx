// The feature flags of the project: key, name, active, whom each matches, its rollout.
import { api, projectPath } from '../api.ts';
import type { Paginated } from '../api-types.ts';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { groupTypeLabel, useProject } from '../project-context.tsx';
import { Link } from '../router.tsx';
import { useApi } from '../use-api.ts';
import { rolloutSummary } from './flags/flag-form.ts';
import type { ApiFlag } from './flags/flag-types.ts';
import './flags.css';

export function FeatureFlags(_props: Record<string, string>) {
  const flags = useApi((signal) => api<Paginated<ApiFlag>>(projectPath('feature_flags/'), { signal }), []);
  return (
    <div className="page">
      <div className="row flag-list-header">
        <h1>Feature flags</h1>
        <span className="spacer" />
        <Link to="/feature_flags/new" className="button primary">
          New flag
        </Link>
      </div>
      {flags.loading ? (
        <Loading />
      ) : flags.error ? (
        <ErrorState error={flags.error} retry={flags.reload} />
      ) : !flags.data || flags.data.results.length === 0 ? (
        <Empty title="No feature flags yet.">
          <Link to="/feature_flags/new">Create the first flag</Link> to roll a feature out to some users or companies.
        </Empty>
      ) : (
        <FlagTable flags={flags.data.results} />
      )}
    </div>
  );
}

function FlagTable({ flags }: { flags: ApiFlag[] }) {
  const { groupTypes } = useProject();
  return (
    <div className="table-wrap">
      <table aria-label="Feature flags">
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Name</th>
            <th scope="col">Active</th>
            <th scope="col">Match by</th>
            <th scope="col">Rollout</th>
          </tr>
        </thead>
        <tbody>
          {flags.map((flag) => {
            const aggregation = flag.filters.aggregation_group_type_index;
            return (
              <tr key={flag.id}>
                <td>
                  <Link to={`/feature_flags/${flag.id}`} className="code">
                    {flag.key}
                  </Link>
                </td>
                <td>{flag.name || <span className="muted">—</span>}</td>
                <td>
                  <span className={flag.active ? 'flag-badge on' : 'flag-badge off'}>{flag.active ? 'Active' : 'Off'}</span>
                </td>
                <td>{aggregation === null ? 'Users' : groupTypeLabel(groupTypes, aggregation, 'plural')}</td>
                <td className="flag-rollout-summary">{rolloutSummary(flag.filters)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
