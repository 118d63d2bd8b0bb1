// Events newest first, a page at a time, each with its person and groups linked. Used by the
// events page and by the person and group pages.
import { useEffect } from 'react';
import { projectPath } from '../../api.ts';
import type { serializeEventWithPerson } from '../../../../src/query/serialize.ts';
import type { ApiEvent, ApiGroupType } from '../../api-types.ts';
import { Empty, ErrorState, Loading } from '../../components/states.tsx';
import { groupTypeLabel, useProject } from '../../project-context.tsx';
import { Link } from '../../router.tsx';
import { formatTime, groupPath, personPath } from './format.ts';
import { Pager } from './Pager.tsx';
import { useCursorPages } from './use-cursor-pages.ts';

/** An event as the events list gives it: with its person (display name), or null when unknown. */
export type ApiEventWithPerson = ReturnType<typeof serializeEventWithPerson>;
type EventRow = ApiEvent & { person?: ApiEventWithPerson['person'] };

export interface EventFilters {
  readonly event?: string;
  readonly personId?: string;
  readonly group?: { readonly groupTypeIndex: number; readonly groupKey: string };
}

export function eventsUrl(filters: EventFilters, limit: number): string {
  const params = new URLSearchParams({ limit: String(limit) });
  if (filters.event) params.set('event', filters.event);
  if (filters.personId) params.set('person_id', filters.personId);
  if (filters.group) {
    params.set('group_type_index', String(filters.group.groupTypeIndex));
    params.set('group_key', filters.group.groupKey);
  }
  return `${projectPath('events/')}?${params}`;
}

export function EventList({
  filters,
  label,
  limit = 50,
  refreshEveryMs,
}: {
  filters: EventFilters;
  label: string;
  limit?: number;
  /** Reloads the first page on this period (older pages stay as they are). */
  refreshEveryMs?: number;
}) {
  const pages = useCursorPages<ApiEventWithPerson>(eventsUrl(filters, limit));
  const { reload, hasPrevious } = pages;
  useEffect(() => {
    if (!refreshEveryMs || hasPrevious) return;
    const timer = setInterval(reload, refreshEveryMs);
    return () => clearInterval(timer);
  }, [refreshEveryMs, hasPrevious, reload]);

  if (pages.error && !pages.data) return <ErrorState error={pages.error} retry={pages.reload} />;
  if (!pages.data) return <Loading label="Loading events…" />;
  if (pages.data.results.length === 0) return <Empty title="No events">{pages.hasPrevious ? 'No older events.' : 'Nothing matches yet.'}</Empty>;
  return (
    <div className="stack">
      <EventsTable events={pages.data.results} label={label} />
      <Pager pages={pages} label={label} />
    </div>
  );
}

export function EventsTable({ events, label }: { events: EventRow[]; label: string }) {
  const { groupTypes } = useProject();
  return (
    <div className="table-wrap">
      <table aria-label={label} className="events-table">
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Person</th>
            <th scope="col">Groups</th>
            <th scope="col">Time</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr key={event.uuid}>
              <td className="code">{event.event}</td>
              <td className="wrap-anywhere">
                {/* The person's display name (email or name), else the distinct id. */}
                <Link to={personPath(event.person?.id ?? event.person_id)} title={event.distinct_id}>
                  {event.person?.name ?? event.distinct_id}
                </Link>
              </td>
              <td>
                <EventGroups properties={event.properties} groupTypes={groupTypes} />
              </td>
              <td className="nowrap">{formatTime(event.timestamp)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function EventGroups({ properties, groupTypes }: { properties: Record<string, unknown>; groupTypes: ApiGroupType[] }) {
  const keys = groupTypes
    .map((type) => ({ index: type.group_type_index, key: properties[`$group_${type.group_type_index}`] }))
    .filter((g): g is { index: number; key: string } => typeof g.key === 'string' && g.key !== '');
  if (keys.length === 0) return <span className="muted">—</span>;
  return (
    <span className="group-chips">
      {keys.map((g) => (
        <Link key={g.index} to={groupPath(g.index, g.key)} title={groupTypeLabel(groupTypes, g.index, 'singular')}>
          {g.key}
        </Link>
      ))}
    </span>
  );
}
