// Each dist folder declares its module type, so Node reads dist/esm as ESM and dist/commonjs as CJS.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', 'dist');
fs.writeFileSync(path.join(root, 'esm', 'package.json'), '{\n  "type": "module"\n}\n');
fs.writeFileSync(path.join(root, 'commonjs', 'package.json'), '{\n  "type": "commonjs"\n}\n');
