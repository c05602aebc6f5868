import crypto from 'node:crypto';

// Demo accounts. A real app keeps the hashes in its database; only the scrypt hash is kept here too.
const DEMO_ACCOUNTS = [
  { id: 1, name: 'alice', password: 'wonderland' },
  { id: 2, name: 'bob', password: 'builder' },
];

function hash(password, salt) {
  return crypto.scryptSync(password, salt, 32);
}

const users = DEMO_ACCOUNTS.map(({ id, name, password }) => {
  const salt = crypto.randomBytes(16);
  return { id, name, salt, hash: hash(password, salt) };
});

export const demoAccounts = DEMO_ACCOUNTS.map(({ name, password }) => ({ name, password }));

/** The user for these credentials, or undefined. */
export function authenticate(name, password) {
  const user = users.find(u => u.name === name);
  if (!user || typeof password !== 'string') return;
  return crypto.timingSafeEqual(hash(password, user.salt), user.hash) ? user : undefined;
}

function findUser(id) {
  return users.find(u => u.id === id);
}

/** The signed-in user; without one, the response becomes a redirect to the login form. */
export function signedInUser(ctx) {
  const user = findUser(ctx.session.userId);
  if (!user) ctx.redirect('/login');
  return user;
}
