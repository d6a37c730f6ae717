// ESM all the way: Nest 12 ships as ES modules, so Jest runs with
// --experimental-vm-modules (see the `test` script) and ts-jest emits ESM.
const esm = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
};

export default {
  testTimeout: 30_000,
  projects: [
    { ...esm, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...esm,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      setupFiles: ['<rootDir>/test/setup/test-env.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/setup/api-conformance.hook.ts'],
    },
  ],
};
