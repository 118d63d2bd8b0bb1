// Reads of ingested events, compiled through a dialect: the event list (each event with its
// current person), the persons and groups related to a group or person through shared events,
// and the ingestion warnings.
import type { Dialect } from '../../sql/dialect.js';
import { and, join, raw, sql, type CompiledSql, type Sql } from '../../sql/sql.js';
import { EVENT_GROUP_SLOTS } from '../event-rows.js';
import type { EventListQuery } from '../store.js';

const slots = Array.from({ length: EVENT_GROUP_SLOTS }, (_, i) => i);
const groupKey = (slot: number) => raw(`e."$group_${slot}"`);

/** The events table as `e`, with the person overrides as `o` for currentPerson. */
const eventsWithOverrides = (dialect: Dialect) =>
  sql`${dialect.table('events')} e LEFT JOIN ${dialect.table('person_overrides')} o ON o.project_id = e.project_id AND o.old_person_id = e.person_id`;
/** The person an event belongs to now (its own, or the one it was merged into). */
const currentPerson = (dialect: Dialect) => dialect.currentPersonId(raw('o.new_person_id'), raw('e.person_id'));

/** The event's columns, its current person in place of the stored one. */
const EVENT_COLUMNS = ['uuid', 'project_id', 'event', 'distinct_id', 'timestamp', 'properties', ...slots.map((i) => `$group_${i}`), 'created_at'];

/** Newest first; `afterRow` continues past a row of an earlier page. */
export function listEventsSql(dialect: Dialect, q: EventListQuery): CompiledSql {
  const at = (date: Date) => dialect.timestampValue(sql`${date}`);
  const where: Sql[] = [sql`e.project_id = ${q.projectId}`];
  if (q.event !== undefined) where.push(sql`e.event = ${q.event}`);
  if (q.distinctId !== undefined) where.push(sql`e.distinct_id = ${q.distinctId}`);
  if (q.personId !== undefined) where.push(sql`${currentPerson(dialect)} = ${q.personId}`);
  if (q.group) where.push(sql`${groupKey(q.group.groupTypeIndex)} = ${q.group.groupKey}`);
  if (q.after) where.push(sql`e.timestamp > ${at(q.after)}`);
  if (q.before) where.push(sql`e.timestamp < ${at(q.before)}`);
  if (q.afterRow) {
    const { timestamp, uuid } = q.afterRow;
    where.push(sql`(e.timestamp < ${at(timestamp)} OR (e.timestamp = ${at(timestamp)} AND e.uuid < ${uuid}))`);
  }
  const columns = join(EVENT_COLUMNS.map((c) => raw(`e."${c}"`)), ', ');
  return sql`SELECT ${columns}, ${currentPerson(dialect)} AS person_id FROM ${eventsWithOverrides(dialect)}
    WHERE ${and(where)} ORDER BY e.timestamp DESC, e.uuid DESC LIMIT ${q.limit}`.build(dialect);
}

/** Whose events are related: a group's (by its slot and key) or a person's, since a time. */
type RelatedTo = { readonly group: { readonly groupTypeIndex: number; readonly groupKey: string } } | { readonly personId: string };

function relatedEvents(dialect: Dialect, projectId: number, to: RelatedTo, since: Date): Sql {
  const whose = 'group' in to ? sql`${groupKey(to.group.groupTypeIndex)} = ${to.group.groupKey}` : sql`${currentPerson(dialect)} = ${to.personId}`;
  return and([sql`e.project_id = ${projectId}`, whose, sql`e.timestamp > ${dialect.timestampValue(sql`${since}`)}`]);
}

/** The existing persons with events of the group since `since`, by id (column person_id). */
export function personsRelatedToGroupSql(dialect: Dialect, projectId: number, group: { groupTypeIndex: number; groupKey: string }, since: Date): CompiledSql {
  return sql`SELECT DISTINCT ${currentPerson(dialect)} AS person_id FROM ${eventsWithOverrides(dialect)}
    JOIN ${dialect.table('persons')} p ON p.project_id = e.project_id AND p.id = ${currentPerson(dialect)}
    WHERE ${relatedEvents(dialect, projectId, { group }, since)} ORDER BY 1`.build(dialect);
}

/**
 * The existing groups (columns idx, key) on events of the group or person since `since`, by type
 * index and key; a group's own type is left out.
 */
export function groupsRelatedSql(dialect: Dialect, projectId: number, to: RelatedTo, since: Date): CompiledSql {
  const own = 'group' in to ? to.group.groupTypeIndex : null;
  // A group's events need no current person.
  const events = 'group' in to ? sql`${dialect.table('events')} e` : eventsWithOverrides(dialect);
  const selects = slots
    .filter((i) => i !== own)
    .map(
      (i) =>
        sql`SELECT DISTINCT ${raw(String(i))} AS idx, ${groupKey(i)} AS key FROM ${events}
          WHERE ${relatedEvents(dialect, projectId, to, since)} AND ${groupKey(i)} <> ''`,
    );
  return sql`SELECT k.idx, k.key FROM (${join(selects, ' UNION ALL ')}) k
    JOIN ${dialect.table('groups')} g ON g.project_id = ${projectId} AND g.group_type_index = k.idx AND g.group_key = k.key
    ORDER BY k.idx, k.key`.build(dialect);
}

export function listIngestionWarningsSql(dialect: Dialect, projectId: number): CompiledSql {
  return sql`SELECT * FROM ${dialect.table('ingestion_warnings')} WHERE project_id = ${projectId} ORDER BY last_seen DESC, type, key`.build(dialect);
}
