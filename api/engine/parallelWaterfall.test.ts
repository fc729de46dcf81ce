import { describe, expect, it } from 'vitest';
import { testProvider } from '../../test/helpers/provider.js';
import { independentGroups } from './parallelWaterfall.js';

describe('independentGroups', () => {
  const firmoA = testProvider('firmo-a', { fields: ['company.name', 'company.employees'] });
  const firmoB = testProvider('firmo-b', { fields: ['company.employees', 'company.industry'] });
  const people = testProvider('people', { fields: ['person.title'] });
  const verify = testProvider('verify', { fields: ['person.emailStatus'] });
  const both = testProvider('apollo', { fields: ['person.title', 'company.name'] });

  it('groups providers that are alternatives for a field, and keeps apart those that answer different questions', () => {
    const ids = (groups: { id: string }[][]) => groups.map((g) => g.map((p) => p.id).sort());
    expect(ids(independentGroups([firmoA, firmoB, people, verify], ['company.name', 'company.industry', 'person.title', 'person.emailStatus']))).toEqual([
      ['firmo-a', 'firmo-b'],
      ['people'],
      ['verify'],
    ]);
    // A provider answering both kinds links their groups: asking them side by side could buy the same field twice.
    expect(ids(independentGroups([firmoA, people, both, verify], ['company.name', 'person.title', 'person.emailStatus']))).toEqual([
      ['apollo', 'firmo-a', 'people'],
      ['verify'],
    ]);
    // Providers of no wanted field are left out.
    expect(ids(independentGroups([firmoA, people], ['person.title']))).toEqual([['people']]);
  });
});
