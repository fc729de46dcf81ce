/**
 * The demo's model: an OpenAI-compatible chat completion that qualifies a
 * lead from the facts the pipeline's qualifier sends (its score, company,
 * industry and size), deterministically and instantly, with no network. Its
 * reasons say "Demo model", so nobody takes them for a real model's judgement.
 */
export function demoModelCompletion(body: unknown): object {
  const messages = (body as { messages?: { role?: string; content?: string }[] })?.messages ?? [];
  // Asked to predict fields (the llm provider kind's own prompt), the demo model knows nothing: it predicts none.
  if (messages[0]?.content?.includes('"fields"')) return completion(JSON.stringify({ fields: {} }));
  let facts: { score?: number | null; enriched?: Record<string, unknown> } = {};
  try {
    facts = JSON.parse(messages.at(-1)?.content ?? '{}');
  } catch {
    // Not the qualifier's prompt: judged on nothing, as below.
  }
  const score = typeof facts.score === 'number' ? facts.score : 0;
  const enriched = facts.enriched ?? {};
  const company = typeof enriched['company.name'] === 'string' ? enriched['company.name'] : 'The company';
  const size = typeof enriched['company.employees'] === 'number' ? `${enriched['company.employees']} employees` : 'an unknown size';
  const industry = typeof enriched['company.industry'] === 'string' ? enriched['company.industry'] : 'an unknown industry';
  const qualified = score >= 60;
  const reason = `Demo model: ${company} (${industry}, ${size}) ${qualified ? 'fits' : 'does not fit'} the profile at score ${score}.`;
  return completion(JSON.stringify({ qualified, reason }));
}

const completion = (content: string) => ({
  id: 'chatcmpl-demo',
  object: 'chat.completion',
  created: 0,
  model: 'demo',
  choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop' }],
});
