import type { Config, LlmProviderConfig } from '../../config/schema.js';
import { hubspotSender } from '../../effects/hubspot.js';
import { slackSender } from '../../effects/slack.js';
import type { EffectSender } from '../../effects/types.js';
import { webhookSender } from '../../effects/webhook.js';
import { qualifier } from '../../providers/llm/qualifier.js';
import type { HttpClient, Provider } from '../../providers/types.js';
import { buildPipeline, pipelinesOf, targetOf, type Pipeline } from './pipelines.js';

export interface PipelineParts {
  pipelineOf(workspace: string): Pipeline | undefined;
  /** Every pipeline's qualifier: each needs a gate of its own. */
  qualifiers: Provider[];
  senders: EffectSender[];
}

/** The configured pipelines, their qualifiers on their `llm` providers' endpoints, and a sender per effect target. */
export function buildPipelines(config: Config, providers: readonly Provider[], deps: { http: HttpClient; now: () => number }): PipelineParts {
  const qualifiers: Provider[] = [];
  const senders: EffectSender[] = [];
  const pipelineOf = pipelinesOf(config, (key, p) => {
    const llm = p.qualify && (config.providers.find((q) => q.id === p.qualify!.provider) as LlmProviderConfig);
    const q = p.qualify && llm ? qualifier(llm, p.qualify, deps) : undefined;
    const pipeline = buildPipeline(key, p, providers, q);
    if (q) qualifiers.push(q.base);
    if (p.deliver?.hubspot) senders.push(hubspotSender(targetOf(pipeline, 'hubspot'), p.deliver.hubspot, deps));
    if (p.deliver?.webhook) senders.push(webhookSender(targetOf(pipeline, 'deliver-webhook'), p.deliver.webhook, deps));
    if (p.notify?.slack) senders.push(slackSender(targetOf(pipeline, 'slack'), p.notify.slack, deps));
    if (p.notify?.webhook) senders.push(webhookSender(targetOf(pipeline, 'notify-webhook'), p.notify.webhook, deps));
    return pipeline;
  });
  return { pipelineOf, qualifiers, senders };
}
