// A list loaded in cursor pages: its toolbar, error / loading / empty states, and the pager
// above and below the table the caller renders for the current page.
import type { ReactNode } from 'react';
import { ErrorState, Loading } from '../../components/states.tsx';
import { Pager } from './Pager.tsx';
import type { CursorPages } from './use-cursor-pages.ts';

export function PagedList<T>({
  pages,
  label,
  toolbar,
  loadingLabel,
  empty,
  children,
}: {
  pages: CursorPages<T>;
  /** The list's name, for the pagers ("<label> pages (top)"). */
  label: string;
  toolbar: ReactNode;
  loadingLabel: string;
  /** The empty state, shown when the page has no rows. */
  empty: ReactNode;
  /** The table of the current page's rows. */
  children: (rows: T[]) => ReactNode;
}) {
  let body;
  if (pages.error) body = <ErrorState error={pages.error} retry={pages.reload} />;
  else if (!pages.data) body = <Loading label={loadingLabel} />;
  else if (pages.data.results.length === 0) body = empty;
  else body = children(pages.data.results);
  return (
    <div className="stack">
      <div className="row">{toolbar}</div>
      <Pager pages={pages} label={label} position="top" />
      {body}
      <Pager pages={pages} label={label} position="bottom" />
    </div>
  );
}

