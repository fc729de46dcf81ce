import { describe, expect, it } from 'vitest';
import { testProvider } from '../../test/helpers/provider.js';
import { CascadeError } from '../errors.js';
import type { Provider } from '../providers/types.js';
import { fieldCheck, settledHits } from './intake.js';
import { emptyState } from './rowState.js';

const provider = (id: string, fields: Provider['fields'], predictive = false) => testProvider(id, { fields, predictive });

describe('fieldCheck', () => {
  const check = fieldCheck([provider('data', ['company.name']), provider('llm', ['company.name', 'company.industry'], true)]);

  it('takes fields a data provider supplies, and predicted ones only when asked to predict', () => {
    expect(() => check(['company.name'])).not.toThrow();
    expect(() => check(['company.name', 'company.industry'], true)).not.toThrow();
  });

  it('names the field no provider supplies, where it is, and how to ask for a prediction', () => {
    const err = (() => {
      try {
        check(['company.name', 'company.industry']);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CascadeError);
    expect(err).toMatchObject({ code: 'invalid_body', path: 'fields[1]' });
    expect((err as Error).message).toMatch(/"company\.industry" except a predictive one; ask with predict: true/);
    expect(() => check(['person.title'])).toThrow(/no configured provider supplies "person\.title"$/);
  });
});

describe('settledHits', () => {
  it('sums the answers rows took from the cache per provider, and nothing for rows that took none', () => {
    const state = (answered: string[]) => ({ ...emptyState(), answered });
    const hits = settledHits([
      { key: '1', input: {}, status: 'matched', state: state(['a', 'b']) },
      { key: '2', input: {}, status: 'no_match', state: state(['a']) },
      { key: '3', input: {}, status: 'invalid_input' },
      { key: '4', input: {}, status: 'pending', state: emptyState() },
    ]);
    expect(Object.fromEntries(hits)).toEqual({ a: 2, b: 1 });
  });
});
