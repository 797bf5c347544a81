/**
 * Kernel error codes and the result type kernel-model operations return: either ok with a
 * value, or the negative errno the kernel would return plus a message for the log.
 */
export const ERRNO = {
  ENOENT: 2, E2BIG: 7, EBADF: 9, ENOMEM: 12, EFAULT: 14, EBUSY: 16, EEXIST: 17, EINVAL: 22, EFBIG: 27, ERANGE: 34, EOPNOTSUPP: 95, ENOTSUPP: 524,
} as const;

export type ErrnoName = keyof typeof ERRNO;

export type KResult<T = void> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly err: number; readonly errno: ErrnoName; readonly message: string };

export const ok = <T>(value: T): KResult<T> => ({ ok: true, value });
export const okVoid: KResult<void> = { ok: true, value: undefined };

export function fail<T = never>(errno: ErrnoName, message: string): KResult<T> {
  return { ok: false, err: -ERRNO[errno], errno, message };
}

/** "-22 (EINVAL): message" for logs and test output. */
export function describeError(r: KResult<unknown>): string {
  return r.ok ? 'ok' : `${r.err} (${r.errno}): ${r.message}`;
}
