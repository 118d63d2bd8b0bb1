// The evaluation context of one flags request: the stored person's and groups' properties,
// overridden by what the request sends. /flags and the management API's "evaluate" endpoint
// both build it here, so testing a flag in the web app answers exactly what /flags would.
import { groupId, type ProjectState } from '../ingest/project-state.js';
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

export function flagEvaluationContext(state: ProjectState, subject: FlagRequestSubject, now = new Date()): EvaluationContext {
  const person = state.personOf(subject.distinctId);
  const personProperties = { ...person?.properties, ...subject.personProperties, distinct_id: subject.distinctId };
  const groupProperties: Record<string, Properties> = {};
  for (const [type, key] of Object.entries(subject.groups)) {
    const index = state.groupTypesByName.get(type)?.groupTypeIndex;
    const stored = index === undefined ? undefined : state.groups.get(groupId(index, String(key)));
    groupProperties[type] = { ...stored?.properties, ...subject.groupProperties?.[type], $group_key: String(key) };
  }
  return { distinctId: subject.distinctId, groups: subject.groups, groupTypeMapping: state.groupTypeNamesByIndex(), personProperties, groupProperties, now };
}
