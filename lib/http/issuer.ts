/** The deployment's issuer in `cdk.json` until it is configured (`cdk/settings.ts`). */
export const PLACEHOLDER_ISSUER = 'https://issuer.example.com/';
