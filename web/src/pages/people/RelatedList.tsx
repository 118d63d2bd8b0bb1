// Persons and groups that share events with a group or a person (groups/related, last 90 days).
import { api, projectPath } from '../../api.ts';
import type { ApiGroupActor, ApiPerson } from '../../api-types.ts';
import { Empty, ErrorState, Loading } from '../../components/states.tsx';
import { groupTypeLabel, useProject } from '../../project-context.tsx';
import { Link } from '../../router.tsx';
import { useApi } from '../../use-api.ts';
import { groupName, groupPath, personPath } from './format.ts';

type RelatedActor = ApiPerson | ApiGroupActor;

/** `groupTypeIndex` null: `id` is a person's UUID and the answer is the person's groups. */
export function RelatedList({ groupTypeIndex, id, showPersons = true }: { groupTypeIndex: number | null; id: string; showPersons?: boolean }) {
  const { groupTypes } = useProject();
  const related = useApi((signal) => {
    const params = new URLSearchParams({ id });
    if (groupTypeIndex !== null) params.set('group_type_index', String(groupTypeIndex));
    return api<RelatedActor[]>(`${projectPath('groups/related')}?${params}`, { signal });
  }, [groupTypeIndex, id]);

  if (related.error) return <ErrorState error={related.error} retry={related.reload} />;
  if (!related.data) return <Loading label="Loading related people and groups…" />;
  const persons = showPersons ? related.data.filter((a): a is ApiPerson => a.type === 'person') : [];
  const groups = related.data.filter((a): a is ApiGroupActor => a.type === 'group');
  if (persons.length === 0 && groups.length === 0) {
    return <Empty title={showPersons ? 'No related people or groups' : 'No groups'}>Nothing shared events with this in the last 90 days.</Empty>;
  }
  const groupIndexes = [...new Set(groups.map((g) => g.group_type_index))].sort((a, b) => a - b);
  return (
    <div className="related">
      {persons.length > 0 && (
        <section aria-label="Related people">
          <h3>People ({persons.length})</h3>
          <ul className="actor-list">
            {persons.map((p) => (
              <li key={p.uuid}>
                <Link to={personPath(p.uuid)}>{p.name}</Link>
              </li>
            ))}
          </ul>
        </section>
      )}
      {groupIndexes.map((index) => {
        const ofType = groups.filter((g) => g.group_type_index === index);
        const title = groupTypeLabel(groupTypes, index, 'plural');
        return (
          <section key={index} aria-label={`Related ${title}`}>
            <h3>
              {title} ({ofType.length})
            </h3>
            <ul className="actor-list">
              {ofType.map((g) => (
                <li key={g.group_key}>
                  <Link to={groupPath(index, g.group_key)}>{groupName({ group_key: g.group_key, group_properties: g.properties })}</Link>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </div>
  );
}
