#!/usr/bin/env node
// Mutation check of the security code (issue 25, "keep it so"): every defence SECURITY.md lists is removed
// one at a time, and the test file named for it must fail. A defence whose removal no test notices is a
// promise nobody checks.
//
//   node scripts/mutants.mjs                    every mutant (a sanity run of the named test files first)
//   node scripts/mutants.mjs --only a,b         only these mutants
//   node scripts/mutants.mjs --list             the list as a markdown table (defence, where, mutant, killing
//                                               test), each search string checked against the tree; runs nothing
//   options: --jobs N (test runs at once, default 2), --bail (stop a test file at its first failure: faster,
//            but the documented killing test is then only checked when it fails first), --keep (keep the
//            scratch copies), --from DIR (the tree to mutate; default: the repo this script is in),
//            --tests a,b (run these test files instead of each mutant's own: to find which tests kill it)
//   npm run mutants -- --only sealer-aad
//
// How. The tree (without node_modules, dist, .git) is rsynced to a scratch dir, node_modules symlinked
// back. A sanity run first: every test file the selected mutants name must pass on the unmutated copy.
// Then, per mutant, a fresh copy of that copy gets ONE textual mutation (a search string that must occur
// exactly once in its product file: when the code moved, the script fails naming the mutant, so the list
// is kept up to date with the code), and its test files run there with `egg-bin test` (REQUIRE_REDIS=1,
// REQUIRE_BROWSER=1, as CI). A mutant is killed when a named file fails, and the documented killing test
// (`killer`: part of an `it` title) should be among the failures: SECURITY.md's "tests" column names it.
// Exit code: 0 all killed, 1 a mutant survived (or was killed only by another test than the documented
// one), 2 the list or the sanity run is broken.
//
// The tests run with TS_NODE_TRANSPILE_ONLY: a mutant must be caught by behaviour, not by the type checker
// (the tree's noUnusedLocals would "kill" every mutant that leaves a private helper unused). Each mutated
// file is still parsed before its run, so a mutant that is not even valid TypeScript fails loudly as a
// broken entry instead of counting as killed. Mutation testing is not part of CI (.ci/run): a full run
// takes about 12 minutes on 2 cores (about 75 mutants, the sanity run included).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The mutants. Each: `name`; `defence` (what SECURITY.md promises), `where` (file:function), `removes`
 * (what the mutation does, and why the defence matters); `edits` (file, search: exactly once, replace);
 * `tests` (test files under test/, SECURITY.md's first); `killer` (part of the title of the `it` that must
 * fail: mocha's "suite › test" path is matched). `equivalent`: why no black-box test can kill it (a second
 * layer does the same); such a mutant is listed but runs only when --only names it, and its survival fails
 * nothing. Grouped as SECURITY.md's rows.
 */
const MUTANTS = [
  // ---- Forging, tampering, cross-cookie replay: the sealed cookie (lib/cookie/sealer.ts) ----
  {
    name: 'sealer-aad',
    defence: 'sealed cookies are bound to their cookie name (GCM additional data)',
    where: 'lib/cookie/sealer.ts:Sealer constructor (#aad, setAAD in seal/open)',
    removes: 'The cookie name is no longer authenticated: a value sealed as EGG_SESS opens as ADMIN_SESS of another app ' +
      'sharing config.keys (cross-cookie and cross-app replay).',
    edits: [ { file: 'lib/cookie/sealer.ts', search: "this.#aad = Buffer.from(name, 'utf8');", replace: 'this.#aad = Buffer.alloc(0);' } ],
    tests: [ 'security-cookie' ],
    killer: 'a sealed EGG_SESS replayed as ADMIN_SESS',
  },
  {
    name: 'sealer-canonical',
    defence: 'strict canonical base64url: one spelling per sealed cookie',
    where: 'lib/cookie/sealer.ts:Sealer.open',
    removes: "The re-encode check goes: Node's decoder reads '+' and '/' as '-' and '_' and ignores stray low bits of the last " +
      'character, so one sealed value gets many accepted spellings (a client can mint "new" cookies of a genuine one, which ' +
      'defeats anything keyed on the cookie text, such as the opened-cookie cache or a deny list).',
    edits: [ { file: 'lib/cookie/sealer.ts', search: " || body.toString('base64url') !== text", replace: '' } ],
    tests: [ 'sealed-cookies' ],
    killer: 'a genuine cookie respelled in standard base64',
  },
  // ---- Key injection: the session id gate (lib/session-id.ts) ----
  {
    name: 'id-shape',
    defence: "store ids have exactly the default genid's shape (prefix + UUID v4) before any store call",
    where: 'lib/session-id.ts:createSessionIdReader (UUID_V4)',
    removes: 'Any printable id reaches the store: an id cookie can name index keys ({u:<user>}:revocation), other keys ' +
      'under the prefix, or hash tags.',
    edits: [ { file: 'lib/session-id.ts', search: "const UUID_V4 = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';",
      replace: "const UUID_V4 = '[\\\\x21-\\\\x7e]+';" } ],
    tests: [ 'security-store' ],
    killer: 'hostile ids (index keys, hash tags',
  },
  {
    name: 'id-anchor',
    defence: 'the id shape is anchored: nothing before the prefix + UUID',
    where: 'lib/session-id.ts:createSessionIdReader',
    removes: 'Without the leading ^ an id merely ending in a UUID passes: `{u:alice}:x<uuid>` names a key of the index.',
    edits: [ { file: 'lib/session-id.ts', search: 'new RegExp(`^${prefix', replace: 'new RegExp(`${prefix' } ],
    tests: [ 'security-store' ],
    killer: 'hostile ids (index keys, hash tags',
  },
  {
    name: 'genid-braces',
    defence: "a custom genid's ids (signed) contain no `{`/`}`",
    where: 'lib/session-id.ts:SAFE_ID',
    removes: 'A correctly signed id like `{u:alice}:revocation` (an app that signs what it is given, a leaked key) names a ' +
      'Redis hash tag and the index keys: the store would read, overwrite or delete them.',
    edits: [ { file: 'lib/session-id.ts', search: 'const SAFE_ID = /^[\\x21-\\x7a\\x7c\\x7e]{1,256}$/;', replace: 'const SAFE_ID = /^[\\x21-\\x7e]{1,256}$/;' } ],
    tests: [ 'security-store' ],
    killer: 'a correctly signed id naming an index key',
  },
  // ---- Resurrection: a late write does not bring a destroyed session back (lib/store/*) ----
  {
    name: 'redis-set-xx',
    defence: 'the Redis store writes a loaded session back only while it exists (SET ... XX)',
    where: 'lib/store/redis.ts:RedisStore#saveWhole',
    removes: 'A request in flight during a logout writes the destroyed session back (a plain SET): the copied cookie is ' +
      'signed in again.',
    edits: [ { file: 'lib/store/redis.ts', search: "await this.client.set(key, text, 'PX', ttl, 'XX')", replace: "await this.client.set(key, text, 'PX', ttl)" } ],
    tests: [ 'security-store' ],
    killer: 'logout with a flash while a slow request',
  },
  {
    name: 'redis-pexpire-gone',
    defence: 'an unchanged session is refreshed only while it exists (PEXPIRE answers 1)',
    where: 'lib/store/redis.ts:RedisStore#saveWhole',
    removes: "A rolling/renewed save of an unchanged session takes PEXPIRE's 0 (key gone) for success: the request thinks it " +
      'wrote a session that was logged out meanwhile and hands the dead id back to the browser.',
    edits: [ { file: 'lib/store/redis.ts', search: 'if (same && await this.client.pexpire(key, ttl) === 1) return loaded;',
      replace: 'if (same) { await this.client.pexpire(key, ttl); return loaded; }' } ],
    tests: [ 'commit-sequences' ],
    killer: 'a rolling request that changed nothing',
  },
  {
    name: 'redis-merge-gone',
    defence: 'the merge save script writes a loaded session back only while it exists',
    where: "lib/store/redis.ts:SAVE_SESSION_FIELDS (`if kind == 'none' then return 0 end`)",
    removes: 'With redis.merge the late save of a logged-out session recreates its key from the full fields.',
    edits: [ { file: 'lib/store/redis.ts', search: "  if kind == 'none' then return 0 end\n", replace: '' } ],
    tests: [ 'security-store' ],
    killer: 'the late merge save does not write the old key back',
  },
  {
    name: 'memory-write-gone',
    defence: 'the memory store writes a loaded session back only while it exists',
    where: 'lib/store/memory.ts:MemoryStore.write',
    removes: 'A request in flight during a logout re-creates the destroyed entry.',
    edits: [ { file: 'lib/store/memory.ts', search: '    if (snapshot && !this.#entries.has(id)) return;\n', replace: '' } ],
    tests: [ 'security-store' ],
    killer: 'logout with a flash while a slow request',
  },
  {
    name: 'regenerate-destroyed-meanwhile',
    defence: 'a regenerate() of a session destroyed meanwhile does not carry it to a new id',
    where: 'lib/request/store-session.ts:StoreSession.destroyedMeanwhile',
    removes: 'A login overtaken by a logout copies the logged-out session (and its user) to a new id: the logout is undone.',
    edits: [ { file: 'lib/request/store-session.ts', search: 'const gone = builtin ? existed === false : before === undefined;', replace: 'const gone = false;' } ],
    tests: [ 'security-store' ],
    killer: 'regenerate() in a slow request that a logout overtook',
  },
  {
    name: 'session-null-new-id',
    defence: 'after `ctx.session = null` a new session in the same request gets a new id',
    where: 'lib/request/owner.ts:RequestSession.set',
    removes: 'Logout-then-login in one request keeps the old id (fixation: whoever knew the old id is signed in).',
    edits: [ { file: 'lib/request/owner.ts', search: 'if (replacing && this.storeSession && this.externalKey) {', replace: 'if (false) {' } ],
    tests: [ 'security-store' ],
    killer: 'ctx.session = null; ctx.session = { a: 1 } gets a new id',
  },
  // ---- Resurrection: the dead-id rule (lib/request/store-session.ts) ----
  {
    name: 'dead-id-write',
    defence: 'an id a request destroyed, or whose write back was refused, is never written again by that request',
    where: 'lib/request/store-session.ts:StoreSession.write (endIfDead)',
    removes: "A second save() in the request after a refused one goes out as a new write (the first was 'gone', the second " +
      'sees no snapshot): a session logged out meanwhile is recreated.',
    edits: [ { file: 'lib/request/store-session.ts', search: '    if (this.endIfDead(id)) return false;\n', replace: '' } ],
    tests: [ 'commit-sequences' ],
    killer: 'a request that saves, then signs its user out and saves again',
  },
  {
    name: 'dead-id-destroy',
    defence: 'an id the request destroyed stays dead for it',
    where: 'lib/request/store-session.ts:StoreSession.destroy (#dead marking)',
    removes: 'An id destroyed by this request (logout, regenerate) is not marked dead: a later save in the same request ' +
      'writes it again, and its cookie is not cleared.',
    edits: [ { file: 'lib/request/store-session.ts', search: "    if (this.#dead.get(id) !== 'elsewhere') this.#dead.set(id, 'here');\n", replace: '' } ],
    tests: [ 'control-redis' ],
    killer: 'after regenerate(), ctx.sessions is the new session',
  },
  {
    name: 'dead-id-refused',
    defence: 'an id whose write back was refused is dead for the request (no cookie handed back)',
    where: 'lib/request/store-session.ts:StoreSession#refused',
    removes: 'A refused write is forgotten: the second save recreates the session logged out elsewhere.',
    edits: [ { file: 'lib/request/store-session.ts', search: "    this.#dead.set(id, 'elsewhere');\n    this.endIfDead(id);\n", replace: '    this.endIfDead(id);\n' } ],
    tests: [ 'commit-sequences' ],
    killer: 'a request that saves, then signs its user out and saves again',
  },
  // ---- Replay after revocation: cookie sessions ----
  {
    name: 'cookie-revocation',
    defence: 'every accepted cookie passes the revocation check (its sign-in generation against the user\'s)',
    where: 'lib/request/cookie-session.ts:CookieSession.revoked',
    removes: 'destroyAll()/destroyOthers() no longer end cookie sessions: a stolen cookie stays signed in.',
    edits: [ { file: 'lib/request/cookie-session.ts', search: 'return (hidden._gen ?? 0) < gen ? data : undefined;', replace: 'return undefined;' } ],
    tests: [ 'control-revocation' ],
    killer: "destroyAll rejects the user's cookie sessions signed in before it",
  },
  {
    name: 'cookie-unknown-gen',
    defence: 'an unknown sign-in generation counts as before any revocation (cookie check)',
    where: 'lib/request/cookie-session.ts:CookieSession.revoked (`?? 0`)',
    removes: 'A cookie without a sign-in generation (an @eggjs/session cookie, a cookie from before session control) ' +
      'is never revoked.',
    edits: [ { file: 'lib/request/cookie-session.ts', search: 'return (hidden._gen ?? 0) < gen ? data : undefined;', replace: 'return (hidden._gen ?? Infinity) < gen ? data : undefined;' } ],
    tests: [ 'security-store' ],
    killer: 'a signed legacy cookie and a sealed cookie of the user are accepted, then refused after destroyAll',
  },
  {
    name: 'sign-in-unknown-gen',
    defence: 'an unknown sign-in generation counts as before any revocation (the loaded stamp)',
    where: 'lib/request/sign-in.ts:SignIn constructor (`hidden._gen ?? 0`)',
    removes: 'A session loaded without a generation is stamped "newest" when it is written back (a legacy cookie re-sealed, ' +
      'a store session another store wrote): no destroyAll ever revokes it.',
    edits: [ { file: 'lib/request/sign-in.ts', search: 'gen: hidden._gen ?? 0 }', replace: 'gen: hidden._gen ?? Number.MAX_SAFE_INTEGER }' } ],
    tests: [ 'security-store' ],
    killer: 'a store session the index never held',
  },
  {
    name: 'unchecked-route',
    defence: 'with session control, a route the middleware skips reads no signed-in cookie session',
    where: 'lib/request/reader.ts:SessionReader.initFromCookie',
    removes: 'A route outside the session middleware (ignore/match) trusts a revoked cookie: nothing checked it.',
    edits: [ { file: 'lib/request/reader.ts', search: 'this.unchecked = Boolean(this.settings.control && !this.guarded && this.accepted!.user);', replace: 'this.unchecked = false;' } ],
    tests: [ 'control-revocation' ],
    killer: 'sees no signed-in cookie session',
  },
  // ---- Replay after revocation: store sessions and the index (lib/request/store-session.ts, lib/control/*) ----
  {
    name: 'store-vet',
    defence: 'a store session the index does not hold is vetted against the revocation record',
    where: 'lib/request/store-session.ts:StoreSession.loaded (#vet)',
    removes: 'A store session written while an index write failed (or by another store before the switch) survives ' +
      '"log out everywhere".',
    edits: [ { file: 'lib/request/store-session.ts', search: 'return this.#control ? this.#vet(id, signIn) : false;', replace: 'return false;' } ],
    tests: [ 'security-store' ],
    killer: 'a store session the index never held',
  },
  {
    name: 'keeper-vet',
    defence: 'the revocation vet answers what the index says',
    where: 'lib/control/index-keeper.ts:IndexKeeper.revokedStoreSession',
    removes: "The index's verdict is dropped: unindexed store sessions are never refused.",
    edits: [ { file: 'lib/control/index-keeper.ts', search: 'return revoked === FAILED ? revoked : revoked === 1;', replace: 'return revoked === FAILED ? revoked : false;' } ],
    tests: [ 'security-store' ],
    killer: 'a store session the index never held',
  },
  {
    name: 'lua-tombstone',
    defence: 'the index keeps tombstones: a destroyed session is never indexed again',
    where: 'lib/control/index-scripts.ts:revoked() (tombstone check)',
    removes: "A late write of a destroyed session re-indexes it (store sessions without an existence check, e.g. an app's " +
      'own store): resurrection through the index.',
    edits: [ { file: 'lib/control/index-scripts.ts', search: "    if redis.call('ZSCORE', dead, ref) then return true end\n", replace: '' } ],
    tests: [ 'control-resurrection' ],
    killer: 'a signed-in session logged out meanwhile (no "destroy all"',
  },
  {
    name: 'lua-generation',
    defence: "a session stamped before its user's generation is revoked",
    where: 'lib/control/index-scripts.ts:revoked() (stamp < generation)',
    removes: 'The generation rule goes: sessions the index does not hold, and late writes after a destroy-all, stay signed in.',
    edits: [ { file: 'lib/control/index-scripts.ts', search: "  return stamp < (tonumber(redis.call('HGET', revocation, 'gen')) or 0)\n", replace: '  return false\n' } ],
    tests: [ 'security-store' ],
    killer: 'a store session the index never held',
  },
  {
    name: 'lua-index-stamp',
    defence: "the sessions a destroy-all kept are judged by the index's (restamped) stamp",
    where: "lib/control/index-scripts.ts:revoked() (the index's stamp for kept sessions)",
    removes: 'The device destroyOthers() kept is refused once its vet runs again (its own stamp is older than the new ' +
      'generation): "log out everywhere else" logs this device out too.',
    edits: [ { file: 'lib/control/index-scripts.ts', search: '    if indexed then stamp = tonumber(indexed) end\n', replace: '' } ],
    tests: [ 'control-redis' ],
    killer: 'control.destroyAll(user, { except }) from outside a request',
  },
  {
    name: 'lua-restamp-kept',
    defence: 'a destroy-all restamps the sessions it keeps',
    where: 'lib/control/index-scripts.ts:revokeAll',
    removes: 'Kept sessions keep their old stamp and are refused by the generation rule right after.',
    edits: [ { file: 'lib/control/index-scripts.ts', search: "    redis.call('ZADD', stamps, gen, ARGV[i])\n", replace: '' } ],
    tests: [ 'control-redis' ],
    killer: 'the device kept by destroyOthers() stays signed in past touchInterval',
  },
  {
    name: 'lua-upsert-revoked',
    defence: 'the index refuses to index a revoked or destroyed session (upsert)',
    where: 'lib/control/index-scripts.ts:upsert',
    removes: 'A late write of a session destroyed meanwhile (or signed in before a destroy-all) is indexed again.',
    edits: [ { file: 'lib/control/index-scripts.ts', search: 'if revoked(ref, stamp) then return { 0 } end\n', replace: '' } ],
    tests: [ 'control-resurrection' ],
    killer: 'a signed-in session destroyed meanwhile is destroyed again after the late write',
  },
  {
    name: 'lua-caller',
    defence: 'a revoked caller does nothing (REVOKE_ALL and REMOVE check the calling session in the same script)',
    where: 'lib/control/index-scripts.ts:callerRevoked',
    removes: 'A device signed out meanwhile can still sign other devices out (a thief logs the owner out everywhere).',
    edits: [ { file: 'lib/control/index-scripts.ts', search: '  return callerStamp >= 0 and revoked(callerRef, callerStamp)\n', replace: '  return false\n' } ],
    tests: [ 'control-redis' ],
    killer: 'a request in flight cannot escape',
  },
  {
    name: 'lua-caller-revoke-all',
    defence: 'a revoked caller cannot run a destroy-all',
    where: 'lib/control/index-scripts.ts:revokeAll (callerRevoked)',
    removes: 'Only the destroy-all script forgets to check its caller.',
    edits: [ { file: 'lib/control/index-scripts.ts', search: "if callerRevoked(ARGV[3], tonumber(ARGV[4])) then return { 'gone' } end\n", replace: '' } ],
    tests: [ 'control-redis' ],
    killer: 'a request in flight cannot escape',
  },
  {
    name: 'lua-caller-remove',
    defence: 'a revoked caller cannot destroy another device',
    where: 'lib/control/index-scripts.ts:remove (callerRevoked)',
    removes: 'Only the one-device destroy forgets to check its caller.',
    edits: [ { file: 'lib/control/index-scripts.ts', search: 'if callerRevoked(ARGV[3], tonumber(ARGV[4])) then return false end\n', replace: '' } ],
    tests: [ 'control-redis' ],
    killer: 'by signing another device out (ctx.sessions.destroy(id))',
  },
  {
    name: 'caller-gone',
    defence: "a request whose session was refused meanwhile acts as 'gone' (its ctx.sessions calls do nothing)",
    where: 'lib/request/store-session.ts:StoreSession.caller',
    removes: "The request's dead session is taken as a caller the index then checks by a ref that no longer exists.",
    edits: [ { file: 'lib/request/store-session.ts', search: "    if (dead === 'elsewhere') return 'gone';\n", replace: '' } ],
    tests: [ 'control-redis' ],
    killer: 'a request in flight cannot escape',
    equivalent: 'The index checks the caller too (lua-caller, lua-caller-remove): an id this request marks dead ' +
      "'elsewhere' was destroyed by a request that wrote its tombstone (this request's own destroy in regenerate() writes " +
      'one as well), or refused by the index by the same rule, so REVOKE_ALL and REMOVE refuse the caller anyway. It ' +
      "differs only when the session expired in the store while the request ran, or when another request's tombstone " +
      "write failed and this request never destroyed the id: the caller is then still the session's own user. Defence in " +
      'depth (it saves the script call); not run by default.',
  },
  {
    name: 'signout-tombstone',
    defence: 'a session handed to another user while it was destroyed meanwhile is not brought back',
    where: 'lib/control/index-scripts.ts:signOut (tombstone check)',
    removes: "The user switch of a destroyed session is taken as a plain sign-out: the late write lands under the new user.",
    edits: [ { file: 'lib/control/index-scripts.ts', search: "if redis.call('ZSCORE', dead, ARGV[1]) then return 0 end\n", replace: '' } ],
    tests: [ 'commit-sequences' ],
    killer: 'a request that signs its user out (the session lives on)',
  },
  {
    name: 'loaded-stamp-kept',
    defence: 'the user a session was loaded with keeps its sign-in generation for the whole request',
    where: 'lib/request/owner.ts:RequestSession#stampOf (signIn.known)',
    removes: 'Every write stamps the user at the generation of the moment: a request in flight during a "log out ' +
      'everywhere" saves its session as a fresh sign-in and escapes the revocation (a thief keeps a stolen session by ' +
      'keeping a slow request open).',
    edits: [ { file: 'lib/request/owner.ts', search: 'return signIn.known(user) ?? signIn.signIn(user, now,', replace: 'return signIn.signIn(user, now,' } ],
    tests: [ 'control-revocation' ],
    killer: 'a request in flight cannot escape',
  },
  {
    name: 'confirm-kept',
    defence: 'a session a destroy-all of its own request kept moves to the new generation',
    where: 'lib/request/sign-in.ts:SignIn.confirm',
    removes: 'destroyOthers() keeps this device in the index, but its own record keeps the old generation: its next save ' +
      '(or cookie) is refused by the revocation it ran.',
    edits: [ { file: 'lib/request/sign-in.ts', search: 'if (signed) signed.gen = Math.max(signed.gen, gen);', replace: 'if (signed) void gen;' } ],
    tests: [ 'control-revocation' ],
    killer: 'ctx.sessions.destroyOthers() on a cookie session keeps this device and revokes the others',
  },
  {
    name: 'touch-interval-cap',
    defence: 'an index entry never lapses before the session it stands for (touchInterval at most half of every lifetime)',
    where: 'lib/control/index-keeper.ts:IndexKeeper constructor',
    removes: 'A browser-session store session in use outlives its index entry (redis.sessionTTL under twice touchInterval): ' +
      '"log out everywhere" no longer finds it.',
    edits: [ { file: 'lib/control/index-keeper.ts', search: 'Math.min(config.control.touchInterval, Math.floor(config.redis.sessionTTL / 2), Math.floor(maxAge / 2))',
      replace: 'Math.min(config.control.touchInterval, Math.floor(maxAge / 2))' } ],
    tests: [ 'control-redis' ],
    killer: 'a browser-session session in use is still signed out by destroyOthers() after its first TTL',
    equivalent: 'The write path holds the same rule again: #indexedRecently re-indexes on every save a session whose ' +
      'lifetime is under two intervals (`expiresAt - now >= 2 * interval`), exactly the sessions the cap shortens the ' +
      'interval for, so their index entries keep up with the store either way. Left to the cap: how often a read-only ' +
      'request writes "last seen" and re-vets a session this process saw, which changes no session\'s fate in a way a ' +
      'test over HTTP can tell apart (the 10 s a store entry outlives its index entry aside). Not run by default.',
  },
  // ---- Prototype pollution, poisoned values (lib/json.ts) ----
  {
    name: 'json-proto',
    defence: '`__proto__` is refused at any depth',
    where: 'lib/json.ts:rejectUnsafeKeys',
    removes: 'A nested "__proto__" key of a cookie or stored value becomes an own key that a merge (Object.assign, ' +
      'lodash.merge) turns into a prototype replacement.',
    edits: [ { file: 'lib/json.ts', search: "  if (key === '__proto__') throw UNSAFE_KEY_FOUND;\n", replace: '' } ],
    tests: [ 'sealed-cookies' ],
    killer: '__proto__',
  },
  {
    name: 'json-proto-escaped',
    defence: '`__proto__` is refused in escaped spellings too',
    where: 'lib/json.ts:MAY_BE_UNSAFE',
    removes: 'The pre-check that sends texts to the reviver misses "\\u005f_proto__": the escaped key skips the reviver.',
    edits: [ { file: 'lib/json.ts', search: 'const MAY_BE_UNSAFE = /__proto__|\\\\u/;', replace: 'const MAY_BE_UNSAFE = /__proto__/;' } ],
    tests: [ 'sealed-cookies' ],
    killer: 'escaped',
  },
  {
    name: 'json-depth',
    defence: 'session JSON nested deeper than 256 levels is refused',
    where: 'lib/json.ts:parseJsonObject',
    removes: 'A sealed (or stored) value nested thousands of levels deep is accepted: a recursive JSON.stringify of it ' +
      'overflows the stack, a 500 on every request of that session.',
    edits: [ { file: 'lib/json.ts', search: '  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) return;\n', replace: '' } ],
    tests: [ 'sealed-cookies' ],
    killer: 'sealed nested 300 levels deep',
  },
  {
    name: 'session-model-keys',
    defence: 'stored values with Session model keys (toJSON, save, maxAge, ...) are session:invalid, never a 500',
    where: 'lib/json.ts:isSessionShaped',
    removes: 'A stored {"toJSON":1} replaces a method of koa-session\'s Session: every request of it answers 500.',
    edits: [ { file: 'lib/json.ts', search: "return !Object.hasOwn(value, '__proto__') && !SESSION_MODEL_KEYS.some(key => Object.hasOwn(value, key));",
      replace: "return !Object.hasOwn(value, '__proto__');" } ],
    tests: [ 'security-store' ],
    killer: 'in Redis is session:invalid, 200 and a fresh session',
  },
  {
    name: 'class-instances',
    defence: 'a loaded value must be a plain object (no class instance)',
    where: 'lib/json.ts:isSessionShaped',
    removes: "An app decode returning a Date or Map becomes the session (koa-session copies its own keys: an empty, " +
      'broken session instead of session:invalid).',
    edits: [ { file: 'lib/json.ts', search: '  if (proto !== Object.prototype && proto !== null) return false;\n', replace: '' } ],
    tests: [ 'security-cookie' ],
    killer: '200, a fresh session and session:invalid',
  },
  {
    name: 'flash-proto',
    defence: "ctx.flash('__proto__', ...) throws",
    where: 'lib/flash.ts:flash',
    removes: "A flash type taken from the request replaces the flash bag's prototype.",
    edits: [ { file: 'lib/flash.ts', search: "    if (type === '__proto__') throw new TypeError(", replace: "    if (false) throw new TypeError(" } ],
    tests: [ 'security-cookie' ],
    killer: "ctx.flash('__proto__', 'x') throws a TypeError",
  },
  // ---- What the plugin writes reads back (lib/json.ts refusalOf, lib/request/owner.ts save) ----
  {
    name: 'writer-refusal',
    defence: 'the writer refuses what the reader would refuse, naming the key (the session lives on)',
    where: 'lib/request/owner.ts:RequestSession.save',
    removes: 'A write of a Session model key, 256+ levels or __proto__ answers 200 and the next request is an empty ' +
      'session: an app storing client-named keys lets a user sign themselves (or a shared account) out silently.',
    edits: [ { file: 'lib/request/owner.ts', search: '    if (refusal) throw new TypeError(', replace: '    if (false) throw new TypeError(' } ],
    tests: [ 'app-data' ],
    killer: 'a Session model key, data nested 256 levels or deeper, a __proto__ key',
  },
  {
    name: 'refusal-model-keys',
    defence: 'the writer refuses Session model keys',
    where: 'lib/json.ts:refusalOf',
    removes: 'Only the Session model key rule is dropped from the writer.',
    edits: [ { file: 'lib/json.ts', search: "  if (reserved) return `ctx.session.${reserved} is a name of the session's own API`;\n", replace: '' } ],
    tests: [ 'app-data' ],
    killer: 'a Session model key, data nested 256 levels or deeper, a __proto__ key',
  },
  {
    name: 'refusal-depth',
    defence: 'the writer refuses data nested 256 levels or deeper',
    where: 'lib/json.ts:refusalOf',
    removes: 'Only the depth rule is dropped from the writer.',
    edits: [ { file: 'lib/json.ts', search: '  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {\n    const deep', replace: '  if (false) {\n    const deep' } ],
    tests: [ 'app-data' ],
    killer: 'a Session model key, data nested 256 levels or deeper, a __proto__ key',
  },
  {
    name: 'refusal-proto',
    defence: 'the writer refuses a __proto__ key',
    where: 'lib/json.ts:refusalOf',
    removes: 'Only the __proto__ rule is dropped from the writer.',
    edits: [ { file: 'lib/json.ts', search: "  if (MAY_BE_UNSAFE.test(text) && !parseJsonObject(text)) return 'the session holds a \"__proto__\" key';\n", replace: '' } ],
    tests: [ 'app-data' ],
    killer: 'a Session model key, data nested 256 levels or deeper, a __proto__ key',
  },
  // ---- The user session control indexes (lib/request/sign-in.ts, hidden.ts) ----
  {
    name: 'user-strict',
    defence: 'a user value session control cannot index fails the write naming userKey',
    where: 'lib/request/sign-in.ts:userReader (strict throw)',
    removes: 'ctx.session.userId = { id } signs in silently outside revocation: never indexed, list() is [], destroyAll() ' +
      'answers success and the copied cookie stays signed in.',
    edits: [ { file: 'lib/request/sign-in.ts', search: "    if (strict && (through || (value !== undefined && value !== null && value !== ''))) {", replace: '    if (false) {' } ],
    tests: [ 'app-data' ],
    killer: 'an object as the user fails the write naming userKey',
  },
  {
    name: 'user-invalid-on-read',
    defence: 'a session read with a user value session control cannot index is session:invalid',
    where: 'lib/request/hidden.ts:verdictOn (catch)',
    removes: 'A session written with an object as its user (before session control was turned on, or by another writer of ' +
      'the store) is loaded as signed in, outside revocation.',
    edits: [ { file: 'lib/request/hidden.ts', search: "    return { event: 'invalid', hidden };\n  }\n  return revoked", replace: '    return { hidden };\n  }\n  return revoked' } ],
    tests: [ 'app-data' ],
    killer: 'is session:invalid when read back with session control on',
  },
  // ---- Absolute timeout, lifetimes, hidden fields (lib/request/hidden.ts, owner.ts) ----
  {
    name: 'absolute-max-age',
    defence: 'absoluteMaxAge ends every accepted cookie and store session',
    where: 'lib/request/hidden.ts:readHidden',
    removes: 'A session kept active (rolling, renew, every request) lives for ever.',
    edits: [ { file: 'lib/request/hidden.ts', search: 'if (absoluteMaxAge && hidden._created !== undefined && hidden._created + absoluteMaxAge <= now) {', replace: 'if (false) {' } ],
    tests: [ 'commit-sequences' ],
    killer: 'assigning the session anew keeps its creation time: absoluteMaxAge still ends it',
  },
  {
    name: 'created-same-user',
    defence: 'a new session object for the loaded user keeps its creation time',
    where: 'lib/request/owner.ts:RequestSession.save',
    removes: '`ctx.session = null; ctx.session = { userId }` (the same user) starts absoluteMaxAge again: a session renews ' +
      'its absolute timeout by itself.',
    edits: [ { file: 'lib/request/owner.ts', search: 'const created = (existed || (user && user.id === this.signIn?.loaded?.user) ? this.created : undefined) ?? now;',
      replace: 'const created = (existed ? this.created : undefined) ?? now;' } ],
    tests: [ 'commit-sequences' ],
    killer: 'a new session object for the same user (null, then an object) keeps its creation time',
  },
  {
    name: 'created-from-app-data',
    defence: 'hidden fields come from what was read, never from the session object (creation time)',
    where: 'lib/request/owner.ts:RequestSession.save',
    removes: 'A `_created` the app copied into the session (from a request) becomes the creation time: absoluteMaxAge reset.',
    edits: [ { file: 'lib/request/owner.ts', search: '? this.created : undefined) ?? now;', replace: '? ((this.session as any)._created ?? this.created) : undefined) ?? now;' } ],
    tests: [ 'app-data' ],
    killer: 'no hidden field is taken from data the app assigned',
  },
  {
    name: 'lifecycle-ref',
    defence: "a cookie session's lifecycle ref comes from what was read, never from the session object",
    where: 'lib/request/owner.ts:RequestSession.save (this.hidden._ref)',
    removes: "A `_ref` the app copies from a request (`/set?_ref=...`) is sealed and reported as ref/previousRef: an attacker " +
      "takes a victim's ref, forges audit log lines with a newline, or bloats the cookie.",
    edits: [ { file: 'lib/request/owner.ts', search: 'ref: store ? undefined : this.hidden._ref ?? newCookieRef()', replace: 'ref: store ? undefined : (this.session as any)._ref ?? newCookieRef()' } ],
    tests: [ 'app-data' ],
    killer: 'a `_ref` copied from a request is neither sealed in the cookie nor reported',
  },
  {
    name: 'browser-session-ttl',
    defence: "browser-session (maxAge 'session') cookies carry a server-checked expiry",
    where: 'lib/request/hidden.ts:stampHidden',
    removes: 'A browser-session cookie copied once is valid for ever (the browser forgets it, the copy does not).',
    edits: [ { file: 'lib/request/hidden.ts', search: "  if (maxAge === 'session' && sessionTTL) hidden._expire = now + sessionTTL;\n", replace: '' } ],
    tests: [ 'security-cookie' ],
    killer: 'a cookie not rewritten for more than sessionTTL',
  },
  {
    name: 'max-lifetime',
    defence: 'no session lives more than 400 days after its last write',
    where: 'lib/request/hidden.ts:checkedLifetime',
    removes: 'An app-set lifetime over 400 days is written as is (the server accepts a cookie far longer than a browser keeps it).',
    edits: [ { file: 'lib/request/hidden.ts', search: 'return Math.min(Math.ceil(maxAge), MAX_LIFETIME);', replace: 'return Math.ceil(maxAge);' } ],
    tests: [ 'commit-sequences' ],
    killer: 'a lifetime over 400 days set by the app is sent as 400 days',
  },
  // ---- Fixation and CSRF (lib/request/owner.ts) ----
  {
    name: 'csrf-regenerate',
    defence: "regenerate() rotates egg's CSRF secret",
    where: 'lib/request/owner.ts:RequestSession.commit (#rotateCsrf)',
    removes: 'A CSRF token learned before the login (on a shared computer, from a page cached before it) still works after it.',
    edits: [ { file: 'lib/request/owner.ts', search: '    if (regenerate) this.#rotateCsrf();\n', replace: '    if (false) this.#rotateCsrf();\n' } ],
    tests: [ 'csrf-rotation' ],
    killer: 'a token learned before the login is refused after it',
  },
  {
    name: 'csrf-destroyed-meanwhile',
    defence: 'a regenerate() that finds its session destroyed meanwhile rotates the CSRF secret too',
    where: 'lib/request/owner.ts:RequestSession#regenerate (destroyed-meanwhile path)',
    removes: 'A login overtaken by a logout goes on with a fresh session but the old CSRF secret.',
    edits: [ { file: 'lib/request/owner.ts', search: '      this.create();\n      this.#rotateCsrf();\n      return false;', replace: '      this.create();\n      return false;' } ],
    tests: [ 'csrf-rotation' ],
    killer: 'the login goes on with a fresh session and a new secret',
  },
  {
    name: 'regenerate-on-sign-in',
    defence: 'a session whose user changes moves to a new id and CSRF secret by itself (regenerateOnSignIn)',
    where: 'lib/request/owner.ts:RequestSession.commit (#userChanged)',
    removes: 'An app that signs in without regenerate() keeps the id from before the login (fixation: an id planted in the ' +
      "victim's browser becomes a signed-in one) and the CSRF secret.",
    edits: [ { file: 'lib/request/owner.ts', search: '    if (this.session) regenerate = this.#userChanged() || regenerate;\n', replace: '    if (this.session) this.#userChanged();\n' } ],
    tests: [ 'csrf-rotation' ],
    killer: 'the signed-in session has a new id',
  },
  // ---- Split sessions (lib/cookie/chunks.ts) ----
  {
    name: 'chunk-bound',
    defence: "the first chunk's count is bounded by maxCookieChunks when reading",
    where: 'lib/cookie/chunks.ts:joinChunks',
    removes: 'A request names up to 99 chunks: the plugin reads (and a later response clears) far more cookies than it ' +
      'ever writes.',
    edits: [ { file: 'lib/cookie/chunks.ts', search: '  if (count > maxChunks) return;\n', replace: '' } ],
    tests: [ 'cookie-split' ],
    killer: 'a genuine sealed value split into more chunks than maxCookieChunks',
  },
  // ---- Legacy cookies (lib/cookie/legacy.ts) ----
  {
    name: 'legacy-encrypted-opt-in',
    defence: 'egg-encrypted legacy cookies are refused unless legacyEncryptedCookies: true',
    where: 'lib/cookie/legacy.ts:readLegacy',
    removes: "Any egg-encrypted cookie of the app (egg encrypts every name alike, no MAC) replays as the session cookie.",
    edits: [ { file: 'lib/cookie/legacy.ts', search: 'const decrypted = acceptEncrypted ? ctx.cookies.get(key, { encrypt: true, signed: false }) : undefined;',
      replace: 'const decrypted = ctx.cookies.get(key, { encrypt: true, signed: false });' } ],
    tests: [ 'security-cookie' ],
    killer: 'is refused by default',
  },
  {
    name: 'legacy-signature',
    defence: "a signed legacy cookie is accepted only when its .sig verifies",
    where: 'lib/cookie/legacy.ts:readLegacy',
    removes: 'Any base64 JSON is a session: a client writes its own (userId: admin).',
    edits: [ { file: 'lib/cookie/legacy.ts', search: 'if (signed === raw) return decodeBase64Json(signed);', replace: 'if (raw) return decodeBase64Json(raw);' } ],
    tests: [ 'legacy-cookie-upgrade' ],
    killer: 'with a forged value',
  },
  // ---- Lying to the browser, credentials in logs (lib/store/adapter.ts, deadlines.ts) ----
  {
    name: 'error-log-context',
    defence: "[session][error] lines are logged in the failing request's context",
    where: 'lib/store/adapter.ts:StoreAdapter#call with lib/store/deadlines.ts:withTimeout',
    removes: "The old build's shape: the failure report runs as a callback from the shared timeout timer, in the async " +
      'context of the request that armed the timer: in an outage, errors carry another user\'s URL and IP. (Two files: ' +
      'the callback is what the adapter passes and what the timer calls.)',
    edits: [
      { file: 'lib/store/deadlines.ts', search: 'export function withTimeout<T>(work: Promise<T> | T, ms: number, operation: string): Promise<T> {',
        replace: 'export function withTimeout<T>(work: Promise<T> | T, ms: number, operation: string, recover?: (error: unknown) => T): Promise<T> {' },
      { file: 'lib/store/deadlines.ts', search: 'const entry = deadlines.add(() => reject(new Error(`${operation} timed out after ${ms}ms`)));',
        replace: 'const entry = deadlines.add(() => {\n      const error = new Error(`${operation} timed out after ${ms}ms`);\n' +
          '      if (!recover) return reject(error);\n      try { resolve(recover(error)); } catch (thrown) { reject(thrown); }\n    });' },
      { file: 'lib/store/adapter.ts', search: 'return await withTimeout(call(), this.#settings.timeout, `session store ${operation}`);',
        replace: 'return await withTimeout<T | Failed>(call(), this.#settings.timeout, `session store ${operation}`, error => storeFailed(ctx, this.#settings, operation, error, id, !this.builtin));' },
    ],
    tests: [ 'store-error-log' ],
    killer: 'each [session][error] line carries its own request',
  },
  {
    name: 'error-event-id',
    defence: 'session:error names a store session by its reference, never its id',
    where: 'lib/store/adapter.ts:storeFailed',
    removes: 'The event payload carries the live session id: an app forwarding session:error to monitoring ships credentials.',
    edits: [ { file: 'lib/store/adapter.ts', search: "key: ref ? `ref:${ref}` : key,", replace: 'key: id ?? key,' } ],
    tests: [ 'store-error-log' ],
    killer: 'each [session][error] line carries its own request',
  },
  {
    name: 'error-log-ref',
    defence: '[session][error] names a store session by its reference',
    where: 'lib/store/adapter.ts:storeFailed',
    removes: 'The log line (and event key) carries the id: logs hold live credentials.',
    edits: [ { file: 'lib/store/adapter.ts', search: 'const ref = id && refOf(id);', replace: 'const ref = id;' } ],
    tests: [ 'security-store' ],
    killer: "a store failure is logged with the session's reference",
  },
  // ---- Config that boots but cannot work (lib/config.ts, lib/request/setup.ts, lib/session-id.ts) ----
  {
    name: 'config-cookie-name',
    defence: 'config.session.key must be a cookie-name token',
    where: 'lib/config.ts:COOKIE_NAME',
    removes: "A key like 'a;b' boots: every Set-Cookie line is malformed (the session cookie is dropped or split by the " +
      'browser, or injects attributes).',
    edits: [ { file: 'lib/config.ts', search: "const COOKIE_NAME = /^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$/;", replace: 'const COOKIE_NAME = /^.+$/;' } ],
    tests: [ 'security-config' ],
    killer: "key: 'a;b' (not a cookie-name token) fails the boot",
  },
  {
    name: 'config-max-age',
    defence: 'config.session.maxAge is at most 400 days',
    where: 'lib/config.ts:KOA_OPTIONS.maxAge',
    removes: 'A lifetime the browser caps at 400 days is kept longer on the server (a copied cookie outlives the browser\'s).',
    edits: [ { file: 'lib/config.ts', search: 'maxAge: z.union([ milliseconds.max(MAX_LIFETIME), z.literal(\'session\') ],', replace: 'maxAge: z.union([ milliseconds, z.literal(\'session\') ],' } ],
    tests: [ 'security-config' ],
    killer: 'maxAge: 1e16 (over 400 days) fails the boot',
  },
  {
    name: 'split-needs-sealed',
    defence: "onCookieTooLarge: 'split' needs sealed cookies",
    where: 'lib/request/setup.ts:installRequestOwner',
    removes: "Split signed cookies boot: the `.sig` covers the first chunk only, so the client rewrites the others at will.",
    edits: [ { file: 'lib/request/setup.ts', search: "if (config.onCookieTooLarge === 'split' && !sealed) {", replace: 'if (false) {' } ],
    tests: [ 'security-config' ],
    killer: "onCookieTooLarge: 'split' with encrypt: false fails the boot",
  },
  {
    name: 'genid-boot-check',
    defence: "a custom genid's ids are accepted only signed, in the plugin's own cookie",
    where: 'lib/session-id.ts:assertSessionIdsCanBeTrusted',
    removes: 'A custom genid with signed: false (or an externalKey) boots: ids the plugin cannot check by shape reach the ' +
      'store as the client sends them (any key the SAFE_ID alphabet allows).',
    edits: [ { file: 'lib/session-id.ts', search: '  if (!genid || (!externalKey && !idHeader && signed)) return;\n', replace: '  return;\n' } ],
    tests: [ 'security-config' ],
    killer: 'a custom genid with unsigned ids',
  },
  // ---- The per-user index is bounded (lib/control/index-scripts.ts, config/config.default.ts) ----
  {
    name: 'drain-limit',
    defence: "a destroy-all's scripts remove at most 500 sessions each",
    where: 'lib/control/index-scripts.ts:drain (LIMIT)',
    removes: 'One script removes every session of the user: with thousands of sessions it blocks Redis for every app ' +
      'on it (131 ms at 20,000).',
    edits: [ { file: 'lib/control/index-scripts.ts', search: "redis.call('ZRANGEBYSCORE', stamps, '-inf', '(' .. int(gen), 'LIMIT', 0, batch)",
      replace: "redis.call('ZRANGEBYSCORE', stamps, '-inf', '(' .. int(gen))" } ],
    tests: [ 'index-bound' ],
    killer: 'runs as scripts of at most 500 each',
  },
  {
    name: 'default-max-sessions',
    defence: 'the per-user index keeps 100 sessions per user by default',
    where: 'config/config.default.ts:maxSessionsPerUser',
    removes: 'Unbounded by default: one account signed in 20,000 times makes list() and destroyAll() slow and huge.',
    edits: [ { file: 'config/config.default.ts', search: '    maxSessionsPerUser: 100,\n', replace: '    maxSessionsPerUser: 0,\n' } ],
    tests: [ 'index-bound' ],
    killer: 'keeps 100 sessions per user by default',
  },
  // ---- Header session ids and sessions outside a request (lib/session-id.ts, lib/request/outside.ts) ----
  {
    name: 'header-end-signal',
    defence: 'a header client whose id names no live session is told so (an empty header)',
    where: 'lib/session-id.ts:createSessionIdReader finish',
    removes: 'A logout, revocation or unknown id leaves a header client holding its dead id, shown as signed in (koajs/session#171).',
    edits: [ { file: 'lib/session-id.ts', search: "!ctx.response.get(idHeader)) ctx.set(idHeader, '');", replace: '!ctx.response.get(idHeader)) void 0;' } ],
    tests: [ 'header-ids' ],
    killer: 'answers a logout, a revocation and an unknown id with an empty header',
  },
  {
    name: 'header-to-cookie-client',
    defence: 'the id header never goes to a request that came with its session cookie',
    where: 'lib/session-id.ts:createSessionIdReader set',
    removes: 'A page fetch with the httpOnly cookie gets the session id in a header its script can read (XSS steals the session).',
    edits: [ { file: 'lib/session-id.ts', search: "(idHeaderOnly || !ctx.get('cookie'))", replace: '(true)' } ],
    tests: [ 'header-ids' ],
    killer: 'never shows their id to page script in a header',
  },
  {
    name: 'header-only-cookie',
    defence: 'idHeaderOnly: a session cookie is ignored',
    where: 'lib/session-id.ts:createSessionIdReader get',
    removes: 'With idHeaderOnly a cookie still carries a session id: an app that turned cookies off is open to cookie-borne CSRF and fixation again.',
    edits: [ { file: 'lib/session-id.ts', search: 'header || (idHeaderOnly ? undefined : ctx.cookies.get(options.key, options))', replace: 'header || ctx.cookies.get(options.key, options)' } ],
    tests: [ 'header-ids' ],
    killer: 'sets no cookie, and ignores a session cookie',
  },
  {
    name: 'load-live-only',
    defence: 'app.sessions.load() answers only a session that exists',
    where: 'lib/request/outside.ts:loadOutsideRequest',
    removes: 'An unknown, tampered or hostile input answers a fresh empty session instead of undefined: a socket handshake is let in.',
    edits: [ { file: 'lib/request/outside.ts', search: 'if (!session || !owner.exists() || owner.anonymous) return;', replace: 'if (!session) return;' } ],
    tests: [ 'sessions-load' ],
    killer: 'answers undefined, without throwing, for unknown, tampered and hostile input',
  },
  {
    name: 'load-save-refused',
    defence: "app.sessions.load()'s save() reports a session destroyed meanwhile",
    where: 'lib/request/outside.ts:loadOutsideRequest save',
    removes: 'save() answers true for a session a logout destroyed meanwhile: the caller goes on as if it were signed in.',
    edits: [ { file: 'lib/request/outside.ts', search: 'return owner.alive();', replace: 'return true;' } ],
    tests: [ 'sessions-load' ],
    killer: 'save() after a logout elsewhere answers false',
  },
  {
    name: 'freshness-own-record',
    defence: 'sign-in freshness comes from the owner’s sign-in record, never the session object',
    where: 'lib/request/owner.ts:signedInAt',
    removes: 'signedInAt read from ctx.session._authAt: an app that copies request fields into the session lets a client make itself fresh.',
    edits: [ { file: 'lib/request/owner.ts', search: 'return (user !== undefined && this.signIn?.known(String(user))?.at) || undefined;', replace: 'return (this.session as any)?._authAt ?? ((user !== undefined && this.signIn?.known(String(user))?.at) || undefined);' } ],
    tests: [ 'sign-in-freshness' ],
    killer: 'sets on ctx.session is ignored',
  },
  {
    name: 'header-moved-silence',
    defence: 'a request whose id died elsewhere meanwhile sends no id header (the client may hold the newer one)',
    where: 'lib/request/store-session.ts:finish',
    removes: 'A slow request that a regenerate() overtook answers an empty header: a client following the README drops its new, live id.',
    edits: [ { file: 'lib/request/store-session.ts', search: 'elsewhere(this.#loaded?.id) || elsewhere(current) ? null : live,', replace: 'elsewhere(current) ? null : live,' } ],
    tests: [ 'header-ids' ],
    killer: 'sends nothing to a request whose id another request moved or ended meanwhile',
  },
  {
    name: 'header-name-reserved',
    defence: 'idHeader cannot be a header HTTP or browsers give a meaning to (set-cookie, cookie, …)',
    where: 'lib/config.ts:PLUGIN_OPTIONS.idHeader',
    removes: "idHeader: 'set-cookie' boots: the id goes out as a cookie without httpOnly, readable by page script.",
    edits: [ { file: 'lib/config.ts', search: '.refine(name => OWN_HEADER.test(name),', replace: '.refine(name => Boolean(name) || OWN_HEADER.test(name),' } ],
    tests: [ 'header-ids' ],
    killer: 'fails naming config.session.idHeader without a store',
  },
  {
    name: 'load-no-sign-in',
    defence: "app.sessions.load()'s save() never signs a session in",
    where: 'lib/request/owner.ts:commit (outsideUser)',
    removes: 'An admin tool that sets a user on a loaded session signs in an id the client (or an attacker who planted it) already holds: fixation.',
    edits: [ { file: 'lib/request/owner.ts', search: 'if (this.outsideUser && (regenerate || (user !== undefined && String(user) !== String(this.outsideUser.user)))) {', replace: 'if (false) {' } ],
    tests: [ 'sessions-load' ],
    killer: 'save() refuses to sign a session in',
  },
  {
    name: 'header-withdrawn',
    defence: 'a new id the request sent in the header but could not keep (destroyed elsewhere meanwhile) is taken back',
    where: 'lib/session-id.ts:createSessionIdReader finish',
    removes: 'A slow request that regenerated, then lost the new id to a destroyAll, hands the client a dead id in place of the one it holds.',
    edits: [ { file: 'lib/session-id.ts', search: '      if (withdraw) ctx.remove(idHeader);\n', replace: '' } ],
    tests: [ 'header-ids' ],
    killer: 'takes back a new id it could not keep',
  },
  {
    name: 'user-ignored-said',
    defence: 'without session control a user value that is no user (an object) is said in the log',
    where: 'lib/request/setup.ts:ownerSettings',
    removes: "userKey 'passport.user' holding egg-passport's user object silently turns regenerateOnSignIn off: fixation goes unnoticed.",
    edits: [ { file: 'lib/request/setup.ts', search: 'control ? true : ignored', replace: 'Boolean(control)' } ],
    tests: [ 'app-data' ],
    killer: 'without session control an object as the user counts as no user',
  },
  {
    name: 'user-path-through-string',
    defence: "a dotted userKey that runs into a string on its way is a wrong userKey, said, not \"no user\"",
    where: 'lib/request/sign-in.ts:userReader',
    removes: "userKey 'passport.user.id' over passport.user = 'alice' silently reads no user: no new id at sign-in, not indexed, not revocable.",
    edits: [ { file: 'lib/request/sign-in.ts', search: "if (typeof value !== 'object') return { value, through: typeof value };", replace: "if (typeof value !== 'object') return { value: undefined };" } ],
    tests: [ 'app-data' ],
    killer: 'runs into a string on its way',
  },
  {
    name: 'header-egg-config',
    defence: 'idHeader cannot be a header egg itself reads (CSRF header, ipHeaders, hostHeaders, protocolHeaders)',
    where: 'app.ts:willReady',
    removes: "idHeader equal to security.csrf.headerName or an ipHeaders entry boots: the session id doubles as the CSRF token or the client's IP.",
    edits: [ { file: 'app.ts', search: 'if (idHeader && egg.includes(idHeader.toLowerCase())) throw', replace: 'if (false) throw' } ],
    tests: [ 'header-ids' ],
    killer: 'fails naming config.session.idHeader without a store',
  },
];

// ------------------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const options = { only: undefined, list: false, jobs: 2, bail: false, keep: false, from: path.resolve(here, '..') };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--only') options.only = value().split(',').map(name => name.trim()).filter(Boolean);
    else if (arg === '--list') options.list = true;
    else if (arg === '--jobs') options.jobs = Math.max(1, Number.parseInt(value(), 10) || 1);
    else if (arg === '--bail') options.bail = true;
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--from') options.from = path.resolve(value());
    else if (arg === '--tests') options.tests = value().split(',').map(name => name.trim().replace(/^test\//, '').replace(/\.test\.ts$/, '')).filter(Boolean);
    else if (arg === '--help' || arg === '-h') {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport ')[0].replace(/^#!.*\n/, '').replace(/^\/\/ ?/gm, ''));
      process.exit(0);
    } else throw new Error(`unknown argument ${arg} (see --help)`);
  }
  return options;
}

const occurrences = (text, search) => text.split(search).length - 1;

/** Problems of a mutant against the tree at `root`: each search string must occur exactly once, each test file exist. */
function problemsOf(mutant, root) {
  const problems = [];
  for (const { file, search, replace } of mutant.edits) {
    const full = path.join(root, file);
    if (!fs.existsSync(full)) {
      problems.push(`${file} does not exist`);
      continue;
    }
    if (search === replace) problems.push(`${file}: the replacement equals the search string`);
    const count = occurrences(fs.readFileSync(full, 'utf8'), search);
    if (count !== 1) problems.push(`${file}: the search string occurs ${count} times (must be exactly once): ${JSON.stringify(search)}`);
  }
  for (const test of mutant.tests) if (!fs.existsSync(path.join(root, 'test', `${test}.test.ts`))) problems.push(`test/${test}.test.ts does not exist`);
  return problems;
}

function listTable(mutants, root) {
  const cell = text => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = mutants.map(m => {
    const problems = problemsOf(m, root);
    const status = problems.length ? ` **(out of date: ${problems.join('; ')})**` : '';
    const killing = m.equivalent ? `none: equivalent (${m.equivalent})` : `${m.tests.map(t => `${t}.test.ts`).join(', ')}: "${m.killer}"`;
    return `| ${cell(m.defence)} | ${cell(m.where)} | \`${m.name}\`: ${cell(m.removes)}${cell(status)} | ${cell(killing)} |`;
  });
  return [ '| defence | product file:function | mutant | killing test file:test name |', '| --- | --- | --- | --- |', ...rows ].join('\n');
}

/** Throws on a mutated TypeScript file that does not even parse (it would "kill" the mutant by a crash). */
function assertParses(root, file) {
  const ts = createRequire(path.join(root, 'package.json'))('typescript');
  const source = fs.readFileSync(path.join(root, file), 'utf8');
  const { diagnostics } = ts.transpileModule(source, { fileName: file, reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.NodeNext, target: ts.ScriptTarget.ES2022 } });
  const errors = (diagnostics ?? []).filter(d => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) throw new Error(`${file} does not parse after the mutation: ${ts.flattenDiagnosticMessageText(errors[0].messageText, '\n')}`);
}

function copyTree(from, to) {
  fs.mkdirSync(to, { recursive: true });
  const excludes = [ 'node_modules', 'dist', '.git', 'test/artifacts', 'logs', 'run', 'bench/.tmp', '.tmp', '*.tgz' ];
  const rsync = spawnSync('rsync', [ '-a', '--delete', ...excludes.flatMap(e => [ '--exclude', e ]), `${from}/`, `${to}/` ], { stdio: 'inherit' });
  if (rsync.status !== 0) throw new Error(`rsync ${from} -> ${to} failed (${rsync.status ?? rsync.signal})`);
}

const running = new Set();

/**
 * Runs one test file in `cwd`; resolves { ok, failures, seconds, output, timedOut }. The child gets its own process
 * group, so a timeout (or ^C) stops it and whatever it started (redis-servers, app workers), by its PID only.
 */
function runTestFile(cwd, test, { bail, timeoutMs }) {
  const bin = path.join(cwd, 'node_modules', '.bin', 'egg-bin');
  const args = [ 'test', '--no-mochawesome', ...(bail ? [ '--bail' ] : []), `test/${test}.test.ts` ];
  const env = { ...process.env, REQUIRE_REDIS: '1', REQUIRE_BROWSER: '1', TS_NODE_TRANSPILE_ONLY: 'true', FORCE_COLOR: '0', NO_COLOR: '1' };
  const started = Date.now();
  return new Promise(resolve => {
    const child = spawn(bin, args, { cwd, env, detached: true, stdio: [ 'ignore', 'pipe', 'pipe' ] });
    running.add(child);
    let output = '';
    child.stdout.on('data', chunk => (output += chunk));
    child.stderr.on('data', chunk => (output += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stopGroup(child);
    }, timeoutMs);
    child.on('close', code => {
      clearTimeout(timer);
      running.delete(child);
      const seconds = (Date.now() - started) / 1000;
      resolve({ ok: code === 0 && !timedOut, failures: failuresIn(output), seconds, output, timedOut });
    });
  });
}

function stopGroup(child) {
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // gone already
  }
  setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }, 5000).unref();
}

/** The failing tests of mocha's spec output: "suite › sub › it" per failure (a hook's title says "hook"). */
function failuresIn(output) {
  const lines = output.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  const start = lines.findIndex(line => /^\s+\d+ failing/.test(line));
  if (start < 0) return [];
  const failures = [];
  for (let i = start + 1; i < lines.length; i++) {
    const first = /^\s{2}(\d+)\) (.*)$/.exec(lines[i]);
    if (!first) continue;
    const parts = [ first[2].trim() ];
    // the title continues, one segment per line, until a line ending in ':'
    while (!parts[parts.length - 1].endsWith(':') && i + 1 < lines.length && lines[i + 1].trim()) parts.push(lines[++i].trim());
    parts[parts.length - 1] = parts[parts.length - 1].replace(/:$/, '');
    failures.push(parts.join(' › '));
  }
  return failures;
}

/** Runs `tasks` (async functions) at most `jobs` at a time, in order. */
async function pool(tasks, jobs) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  return results;
}

const pad = (text, width) => String(text).padEnd(width);

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const root = options.from;
  const names = new Set(MUTANTS.map(m => m.name));
  if (names.size !== MUTANTS.length) throw new Error('two mutants share a name');
  const unknown = (options.only ?? []).filter(name => !names.has(name));
  if (unknown.length) {
    console.error(`unknown mutant(s): ${unknown.join(', ')} (see --list)`);
    return 2;
  }
  let selected = options.only ? MUTANTS.filter(m => options.only.includes(m.name)) : MUTANTS.filter(m => options.list || !m.equivalent);
  // --tests: which other files kill a mutant (for finding or moving its killing test); the documented one is not checked then
  if (options.tests) selected = selected.map(m => ({ ...m, tests: options.tests, killer: '\0' }));
  if (options.list) {
    console.log(listTable(selected, root));
    return selected.some(m => problemsOf(m, root).length) ? 2 : 0;
  }

  // the list must match the code before anything runs
  const broken = selected.map(m => [ m.name, problemsOf(m, root) ]).filter(([ , problems ]) => problems.length);
  if (broken.length) {
    for (const [ name, problems ] of broken) console.error(`mutant ${name} is out of date with the code:\n  ${problems.join('\n  ')}`);
    console.error('\nUpdate the mutant in scripts/mutants.mjs to the code as it is now (the defence moved or changed).');
    return 2;
  }
  const nodeModules = path.join(root, 'node_modules');
  if (!fs.existsSync(nodeModules)) throw new Error(`${nodeModules} is missing: run npm ci first`);

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'esp-mutants-'));
  const logs = path.join(scratch, 'logs');
  fs.mkdirSync(logs);
  const pristine = path.join(scratch, 'pristine');
  const cleanUp = () => {
    for (const child of running) stopGroup(child);
    if (!options.keep) {
      for (const entry of fs.readdirSync(scratch)) if (entry !== 'logs') fs.rmSync(path.join(scratch, entry), { recursive: true, force: true });
    }
  };
  for (const signal of [ 'SIGINT', 'SIGTERM' ]) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the test runs`);
      cleanUp();
      process.exit(130);
    });
  }
  const started = Date.now();
  try {
    copyTree(root, pristine);
    fs.symlinkSync(fs.realpathSync(nodeModules), path.join(pristine, 'node_modules'));
    console.log(`${selected.length} mutant(s) of ${root}; scratch ${scratch}; ${options.jobs} at a time`);

    // sanity: the unmutated copy passes every named test file (else a "kill" would mean nothing)
    const files = [ ...new Set(selected.flatMap(m => m.tests)) ];
    console.log(`\nsanity run of the unmutated tree: ${files.map(f => `${f}.test.ts`).join(', ')}`);
    const baseline = new Map();
    const sane = await pool(files.map(test => async () => {
      const result = await runTestFile(pristine, test, { bail: false, timeoutMs: 15 * 60_000 });
      fs.writeFileSync(path.join(logs, `sanity-${test}.log`), result.output);
      baseline.set(test, result.seconds);
      console.log(`  ${pad(`${test}.test.ts`, 36)} ${result.ok ? 'passes' : 'FAILS'}  ${result.seconds.toFixed(1)} s`);
      if (!result.ok) console.log(`    ${result.timedOut ? 'timed out' : result.failures.slice(0, 5).join('\n    ') || 'no mocha summary: see the log'}`);
      return result.ok;
    }), options.jobs);
    if (!sane.every(Boolean)) {
      console.error(`\nThe unmutated tree fails named test files: fix those first (logs in ${logs}).`);
      return 2;
    }

    console.log('\nmutants:');
    const results = await pool(selected.map(mutant => async () => {
      const dir = path.join(scratch, `m-${mutant.name}`);
      copyTree(pristine, dir);
      fs.rmSync(path.join(dir, 'node_modules'), { force: true });
      fs.symlinkSync(fs.realpathSync(nodeModules), path.join(dir, 'node_modules'));
      try {
        for (const { file, search, replace } of mutant.edits) {
          const full = path.join(dir, file);
          fs.writeFileSync(full, fs.readFileSync(full, 'utf8').replace(search, () => replace));
        }
        for (const file of new Set(mutant.edits.map(e => e.file))) assertParses(dir, file);
      } catch (error) {
        fs.rmSync(dir, { recursive: true, force: true });
        console.log(`  ${pad(mutant.name, 32)} BROKEN       ${error.message}`);
        return { mutant, seconds: 0, status: 'broken', failures: [ error.message ], documented: false };
      }
      const began = Date.now();
      let outcome = { status: 'survived', killedBy: undefined, failures: [], documented: false };
      let log = '';
      for (const test of mutant.tests) {
        const timeoutMs = Math.max(5 * 60_000, 3 * 1000 * (baseline.get(test) ?? 60));
        const result = await runTestFile(dir, test, { bail: options.bail, timeoutMs });
        log += `==== test/${test}.test.ts\n${result.output}\n`;
        if (result.ok) continue;
        const failures = result.timedOut ? [ `(timed out after ${Math.round(timeoutMs / 1000)} s)` ] : result.failures;
        if (options.tests) {
          // exploring: every file runs, each one that kills is reported
          console.log(`    ${mutant.name}: ${test}.test.ts kills it: ${failures.join(' | ') || '(no mocha summary: see the log)'}`);
          if (outcome.status === 'killed') continue;
        }
        outcome = {
          status: 'killed', killedBy: test, failures,
          documented: test === mutant.tests[0] && failures.some(title => title.includes(mutant.killer)),
        };
        if (!options.tests) break;
      }
      fs.writeFileSync(path.join(logs, `${mutant.name}.log`), log);
      if (!options.keep) fs.rmSync(dir, { recursive: true, force: true });
      const seconds = (Date.now() - began) / 1000;
      const note = outcome.status === 'survived' ? 'SURVIVED'
        : outcome.documented || options.bail || options.tests ? 'killed' : 'killed*';
      console.log(`  ${pad(mutant.name, 32)} ${pad(note, 8)} ${pad(`${seconds.toFixed(1)} s`, 8)} ${outcome.killedBy ? `${outcome.killedBy}.test.ts: ${outcome.failures[0] ?? '(no mocha summary: see the log)'}` : mutant.tests.map(t => `${t}.test.ts`).join(', ')}`);
      return { mutant, seconds, ...outcome };
    }), options.jobs);

    const survived = results.filter(r => r.status === 'survived' && !r.mutant.equivalent);
    const broken = results.filter(r => r.status === 'broken');
    const undocumented = results.filter(r => r.status === 'killed' && !r.documented && !options.bail && !options.tests);
    const killed = results.filter(r => r.status === 'killed').length;
    console.log(`\n${killed} of ${results.length} killed in ${((Date.now() - started) / 60_000).toFixed(1)} min (logs: ${logs})`);
    for (const r of broken) console.log(`  broken (fix its entry): ${r.mutant.name}: ${r.failures[0]}`);
    for (const r of results.filter(r => r.status === 'survived' && r.mutant.equivalent)) console.log(`  survived as expected (equivalent): ${r.mutant.name}`);
    const skipped = options.only ? [] : MUTANTS.filter(m => m.equivalent);
    if (skipped.length) console.log(`  not run (equivalent, see --list): ${skipped.map(m => m.name).join(', ')}`);
    for (const r of survived) console.log(`  survived: ${r.mutant.name} (${r.mutant.defence}): no failure in ${r.mutant.tests.map(t => `${t}.test.ts`).join(', ')}`);
    for (const r of undocumented) {
      console.log(`  killed* (not by its documented test "${r.mutant.killer}"): ${r.mutant.name}: ${r.killedBy}.test.ts: ${r.failures.join(' | ')}`);
    }
    return broken.length ? 2 : survived.length || undocumented.length ? 1 : 0;
  } finally {
    cleanUp();
  }
}

main().then(code => process.exit(code), error => {
  console.error(error);
  process.exit(2);
});
