/**
 * A browser scenario as a chain of `node:test` tests: each step names the
 * earlier steps it needs and is skipped (not failed again) when one of them
 * did not pass, so a broken scenario reports its first failure, not a cascade.
 */
import { test } from 'node:test';

import { reportFailure } from './classroom-pages.mjs';

/**
 * Returns `step(name, needs, fn)` for one scenario. On a failure every page
 * in `state.people` is screenshotted as `<prefix><first word of the step>`,
 * with their console errors and the tail of `state.server`'s log.
 * `step.passed` holds the names of the steps that passed so far.
 */
export function scenario(state, { prefix, timeout }) {
  const failed = new Set();
  const passed = new Set();
  const step = (name, needs, fn) => {
    test(name, { timeout }, async (t) => {
      const missing = needs.filter((n) => failed.has(n) || !passed.has(n));
      if (missing.length > 0) {
        failed.add(name);
        t.skip(`needs step(s) ${missing.join(', ')}`);
        return;
      }
      try {
        await fn(t);
        passed.add(name);
      } catch (err) {
        failed.add(name);
        const shot = `${prefix}${name.split(' ')[0].replace(/\W/g, '')}`;
        await reportFailure(t, shot, state.people, state.server ? () => state.server.logTail(3000) : null);
        throw err;
      }
    });
  };
  step.passed = passed;
  return step;
}
