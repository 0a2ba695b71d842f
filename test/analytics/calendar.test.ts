import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayOf } from '../../server/features/analytics/calendar.ts';

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('dayOf', () => {
  it('names the UTC day of any time, at day boundaries and after a different day was asked', () => {
    const midnight = Date.UTC(2026, 0, 8);
    for (const ms of [midnight - 1, midnight, midnight + 1, 0, -1, midnight - 1]) expect(dayOf(ms)).toBe(iso(ms));
    fc.assert(
      fc.property(fc.integer({ min: -8.64e12, max: 8.64e12 }), fc.integer({ min: -3 * 86_400_000, max: 3 * 86_400_000 }), (ms, step) => {
        expect(dayOf(ms)).toBe(iso(ms));
        expect(dayOf(ms + step)).toBe(iso(ms + step));
      }),
    );
  });
});
