// Persons with search and pages, each linking to its person page.
import { useState } from 'react';
import { projectPath } from '../../api.ts';
import type { ApiPerson } from '../../api-types.ts';
import { Empty } from '../../components/states.tsx';
import { Link } from '../../router.tsx';
import { formatTime, personPath } from './format.ts';
import { PagedList } from './PagedList.tsx';
import { SearchBox } from './SearchBox.tsx';
import { useCursorPages } from './use-cursor-pages.ts';

const PAGE_SIZE = 50;

export function PersonList() {
  const [search, setSearch] = useState('');
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (search) params.set('search', search);
  const pages = useCursorPages<ApiPerson>(`${projectPath('persons/')}?${params}`);

  return (
    <PagedList
      pages={pages}
      label="Persons"
      loadingLabel="Loading persons…"
      empty={<Empty title={search ? `No persons match “${search}”` : 'No persons yet'} />}
      toolbar={<SearchBox label="Search persons" value={search} onChange={setSearch} placeholder="Email, name or distinct ID" />}
    >
      {(rows) => (
        <div className="table-wrap">
          <table aria-label="Persons">
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Distinct IDs</th>
                <th scope="col">First seen</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((person) => (
                <tr key={person.uuid}>
                  <td>
                    <Link to={personPath(person.uuid)}>{person.name}</Link>
                  </td>
                  <td className="code wrap-anywhere">
                    {person.distinct_ids.slice(0, 2).join(', ')}
                    {person.distinct_ids.length > 2 && <span className="muted"> +{person.distinct_ids.length - 2} more</span>}
                  </td>
                  <td className="nowrap">{formatTime(person.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </PagedList>
  );
}
