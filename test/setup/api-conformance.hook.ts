import { violations } from './api-conformance.js';

// After each e2e test: every HTTP answer, acknowledgement and event it saw
// matched the committed API documents (see api-conformance.ts).
afterEach(() => {
  const found = violations.splice(0);
  expect(found).toEqual([]);
});
