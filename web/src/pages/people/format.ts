// Small formatting helpers shared by the persons, groups and events pages.
import type { ApiGroup } from '../../api-types.ts';

/** A group's display name: its `name` property, else its key (as the server's groupDisplayName). */
export function groupName(group: Pick<ApiGroup, 'group_key' | 'group_properties'>): string {
  const name = group.group_properties.name;
  return name ? String(name) : group.group_key;
}

/** A property value as text: strings as they are, everything else as JSON. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

export const groupPath = (groupTypeIndex: number, groupKey: string) => `/groups/${groupTypeIndex}/${encodeURIComponent(groupKey)}`;
export const personPath = (personId: string) => `/persons/${encodeURIComponent(personId)}`;

/** The same-origin path and query of an absolute `next` URL the API returned. */
export function relativeUrl(absolute: string): string {
  const url = new URL(absolute, window.location.origin);
  return url.pathname + url.search;
}
