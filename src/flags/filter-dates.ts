// Dates in property filters: the bounds of is_date_before / is_date_after (fixed or relative to
// now) and the property values they are compared with.

/** One filter value, or one item of a list of them. */
export type Scalar = string | number | boolean;

// Relative date filters: "-7d" (or "7d") is that long before now; h, d, w, m (months), y; under
// 10000 units, as posthog-node reads them.
export const RELATIVE_DATE = /^-?(\d+)([hdwmy])$/;

export function filterDate(target: Scalar | Scalar[], now: Date): number | null {
  if (typeof target === 'boolean' || Array.isArray(target)) return null;
  const relative = RELATIVE_DATE.exec(String(target));
  if (relative) {
    const count = Number(relative[1]);
    return count < 10000 ? subtractInterval(now, count, relative[2]) : null;
  }
  return parseDate(target);
}

function subtractInterval(now: Date, count: number, unit: string): number {
  const d = new Date(now.getTime());
  if (unit === 'h') d.setUTCHours(d.getUTCHours() - count);
  else if (unit === 'd') d.setUTCDate(d.getUTCDate() - count);
  else if (unit === 'w') d.setUTCDate(d.getUTCDate() - 7 * count);
  else if (unit === 'm') {
    // One month at a time, as posthog-node does: the day shrinks to fit every month passed
    // (Mar 31 - 2m = Jan 28, where chrono in the flags service would say Jan 31).
    const [year, month] = [d.getUTCFullYear(), d.getUTCMonth()];
    let day = d.getUTCDate();
    for (let step = 1; step <= count && day > 28; step++) {
      day = Math.min(day, new Date(Date.UTC(year, month - step + 1, 0)).getUTCDate());
    }
    d.setUTCFullYear(year, month - count, day);
  } else {
    const leapDay = d.getUTCMonth() === 1 && d.getUTCDate() === 29;
    d.setUTCFullYear(d.getUTCFullYear() - count, d.getUTCMonth(), leapDay && count > 0 ? 28 : d.getUTCDate());
  }
  return d.getTime();
}

// Naive date-times (no offset) are UTC, so the answer does not depend on the server's time zone.
const NAIVE_DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/;

/** Epoch milliseconds: numbers are epoch milliseconds (as posthog-node reads them), strings ISO 8601. */
let lastDateText = '';
let lastDate: number | null = null;

export function parseDate(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return null;
  if (value === lastDateText) return lastDate;
  const naive = NAIVE_DATE_TIME.exec(value.trim());
  const ms = Date.parse(naive ? `${naive[1]}T${naive[2]}Z` : value);
  lastDateText = value;
  lastDate = Number.isNaN(ms) ? null : ms;
  return lastDate;
}
