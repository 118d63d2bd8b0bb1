// One person: name, distinct ids, properties, events, and the groups they have events in.
import { useState } from 'react';
import { api, ApiError, projectPath } from '../api.ts';
import type { ApiPerson } from '../api-types.ts';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { Link } from '../router.tsx';
import { useApi } from '../use-api.ts';
import { EventList } from './people/EventList.tsx';
import { PropertiesTable } from './people/PropertiesTable.tsx';
import { RelatedList } from './people/RelatedList.tsx';
import { Tabs } from './people/Tabs.tsx';
import './people.css';

type PersonTab = 'events' | 'properties';

export function PersonPage({ personId }: Record<string, string>) {
  const person = useApi((signal) => api<ApiPerson>(projectPath(`persons/${encodeURIComponent(personId)}`), { signal }), [personId]);
  const [tab, setTab] = useState<PersonTab>('events');
  const back = (
    <Link to="/persons" className="back-link">
      ← All persons
    </Link>
  );
  if (person.error instanceof ApiError && person.error.status === 404) {
    return (
      <div className="page">
        {back}
        <h1>Person not found</h1>
        <Empty title={`No person “${personId}”`}>No person has this id or distinct id. Events sent without a person profile have no person page.</Empty>
      </div>
    );
  }
  if (person.error) return <div className="page">{back}<ErrorState error={person.error} retry={person.reload} /></div>;
  if (!person.data) return <div className="page">{back}<Loading label="Loading person…" /></div>;

  const p = person.data;
  return (
    <div className="page">
      {back}
      <header className="entity-header">
        <h1>{p.name}</h1>
        <p className="muted">
          <span className="type-badge">{p.is_identified ? 'Identified person' : 'Anonymous person'}</span> <code>{p.uuid}</code>
        </p>
      </header>
      <div className="entity-grid">
        <section className="card" aria-labelledby="distinct-ids-heading">
          <h2 id="distinct-ids-heading">Distinct IDs</h2>
          <ul className="distinct-ids" aria-label="Distinct IDs">
            {p.distinct_ids.map((id) => (
              <li key={id} className="code">
                {id}
              </li>
            ))}
          </ul>
        </section>
        <section className="card" aria-labelledby="person-groups-heading">
          <h2 id="person-groups-heading">Groups</h2>
          <RelatedList groupTypeIndex={null} id={p.uuid} showPersons={false} />
        </section>
      </div>
      <Tabs<PersonTab>
        label={`${p.name} details`}
        tabs={[
          ['events', 'Events'],
          ['properties', 'Properties'],
        ]}
        active={tab}
        onChange={setTab}
      >
        {tab === 'events' ? <EventList filters={{ personId: p.uuid }} label={`${p.name} events`} /> : <PropertiesTable properties={p.properties} label={`${p.name} properties`} />}
      </Tabs>
    </div>
  );
}
