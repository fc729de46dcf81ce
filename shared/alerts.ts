import { z } from 'zod';

/** The figures an alert watches: a provider's match rate week over week, and its p95 latency against its baseline. */
export const AlertFigureSchema = z.enum(['matchRate', 'p95Ms']).meta({ id: 'AlertFigure' });
export type AlertFigure = z.infer<typeof AlertFigureSchema>;

export const AlertSchema = z
  .object({
    provider: z.string(),
    label: z.string(),
    figure: AlertFigureSchema,
    /** matchRate: the last 7 days' rate (0–1); p95Ms: the last 24 hours' p95. */
    current: z.number(),
    /** matchRate: the 7 days before; p95Ms: the median of the daily p95s of the 7 days before the last 24 hours. */
    baseline: z.number(),
    /** When the engine first saw the alert in force (ISO). */
    since: z.string(),
    /** In plain words, e.g. "People Finder: match rate 52%, down 14 points on last week". */
    message: z.string(),
  })
  .meta({ id: 'Alert' });
export type Alert = z.infer<typeof AlertSchema>;

/** Spend and matches of one 7-day window; verified matches are those a verifier confirmed deliverable (`person.emailStatus` = `valid`). */
export const WeekFiguresSchema = z
  .object({
    since: z.string(),
    costUsd: z.number(),
    matches: z.number().int(),
    verifiedMatches: z.number().int(),
    costPerMatch: z.number().nullable(),
    costPerVerifiedMatch: z.number().nullable(),
  })
  .meta({ id: 'WeekFigures' });
export type WeekFigures = z.infer<typeof WeekFiguresSchema>;

/** One 24-hour period of a provider, ending `until`. */
export const ProviderDaySchema = z
  .object({ until: z.string(), calls: z.number().int(), matchRate: z.number().nullable(), p95Ms: z.number().nullable(), costUsd: z.number() })
  .meta({ id: 'ProviderDay' });

export const ProviderTrendSchema = z
  .object({
    provider: z.string(),
    label: z.string(),
    matchRate: z.object({ thisWeek: z.number().nullable(), lastWeek: z.number().nullable() }),
    p95Ms: z.object({ current: z.number().nullable(), baseline: z.number().nullable() }),
    /** The last 14 periods of 24 hours, oldest first. */
    daily: z.array(ProviderDaySchema),
  })
  .meta({ id: 'ProviderTrend' });
export type ProviderTrend = z.infer<typeof ProviderTrendSchema>;

/**
 * GET /v1/alerts: the alerts in force, and the trends they come from. "This
 * week" is the same window as GET /v1/metrics?window=7d (the 7 × 24 hours up
 * to `asOf`); "last week" the 7 × 24 hours before it.
 */
export const AlertsSchema = z
  .object({
    asOf: z.string(),
    alerts: z.array(AlertSchema),
    totals: z.object({ thisWeek: WeekFiguresSchema, lastWeek: WeekFiguresSchema }),
    providers: z.array(ProviderTrendSchema),
  })
  .meta({ id: 'Alerts' });
export type Alerts = z.infer<typeof AlertsSchema>;

/** What the generic JSON alert webhook receives, once when an alert starts and once when it clears: the alert, and which. */
export const AlertEventSchema = AlertSchema.extend({
  event: z.enum(['alert.started', 'alert.cleared']),
  workspace: z.string(),
  clearedAt: z.string().nullable(),
}).meta({ id: 'AlertEvent' });
export type AlertEvent = z.infer<typeof AlertEventSchema>;
