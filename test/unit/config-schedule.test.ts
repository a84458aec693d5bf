import { describe, expect, it } from 'vitest';
import type { AfterHoursConfig } from '../../src/config/agent-types.js';
import { canonicalTimeZone, isOpenAt, localTimeAt, parseClock } from '../../src/config/schedule.js';

/** 2025-01-06 is a Monday; January is PST (UTC-8), July is PDT (UTC-7) in Los Angeles. */
const at = (iso: string) => Date.parse(iso);

describe('parseClock', () => {
  it.each([
    ['00:00', 0],
    ['09:30', 570],
    ['23:59', 1439],
    ['24:00', 1440],
    ['24:01', undefined],
    ['9:00', undefined],
    ['25:00', undefined],
    ['12:60', undefined],
    ['noon', undefined],
  ])('%s → %s', (text, minutes) => {
    expect(parseClock(text)).toBe(minutes);
  });
});

describe('localTimeAt', () => {
  it.each([
    ['2025-01-06T18:00:00Z', 'America/Los_Angeles', { weekday: 'mon', minuteOfDay: 600, date: '2025-01-06' }],
    [
      '2025-01-07T04:30:00Z',
      'America/Los_Angeles',
      { weekday: 'mon', minuteOfDay: 1230, date: '2025-01-06' },
    ],
    ['2025-07-07T16:30:00Z', 'America/Los_Angeles', { weekday: 'mon', minuteOfDay: 570, date: '2025-07-07' }],
    ['2025-01-06T00:00:00Z', 'UTC', { weekday: 'mon', minuteOfDay: 0, date: '2025-01-06' }],
    ['2025-01-05T23:30:00Z', 'Asia/Kolkata', { weekday: 'mon', minuteOfDay: 300, date: '2025-01-06' }],
    ['2025-01-12T12:00:00Z', 'Europe/London', { weekday: 'sun', minuteOfDay: 720, date: '2025-01-12' }],
  ])('%s in %s', (iso, zone, expected) => {
    expect(localTimeAt(at(iso), zone)).toEqual(expected);
  });
});

describe('isOpenAt', () => {
  const hours: Pick<AfterHoursConfig, 'timezone' | 'schedule' | 'closedDates'> = {
    timezone: 'America/Los_Angeles',
    schedule: {
      mon: [
        ['09:00', '12:00'],
        ['13:00', '17:00'],
      ],
      sat: [['20:00', '24:00']],
      sun: [],
    },
    closedDates: ['2025-01-13'],
  };

  it.each([
    ['2025-01-06T17:00:00Z', true, 'Monday 09:00 local: start is inclusive'],
    ['2025-01-06T16:59:00Z', false, 'Monday 08:59'],
    ['2025-01-06T20:30:00Z', false, 'Monday 12:30, the lunch gap'],
    ['2025-01-06T21:00:00Z', true, 'Monday 13:00'],
    ['2025-01-07T00:59:00Z', true, 'Monday 16:59'],
    ['2025-01-07T01:00:00Z', false, 'Monday 17:00: end is exclusive'],
    ['2025-01-07T18:00:00Z', false, 'Tuesday: absent day is closed'],
    ['2025-01-12T07:59:00Z', true, 'Saturday 23:59 in a range ending 24:00'],
    ['2025-01-12T18:00:00Z', false, 'Sunday: empty day is closed'],
    ['2025-01-13T18:00:00Z', false, 'Monday 2025-01-13 10:00: a closed date'],
    ['2025-07-07T16:30:00Z', true, 'Monday 09:30 PDT: daylight saving time'],
    ['2025-07-07T15:30:00Z', false, 'Monday 08:30 PDT'],
  ])('%s → %s (%s)', (iso, open) => {
    expect(isOpenAt(hours, at(iso))).toBe(open);
  });
});

describe('canonicalTimeZone', () => {
  it.each([
    ['America/New_York', 'America/New_York'],
    ['europe/london', 'Europe/London'],
    ['UTC', 'UTC'],
    ['Mars/Olympus', undefined],
    ['', undefined],
  ])('%s → %s', (zone, canonical) => {
    expect(canonicalTimeZone(zone)).toBe(canonical);
  });
});
