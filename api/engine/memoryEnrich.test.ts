import { describe, expect, it } from 'vitest';
import { admissionId } from './memoryEnrich.js';

describe('admissionId: the key admitted inputs are kept under', () => {
  it('differs whenever a cell, its value or the fields asked differ, however the values are made', () => {
    const F = ['company.name'];
    const ids = [
      admissionId({ domain: 'acme.com' }, F),
      admissionId({ domain: 'acme.com ' }, F),
      admissionId({ domain: 'ACME.com' }, F),
      admissionId({ email: 'acme.com' }, F),
      admissionId({ domain: 'acme.com', company: 'Acme' }, F),
      // A value holding what a next cell would look like.
      admissionId({ domain: 'acme.com\n7:company4:Acme' }, F),
      admissionId({ domain: 'acme.com' }, ['company.name', 'company.employees']),
      admissionId({ domain: 'acme.com' }, ['company.employees', 'company.name']),
      admissionId({}, F),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is the same for the same lookup, and a cell left undefined is no cell', () => {
    expect(admissionId({ domain: 'acme.com', company: 'Acme' }, ['company.name'])).toBe(admissionId({ domain: 'acme.com', company: 'Acme' }, ['company.name']));
    expect(admissionId({ domain: 'acme.com', company: undefined }, ['company.name'])).toBe(admissionId({ domain: 'acme.com' }, ['company.name']));
  });
});
