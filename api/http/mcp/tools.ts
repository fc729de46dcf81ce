import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { CreateJobSchema, EnrichSchema, EstimateSchema, LeadIdSchema, LIMITS, ROUTES, ResultsQuerySchema, SubmitLeadsSchema } from '../../../shared/index.js';
import type { CascadeService } from '../../engine/service.js';
import { CascadeError } from '../../errors.js';
import { isTransientFailure } from '../../storage/transientFailure.js';
import { JobParams } from '../routes/params.js';

/**
 * The tools' arguments, composed from the HTTP contract's schemas so a tool
 * and its route can never disagree on what a value may be. No tool takes a
 * workspace: the server is built for the workspace the bearer key belongs to.
 */
/**
 * The same object schema without its OpenAPI component id: JSON Schema makes a
 * named schema a `$ref` to its definition, and MCP wants every tool's input and
 * output schema to be an object at the top (nested names stay as definitions).
 */
const unnamed = <T extends z.ZodRawShape>(schema: z.ZodObject<T>) => z.object(schema.shape);

const JobIdArgs = z.object({ jobId: JobParams.shape.id.describe('A job id, as start_job answered') });
/** A job from an agent: its fields and rows, a cost cap and whether to predict; a sheet target needs the add-on's Google token, so it stays with HTTP. */
const StartJobArgs = CreateJobSchema.pick({ fields: true, rows: true, maxCostUsd: true, predict: true });
const ResultsArgs = JobIdArgs.extend(ResultsQuerySchema.shape);
const LeadIdArgs = z.object({ id: LeadIdSchema.describe('A lead id, as submit_leads answered it') });

export interface McpDeps {
  service: CascadeService;
  log(msg: string, extra?: Record<string, unknown>): void;
}

/**
 * The MCP server of one request, for one workspace (stateless Streamable
 * HTTP: a server and transport per request, nothing kept between them). Every
 * tool is one CascadeService call, scoped to `workspace`; what a call refuses
 * comes back as a tool error result naming the request error code, so an agent
 * can read it and correct itself, while the HTTP exchange itself succeeds.
 */
export function buildMcpServer({ service, log }: McpDeps, workspace: string): McpServer {
  const server = new McpServer(
    { name: 'cascade', version: '0.1.0' },
    {
      instructions:
        'Cascade enriches leads (people and companies) through a cached waterfall of data providers. ' +
        'For one row now use enrich_row. For many rows: estimate_column first (nothing is bought), then start_job, ' +
        'poll job_progress until its status is no longer "running", and page through job_results following `next`.',
    },
  );

  /** A result an agent reads: a one-line summary, the JSON for clients that only show text, and the same JSON as structured content. */
  const answer = (summary: string, data: Record<string, unknown>): CallToolResult => ({
    content: [
      { type: 'text', text: summary },
      { type: 'text', text: JSON.stringify(data) },
    ],
    structuredContent: data,
  });

  /**
   * A refusal as a tool error result, never a transport error: the code of
   * the HTTP API's vocabulary, its message, and where. No structured content,
   * since the client holds that to the tool's output schema. Like the HTTP
   * API, a fault of ours reveals nothing but that it may be retried.
   */
  const refusal = (tool: string, err: unknown): CallToolResult => {
    let code: string;
    let message: string;
    if (err instanceof CascadeError) {
      code = err.code;
      message = err.path ? `${err.message} (at ${err.path})` : err.message;
    } else if (isTransientFailure(err)) {
      code = 'storage_busy';
      message = 'the database is busy or out of reach; call the tool again in a moment';
    } else {
      log('unhandled error in an MCP tool', { tool, err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      code = 'internal';
      message = 'internal error; the call can be retried';
    }
    return { isError: true, content: [{ type: 'text', text: `${code}: ${message}` }] };
  };

  const run = async <T extends Record<string, unknown>>(tool: string, call: () => Promise<T>, summary: (r: T) => string) => {
    try {
      const r = await call();
      return answer(summary(r), r);
    } catch (err) {
      return refusal(tool, err);
    }
  };

  server.registerTool(
    'enrich_row',
    {
      title: 'Enrich one row',
      description:
        'Looks up the requested fields for one lead (an email, a domain, names, a company or a LinkedIn URL) through the cache and the provider waterfall, ' +
        'answering by deadlineMs with what was found, the provider of each value, and the fields still missing. Uncached lookups may cost money.',
      inputSchema: unnamed(EnrichSchema),
      outputSchema: unnamed(ROUTES.enrich.response),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    (args) =>
      run(
        'enrich_row',
        () => service.enrich({ workspace, ...args }),
        (r) =>
          `${r.status}: ${Object.keys(r.values).length} of ${args.fields.length} fields found${r.missing.length ? `, missing ${r.missing.join(', ')}` : ''} (cost $${r.costUsd})`,
      ),
  );

  server.registerTool(
    'estimate_column',
    {
      title: 'Estimate a column',
      description:
        `A dry run before start_job: of these inputs (at most ${LIMITS.rowsPerRequest}; send a sample of a long column), how many are invalid, ` +
        'how many are fully cached (free), and the expected and maximum cost in USD. Nothing is bought.',
      inputSchema: unnamed(EstimateSchema),
      outputSchema: unnamed(ROUTES.estimate.response),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      run(
        'estimate_column',
        () => service.estimate({ workspace, ...args }),
        (r) => `${r.rows} rows: ${r.invalid} invalid, ${r.cached} cached; expected $${r.expectedCostUsd}, at most $${r.maxCostUsd}`,
      ),
  );

  server.registerTool(
    'start_job',
    {
      title: 'Start an enrichment job',
      description:
        `Starts enriching a column of rows (each {key, input}; at most ${LIMITS.rowsPerRequest}) with the given fields, in the background, ` +
        'stopping new paid calls once maxCostUsd is spent. Answers the job id: follow it with job_progress and job_results.',
      inputSchema: StartJobArgs,
      outputSchema: unnamed(ROUTES.createJob.response),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    (args) =>
      run(
        'start_job',
        async () => ({ id: (await service.createJob({ workspace, job: args })).id }),
        (r) => `job ${r.id} started with ${args.rows.length} rows; poll job_progress`,
      ),
  );

  server.registerTool(
    'job_progress',
    {
      title: 'Job progress',
      description: "A job's status (running, done or cancelled), its row counts by status, and what it has cost so far.",
      inputSchema: JobIdArgs,
      outputSchema: unnamed(ROUTES.getJob.response),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ jobId }) =>
      run(
        'job_progress',
        () => service.getJob({ workspace, jobId }),
        (r) => `job ${r.id} ${r.status}: ${r.counts.total - r.counts.pending - r.counts.running} of ${r.counts.total} rows finished, cost $${r.costUsd}`,
      ),
  );

  server.registerTool(
    'job_results',
    {
      title: 'Job results',
      description:
        "A page of a job's rows in submission order, with values, sources, provenance and flags; optionally only rows of one status. " +
        "Pass the answer's `next` as `after` for the next page; no `next` means the last page.",
      inputSchema: ResultsArgs,
      outputSchema: unnamed(ROUTES.results.response),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ jobId, after, limit, status, key }) =>
      run(
        'job_results',
        () => service.results({ workspace, jobId, after: after === undefined ? undefined : Number(after), limit, status, key }),
        (r) => `${r.rows.length} rows${r.next ? `; more after ${r.next}` : '; last page'}`,
      ),
  );

  server.registerTool(
    'submit_leads',
    {
      title: 'Submit leads to the pipeline',
      description:
        `Runs leads (at most ${LIMITS.rowsPerRequest}; each {input, key?, data?}) through the workspace's lead pipeline in the background: ` +
        'de-duplicated, enriched (fields in data are not bought again), scored, qualified by a model, routed to an owner, and, unless turned off, ' +
        'written to the CRM and announced to the owner. Answers each lead id: follow it with lead_run.',
      inputSchema: unnamed(SubmitLeadsSchema),
      outputSchema: unnamed(ROUTES.submitLeads.response),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    (args) =>
      run(
        'submit_leads',
        () => service.submitLeads({ workspace, ...args }),
        (r) => `${r.leads.length} lead(s) submitted in job ${r.jobId}; poll lead_run`,
      ),
  );

  server.registerTool(
    'lead_run',
    {
      title: "A lead's run",
      description:
        "A lead's run through the pipeline: its values (score, the model's verdict and reason, owner, priority, CRM id), each step's latest attempt " +
        "(done, skipped or failed, with duration, cost, who did it and any error) and every attempt. The verdict is a model's judgement.",
      inputSchema: LeadIdArgs,
      outputSchema: unnamed(ROUTES.getLead.response),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ id }) =>
      run(
        'lead_run',
        () => service.getLead({ workspace, id }),
        (r) => `lead ${r.id} ${r.status}: ${r.steps.map((s) => `${s.step} ${s.outcome}`).join(', ')}`,
      ),
  );

  return server;
}
