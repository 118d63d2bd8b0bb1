import { describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import { bucketStarts, formatDay, formatLabel, fromNaive, previousRange, resolveDateRange, toNaive } from './date-range.js';

// Thursday 2026-11-26 15:30:00 UTC.
const NOW = new Date('2026-11-26T15:30:00Z');
const iso = (d: Date) => d.toISOString().replace('.000Z', '');
const resolve = (date_from?: string, date_to?: string, timeZone = 'UTC', earliest?: Date) => {
  const r = resolveDateRange({ date_from, date_to }, timeZone, NOW, earliest);
  return [iso(r.from), iso(r.to)];
};

describe('date ranges', () => {
  it('defaults to the last 7 days up to now', () => {
    expect(resolve()).toEqual(['2026-11-19T00:00:00', '2026-11-26T15:30:00']);
  });

  it('reads relative forms from the start of the day (hours from the start of the hour)', () => {
    expect(resolve('-30d')[0]).toBe('2026-10-27T00:00:00');
    expect(resolve('-24h')[0]).toBe('2026-11-25T15:00:00');
    expect(resolve('-2w')[0]).toBe('2026-11-12T00:00:00');
    expect(resolve('-1m')[0]).toBe('2026-10-26T00:00:00');
    expect(resolve('-1y')[0]).toBe('2025-11-26T00:00:00');
    expect(resolve('dStart')[0]).toBe('2026-11-26T00:00:00');
    expect(resolve('mStart')[0]).toBe('2026-11-01T00:00:00');
    expect(resolve('yStart')[0]).toBe('2026-01-01T00:00:00');
    expect(resolve('-3d', '-1d')).toEqual(['2026-11-23T00:00:00', '2026-11-25T23:59:59.999Z']);
  });

  it('includes the whole day of an absolute date_to', () => {
    const r = resolveDateRange({ date_from: '2026-01-05', date_to: '2026-01-07' }, 'UTC', NOW, undefined);
    expect(r.to.toISOString()).toBe('2026-01-07T23:59:59.999Z');
  });

  it('starts "all" at the day of the earliest event', () => {
    expect(resolve('all', undefined, 'UTC', new Date('2026-03-04T05:06:07Z'))[0]).toBe('2026-03-04T00:00:00');
  });

  it('works in wall-clock time of the project time zone', () => {
    // 15:30 UTC is 10:30 in New York (EST, UTC-5) on the same day.
    expect(resolve('dStart', undefined, 'America/New_York')).toEqual(['2026-11-26T00:00:00', '2026-11-26T10:30:00']);
    expect(fromNaive(new Date('2026-11-26T00:00:00Z'), 'America/New_York').toISOString()).toBe('2026-11-26T05:00:00.000Z');
    // Summer time: UTC-4.
    expect(fromNaive(new Date('2026-07-01T00:00:00Z'), 'America/New_York').toISOString()).toBe('2026-07-01T04:00:00.000Z');
    expect(toNaive(new Date('2026-07-01T04:00:00Z'), 'America/New_York').toISOString()).toBe('2026-07-01T00:00:00.000Z');
    expect(toNaive(new Date('2026-01-01T00:00:00Z'), 'Asia/Kolkata').toISOString()).toBe('2026-01-01T05:30:00.000Z');
  });

  it('rejects dates it cannot read and ranges that end before they start', () => {
    expect(() => resolve('last tuesday')).toThrow(HttpError);
    expect(() => resolve('2026-02-30x')).toThrow(HttpError);
    expect(() => resolve('2026-01-10', '2026-01-01')).toThrow(/after date_to/);
  });
});

describe('buckets', () => {
  const naive = (s: string) => new Date(`${s}Z`);

  it('starts weeks on Sunday and months on the 1st', () => {
    expect(bucketStarts(naive('2026-01-01T00:00:00'), naive('2026-01-20T00:00:00'), 'week').map((b) => formatDay(b, 'week'))).toEqual([
      '2025-12-28',
      '2026-01-04',
      '2026-01-11',
      '2026-01-18',
    ]);
    expect(bucketStarts(naive('2026-01-31T00:00:00'), naive('2026-03-01T00:00:00'), 'month').map((b) => formatDay(b, 'month'))).toEqual([
      '2026-01-01',
      '2026-02-01',
      '2026-03-01',
    ]);
  });

  it('formats days and labels as PostHog does', () => {
    const b = naive('2026-01-05T14:00:00');
    expect([formatDay(b, 'hour'), formatLabel(b, 'hour'), formatDay(b, 'day'), formatLabel(b, 'day')]).toEqual([
      '2026-01-05 14:00:00',
      '5-Jan-2026 14:00',
      '2026-01-05',
      '5-Jan-2026',
    ]);
  });

  it('moves a range back by its own length, or by compare_to', () => {
    const range = { from: naive('2026-01-08T00:00:00'), to: naive('2026-01-10T23:59:59') };
    expect(iso(previousRange(range, 'day', undefined).from)).toBe('2026-01-05T00:00:00');
    expect(iso(previousRange(range, 'day', '-1w').from)).toBe('2026-01-01T00:00:00');
    expect(() => previousRange(range, 'day', 'last week')).toThrow(HttpError);
  });
});
