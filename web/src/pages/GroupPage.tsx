// One group: its name and key, properties, activity chart, events and related people & groups.
import { useState } from 'react';
import { api, ApiError, projectPath } from '../api.ts';
import type { ApiGroup } from '../api-types.ts';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { groupTypeLabel, useProject } from '../project-context.tsx';
import { Link } from '../router.tsx';
import { useApi } from '../use-api.ts';
import { ActivityChart } from './people/ActivityChart.tsx';
import { EventList } from './people/EventList.tsx';
import { groupName } from './people/format.ts';
import { PropertiesTable } from './people/PropertiesTable.tsx';
import { RelatedList } from './people/RelatedList.tsx';
import { Tabs } from './people/Tabs.tsx';
import './people.css';

type GroupTab = 'events' | 'related';

export function GroupPage({ groupTypeIndex, groupKey }: Record<string, string>) {
  const { groupTypes } = useProject();
  const index = Number(groupTypeIndex);
  const group = useApi(
    (signal) => api<ApiGroup>(`${projectPath('groups/find')}?${new URLSearchParams({ group_type_index: groupTypeIndex, group_key: groupKey })}`, { signal }),
    [groupTypeIndex, groupKey],
  );
  const [tab, setTab] = useState<GroupTab>('events');
  const plural = groupTypeLabel(groupTypes, index, 'plural');
  const singular = groupTypeLabel(groupTypes, index, 'singular');

  const back = (
    <Link to={`/groups/${groupTypeIndex}`} className="back-link">
      ← All {plural.toLowerCase()}
    </Link>
  );
  const notFound = group.error instanceof ApiError && (group.error.status === 404 || group.error.status === 400);
  if (notFound) {
    return (
      <div className="page">
        {back}
        <h1>{groupKey}</h1>
        <Empty title={`No ${singular} “${groupKey}”`}>This {singular} has not been identified in this project. Check the key, or pick one from the list.</Empty>
      </div>
    );
  }
  if (group.error) return <div className="page">{back}<ErrorState error={group.error} retry={group.reload} /></div>;
  if (!group.data) return <div className="page">{back}<Loading label={`Loading ${singular}…`} /></div>;

  const name = groupName(group.data);
  return (
    <div className="page">
      {back}
      <header className="entity-header">
        <h1>{name}</h1>
        <p className="muted">
          <span className="type-badge">{singular}</span> key <code>{group.data.group_key}</code>
        </p>
      </header>
      <div className="entity-grid">
        <section className="card" aria-labelledby="group-properties-heading">
          <h2 id="group-properties-heading">Properties</h2>
          <PropertiesTable properties={group.data.group_properties} label={`${name} properties`} />
        </section>
        <ActivityChart groupTypeIndex={index} groupKey={group.data.group_key} label={`${name} events per day`} />
      </div>
      <Tabs<GroupTab>
        label={`${name} details`}
        tabs={[
          ['events', 'Events'],
          ['related', 'Related people & groups'],
        ]}
        active={tab}
        onChange={setTab}
      >
        {tab === 'events' ? (
          <EventList filters={{ group: { groupTypeIndex: index, groupKey: group.data.group_key } }} label={`${name} events`} />
        ) : (
          <RelatedList groupTypeIndex={index} id={group.data.group_key} />
        )}
      </Tabs>
    </div>
  );
}
