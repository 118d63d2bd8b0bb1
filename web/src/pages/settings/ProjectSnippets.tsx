// The project token and ready-to-paste posthog-js / posthog-node set-ups pointing at this server.
import { useProject } from '../../project-context.tsx';
import { CopyButton } from './CopyButton.tsx';

export function browserSnippet(host: string, token: string, groupType: string): string {
  return `import posthog from 'posthog-js'

posthog.init('${token}', {
  api_host: '${host}',
  person_profiles: 'identified_only',
})

// After sign-in: who the user is, and which ${groupType} they act for
posthog.identify('user-123', { email: 'ada@example.com' })
posthog.group('${groupType}', 'acme', { name: 'Acme Inc.', plan: 'pro' })

if (posthog.isFeatureEnabled('new-billing')) {
  // ...
}`;
}

export function nodeSnippet(host: string, token: string, groupType: string): string {
  return `import { PostHog } from 'posthog-node'

const posthog = new PostHog('${token}', { host: '${host}' })

posthog.groupIdentify({ groupType: '${groupType}', groupKey: 'acme', properties: { name: 'Acme Inc.', plan: 'pro' } })
posthog.capture({ distinctId: 'user-123', event: 'invoice_paid', groups: { ${groupType}: 'acme' } })

const enabled = await posthog.isFeatureEnabled('new-billing', 'user-123', { groups: { ${groupType}: 'acme' } })

await posthog.shutdown()`;
}

export function ProjectSnippets() {
  const { project, groupTypes } = useProject();
  const host = window.location.origin;
  const groupType = groupTypes[0]?.group_type ?? 'company';
  return (
    <section className="card stack" aria-labelledby="token-heading">
      <h2 id="token-heading">Project token and SDK set-up</h2>
      <div className="token-row">
        <code aria-label="Project token">{project.api_token}</code>
        <CopyButton text={project.api_token} label="Copy project token" />
      </div>
      <p className="muted">
        Public: SDKs send it with events and flag requests to <code>{host}</code>.
      </p>
      <Snippet title="posthog-js (browser)" code={browserSnippet(host, project.api_token, groupType)} />
      <Snippet title="posthog-node (server)" code={nodeSnippet(host, project.api_token, groupType)} />
    </section>
  );
}

function Snippet({ title, code }: { title: string; code: string }) {
  return (
    <div className="snippet stack">
      <div className="row" style={{ alignItems: 'center' }}>
        <h3 style={{ margin: 0 }}>{title}</h3>
        <CopyButton text={code} label={`Copy ${title} snippet`} />
      </div>
      <pre className="code" aria-label={`${title} snippet`} tabIndex={0}>
        {code}
      </pre>
    </div>
  );
}
