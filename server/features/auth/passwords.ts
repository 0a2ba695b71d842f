import { randomBytes } from 'node:crypto';
import { hash, verify, type Algorithm, type Options } from '@node-rs/argon2';

/**
 * argon2id at OWASP's minimum (Password Storage Cheat Sheet): 19 MiB of memory, 2 passes, 1 lane.
 * The parameters are written into each hash (PHC string), so raising them later still verifies
 * old hashes.
 */
export const ARGON2ID: Options = {
  // A const enum in the typings, which isolatedModules cannot read at runtime: Argon2id is 2.
  algorithm: 2 satisfies Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** argon2's verify compares in constant time; it runs on the libuv pool, off the event loop. */
  verify(passwordHash: string, password: string): Promise<boolean>;
  /**
   * Does the work of a verify against a fixed dummy hash and answers false: an unknown email
   * then costs what a wrong password costs, so response time does not tell them apart.
   */
  verifyUnknownUser(password: string): Promise<false>;
  /** Computes the dummy hash ahead of the first login (start-up), so that login is not slower. */
  prepare(): Promise<void>;
}

export function createPasswordHasher(options: Options = ARGON2ID): PasswordHasher {
  let dummy: Promise<string> | undefined;
  const dummyHash = () => (dummy ??= hash(randomBytes(32).toString('base64url'), options));
  return {
    hash: (password) => hash(password, options),
    verify: (passwordHash, password) => verify(passwordHash, password),
    async verifyUnknownUser(password) {
      await verify(await dummyHash(), password);
      return false;
    },
    async prepare() {
      await dummyHash();
    },
  };
}
