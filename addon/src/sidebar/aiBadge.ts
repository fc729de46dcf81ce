import { h } from './dom.js';

/** Marks a model's judgement (the qualifier's verdict and reason) wherever it shows: never to be read as a found fact. */
export const aiBadge = () => h('span', { class: 'ai', title: 'A model’s judgement, not a found fact', 'data-testid': 'ai-badge' }, 'AI');
