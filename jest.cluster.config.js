// Suites against real processes: `node dist/main.js` instances behind nginx
// (scripts/cluster.ts). Kept out of `npm test` (their files end in
// .cluster-spec.ts, which neither project of jest.config.js matches); run
// them with `npm run test:cluster`, which builds first.
import base from './jest.config.js';

// The same ESM settings as the unit and e2e projects.
const { testEnvironment, extensionsToTreatAsEsm, moduleNameMapper, transform } = base.projects.find(
  (project) => project.displayName === 'unit',
);

export default {
  displayName: 'cluster',
  testEnvironment,
  extensionsToTreatAsEsm,
  moduleNameMapper,
  transform,
  testMatch: ['<rootDir>/test/cluster/**/*.cluster-spec.ts'],
  globalSetup: '<rootDir>/test/cluster/global-setup.ts',
  // Each suite starts and stops its own processes; a test may take a while.
  testTimeout: 120_000,
};
