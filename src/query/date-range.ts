// Date ranges and time buckets in the project's time zone. Wall-clock times are carried as
// "naive" Dates whose UTC fields hold the local date and time, so bucket arithmetic is plain UTC
// arithmetic; bounds are turned back into real instants to filter stored (UTC) timestamps.
import { HttpError } from '../errors.js';
import type { Interval } from '../sql/dialect.js';

export type Naive = Date;

const MS = { hour: 3_600_000, day: 86_400_000 };

function offsetMs(instant: Date, timeZone: string): number {
  if (timeZone === 'UTC') return 0;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

export function toNaive(instant: Date, timeZone: string): Naive {
  return new Date(instant.getTime() + offsetMs(instant, timeZone));
}

export function fromNaive(naive: Naive, timeZone: string): Date {
  if (timeZone === 'UTC') return new Date(naive.getTime());
  let guess = new Date(naive.getTime() - offsetMs(naive, timeZone));
  guess = new Date(naive.getTime() - offsetMs(guess, timeZone));
  return guess;
}

export function truncate(naive: Naive, interval: Interval): Naive {
  const d = new Date(naive.getTime());
  if (interval === 'hour') return new Date(Math.floor(d.getTime() / MS.hour) * MS.hour);
  d.setUTCHours(0, 0, 0, 0);
  if (interval === 'week') d.setUTCDate(d.getUTCDate() - d.getUTCDay());
  if (interval === 'month') d.setUTCDate(1);
  return d;
}

export function addIntervals(naive: Naive, interval: Interval, count: number): Naive {
  const d = new Date(naive.getTime());
  if (interval === 'hour') return new Date(d.getTime() + count * MS.hour);
  if (interval === 'day') d.setUTCDate(d.getUTCDate() + count);
  if (interval === 'week') d.setUTCDate(d.getUTCDate() + 7 * count);
  if (interval === 'month') d.setUTCMonth(d.getUTCMonth() + count);
  return d;
}

/** Bucket starts from the one holding `from` to the one holding `to`. */
export function bucketStarts(from: Naive, to: Naive, interval: Interval): Naive[] {
  const starts: Naive[] = [];
  for (let b = truncate(from, interval); b <= to; b = addIntervals(b, interval, 1)) {
    starts.push(b);
    if (starts.length > 10_000) throw new HttpError('invalid_input', 'The date range has too many intervals; use a larger interval.', 'interval');
  }
  return starts;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** PostHog's `days` entries: the bucket start. */
export function formatDay(naive: Naive, interval: Interval): string {
  const date = `${naive.getUTCFullYear()}-${pad(naive.getUTCMonth() + 1)}-${pad(naive.getUTCDate())}`;
  return interval === 'hour' ? `${date} ${pad(naive.getUTCHours())}:00:00` : date;
}

/** PostHog's `labels` entries, e.g. "5-Jan-2026" or "5-Jan-2026 14:00". */
export function formatLabel(naive: Naive, interval: Interval): string {
  const date = `${naive.getUTCDate()}-${MONTHS[naive.getUTCMonth()]}-${naive.getUTCFullYear()}`;
  return interval === 'hour' ? `${date} ${pad(naive.getUTCHours())}:00` : date;
}

const RELATIVE = /^-(\d+)([hdwmyq])$/;

/** A wall-clock time moved back by a relative offset (`-3d`: n 3, unit d); months keep the day as JavaScript does. */
function shiftBack(d: Naive, n: number, unit: string): Naive {
  if (unit === 'h') return new Date(d.getTime() - n * MS.hour);
  const r = new Date(d.getTime());
  if (unit === 'd') r.setUTCDate(r.getUTCDate() - n);
  if (unit === 'w') r.setUTCDate(r.getUTCDate() - 7 * n);
  if (unit === 'm') r.setUTCMonth(r.getUTCMonth() - n);
  if (unit === 'q') r.setUTCMonth(r.getUTCMonth() - 3 * n);
  if (unit === 'y') r.setUTCFullYear(r.getUTCFullYear() - n);
  return r;
}
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

function invalid(attr: string, value: string): HttpError {
  return new HttpError('invalid_input', `${attr} "${value}" is not a date: use YYYY-MM-DD, an ISO datetime, -Nh/-Nd/-Nw/-Nm/-Ny, dStart, mStart, yStart or all.`, `dateRange.${attr}`);
}

/** A relative or absolute date as local wall-clock time; `end` picks the end of a day for dates. */
function parseDate(value: string, attr: string, now: Naive, end: boolean, timeZone: string): Naive {
  const startOfDay = (d: Naive) => truncate(d, 'day');
  const endOfDay = (d: Naive) => new Date(addIntervals(startOfDay(d), 'day', 1).getTime() - 1);
  const dayEdge = (d: Naive) => (end ? endOfDay(d) : startOfDay(d));
  if (value === 'dStart') return startOfDay(now);
  if (value === 'mStart') return truncate(now, 'month');
  if (value === 'yStart') return new Date(Date.UTC(now.getUTCFullYear(), 0, 1));
  const relative = RELATIVE.exec(value);
  if (relative) {
    const shifted = shiftBack(now, Number(relative[1]), relative[2]);
    return relative[2] === 'h' ? truncate(shifted, 'hour') : dayEdge(shifted);
  }
  if (DATE_ONLY.test(value)) {
    const d = new Date(`${value}T00:00:00Z`);
    if (Number.isNaN(d.getTime())) throw invalid(attr, value);
    return dayEdge(d);
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalid(attr, value);
  // A datetime with an explicit zone is an instant; without one it is wall-clock time.
  return /(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? toNaive(new Date(ms), timeZone) : new Date(Date.parse(`${value}Z`));
}

export interface ResolvedRange {
  /** Local wall-clock bounds, inclusive. */
  readonly from: Naive;
  readonly to: Naive;
}

/**
 * Resolves PostHog's dateRange (default: the last 7 days up to now). `all` starts at the earliest
 * event, which the caller looks up (undefined when there are no events).
 */
export function resolveDateRange(
  range: { date_from?: string | null; date_to?: string | null } | null | undefined,
  timeZone: string,
  now: Date,
  earliest: Date | undefined,
): ResolvedRange {
  const localNow = toNaive(now, timeZone);
  const to = range?.date_to ? parseDate(range.date_to, 'date_to', localNow, true, timeZone) : localNow;
  let from: Naive;
  if (range?.date_from === 'all') {
    from = earliest ? truncate(toNaive(earliest, timeZone), 'day') : truncate(localNow, 'day');
  } else {
    from = parseDate(range?.date_from ?? '-7d', 'date_from', localNow, false, timeZone);
  }
  if (from > to) throw new HttpError('invalid_input', 'dateRange.date_from is after date_to.', 'dateRange.date_from');
  return { from, to };
}

/** The same range moved back by its own length (or by `compareTo`, e.g. "-1w"), for comparisons. */
export function previousRange(range: ResolvedRange, interval: Interval, compareTo: string | null | undefined): ResolvedRange {
  if (compareTo) {
    const relative = RELATIVE.exec(compareTo);
    if (!relative) throw new HttpError('invalid_input', `compare_to "${compareTo}" must look like -1w or -30d.`, 'compareFilter.compare_to');
    const shift = (d: Naive) => shiftBack(d, Number(relative[1]), relative[2]);
    return { from: shift(range.from), to: shift(range.to) };
  }
  const buckets = bucketStarts(range.from, range.to, interval).length;
  return { from: addIntervals(range.from, interval, -buckets), to: addIntervals(range.to, interval, -buckets) };
}
