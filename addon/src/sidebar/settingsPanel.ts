import type { SettingsView } from '../contract.js';
import { h } from './dom.js';
import { call } from './run.js';

/**
 * API URL and key. The key field is never filled back in: the server only
 * ever returns a hint of it, and an empty field keeps the saved key.
 */
export function settingsPanel(settings: SettingsView, onSaved: (s: SettingsView) => void): HTMLElement {
  const url = h('input', { type: 'text', id: 'api-url', placeholder: 'https://cascade.example.com', value: settings.apiUrl ?? '' });
  const key = h('input', {
    type: 'password',
    id: 'api-key',
    autocomplete: 'off',
    placeholder: settings.keyHint ? `saved: ${settings.keyHint} (leave empty to keep)` : 'csk_…',
  });
  const message = h('div', { class: 'message hidden', id: 'connection-message' });
  const show = (text: string, kind: 'ok' | 'error' | '') => {
    message.textContent = text;
    message.className = `message ${kind}`;
  };
  const save = h('button', { class: 'primary', 'data-testid': 'save-settings' }, 'Save and test');
  save.onclick = async () => {
    save.disabled = true;
    show('Testing…', '');
    try {
      const saved = await call('saveSettings', { apiUrl: url.value, apiKey: key.value || undefined });
      key.value = '';
      const test = await call('testConnection');
      show(test.message, test.ok ? 'ok' : 'error');
      if (test.ok) onSaved(saved);
    } catch (err) {
      show((err as Error).message, 'error');
    } finally {
      save.disabled = false;
    }
  };
  return h(
    'section',
    { id: 'settings' },
    h('h2', {}, 'Connection'),
    h('label', { for: 'api-url' }, 'API URL'),
    url,
    h('label', { for: 'api-key' }, 'API key'),
    key,
    h('div', { class: 'buttons' }, save),
    message,
  );
}
