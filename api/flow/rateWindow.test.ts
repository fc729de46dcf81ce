import { describe, expect, it } from 'vitest';
import { ARRIVAL_JITTER_MS, MAX_JITTER_MS, NARROW_AFTER_MS, NEW_CONNECTION_MS, RateWindow } from './rateWindow.js';

/** Starts as many requests as the window lets through at each tick of a simulated clock. */
function drive(w: RateWindow, ticks: number[]): number[] {
  const starts: number[] = [];
  for (const now of ticks) while (w.take(now) === 0) starts.push(now);
  return starts;
}

const maxInAnyWindow = (starts: number[], ms: number) => {
  let most = 0;
  for (let i = 0, j = 0; i < starts.length; i++) {
    while (starts[i]! - starts[j]! >= ms) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
};

/**
 * A window of one start per two seconds on a simulated clock, where the wait
 * for the second start is the window: 2000 ms plus the margin. margin()
 * measures it, 5 s on; later(ms) moves the clock on and says where it is.
 */
function measuredMargin() {
  const w = new RateWindow(0.5);
  let t = 0;
  const later = (ms: number) => (t += ms);
  const margin = () => {
    later(5000);
    // The first start after a quiet spell counts later (NEW_CONNECTION_MS); the one after it is the measure.
    expect(w.take(t)).toBe(0);
    later(w.take(t));
    expect(w.take(t)).toBe(0);
    return w.take(t + 2000);
  };
  return { w, margin, later };
}

describe('RateWindow', () => {
  it('never lets more than the rate start in any window, with the jitter margin', () => {
    const w = new RateWindow(100);
    const starts = drive(
      w,
      Array.from({ length: 5000 }, (_, i) => i),
    );
    expect(maxInAnyWindow(starts, 1000 + ARRIVAL_JITTER_MS)).toBe(100);
    // Smooth: no more than a quarter of the rate in any quarter of a second.
    expect(maxInAnyWindow(starts, 250)).toBe(25);
    // Sustained: all but the margin of the nominal rate over five seconds.
    expect(starts.length).toBeGreaterThanOrEqual(Math.floor((5000 / (1000 + ARRIVAL_JITTER_MS)) * 100));
  });

  it('loses nothing to a stall: starts held back go once it ends, within the window', () => {
    const w = new RateWindow(100);
    // Ticks every 10 ms, then nothing for 400 ms (a stalled event loop), then ticks again.
    const ticks = [...Array.from({ length: 50 }, (_, i) => i * 10), ...Array.from({ length: 300 }, (_, i) => 900 + i * 10)];
    const starts = drive(w, ticks);
    expect(maxInAnyWindow(starts, 1000 + ARRIVAL_JITTER_MS)).toBe(100);
    expect(starts.filter((t) => t === 900).length).toBeGreaterThan(1);
  });

  it('says how long to wait, and a rate below one a second spaces single starts', () => {
    const w = new RateWindow(0.5);
    expect(w.take(0)).toBe(0);
    // The first start counts later by a new connection's time (see the next test).
    expect(w.take(1000)).toBe(1000 + ARRIVAL_JITTER_MS + NEW_CONNECTION_MS);
    expect(w.take(2000 + ARRIVAL_JITTER_MS + NEW_CONNECTION_MS)).toBe(0);
  });

  it("counts the first window's starts after a quiet spell later, by a new connection's time, and only those", () => {
    const w = new RateWindow(1);
    const window = 1000 + ARRIVAL_JITTER_MS;
    expect(w.take(0)).toBe(0);
    expect(w.take(0)).toBe(window + NEW_CONNECTION_MS);
    // The next window's start went on an open connection: counted as sent.
    const next = window + NEW_CONNECTION_MS;
    expect(w.take(next)).toBe(0);
    expect(w.take(next)).toBe(window);
    // Quiet for two windows: cold again.
    const after = next + 3 * window;
    expect(w.take(after)).toBe(0);
    expect(w.take(after)).toBe(window + NEW_CONNECTION_MS);
  });

  it('keeps the recent starts when the rate changes', () => {
    const w = new RateWindow(40);
    expect(drive(w, [0, 50]).length).toBe(10);
    w.setRate(20);
    expect(w.take(100)).toBe(150);
    w.setRate(80);
    // Twenty may start per 250 ms at 80/s, and the starts at 0 still count.
    expect(drive(w, [100]).length).toBe(15);
  });

  it('widens its margin with each 429, up to a cap, and narrows it again after a quiet minute', () => {
    const { w, margin, later } = measuredMargin();
    expect(margin()).toBe(ARRIVAL_JITTER_MS);
    w.widen(later(0));
    expect(margin()).toBe(2 * ARRIVAL_JITTER_MS);
    for (let i = 0; i < 10; i++) w.widen(later(0));
    expect(margin()).toBe(MAX_JITTER_MS);
    later(NARROW_AFTER_MS);
    expect(margin()).toBe(MAX_JITTER_MS / 2);
    expect(margin()).toBe(MAX_JITTER_MS / 2);
    // At most one halving per quiet minute, however long the quiet.
    later(3 * NARROW_AFTER_MS);
    expect(margin()).toBe(MAX_JITTER_MS / 4);
  });

  it('takes a wider margin another member learned, keeps its own when that is wider, and narrows from it after a quiet minute', () => {
    const { w, margin, later } = measuredMargin();
    w.widenTo(4 * ARRIVAL_JITTER_MS, later(0));
    expect(w.jitterMs).toBe(4 * ARRIVAL_JITTER_MS);
    expect(margin()).toBe(4 * ARRIVAL_JITTER_MS);
    w.widenTo(2 * ARRIVAL_JITTER_MS, later(0));
    expect(margin()).toBe(4 * ARRIVAL_JITTER_MS);
    w.widenTo(100 * MAX_JITTER_MS, later(0));
    expect(margin()).toBe(MAX_JITTER_MS);
    later(NARROW_AFTER_MS);
    expect(margin()).toBe(MAX_JITTER_MS / 2);
  });
});
