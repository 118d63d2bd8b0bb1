// Collects everything one group commit will write, deduplicating repeated changes to the same
// person, group or warning within the batch.
import type {
  Group,
  GroupType,
  IngestCommit,
  IngestionWarning,
  PropertyDefinition,
  StoredEvent,
} from '../store/store.js';
import { groupId, type MutablePerson } from './project-state.js';

export class CommitBuilder {
  readonly events: StoredEvent[] = [];
  private readonly persons = new Map<string, MutablePerson>();
  private readonly deletedPersons = new Map<string, { projectId: number; personId: string }>();
  private readonly personOverrides: { projectId: number; oldPersonId: string; newPersonId: string }[] = [];
  private readonly groups = new Map<string, Group>();
  private readonly newGroupTypes: GroupType[] = [];
  private readonly newPropertyDefinitions: PropertyDefinition[] = [];
  private readonly warnings = new Map<string, IngestionWarning>();

  get eventCount(): number {
    return this.events.length;
  }

  touchPerson(person: MutablePerson): void {
    this.persons.set(`${person.projectId}/${person.id}`, person);
  }

  deletePerson(person: MutablePerson, mergedInto: MutablePerson): void {
    const key = `${person.projectId}/${person.id}`;
    this.persons.delete(key);
    this.deletedPersons.set(key, { projectId: person.projectId, personId: person.id });
    this.personOverrides.push({ projectId: person.projectId, oldPersonId: person.id, newPersonId: mergedInto.id });
  }

  putGroup(group: Group): void {
    this.groups.set(`${group.projectId}/${groupId(group.groupTypeIndex, group.groupKey)}`, group);
  }

  addGroupType(type: GroupType): void {
    this.newGroupTypes.push(type);
  }

  addPropertyDefinition(definition: PropertyDefinition): void {
    this.newPropertyDefinitions.push(definition);
  }

  warn(projectId: number, type: string, key: string, details: Record<string, unknown>, at: Date): void {
    const id = `${projectId}\u0000${type}\u0000${key}`;
    const existing = this.warnings.get(id);
    this.warnings.set(id, {
      projectId,
      type,
      key,
      details,
      count: (existing?.count ?? 0) + 1,
      firstSeen: existing?.firstSeen ?? at,
      lastSeen: at,
    });
  }

  build(): IngestCommit {
    return {
      events: this.events,
      // Snapshots: the live objects keep changing in later batches.
      persons: [...this.persons.values()].map((p) => ({
        projectId: p.projectId,
        id: p.id,
        properties: { ...p.properties },
        isIdentified: p.isIdentified,
        createdAt: p.createdAt,
        version: p.version,
        distinctIds: [...p.distinctIds],
      })),
      deletedPersons: [...this.deletedPersons.values()],
      personOverrides: this.personOverrides,
      groups: [...this.groups.values()],
      newGroupTypes: this.newGroupTypes,
      newPropertyDefinitions: this.newPropertyDefinitions,
      warnings: [...this.warnings.values()],
    };
  }
}
