export function createRedisStore(..._args: unknown[]): never { throw new Error('todo'); }
