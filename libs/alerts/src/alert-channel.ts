/** An alert as published to the dashboards: what the live feed shows, nothing more. */
export interface PublishedAlert {
  alertId: string;
  psuId: string;
  kind: string;
  title: string;
  body: string;
  createdAt: string;
}

/** The Redis pub/sub channel of new alerts, under the app's key prefix so suites and deployments never cross. */
export function psuAlertChannel(redisPrefix: string): string {
  return `${redisPrefix}:psu-alerts`;
}
