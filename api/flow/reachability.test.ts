import { expect, it } from 'vitest';
import { Reachability } from './reachability.js';

it('is cut off after `threshold` unanswered calls in a row, for a back-off that doubles while it stays so; any answer clears both', () => {
  const clock = { t: 0 };
  const told: number[] = [];
  const r = new Reachability({ now: () => clock.t, threshold: 3, backOffMs: 100, backOffMaxMs: 300, onCutOff: (ms) => told.push(ms) });
  expect(r.cutOff).toBe(false);
  r.record(false);
  r.record(false);
  // An answer in between: the count starts over.
  r.record(true);
  r.record(false);
  r.record(false);
  expect(r.cutOff).toBe(false);
  r.record(false);
  expect(r.cutOff).toBe(true);
  clock.t = 99;
  expect(r.cutOff).toBe(true);
  clock.t = 100;
  expect(r.cutOff).toBe(false);
  // Still unanswered after the back-off: cut off for twice as long, then at most the most.
  for (let i = 0; i < 3; i++) r.record(false);
  expect(r.cutOff).toBe(true);
  clock.t = 299;
  expect(r.cutOff).toBe(true);
  clock.t = 300;
  for (let i = 0; i < 3; i++) r.record(false);
  clock.t = 599;
  expect(r.cutOff).toBe(true);
  clock.t = 600;
  for (let i = 0; i < 3; i++) r.record(false);
  clock.t = 899;
  expect(r.cutOff).toBe(true);
  clock.t = 900;
  expect(r.cutOff).toBe(false);
  // One answer: not cut off, and the back-off is back to its first length.
  for (let i = 0; i < 3; i++) r.record(false);
  r.record(true);
  expect(r.cutOff).toBe(false);
  for (let i = 0; i < 3; i++) r.record(false);
  clock.t = 1000;
  expect(r.cutOff).toBe(false);
  expect(told).toEqual([100, 200, 300, 300, 300, 100]);
});
