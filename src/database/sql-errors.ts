// What a failed query reports, whether it comes from the pg driver or
// wrapped by TypeORM (QueryFailedError keeps the driver's error).

/** The SQLSTATE of a failed query, from the driver or as wrapped by TypeORM. */
export function sqlState(error: unknown): string | undefined {
  const e = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = e.driverError?.code ?? e.code;
  return typeof code === 'string' ? code : undefined;
}

/** The constraint a failed query violated, from the driver or as wrapped by TypeORM. */
export function constraintName(error: unknown): string | undefined {
  const e = error as { constraint?: unknown; driverError?: { constraint?: unknown } };
  const name = e.driverError?.constraint ?? e.constraint;
  return typeof name === 'string' ? name : undefined;
}
