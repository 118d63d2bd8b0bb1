// Server (and form) errors shown next to the field they name: the page resolves the error's
// `attr` to one field path, and each field asks for the message at its own path.
import { createContext, useContext } from 'react';

export interface FieldErrorState {
  /** The form field the error belongs to, or null when it belongs to none (shown at the top). */
  readonly field: string | null;
  readonly message: string;
}

const FieldErrorContext = createContext<FieldErrorState | null>(null);
export const FieldErrorProvider = FieldErrorContext.Provider;

/** The message for this field, if the current error is its; with ids for aria-describedby. */
export function useFieldError(path: string): { message: string | null; id: string; inputProps: { 'aria-invalid'?: true; 'aria-describedby'?: string } } {
  const state = useContext(FieldErrorContext);
  const id = `error-${path.replace(/[^a-zA-Z0-9_-]/g, '-')}`;
  const message = state && state.field === path ? state.message : null;
  return { message, id, inputProps: message ? { 'aria-invalid': true, 'aria-describedby': id } : {} };
}

export function FieldError({ path }: { path: string }) {
  const { message, id } = useFieldError(path);
  if (!message) return null;
  return (
    <div id={id} className="field-error" role="alert">
      {message}
    </div>
  );
}
