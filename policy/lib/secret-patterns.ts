/**
 * Recognizes secret material in plain values: by what the value looks like (PEM private keys,
 * storage keys and connection strings, SAS tokens, Entra client secrets, JWTs, credentials in
 * URLs) and by what its key is called (`password`, `clientSecret`, `apiKey`, ...).
 */

const VALUE_PATTERNS: readonly (readonly [kind: string, pattern: RegExp])[] = [
    ["a PEM private key", /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/],
    ["a storage account key or connection string", /AccountKey=[A-Za-z0-9+/]{20,}={0,2}/i],
    ["a shared access key", /SharedAccessKey=[A-Za-z0-9+/]{20,}={0,2}/i],
    ["a SAS token", /(?:^|[?&;])sig=[A-Za-z0-9%+/]{20,}/i],
    ["a SAS token", /SharedAccessSignature=/i],
    ["an Entra client secret", /(?:^|[^A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?:$|[^A-Za-z0-9_~.-])/],
    ["a JSON Web Token", /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/],
    ["a password in a URL", /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:[^\s/@]{3,}@/i],
];

/** Key names (lower-case, punctuation removed) that hold a secret when they hold a literal. */
const SECRET_KEY_NAMES = new Set([
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "accountkey",
    "storagekey",
    "primarykey",
    "secondarykey",
    "masterkey",
    "sastoken",
    "connectionstring",
    "sharedaccesskey",
]);
const SECRET_KEY_SUFFIXES = ["password", "passwd", "clientsecret", "apikey", "accesskey", "secretkey", "privatekey", "accountkey", "connectionstring", "accesstoken", "authtoken", "bearertoken", "refreshtoken", "sastoken"];

/**
 * A `<namespace>/<name>` Kubernetes Secret reference, as NGINX chart values such as
 * `controller.defaultTLS.secret` hold them under a key called `secret`.
 */
const KUBERNETES_SECRET_REFERENCE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** A key name in lower case with punctuation removed, as the key-name lists hold them. */
function normalizeKey(key: string): string {
    return key.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/**
 * Values that stand for a secret rather than being one: masks, references, templates, file paths.
 * A `<namespace>/<name>` Secret reference counts only under a key called `secret`.
 */
function isPlaceholder(key: string, value: string): boolean {
    const trimmed = value.trim();
    return (
        trimmed.length < 6 ||
        (normalizeKey(key) === "secret" && KUBERNETES_SECRET_REFERENCE.test(trimmed)) ||
        /^\[(secret|unknown)\]$/.test(trimmed) ||
        /^(\$\(|\$\{|\{\{|%\{)/.test(trimmed) ||
        /^(\/|\.\/|file:)[^\s]*$/.test(trimmed) ||
        /^(secretref|keyvaultref|@Microsoft\.KeyVault)/i.test(trimmed)
    );
}

function isSecretKeyName(key: string): boolean {
    const normalized = normalizeKey(key);
    return SECRET_KEY_NAMES.has(normalized) || SECRET_KEY_SUFFIXES.some((suffix) => normalized.endsWith(suffix));
}

/** What kind of secret a value at `key` looks like, or undefined when it looks harmless. */
export function secretKind(key: string | undefined, value: unknown): string | undefined {
    if (typeof value !== "string") return undefined;
    for (const [kind, pattern] of VALUE_PATTERNS) if (pattern.test(value)) return kind;
    if (key !== undefined && isSecretKeyName(key) && !isPlaceholder(key, value)) return `a literal value for '${key}'`;
    return undefined;
}
