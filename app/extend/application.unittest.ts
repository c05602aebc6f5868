import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Application, Context } from 'egg';
import SessionContext from './context.js';
import { MOCKED_SESSION } from '../../lib/request/reader.js';
import { isSessionShaped, parseJsonObject, type JsonObject } from '../../lib/json.js';

type Mocking = Application & { mm(target: object, key: string, value: unknown): unknown };
type CreateContext = (this: Application, req: IncomingMessage, res: ServerResponse) => Context;

// the plugin's ctx.session (app/extend/context.ts)
const SESSION = Object.getOwnPropertyDescriptor(SessionContext.prototype, 'session')!;

// what a test mocked, as its client could have sent it: a copy through JSON, shaped as the reader accepts; null or undefined: empty
function sentByClient(mocked: unknown): JsonObject {
  const text = JSON.stringify(mocked ?? {}) as string | undefined;
  const data = text === undefined ? undefined : parseJsonObject(text);
  if (isSessionShaped(data)) return data;
  throw new TypeError('[egg-session-plus] a mocked session (app.mockSession(data), app.mockContext({ session })) must be a plain object of JSON values ' +
    `with no key named like a session method (toJSON, save, regenerate, maxAge, ...): got ${text === undefined ? typeof mocked : text.slice(0, 80)}`);
}

// Loaded in the unittest env only, over @eggjs/mock's extension. Both mock a session by hiding ctx.session behind a plain object on app.context
// (`mm(app.context, 'session', data)`, undone by mm.restore()); here every context keeps the plugin's ctx.session, and the hidden object becomes what
// the client sent (lib/request/reader.ts): a real session with the full API.
export default class SessionApplicationUnittest {
  /** Until mm.restore(), every request starts from a copy of `data` as the session its client sent, signed in as its user. */
  mockSession(data: unknown): this {
    const app = this as unknown as Mocking;
    if (data && sentByClient(data)) app.mm(app.context, 'session', data);
    return this;
  }
  /** Every context, also one made before a mock (@eggjs/mock's bootstrap reuses one per test), reads its session through the plugin. */
  createContext(req: IncomingMessage, res: ServerResponse): Context {
    const app = this as unknown as Application;
    const ctx = (Reflect.get(Object.getPrototypeOf(app), 'createContext') as CreateContext).call(app, req, res);
    Object.defineProperty(ctx, 'session', SESSION);
    return ctx;
  }
  /** The mocked session, when one hides ctx.session on app.context now (lib/request/reader.ts reads it). */
  get [MOCKED_SESSION](): JsonObject | undefined {
    const mock = Object.getOwnPropertyDescriptor((this as unknown as Application).context, 'session');
    return mock && 'value' in mock ? sentByClient(mock.value) : undefined;
  }
}
