import type { AddonLimits } from '../core/limits.js';
import { readLimits } from '../core/limits.js';
import { apiClient, type ApiClient } from './api.js';
import type { Gas, GasProperties, GasSpreadsheet } from './gas.js';
import { requireSettings } from './settings.js';

/** What one execution works with: the services, this spreadsheet, this user's store, the limits, the API. */
export interface Ctx {
  gas: Gas;
  book: GasSpreadsheet;
  user: GasProperties;
  limits: AddonLimits;
  /** Built on first use: reading the settings throws a readable error when they are missing. */
  api(): ApiClient;
}

export const LIMITS_PROPERTY = 'cascade.limits';

export function createCtx(gas: Gas): Ctx {
  const user = gas.PropertiesService.getUserProperties();
  let api: ApiClient | undefined;
  return {
    gas,
    book: gas.SpreadsheetApp.getActiveSpreadsheet(),
    user,
    limits: readLimits(gas.PropertiesService.getScriptProperties().getProperty(LIMITS_PROPERTY)),
    api: () => (api ??= apiClient(gas, requireSettings(user))),
  };
}
