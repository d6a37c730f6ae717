// The environment every e2e instance starts from; a suite can override any
// of it per instance (see startInstances).
process.env.DATABASE_URL = process.env.TEST_DATABASE_URL;
process.env.REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
process.env.AUTH_SECRET = 'test-secret-that-is-at-least-32-characters-long';
process.env.CORS_ORIGINS = 'http://allowed.example';
// Suites create many rooms and users from one address; the limits on those
// are proved on their own (rate-limit.e2e-spec.ts), with them switched on.
process.env.ROOM_LIMIT_PER_MINUTE = '0';
process.env.SIGNUP_LIMIT_PER_MINUTE = '0';
