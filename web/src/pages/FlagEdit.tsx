// Create or edit a feature flag (`/feature_flags/new` or `/feature_flags/:id`), test it for a
// group key or distinct id, and delete it.
import { useState } from 'react';
import { api, ApiError, projectPath } from '../api.ts';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { Link } from '../router.tsx';
import { useApi } from '../use-api.ts';
import { DeleteFlag } from './flags/DeleteFlag.tsx';
import { FlagForm } from './flags/FlagForm.tsx';
import type { FlagDraft } from './flags/flag-form.ts';
import type { ApiFlag } from './flags/flag-types.ts';
import { TestFlagBox } from './flags/TestFlagBox.tsx';
import './flags.css';

export function FlagEdit({ flagId }: Record<string, string>) {
  const isNew = flagId === 'new';
  const loaded = useApi((signal) => (isNew ? Promise.resolve(null) : api<ApiFlag>(projectPath(`feature_flags/${encodeURIComponent(flagId)}/`), { signal })), [flagId]);
  return (
    <div className="page flag-page">
      <nav className="muted" aria-label="Breadcrumb">
        <Link to="/feature_flags">Feature flags</Link> /
      </nav>
      {loaded.loading ? (
        <Loading />
      ) : loaded.error instanceof ApiError && loaded.error.status === 404 ? (
        <Empty title="This flag does not exist or was deleted.">
          <Link to="/feature_flags">Back to feature flags</Link>
        </Empty>
      ) : loaded.error ? (
        <ErrorState error={loaded.error} retry={loaded.reload} />
      ) : (
        <LoadedFlag key={flagId} initial={loaded.data ?? null} />
      )}
    </div>
  );
}

function LoadedFlag({ initial }: { initial: ApiFlag | null }) {
  const [flag, setFlag] = useState(initial);
  // The form as edited, saved or not: what "Test this flag" evaluates.
  const [draft, setDraft] = useState<FlagDraft | null>(null);
  return (
    <>
      <h1>{flag ? <code>{flag.key}</code> : 'New flag'}</h1>
      <div className="flag-edit-layout">
        <FlagForm flag={flag} onSaved={setFlag} onDraftChange={setDraft} />
        {flag && (
          <aside className="stack">
            <TestFlagBox key={`${flag.id}-${flag.version}`} flag={flag} draft={draft} />
            <DeleteFlag flag={flag} />
          </aside>
        )}
      </div>
    </>
  );
}
