// Persons & Groups: a tab per group type (its plural name) and a Persons tab.
import { Empty } from '../components/states.tsx';
import { useProject } from '../project-context.tsx';
import { GroupList } from './people/GroupList.tsx';
import { PeopleTabs } from './people/PeopleTabs.tsx';
import { PersonList } from './people/PersonList.tsx';
import './people.css';

export function PersonsGroups({ groupTypeIndex }: Record<string, string>) {
  const { groupTypes } = useProject();
  const index = groupTypeIndex === undefined ? null : Number(groupTypeIndex);
  const known = index !== null && groupTypes.some((t) => t.group_type_index === index);
  return (
    <div className="page">
      <h1>Persons &amp; Groups</h1>
      <PeopleTabs active={index ?? 'persons'} />
      {index === null ? (
        <PersonList />
      ) : Number.isInteger(index) && (known || groupTypes.length === 0) ? (
        // Before the group types have loaded the list still shows; its own empty state covers a project without groups.
        <GroupList key={index} groupTypeIndex={index} />
      ) : (
        <Empty title="No such group type">Group type {groupTypeIndex} does not exist in this project.</Empty>
      )}
    </div>
  );
}
