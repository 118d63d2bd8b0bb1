// The signed-in user's current project and its group types, shared by every page. Renaming a
// group type in settings calls reloadGroupTypes(), so new names show across the app at once.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, projectPath } from './api.ts';
import type { ApiGroupType, ApiMe, ApiProject } from './api-types.ts';

export interface ProjectContextValue {
  readonly me: ApiMe;
  readonly project: ApiProject;
  readonly groupTypes: ApiGroupType[];
  /** False until the group types have been fetched once. */
  readonly groupTypesLoaded: boolean;
  reloadGroupTypes(): void;
}

const ProjectContext = createContext<ProjectContextValue | null>(null);

export function ProjectProvider({ me, children }: { me: ApiMe; children: ReactNode }) {
  const [groupTypes, setGroupTypes] = useState<ApiGroupType[]>([]);
  const [groupTypesLoaded, setGroupTypesLoaded] = useState(false);
  const reloadGroupTypes = useCallback(() => {
    api<ApiGroupType[]>(projectPath('groups_types/'))
      .then(setGroupTypes, () => setGroupTypes([]))
      .finally(() => setGroupTypesLoaded(true));
  }, []);
  useEffect(reloadGroupTypes, [reloadGroupTypes]);
  const project = me.projects[0];
  return <ProjectContext.Provider value={{ me, project, groupTypes, groupTypesLoaded, reloadGroupTypes }}>{children}</ProjectContext.Provider>;
}

export function useProject(): ProjectContextValue {
  const value = useContext(ProjectContext);
  if (!value) throw new Error('useProject outside ProjectProvider');
  return value;
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** English plural of a group type name: company → companies, class → classes, team → teams. */
export function pluralize(word: string): string {
  if (/[^aeiou]y$/i.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/i.test(word)) return `${word}es`;
  return `${word}s`;
}

/** "Companies" / "company": the names set in settings, else made from the group type. */
export function groupTypeLabel(groupTypes: readonly ApiGroupType[], index: number, form: 'singular' | 'plural' = 'plural'): string {
  const type = groupTypes.find((t) => t.group_type_index === index);
  if (!type) return form === 'plural' ? `Groups (${index})` : `group (${index})`;
  if (form === 'plural') return type.name_plural || capitalize(pluralize(type.group_type));
  return type.name_singular || type.group_type;
}
