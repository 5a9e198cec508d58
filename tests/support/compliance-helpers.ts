import { CookieAgent } from './cookie-agent';
import type { TestSystem } from './system';

/**
 * The compliance dashboard's standalone launch as a browser makes it: the app's `/compliance/launch`, the sandbox
 * EHR's sign-in page (a user, no patient), back through the callback to wherever the app sends the user.
 */
export interface ComplianceLaunch {
  agent: CookieAgent;
  response: Response;
  url: string;
  /** The dashboard session's id when the launch landed on the dashboard, else ''. */
  launchId: string;
}

export async function complianceLaunch(system: TestSystem, user: string, tenant = 'sandbox-generic', agent = new CookieAgent()): Promise<ComplianceLaunch> {
  const signIn = await agent.follow(`${system.appUrl}/compliance/launch?tenant=${tenant}`);
  const page = await signIn.response.text();
  const field = (name: string): string => new RegExp(`name="${name}" value="([^"]+)"`).exec(page)?.[1] ?? '';
  if (page.includes('name="patient"')) {
    throw new Error('the EHR sign-in asked for a patient');
  }
  const decision = await agent.request(`${system.sandboxUrl ?? ''}/auth/authorize/decision`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request: field('request'), csrf: field('csrf'), user, decision: 'approve' }).toString(),
  });
  const location = decision.headers.get('location');
  if (location === null) {
    throw new Error(`the sign-in answered ${decision.status}`);
  }
  const { response, url } = await agent.follow(new URL(location, system.sandboxUrl).href);
  return { agent, response, url, launchId: /\/compliance\/([A-Za-z0-9_-]{16,})$/.exec(new URL(url).pathname)?.[1] ?? '' };
}

/** RFC 4180 CSV → rows of cells (quoted cells, doubled quotes, CRLF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 1;
    } else {
      cell += c;
    }
  }
  return rows;
}

const ENTITIES: Readonly<Record<string, string>> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

/** The dashboard table's cells as the page shows them (header row first). */
export function tableCells(html: string): string[][] {
  const table = /<table class="discussions"[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
  return [...table.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((tr) =>
    [...(tr[1] ?? '').matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((td) => (td[1] ?? '').replace(/&(amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e] ?? e)),
  );
}
