// Pages through a list endpoint by following the API's `next` URLs, keeping the URLs of the
// pages already seen on a stack so Previous goes back without counting offsets.
import { useState } from 'react';
import { api } from '../../api.ts';
import type { Paginated } from '../../api-types.ts';
import { useApi, type Loaded } from '../../use-api.ts';
import { relativeUrl } from './format.ts';

export interface CursorPages<T> extends Loaded<Paginated<T>> {
  readonly pageNumber: number;
  readonly hasPrevious: boolean;
  readonly hasNext: boolean;
  next(): void;
  previous(): void;
}

/** `firstUrl` is the first page; changing it (a new search or filter) starts again from there. */
export function useCursorPages<T>(firstUrl: string): CursorPages<T> {
  const [pages, setPages] = useState<{ first: string; later: string[] }>({ first: firstUrl, later: [] });
  const later = pages.first === firstUrl ? pages.later : [];
  const url = later.at(-1) ?? firstUrl;
  const loaded = useApi((signal) => api<Paginated<T>>(url, { signal }), [url]);
  const nextUrl = loaded.data?.next ?? null;
  return {
    ...loaded,
    pageNumber: later.length + 1,
    hasPrevious: later.length > 0,
    hasNext: nextUrl !== null,
    next: () => {
      if (nextUrl) setPages({ first: firstUrl, later: [...later, relativeUrl(nextUrl)] });
    },
    previous: () => setPages({ first: firstUrl, later: later.slice(0, -1) }),
  };
}
