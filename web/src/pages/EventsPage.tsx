// Recent events, filtered by event name and by group, refreshing every few seconds while on the
// newest page. The filters live in the URL (?event=&group_type_index=&group_key=). Event names
// are suggested from the project's event definitions, most frequent first; any name may be typed.
import { useId, useState, type FormEvent } from 'react';
import { groupTypeLabel, useProject } from '../project-context.tsx';
import { navigate, useLocation } from '../router.tsx';
import { useEventNames } from './insights/pickers.tsx';
import { EventList, type EventFilters } from './people/EventList.tsx';
import './people.css';

const REFRESH_MS = 5000;

function filtersFrom(query: URLSearchParams): EventFilters {
  const event = query.get('event') || undefined;
  const index = query.get('group_type_index');
  const key = query.get('group_key');
  const group = index !== null && index !== '' && key ? { groupTypeIndex: Number(index), groupKey: key } : undefined;
  return { event, group };
}

export function EventsPage(_props: Record<string, string>) {
  const { query } = useLocation();
  const filters = filtersFrom(query);
  const [autoRefresh, setAutoRefresh] = useState(true);
  return (
    <div className="page">
      <div className="row page-title-row">
        <h1>Events</h1>
        <span className="spacer" />
        <label className="inline">
          <input type="checkbox" checked={autoRefresh} onChange={(e) => setAutoRefresh(e.target.checked)} />
          Auto-refresh every 5 s
        </label>
      </div>
      <EventFilterForm key={query.toString()} filters={filters} />
      <EventList filters={filters} label="Events" refreshEveryMs={autoRefresh ? REFRESH_MS : undefined} />
    </div>
  );
}

function EventFilterForm({ filters }: { filters: EventFilters }) {
  const { groupTypes } = useProject();
  const eventNamesId = useId();
  const eventNames = useEventNames();
  const [event, setEvent] = useState(filters.event ?? '');
  const [groupTypeIndex, setGroupTypeIndex] = useState(filters.group ? String(filters.group.groupTypeIndex) : '');
  const [groupKey, setGroupKey] = useState(filters.group?.groupKey ?? '');

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const params = new URLSearchParams();
    if (event.trim()) params.set('event', event.trim());
    if (groupTypeIndex !== '' && groupKey.trim()) {
      params.set('group_type_index', groupTypeIndex);
      params.set('group_key', groupKey.trim());
    }
    navigate(params.size > 0 ? `/events?${params}` : '/events');
  };
  const hasFilters = filters.event !== undefined || filters.group !== undefined;

  return (
    <form className="card row event-filters" onSubmit={apply} aria-label="Event filters">
      <label>
        Event name
        <input list={eventNamesId} value={event} onChange={(e) => setEvent(e.target.value)} placeholder="e.g. $pageview" autoComplete="off" />
        <datalist id={eventNamesId}>
          {(eventNames.data?.results ?? []).map((definition) => (
            <option key={definition.name} value={definition.name} label={`${definition.name} (${definition.count.toLocaleString()})`} />
          ))}
        </datalist>
      </label>
      <label>
        Group type
        <select value={groupTypeIndex} onChange={(e) => setGroupTypeIndex(e.target.value)}>
          <option value="">Any group</option>
          {groupTypes.map((t) => (
            <option key={t.group_type_index} value={t.group_type_index}>
              {groupTypeLabel(groupTypes, t.group_type_index, 'singular')}
            </option>
          ))}
        </select>
      </label>
      <label>
        Group key
        <input value={groupKey} onChange={(e) => setGroupKey(e.target.value)} disabled={groupTypeIndex === ''} placeholder="e.g. acme" />
      </label>
      <button type="submit" className="primary">
        Apply filters
      </button>
      {hasFilters && (
        <button type="button" onClick={() => navigate('/events')}>
          Clear
        </button>
      )}
    </form>
  );
}
