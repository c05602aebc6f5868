#!/usr/bin/env bash
# egg 3 compatibility: packs egg-session-plus from a copy of the repository (`npm pack`: build, then the
# egg 3 shims), installs the tarball into this project (egg 3, egg-mock 5, egg-bin 6, egg-redis 2) as a
# user's app does, without --legacy-peer-deps, and runs its mocha suites with egg-bin 6.
# The copy keeps dist/ out of the repository (egg 4 would load it instead of the TypeScript sources).
# Redis suites start their own redis-server; without one they skip loudly, unless REQUIRE_REDIS=1.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
started=$SECONDS
step() { printf '\n-- egg3 compat: %s (t+%ds)\n' "$1" "$((SECONDS - started))"; }

work="$(mktemp -d "${TMPDIR:-/tmp}/esp-egg3-compat-XXXXXX")"
trap 'rm -rf "$work"' EXIT

step "pack the tarball from a copy of $repo"
rsync_status=0
rsync -a --exclude node_modules --exclude dist --exclude .git --exclude compat \
  --exclude logs --exclude run --exclude '*.tgz' --exclude .tmp "$repo/" "$work/tree/" || rsync_status=$?
# 24: files vanished while copying (logs of tests running in the tree); the sources are all there
if [[ $rsync_status -ne 0 && $rsync_status -ne 24 ]]; then exit "$rsync_status"; fi
ln -s "$repo/node_modules" "$work/tree/node_modules"
(cd "$work/tree" && npm pack --pack-destination "$work" --loglevel=error >"$work/pack.log") || { cat "$work/pack.log"; exit 1; }
tarball="$(tail -n 1 "$work/pack.log")"
mkdir -p "$here/.pack"
cp "$work/$tarball" "$here/.pack/egg-session-plus.tgz"
echo "packed $tarball ($(tar -tzf "$here/.pack/egg-session-plus.tgz" | wc -l) files)"

step "install egg 3 and the tarball (package route and the overrides of egg-session)"
cd "$here"
# from scratch: npm keeps an installed file: tarball that still "satisfies" its spec, and a partial
# reinstall resolves the relative file: override against node_modules/egg (ENOENT .../egg/.pack/...)
rm -rf node_modules
npm install --no-audit --no-fund --no-package-lock --loglevel=error
for installed in egg-session-plus egg-session; do
  if ! tar -xOzf .pack/egg-session-plus.tgz package/dist/commonjs/app.js | cmp -s - "node_modules/$installed/dist/commonjs/app.js"; then
    echo "node_modules/$installed is not the tarball just packed" >&2
    exit 1
  fi
done
node -e 'for (const p of ["egg", "egg-mock", "egg-bin", "egg-redis", "egg-session-3", "egg-session"]) {
  const { name, version } = require(`./node_modules/${p}/package.json`); console.log(`${p}: ${name}@${version}`); }'

step "egg-bin test"
# bounded: a hung suite fails instead of holding CI
timeout --foreground 150 npx --no-install egg-bin test
step "done"
