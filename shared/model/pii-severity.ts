import type { Severity } from './finding';

/**
 * Default severity per personal-data entity type (Comprehend's names; `IBAN` as configured). Its own
 * module so the PII rules can read it when they load without importing the configuration, which
 * validates rule ids against the rule catalogue (an import cycle otherwise).
 */
export const DEFAULT_PII_TYPE_SEVERITY: Readonly<Record<string, Severity>> = {
  SSN: 'HIGH',
  CREDIT_DEBIT_NUMBER: 'HIGH',
  BANK_ACCOUNT_NUMBER: 'HIGH',
  IBAN: 'HIGH',
  PASSPORT_NUMBER: 'HIGH',
  DRIVER_ID: 'MEDIUM',
  EMAIL: 'LOW',
  PHONE: 'LOW',
  NAME: 'LOW',
  ADDRESS: 'LOW',
};

/** Severity of entity types not listed in `pii.typeSeverity`. */
export const DEFAULT_PII_SEVERITY: Severity = 'MEDIUM';
