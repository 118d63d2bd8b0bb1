// Personal API keys of the project: list, create (the secret is shown once), revoke.
import { useState, type FormEvent } from 'react';
import { api, projectPath } from '../../api.ts';
import type { Paginated } from '../../api-types.ts';
import { Empty, ErrorState, Loading } from '../../components/states.tsx';
import { useApi } from '../../use-api.ts';
import { CopyButton } from './CopyButton.tsx';
import type { ApiCreatedPersonalApiKey, ApiPersonalApiKey } from './settings-types.ts';

export function PersonalApiKeys() {
  const keys = useApi((signal) => api<Paginated<ApiPersonalApiKey>>(projectPath('personal_api_keys/'), { signal }), []);
  const [created, setCreated] = useState<ApiCreatedPersonalApiKey | null>(null);
  return (
    <section className="card stack" aria-labelledby="keys-heading">
      <h2 id="keys-heading">Personal API keys</h2>
      <p className="muted">For the private API and posthog-node local evaluation. Send as <code>Authorization: Bearer &lt;key&gt;</code>.</p>
      <CreateKey
        onCreated={(key) => {
          setCreated(key);
          keys.reload();
        }}
      />
      {created && <NewKey created={created} onDismiss={() => setCreated(null)} />}
      {keys.loading && !keys.data ? (
        <Loading />
      ) : keys.error ? (
        <ErrorState error={keys.error} retry={keys.reload} />
      ) : !keys.data || keys.data.results.length === 0 ? (
        <Empty title="No personal API keys." />
      ) : (
        <KeyTable keys={keys.data.results} onRevoked={(id) => {
          if (created?.id === id) setCreated(null);
          keys.reload();
        }} />
      )}
    </section>
  );
}

function CreateKey({ onCreated }: { onCreated(key: ApiCreatedPersonalApiKey): void }) {
  const [label, setLabel] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onCreated(await api<ApiCreatedPersonalApiKey>(projectPath('personal_api_keys/'), { method: 'POST', body: { label } }));
      setLabel('');
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="row" onSubmit={create}>
      <label>
        Key label
        <input value={label} onChange={(e) => setLabel(e.target.value)} placeholder="e.g. Backend flags" aria-describedby={error ? 'key-error' : undefined} />
      </label>
      <button type="submit" className="primary" disabled={busy || label.trim() === ''}>
        Create key
      </button>
      {error && (
        <div id="key-error" className="form-error" role="alert">
          {error}
        </div>
      )}
    </form>
  );
}

function NewKey({ created, onDismiss }: { created: ApiCreatedPersonalApiKey; onDismiss(): void }) {
  return (
    <div className="card new-key stack" role="status" aria-label="New personal API key">
      <strong>Key "{created.label}" created. Copy it now: it will not be shown again.</strong>
      <div className="token-row">
        <code aria-label="New key value">{created.value}</code>
        <CopyButton text={created.value} label="Copy new key" />
        <button type="button" onClick={onDismiss}>
          Done
        </button>
      </div>
    </div>
  );
}

function KeyTable({ keys, onRevoked }: { keys: ApiPersonalApiKey[]; onRevoked(id: string): void }) {
  return (
    <div className="table-wrap">
      <table aria-label="Personal API keys">
        <thead>
          <tr>
            <th scope="col">Label</th>
            <th scope="col">Key</th>
            <th scope="col">Created</th>
            <th scope="col">
              <span className="muted">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <KeyRow key={k.id} apiKey={k} onRevoked={() => onRevoked(k.id)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function KeyRow({ apiKey, onRevoked }: { apiKey: ApiPersonalApiKey; onRevoked(): void }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const revoke = async () => {
    try {
      await api(projectPath(`personal_api_keys/${encodeURIComponent(apiKey.id)}/`), { method: 'DELETE' });
      onRevoked();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <tr>
      <td>{apiKey.label}</td>
      <td>
        <code>{apiKey.mask_value}</code>
      </td>
      <td>{new Date(apiKey.created_at).toLocaleString()}</td>
      <td>
        {confirming ? (
          <span className="row">
            <button type="button" className="danger" onClick={revoke} aria-label={`Confirm revoking ${apiKey.label}`}>
              Revoke
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </span>
        ) : (
          <button type="button" className="danger" onClick={() => setConfirming(true)} aria-label={`Revoke ${apiKey.label}`}>
            Revoke…
          </button>
        )}
        {error && (
          <div className="form-error" role="alert">
            {error}
          </div>
        )}
      </td>
    </tr>
  );
}
