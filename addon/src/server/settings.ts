import { SettingsInputSchema, type SettingsInput, type SettingsView } from '../contract.js';
import { AddonError } from '../core/apiErrors.js';
import { zodMessage } from './validate.js';
import type { GasProperties } from './gas.js';

const URL_KEY = 'cascade.apiUrl';
const KEY_KEY = 'cascade.apiKey';

export interface Settings {
  apiUrl: string;
  apiKey: string;
}

/** The user's API URL and key. User properties: no collaborator on the sheet can read them. */
export function readSettings(props: GasProperties): Settings | null {
  const apiUrl = props.getProperty(URL_KEY);
  const apiKey = props.getProperty(KEY_KEY);
  return apiUrl && apiKey ? { apiUrl, apiKey } : null;
}

export function requireSettings(props: GasProperties): Settings {
  const s = readSettings(props);
  if (!s) throw new AddonError('Cascade is not connected yet: open the sidebar and enter the API URL and API key.');
  return s;
}

const hint = (key: string) => (key.length >= 12 ? `${key.slice(0, 4)}…${key.slice(-4)}` : '…');

export function settingsView(props: GasProperties): SettingsView {
  const key = props.getProperty(KEY_KEY);
  return { apiUrl: props.getProperty(URL_KEY), keyHint: key ? hint(key) : null };
}

export function storeSettings(props: GasProperties, raw: SettingsInput): SettingsView {
  const parsed = SettingsInputSchema.safeParse(raw);
  if (!parsed.success) throw new AddonError(zodMessage(parsed.error));
  const { apiUrl, apiKey } = parsed.data;
  if (!apiKey && !props.getProperty(KEY_KEY)) throw new AddonError('API key: paste the key the Cascade API gave you.');
  props.setProperty(URL_KEY, apiUrl.replace(/\/+$/, ''));
  if (apiKey) props.setProperty(KEY_KEY, apiKey);
  return settingsView(props);
}
