/**
 * Turns an SES failure into words a user can act on. "The Lambda succeeded but no email arrived"
 * is the most common complaint about scheduled reports, and the cause is nearly always one of a
 * few: an unverified sender, an unverified recipient in the sandbox, paused sending or a quota.
 * Pure: it reads the error's name and message only, so it needs no SDK import.
 */
import { emailAddressOf } from './config.ts';

export type DeliveryFailure =
  | 'sender-not-verified'
  | 'recipient-not-verified'
  | 'mail-from-domain-not-verified'
  | 'sending-paused'
  | 'throttled'
  | 'daily-quota-exceeded'
  | 'access-denied'
  | 'configuration-set-missing'
  | 'message-rejected'
  | 'invalid-message'
  | 'unreachable'
  | 'unknown';

export class ReportDeliveryError extends Error {
  override readonly name = 'ReportDeliveryError';
  constructor(
    readonly failure: DeliveryFailure,
    message: string,
    /** Worth retrying later without changing anything. */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface DeliveryContext {
  readonly from: string;
  readonly to: readonly string[];
  readonly region?: string;
}

const ADDRESS_IN_TEXT = /[^\s,;<>:'"`]+@[^\s,;<>:'"`]+[A-Za-z0-9]/g;

function identitiesIn(message: string): string[] {
  return (message.match(ADDRESS_IN_TEXT) ?? []).map((address) => address.toLowerCase());
}

function bare(address: string): string {
  return (emailAddressOf(address) ?? address).toLowerCase();
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

function describe(error: unknown): { name: string; message: string; code?: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(error) };
}

export function deliveryErrorFrom(error: unknown, context: DeliveryContext): ReportDeliveryError {
  const { name, message, code } = describe(error);
  const region = context.region ?? 'your SES region';
  const sender = bare(context.from);
  const recipients = context.to.map(bare);
  const reason = `(SES said: ${name}: ${message})`;
  const make = (failure: DeliveryFailure, text: string, retryable = false): ReportDeliveryError =>
    new ReportDeliveryError(failure, `${text} ${reason}`, retryable, { cause: error });

  const unverified =
    /not verified|did not have authority to send/i.test(message) &&
    name !== 'MailFromDomainNotVerifiedException';
  if (name === 'MessageRejected' && unverified) {
    const identities = identitiesIn(message);
    const senderFailed =
      identities.length === 0 ||
      identities.includes(sender) ||
      identities.includes(domainOf(sender)) ||
      /authority to send from/i.test(message);
    if (senderFailed) {
      return make(
        'sender-not-verified',
        `The report was not sent: the sender ${sender} is not a verified SES identity in ${region}. Verify it (SES console > Verified identities > Create identity, or \`aws sesv2 create-email-identity --email-identity ${sender} --region ${region}\`) and click the link AWS mails to it, or verify the domain ${domainOf(sender)}.`,
      );
    }
    const failed = recipients.filter((recipient) => identities.includes(recipient));
    return make(
      'recipient-not-verified',
      `The report was not sent: SES in ${region} is still in the sandbox, where it only delivers to verified addresses, and ${failed.length > 0 ? failed.join(', ') : 'a recipient'} is not verified. Verify each recipient the same way as the sender, or request production access (SES console > Account dashboard > Request production access) so the report can reach any address.`,
    );
  }
  if (name === 'MailFromDomainNotVerifiedException') {
    return make(
      'mail-from-domain-not-verified',
      `The report was not sent: the custom MAIL FROM domain of ${sender} is not verified in ${region}. Publish the MX and SPF records SES shows for it, or turn the custom MAIL FROM domain off.`,
    );
  }
  if (name === 'AccountSendingPausedException') {
    return make(
      'sending-paused',
      `The report was not sent: sending is paused for this AWS account in ${region}, usually after high bounce or complaint rates. Check the SES account dashboard and re-enable sending once the cause is fixed.`,
    );
  }
  if (name === 'ConfigurationSetSendingPausedException') {
    return make(
      'sending-paused',
      `The report was not sent: sending is paused for the SES configuration set used in ${region}. Resume it in the SES console.`,
    );
  }
  if (name === 'ConfigurationSetDoesNotExistException') {
    return make(
      'configuration-set-missing',
      `The report was not sent: SES in ${region} applied a configuration set that does not exist. The report names none itself, so it is the default configuration set of the identity ${sender} or of its domain ${domainOf(sender)}, deleted since: create a configuration set by that name, or remove the default from the identity's page in the SES console.`,
    );
  }
  if (/daily message quota exceeded/i.test(message)) {
    return make(
      'daily-quota-exceeded',
      `The report was not sent: the SES daily sending quota in ${region} is used up (the sandbox allows 200 messages a day). It resets within 24 hours; request production access or a higher quota in the SES console.`,
      true,
    );
  }
  if (/throttl|rate exceeded/i.test(name) || /maximum sending rate exceeded|rate exceeded/i.test(message)) {
    return make(
      'throttled',
      `The report was not sent: SES throttled the request in ${region} (the sandbox allows 1 message a second). Try again shortly: a scheduled report that fails like this is run again once by Lambda's asynchronous retry, about a minute later.`,
      true,
    );
  }
  if (
    /AccessDenied|UnauthorizedOperation|not authorized/i.test(name) ||
    /not authorized to perform/i.test(message)
  ) {
    return make(
      'access-denied',
      `The report was not sent: the function's role may not call ses:SendRawEmail for ${sender} in ${region}. Grant it on the sender's identity (the stack does this for the configured sender).`,
    );
  }
  if (name === 'InvalidParameterValue' || name === 'InvalidParameterValueException') {
    return make(
      'invalid-message',
      `The report was not sent: SES refused the message as invalid. Check the from and to settings${/length/i.test(message) ? ' and the message size (SES allows 10 MB)' : ''}.`,
    );
  }
  if (name === 'MessageRejected') {
    return make(
      'message-rejected',
      `The report was not sent: SES rejected the message in ${region}. The reason SES gave follows.`,
    );
  }
  if (
    name === 'TimeoutError' ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'ENOTFOUND' ||
    code === 'ETIMEDOUT'
  ) {
    return make(
      'unreachable',
      `The report was not sent: SES in ${region} could not be reached. Check the function's network access to the SES endpoint and try again.`,
      true,
    );
  }
  return make('unknown', `The report was not sent: SES failed in ${region}.`, true);
}
