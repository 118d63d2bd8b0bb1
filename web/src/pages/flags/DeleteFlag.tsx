// Deleting a flag (softly, as PostHog does), after a confirmation in place.
import { useState } from 'react';
import { api, projectPath } from '../../api.ts';
import { navigate } from '../../router.tsx';
import type { ApiFlag } from './flag-types.ts';

export function DeleteFlag({ flag }: { flag: ApiFlag }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const remove = async () => {
    try {
      await api(projectPath(`feature_flags/${flag.id}/`), { method: 'DELETE' });
      navigate('/feature_flags');
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <section className="card stack" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete</h2>
      {confirming ? (
        <div className="row" role="group" aria-label="Confirm deletion">
          <span>
            Delete <code>{flag.key}</code>? SDKs will stop receiving it.
          </span>
          <button type="button" className="danger" onClick={remove}>
            Yes, delete flag
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <div>
          <button type="button" className="danger" onClick={() => setConfirming(true)}>
            Delete flag
          </button>
        </div>
      )}
      {error && (
        <div className="form-error" role="alert">
          {error}
        </div>
      )}
    </section>
  );
}
