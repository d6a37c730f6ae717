/** A failed HTTP call: its status and the service's `{ statusCode, message, error }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The HTTP side of the contract, same-origin. A 401 anywhere means the
 * session is over (expired or revoked token): `onUnauthorized` sends the
 * person back to the join form.
 */
export class Api {
  constructor(
    private readonly token: () => string | null,
    private readonly onUnauthorized: () => void,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    const token = this.token();
    if (token) {
      headers.Authorization = `Bearer ${token}`;
    }
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401 && token) {
      this.onUnauthorized();
    }
    if (!response.ok) {
      const problem = (await response.json().catch(() => ({}))) as { message?: string | string[] };
      const message = Array.isArray(problem.message) ? problem.message.join('; ') : problem.message;
      throw new ApiError(response.status, message ?? response.statusText);
    }
    return (response.status === 204 ? undefined : await response.json()) as T;
  }
}
