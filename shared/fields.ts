import { z } from 'zod';

/**
 * The one field catalogue. Providers declare which of these they can supply,
 * jobs ask for them, the add-on offers them as checkboxes, the sheet gets a
 * column per field. Adding a field here is the only step needed to make it
 * requestable end to end.
 */
export const FIELDS = {
  'company.name': { group: 'company', label: 'Company name' },
  'company.domain': { group: 'company', label: 'Company domain' },
  'company.description': { group: 'company', label: 'Description' },
  'company.industry': { group: 'company', label: 'Industry' },
  'company.employees': { group: 'company', label: 'Employees' },
  'company.revenue': { group: 'company', label: 'Revenue (USD)' },
  'company.founded': { group: 'company', label: 'Founded' },
  'company.country': { group: 'company', label: 'Country' },
  'company.city': { group: 'company', label: 'City' },
  'company.phone': { group: 'company', label: 'Company phone' },
  'company.linkedinUrl': { group: 'company', label: 'Company LinkedIn' },
  'company.twitterUrl': { group: 'company', label: 'Company X/Twitter' },
  'company.facebookUrl': { group: 'company', label: 'Company Facebook' },
  'company.githubUrl': { group: 'company', label: 'Company GitHub' },
  'company.logoUrl': { group: 'company', label: 'Logo URL' },
  'company.ogImage': { group: 'company', label: 'Social preview image' },
  'company.email': { group: 'company', label: 'Company email' },
  'company.techStack': { group: 'company', label: 'Tech stack' },
  'company.emailProvider': { group: 'company', label: 'Email provider' },
  'person.fullName': { group: 'person', label: 'Full name' },
  'person.firstName': { group: 'person', label: 'First name' },
  'person.lastName': { group: 'person', label: 'Last name' },
  'person.title': { group: 'person', label: 'Job title' },
  'person.seniority': { group: 'person', label: 'Seniority' },
  'person.department': { group: 'person', label: 'Department' },
  'person.email': { group: 'person', label: 'Email' },
  'person.emailStatus': { group: 'person', label: 'Email status' },
  'person.phone': { group: 'person', label: 'Phone' },
  'person.linkedinUrl': { group: 'person', label: 'LinkedIn URL' },
  'person.location': { group: 'person', label: 'Location' },
  'person.country': { group: 'person', label: 'Person country' },
  // The lead pipeline's outputs (api/engine/pipeline): made by its steps, never bought from a provider.
  'lead.score': { group: 'lead', label: 'ICP score' },
  'lead.qualified': { group: 'lead', label: 'Qualified (AI)' },
  'lead.reason': { group: 'lead', label: 'Reason (AI)' },
  'lead.owner': { group: 'lead', label: 'Owner' },
  'lead.priority': { group: 'lead', label: 'Priority' },
  'lead.crmId': { group: 'lead', label: 'CRM record' },
  'lead.duplicateOf': { group: 'lead', label: 'Duplicate of' },
} as const satisfies Record<string, { group: 'company' | 'person' | 'lead'; label: string }>;

export type Field = keyof typeof FIELDS;
export const FIELD_NAMES = Object.keys(FIELDS) as [Field, ...Field[]];
export const FieldSchema = z.enum(FIELD_NAMES);

/** Fields data providers supply (and the waterfall looks for): every group but the pipeline's. */
export type EnrichField = Exclude<Field, `lead.${string}`>;
export const ENRICH_FIELDS = FIELD_NAMES.filter((f): f is EnrichField => FIELDS[f].group !== 'lead') as [EnrichField, ...EnrichField[]];
export const EnrichFieldSchema = z.enum(ENRICH_FIELDS);

/** Fields only the lead pipeline makes: asking for one runs the pipeline on the job's rows. */
export type LeadField = Extract<Field, `lead.${string}`>;
export const LEAD_FIELDS = FIELD_NAMES.filter((f): f is LeadField => FIELDS[f].group === 'lead') as [LeadField, ...LeadField[]];
export const isLeadField = (f: Field): f is LeadField => FIELDS[f].group === 'lead';

/** A field value as stored and as written to a sheet cell. Lists are joined by the writer. */
export const FieldValueSchema = z.union([z.string().max(4000), z.number().finite(), z.boolean(), z.array(z.string().max(500)).max(100)]);
export type FieldValue = z.infer<typeof FieldValueSchema>;

/** What a row can carry as input. A row may carry several (name + domain for an email finder). */
export const INPUT_KINDS = ['email', 'domain', 'name', 'company', 'linkedinUrl'] as const;
export const InputKindSchema = z.enum(INPUT_KINDS);
export type InputKind = z.infer<typeof InputKindSchema>;
