// One tab per group type, named with its plural display name, then Persons.
import { groupTypeLabel, useProject } from '../../project-context.tsx';
import { Link } from '../../router.tsx';

export function PeopleTabs({ active }: { active: number | 'persons' }) {
  const { groupTypes } = useProject();
  const tabs: [string, string, boolean][] = [
    ...groupTypes.map((t): [string, string, boolean] => [`/groups/${t.group_type_index}`, groupTypeLabel(groupTypes, t.group_type_index, 'plural'), active === t.group_type_index]),
    ['/persons', 'Persons', active === 'persons'],
  ];
  return (
    <nav className="tabs" aria-label="Persons and groups">
      {tabs.map(([to, label, isActive]) => (
        <Link key={to} to={to} className={isActive ? 'active' : undefined} aria-current={isActive ? 'page' : undefined}>
          {label}
        </Link>
      ))}
    </nav>
  );
}
