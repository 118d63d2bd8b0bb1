// Collects everything one group commit will write, deduplicating repeated changes to the same
// person, group or warning within the batch, and telling new rows from changed ones.
import type {
  DistinctIdAssignment,
  Group,
  GroupType,
  IngestCommit,
  IngestionWarning,
  PersonRow,
  PropertyDefinition,
} from '../store/store.js';
import { resolvedLine } from '../store/event-rows.js';
import { ByteWriter } from '../byte-writer.js';
import { groupId, type MutablePerson } from './project-state.js';

const personRow = (p: MutablePerson): PersonRow => ({
  projectId: p.projectId,
  id: p.id,
  // A snapshot: the live object keeps changing in later batches.
  properties: { ...p.properties },
  isIdentified: p.isIdentified,
  createdAt: p.createdAt,
  version: p.version,
});

export class CommitBuilder {
  private readonly eventFields: Uint8Array[] = [];
  /** The resolved lines, held until the commit ends: as bytes, not as a string (see byte-writer.ts). */
  private readonly resolved = new ByteWriter();
  private eventCount = 0;
  private longestLine = 0;
  private maxFieldsLineBytes = 0;
  private readonly touchedPersons = new Map<string, MutablePerson>();
  private readonly createdPersonIds = new Set<string>();
  private readonly distinctIds = new Map<string, DistinctIdAssignment>();
  private readonly deletedPersons = new Map<string, { projectId: number; personId: string }>();
  private readonly personOverrides: { projectId: number; oldPersonId: string; newPersonId: string }[] = [];
  private readonly groups = new Map<string, Group>();
  private readonly createdGroupIds = new Set<string>();
  private readonly newGroupTypes: GroupType[] = [];
  private readonly newPropertyDefinitions: PropertyDefinition[] = [];
  private readonly warnings = new Map<string, IngestionWarning>();

  /** A request's events, as the decoding worker encoded their stored fields; addEvent follows for each. */
  addEventFields(fields: Uint8Array, maxLineBytes: number): void {
    this.eventFields.push(fields);
    if (maxLineBytes > this.maxFieldsLineBytes) this.maxFieldsLineBytes = maxLineBytes;
  }

  /** What ingestion resolved for the next event of the fields added. */
  addEvent(projectId: number, personId: string, groupKeys: readonly string[], createdAtMs: number): void {
    const line = resolvedLine(projectId, personId, groupKeys, createdAtMs);
    if (line.length > this.longestLine) this.longestLine = line.length;
    this.resolved.write(line);
    this.eventCount += 1;
  }

  /** A person created by this batch (with its first distinct ids). */
  createPerson(person: MutablePerson): void {
    const key = `${person.projectId}/${person.id}`;
    this.createdPersonIds.add(key);
    this.touchedPersons.set(key, person);
    for (const distinctId of person.distinctIds) this.assignDistinctId(person, distinctId);
  }

  touchPerson(person: MutablePerson): void {
    this.touchedPersons.set(`${person.projectId}/${person.id}`, person);
  }

  assignDistinctId(person: MutablePerson, distinctId: string): void {
    this.distinctIds.set(`${person.projectId}/${distinctId}`, { projectId: person.projectId, distinctId, personId: person.id });
  }

  deletePerson(person: MutablePerson, mergedInto: MutablePerson): void {
    const key = `${person.projectId}/${person.id}`;
    this.touchedPersons.delete(key);
    // A person created and merged away within one batch was never stored: nothing to delete.
    if (!this.createdPersonIds.delete(key)) this.deletedPersons.set(key, { projectId: person.projectId, personId: person.id });
    // Events already stored (or in this batch) with the old id follow the override.
    this.personOverrides.push({ projectId: person.projectId, oldPersonId: person.id, newPersonId: mergedInto.id });
  }

  putGroup(group: Group, isNew: boolean): void {
    const key = `${group.projectId}/${groupId(group.groupTypeIndex, group.groupKey)}`;
    if (isNew) this.createdGroupIds.add(key);
    this.groups.set(key, group);
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
    const newPersons: PersonRow[] = [];
    const changedPersons: PersonRow[] = [];
    for (const [key, person] of this.touchedPersons) {
      (this.createdPersonIds.has(key) ? newPersons : changedPersons).push(personRow(person));
    }
    const newGroups: Group[] = [];
    const changedGroups: Group[] = [];
    for (const [key, group] of this.groups) (this.createdGroupIds.has(key) ? newGroups : changedGroups).push(group);
    return {
      events: {
        count: this.eventCount,
        fields: this.eventFields,
        resolved: [this.resolved.bytes()],
        // A UTF-16 code unit takes at most 3 bytes of UTF-8.
        maxLineBytes: Math.max(this.maxFieldsLineBytes, this.longestLine * 3),
      },
      newPersons,
      changedPersons,
      distinctIds: [...this.distinctIds.values()],
      deletedPersons: [...this.deletedPersons.values()],
      personOverrides: this.personOverrides,
      newGroups,
      changedGroups,
      newGroupTypes: this.newGroupTypes,
      newPropertyDefinitions: this.newPropertyDefinitions,
      warnings: [...this.warnings.values()],
    };
  }
}
