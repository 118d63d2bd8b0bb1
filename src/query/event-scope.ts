// The rows an insight reads: events of one project, with the joins its expressions need
// (the current person behind each event, and each group type's current group). Expressions ask
// the scope for what they reference, and the scope adds only those joins.
import { HttpError } from '../errors.js';
import type { Dialect } from '../sql/dialect.js';
import { and, join, or, raw, sql, type Sql } from '../sql/sql.js';
import { namesBreakdown, type BreakdownFilter, type PropertyFilter, type PropertyGroup, type Properties } from './query-schema.js';

/** `$group_N`: the event's group key of type N, held in a column rather than in its properties. */
export const GROUP_KEY_PROPERTY = /^\$group_([0-9])$/;

/** The column alias standing for a property key (aliases are ours: safe to splice). */
function columnFor(columns: Map<string, string>, key: string, prefix: string): string {
  let column = columns.get(key);
  if (!column) {
    column = `${prefix}${columns.size}`;
    columns.set(key, column);
  }
  return column;
}

export class EventScope {
  private overridesJoin = false;
  /** Person properties referenced: key → column of the joined person table. */
  private readonly personColumns = new Map<string, string>();
  private personJoin = false;
  /** Group properties referenced, per group type index: key → column. */
  private readonly groupColumns = new Map<number, Map<string, string>>();

  constructor(
    readonly dialect: Dialect,
    readonly projectId: number,
    readonly maxGroupTypes: number,
    readonly timeZone: string,
  ) {}

  /** The person an event belongs to now (following merges). */
  personId(): Sql {
    this.overridesJoin = true;
    return this.dialect.currentPersonId(raw('o.new_person_id'), raw('e.person_id'));
  }

  /** The group key column of a slot ('' when the event has none). */
  groupKey(groupTypeIndex: number): Sql {
    this.checkGroupTypeIndex(groupTypeIndex, 'group_type_index');
    return raw(`e."$group_${groupTypeIndex}"`);
  }

  checkGroupTypeIndex(index: number | null | undefined, attr: string): number {
    if (index === null || index === undefined || !Number.isInteger(index) || index < 0 || index >= this.maxGroupTypes) {
      throw new HttpError('invalid_input', `${attr} must be a group type index between 0 and ${this.maxGroupTypes - 1}.`, attr);
    }
    return index;
  }

  /** Wall-clock event time in the project's time zone. */
  localTime(): Sql {
    return this.dialect.localTime(raw('e.timestamp'), this.timeZone);
  }

  /** The breakdown value of an event (the property a breakdown filter names), or undefined without one. */
  breakdown(filter: BreakdownFilter): Sql | undefined {
    if (!namesBreakdown(filter)) return undefined;
    return this.property(String(filter!.breakdown), filter?.breakdown_type ?? 'event', filter?.breakdown_group_type_index, 'breakdownFilter.breakdown_group_type_index');
  }

  /** A property as text (NULL when missing), from the event, its person or one of its groups. */
  property(key: string, type: 'event' | 'person' | 'group', groupTypeIndex?: number | null, attr = 'group_type_index'): Sql {
    if (type === 'person') {
      this.personJoin = true;
      this.overridesJoin = true;
      return raw(`p.${columnFor(this.personColumns, key, 'pp')}`);
    }
    if (type === 'group') {
      const index = this.checkGroupTypeIndex(groupTypeIndex, attr);
      const columns = this.groupColumns.get(index) ?? new Map<string, string>();
      this.groupColumns.set(index, columns);
      return raw(`g${index}.${columnFor(columns, key, 'gp')}`);
    }
    // Group keys live in columns, not in the properties JSON.
    const slot = GROUP_KEY_PROPERTY.exec(key);
    if (slot && Number(slot[1]) < this.maxGroupTypes) return sql`NULLIF(${raw(`e."$group_${slot[1]}"`)}, '')`;
    return this.dialect.propertyText(raw('e.properties'), key);
  }

  /** FROM and JOINs for everything referenced so far. Call after building the expressions. */
  from(): Sql {
    const d = this.dialect;
    const joins: Sql[] = [sql`FROM ${d.table('events')} e`];
    if (this.overridesJoin) {
      joins.push(sql`LEFT JOIN ${d.table('person_overrides')} o ON o.project_id = e.project_id AND o.old_person_id = e.person_id`);
    }
    // Persons and groups are joined as derived tables holding only the referenced properties,
    // so each JSON property is read once per person or group, not once per event.
    const extracted = (columns: Map<string, string>) =>
      [...columns].map(([key, column]) => sql`, ${d.propertyText(raw('properties'), key)} AS ${raw(column)}`);
    if (this.personJoin) {
      joins.push(
        sql`LEFT JOIN (SELECT id${join(extracted(this.personColumns), '')} FROM ${d.table('persons')} WHERE project_id = ${this.projectId}) p
          ON p.id = ${d.currentPersonId(raw('o.new_person_id'), raw('e.person_id'))}`,
      );
    }
    for (const [index, columns] of [...this.groupColumns].sort((a, b) => a[0] - b[0])) {
      const alias = raw(`g${index}`);
      joins.push(
        sql`LEFT JOIN (SELECT group_key${join(extracted(columns), '')} FROM ${d.table('groups')} WHERE project_id = ${this.projectId} AND group_type_index = ${raw(String(index))}) ${alias}
          ON ${alias}.group_key = ${raw(`e."$group_${index}"`)}`,
      );
    }
    return join(joins, '\n');
  }

  /** A property filter list or AND/OR group as a condition. */
  filters(properties: Properties, attr = 'properties'): Sql {
    if (!properties) return raw('TRUE');
    if (Array.isArray(properties)) return and(properties.map((f, i) => this.filter(f, `${attr}.${i}`)));
    return this.group(properties, attr);
  }

  private group(group: PropertyGroup, attr: string): Sql {
    const parts = group.values.map((v, i) => ('values' in v ? this.group(v, `${attr}.values.${i}`) : this.filter(v, `${attr}.values.${i}`)));
    return group.type === 'OR' ? or(parts) : and(parts);
  }

  filter(f: PropertyFilter, attr: string): Sql {
    const d = this.dialect;
    const x = this.property(f.key, f.type, f.group_type_index, `${attr}.group_type_index`);
    const values = f.value === null || f.value === undefined ? [] : Array.isArray(f.value) ? f.value : [f.value];
    const needValues = () => {
      if (values.length === 0) throw new HttpError('invalid_input', `operator ${f.operator} needs a value.`, `${attr}.value`);
    };
    const anyOf = (match: (v: string | number | boolean) => Sql) => {
      needValues();
      return or(values.map(match));
    };
    const nullSafeNot = (positive: Sql) => sql`(${x} IS NULL OR NOT ${positive})`;
    const number = (v: unknown) => {
      const n = typeof v === 'number' ? v : Number(v);
      if (typeof v === 'boolean' || v === '' || !Number.isFinite(n)) {
        throw new HttpError('invalid_input', `operator ${f.operator} needs a number, got ${JSON.stringify(v)}.`, `${attr}.value`);
      }
      return n;
    };
    const date = (v: unknown) => {
      const ms = typeof v === 'string' ? Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v) : NaN;
      if (Number.isNaN(ms)) throw new HttpError('invalid_input', `operator ${f.operator} needs a date, got ${JSON.stringify(v)}.`, `${attr}.value`);
      return new Date(ms);
    };
    // Patterns are checked by the engine before the query runs (regex-patterns.ts).
    const pattern = (v: unknown) => String(v);
    const contains = (v: unknown) => `%${String(v).replace(/[!%_]/g, (c) => `!${c}`)}%`;
    switch (f.operator) {
      case 'exact':
        return anyOf((v) => sql`${x} = ${String(v)}`);
      case 'is_not':
        return nullSafeNot(anyOf((v) => sql`${x} = ${String(v)}`));
      case 'icontains':
        return anyOf((v) => d.ilike(x, contains(v)));
      case 'not_icontains':
        return nullSafeNot(anyOf((v) => d.ilike(x, contains(v))));
      case 'regex':
        return anyOf((v) => d.regexMatch(x, pattern(v)));
      case 'not_regex':
        return nullSafeNot(anyOf((v) => d.regexMatch(x, pattern(v))));
      case 'gt':
        return anyOf((v) => sql`${d.toNumber(x)} > ${number(v)}`);
      case 'gte':
        return anyOf((v) => sql`${d.toNumber(x)} >= ${number(v)}`);
      case 'lt':
        return anyOf((v) => sql`${d.toNumber(x)} < ${number(v)}`);
      case 'lte':
        return anyOf((v) => sql`${d.toNumber(x)} <= ${number(v)}`);
      case 'is_set':
        return sql`(${x} IS NOT NULL)`;
      case 'is_not_set':
        return sql`(${x} IS NULL)`;
      case 'is_date_before':
        return anyOf((v) => sql`${d.toTimestamp(x)} < ${date(v)}`);
      case 'is_date_after':
        return anyOf((v) => sql`${d.toTimestamp(x)} > ${date(v)}`);
    }
  }
}
