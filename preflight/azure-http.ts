/**
 * The few REST calls the preflight makes, against Azure Resource Manager, Microsoft Graph and
 * a registry's data plane. Plain `fetch` with bearer tokens: every call is a GET (or the ACR
 * token exchange), so an SDK per service would add weight and no safety.
 */

/** Returns an access token for a scope (`https://management.azure.com/.default`). */
export type TokenSource = (scope: string) => Promise<string>;

export const ARM_SCOPE = "https://management.azure.com/.default";
export const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

/** Where the preflight sends its requests; tests point these at local stand-ins. */
export interface Endpoints {
    /** `https://management.azure.com` */
    arm: string;
    /** `https://graph.microsoft.com` */
    graph: string;
    /** Base URL of a registry's data plane, from its login server (`https://<login server>`). */
    registry(loginServer: string): string;
}

export const AZURE_PUBLIC_ENDPOINTS: Endpoints = {
    arm: "https://management.azure.com",
    graph: "https://graph.microsoft.com",
    registry: (loginServer) => `https://${loginServer}`,
};

/** An error answer from Azure, with the service's own code (`AuthorizationFailed`, `ResourceNotFound`). */
export class AzureError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
        readonly url: string,
    ) {
        super(message);
        this.name = "AzureError";
    }
}

const TIMEOUT_MS = 15_000;

/** Reads an error body in any of the shapes ARM, Graph and the registry use. */
function errorOf(status: number, body: unknown, url: string): AzureError {
    const record = (body ?? {}) as { error?: { code?: string; message?: string }; errors?: { code?: string; message?: string }[] };
    const inner = record.error ?? record.errors?.[0];
    return new AzureError(status, inner?.code ?? `HTTP${status}`, inner?.message ?? `HTTP ${status} from ${new URL(url).host}`, url);
}

async function readJson(response: Response): Promise<unknown> {
    const text = await response.text();
    if (!text) return undefined;
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return { error: { message: text.slice(0, 200) } };
    }
}

/** GET a JSON document; throws AzureError on any non-2xx answer. */
export async function getJson<T>(url: string, token: string): Promise<T> {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: "application/json" }, signal: AbortSignal.timeout(TIMEOUT_MS) });
    const body = await readJson(response);
    if (!response.ok) throw errorOf(response.status, body, url);
    return body as T;
}

/** GET every page of an ARM (`nextLink`) or Graph (`@odata.nextLink`) list. */
export async function getAll<T>(url: string, token: string): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = url;
    for (let page = 0; next; page++) {
        if (page >= 100) throw new Error(`more than 100 pages from ${new URL(url).pathname}`);
        const body: { value?: T[]; nextLink?: string; "@odata.nextLink"?: string } = await getJson(next, token);
        items.push(...(body.value ?? []));
        next = body.nextLink ?? body["@odata.nextLink"];
    }
    return items;
}

/** GET that answers undefined for 404 (the thing does not exist) and throws on other errors. */
export async function getIfExists<T>(url: string, token: string): Promise<T | undefined> {
    try {
        return await getJson<T>(url, token);
    } catch (error) {
        if (error instanceof AzureError && error.status === 404) return undefined;
        throw error;
    }
}

/** POST a form (the registry's token endpoints). */
export async function postForm<T>(url: string, form: Record<string, string>): Promise<T> {
    const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams(form).toString(),
        signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const body = await readJson(response);
    if (!response.ok) throw errorOf(response.status, body, url);
    return body as T;
}

/**
 * True when the registry holds `repository@digest`. Exchanges the Entra token for a registry
 * refresh token, that for a pull token of the one repository, then asks for the manifest
 * (HEAD, as `docker manifest inspect` would).
 */
export async function registryHasManifest(base: string, loginServer: string, tenantId: string, armToken: string, repository: string, digest: string): Promise<boolean> {
    const { refresh_token: refreshToken } = await postForm<{ refresh_token: string }>(`${base}/oauth2/exchange`, {
        grant_type: "access_token",
        service: loginServer,
        tenant: tenantId,
        access_token: armToken,
    });
    const { access_token: pullToken } = await postForm<{ access_token: string }>(`${base}/oauth2/token`, {
        grant_type: "refresh_token",
        service: loginServer,
        scope: `repository:${repository}:pull`,
        refresh_token: refreshToken,
    });
    const url = `${base}/v2/${repository}/manifests/${digest}`;
    const response = await fetch(url, {
        method: "HEAD",
        headers: {
            authorization: `Bearer ${pullToken}`,
            accept: [
                "application/vnd.oci.image.index.v1+json",
                "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.docker.distribution.manifest.list.v2+json",
                "application/vnd.docker.distribution.manifest.v2+json",
            ].join(", "),
        },
        signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (response.status === 404) return false;
    if (!response.ok) throw new AzureError(response.status, `HTTP${response.status}`, `registry answered ${response.status} for ${repository}@${digest}`, url);
    return true;
}
