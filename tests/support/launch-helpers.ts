import type { TestSystem } from './system';
import { CookieAgent } from './cookie-agent';

/** What the helpers use of a running system: the app's public URL and the sandbox EHR's (a cluster behind nginx has both too). */
export type AppSite = Pick<TestSystem, 'appUrl' | 'sandboxUrl'>;

/** Asks the sandbox simulator for an EHR launch and returns the app URL the EHR opens (the registered launch.html). */
export async function simulatorLaunchUrl(system: AppSite, options: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${system.sandboxUrl}/simulator/launch`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'itdd-dr-rivera', ...options }),
  });
  if (!response.ok) {
    throw new Error(`simulator refused the launch: ${response.status} ${await response.text()}`);
  }
  const { launchUrl } = (await response.json()) as { launchUrl: string };
  // The registered launch URL itself (launch.html?iss&launch), which the server answers with the sign-in redirect.
  const url = new URL(launchUrl);
  return `${system.appUrl}${url.pathname}${url.search}`;
}

export interface CompletedLaunch {
  agent: CookieAgent;
  launchId: string;
  finalResponse: Response;
  finalUrl: string;
}

/** Runs a whole EHR launch with a cookie agent and returns where it landed. */
export async function launchAs(system: AppSite, options: Record<string, unknown>, agent = new CookieAgent()): Promise<CompletedLaunch> {
  const { response, url } = await agent.follow(await simulatorLaunchUrl(system, options));
  const match = /\/app\/([A-Za-z0-9_-]+)$/.exec(url);
  return { agent, launchId: match?.[1] ?? '', finalResponse: response, finalUrl: url };
}

/** Stops a launch at the callback: returns the callback URL the EHR sent the browser to (code + state). */
export async function launchUntilCallback(system: AppSite, options: Record<string, unknown>, agent = new CookieAgent()): Promise<string> {
  let current = await simulatorLaunchUrl(system, options);
  for (let hop = 0; hop < 5; hop += 1) {
    if (current.startsWith(`${system.appUrl}/callback`)) {
      return current;
    }
    const response = await agent.request(current);
    const location = response.headers.get('location');
    if (location === null) {
      throw new Error(`launch stopped at ${response.status} before the callback`);
    }
    current = new URL(location, current).href;
  }
  throw new Error('no callback reached');
}

export async function contextOf(system: AppSite, launch: CompletedLaunch): Promise<Record<string, any>> {
  const response = await launch.agent.request(`${system.appUrl}/api/launches/${launch.launchId}/context`);
  return (await response.json()) as Record<string, any>;
}
