// The hostile-cookie generator and runner live in test/helpers/*.ts (the tests use them too):
// transpile them (typescript is a dev dependency) into a temp dir and import them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

const FILES = [ 'hostile.ts', 'hostile-run.ts' ];

export async function loadHostileHelpers(root, tmpDir) {
  const out = path.join(tmpDir, 'helpers');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'package.json'), '{"type":"module"}\n');
  for (const file of FILES) {
    const source = readFileSync(path.join(root, 'test', 'helpers', file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: file,
    });
    writeFileSync(path.join(out, file.replace(/\.ts$/, '.js')), outputText);
  }
  const generator = await import(pathToFileURL(path.join(out, 'hostile.js')).href);
  const runner = await import(pathToFileURL(path.join(out, 'hostile-run.js')).href);
  return { ...generator, ...runner };
}
