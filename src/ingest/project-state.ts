// In-memory state ingestion needs per project: group types, groups, persons, known property
// definitions. Loaded from the store at start; changed only by the ingest queue, which writes
// every change in the same transaction as the events that caused it.
import type { Group, GroupType, Person, Project, Properties, PropertyDefinition } from '../store/store.js';

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
  /** Replaced whole when the project's name or time zone changes. */
  readonly groupTypesByName = new Map<string, GroupType>();
  readonly groupTypesByIndex = new Map<number, GroupType>();
  readonly groups = new Map<string, Group>();
  readonly persons = new Map<string, MutablePerson>();
  readonly personByDistinctId = new Map<string, MutablePerson>();
  /** Known property names per definition kind ("event", "person", "group:<index>"). */
  private readonly definitions = new Map<string, Set<string>>();
  private groupTypeNames: Readonly<Record<number, string>> | undefined;

  constructor(public project: Project) {}

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
    for (const [id, group] of this.groups) if (group.groupTypeIndex === groupTypeIndex) this.groups.delete(id);
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

  addPerson(person: MutablePerson): void {
    this.persons.set(person.id, person);
    for (const distinctId of person.distinctIds) this.personByDistinctId.set(distinctId, person);
  }

  personOf(distinctId: string): MutablePerson | undefined {
    return this.personByDistinctId.get(distinctId);
  }
}

export class IngestStateIndex {
  private readonly byId = new Map<number, ProjectState>();
  private readonly byToken = new Map<string, ProjectState>();

  static fromSnapshot(snapshot: {
    projects: readonly Project[];
    groupTypes: readonly GroupType[];
    groups: readonly Group[];
    persons: readonly Person[];
    propertyDefinitions: readonly PropertyDefinition[];
  }): IngestStateIndex {
    const index = new IngestStateIndex();
    for (const project of snapshot.projects) index.addProject(project);
    for (const type of snapshot.groupTypes) index.byId.get(type.projectId)?.addGroupType(type);
    for (const group of snapshot.groups) index.byId.get(group.projectId)?.groups.set(groupId(group.groupTypeIndex, group.groupKey), group);
    for (const p of snapshot.persons) {
      index.byId.get(p.projectId)?.addPerson({ ...p, properties: { ...p.properties }, distinctIds: new Set(p.distinctIds) });
    }
    for (const d of snapshot.propertyDefinitions) {
      index.byId.get(d.projectId)?.definitionNames(d.type, d.groupTypeIndex).add(d.name);
    }
    return index;
  }

  addProject(project: Project): ProjectState {
    const state = new ProjectState(project);
    this.byId.set(project.id, state);
    this.byToken.set(project.apiToken, state);
    return state;
  }

  project(projectId: number): ProjectState | undefined {
    return this.byId.get(projectId);
  }

  projectByToken(token: string): ProjectState | undefined {
    return this.byToken.get(token);
  }

  /** Every project's id, lowest first. */
  projectIds(): number[] {
    return [...this.byId.keys()].sort((a, b) => a - b);
  }
}
