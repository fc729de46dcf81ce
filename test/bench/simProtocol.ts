import type { SimRequest } from '../../api/demo/simServer.js';

export type ParentMessage = { type: 'log'; from: number } | { type: 'close' };

export type ChildMessage =
  | { type: 'ready'; url: string }
  | { type: 'log'; requests: SimRequest[]; peakInflight: Record<string, number> };
