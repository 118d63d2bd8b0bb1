// The persons or groups behind a trend point or a funnel step, each linking to its page, a page
// of 100 at a time ("Show more" appends the next).
import { useState } from 'react';
import { runQuery } from '../../api.ts';
import type { ActorsQueryInput } from '../../api-types.ts';
import { Empty, ErrorState, Loading } from '../../components/states.tsx';
import { groupTypeLabel, useProject } from '../../project-context.tsx';
import { Link } from '../../router.tsx';
import { useApi } from '../../use-api.ts';
import type { Actor, ActorsResponse } from './types.ts';

const PAGE_SIZE = 100;

export function actorName(actor: Actor): string {
  if (actor.type === 'group') {
    const name = actor.properties?.name;
    return name === null || name === undefined || name === '' ? actor.group_key : String(name);
  }
  return actor.name || actor.distinct_ids[0] || actor.id;
}

export const actorHref = (actor: Actor) =>
  actor.type === 'group' ? `/groups/${actor.group_type_index}/${encodeURIComponent(actor.group_key)}` : `/persons/${encodeURIComponent(actor.id)}`;

export function ActorsList({ title, source, onClose }: { title: string; source: ActorsQueryInput['source']; onClose: () => void }) {
  const { groupTypes } = useProject();
  const key = JSON.stringify(source);
  const actors = useApi(
    (signal) => runQuery<ActorsResponse>({ kind: 'ActorsQuery', source, select: ['actor'], limit: PAGE_SIZE } satisfies ActorsQueryInput, signal),
    [key],
  );
  // Pages after the first, for this source only.
  const [more, setMore] = useState<{ key: string; actors: Actor[]; hasMore: boolean } | null>(null);
  const [moreState, setMoreState] = useState<{ loading: boolean; error: unknown }>({ loading: false, error: null });
  const extra = more?.key === key ? more : null;
  const list = [...(actors.data?.results ?? []).map((row) => row[0] as Actor), ...(extra?.actors ?? [])];
  const hasMore = extra ? extra.hasMore : (actors.data?.hasMore ?? false);
  const showMore = async () => {
    setMoreState({ loading: true, error: null });
    try {
      const page = await runQuery<ActorsResponse>({ kind: 'ActorsQuery', source, select: ['actor'], limit: PAGE_SIZE, offset: list.length } satisfies ActorsQueryInput);
      setMore({ key, actors: [...(extra?.actors ?? []), ...page.results.map((row) => row[0] as Actor)], hasMore: page.hasMore });
      setMoreState({ loading: false, error: null });
    } catch (error) {
      setMoreState({ loading: false, error });
    }
  };
  const kind = list[0]?.type === 'group' ? groupTypeLabel(groupTypes, list[0].group_type_index, 'plural').toLowerCase() : 'persons';
  return (
    <section className="card insight-actors" aria-label={title}>
      <div className="row insight-actors-head">
        <h2>{title}</h2>
        <span className="spacer" />
        <button type="button" onClick={onClose}>
          Close list
        </button>
      </div>
      {actors.loading ? (
        <Loading />
      ) : actors.error ? (
        <ErrorState error={actors.error} retry={actors.reload} />
      ) : list.length === 0 ? (
        <Empty title="Nobody here">No persons or groups match this point.</Empty>
      ) : (
        <>
          <p className="muted">
            {list.length}
            {hasMore ? '+' : ''} {kind}
          </p>
          <ul className="insight-actor-list">
            {list.map((actor) => (
              <li key={actor.id}>
                <Link to={actorHref(actor)}>{actorName(actor)}</Link>
                {actor.type === 'group' && actorName(actor) !== actor.group_key && <span className="muted"> {actor.group_key}</span>}
              </li>
            ))}
          </ul>
          {moreState.error ? <ErrorState error={moreState.error} retry={showMore} /> : null}
          {hasMore && (
            <button type="button" onClick={showMore} disabled={moreState.loading}>
              {moreState.loading ? 'Loading…' : `Show ${PAGE_SIZE} more`}
            </button>
          )}
        </>
      )}
    </section>
  );
}
