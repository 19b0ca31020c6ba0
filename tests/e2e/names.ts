/** Accessible names from shared/ui-contract.md that several tests use. */
export const TABS = ['Generate', 'Models', 'Gallery', 'Settings'] as const;
