// In-memory state ingestion needs per project: group types and known property definitions
// (loaded from the store at start), and the persons and groups of the shared ActorCache (a bounded
// cache; the store is the truth). Changed only by the ingest queue, which writes every change in
// the same transaction as the events that caused it.
import type { Group, GroupType, Project, Properties, PropertyDefinition } from '../store/store.js';
import type { ActorCache } from './actor-cache.js';
import type { MembershipFilter } from './membership-filter.js';

export interface MutablePerson {
  readonly projectId: number;
  readonly id: string;
  properties: Properties;
  isIdentified: boolean;
  createdAt: Date;
  version: number;
  readonly distinctIds: Set<string>;
}

export const groupId = (groupTypeIndex: number, groupKey: string): string => `${groupTypeIndex}\u0000${groupKey}`;

export class ProjectState {
  readonly groupTypesByName = new Map<string, GroupType>();
  readonly groupTypesByIndex = new Map<number, GroupType>();
  /** Known property names per definition kind ("event", "person", "group:<index>"). */
  private readonly definitions = new Map<string, Set<string>>();
  private groupTypeNames: Readonly<Record<number, string>> | undefined;

  /**
   * `cache` and `knownDistinctIds` are shared by all projects (their keys hold the project id).
   * Persons and groups must be in the cache before a batch is applied: see Actors.prefetch.
   */
  constructor(
    /** The project's settings (name, time zone, token) are ProjectDirectory's (projects.ts). */
    readonly projectId: number,
    readonly cache: ActorCache,
    private readonly knownDistinctIds: MembershipFilter,
  ) {}

  /** Group type index → name, built once per change of the group types (every /flags request reads it). */
  groupTypeNamesByIndex(): Readonly<Record<number, string>> {
    if (this.groupTypeNames === undefined) {
      const names: Record<number, string> = {};
      for (const [index, type] of this.groupTypesByIndex) names[index] = type.groupType;
      this.groupTypeNames = Object.freeze(names);
    }
    return this.groupTypeNames;
  }

  addGroupType(type: GroupType): void {
    this.groupTypeNames = undefined;
    this.groupTypesByName.set(type.groupType, type);
    this.groupTypesByIndex.set(type.groupTypeIndex, type);
  }

  removeGroupType(groupTypeIndex: number): void {
    const type = this.groupTypesByIndex.get(groupTypeIndex);
    if (!type) return;
    this.groupTypeNames = undefined;
    this.groupTypesByIndex.delete(groupTypeIndex);
    this.groupTypesByName.delete(type.groupType);
    this.cache.removeGroupsOfType(this.projectId, groupTypeIndex);
    this.definitions.delete(`group:${groupTypeIndex}`);
  }

  /** The set of known property names of one kind; add to it as definitions are recorded. */
  definitionNames(type: string, groupTypeIndex: number): Set<string> {
    const kind = type === 'group' ? `group:${groupTypeIndex}` : type;
    let names = this.definitions.get(kind);
    if (!names) {
      names = new Set();
      this.definitions.set(kind, names);
    }
    return names;
  }

  renameGroupType(groupTypeIndex: number, nameSingular: string | null, namePlural: string | null): void {
    const type = this.groupTypesByIndex.get(groupTypeIndex);
    if (type) this.addGroupType({ ...type, nameSingular, namePlural });
  }

  /** A new person, with its first distinct ids. */
  addPerson(person: MutablePerson): void {
    this.cache.addPerson(person);
    for (const distinctId of person.distinctIds) this.knownDistinctIds.add(this.projectId, distinctId);
  }

  /** Gives a distinct id to a person (taking it from any other). */
  assignDistinctId(person: MutablePerson, distinctId: string): void {
    person.distinctIds.add(distinctId);
    this.cache.indexDistinctId(person, distinctId);
    this.knownDistinctIds.add(this.projectId, distinctId);
  }

  /** Forgets a person merged into another (after its distinct ids moved). */
  removePerson(person: MutablePerson): void {
    this.cache.removePerson(person);
  }

  personOf(distinctId: string): MutablePerson | undefined {
    return this.cache.person(this.projectId, distinctId);
  }

  group(groupTypeIndex: number, groupKey: string): Group | undefined {
    return this.cache.group(this.projectId, groupTypeIndex, groupKey);
  }

  putGroup(group: Group): void {
    this.cache.putGroup(group);
  }
}

export class IngestStateIndex {
  private readonly byId = new Map<number, ProjectState>();

  private constructor(
    private readonly cache: ActorCache,
    private readonly knownDistinctIds: MembershipFilter,
  ) {}

  static fromSnapshot(
    snapshot: { projects: readonly Project[]; groupTypes: readonly GroupType[]; propertyDefinitions: readonly PropertyDefinition[] },
    cache: ActorCache,
    knownDistinctIds: MembershipFilter,
  ): IngestStateIndex {
    const index = new IngestStateIndex(cache, knownDistinctIds);
    for (const project of snapshot.projects) index.addProject(project);
    for (const type of snapshot.groupTypes) index.byId.get(type.projectId)?.addGroupType(type);
    for (const d of snapshot.propertyDefinitions) {
      index.byId.get(d.projectId)?.definitionNames(d.type, d.groupTypeIndex).add(d.name);
    }
    return index;
  }

  addProject(project: Project): ProjectState {
    const state = new ProjectState(project.id, this.cache, this.knownDistinctIds);
    this.byId.set(project.id, state);
    return state;
  }

  project(projectId: number): ProjectState | undefined {
    return this.byId.get(projectId);
  }

}
