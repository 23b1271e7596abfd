// Accessibility scan of a page with axe-core (the npm package, injected into
// the page): the violations that axe rates serious or critical, which the
// browser tests require to be none.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = require.resolve('axe-core/axe.min.js');

/**
 * Runs axe on `page` (optionally only inside `include`, a CSS selector) and
 * resolves with its serious and critical violations, each as
 * { id, impact, help, nodes: [html…] } so a failure says what to fix.
 */
export async function seriousViolations(page, { include } = {}) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.addScriptTag({ path: AXE_SOURCE });
  const violations = await page.evaluate(async (include) => {
    const result = await window.axe.run(include ? { include: [include] } : document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.html.slice(0, 160)} ${n.failureSummary?.split('\n').slice(1, 2).join(' ') ?? ''}`),
    }));
  }, include ?? null);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
