// The evaluation context of one flags request: the stored person's and groups' properties,
// overridden by what the request sends. /flags and the management API's "evaluate" endpoint
// both build it here, so testing a flag in the web app answers exactly what /flags would.
import type { Actors } from '../ingest/actors.js';
import type { ProjectState } from '../ingest/project-state.js';
import type { Properties } from '../store/store.js';
import type { EvaluationContext } from './evaluate-flag.js';

export interface FlagRequestSubject {
  readonly distinctId: string;
  /** Group type name → group key, as sent in the /flags `groups`. */
  readonly groups: Readonly<Record<string, string | number>>;
  /** Overrides of the stored person's properties. */
  readonly personProperties?: Properties;
  /** Group type name → overrides of the stored group's properties. */
  readonly groupProperties?: Readonly<Record<string, Properties>>;
}

/**
 * Stored properties come from the ingestion cache, or from the store when it lacks them (one
 * coalesced read, never waiting on an ingestion batch); a cache hit awaits nothing but itself.
 */
export async function flagEvaluationContext(actors: Actors, state: ProjectState, subject: FlagRequestSubject, now = new Date()): Promise<EvaluationContext> {
  const projectId = state.projectId;
  const groups = Object.entries(subject.groups);
  const [person, ...stored] = await Promise.all([
    actors.personProperties(projectId, subject.distinctId),
    ...groups.map(([type, key]) => {
      const index = state.groupTypesByName.get(type)?.groupTypeIndex;
      return index === undefined ? undefined : actors.groupProperties(projectId, index, String(key));
    }),
  ]);
  const personProperties = { ...person, ...subject.personProperties, distinct_id: subject.distinctId };
  const groupProperties: Record<string, Properties> = {};
  groups.forEach(([type, key], i) => {
    groupProperties[type] = { ...stored[i], ...subject.groupProperties?.[type], $group_key: String(key) };
  });
  return { distinctId: subject.distinctId, groups: subject.groups, groupTypeMapping: state.groupTypeNamesByIndex(), personProperties, groupProperties, now };
}
