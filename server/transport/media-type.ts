import { AppError } from '../errors.ts';

/** Whether a Content-Type names JSON: `application/json`, with any parameters (media types are case-insensitive, RFC 9110). */
export function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

/**
 * The 415 for a body that is not declared JSON. Requiring the declaration is a CSRF defence, not
 * pedantry: a page on another site can POST text/plain, form-urlencoded or multipart/form-data
 * without a CORS preflight, never application/json.
 */
export const notJsonError = () =>
  new AppError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json', {
    details: [{ field: 'content-type', message: 'expected application/json' }],
  });
