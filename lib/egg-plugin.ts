import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One plugin entry of egg 4.1's plugin list: `{ session: { name, enable, path, ... } }`. */
export interface EggPluginEntry { name: 'session'; enable: boolean; path: string; [key: string]: unknown }

// this file's path in the ESM build (a file: URL) and the CommonJS one alike, without `import.meta` or `__dirname`: V8's call sites
function thisFile(): string {
  const prepare = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_error, stack) => stack;
    const file = (new Error().stack as unknown as NodeJS.CallSite[])[0].getFileName() ?? '';
    return file.startsWith('file:') ? fileURLToPath(file) : file;
  } finally {
    Error.prepareStackTrace = prepare;
  }
}

/** The folder egg loads the plugin from: the one holding app.js, config/ and app/ of this build (lib/..). */
export const PLUGIN_PATH = path.dirname(path.dirname(thisFile()));

/** egg 4.1's plugin factory (`definePluginFactory`): its plugin list spreads `sessionPlugin()`, the default export of `@eggjs/session`. */
export default function sessionPlugin(options: Partial<Omit<EggPluginEntry, 'name'>> = {}): { session: EggPluginEntry } {
  return { session: { enable: true, path: PLUGIN_PATH, ...options, name: 'session' } };
}
