/** Base path of the UK OB v4.0 Account and Transaction API. */
export const AISP_BASE_PATH = 'open-banking/v4.0/aisp';

/** Base path of the UK OB v4.0 Payment Initiation API. */
export const PISP_BASE_PATH = 'open-banking/v4.0/pisp';

/** Base path of the UK OB v4.0 Confirmation of Funds API. */
export const CBPII_BASE_PATH = 'open-banking/v4.0/cbpii';
