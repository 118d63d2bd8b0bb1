import { describe, expect, it } from 'vitest';
import { MembershipFilter } from './membership-filter.js';

describe('membership filter', () => {
  it('never forgets a key, and answers about 1% false positives, while it grows', () => {
    const filter = new MembershipFilter(25_000);
    const keys = 200_000;
    for (let i = 0; i < keys; i++) filter.add(1, `user-${i}`);
    expect(filter.layerCount).toBeGreaterThan(2);
    let missing = 0;
    for (let i = 0; i < keys; i++) if (!filter.mightContain(1, `user-${i}`)) missing += 1;
    expect(missing).toBe(0);
    let falsePositives = 0;
    const probes = 200_000;
    for (let i = 0; i < probes; i++) if (filter.mightContain(1, `anon-${i}`)) falsePositives += 1;
    expect(falsePositives / probes).toBeLessThan(0.015);
    // Four layers, the last one mostly empty: 27 bits a key here.
    expect(filter.bytes / keys).toBeLessThan(4);
  });

  it('takes about 11 bits a key when its first layer fits the keys', () => {
    const filter = new MembershipFilter(100_000);
    for (let i = 0; i < 100_000; i++) filter.add(7, `user-${i}`);
    expect(filter.layerCount).toBe(1);
    expect((filter.bytes * 8) / 100_000).toBeLessThan(12);
    let falsePositives = 0;
    for (let i = 0; i < 100_000; i++) if (filter.mightContain(7, `other-${i}`)) falsePositives += 1;
    expect(falsePositives / 100_000).toBeLessThan(0.008);
  });

  it('tells projects apart', () => {
    const filter = new MembershipFilter(1_000);
    for (let i = 0; i < 1_000; i++) filter.add(1, `d${i}`);
    let inOther = 0;
    for (let i = 0; i < 1_000; i++) if (filter.mightContain(2, `d${i}`)) inOther += 1;
    expect(inOther).toBeLessThan(30);
  });

  it('counts a key added twice once', () => {
    const filter = new MembershipFilter(100);
    filter.add(1, 'a');
    filter.add(1, 'a');
    expect(filter.size).toBe(1);
  });
});
