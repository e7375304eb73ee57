import { Permission } from './permissions.js';

export interface PermissionGroup {
  /** Plain-words heading a PSU sees on the consent page and dashboard. */
  title: string;
  description: string;
}

/**
 * What each permission lets the TPP see, grouped as a PSU reads it: one line per group, the most
 * revealing permission of a group deciding its wording.
 */
export function describePermissions(permissions: readonly Permission[]): PermissionGroup[] {
  const has = (p: Permission) => permissions.includes(p);
  const groups: PermissionGroup[] = [];
  if (has('ReadAccountsDetail')) {
    groups.push({ title: 'Your account details', description: 'Account names, types, currencies, sort codes and account numbers.' });
  } else if (has('ReadAccountsBasic')) {
    groups.push({ title: 'Your account details', description: 'Account types, currencies and nicknames (not account numbers).' });
  }
  if (has('ReadBalances')) groups.push({ title: 'Your balances', description: 'How much money is in your accounts.' });
  if (has('ReadTransactionsBasic') || has('ReadTransactionsDetail')) {
    const directions =
      has('ReadTransactionsCredits') && has('ReadTransactionsDebits')
        ? 'money in and money out'
        : has('ReadTransactionsCredits')
          ? 'money in only'
          : 'money out only';
    groups.push({
      title: 'Your transactions',
      description: has('ReadTransactionsDetail')
        ? `Dates, amounts, payees and references of your transactions (${directions}).`
        : `Dates and amounts of your transactions (${directions}), without payee details.`,
    });
  }
  if (has('ReadBeneficiariesBasic') || has('ReadBeneficiariesDetail')) {
    groups.push({
      title: 'Your payees',
      description: has('ReadBeneficiariesDetail') ? 'The people you pay, with their account details.' : 'The people you pay.',
    });
  }
  if (has('ReadStandingOrdersBasic') || has('ReadStandingOrdersDetail') || has('ReadDirectDebits') || has('ReadScheduledPaymentsBasic') || has('ReadScheduledPaymentsDetail')) {
    groups.push({ title: 'Your regular payments', description: 'Standing orders, direct debits and scheduled payments.' });
  }
  if (has('ReadStatementsBasic') || has('ReadStatementsDetail')) {
    groups.push({ title: 'Your statements', description: 'Your account statements and the amounts on them.' });
  }
  if (has('ReadParty') || has('ReadPartyPSU')) {
    groups.push({ title: 'Your contact details', description: 'Your name, address and contact details held by the bank.' });
  }
  if (has('ReadProducts') || has('ReadOffers')) {
    groups.push({ title: 'Your products and offers', description: 'The products you hold and offers the bank makes you.' });
  }
  if (has('ReadPAN')) groups.push({ title: 'Your full card numbers', description: 'Card numbers in full, not masked.' });
  return groups;
}
