// The groups of one type: name (or key), chosen property columns, search and cursor pages.
import { useState } from 'react';
import { projectPath } from '../../api.ts';
import type { ApiGroup } from '../../api-types.ts';
import { Empty } from '../../components/states.tsx';
import { groupTypeLabel, useProject } from '../../project-context.tsx';
import { Link } from '../../router.tsx';
import { ColumnPicker, useGroupColumns } from './ColumnPicker.tsx';
import { formatTime, formatValue, groupName, groupPath } from './format.ts';
import { PagedList } from './PagedList.tsx';
import { SearchBox } from './SearchBox.tsx';
import { useCursorPages } from './use-cursor-pages.ts';

export function GroupList({ groupTypeIndex }: { groupTypeIndex: number }) {
  const { project, groupTypes } = useProject();
  const plural = groupTypeLabel(groupTypes, groupTypeIndex, 'plural');
  const [search, setSearch] = useState('');
  const params = new URLSearchParams({ group_type_index: String(groupTypeIndex) });
  if (search) params.set('search', search);
  const pages = useCursorPages<ApiGroup>(`${projectPath('groups/')}?${params}`);
  const { columns, available, setColumns } = useGroupColumns(project.id, groupTypeIndex);

  return (
    <PagedList
      pages={pages}
      label={plural}
      loadingLabel={`Loading ${plural.toLowerCase()}…`}
      empty={
        <Empty title={search ? `No ${plural.toLowerCase()} match “${search}”` : `No ${plural.toLowerCase()} yet`}>
          {search ? null : 'Groups appear here once they are identified with properties.'}
        </Empty>
      }
      toolbar={
        <>
          <SearchBox label={`Search ${plural.toLowerCase()}`} value={search} onChange={setSearch} placeholder="Name or key" />
          <span className="spacer" />
          <ColumnPicker available={available} columns={columns} onChange={setColumns} />
        </>
      }
    >
      {(rows) => (
        <div className="table-wrap">
          <table aria-label={plural}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                {columns.map((c) => (
                  <th scope="col" key={c}>
                    {c}
                  </th>
                ))}
                <th scope="col">First seen</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((group) => (
                <tr key={group.group_key}>
                  <td>
                    <Link to={groupPath(groupTypeIndex, group.group_key)}>{groupName(group)}</Link>
                    {groupName(group) !== group.group_key && <div className="muted code small">{group.group_key}</div>}
                  </td>
                  {columns.map((c) => (
                    <td key={c} className="wrap-anywhere">
                      {formatValue(group.group_properties[c])}
                    </td>
                  ))}
                  <td className="nowrap">{formatTime(group.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </PagedList>
  );
}
