import { useCallback, useEffect, useState, type ComponentType } from 'react';
import { api, ApiError, setUnauthenticatedHandler } from './api.ts';
import type { ApiMe } from './api-types.ts';
import { ErrorState, Loading } from './components/states.tsx';
import { EventsPage } from './pages/EventsPage.tsx';
import { FeatureFlags } from './pages/FeatureFlags.tsx';
import { FlagEdit } from './pages/FlagEdit.tsx';
import { Funnels } from './pages/Funnels.tsx';
import { GroupPage } from './pages/GroupPage.tsx';
import { Login } from './pages/Login.tsx';
import { PersonPage } from './pages/PersonPage.tsx';
import { PersonsGroups } from './pages/PersonsGroups.tsx';
import { SavedInsights } from './pages/SavedInsights.tsx';
import { Settings } from './pages/Settings.tsx';
import { Trends } from './pages/Trends.tsx';
import { ProjectProvider, groupTypeLabel, useProject } from './project-context.tsx';
import { Link, matchPath, navigate, useLocation } from './router.tsx';

/** Path patterns in order; the first match renders, with the path's parameters as props. */
const ROUTES: [string, ComponentType<Record<string, string>>][] = [
  ['/persons', PersonsGroups],
  ['/persons/:personId', PersonPage],
  ['/groups/:groupTypeIndex', PersonsGroups],
  ['/groups/:groupTypeIndex/:groupKey', GroupPage],
  ['/events', EventsPage],
  ['/insights', SavedInsights],
  ['/insights/trends', Trends],
  ['/insights/funnels', Funnels],
  ['/feature_flags', FeatureFlags],
  ['/feature_flags/:flagId', FlagEdit],
  ['/settings', Settings],
];

export function App() {
  const [me, setMe] = useState<ApiMe | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const loadMe = useCallback(() => {
    setError(null);
    api<ApiMe>('/api/users/@me').then(setMe, (err: unknown) => (err instanceof ApiError && err.status === 401 ? setMe(null) : setError(err)));
  }, []);
  useEffect(() => {
    setUnauthenticatedHandler(() => setMe(null));
    loadMe();
  }, [loadMe]);

  if (error) return <ErrorState error={error} retry={loadMe} />;
  if (me === undefined) return <Loading />;
  if (me === null) return <Login onSignedIn={loadMe} />;
  return (
    <ProjectProvider me={me}>
      <Layout onSignOut={() => api('/api/logout', { method: 'POST' }).finally(() => setMe(null))} />
    </ProjectProvider>
  );
}

function Layout({ onSignOut }: { onSignOut: () => void }) {
  const { path } = useLocation();
  const { me, project, groupTypes, groupTypesLoaded } = useProject();
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [path]);
  useEffect(() => {
    if (path === '/' && groupTypesLoaded) navigate(groupTypes.length > 0 ? `/groups/${groupTypes[0].group_type_index}` : '/persons', { replace: true });
  }, [path, groupTypes, groupTypesLoaded]);

  let page = null;
  for (const [pattern, Page] of ROUTES) {
    const params = matchPath(pattern, path);
    if (params) {
      page = <Page key={pattern} {...params} />;
      break;
    }
  }
  const firstGroupsTab = groupTypes.length > 0 ? `/groups/${groupTypes[0].group_type_index}` : '/persons';
  const nav: [string, string, boolean][] = [
    [firstGroupsTab, groupTypes.length > 0 ? `Persons & ${groupTypeLabel(groupTypes, groupTypes[0].group_type_index)}` : 'Persons & Groups', path.startsWith('/groups') || path.startsWith('/persons')],
    ['/insights/trends', 'Trends', path === '/insights/trends'],
    ['/insights/funnels', 'Funnels', path === '/insights/funnels'],
    ['/insights', 'Saved insights', path === '/insights'],
    ['/feature_flags', 'Feature flags', path.startsWith('/feature_flags')],
    ['/events', 'Events', path === '/events'],
    ['/settings', 'Settings', path === '/settings'],
  ];
  return (
    <div className="app">
      <header className="topbar">
        <button type="button" className="menu-toggle" aria-expanded={menuOpen} aria-controls="main-nav" onClick={() => setMenuOpen((o) => !o)}>
          Menu
        </button>
        <Link to="/" className="brand">
          Prickle
        </Link>
        <span className="project-name" title="Project">
          {project?.name}
        </span>
        <span className="spacer" />
        <span className="muted user-email">{me.email}</span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <nav id="main-nav" className={menuOpen ? 'sidebar open' : 'sidebar'} aria-label="Main">
        {nav.map(([to, label, active]) => (
          <Link key={label} to={to} className={active ? 'active' : undefined} aria-current={active ? 'page' : undefined}>
            {label}
          </Link>
        ))}
      </nav>
      <main className="content">{page ?? <div className="page"><h1>Not found</h1><p>No page at {path}.</p></div>}</main>
    </div>
  );
}
