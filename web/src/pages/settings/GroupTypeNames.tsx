// Display names of the group types (singular and plural), used across the app once saved.
import { useEffect, useState, type FormEvent } from 'react';
import { api, projectPath } from '../../api.ts';
import { Empty } from '../../components/states.tsx';
import { useProject } from '../../project-context.tsx';

interface Names {
  singular: string;
  plural: string;
}

export function GroupTypeNames() {
  const { groupTypes, reloadGroupTypes } = useProject();
  const [names, setNames] = useState<Record<number, Names>>({});
  const [status, setStatus] = useState<{ ok: boolean; message: string } | null>(null);
  const [saving, setSaving] = useState(false);
  // Group types appear as events arrive: settings shows the current ones, not those seen at sign-in.
  useEffect(reloadGroupTypes, [reloadGroupTypes]);
  useEffect(() => {
    setNames(Object.fromEntries(groupTypes.map((t) => [t.group_type_index, { singular: t.name_singular ?? '', plural: t.name_plural ?? '' }])));
  }, [groupTypes]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setStatus(null);
    try {
      const body = groupTypes.map((t) => ({ group_type_index: t.group_type_index, name_singular: names[t.group_type_index]?.singular.trim() ?? '', name_plural: names[t.group_type_index]?.plural.trim() ?? '' }));
      await api(projectPath('groups_types/update_metadata'), { method: 'PATCH', body });
      reloadGroupTypes();
      setStatus({ ok: true, message: 'Names saved.' });
    } catch (err) {
      setStatus({ ok: false, message: err instanceof Error ? err.message : String(err) });
    } finally {
      setSaving(false);
    }
  };

  const set = (index: number, changes: Partial<Names>) => setNames((n) => ({ ...n, [index]: { ...(n[index] ?? { singular: '', plural: '' }), ...changes } }));

  return (
    <section className="card stack" aria-labelledby="group-types-heading">
      <h2 id="group-types-heading">Group types</h2>
      {groupTypes.length === 0 ? (
        <Empty title="No group types yet.">They appear when SDKs send groups, e.g. posthog.group('company', 'acme').</Empty>
      ) : (
        <form className="stack" onSubmit={save}>
          <p className="muted">How each group type is called across the app. Empty names fall back to the type itself.</p>
          <div className="table-wrap">
            <table className="group-names">
              <thead>
                <tr>
                  <th scope="col">Group type</th>
                  <th scope="col">Singular name</th>
                  <th scope="col">Plural name</th>
                </tr>
              </thead>
              <tbody>
                {groupTypes.map((t) => (
                  <tr key={t.group_type_index}>
                    <td>
                      <code>{t.group_type}</code> <span className="muted">({t.group_type_index})</span>
                    </td>
                    <td>
                      <input aria-label={`Singular name of ${t.group_type}`} value={names[t.group_type_index]?.singular ?? ''} placeholder={t.group_type} onChange={(e) => set(t.group_type_index, { singular: e.target.value })} />
                    </td>
                    <td>
                      <input aria-label={`Plural name of ${t.group_type}`} value={names[t.group_type_index]?.plural ?? ''} placeholder={`${t.group_type}s`} onChange={(e) => set(t.group_type_index, { plural: e.target.value })} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="row" style={{ alignItems: 'center' }}>
            <button type="submit" className="primary" disabled={saving}>
              {saving ? 'Saving…' : 'Save names'}
            </button>
            {status && (
              <span className={status.ok ? 'flag-saved' : 'form-error'} role={status.ok ? 'status' : 'alert'}>
                {status.message}
              </span>
            )}
          </div>
        </form>
      )}
    </section>
  );
}
