import { mondayOf, zonedTimeToUtc } from './clock';
import { SeededRandom } from './random';

describe('zonedTimeToUtc', () => {
  it.each([
    ['Asia/Kolkata', '2026-03-04', '2026-03-04T00:30:00.000Z'],
    ['Asia/Kathmandu', '2026-03-04', '2026-03-04T00:15:00.000Z'],
    ['Australia/Adelaide', '2026-01-15', '2026-01-14T19:30:00.000Z'],
    ['Australia/Adelaide', '2026-07-15', '2026-07-14T20:30:00.000Z'],
    ['America/New_York', '2026-03-08', '2026-03-08T10:00:00.000Z'],
    ['America/New_York', '2026-03-07', '2026-03-07T11:00:00.000Z'],
    ['UTC', '2026-03-04', '2026-03-04T06:00:00.000Z'],
  ])('puts 06:00 in %s on %s at %s', (zone, day, expected) => {
    expect(zonedTimeToUtc(day, 6, zone).toISOString()).toBe(expected);
  });
});

describe('mondayOf', () => {
  it('returns the Monday of the UTC week, itself on a Monday', () => {
    expect(mondayOf(new Date('2026-03-04T10:00:00Z'))).toBe('2026-03-02');
    expect(mondayOf(new Date('2026-03-08T23:59:00Z'))).toBe('2026-03-02');
    expect(mondayOf(new Date('2026-03-09T00:00:00Z'))).toBe('2026-03-09');
  });
});

describe('SeededRandom', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const draw = (seed: number): number[] => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 5 }, () => random.int(0, 1_000_000));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('samples distinct items and stays within bounds', () => {
    const random = new SeededRandom(1);
    const sample = random.sample([1, 2, 3, 4, 5, 6], 4);
    expect(new Set(sample).size).toBe(4);
    for (let draw = 0; draw < 1_000; draw++) expect(random.int(3, 5)).toBeGreaterThanOrEqual(3);
    expect(random.sample([1, 2], 5)).toHaveLength(2);
  });
});
