import type { SimRequest } from '../../api/demo/simServer.js';

export interface SimLog {
  requests: SimRequest[];
  peakInflight: Record<string, number>;
}

export type SimRequestMsg = { type: 'log'; from: number } | { type: 'close' };
export type SimReply = SimLog | null;
export type SimReady = { url: string };
